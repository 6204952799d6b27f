#!/usr/bin/env bash
# Builds Hangar's test guest from installed Debian packages:
#   OUTDIR/vmlinuz     the kernel of linux-image-amd64
#   OUTDIR/initrd.img  a gzip'd cpio: busybox-static, tests/guest/init, a few modules
# Usage: build-guest.sh [--if-available] OUTDIR
# With --if-available, missing packages leave empty outputs (the tests then
# skip) instead of failing the build. Nothing is downloaded.
# OUTDIR/stamp records what the files were built from; when it matches,
# nothing is rebuilt.
set -euo pipefail

if_available=0
if [ "${1:-}" = --if-available ]; then
  if_available=1
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--if-available] OUTDIR" >&2
  exit 2
fi
outdir=$1
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox

missing () {
  local what="$1"
  if [ $if_available = 1 ]; then
    echo "build-guest: $what; the test guest is not built and its tests will skip." >&2
    echo "build-guest: build-aux/install-deps.sh test installs what it needs." >&2
    mkdir -p "$outdir"
    : > "$outdir/vmlinuz"
    : > "$outdir/initrd.img"
    echo "missing: $what" > "$outdir/stamp"
    exit 0
  fi
  echo "build-guest: $what (build-aux/install-deps.sh test installs it)" >&2
  exit 1
}

pkg_version () {
  { dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || true; } |
    sed -n 's/^ii *//p'
}

# linux-image-amd64 is a metapackage; the kernel comes with the package it
# depends on (linux-image-6.1.0-N-amd64).
meta_version=$(pkg_version linux-image-amd64)
[ -n "$meta_version" ] || missing "the package linux-image-amd64 is not installed"
kernel_pkg=$(dpkg-query -W -f='${Depends}' linux-image-amd64 | tr ',|' '\n\n' |
             sed -n 's/^ *\(linux-image-[^ ]*\).*/\1/p' | head -n 1)
kernel=$(dpkg -L "$kernel_pkg" | grep -E '^/boot/vmlinuz-' | head -n 1)
[ -n "$kernel" ] || missing "no /boot/vmlinuz-* in the package $kernel_pkg"
release=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$release
[ -r "$kernel" ] || missing "$kernel is not readable"
[ -f "$moddir/modules.dep" ] || missing "$moddir/modules.dep is missing"
busybox_version=$(pkg_version busybox-static)
[ -n "$busybox_version" ] && [ -x "$busybox" ] || missing "the package busybox-static is not installed"

stamp=$(printf '%s\n' "$kernel_pkg $(pkg_version "$kernel_pkg")" "busybox-static $busybox_version"
        sha256sum "$0" "$here/init" | cut -d' ' -f1)
if [ -s "$outdir/vmlinuz" ] && [ -s "$outdir/initrd.img" ] &&
   [ "$(cat "$outdir/stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,etc,lib/modules,proc,run,sys,tmp}

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s bin "$root/sbin"
install -m 0755 "$here/init" "$root/init"

# Modules, with what they need (modules.dep lists every dependency, the
# innermost last), in the order init loads them. Group NAME goes to
# /lib/modules/NAME.list.
module_group () {
  local group=$1 name line file deps dep
  shift
  : > "$root/lib/modules/$group.list"
  for name in "$@"; do
    line=$(grep -E "(^|/)$name\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1)
    [ -n "$line" ] || { echo "build-guest: no module $name in $moddir" >&2; exit 1; }
    file=${line%%:*}
    deps=${line#*:}
    for dep in $(printf '%s\n' $deps | tac) "$file"; do
      add_module "$group" "$dep"
    done
  done
}

add_module () {
  local group=$1 file=$2 base
  base=$(basename "$file")
  base=${base%.ko*}
  grep -qx "$base" "$root/lib/modules/$group.list" && return 0
  case "$file" in
    *.ko) cp "$moddir/$file" "$root/lib/modules/$base.ko" ;;
    *.ko.xz) xz -dc "$moddir/$file" > "$root/lib/modules/$base.ko" ;;
    *.ko.zst) zstd -qdc "$moddir/$file" > "$root/lib/modules/$base.ko" ;;
    *.ko.gz) gzip -dc "$moddir/$file" > "$root/lib/modules/$base.ko" ;;
  esac
  echo "$base" >> "$root/lib/modules/$group.list"
}

# Built into Debian's kernel already: 8250 serial and its console, i8042 and
# atkbd (PS/2 keyboard), the VT, vgacon, fbcon, devtmpfs.
module_group base button evdev
module_group virtio-gpu virtio_pci virtio-gpu
module_group qxl qxl
module_group bochs bochs

# The banner for tty1: block letters, each '#' a white cell on blue.
declare -A font=(
  [H]='#   #|#   #|#####|#   #|#   #'
  [A]=' ### |#   #|#####|#   #|#   #'
  [N]='#   #|##  #|# # #|#  ##|#   #'
  [G]=' ####|#    |#  ##|#   #| ### '
  [R]='#### |#   #|#### |#  # |#   #'
  [T]='#####|  #  |  #  |  #  |  #  '
  [E]='#####|#    |#### |#    |#####'
  [S]=' ####|#    | ### |    #|#### '
  [U]='#   #|#   #|#   #|#   #| ### '
  [' ']='     |     |     |     |     '
)
on=$'\033[47m'
off=$'\033[44m'
banner_line () {
  local text=$1 scale=$2 row i ch cells line pad
  for row in 0 1 2 3 4; do
    line=
    for (( i = 0; i < ${#text}; i++ )); do
      ch=${text:i:1}
      IFS='|' read -r -a cells <<< "${font[$ch]}"
      line+="${cells[$row]} "
    done
    line=${line% }
    [ "$scale" = 1 ] || line=$(sed 's/./&&/g' <<< "$line")
    pad=$(( (80 - ${#line}) / 2 ))
    printf '%*s%s\n' "$pad" '' "$line" | sed "s/#/${on} ${off}/g"
  done
}
{
  printf '\n'
  banner_line HANGAR 2
  printf '\n'
  banner_line "TEST GUEST" 1
  printf '\n'
} > "$root/etc/banner"

mkdir -p "$outdir"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
   "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 > "$tmp/initrd.img"
cp "$kernel" "$tmp/vmlinuz"
mv -f "$tmp/vmlinuz" "$outdir/vmlinuz"
mv -f "$tmp/initrd.img" "$outdir/initrd.img"
echo "$stamp" > "$outdir/stamp"
echo "build-guest: $kernel + busybox $busybox_version -> $outdir" \
     "($(du -k "$outdir/initrd.img" | cut -f1) KiB initramfs)"
