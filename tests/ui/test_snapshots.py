#!/usr/bin/python3
# test_snapshots.py BUILDDIR: the Snapshots view of the real hangar window on
# libvirt's test driver, driven like a person would (xdotool) and read through
# AT-SPI: open the view, take a snapshot with Ctrl+Shift+S (renamed, with a
# description) and one with the toolbar button, see both in the tree with the
# newest marked current, revert to the first, delete the second, and check that
# a name with "/" cannot be taken. Saves screenshots of the view. Prints TAP.
#
# Run it through run-ui-test.sh (Xvfb, private session and AT-SPI buses).

import faulthandler
import signal
import subprocess
import sys
import time

import pyatspi  # noqa: E402
from gi.repository import GLib  # noqa: E402

import tap  # noqa: E402
from tap import Failure, diag, not_ok, ok  # noqa: E402
import test_lifecycle as L  # noqa: E402  (shared AT-SPI and input helpers)

FIRST = 'Before update'
DESCRIPTION = 'Clean system'
SECOND = 'Snapshot 2'
OP_TIMEOUT = 15.0


def snapshot_rows(h):
    """[(cell, text)] of the "Snapshots" tree's name cells, top to bottom."""
    t = L.find(h.frame, pyatspi.ROLE_TREE_TABLE, 'Snapshots')
    if t is None:
        return []
    L.fresh(t)
    rows = []
    columns = max(1, t.queryTable().nColumns)
    for i in range(0, t.childCount, columns):
        cell = L.fresh(t.getChildAtIndex(i))
        if cell is None or cell.getRole() != pyatspi.ROLE_TABLE_CELL:
            continue
        text = ''
        if 'Text' in pyatspi.listInterfaces(cell):
            text = L.text_of(cell)
        for j in range(cell.childCount):
            c = L.fresh(cell.getChildAtIndex(j))
            if c is not None and 'Text' in pyatspi.listInterfaces(c) and L.text_of(c):
                text = L.text_of(c)
        if text:
            rows.append((cell, text))
    return rows


def row_named(h, name):
    for cell, text in snapshot_rows(h):
        if text == name or text.startswith(name + '  ') or text.startswith(name + ' ('):
            return cell, text
    return None


def names(h):
    return [text for _, text in snapshot_rows(h)]


def find_button(root, name):
    for role in (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_RADIO_BUTTON):
        b = L.find(root, role, name)
        if b is not None:
            return b
    return None


def dialogs(h):
    L.fresh(h.app)
    found = []
    for i in range(h.app.childCount):
        w = L.fresh(h.app.getChildAtIndex(i))
        if w is not None and w.getRole() in (pyatspi.ROLE_DIALOG, pyatspi.ROLE_ALERT) \
                and L.showing(w):
            found.append(w)
    return found


def dialog_titled(h, prefix):
    """A showing dialog named prefix…, or (message dialogs) showing a label so."""
    for d in dialogs(h):
        if d.name.startswith(prefix):
            return d
        if any(L.text_of(a).startswith(prefix) for a in L.find_all(d, pyatspi.ROLE_LABEL)):
            return d
    return None


def step_open_view(h):
    L.wait_for('the VM page', h.state_text)
    switch = L.wait_for('the "Snapshots" switch', lambda: find_button(h.frame, 'Snapshots'))
    L.click(switch)
    L.wait_for('the empty view', lambda: L.find(h.frame, pyatspi.ROLE_LABEL,
                                                 None) and any(
        'No snapshots yet' in L.text_of(a) for a in L.find_all(h.frame, pyatspi.ROLE_LABEL)))
    ok('the VM page has a "Snapshots" view; with no snapshots it says so')


def take_through_dialog(h, open_with, name=None, description=None):
    open_with()
    d = L.wait_for('the Take Snapshot dialog', lambda: dialog_titled(h, 'Take a Snapshot of'))
    try:
        entry = L.wait_for('the name entry', lambda: L.find(d, pyatspi.ROLE_TEXT, 'Name'))
    except Failure:
        diag(repr([(a.getRoleName(), a.name) for a in L.walk(d)]))
        raise
    prefilled = L.wait_for('a prefilled name', lambda: L.text_of(entry))
    take = L.wait_for('Take Snapshot enabled', lambda: (
        (b := find_button(d, 'Take Snapshot')) is not None
        and L.has(b, pyatspi.STATE_SENSITIVE) and b))
    kind = [L.text_of(a) for a in L.find_all(d, pyatspi.ROLE_LABEL)
            if 'snapshot' in L.text_of(a).lower() and ('Internal' in L.text_of(a)
                                                       or 'External' in L.text_of(a))]
    if not kind:
        raise Failure('the dialog does not say whether the snapshot is internal or external')
    if name is not None:
        L.click(entry)
        L.keys('ctrl+a')
        L.type_text(name)
        L.wait_for(f'the entry to read {name!r}', lambda: L.text_of(entry) == name)
    if description is not None:
        view = L.find(d, pyatspi.ROLE_TEXT, 'Description')
        if view is None:
            raise Failure('no Description field in the dialog')
        L.click(view)
        L.type_text(description)
    L.screenshot('snapshot-dialog.png', d)
    L.click(take)
    L.wait_for('the dialog to close', lambda: dialog_titled(h, 'Take a Snapshot of') is None)
    return prefilled, kind[0]


def step_take_first(h):
    prefilled, kind = take_through_dialog(h, lambda: L.keys('ctrl+shift+s'), FIRST, DESCRIPTION)
    if prefilled != 'Snapshot 1':
        raise Failure(f'the name was prefilled with {prefilled!r}, expected "Snapshot 1"')
    L.wait_for(f'{FIRST!r} in the tree', lambda: row_named(h, FIRST), timeout=OP_TIMEOUT)
    text = row_named(h, FIRST)[1]
    if '(current)' not in text:
        raise Failure(f'the new snapshot is not marked current: {text!r}')
    L.wait_for('its description in the details',
               lambda: any(L.text_of(t) == DESCRIPTION
                           for t in L.find_all(h.frame, pyatspi.ROLE_TEXT)))
    ok(f'Ctrl+Shift+S opens the dialog (prefilled "Snapshot 1", says: {kind!r}); '
       f'{FIRST!r} appears in the tree, current, with its description')


def step_take_second(h):
    button = L.wait_for('the Take Snapshot button', lambda: find_button(h.frame, 'Take Snapshot…'))
    prefilled, _ = take_through_dialog(h, lambda: L.click(button))
    if prefilled != SECOND:
        raise Failure(f'second name prefilled {prefilled!r}, expected {SECOND!r}')
    L.wait_for(f'{SECOND!r} in the tree', lambda: row_named(h, SECOND), timeout=OP_TIMEOUT)
    L.wait_for(f'{SECOND!r} current and {FIRST!r} not',
               lambda: '(current)' in row_named(h, SECOND)[1]
               and '(current)' not in row_named(h, FIRST)[1])
    got = names(h)
    if len(got) != 2 or not got[0].startswith(FIRST):
        raise Failure(f'tree rows {got!r}: expected {FIRST!r} then {SECOND!r}')
    # The selected snapshot's larger picture of the screen (the test driver
    # has one) shows beside the tree.
    def picture():
        for image in L.find_all(h.frame, pyatspi.ROLE_ICON):
            if image.name != 'The VM’s screen when the snapshot was taken':
                continue
            e = image.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            if e.width >= 200 and e.height >= 100:
                return (e.width, e.height)
        return None
    try:
        size = L.wait_for('the large picture of the selected snapshot', picture)
    except Failure:
        diag(repr([(a.getRoleName(), a.name) for a in L.walk(h.frame)
                   if a.getRole() in (pyatspi.ROLE_IMAGE, pyatspi.ROLE_ICON)]))
        raise
    path = L.screenshot('snapshots-view.png')
    ok(f'the Take Snapshot button takes {SECOND!r}: tree reads {got!r}, picture {size[0]}x'
       f'{size[1]}; screenshot {path}')


def confirm(h, title_prefix, button):
    d = L.wait_for(f'the {title_prefix!r} question', lambda: dialog_titled(h, title_prefix))
    text = ' '.join(L.text_of(a) for a in L.find_all(d, pyatspi.ROLE_LABEL))
    b = L.wait_for(f'the {button!r} button', lambda: find_button(d, button))
    L.click(b)
    L.wait_for('the question to close', lambda: dialog_titled(h, title_prefix) is None)
    return text


def step_revert(h):
    cell, _ = row_named(h, FIRST)
    L.click(cell)
    L.wait_for(f'{FIRST!r} selected in the details',
               lambda: L.find(h.frame, pyatspi.ROLE_LABEL, FIRST))
    revert = L.wait_for('Revert enabled', lambda: (
        (b := find_button(h.frame, 'Revert…')) is not None and L.has(b, pyatspi.STATE_SENSITIVE)
        and b))
    L.click(revert)
    text = confirm(h, 'Revert “test” to', 'Revert')
    if 'lost' not in text:
        raise Failure(f'the revert question does not say what is lost: {text!r}')
    L.wait_for(f'{FIRST!r} current after revert', lambda: '(current)' in row_named(h, FIRST)[1],
               timeout=OP_TIMEOUT)
    ok(f'Revert asks first ({text.strip()[:90]!r}…) and makes {FIRST!r} current')


def step_delete(h):
    cell, _ = row_named(h, SECOND)
    L.click(cell)
    L.wait_for(f'{SECOND!r} selected', lambda: L.find(h.frame, pyatspi.ROLE_LABEL, SECOND))
    menu_button = L.wait_for('the Delete menu button', lambda: (
        (b := find_button(h.frame, 'Delete')) is not None and L.has(b, pyatspi.STATE_SENSITIVE)
        and b))
    L.click(menu_button)
    item = L.wait_for('"Delete This Snapshot…" in the menu', lambda: next(
        (m for m in L.walk(h.app) if m.name == 'Delete This Snapshot…'
         and m.getRole() in (pyatspi.ROLE_MENU_ITEM, pyatspi.ROLE_PUSH_BUTTON)), None))
    L.click(item)
    confirm(h, 'Delete the snapshot', 'Delete')
    L.wait_for(f'{SECOND!r} gone', lambda: row_named(h, SECOND) is None, timeout=OP_TIMEOUT)
    got = names(h)
    if len(got) != 1 or not got[0].startswith(FIRST):
        raise Failure(f'after deleting, the tree reads {got!r}')
    ok(f'Delete ▸ This Snapshot, confirmed, removes {SECOND!r}; {FIRST!r} stays')


def step_bad_name(h):
    button = find_button(h.frame, 'Take Snapshot…')
    L.click(button)
    d = L.wait_for('the Take Snapshot dialog', lambda: dialog_titled(h, 'Take a Snapshot of'))
    entry = L.wait_for('the name entry', lambda: L.find(d, pyatspi.ROLE_TEXT, 'Name'))
    L.wait_for('a prefilled name', lambda: L.text_of(entry))
    for bad, words in (('a/b', '“/”'), (FIRST, 'already has')):
        # The name entry has the focus (a click could land where the pointer is).
        L.keys('ctrl+a')
        L.type_text(bad)
        L.wait_for(f'the entry to read {bad!r}', lambda: L.text_of(entry) == bad)
        message = L.wait_for(f'a message about {bad!r}', lambda: next(
            (L.text_of(a) for a in L.find_all(d, pyatspi.ROLE_LABEL) if words in L.text_of(a)),
            None))
        take = find_button(d, 'Take Snapshot')
        if take is None or L.has(take, pyatspi.STATE_SENSITIVE):
            raise Failure(f'Take Snapshot is enabled for the name {bad!r}')
        diag(f'{bad!r}: {message}')
    L.click(find_button(d, 'Cancel'))
    L.wait_for('the dialog to close', lambda: dialog_titled(h, 'Take a Snapshot of') is None)
    if len(names(h)) != 1:
        raise Failure(f'a snapshot appeared after Cancel: {names(h)!r}')
    ok('a name with "/" or a taken name is explained and cannot be taken; Cancel takes nothing')


def main():
    faulthandler.register(signal.SIGUSR1)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    proc = None
    h = None
    current = 'start hangar'
    try:
        proc = L.step_start()
        current = 'find hangar on the AT-SPI bus'
        h = L.step_find_app(proc)
        steps = [
            ('open the Snapshots view', lambda: step_open_view(h)),
            ('take a snapshot with Ctrl+Shift+S', lambda: step_take_first(h)),
            ('take a snapshot with the button', lambda: step_take_second(h)),
            ('revert', lambda: step_revert(h)),
            ('delete', lambda: step_delete(h)),
            ('bad names', lambda: step_bad_name(h)),
            ('stderr', lambda: L.step_stderr(proc)),
        ]
        for current, step in steps:
            step()
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError) as e:
        not_ok(current, e)
        try:
            diag(f'screenshot at failure: {L.screenshot("snapshots-failure.png")}')
        except Exception as shot_error:  # noqa: BLE001 - best effort
            diag(f'no failure screenshot: {shot_error}')
        if h is not None:
            try:
                diag(f'snapshot rows: {names(h)!r}')
                diag(f'notices: {L.notices(h.frame)!r}')
            except Exception as more:  # noqa: BLE001 - best effort
                diag(f'(could not read the window: {more})')
        if proc is not None:
            diag('hangar stderr:\n' + L.hangar_stderr(proc)[-4000:])
        print(f'1..{tap.count()}')
        print(f'Bail out! {current} failed', flush=True)
        return 1
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print(f'1..{tap.count()}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
