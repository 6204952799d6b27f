#!/usr/bin/python3
# test_hardware.py BUILDDIR: the VM page's Hardware view on libvirt's test
# driver, used as a person would: the VM forced off, CPUs and memory changed
# on their pages, the title on the Overview page (edits kept while switching
# pages), Apply; the Details page then shows the new vCPUs and memory, and a
# current memory above the maximum is refused inline. Then the device pages:
# a bad MAC and a topology that does not multiply out are refused inline; a
# NIC and a new disk are added with Add Hardware and show in libvirt's XML
# (the XML page), then removed again (the image stays); broken XML typed in
# the XML editor is refused with libvirt's words and changes nothing.
# Prints TAP.

import os
import subprocess
import sys
import time

import pyatspi
from gi.repository import GLib

import tap
import test_lifecycle as lc
from tap import Failure, diag, ok

FAILURE_SHOT = 'hardware-failure.png'


named = lc.named


def status(h):
    acc = named(h.frame, 'Hardware status', (pyatspi.ROLE_LABEL,))
    return lc.text_of(acc) if acc is not None else None


def tab(h, name):
    return lc.wait_for(f'the "{name}" tab',
                       lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, name) or
                       lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, name))


def page(h, title):
    """A row of the Hardware view's page list (a label inside a list row)."""
    def row():
        for acc in lc.walk(h.frame):
            if acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc) == title and \
                    acc.parent is not None and acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM:
                return acc
        return None
    lc.click(lc.wait_for(f'the "{title}" page', row))
    time.sleep(0.3)


def set_field(h, name, text):
    lc.set_field(h.frame, name, text)
    lc.keys('Tab')


def detail(h, caption):
    """The value beside a caption on the Details page."""
    for acc in lc.walk(h.frame):
        if acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc) == caption:
            parent = acc.parent
            i = acc.getIndexInParent()
            for j in range(parent.childCount):
                other = parent.getChildAtIndex(j)
                if other is not None and j != i and other.getRole() == pyatspi.ROLE_LABEL:
                    ext_a = acc.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
                    ext_o = other.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
                    if abs(ext_a.y - ext_o.y) < 4 and ext_o.x > ext_a.x:
                        return lc.text_of(other).replace('\u00a0', ' ')
    return None


def step_edit(h):
    lc.click(lc.wait_for('"Force Off"', lambda: h.button('Force Off')))
    lc.wait_for('"test" shut off', lambda: h.state_text() == 'Shut off', timeout=10)
    lc.click(tab(h, 'Hardware'))
    page(h, 'CPUs')
    set_field(h, 'Virtual CPUs', '3')
    page(h, 'Memory')
    set_field(h, 'Maximum memory in MiB', '2048')
    set_field(h, 'Current memory in MiB', '1024')
    page(h, 'Overview')
    set_field(h, 'Title', 'Web server')
    page(h, 'CPUs')
    spin = named(h.frame, 'Virtual CPUs', (pyatspi.ROLE_SPIN_BUTTON,))
    if int(spin.queryValue().currentValue) != 3:
        raise Failure('the CPU count did not survive switching pages')
    if status(h) != 'Unsaved changes.':
        raise Failure(f'the view says {status(h)!r} before Apply')
    lc.screenshot('hardware-cpus.png')
    ok('Force Off; Hardware: 3 vCPUs, 2048/1024 MiB and a title entered on three pages, '
       'kept while switching; "Unsaved changes."')


def step_apply(h):
    lc.click(lc.wait_for('"Apply"', lambda: named(h.frame, 'Apply', (pyatspi.ROLE_PUSH_BUTTON,))))
    lc.wait_for('"Saved."', lambda: status(h) == 'Saved.', timeout=10)
    lc.click(tab(h, 'Details'))
    vcpus = lc.wait_for('3 vCPUs on the Details page', lambda: detail(h, 'Virtual CPUs') == '3' and
                        detail(h, 'Virtual CPUs'), timeout=10)
    memory = lc.wait_for('2 GiB on the Details page',
                         lambda: detail(h, 'Memory') == '2.0 GiB' and detail(h, 'Memory'),
                         timeout=10)
    lc.screenshot('hardware-details.png')
    ok(f'Apply: "Saved."; the Details page shows {vcpus} vCPUs and {memory}')


def step_refused(h):
    lc.click(tab(h, 'Hardware'))
    page(h, 'Memory')
    set_field(h, 'Current memory in MiB', '4096')
    message = lc.wait_for('the refusal', lambda: 'must be between' in (status(h) or '') and
                          status(h), timeout=5)
    diag(message)
    lc.click(named(h.frame, 'Revert', (pyatspi.ROLE_PUSH_BUTTON,)))
    spin = named(h.frame, 'Current memory in MiB', (pyatspi.ROLE_SPIN_BUTTON,))
    lc.wait_for('the form back to 1024', lambda: int(lc.fresh(spin).queryValue().currentValue)
                == 1024)
    lc.screenshot('hardware-refused.png')
    ok('4096 MiB current above the 2048 maximum: refused inline; Revert puts back 1024')


def xml_text(h):
    view = named(h.frame, 'Domain XML', (pyatspi.ROLE_TEXT,))
    return lc.text_of(view) if view is not None else ''


def choose(root, combo_name, item_name):
    combo = lc.wait_for(f'the "{combo_name}" list',
                        lambda: named(root, combo_name, (pyatspi.ROLE_COMBO_BOX,)))
    lc.click(combo)
    item = lc.wait_for(f'the "{item_name}" item',
                       lambda: named(combo, item_name, (pyatspi.ROLE_MENU_ITEM,)))
    lc.click(item)
    lc.wait_for(f'the "{combo_name}" menu to close', lambda: not lc.showing(item))


def page_starting(h, prefix):
    """The page list row whose title starts with prefix, clicked; its title."""
    def row():
        for acc in lc.walk(h.frame):
            if acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc).startswith(prefix) and \
                    acc.parent is not None and acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM:
                return acc
        return None
    acc = lc.wait_for(f'a page "{prefix}…"', row)
    title = lc.text_of(acc)
    lc.click(acc)
    time.sleep(0.3)
    return title


def has_page(h, prefix):
    return any(acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc).startswith(prefix) and
               acc.parent is not None and acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM
               for acc in lc.walk(h.frame))


def step_bad_input(h):
    nic = page_starting(h, 'Network interface')
    set_field(h, 'MAC address', '52:54:00:zz:00:01')
    message = lc.wait_for('the MAC refusal', lambda: 'MAC address is six pairs' in
                          (status(h) or '') and status(h), timeout=5)
    lc.screenshot('hardware-nic.png')
    lc.click(named(h.frame, 'Revert', (pyatspi.ROLE_PUSH_BUTTON,)))
    page(h, 'CPUs')
    set_field(h, 'Maximum virtual CPUs', '3')
    set_field(h, 'Sockets', '1')
    set_field(h, 'Cores per socket', '2')
    set_field(h, 'Threads per core', '2')
    topology = lc.wait_for('the topology refusal', lambda: 'must equal' in (status(h) or '') and
                           status(h), timeout=5)
    lc.click(named(h.frame, 'Apply', (pyatspi.ROLE_PUSH_BUTTON,)))
    time.sleep(0.5)
    if 'must equal' not in (status(h) or ''):
        raise Failure(f'Apply with a bad topology says {status(h)!r}')
    lc.screenshot('hardware-topology.png')
    lc.click(named(h.frame, 'Revert', (pyatspi.ROLE_PUSH_BUTTON,)))
    diag(message)
    diag(topology)
    ok(f'{nic}: a bad MAC refused inline; 1 × 2 × 2 sockets/cores/threads for 3 CPUs refused, '
       'also on Apply; Revert')


def add_hardware(h, kind, fill=None):
    lc.click(lc.wait_for('"Add Hardware…"', lambda: named(h.frame, 'Add Hardware…',
                                                         (pyatspi.ROLE_PUSH_BUTTON,))))
    d = lc.wait_for('the "Add Hardware" dialog', lambda: lc.showing_dialog(h.app))
    row = lc.wait_for(f'the "{kind}" row', lambda: named(d, kind, (pyatspi.ROLE_LABEL,)))
    lc.click(row)
    time.sleep(0.5)
    if fill is not None:
        fill(d)
    lc.screenshot(f'hardware-add-{kind.split()[0].lower()}.png')
    lc.click(named(d, 'Add', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('the dialog to close', lambda: lc.showing_dialog(h.app) is None, timeout=15)
    return lc.wait_for(f'"{kind} added."', lambda: (status(h) or '').endswith('added.') and
                       status(h), timeout=10)


def step_add(h):
    said_nic = add_hardware(h, 'Network interface')
    def new_disk(d):
        choose(d, 'Storage', 'Create a new disk image')
        lc.set_field(d, 'Size in GiB', '1')
    said_disk = add_hardware(h, 'Disk', new_disk)
    lc.wait_for('a "Disk vdb" page', lambda: has_page(h, 'Disk vdb'), timeout=10)
    page(h, 'XML')
    xml = lc.wait_for("libvirt's XML with the new devices",
                      lambda: "<interface type='user'>" in xml_text(h) and
                      'test-vdb.qcow2' in xml_text(h) and xml_text(h), timeout=10)
    lc.screenshot('hardware-xml.png')
    ok(f'Add Hardware: {said_nic!r}, {said_disk!r}; the XML page shows <interface type=\'user\'> '
       'and the new vdb image')


def alert(h):
    """A message dialog (AT-SPI role alert) on screen."""
    for i in range(lc.fresh(h.app).childCount):
        child = lc.fresh(h.app.getChildAtIndex(i))
        if child is not None and child.getRole() == pyatspi.ROLE_ALERT and lc.showing(child):
            return child
    return None


def remove(h, prefix):
    title = page_starting(h, prefix)
    lc.click(named(h.frame, 'Remove', (pyatspi.ROLE_PUSH_BUTTON,)))
    d = lc.wait_for('the confirmation', lambda: alert(h))
    question = [lc.text_of(a) for a in lc.walk(d) if a.getRole() == pyatspi.ROLE_LABEL]
    if not any('stays on the host' in q for q in question) and prefix.startswith('Disk'):
        raise Failure(f'the confirmation says {question!r}, not that the image stays')
    lc.click(lc.wait_for('its "Remove"', lambda: named(d, 'Remove', (pyatspi.ROLE_PUSH_BUTTON,))))
    lc.wait_for(f'{title} gone', lambda: not has_page(h, title), timeout=10)
    return title


def step_remove(h, image):
    disk = remove(h, 'Disk vdb')
    nics = [lc.text_of(acc) for acc in lc.walk(h.frame)
            if acc.getRole() == pyatspi.ROLE_LABEL and
            lc.text_of(acc).startswith('Network interface') and acc.parent is not None and
            acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM]
    nic = remove(h, nics[-1])
    page(h, 'XML')
    lc.wait_for('the XML without them', lambda: 'test-vdb.qcow2' not in xml_text(h) and
                "<interface type='user'>" not in xml_text(h), timeout=10)
    if not os.path.isfile(image):
        raise Failure(f'{image} was deleted by Remove')
    ok(f'Remove {disk} and {nic} (confirmed): gone from the XML; the image {image} stays')


def step_xml(h):
    menu = lc.wait_for('the "Main menu" button',
                       lambda: named(h.frame, 'Main menu', (pyatspi.ROLE_TOGGLE_BUTTON,
                                                             pyatspi.ROLE_PUSH_BUTTON)))
    lc.click(menu)
    lc.click(lc.wait_for('the "Edit XML" item', lambda: named(h.app, 'Edit XML')))
    save = lc.wait_for('"Save XML"', lambda: named(h.frame, 'Save XML',
                                                  (pyatspi.ROLE_PUSH_BUTTON,)))
    note = named(h.frame, 'XML status', (pyatspi.ROLE_LABEL,))
    lc.wait_for('the XML read again for editing',
                lambda: lc.text_of(note).startswith('Edit the XML'), timeout=10)
    time.sleep(0.5)
    before = xml_text(h)
    view = named(h.frame, 'Domain XML', (pyatspi.ROLE_TEXT,))
    # Typed through AT-SPI's editable-text interface, as a screen reader user would.
    text = view.queryText()
    view.queryEditableText().insertText(text.characterCount, '<oops', 5)
    lc.wait_for('the typed text', lambda: xml_text(h).endswith('<oops'))
    save.queryAction().doAction(0)
    refused = lc.wait_for('the refusal', lambda: 'not well-formed' in lc.text_of(note) and
                          lc.text_of(note), timeout=10)
    lc.screenshot('hardware-xml-refused.png')
    # Turning editing off reads the XML again from libvirt: unchanged.
    lc.click(menu)
    item = lc.wait_for('the "Edit XML" item', lambda: named(h.app, 'Edit XML'))
    item.queryAction().doAction(0)
    try:
        lc.wait_for('the XML as it was', lambda: xml_text(h) == before, timeout=10)
    except Failure:
        now = xml_text(h)
        diag(f'before {len(before)}: ...{before[-40:]!r}; now {len(now)}: ...{now[-40:]!r}')
        raise
    ok(f'Edit XML on; "<oops" appended and saved: {refused!r}; libvirt still has the old XML')


def rename(h, old, new):
    page(h, 'Overview')
    set_field(h, 'VM name', new)
    lc.click(named(h.frame, 'Apply', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('"Saved."', lambda: status(h) == 'Saved.', timeout=10)
    row = lc.wait_for(f'"{new}" in the sidebar',
                      lambda: next((t for t in h.row_texts() if t.startswith(new + '\n')), None),
                      timeout=10)
    if any(t.startswith(old + '\n') for t in h.row_texts()):
        raise Failure(f'"{old}" is still listed after the rename')
    lc.VM = new
    return row


def step_rename(h):
    row = rename(h, 'test', 'web-1')
    lc.screenshot('hardware-renamed.png')
    rename(h, 'web-1', 'test')
    ok(f'Overview → Name "web-1", Apply: the sidebar lists {row!r} and no "test"; renamed back')


def step_unsaved_close(h):
    page(h, 'Overview')
    set_field(h, 'Title', 'Not saved yet')
    lc.keys('ctrl+q')
    d = lc.wait_for('the "Save the hardware changes" question', lambda: alert(h), timeout=10)
    question = d.name or ' '.join(lc.text_of(a) for a in lc.walk(d)
                                   if a.getRole() == pyatspi.ROLE_LABEL)
    lc.click(lc.wait_for('"Cancel"', lambda: named(d, 'Cancel', (pyatspi.ROLE_PUSH_BUTTON,))))
    lc.wait_for('the question to go', lambda: alert(h) is None)
    time.sleep(0.5)
    if not lc.showing(h.frame):
        raise Failure('the window closed although the user chose Cancel')
    if status(h) != 'Unsaved changes.':
        raise Failure(f'after Cancel the view says {status(h)!r}')
    lc.click(named(h.frame, 'Revert', (pyatspi.ROLE_PUSH_BUTTON,)))
    ok(f'Ctrl+Q with an unsaved title asks first ({question!r}); Cancel keeps the window and '
       'the edit')


def main():
    tap.configure(timed=True)
    proc = h = None
    current = 'start hangar'
    try:
        proc = lc.step_start()
        current = 'find hangar'
        h = lc.step_find_app(proc)
        current = 'edit'
        step_edit(h)
        current = 'apply'
        step_apply(h)
        current = 'refused'
        step_refused(h)
        current = 'bad input'
        step_bad_input(h)
        current = 'add'
        step_add(h)
        current = 'remove'
        image = os.path.join(os.environ['XDG_DATA_HOME'], 'hangar', 'images', 'test-vdb.qcow2')
        step_remove(h, image)
        current = 'xml'
        step_xml(h)
        current = 'rename'
        step_rename(h)
        current = 'unsaved close'
        step_unsaved_close(h)
        current = 'quit'
        lc.step_quit(h)
        current = 'stderr'
        lc.step_stderr(proc)
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError, LookupError,
            ValueError) as e:
        return lc.bail_out(current, e, proc, FAILURE_SHOT)
    finally:
        lc.stop_hangar(proc)
    print(f'1..{tap.count()}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
