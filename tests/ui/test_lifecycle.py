#!/usr/bin/python3
# test_lifecycle.py BUILDDIR: drives the real hangar window the way a person
# would (mouse and keyboard through xdotool, reading the screen through
# AT-SPI) against libvirt's test driver: select the "test" VM, force it off,
# start, pause and resume it, filter the list, delete it; checks that a
# second "hangar" joins the first instead of opening another window, and that
# "hangar --help" names its options. Prints TAP; stops at the first failure.
#
# Run it through run-ui-test.sh, which provides Xvfb, a private session bus
# and the AT-SPI bus. Needs Debian's /usr/bin/python3 (pyatspi, gi).

import faulthandler
import os
import select
import signal
import shutil
import subprocess
import sys
import time

import gi

gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, GLib  # noqa: E402

import pyatspi  # noqa: E402

import tap  # noqa: E402
from tap import Failure, diag, not_ok, ok, pump  # noqa: E402

BUILDDIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ['HANGAR_BUILDDIR'])
HANGAR = os.path.join(BUILDDIR, 'src', 'hangar')
SHOTS = os.path.join(BUILDDIR, 'tests', 'ui', 'screenshots')
FAILURE_SHOT = 'lifecycle-failure.png'
TMP = os.environ.get('HANGAR_UI_TMP', '/tmp')
VM = 'test'
CONNECTION = 'Test driver test:///default'
STATE_TIMEOUT = 5.0     # how long a person would wait for a VM to change state
FIND_TIMEOUT = 10.0     # widgets appearing after a click or a start

# Buttons on the VM page for each state: exactly these are visible.
BUTTONS = {
    'Running': {'Pause', 'Shut Down', 'Reboot', 'Force Off', 'Delete…'},
    'Paused': {'Resume', 'Force Off', 'Delete…'},
    'Shut off': {'Start', 'Delete…'},
}


# ---------------------------------------------------------------------------
# AT-SPI helpers

def wait_for(what, predicate, timeout=FIND_TIMEOUT, interval=0.05):
    return tap.wait_for(what, predicate, timeout, interval)


def fresh(acc):
    """Drops libatspi's cached copy of acc (name, states, children) so the
    next reads ask hangar. Never Atspi.Cache.NONE for the whole application:
    with it, libatspi deadlocks when a children-changed event arrives during
    a call (it queries states from inside its own dispatch)."""
    if acc is not None:
        Atspi.Accessible.clear_cache(acc)
    return acc


def has(acc, state):
    return fresh(acc).getState().contains(state)


def text_of(acc):
    """The accessible's text through its Text interface (never cached)."""
    return acc.queryText().getText(0, -1)


def showing(acc):
    try:
        return has(acc, pyatspi.STATE_SHOWING)
    except GLib.Error:
        return False


def walk(acc, max_depth=40, skip_hidden=True):
    """Yields acc and its descendants, depth first, in child order. With
    skip_hidden, subtrees that are not showing are left out."""
    if acc is None:
        return
    fresh(acc)
    if skip_hidden and acc.getRole() != pyatspi.ROLE_APPLICATION and not showing(acc):
        return
    yield acc
    if max_depth == 0:
        return
    # Tables list every row as a child; tree rows are handled by row_texts().
    if acc.getRole() == pyatspi.ROLE_TREE_TABLE:
        return
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            yield from walk(child, max_depth - 1, skip_hidden)


def find(root, role, name=None, skip_hidden=True):
    for acc in walk(root, skip_hidden=skip_hidden):
        if acc.getRole() == role and (name is None or acc.name == name):
            return acc
    return None


def find_all(root, role, skip_hidden=True):
    return [a for a in walk(root, skip_hidden=skip_hidden) if a.getRole() == role]


def hangar_apps():
    desktop = fresh(pyatspi.Registry.getDesktop(0))
    apps = []
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and fresh(app).name == 'hangar':
            apps.append(app)
    return apps


def frames(app):
    fresh(app)
    children = [fresh(app.getChildAtIndex(i)) for i in range(app.childCount)]
    return [c for c in children if c is not None and c.getRole() == pyatspi.ROLE_FRAME]


def center(acc):
    ext = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    if ext.width <= 0 or ext.height <= 0:
        raise Failure(f'{acc.getRoleName()} {acc.name!r} has no area on screen: {ext}')
    return ext.x + ext.width // 2, ext.y + ext.height // 2


# ---------------------------------------------------------------------------
# Input, as a person gives it

def xdotool(*args):
    subprocess.run(['xdotool', *args], check=True, timeout=10)


def click(acc):
    """Moves the pointer onto acc and clicks it with the first button."""
    x, y = center(acc)
    # `mousemove --sync` waits for the pointer to move: never when it is there.
    where = subprocess.run(['xdotool', 'getmouselocation', '--shell'], capture_output=True,
                           text=True, timeout=10).stdout
    if f'X={x}\n' not in where or f'Y={y}\n' not in where:
        xdotool('mousemove', '--sync', str(x), str(y))
    time.sleep(0.05)
    xdotool('click', '1')


def keys(*combos):
    xdotool('key', '--delay', '40', *combos)


def type_text(text):
    xdotool('type', '--delay', '60', text)


def screenshot(name, acc=None):
    """Saves the whole screen, or only acc's area on it, as SHOTS/name."""
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name)
    crop = []
    if acc is not None:
        e = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        crop = ['-crop', f'{e.width}x{e.height}+{e.x}+{e.y}', '+repage']
    subprocess.run(['import', '-window', 'root', *crop, path], check=True, timeout=30)
    return path


def named(root, name, roles=None):
    """The first showing accessible below root called name (of one of roles)."""
    for acc in walk(root):
        if acc.name == name and (roles is None or acc.getRole() in roles):
            return acc
    return None


def showing_dialog(app):
    """The application's dialog that is on screen, if any."""
    for i in range(fresh(app).childCount):
        child = fresh(app.getChildAtIndex(i))
        if child is not None and child.getRole() == pyatspi.ROLE_DIALOG and showing(child):
            return child
    return None


def set_field(root, name, text, roles=(pyatspi.ROLE_TEXT, pyatspi.ROLE_SPIN_BUTTON)):
    """Replaces the text of the field called name, as a person would: a click
    into its text (a spin button's middle may be its "−" button), select
    all, delete, type."""
    field = wait_for(f'the "{name}" field', lambda: named(root, name, roles))
    if not has(field, pyatspi.STATE_FOCUSED):
        e = field.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
        xdotool('mousemove', '--sync', str(e.x + 12), str(e.y + e.height // 2))
        xdotool('click', '1')
    wait_for(f'"{name}" to take the focus', lambda: has(field, pyatspi.STATE_FOCUSED))
    keys('ctrl+a', 'BackSpace')
    if text:
        xdotool('type', '--delay', '40', '--', text)
    return field


# ---------------------------------------------------------------------------
# Hangar's widgets

class Hangar:
    def __init__(self, proc, app):
        self.proc = proc
        self.app = app

    @property
    def frame(self):
        fs = frames(self.app)
        if len(fs) != 1:
            raise Failure(f'expected one hangar window, found {len(fs)}')
        return fs[0]

    def table(self):
        t = find(self.frame, pyatspi.ROLE_TREE_TABLE, 'Virtual machines')
        if t is None:
            raise LookupError('no tree table named "Virtual machines"')
        return t

    def rows(self):
        """[(row cell, text)] of the sidebar, top to bottom. Each row is one
        cell holding an icon cell and a text cell; the text is the row's."""
        t = fresh(self.table())
        rows = []
        for i in range(t.childCount):
            row = fresh(t.getChildAtIndex(i))
            if row is None or row.getRole() != pyatspi.ROLE_TABLE_CELL:
                continue
            cells = [fresh(row.getChildAtIndex(j)) for j in range(row.childCount)]
            texts = [text_of(c) for c in cells
                     if c is not None and 'Text' in pyatspi.listInterfaces(c)]
            texts = [x for x in texts if x]
            rows.append((row, texts[0] if texts else row.name))
        return rows

    def row_texts(self):
        return [text for _, text in self.rows()]

    def row(self, first_line):
        for row, text in self.rows():
            if text.split('\n', 1)[0] == first_line:
                return row, text
        return None

    def vm_row_text(self):
        r = self.row(VM)
        return r[1] if r else None

    def page_header(self):
        """The VM page's name and state labels: two labels in one box, the
        first reading the VM's name."""
        for label in find_all(self.frame, pyatspi.ROLE_LABEL):
            if label.name != VM:
                continue
            parent = label.parent
            if parent is None or parent.childCount != 2 or parent.getChildAtIndex(0) != label:
                continue
            state = parent.getChildAtIndex(1)
            if state is not None and state.getRole() == pyatspi.ROLE_LABEL:
                return label, state
        return None

    def state_text(self):
        header = self.page_header()
        if header is None or not showing(header[1]):
            return None
        return text_of(header[1])

    def buttons(self):
        """{name: accessible} of the VM page's visible action buttons."""
        header = self.page_header()
        if header is None:
            raise LookupError('no VM page header')
        # header box -> title row -> page box; the action row follows the title row.
        title_row = header[0].parent.parent
        page_box = title_row.parent
        idx = title_row.getIndexInParent()
        action_row = page_box.getChildAtIndex(idx + 1)
        found = {}
        for i in range(action_row.childCount):
            b = action_row.getChildAtIndex(i)
            if b is not None and b.getRole() == pyatspi.ROLE_PUSH_BUTTON and showing(b):
                found[b.name] = b
        return found

    def button(self, name):
        b = self.buttons().get(name)
        if b is None:
            return None
        return b if has(b, pyatspi.STATE_SENSITIVE) else None


def notices(root):
    """[(kind, text)] of the info bars showing in root: the window's notices
    and the VM page's errors. An unrevealed bar shows no label."""
    found = []
    for bar in find_all(root, pyatspi.ROLE_INFO_BAR):
        for label in find_all(bar, pyatspi.ROLE_LABEL):
            text = text_of(label)
            if text:
                found.append((bar.name, text))
    return found


def start_hangar(extra_env=None):
    env = dict(os.environ, HANGAR_REPORT_READY='1', G_MESSAGES_DEBUG='')
    env.pop('NO_AT_BRIDGE', None)
    if extra_env:
        env.update(extra_env)
    log = open(os.path.join(TMP, 'hangar.stderr'), 'w+')
    proc = subprocess.Popen([HANGAR, '--connect', 'test:///default', '--select', VM],
                            env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    proc.stderr_log = log
    return proc


def read_ready(proc, timeout=30.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line.rstrip('\n'))
            if line.startswith('HANGAR-READY '):
                return line.strip()
        if proc.poll() is not None:
            break
    raise Failure(f'no HANGAR-READY within {timeout:.0f} s (exit status {proc.poll()}); '
                  f'stdout: {seen!r}')


def hangar_stderr(proc):
    proc.stderr_log.flush()
    proc.stderr_log.seek(0)
    return proc.stderr_log.read()


def stop_hangar(proc):
    """Ends a hangar the test started, if it still runs."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bail_out(current, error, proc, shot, describe=None):
    """Reports the failed step with a screenshot, what describe() says of the
    window and hangar's stderr, ends the TAP plan; returns the exit status."""
    not_ok(current, error)
    try:
        diag(f'screenshot at failure: {screenshot(shot)}')
    except Exception as shot_error:  # noqa: BLE001 - best effort
        diag(f'no failure screenshot: {shot_error}')
    if describe is not None:
        try:
            describe()
        except Exception as more:  # noqa: BLE001 - best effort
            diag(f'(could not read the window: {more})')
    if proc is not None:
        diag('hangar stderr:\n' + hangar_stderr(proc)[-4000:])
    print(f'1..{tap.count()}')
    print(f'Bail out! {current} failed', flush=True)
    return 1


# ---------------------------------------------------------------------------
# The steps

def step_help():
    env = dict(os.environ)
    env.pop('DISPLAY', None)
    r = subprocess.run([HANGAR, '--help'], env=env, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Failure(f'hangar --help exited with {r.returncode}: {r.stderr}')
    lines = [line.split() for line in r.stdout.splitlines()]
    for option in ('--connect=URI', '--select=NAME'):
        if not any(option in words for words in lines):
            raise Failure(f'hangar --help does not list {option}:\n{r.stdout}')
    ok('hangar --help lists --connect=URI and --select=NAME (no display needed)')


def step_start():
    t0 = time.monotonic()
    proc = start_hangar()
    line = read_ready(proc)
    fields = dict(f.split('=', 1) for f in line.split()[1:])
    if fields.get('vms') != '1':
        raise Failure(f'expected the test driver\'s one VM, got {line!r}')
    ok(f'hangar reports ready: {line} (after {time.monotonic() - t0:.2f} s wall)')
    return proc


def step_find_app(proc):
    apps = wait_for('hangar on the AT-SPI bus', hangar_apps)
    if len(apps) != 1:
        raise Failure(f'expected one hangar application on the AT-SPI bus, found {len(apps)}')
    app = apps[0]
    if app.get_process_id() != proc.pid:
        raise Failure(f'the hangar on the bus is pid {app.get_process_id()}, we started {proc.pid}')
    h = Hangar(proc, app)
    frame = wait_for('the main window', lambda: frames(app) and frames(app)[0])
    if frame.name != 'Hangar':
        raise Failure(f'main window is named {frame.name!r}, expected "Hangar"')
    ok('the AT-SPI bridge is loaded: one hangar application with one frame "Hangar"')
    return h


def step_sidebar(h):
    wait_for('the "Virtual machines" table', h.table)
    texts = wait_for(f'a row for VM "{VM}"', lambda: h.vm_row_text() and h.row_texts())
    diag(f'sidebar rows: {texts!r}')
    connection_rows = [t for t in texts if t.startswith(CONNECTION + '\n')]
    if connection_rows != [CONNECTION + '\n1 VM']:
        raise Failure(f'expected one row {CONNECTION!r} with "1 VM", rows are {texts!r}')
    if h.vm_row_text() != f'{VM}\nRunning':
        raise Failure(f'VM row reads {h.vm_row_text()!r}, expected {VM + chr(10) + "Running"!r}')
    # The VM row comes right after its connection's row.
    if texts.index(f'{VM}\nRunning') != texts.index(CONNECTION + '\n1 VM') + 1:
        raise Failure(f'VM row is not under its connection: {texts!r}')
    ok(f'sidebar table "Virtual machines" lists {CONNECTION!r} with "1 VM" and "{VM}\\nRunning"')

    row, _ = h.row(VM)
    if not has(row, pyatspi.STATE_SELECTED):
        raise Failure(f'--select {VM}: the row is not selected')
    state = wait_for('the VM page state label', h.state_text)
    if state != 'Running':
        raise Failure(f'VM page state label reads {state!r}, expected "Running"')
    shown = set(wait_for('the action buttons', h.buttons))
    if shown != BUTTONS['Running']:
        raise Failure(f'visible buttons {sorted(shown)}, expected {sorted(BUTTONS["Running"])}')
    shown_notices = notices(h.frame)
    if shown_notices:
        raise Failure(f'notices show at start: {shown_notices!r}')
    ok(f'--select {VM}: row selected, no notice, page reads "{VM}" / "Running" with buttons '
       f'{", ".join(sorted(shown))}')


def step_click_rows(h):
    # Click the connection row: the connection page replaces the VM page.
    conn_row, _ = h.row(CONNECTION)
    click(conn_row)
    wait_for('the connection row to be selected',
             lambda: has(h.row(CONNECTION)[0], pyatspi.STATE_SELECTED))
    status = wait_for('the connection page',
                      lambda: find(h.frame, pyatspi.ROLE_LABEL, 'Connected, 1 virtual machine'))
    if h.state_text() is not None:
        raise Failure('the VM page still shows after selecting the connection row')
    if find(h.frame, pyatspi.ROLE_LABEL, 'test:///default') is None:
        raise Failure('the connection page does not show the URI test:///default')
    ok(f'clicking the connection row shows its page: "{status.name}"')

    # And back to the VM by clicking its row.
    vm_row, _ = h.row(VM)
    click(vm_row)
    wait_for('the VM row to be selected',
             lambda: has(h.row(VM)[0], pyatspi.STATE_SELECTED))
    state = wait_for('the VM page', h.state_text)
    if state != 'Running':
        raise Failure(f'after clicking the VM row the state label reads {state!r}')
    ok(f'clicking the "{VM}" row shows its page again, state "Running"')

    # The keyboard moves the selection too: the click left the focus in the table.
    if not has(h.table(), pyatspi.STATE_FOCUSED):
        raise Failure('clicking a row did not focus the "Virtual machines" table')
    keys('Up')
    wait_for('Up to select the connection row',
             lambda: has(h.row(CONNECTION)[0], pyatspi.STATE_SELECTED))
    wait_for('the connection page', lambda: h.state_text() is None
             and find(h.frame, pyatspi.ROLE_LABEL, 'Connected, 1 virtual machine'))
    keys('Down')
    wait_for('Down to select the VM row', lambda: has(h.row(VM)[0], pyatspi.STATE_SELECTED))
    state = wait_for('the VM page', h.state_text)
    if state != 'Running':
        raise Failure(f'after Down the state label reads {state!r}')
    ok('Up and Down in the table select the connection, then the VM, and the page follows')


def lifecycle_step(h, button, expected):
    b = wait_for(f'a visible, sensitive "{button}" button', lambda: h.button(button))
    click(b)
    t0 = time.monotonic()

    def reached():
        state = h.state_text()
        row = h.vm_row_text()
        if state == expected and row == f'{VM}\n{expected}':
            return state, row
        return None
    try:
        wait_for(f'"{expected}" after pressing "{button}"', reached, timeout=STATE_TIMEOUT)
    except Failure as e:
        raise Failure(f'{e}\nstate label: {h.state_text()!r}, sidebar row: {h.vm_row_text()!r}')
    elapsed = time.monotonic() - t0
    # The buttons follow the state once the action has finished.
    try:
        shown = wait_for(f'the buttons for "{expected}"',
                         lambda: set(h.buttons()) == BUTTONS[expected] and set(h.buttons()),
                         timeout=STATE_TIMEOUT)
    except Failure:
        raise Failure(f'visible buttons in state {expected!r}: {sorted(h.buttons())}, '
                      f'expected {sorted(BUTTONS[expected])}')
    # Only the state's buttons, and each of them can be pressed.
    insensitive = [n for n, acc in h.buttons().items()
                   if not has(acc, pyatspi.STATE_SENSITIVE)]
    if insensitive:
        raise Failure(f'buttons visible but insensitive in state {expected!r}: {insensitive}')
    errors = notices(h.frame)
    if errors:
        raise Failure(f'"{button}" left a message: {errors!r}')
    ok(f'"{button}" → page and sidebar read "{expected}" in {elapsed:.2f} s; '
       f'buttons {", ".join(sorted(shown))}')


def step_screenshot_main(h):
    # A settled page: Running, no spinner (busy), pointer off the widgets.
    wait_for('a settled "Running" page',
             lambda: h.state_text() == 'Running'
             and not find(h.frame, pyatspi.ROLE_ANIMATION, 'Spinner'))
    xdotool('mousemove', '--sync', '1270', '790')
    path = screenshot('main-window.png')
    ok(f'screenshot of the main window: {path}')


def step_filter(h):
    entry = find(h.frame, pyatspi.ROLE_TEXT, 'Filter VMs')
    if entry is None:
        raise Failure('no text entry named "Filter VMs"')
    # Ctrl+F is the window's "Find VM" shortcut: it must focus the filter.
    # Without a window manager, keys go to the window under the pointer.
    x, y = center(h.page_header()[1])
    xdotool('mousemove', '--sync', str(x), str(y))
    keys('ctrl+f')
    wait_for('Ctrl+F to focus the filter entry',
             lambda: has(entry, pyatspi.STATE_FOCUSED))
    type_text('zzz')
    wait_for('the filter entry to read "zzz"',
             lambda: text_of(entry) == 'zzz')
    try:
        wait_for(f'the "{VM}" row to disappear', lambda: h.vm_row_text() is None)
    except Failure:
        raise Failure(f'filter "zzz" leaves rows {h.row_texts()!r}')
    texts = h.row_texts()
    if not any(t.startswith(CONNECTION + '\n') for t in texts):
        raise Failure(f'the filter hid the connection row too: {texts!r}')
    ok(f'typing "zzz" in "Filter VMs" hides the VM; rows left: {texts!r}')

    keys('ctrl+a', 'BackSpace')
    wait_for('the filter entry to be empty', lambda: text_of(entry) == '')
    try:
        wait_for(f'the "{VM}" row to come back', lambda: h.vm_row_text() == f'{VM}\nRunning')
    except Failure:
        raise Failure(f'after clearing the filter rows are {h.row_texts()!r}')
    if not has(h.row(VM)[0], pyatspi.STATE_SELECTED):
        raise Failure('the VM row lost its selection after filtering')
    if h.state_text() != 'Running':
        raise Failure(f'after filtering the page reads {h.state_text()!r}')
    ok('clearing the filter brings the row back, still selected, page still "Running"')


def step_single_instance(h):
    env = dict(os.environ)
    env.pop('HANGAR_REPORT_READY', None)
    t0 = time.monotonic()
    try:
        r = subprocess.run([HANGAR, '--connect', 'test:///default'], env=env,
                           capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        raise Failure('a second "hangar --connect test:///default" did not exit within 15 s')
    elapsed = time.monotonic() - t0
    if r.returncode != 0:
        raise Failure(f'the second hangar exited with {r.returncode}: {r.stderr}')
    if elapsed > 5:
        raise Failure(f'the second hangar took {elapsed:.1f} s to hand over and exit')
    if h.proc.poll() is not None:
        raise Failure(f'the first hangar exited ({h.proc.returncode}) when the second ran')
    time.sleep(0.5)
    pump()
    apps = hangar_apps()
    if len(apps) != 1 or apps[0].get_process_id() != h.proc.pid:
        raise Failure(f'expected only the first hangar (pid {h.proc.pid}) on the AT-SPI bus, '
                      f'found pids {[a.get_process_id() for a in apps]}')
    fs = frames(apps[0])
    if len(fs) != 1:
        raise Failure(f'the first hangar has {len(fs)} windows after the second call, expected 1')
    xwins = subprocess.run(['xdotool', 'search', '--onlyvisible', '--name', '^Hangar$'],
                           capture_output=True, text=True).stdout.split()
    if len(xwins) != 1:
        raise Failure(f'{len(xwins)} visible X windows named "Hangar", expected 1')
    conn_rows = [t for t in h.row_texts() if t.startswith(CONNECTION + '\n')]
    if len(conn_rows) != 1:
        raise Failure(f'the second --connect added a duplicate connection: {h.row_texts()!r}')
    ok(f'a second hangar exits in {elapsed:.2f} s and the first keeps its one window '
       f'(one app, one frame, one X window, one test:///default row)')


def step_delete(h):
    b = wait_for('a "Delete…" button', lambda: h.button('Delete…'))
    click(b)
    title = f'Delete “{VM}”?'

    def dialog():
        for i in range(h.app.childCount):
            w = h.app.getChildAtIndex(i)
            if w is not None and w.getRole() == pyatspi.ROLE_DIALOG and showing(w):
                return w
        return None
    dlg = wait_for('the delete dialog', dialog)
    if dlg.name != title:
        raise Failure(f'delete dialog is titled {dlg.name!r}, expected {title!r}')
    if find(dlg, pyatspi.ROLE_LABEL, title) is None:
        raise Failure(f'the dialog has no heading {title!r}')
    check = find(dlg, pyatspi.ROLE_CHECK_BOX, 'Also delete the VM’s disk images')
    if check is None:
        raise Failure('no check box "Also delete the VM’s disk images" in the dialog: '
                      f'{[c.name for c in find_all(dlg, pyatspi.ROLE_CHECK_BOX)]}')
    if has(check, pyatspi.STATE_CHECKED):
        raise Failure('"Also delete the VM’s disk images" starts checked; it must be opt-in')
    # The dialog lists the images off the main thread; wait until it has.
    images = wait_for('the dialog to finish looking for disk images',
                      lambda: not find(dlg, pyatspi.ROLE_LABEL, 'Looking for the VM’s disk images…')
                      and [lbl.name for lbl in find_all(dlg, pyatspi.ROLE_LABEL)])
    diag(f'dialog labels: {images!r}')
    cancel = find(dlg, pyatspi.ROLE_PUSH_BUTTON, 'Cancel')
    delete = find(dlg, pyatspi.ROLE_PUSH_BUTTON, 'Delete')
    if cancel is None or delete is None:
        raise Failure('the dialog lacks a "Cancel" or a "Delete" button')
    screenshot('delete-dialog-screen.png')
    path = screenshot('delete-dialog.png', dlg)
    ok(f'"Delete…" opens {title!r} with the images check box unchecked; screenshot {path}')

    if has(check, pyatspi.STATE_CHECKED):
        raise Failure('the images check box became checked by itself')
    click(delete)
    wait_for('the delete dialog to close', lambda: dialog() is None)
    try:
        wait_for(f'the "{VM}" row to disappear after deleting', lambda: h.vm_row_text() is None,
                 timeout=STATE_TIMEOUT)
    except Failure:
        raise Failure(f'after deleting, the rows are {h.row_texts()!r}')
    texts = wait_for('the connection row to count 0 VMs',
                     lambda: CONNECTION + '\n0 VMs' in h.row_texts() and h.row_texts())
    ok(f'"Delete" removes the VM from the table; rows now {texts!r}')

    # The page must not keep showing a VM that is gone.
    if h.state_text() is not None:
        raise Failure(f'the deleted VM\'s page still shows, state {h.state_text()!r}')
    errors = notices(h.frame)
    if errors:
        raise Failure(f'a message shows after deleting: {errors!r}')
    # The tree view moves its cursor to the parent row: the connection's page.
    try:
        wait_for('the connection row to be selected',
                 lambda: has(h.row(CONNECTION)[0], pyatspi.STATE_SELECTED), timeout=STATE_TIMEOUT)
        wait_for('the connection page to count 0 virtual machines',
                 lambda: find(h.frame, pyatspi.ROLE_LABEL, 'Connected, 0 virtual machines'),
                 timeout=STATE_TIMEOUT)
    except Failure as e:
        raise Failure(f'{e}\nlabels showing: '
                      f'{[text_of(x) for x in find_all(h.frame, pyatspi.ROLE_LABEL)]!r}')
    ok('the deleted VM\'s page is gone: its connection is selected and reads '
       '"Connected, 0 virtual machines", no message')


def step_quit(h):
    # Ctrl+Q is app.quit; the window has the pointer (Xvfb has no window manager).
    frame = h.frame
    x, y = center(frame)
    xdotool('mousemove', '--sync', str(x), str(y))
    keys('ctrl+q')
    try:
        rc = h.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise Failure('hangar did not quit within 15 s of Ctrl+Q')
    if rc != 0:
        raise Failure(f'hangar exited with status {rc} after Ctrl+Q')
    ok('Ctrl+Q quits hangar with status 0')


def step_stderr(proc):
    text = hangar_stderr(proc)
    bad = [line for line in text.splitlines()
           if '-CRITICAL **' in line or '-WARNING **' in line or 'segfault' in line.lower()]
    if bad:
        raise Failure('hangar logged warnings or criticals:\n' + '\n'.join(bad))
    ok('hangar logged no GLib warnings or criticals')


def main():
    # kill -USR1 shows where a hung test hangs.
    faulthandler.register(signal.SIGUSR1)
    # On TERM (a timeout), unwind so that hangar is stopped in `finally`.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    for tool in ('xdotool', 'import'):
        if shutil.which(tool) is None:
            print(f'Bail out! {tool} is missing: run build-aux/install-deps.sh test')
            return 99
    if not os.access(HANGAR, os.X_OK):
        print(f'Bail out! {HANGAR} is not built')
        return 99

    # A picture of an earlier failure would mislead.
    try:
        os.unlink(os.path.join(SHOTS, FAILURE_SHOT))
    except FileNotFoundError:
        pass

    proc = None
    h = None
    current = 'hangar --help'
    try:
        step_help()
        current = 'start hangar'
        proc = step_start()
        current = 'find hangar on the AT-SPI bus'
        h = step_find_app(proc)
        steps = [
            ('sidebar and --select', lambda: step_sidebar(h)),
            ('select rows by clicking', lambda: step_click_rows(h)),
            ('screenshot of the main window', lambda: step_screenshot_main(h)),
            ('single instance', lambda: step_single_instance(h)),
            ('Force Off', lambda: lifecycle_step(h, 'Force Off', 'Shut off')),
            ('screenshot when shut off', lambda: ok('screenshot when shut off: '
                                                    + screenshot('shut-off.png'))),
            ('Start', lambda: lifecycle_step(h, 'Start', 'Running')),
            ('Pause', lambda: lifecycle_step(h, 'Pause', 'Paused')),
            ('Resume', lambda: lifecycle_step(h, 'Resume', 'Running')),
            ('filter', lambda: step_filter(h)),
            ('delete', lambda: step_delete(h)),
            ('quit', lambda: step_quit(h)),
            ('stderr', lambda: step_stderr(proc)),
        ]
        for current, step in steps:
            step()
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError) as e:
        def describe():
            if h is not None:
                diag(f'sidebar rows: {h.row_texts()!r}')
                diag(f'state label: {h.state_text()!r}')
                diag(f'visible buttons: {sorted(h.buttons())}')
        return bail_out(current, e, proc, FAILURE_SHOT, describe)
    finally:
        stop_hangar(proc)
    print(f'1..{tap.count()}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
