#!/usr/bin/env bash
# Installs everything Hangar needs to build, run and test on Debian 12.
# Usage: build-aux/install-deps.sh [run|test|bench]
#   run: build + run; test (default): also what the tests need;
#   bench: build + run + what bench/ needs (virt-manager to compare with)
set -euo pipefail
what=${1:-test}
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

build_pkgs=(
  meson ninja-build pkg-config gcc gettext itstool
  libglib2.0-dev libglib2.0-bin libgtk-3-dev
  libvirt-dev libvirt-glib-1.0-dev libosinfo-1.0-dev
  libgtk-vnc-2.0-dev libspice-client-gtk-3.0-dev libvte-2.91-dev libjson-glib-dev libsoup-3.0-dev
  desktop-file-utils appstream
  # meson setup looks these up for the data tests (yelp-check, xmllint)
  yelp-tools libxml2-utils
)
run_pkgs=(
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 qemu-utils ovmf seabios osinfo-db
  dbus dbus-x11 adwaita-icon-theme fonts-dejavu-core fonts-cantarell
)
test_pkgs=(
  xvfb xauth dbus-x11 at-spi2-core python3-pyatspi python3-gi gir1.2-gtk-3.0
  imagemagick x11-utils xdotool gir1.2-atspi-2.0 procps  # tests/ui (run-ui-test.sh)
  # tests/guest/build-guest.sh makes the vm tests' guest from these: the kernel
  # of linux-image-amd64 (its /boot/vmlinuz and modules) and busybox-static
  linux-image-amd64 busybox-static
  # tests/remote/remote-host.sh: a remote host in a network namespace (sshd, and
  # libvirtd --session started there by virt-ssh-helper)
  openssh-server openssh-client iproute2 libvirt-daemon libvirt-clients passwd
  # test-vm-builder: ISOs labelled like real install media, libvirt's schema check;
  # ui-new-vm-boot: a bootable ISO of the test guest (grub-mkrescue)
  xorriso libvirt-clients grub-pc-bin grub-common mtools
  # the libFuzzer target (tests/fuzz) is built with clang in the sanitizer stage
  clang libclang-rt-14-dev
)
bench_pkgs=(
  virt-manager xvfb xauth dbus-daemon at-spi2-core python3 python3-pyatspi
  python3-gi gir1.2-atspi-2.0 libglib2.0-bin
  # bench/console: the reference client and the screen probe (libvirt, QEMU and
  # SeaBIOS for its guests come with run_pkgs)
  virt-viewer python3-numpy libx11-6 libxext6
)

pkgs=("${build_pkgs[@]}" "${run_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$what" = bench ] && pkgs+=("${bench_pkgs[@]}")

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"

# As root, libvirt's embedded QEMU driver looks up its QEMU user (libvirt-qemu on
# Debian) when it starts, before it reads the root's qemu.conf that says
# user = "root"; without the user, opening qemu:///embed fails with "Failed to parse
# user 'libvirt-qemu'". The user comes with libvirt-daemon-system, which Hangar does
# not otherwise need, so make it the way that package's postinst does.
if [ "$(id -u)" = 0 ] && ! getent passwd libvirt-qemu >/dev/null; then
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
  useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home \
    --shell /usr/sbin/nologin --comment "Libvirt Qemu" libvirt-qemu
fi
