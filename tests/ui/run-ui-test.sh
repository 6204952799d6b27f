#!/usr/bin/env bash
# run-ui-test.sh BUILDDIR [TEST.py] [ARGS...]
# Runs one ui-suite test against the real hangar binary in a private desktop:
# its own Xvfb, its own D-Bus session bus and AT-SPI bus, throw-away XDG
# folders. Everything it starts is stopped on exit, also on failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
builddir=$(cd "${1:?usage: run-ui-test.sh BUILDDIR [TEST.py] [ARGS...]}" && pwd)
shift
test_py=${1:-$here/test_lifecycle.py}
[ $# -gt 0 ] && shift
# A relative TEST.py is looked up from the current folder, then beside this script.
case $test_py in
  /*) ;;
  *) if [ -e "$test_py" ]; then test_py=$PWD/$test_py; else test_py=$here/$test_py; fi ;;
esac

# Debian's python carries pyatspi and gi; another python3 may come first on PATH.
python=/usr/bin/python3
for tool in Xvfb dbus-daemon /usr/libexec/at-spi-bus-launcher import "$python"; do
  if ! command -v "$tool" >/dev/null; then
    echo "Bail out! $tool is missing: run build-aux/install-deps.sh test"
    exit 99
  fi
done
if ! "$python" -c 'import pyatspi' 2>/dev/null; then
  echo "Bail out! $python cannot import pyatspi: install python3-pyatspi"
  exit 99
fi

# A short folder: it is also XDG_DATA_HOME, and hangar's embedded libvirt
# root, $XDG_DATA_HOME/hangar/libvirt, fits QEMU's socket paths only up to
# 26 characters (HANGAR_EMBEDDED_ROOT_MAX); /tmp/hXXXXX/hangar/libvirt is 26.
# Longer, hangar works through a link but shows a first-run notice.
tmp=$(mktemp -d /tmp/hXXXXX)
xvfb_pid= bus_pid= launcher_pid= test_pid=

stop() {  # stop PID: TERM, up to 5 s, then KILL
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  return 0
}

cleanup() {
  local rc=$?
  set +e
  trap '' HUP INT TERM  # finish cleaning up whatever arrives now
  # Stop what we started, newest first, each by its own id. The test stops
  # its hangar on TERM; hangar also ends with the X server and the buses.
  [ -n "$test_pid" ] && stop "$test_pid"
  if [ -n "$launcher_pid" ]; then
    a11y_bus_pids=$(pgrep -P "$launcher_pid" || true)
    stop "$launcher_pid"
    for pid in $a11y_bus_pids; do stop "$pid"; done
  fi
  [ -n "$bus_pid" ] && stop "$bus_pid"
  [ -n "$xvfb_pid" ] && stop "$xvfb_pid"
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- X server ---------------------------------------------------------------
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || { cat "$tmp/xvfb.log"; echo "Bail out! Xvfb died"; exit 99; }
  sleep 0.1
done
[ -s "$tmp/display" ] || { echo "Bail out! Xvfb did not report a display"; exit 99; }
export DISPLAY=:$(head -n1 "$tmp/display")
unset WAYLAND_DISPLAY XAUTHORITY

# --- private desktop environment -------------------------------------------
mkdir -p "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp" "$tmp/run"
export XDG_DATA_HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export XDG_RUNTIME_DIR=$tmp/run
export GSETTINGS_SCHEMA_DIR=$builddir/data GSETTINGS_BACKEND=memory
export GDK_BACKEND=x11 GTK_THEME=Adwaita LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
unset NO_AT_BRIDGE GTK_MODULES

# --- D-Bus session bus and AT-SPI bus ------------------------------------------
# Not --fork: a forked daemon leaves this process group, and a test runner
# that kills the group on a timeout would leave it behind.
dbus-daemon --session --nofork --nopidfile --address="unix:path=$tmp/run/bus" \
  --print-address=3 3>"$tmp/bus.address" >"$tmp/bus.log" 2>&1 &
bus_pid=$!
for _ in $(seq 100); do
  [ -s "$tmp/bus.address" ] && break
  kill -0 "$bus_pid" 2>/dev/null || { cat "$tmp/bus.log"; echo "Bail out! dbus-daemon died"; exit 99; }
  sleep 0.1
done
[ -s "$tmp/bus.address" ] || { echo "Bail out! dbus-daemon did not start"; exit 99; }
export DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$tmp/bus.address")

/usr/libexec/at-spi-bus-launcher --launch-immediately >"$tmp/atspi.log" 2>&1 &
launcher_pid=$!
# Wait for the accessibility bus to answer on the session bus.
a11y_bus=
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
       org.a11y.Bus.GetAddress >/dev/null 2>&1; then
    a11y_bus=yes
    break
  fi
  kill -0 "$launcher_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$a11y_bus" ] || { cat "$tmp/atspi.log"; echo "Bail out! the AT-SPI bus did not start"; exit 99; }

export HANGAR_UI_TMP=$tmp
export HANGAR_BUILDDIR=$builddir
# In the background so that a TERM to this script is handled at once.
"$python" -u "$test_py" "$builddir" "$@" &
test_pid=$!
set +e
wait "$test_pid"
rc=$?
set -e
test_pid=
exit $rc
