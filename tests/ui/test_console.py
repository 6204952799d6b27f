#!/usr/bin/python3
# test_console.py BUILDDIR vnc|spice: Hangar's console against the real test
# guest (tests/guest): boots it on a fresh embedded root, opens it with
# "hangar --connect qemu:///embed?root=ROOT --console NAME" and checks, the
# way a person would use it (xdotool for mouse and keys, AT-SPI to find
# widgets, X screenshots to see):
#   1. the display shows the guest's pixels (compared with libvirt's screenshot)
#   2. keys typed on the display reach the guest (TYPED: … on its serial port)
#   3. Send Keys → Ctrl+Alt+Del reaches the guest (CTRL-ALT-DEL)
#   4. the Serial Console page sends what is typed (SERIAL: …) and shows the reply
#   5. Screenshot saves, through the file chooser, a PNG of the guest's size
#   6. Force Off shows "… is not running." with a Start button; Start boots the
#      guest again and the display reconnects by itself (a second
#      HANGAR-CONSOLE-FRAME)
# vnc runs the guest with VNC + virtio-gpu, spice with SPICE + QXL.
#
# An embedded root can be open in one process at a time: tests/guest-ctl
# (C, libvirt-gobject) defines, starts and screenshots the guest and exits
# before Hangar opens the root; QEMU keeps running in between. A watchdog in a
# session of its own kills the root's QEMU and removes the root once this
# script ends, however it ends.
#
# Run it through run-ui-test.sh (Xvfb, private session bus, AT-SPI bus), with
# HANGAR_TEST_GUEST_KERNEL/INITRD set (meson does both). Prints TAP; stops at
# the first failure. Exit 77 (skip) when the guest is not built.

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import gi

gi.require_version('Atspi', '2.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import Atspi, GdkPixbuf, GLib  # noqa: E402

import pyatspi  # noqa: E402

import tap  # noqa: E402
from tap import Failure, diag, not_ok, ok  # noqa: E402

BUILDDIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ['HANGAR_BUILDDIR'])
KIND = sys.argv[2] if len(sys.argv) > 2 else 'vnc'
tap.configure(prefix=f'[{KIND}] ', timed=True)
HANGAR = os.path.join(BUILDDIR, 'src', 'hangar')
GUEST_CTL = os.path.join(BUILDDIR, 'tests', 'guest-ctl')
OUT = os.path.join(BUILDDIR, 'tests', 'ui')
SHOTS = os.path.join(OUT, 'screenshots')
TMP = os.environ.get('HANGAR_UI_TMP', '/tmp')
VM = f'hangar-console-{KIND}'
SERIAL_LOG = os.path.join(OUT, f'console-{KIND}-serial.log')

BOOT_TIMEOUT = 120.0    # TCG on two busy cores: 6-10 s usually
GUEST_TIMEOUT = 20.0    # a line typed to reach the serial log (TCG is slow)
FIND_TIMEOUT = 15.0
FRAME_TIMEOUT = 60.0
# Mean absolute difference per channel (0-255) between libvirt's screenshot
# and the display widget's pixels, both scaled to the same small size.
MAX_MEAN_DIFF = 16.0


class Skip(Exception):
    pass


# ---------------------------------------------------------------------------
# The guest and its root

WATCHDOG = r'''
root=$1
cat >/dev/null
for p in /proc/[0-9]*; do
  case "$(readlink $p/exe 2>/dev/null)" in *qemu-system*) ;; *) continue ;; esac
  case "$(tr '\000' ' ' < $p/cmdline 2>/dev/null)" in
    *"$root/"*) kill -9 ${p#/proc/} 2>/dev/null ;;
  esac
done
rm -rf "$root"
'''


class Guest:
    def __init__(self):
        # ≤ 26 characters (HANGAR_EMBEDDED_ROOT_MAX): QEMU's socket paths.
        self.root = tempfile.mkdtemp(prefix='hc.', dir='/tmp')
        assert len(self.root) <= 26, self.root
        # Reads until this script is gone, then cleans up: also after SIGKILL.
        self.watchdog = subprocess.Popen(['/bin/sh', '-c', WATCHDOG, 'hangar-console-watchdog',
                                          self.root],
                                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
        self.uri = f'qemu:///embed?root={self.root}'
        self.virt = None

    def ctl(self, *args, timeout=60, check=True):
        r = subprocess.run([GUEST_CTL, self.root, *args], capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode == 77:
            raise Skip(r.stderr.strip())
        if check and r.returncode != 0:
            raise Failure(f'guest-ctl {" ".join(args)} exited with {r.returncode}: '
                          f'{r.stderr.strip()}')
        return r.stdout.strip()

    def qemu_pids(self):
        pids = []
        for entry in os.listdir('/proc'):
            if not entry.isdigit():
                continue
            try:
                exe = os.readlink(f'/proc/{entry}/exe')
                with open(f'/proc/{entry}/cmdline', 'rb') as f:
                    cmdline = f.read().replace(b'\0', b' ').decode(errors='replace')
            except OSError:
                continue
            if 'qemu-system' in exe and self.root + '/' in cmdline:
                pids.append(int(entry))
        return pids

    def keep_qemu_log(self):
        src = os.path.join(self.root, 'log', 'qemu', f'{VM}.log')
        if os.path.exists(src):
            dst = os.path.join(OUT, f'console-{KIND}-qemu.log')
            shutil.copyfile(src, dst)
            diag(f'QEMU log kept: {dst}')

    def cleanup(self, failed):
        """Destroys and undefines the guest (the root must be free: Hangar
        has quit), then lets the watchdog kill what is left and remove the root."""
        if failed:
            try:
                self.keep_qemu_log()
            except OSError as e:
                diag(f'could not keep the QEMU log: {e}')
        for command in ('destroy', 'undefine'):
            try:
                self.ctl(command, VM, timeout=30)
            except (Failure, Skip, subprocess.SubprocessError) as e:
                diag(f'clean-up: {e}')
        self.watchdog.stdin.close()
        try:
            self.watchdog.wait(timeout=30)
        except subprocess.TimeoutExpired:
            diag('clean-up: the watchdog did not finish within 30 s')
        left = self.qemu_pids()
        if left or os.path.exists(self.root):
            diag(f'clean-up left QEMU {left} / root {self.root} exists: '
                 f'{os.path.exists(self.root)}')


def log_text():
    try:
        with open(SERIAL_LOG, 'rb') as f:
            return f.read().decode(errors='replace')
    except FileNotFoundError:
        return ''


def wait_log(needle, offset=0, timeout=GUEST_TIMEOUT):
    """Waits for needle in the serial log after offset; returns the offset
    just after it."""
    deadline = time.monotonic() + timeout
    while True:
        text = log_text()
        i = text.find(needle, offset)
        if i >= 0:
            return i + len(needle)
        if time.monotonic() >= deadline:
            tail = text[-1500:]
            raise Failure(f'"{needle}" did not show up in {SERIAL_LOG} within {timeout:.0f} s; '
                          f'its end:\n{tail}')
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# Hangar

class Hangar:
    def __init__(self, uri):
        env = dict(os.environ, HANGAR_REPORT_READY='1', G_MESSAGES_DEBUG='')
        env.pop('NO_AT_BRIDGE', None)
        self.stderr_path = os.path.join(TMP, f'hangar-{KIND}.stderr')
        self.stderr = open(self.stderr_path, 'w+')
        self.proc = subprocess.Popen([HANGAR, '--connect', uri, '--console', VM], env=env,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        self.lines = []     # (monotonic time, line) of stdout
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.app = None

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip('\n')))
                self.cond.notify_all()
        with self.cond:
            self.lines.append((time.monotonic(), None))
            self.cond.notify_all()

    def wait_line(self, prefix, count=1, timeout=FRAME_TIMEOUT):
        """Waits until `count` stdout lines start with prefix; returns the last."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [line for _, line in self.lines if line and line.startswith(prefix)]
                if len(found) >= count:
                    return found[count - 1]
                if self.lines and self.lines[-1][1] is None:
                    raise Failure(f'hangar exited ({self.proc.poll()}) before printing '
                                  f'{prefix!r} #{count}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f'no {prefix!r} #{count} on hangar\'s stdout within '
                                  f'{timeout:.0f} s; stdout: {[l for _, l in self.lines]!r}')
                self.cond.wait(min(left, 0.5))

    def count(self, prefix):
        with self.cond:
            return len([l for _, l in self.lines if l and l.startswith(prefix)])

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    @property
    def frame(self):
        fs = [self.app.getChildAtIndex(i) for i in range(self.app.childCount)]
        fs = [f for f in fs if f is not None and f.getRole() == pyatspi.ROLE_FRAME and showing(f)]
        if len(fs) != 1:
            raise LookupError(f'expected one hangar window, found {len(fs)}')
        return fs[0]

    def dialogs(self):
        out = []
        for i in range(self.app.childCount):
            w = self.app.getChildAtIndex(i)
            if w is not None and w.getRole() in (pyatspi.ROLE_DIALOG, pyatspi.ROLE_FILE_CHOOSER) \
                    and showing(w):
                out.append(w)
        return out

    def quit(self):
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# ---------------------------------------------------------------------------
# AT-SPI, input and pixels

def wait_for(what, predicate, timeout=FIND_TIMEOUT, interval=0.1):
    return tap.wait_for(what, predicate, timeout, interval)


def showing(acc):
    try:
        return acc.getState().contains(pyatspi.STATE_SHOWING)
    except GLib.Error:
        return False


def walk(acc, max_depth=40):
    if acc is None:
        return
    Atspi.Accessible.clear_cache(acc)
    if acc.getRole() != pyatspi.ROLE_APPLICATION and not showing(acc):
        return
    yield acc
    if max_depth == 0 or acc.getRole() in (pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_TABLE,
                                           pyatspi.ROLE_TERMINAL):
        return
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            yield from walk(child, max_depth - 1)


def find(root, name, roles=None):
    for acc in walk(root):
        if acc.name == name and (roles is None or acc.getRole() in roles):
            return acc
    return None


def extents(acc):
    e = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    if e.width <= 0 or e.height <= 0:
        raise Failure(f'{acc.getRoleName()} {acc.name!r} has no area on screen: {e}')
    return e.x, e.y, e.width, e.height


def center(acc):
    x, y, w, h = extents(acc)
    return x + w // 2, y + h // 2


def xdotool(*args):
    subprocess.run(['xdotool', *args], check=True, timeout=30)


def move_to(acc):
    x, y = center(acc)
    xdotool('mousemove', '--sync', str(x), str(y))
    time.sleep(0.1)


def click(acc):
    move_to(acc)
    xdotool('click', '1')


def type_line(text):
    xdotool('type', '--delay', '80', text)
    xdotool('key', '--delay', '80', 'Return')


def screen_shot(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(['import', '-window', 'root', path], check=True, timeout=30)
    return GdkPixbuf.Pixbuf.new_from_file(path)


def crop(pixbuf, x, y, w, h):
    # new_subpixbuf shares the pixels; copy() makes it stand alone.
    return pixbuf.new_subpixbuf(x, y, w, h).copy()


def pixels(pixbuf):
    """[(r, g, b)] row by row."""
    data = pixbuf.get_pixels()
    stride, nc = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    out = []
    for y in range(pixbuf.get_height()):
        row = y * stride
        for x in range(pixbuf.get_width()):
            p = row + x * nc
            out.append((data[p], data[p + 1], data[p + 2]))
    return out


def describe(pix):
    """Colour facts of a list of pixels: distinct colours, share of VGA-ish
    blue (the banner's background) and of light grey (its letters)."""
    n = len(pix)
    blue = sum(1 for r, g, b in pix if b > 120 and r < 80 and g < 80)
    grey = sum(1 for r, g, b in pix if r > 140 and g > 140 and b > 140)
    return {'colours': len(set(pix)), 'blue': blue / n, 'grey': grey / n}


def mean_diff(a, b):
    """Mean absolute difference per channel of two equal-sized pixel lists."""
    total = [0, 0, 0]
    for pa, pb in zip(a, b):
        for c in range(3):
            total[c] += abs(pa[c] - pb[c])
    return [t / len(a) for t in total]


def fit_rect(w, h, gw, gh, upscale):
    """Where a gw×gh image lands in a w×h widget that scales it to fit,
    keeping its aspect ratio, centred. gtk-vnc also scales up; Hangar's
    SPICE display only scales down (a guest that fits is drawn 1:1)."""
    s = min(w / gw, h / gh)
    if not upscale:
        s = min(s, 1.0)
    dw, dh = round(gw * s), round(gh * s)
    return (w - dw) // 2, (h - dh) // 2, dw, dh


# ---------------------------------------------------------------------------
# The steps

class Test:
    def __init__(self):
        self.guest = None
        self.hangar = None
        self.offset = 0
        self.guest_size = None
        self.libvirt_shot = os.path.join(SHOTS, f'console-{KIND}-libvirt.png')

    # -- set-up --------------------------------------------------------------

    def boot_guest(self):
        self.guest = Guest()
        self.guest.ctl('prepare')
        os.makedirs(SHOTS, exist_ok=True)
        if os.path.exists(SERIAL_LOG):
            os.unlink(SERIAL_LOG)
        self.guest.virt = self.guest.ctl('define', VM, KIND, SERIAL_LOG)
        t0 = time.monotonic()
        self.guest.ctl('start', VM)
        self.offset = wait_log('HANGAR-GUEST-READY', 0, BOOT_TIMEOUT)
        display = [l for l in log_text().splitlines() if l.startswith('HANGAR-GUEST:')]
        ok(f'guest {VM} ({self.guest.virt}, {"SPICE + QXL" if KIND == "spice" else "VNC + virtio-gpu"}) '
           f'on {self.guest.root} printed HANGAR-GUEST-READY after {time.monotonic() - t0:.1f} s; '
           f'{display[-1].strip() if display else ""}')

    def libvirt_screenshot(self):
        os.makedirs(SHOTS, exist_ok=True)
        out = self.guest.ctl('screenshot', VM, self.libvirt_shot)
        mime, size = out.split()
        w, h = (int(v) for v in size.split('x'))
        shot = GdkPixbuf.Pixbuf.new_from_file(self.libvirt_shot)
        facts = describe(pixels(shot))
        if facts['colours'] < 3 or facts['blue'] < 0.4:
            raise Failure(f'libvirt\'s screenshot does not show the banner: {facts}')
        self.guest_size = (w, h)
        ok(f'libvirt screenshot ({mime}) {w}x{h}: {facts["colours"]} colours, '
           f'{facts["blue"]:.0%} blue, {facts["grey"]:.0%} grey: {self.libvirt_shot}')

    def start_hangar(self):
        t0 = time.monotonic()
        self.hangar = Hangar(self.guest.uri)
        ready = self.hangar.wait_line('HANGAR-READY ', timeout=60)
        frame = self.hangar.wait_line('HANGAR-CONSOLE-FRAME ')
        if frame != f'HANGAR-CONSOLE-FRAME vm={VM}':
            raise Failure(f'unexpected frame report {frame!r}')
        ok(f'hangar --console {VM}: "{ready}", then "{frame}" after '
           f'{time.monotonic() - t0:.1f} s')

        def app():
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                if a is not None and a.name == 'hangar' and \
                        a.get_process_id() == self.hangar.proc.pid:
                    return a
            return None
        self.hangar.app = wait_for('hangar on the AT-SPI bus', app)
        # Values are read fresh object by object (walk); a whole-application
        # Atspi.Cache.NONE deadlocks libatspi when events arrive mid-call.
        wait_for('the main window', lambda: self.hangar.frame)

    def display_widget(self):
        return find(self.hangar.frame, 'Guest display')

    # -- 1. pixels -----------------------------------------------------------

    def check_pixels(self, tag='', compare=True):
        disp = wait_for('the "Guest display" widget', self.display_widget)
        x, y, w, h = extents(disp)
        fx, fy, fw, fh = extents(self.hangar.frame)
        # Let the display settle: the first frame may still be scaling in.
        time.sleep(1.0)
        screen = screen_shot(os.path.join(TMP, f'screen-{KIND}.png'))
        sw, sh = screen.get_width(), screen.get_height()
        fx, fy = max(fx, 0), max(fy, 0)
        window = crop(screen, fx, fy, min(fw, sw - fx), min(fh, sh - fy))
        window_path = os.path.join(SHOTS, f'console-{KIND}-window{tag}.png')
        window.savev(window_path, 'png', [], [])
        widget = crop(screen, x, y, w, h)
        widget_path = os.path.join(SHOTS, f'console-{KIND}-widget{tag}.png')
        widget.savev(widget_path, 'png', [], [])

        facts = describe(pixels(widget))
        if facts['colours'] < 3 or facts['blue'] < 0.2:
            raise Failure(f'the display widget ({w}x{h} at {x},{y}) looks blank or is not the '
                          f'banner: {facts}; see {widget_path} and {window_path}')
        if not compare:
            ok(f'display widget {w}x{h} shows the guest again: {facts["colours"]} colours, '
               f'{facts["blue"]:.0%} blue; window: {window_path}')
            return

        gw, gh = self.guest_size
        rx, ry, rw, rh = fit_rect(w, h, gw, gh, upscale=(KIND == 'vnc'))
        shown = crop(widget, rx, ry, rw, rh)
        shown_path = os.path.join(SHOTS, f'console-{KIND}-shown.png')
        shown.savev(shown_path, 'png', [], [])
        # Compare at half the guest's size: scaling filters differ at the
        # letters' edges, not in what the screen shows.
        cw, ch = gw // 2, gh // 2
        a = pixels(shown.scale_simple(cw, ch, GdkPixbuf.InterpType.BILINEAR))
        ref = GdkPixbuf.Pixbuf.new_from_file(self.libvirt_shot)
        b = pixels(ref.scale_simple(cw, ch, GdkPixbuf.InterpType.BILINEAR))
        diff = mean_diff(a, b)
        ref_facts = describe(b)
        shown_facts = describe(a)
        diag(f'widget {w}x{h} at {x},{y}; guest {gw}x{gh} drawn at +{rx}+{ry} {rw}x{rh}; '
             f'mean difference per channel {[round(d, 1) for d in diff]}; '
             f'libvirt {ref_facts}, widget {shown_facts}')
        if max(diff) > MAX_MEAN_DIFF:
            raise Failure(f'the display differs from libvirt\'s screenshot: mean difference '
                          f'per channel {diff} > {MAX_MEAN_DIFF}; see {shown_path} and '
                          f'{self.libvirt_shot}')
        if abs(ref_facts['blue'] - shown_facts['blue']) > 0.05 or \
                abs(ref_facts['grey'] - shown_facts['grey']) > 0.05:
            raise Failure(f'colour shares differ: libvirt {ref_facts}, widget {shown_facts}')
        ok(f'"Guest display" {w}x{h} matches libvirt\'s screenshot (mean difference per channel '
           f'{max(diff):.1f} ≤ {MAX_MEAN_DIFF}, blue {shown_facts["blue"]:.0%} vs '
           f'{ref_facts["blue"]:.0%}); window: {window_path}, widget: {widget_path}')

    # -- 2. keys -------------------------------------------------------------

    def check_typing(self):
        disp = wait_for('the "Guest display" widget', self.display_widget)
        click(disp)
        wait_for('the display to take the keyboard focus',
                 lambda: disp.getState().contains(pyatspi.STATE_FOCUSED))
        time.sleep(0.3)
        t0 = time.monotonic()
        type_line('hangar42')
        self.offset = wait_log('TYPED: hangar42\r\n', self.offset)
        ok(f'clicked the display, typed "hangar42" + Return: the guest printed '
           f'"TYPED: hangar42" after {time.monotonic() - t0:.1f} s')

    # -- 3. Send Keys --------------------------------------------------------

    def release_grab(self):
        """Ctrl+Alt, as the grab hint says, then move the pointer off the display."""
        xdotool('key', '--delay', '80', 'ctrl+alt')
        time.sleep(0.2)

    def check_send_keys(self):
        self.release_grab()
        button = wait_for('the "Send Keys" menu button',
                          lambda: find(self.hangar.frame, 'Send Keys'))
        click(button)
        item = wait_for('the "Ctrl+Alt+Del" menu item',
                        lambda: find(self.hangar.app, 'Ctrl+Alt+Del'))
        t0 = time.monotonic()
        click(item)
        self.offset = wait_log('CTRL-ALT-DEL', self.offset)
        ok(f'Send Keys → Ctrl+Alt+Del ({item.getRoleName()}): the guest printed CTRL-ALT-DEL '
           f'after {time.monotonic() - t0:.1f} s')

    # -- 4. serial console ---------------------------------------------------

    def check_serial(self):
        toggle = wait_for('the "Serial Console" switch',
                          lambda: find(self.hangar.frame, 'Serial Console',
                                       (pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_RADIO_BUTTON)))
        click(toggle)
        term = wait_for('the serial console terminal',
                        lambda: find(self.hangar.frame, 'Serial console'))
        if self.display_widget() is not None:
            raise Failure('the guest display still shows on the "Serial Console" page')
        click(term)
        wait_for('the terminal to take the keyboard focus',
                 lambda: term.getState().contains(pyatspi.STATE_FOCUSED))
        t0 = time.monotonic()
        type_line('ping')
        self.offset = wait_log('SERIAL: ping', self.offset)

        # The reply shows in the terminal too: the guest's echo and its line.
        def shown():
            text = term.queryText()
            return 'SERIAL: ping' in text.getText(0, text.characterCount)
        try:
            wait_for('"SERIAL: ping" in the terminal', shown)
        except Failure:
            text = term.queryText()
            raise Failure('the guest answered, but the terminal shows:\n' +
                          text.getText(0, text.characterCount)[-800:])
        ok(f'"Serial Console": typed "ping" + Return, the guest printed "SERIAL: ping" after '
           f'{time.monotonic() - t0:.1f} s and the terminal shows it')
        screen_shot(os.path.join(SHOTS, f'console-{KIND}-serial.png'))

    # -- 5. screenshot -------------------------------------------------------

    def check_screenshot(self):
        toggle = wait_for('the "Display" switch',
                          lambda: find(self.hangar.frame, 'Display',
                                       (pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_RADIO_BUTTON)))
        click(toggle)
        wait_for('the "Guest display" widget', self.display_widget)
        button = wait_for('a sensitive "Screenshot" button',
                          lambda: (b := find(self.hangar.frame, 'Screenshot',
                                             (pyatspi.ROLE_PUSH_BUTTON,)))
                          and b.getState().contains(pyatspi.STATE_SENSITIVE) and b)
        folder = os.path.join(SHOTS, f'saved-{KIND}')
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        target = os.path.join(folder, 'guest.png')
        click(button)
        dialog = wait_for('the "Save Screenshot" file chooser',
                          lambda: [d for d in self.hangar.dialogs()
                                   if d.name == 'Save Screenshot'])[0]
        entry = wait_for('the file name entry', lambda: next(
            (a for a in walk(dialog) if a.getRole() == pyatspi.ROLE_TEXT and
             a.getState().contains(pyatspi.STATE_EDITABLE)), None))
        proposed = entry.queryText().getText(0, -1)
        screen_shot(os.path.join(SHOTS, f'console-{KIND}-file-chooser.png'))
        click(entry)
        xdotool('key', '--delay', '80', 'ctrl+a')
        xdotool('type', '--delay', '40', target)
        typed = wait_for('the typed path in the entry',
                         lambda: entry.queryText().getText(0, -1))
        if typed != target:
            # Inline completion can add to what was typed: say so, then fix it.
            diag(f'the entry reads {typed!r} after typing; setting {target!r}')
            entry.queryEditableText().setTextContents(target)
        xdotool('key', 'Return')
        wait_for('the file chooser to close', lambda: not self.hangar.dialogs())
        pix = wait_for(f'a PNG at {target}',
                       lambda: os.path.exists(target) and GdkPixbuf.Pixbuf.new_from_file(target))
        fmt, _, _ = GdkPixbuf.Pixbuf.get_file_info(target)
        if fmt is None or fmt.get_name() != 'png':
            raise Failure(f'{target} is not a PNG: {fmt and fmt.get_name()}')
        size = (pix.get_width(), pix.get_height())
        if size != self.guest_size:
            raise Failure(f'the saved screenshot is {size[0]}x{size[1]}, the guest\'s display '
                          f'{self.guest_size[0]}x{self.guest_size[1]}')
        facts = describe(pixels(pix))
        if facts['blue'] < 0.4:
            raise Failure(f'the saved screenshot does not show the banner: {facts}')
        ok(f'Screenshot: the chooser proposed {proposed!r}; saved {target}, a PNG of '
           f'{size[0]}x{size[1]} like libvirt\'s, {facts["blue"]:.0%} blue')

    # -- 6. reconnect --------------------------------------------------------

    def check_reconnect(self):
        frames_before = self.hangar.count('HANGAR-CONSOLE-FRAME ')

        def force_off():
            for acc in walk(self.hangar.frame):
                if acc.name == 'Force Off' and acc.getRole() == pyatspi.ROLE_PUSH_BUTTON and \
                        acc.getState().contains(pyatspi.STATE_SENSITIVE):
                    return acc
            return None
        button = wait_for('a visible "Force Off" button', force_off)
        click(button)

        def not_running():
            for acc in walk(self.hangar.frame):
                if acc.getRole() == pyatspi.ROLE_LABEL and 'is not running' in acc.name:
                    return acc
            return None
        label = wait_for('the status overlay to say the VM is not running', not_running)
        text = label.name
        if VM not in text:
            raise Failure(f'the overlay reads {text!r}, not naming {VM}')
        if self.guest.qemu_pids():
            raise Failure(f'QEMU still runs after Force Off: {self.guest.qemu_pids()}')
        screen_shot(os.path.join(SHOTS, f'console-{KIND}-not-running.png'))
        # The overlay's own Start button sits in the same box as the label.
        box = label.parent
        start = wait_for('the overlay\'s "Start" button', lambda: next(
            (box.getChildAtIndex(i) for i in range(box.childCount)
             if box.getChildAtIndex(i) is not None
             and box.getChildAtIndex(i).getRole() == pyatspi.ROLE_PUSH_BUTTON
             and box.getChildAtIndex(i).name == 'Start' and showing(box.getChildAtIndex(i))),
            None))
        ok(f'Force Off: the overlay reads {text!r} with a "Start" button')

        # libvirt truncates the log when QEMU starts: a fresh file is clearer.
        os.unlink(SERIAL_LOG)
        t0 = time.monotonic()
        click(start)
        self.offset = wait_log('HANGAR-GUEST-READY', 0, BOOT_TIMEOUT)
        booted = time.monotonic() - t0
        frame = self.hangar.wait_line('HANGAR-CONSOLE-FRAME ', frames_before + 1)
        if frame != f'HANGAR-CONSOLE-FRAME vm={VM}':
            raise Failure(f'unexpected frame report {frame!r}')
        ok(f'the overlay\'s Start: the guest booted again in {booted:.1f} s and the display '
           f'reconnected by itself (HANGAR-CONSOLE-FRAME #{frames_before + 1} after '
           f'{time.monotonic() - t0:.1f} s)')
        self.check_pixels('-reconnected', compare=False)

    # -- the end -------------------------------------------------------------

    def quit_hangar(self):
        # Ctrl+Q over the window's title area, away from the display (a grabbed
        # display would send it to the guest).
        self.release_grab()
        fx, fy, fw, fh = extents(self.hangar.frame)
        xdotool('mousemove', '--sync', str(fx + 20), str(fy + 20))
        xdotool('key', 'ctrl+q')
        try:
            rc = self.hangar.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise Failure('hangar did not quit within 15 s of Ctrl+Q')
        if rc != 0:
            raise Failure(f'hangar exited with status {rc} after Ctrl+Q')
        bad = [line for line in self.hangar.stderr_text().splitlines()
               if '-CRITICAL **' in line or '-WARNING **' in line or 'runtime error' in line
               or 'ERROR: AddressSanitizer' in line or 'LeakSanitizer' in line]
        if bad:
            raise Failure('hangar logged warnings or criticals:\n' + '\n'.join(bad))
        ok('Ctrl+Q quits hangar with status 0, no GLib warnings or criticals on stderr')

    def run(self):
        current = 'boot the guest'
        failed = True
        try:
            self.boot_guest()
            for current, step in [
                ('libvirt screenshot', self.libvirt_screenshot),
                ('start hangar on the console', self.start_hangar),
                ('1. guest pixels', self.check_pixels),
                ('2. keys reach the guest', self.check_typing),
                ('3. Send Keys → Ctrl+Alt+Del', self.check_send_keys),
                ('4. serial console', self.check_serial),
                ('5. screenshot', self.check_screenshot),
                ('6. Force Off, Start, reconnect', self.check_reconnect),
                ('quit', self.quit_hangar),
            ]:
                step()
            failed = False
        except Skip as e:
            print(f'1..0 # SKIP {e}', flush=True)
            failed = False
            return 77
        except (Failure, GLib.Error, subprocess.SubprocessError, OSError, LookupError) as e:
            not_ok(current, e)
            try:
                screen_shot(os.path.join(SHOTS, f'console-{KIND}-failure.png'))
                diag(f'screenshot at failure: {SHOTS}/console-{KIND}-failure.png')
            except Exception as shot_error:  # noqa: BLE001 - best effort
                diag(f'no failure screenshot: {shot_error}')
            if self.hangar is not None:
                diag(f'hangar stdout: {[l for _, l in self.hangar.lines]!r}')
                diag('hangar stderr:\n' + self.hangar.stderr_text()[-4000:])
            diag('serial log end:\n' + log_text()[-1500:])
        finally:
            if self.hangar is not None:
                self.hangar.quit()
            if self.guest is not None:
                self.guest.cleanup(failed)
        print(f'1..{tap.count()}', flush=True)
        if failed:
            print(f'Bail out! {current} failed', flush=True)
            return 1
        return 0


def main():
    for tool in ('xdotool', 'import'):
        if shutil.which(tool) is None:
            print(f'Bail out! {tool} is missing: run build-aux/install-deps.sh test')
            return 99
    for program in (HANGAR, GUEST_CTL):
        if not os.access(program, os.X_OK):
            print(f'Bail out! {program} is not built')
            return 99
    if KIND not in ('vnc', 'spice'):
        print(f'Bail out! unknown display kind {KIND!r} (vnc or spice)')
        return 99

    # A timeout's SIGTERM (meson, the runner) still runs the clean-up.
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    return Test().run()


if __name__ == '__main__':
    sys.exit(main())
