#!/usr/bin/python3
# test_remote.py BUILDDIR: Hangar and a remote host over SSH. The host is a
# network namespace on this machine (tests/remote/remote-host.sh: sshd and a
# test user whose libvirt session runs the VM). Hangar connects with
# qemu+ssh://, lists the remote VM, starts it, and its console shows the
# guest's screen through an SSH tunnel (one SSH login serves libvirt and the
# console); then the link is cut: the sidebar shows the connection lost
# within the keepalive time while the window keeps answering, and after the
# link is back, Reconnect lists the VM running again. Prints TAP.

import os
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, GLib  # noqa: E402

import pyatspi  # noqa: E402

import tap  # noqa: E402
import test_lifecycle as lc  # noqa: E402
from tap import Failure, diag, ok  # noqa: E402

SRCDIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REMOTE_HOST = os.path.join(SRCDIR, 'remote', 'remote-host.sh')
VM = 'rguest'
CONNECTION = '10.231.0.2 (remote)'
KEEPALIVE_LIMIT = 25.0   # libvirt keepalive 3 s x 3 (+ a probe interval), with margin
FAILURE_SHOT = 'remote-failure.png'
lc.VM = VM  # the shared page helpers look for this VM's name


def domain_xml(domtype):
    return f"""<domain type='{domtype}'>
  <name>{VM}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='vga'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
"""


class Remote:
    def __init__(self):
        # Not under the test's private folder: the remote user must reach
        # its home in it.
        self.dir = tempfile.mkdtemp(prefix='hrh', dir='/tmp')
        r = subprocess.run([REMOTE_HOST, 'up', self.dir], capture_output=True, text=True,
                           timeout=120)
        if r.returncode == 77:
            raise SkipTest(r.stderr.strip())
        if r.returncode != 0:
            raise Failure(f'remote-host.sh up failed: {r.stderr}')
        self.uri = r.stdout.strip().splitlines()[-1]
        self.env = {}
        for line in open(os.path.join(self.dir, 'env')):
            key, _, value = line.strip().partition('=')
            self.env[key] = value.strip("'")

    def virsh(self, *commands, check=True):
        r = subprocess.run(['virsh', '-q', '-c', self.env['HARNESS_URI'], ' ; '.join(commands)],
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL, start_new_session=True)
        if check and r.returncode != 0:
            raise Failure(f'virsh {commands}: {r.stderr.strip()}')
        return r.stdout

    def logins(self):
        """Logins with Hangar's key (the harness has a key of its own)."""
        key = self.env['PASSPHRASE_KEY_FINGERPRINT']
        with open(os.path.join(self.dir, 'sshd.log')) as f:
            return sum(1 for line in f if 'Accepted publickey' in line and key in line)

    def link(self, up):
        subprocess.run(['ip', 'link', 'set', self.env['HOST_IF'], 'up' if up else 'down'],
                       check=True, timeout=10)

    def down(self):
        subprocess.run([REMOTE_HOST, 'down', self.dir], timeout=60)


class SkipTest(Exception):
    pass


def start_hangar(uri):
    env = dict(os.environ, HANGAR_REPORT_READY='1', G_MESSAGES_DEBUG='',
               HANGAR_ASKPASS=os.path.join(lc.BUILDDIR, 'src', 'hangar-askpass'))
    env.pop('NO_AT_BRIDGE', None)
    log = open(os.path.join(lc.TMP, 'hangar-remote.stderr'), 'w+')
    # Its own session: no terminal, so ssh would ask through hangar-askpass.
    proc = subprocess.Popen([lc.HANGAR, '--connect', uri, '--connect', 'test:///default',
                             '--select', VM], env=env,
                            stdout=subprocess.PIPE, stderr=log, text=True,
                            start_new_session=True)
    proc.stderr_log = log
    return proc


def read_line(proc, prefix, timeout):
    import select
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(prefix):
                return line.strip()
        if proc.poll() is not None:
            break
    raise Failure(f'no {prefix} line within {timeout:.0f} s')


def text_pixels(pixbuf):
    """Pixels of SeaBIOS's light grey text: neutral grey between 0x70 and 0xD0."""
    data = pixbuf.get_pixels()
    stride, n = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    count = 0
    for y in range(0, pixbuf.get_height(), 2):
        row = y * stride
        for x in range(0, pixbuf.get_width(), 2):
            i = row + x * n
            r, g, b = data[i], data[i + 1], data[i + 2]
            if r == g == b and 0x70 <= r <= 0xD0:
                count += 1
    return count


def askpass_dialog(title):
    desktop = lc.fresh(pyatspi.Registry.getDesktop(0))
    seen = []
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None:
            seen.append(lc.fresh(app).name)
        if app is None or app.name != 'hangar-askpass':
            continue
        for j in range(app.childCount):
            d = lc.fresh(app.getChildAtIndex(j))
            if d is not None and d.name == title and lc.showing(d):
                return d
            seen.append(f'{app.name}: {d.name if d else None!r}')
    askpass_dialog.seen = seen
    return None


def step_askpass(remote):
    """ssh asks, through hangar-askpass, to trust the unknown host, then for
    the key's passphrase; a person answers both."""
    try:
        d = lc.wait_for('the "Unknown Host" question', lambda: askpass_dialog('Unknown Host'),
                        timeout=60)
    except Failure as e:
        raise Failure(f'{e}; AT-SPI apps: {getattr(askpass_dialog, "seen", None)!r}; '
                      f'askpass processes: ' +
                      subprocess.run(['pgrep', '-af', 'askpass'], capture_output=True,
                                     text=True).stdout)
    question = ' '.join(lc.text_of(a) for a in lc.find_all(d, pyatspi.ROLE_LABEL))
    if '10.231.0.2' not in question or 'fingerprint' not in question:
        raise Failure(f'the host key question reads {question!r}')
    lc.screenshot('askpass-host-key.png', d)
    lc.click(lc.wait_for('"Trust This Host"',
                         lambda: lc.find(d, pyatspi.ROLE_PUSH_BUTTON, 'Trust This Host')))
    d = lc.wait_for('the passphrase question', lambda: askpass_dialog('SSH Authentication'),
                    timeout=30)
    prompt = ' '.join(lc.text_of(a) for a in lc.find_all(d, pyatspi.ROLE_LABEL))
    if 'id_passphrase' not in prompt:
        raise Failure(f'the passphrase prompt reads {prompt!r}')
    lc.screenshot('askpass-passphrase.png', d)
    entry = lc.wait_for('the passphrase field',
                        lambda: lc.find(d, pyatspi.ROLE_PASSWORD_TEXT, 'Password or passphrase'))
    lc.click(entry)
    lc.type_text(remote.env['PASSPHRASE'])
    lc.keys('Return')
    lc.wait_for('the askpass dialog to close',
                lambda: askpass_dialog('SSH Authentication') is None, timeout=10)
    ok('hangar-askpass asked to trust the unknown host (its fingerprint shown) and for the '
       'key\'s passphrase; both answered there, no terminal involved')


def step_connected(h, remote):
    texts = lc.wait_for(f'the "{CONNECTION}" row with its VM',
                        lambda: (lambda t: any(r.startswith(VM + '\n') for r in t) and t)(
                            h.row_texts()), timeout=60)
    conn = [t for t in texts if t.startswith(CONNECTION + '\n')]
    lc.wait_for('the test driver\'s row', lambda: h.row('test'))
    if conn != [CONNECTION + '\n1 VM']:
        raise Failure(f'sidebar rows: {texts!r}')
    vm_rows = [t for t in texts if t.startswith(VM + '\n')]
    if vm_rows != [VM + '\nShut off']:
        raise Failure(f'expected "{VM}" shut off, rows: {texts!r}')
    ok(f'hangar --connect {remote.env["PASSPHRASE_URI"].split("?")[0]}: the sidebar lists "{CONNECTION}" '
       f'with "{VM}", shut off')


def step_start(h, remote):
    lc.click(lc.wait_for('the "Start" button', lambda: h.button('Start')))
    lc.wait_for('the VM page to say Running', lambda: h.state_text() == 'Running', timeout=60)
    state = remote.virsh(f'domstate {VM}').strip()
    if state != 'running':
        raise Failure(f'the remote libvirt says {state!r}')
    ok(f'Start: the page says Running and the remote host\'s libvirt says {state!r}')


def step_console(h, remote, proc):
    tab = lc.wait_for('the "Console" tab',
                      lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Console') or
                      lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Console'))
    lc.click(tab)
    t0 = time.monotonic()
    read_line(proc, 'HANGAR-CONSOLE-FRAME', 60)
    took = time.monotonic() - t0
    # SeaBIOS needs a moment to print its last line.
    time.sleep(2.0)
    display = lc.wait_for('the "Guest display" widget',
                          lambda: lc.find(h.frame, pyatspi.ROLE_DRAWING_AREA, 'Guest display') or
                          lc.find(h.frame, pyatspi.ROLE_UNKNOWN, 'Guest display') or
                          next((a for a in lc.walk(h.frame) if a.name == 'Guest display'), None))
    shot = lc.screenshot('remote-console-widget.png', display)
    shown = text_pixels(GdkPixbuf.Pixbuf.new_from_file(shot))
    ref_path = os.path.join(lc.SHOTS, 'remote-console-libvirt.ppm')
    remote.virsh(f'screenshot {VM} {ref_path}')
    ref = text_pixels(GdkPixbuf.Pixbuf.new_from_file(ref_path))
    diag(f'guest text pixels: display {shown}, libvirt screenshot {ref}')
    if ref < 300:
        raise Failure(f'the remote guest shows too little text to compare ({ref} pixels)')
    if shown < ref * 0.5:
        raise Failure(f'the display shows {shown} text pixels, the guest\'s screen {ref}')
    logins = remote.logins()
    if logins != 1:
        raise Failure(f'sshd accepted {logins} logins; libvirt and the console should share one')
    if askpass_dialog('SSH Authentication') or askpass_dialog('Unknown Host'):
        raise Failure('the console tunnel asked for the passphrase again')
    ok(f'Console: a guest frame came through the SSH tunnel ({took:.1f} s after the click); the display '
       f'shows the guest\'s text ({shown} pixels, libvirt\'s screenshot {ref}); sshd saw one '
       f'login for libvirt and the console, and no second passphrase question')
    lc.screenshot('remote-console.png')


def step_cut(h, remote):
    remote.link(False)
    t0 = time.monotonic()
    lc.wait_for('the connection shown as lost',
                lambda: any(t.startswith(CONNECTION + '\n') and not t.endswith('VM')
                            for t in h.row_texts()),
                timeout=KEEPALIVE_LIMIT, interval=0.2)
    took = time.monotonic() - t0
    row = [t for t in h.row_texts() if t.startswith(CONNECTION + '\n')]
    # The window answers while the host does not.
    t1 = time.monotonic()
    for _ in range(5):
        lc.fresh(h.frame).name
        h.row_texts()
    per_read = (time.monotonic() - t1) * 1000 / 5
    if per_read > 500:
        raise Failure(f'{per_read:.0f} ms per AT-SPI read while the link is down')
    lc.screenshot('remote-lost.png')

    # VMs on other connections keep working meanwhile.
    lc.VM = 'test'
    try:
        lc.click(lc.wait_for('the "test" row', lambda: h.row('test'))[0])
        lc.click(lc.wait_for('"Force Off" for "test"', lambda: h.button('Force Off')))
        lc.wait_for('"test" shut off', lambda: h.state_text() == 'Shut off', timeout=10)
        lc.click(lc.wait_for('"Start" for "test"', lambda: h.button('Start')))
        lc.wait_for('"test" running', lambda: h.state_text() == 'Running', timeout=10)
    finally:
        lc.VM = VM
    ok(f'link cut: after {took:.1f} s the sidebar shows {row!r}; the window answers in '
       f'{per_read:.0f} ms per read, and "test" on test:///default still forces off and starts')


def wait_back(h, remote, what, timeout):
    """Waits until the connection lists the VM running again, answering the
    passphrase question if a new SSH login asks it (the shared connection
    may have died with the link). Returns how many times it was asked."""
    asked = []

    def back():
        d = askpass_dialog('SSH Authentication')
        if d is not None:
            entry = lc.find(d, pyatspi.ROLE_PASSWORD_TEXT, 'Password or passphrase')
            if entry is not None:
                lc.click(entry)
                lc.type_text(remote.env['PASSPHRASE'])
                lc.keys('Return')
                asked.append(time.monotonic())
                time.sleep(0.5)
        rows = h.row_texts()
        return f'{VM}\nRunning' in rows and f'{CONNECTION}\n1 VM' in rows
    lc.wait_for(what, back, timeout=timeout, interval=0.3)
    return len(asked)


def step_auto_reconnect(h, remote):
    time.sleep(3)  # at least one automatic attempt fails while the link is down
    remote.link(True)
    t0 = time.monotonic()
    asked = wait_back(h, remote, f'"{VM}" back by itself', 60)
    ok(f'link back: the connection came back by itself (retry with back-off) after '
       f'{time.monotonic() - t0:.1f} s, {asked} passphrase question(s) on the way')


def step_reconnect(h, remote):
    remote.link(False)
    lc.wait_for('the connection shown as lost again',
                lambda: any(t.startswith(CONNECTION + '\n') and not t.endswith('VM')
                            for t in h.row_texts()),
                timeout=KEEPALIVE_LIMIT, interval=0.2)
    remote.link(True)
    lc.click(lc.wait_for(f'the "{CONNECTION}" row', lambda: h.row(CONNECTION))[0])
    button = lc.wait_for('the "Reconnect" button',
                         lambda: lc.find(h.frame, pyatspi.ROLE_PUSH_BUTTON, 'Reconnect'))
    lc.click(button)
    asked = wait_back(h, remote, f'"{VM}" running again', 60)
    ok(f'cut again, link back, Reconnect: the connection lists "rguest" running again '
       f'({asked} passphrase question(s) on the way)')


def main():
    tap.configure(timed=True)
    if os.geteuid() != 0:
        print('1..0 # SKIP needs root for the network namespace (ip netns)', flush=True)
        return 77
    workdir = tempfile.mkdtemp(prefix='hrem-', dir=lc.TMP)
    remote = proc = h = None
    current = 'set up the remote host'
    try:
        remote = Remote()
        domtype = 'kvm' if os.access('/dev/kvm', os.R_OK | os.W_OK) else 'qemu'
        xml = os.path.join(remote.dir, 'rguest.xml')
        with open(xml, 'w') as f:
            f.write(domain_xml(domtype))
        remote.virsh(f'define {xml}')
        ok(f'remote host up: sshd and libvirt in a network namespace, "{VM}" defined '
           f'({domtype})')
        current = 'start hangar'
        proc = start_hangar(remote.env['PASSPHRASE_URI'])
        current = 'askpass'
        step_askpass(remote)
        lc.read_ready(proc, timeout=60)
        current = 'find hangar'
        h = lc.step_find_app(proc)
        current = 'connected'
        step_connected(h, remote)
        current = 'start the remote VM'
        step_start(h, remote)
        current = 'console through the tunnel'
        step_console(h, remote, proc)
        current = 'cut the link'
        step_cut(h, remote)
        current = 'automatic reconnect'
        step_auto_reconnect(h, remote)
        current = 'reconnect'
        step_reconnect(h, remote)
        current = 'quit'
        lc.step_quit(h)
    except SkipTest as e:
        print(f'1..0 # SKIP {e}', flush=True)
        return 77
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError, LookupError) as e:
        def describe():
            if h is not None:
                diag(f'sidebar rows: {h.row_texts()!r}')
        return lc.bail_out(current, e, proc, FAILURE_SHOT, describe)
    finally:
        lc.stop_hangar(proc)
        if remote is not None:
            try:
                remote.link(True)
                remote.virsh(f'destroy {VM}', check=False)
            except Exception:  # noqa: BLE001 - best effort
                pass
            remote.down()
            subprocess.run(['rm', '-rf', remote.dir], check=False)
        subprocess.run(['rm', '-rf', workdir], check=False)
    print(f'1..{tap.count()}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
