#!/usr/bin/env bash
# make-iso.sh KERNEL INITRD OUTPUT: a BIOS-bootable ISO (GRUB, grub-mkrescue)
# that boots the test guest's kernel and initramfs, for the new-VM wizard's
# test: install media made from Debian packages, nothing downloaded.
# With empty inputs (no kernel package) it writes an empty OUTPUT.
set -euo pipefail
kernel=$1 initrd=$2 out=$3
if [ ! -s "$kernel" ] || [ ! -s "$initrd" ] || ! command -v grub-mkrescue >/dev/null; then
  : > "$out"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/boot/grub"
cp "$kernel" "$tmp/boot/vmlinuz"
cp "$initrd" "$tmp/boot/initrd.img"
cat > "$tmp/boot/grub/grub.cfg" <<'CFG'
set timeout=0
menuentry "Hangar test guest" {
  linux /boot/vmlinuz console=tty1 console=ttyS0,115200 consoleblank=0
  initrd /boot/initrd.img
}
CFG
grub-mkrescue --compress=xz -o "$out" "$tmp" -- -volid HANGAR_TEST >/dev/null 2>&1
