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
case $test_py in /*) ;; *) test_py=$here/$test_py ;; esac

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

# Short path: the embedded libvirt root lives under XDG_DATA_HOME and its
# socket paths must stay short.
tmp=$(mktemp -d /tmp/hui.XXXXXX)
xvfb_pid= bus_pid= launcher_pid=

cleanup() {
  local rc=$?
  set +e
  # Stop what we started, newest first, each by its own id.
  [ -n "$launcher_pid" ] && kill "$launcher_pid" 2>/dev/null
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null
  for pid in $launcher_pid $bus_pid $xvfb_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

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
mkdir -p "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export XDG_RUNTIME_DIR=$tmp/run
export GSETTINGS_SCHEMA_DIR=$builddir/data GSETTINGS_BACKEND=memory
export GDK_BACKEND=x11 GTK_THEME=Adwaita LANG=C.UTF-8 LC_ALL=C.UTF-8 LANGUAGE=
unset NO_AT_BRIDGE GTK_MODULES

# --- D-Bus session bus and AT-SPI bus ------------------------------------------
dbus-daemon --session --fork --nopidfile --address="unix:path=$tmp/run/bus" \
  --print-pid=1 >"$tmp/bus.pid"
bus_pid=$(head -n1 "$tmp/bus.pid")
export DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/run/bus

/usr/libexec/at-spi-bus-launcher --launch-immediately >"$tmp/atspi.log" 2>&1 &
launcher_pid=$!
# Wait for the accessibility bus to answer on the session bus.
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
       org.a11y.Bus.GetAddress >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

export HANGAR_UI_TMP=$tmp
export HANGAR_BUILDDIR=$builddir
set +e
"$python" -u "$test_py" "$builddir" "$@"
rc=$?
set -e
exit $rc
