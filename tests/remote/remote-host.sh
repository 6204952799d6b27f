#!/usr/bin/env bash
# remote-host.sh up DIR | down DIR
# A "remote host" on this machine for the remote-connection tests: a network
# namespace behind a veth pair (host 10.231.0.1, remote 10.231.0.2) running
# sshd for a test user, hangar-remote, whose libvirt session daemon (started
# by virt-ssh-helper on the first connection) runs the remote VMs.
# `up` writes DIR/env (NS, HOST_IF, ADDR, USER, KEY, URI) and prints the URI;
# `down` stops everything `up` started, also after a failed `up`.
# Needs root (ip netns, useradd). Nothing is downloaded.
set -euo pipefail
cmd=${1:?usage: remote-host.sh up|down DIR}
dir=${2:?usage: remote-host.sh up|down DIR}
user=hangar-remote
ns=hangar-rh
host_if=hrh0
peer_if=hrh1
host_addr=10.231.0.1
addr=10.231.0.2

down () {
  if [ -f "$dir/sshd.pid" ]; then kill "$(cat "$dir/sshd.pid")" 2>/dev/null || true; fi
  # The user's processes: sshd sessions, libvirtd --session, QEMU.
  if getent passwd "$user" >/dev/null; then
    pkill -TERM -u "$user" 2>/dev/null || true
    sleep 0.5
    pkill -KILL -u "$user" 2>/dev/null || true
  fi
  ip link del "$host_if" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  # ssh records host keys in the passwd home's known_hosts whatever $HOME
  # says; the test host gets a new key each time, so forget its address.
  local known
  known=$(getent passwd "$(id -u)" | cut -d: -f6)/.ssh/known_hosts
  if [ -f "$known" ]; then ssh-keygen -q -R "$addr" -f "$known" >/dev/null 2>&1 || true; fi
  rm -f "$known.old"
}

case $cmd in
  down)
    down
    exit 0
    ;;
  up)
    ;;
  *)
    echo "usage: remote-host.sh up|down DIR" >&2
    exit 2
    ;;
esac

[ "$(id -u)" = 0 ] || { echo "remote-host.sh: needs root" >&2; exit 77; }
mkdir -p "$dir"
down  # leftovers of an interrupted run

# The test user, its home inside DIR (readable by sshd with StrictModes off).
home=$dir/home
if ! getent passwd "$user" >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$user"
fi
usermod --home "$home" "$user"
# Not locked ("!"), no password either: sshd refuses locked accounts.
usermod -p '*' "$user"
getent group kvm >/dev/null && usermod -a -G kvm "$user"
mkdir -p "$home/.ssh"
rm -f "$dir"/id_* "$dir/host_key" "$dir/host_key.pub"
# Hangar's key, and the test harness's own (its virsh calls), so that sshd's
# log tells Hangar's logins apart.
ssh-keygen -q -t ed25519 -N '' -C hangar-test -f "$dir/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C hangar-harness -f "$dir/id_harness"
# A key with a passphrase: Hangar has to ask for it (hangar-askpass).
ssh-keygen -q -t ed25519 -N 'hangar-secret' -C hangar-passphrase -f "$dir/id_passphrase"
ssh-keygen -q -t ed25519 -N '' -C hangar-remote-host -f "$dir/host_key"
cat "$dir/id_ed25519.pub" "$dir/id_harness.pub" "$dir/id_passphrase.pub" \
  > "$home/.ssh/authorized_keys"
chown -R "$user:" "$home"
chmod 755 "$dir"
chmod 700 "$home/.ssh"

# The network: a namespace with its own loopback (the VMs' displays listen
# on its 127.0.0.1) and a veth pair to this host.
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$peer_if"
ip link set "$peer_if" netns "$ns"
ip addr add "$host_addr/30" dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip addr add "$addr/30" dev "$peer_if"
ip netns exec "$ns" ip link set "$peer_if" up

cat > "$dir/sshd_config" <<CONF
ListenAddress $addr
Port 22
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $home/.ssh/authorized_keys
AllowUsers $user
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
CONF
mkdir -p /run/sshd
ip netns exec "$ns" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"

uri="qemu+ssh://$user@$addr/session?keyfile=$dir/id_ed25519&no_verify=1"
# The harness's own ssh never records the host key, so that Hangar meets it
# as unknown.
cat > "$dir/harness-ssh" <<'SH'
#!/bin/sh
exec ssh -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR "$@"
SH
chmod 755 "$dir/harness-ssh"
harness_uri="qemu+ssh://$user@$addr/session?keyfile=$dir/id_harness&command=$dir/harness-ssh"
# No no_verify: the unknown host key is asked about too.
passphrase_uri="qemu+ssh://$user@$addr/session?keyfile=$dir/id_passphrase"
cat > "$dir/env" <<ENV
NS=$ns
HOST_IF=$host_if
ADDR=$addr
REMOTE_USER=$user
KEY=$dir/id_ed25519
URI='$uri'
HARNESS_URI='$harness_uri'
PASSPHRASE_URI='$passphrase_uri'
PASSPHRASE=hangar-secret
KEY_FINGERPRINT=$(ssh-keygen -l -f "$dir/id_ed25519.pub" | cut -d' ' -f2)
PASSPHRASE_KEY_FINGERPRINT=$(ssh-keygen -l -f "$dir/id_passphrase.pub" | cut -d' ' -f2)
ENV
for i in $(seq 50); do
  if ssh -q -i "$dir/id_harness" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
       -o BatchMode=yes "$user@$addr" true 2>/dev/null; then
    echo "$uri"
    exit 0
  fi
  sleep 0.1
done
echo "remote-host.sh: sshd in $ns does not answer; see $dir/sshd.log" >&2
exit 1
