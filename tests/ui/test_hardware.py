#!/usr/bin/python3
# test_hardware.py BUILDDIR: the VM page's Hardware view on libvirt's test
# driver, used as a person would: the VM forced off, CPUs and memory changed
# on their pages, the title on the Overview page (edits kept while switching
# pages), Apply; the Details page then shows the new vCPUs and memory, and a
# current memory above the maximum is refused inline. Prints TAP.

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
