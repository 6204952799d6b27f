#!/usr/bin/python3
# test_connections.py BUILDDIR: the Add Connection dialog, driven as a person
# would (main menu, clicks, typing) and read through AT-SPI: the address it
# shows for a remote SSH/TLS host, the inline refusal of names that could
# reach a shell or an ssh option, a connect to a host that never answers
# cancelled at once with the window still answering, and a connect that works
# adding the connection to the sidebar. Prints TAP; stops at the first
# failure. Run through run-ui-test.sh (Xvfb, session bus, AT-SPI bus).

import os
import socket
import subprocess
import sys
import tempfile
import time

import pyatspi

import tap
import test_lifecycle as lc
from tap import Failure, diag, ok

FAILURE_SHOT = 'connections-failure.png'


def dialog(h):
    return lc.showing_dialog(h.app)


def named(root, name, roles=None):
    return lc.named(root, name, roles)


def label_text(root, name):
    acc = named(root, name, (pyatspi.ROLE_LABEL,))
    if acc is None:
        raise Failure(f'no label named {name!r} in the dialog')
    return lc.text_of(acc)


def sensitive(acc):
    return lc.has(acc, pyatspi.STATE_SENSITIVE)


def set_entry(d, name, text):
    lc.set_field(d, name, text)


def wait_address(d, expected):
    def shown():
        text = label_text(d, 'Connection address')
        return text == expected and text
    try:
        return lc.wait_for(f'the address {expected!r}', shown, timeout=5)
    except Failure:
        raise Failure(f'the dialog shows {label_text(d, "Connection address")!r}, expected '
                      f'{expected!r}; status: {label_text(d, "Connection status")!r}')


def choose(d, combo_name, item_name):
    combo = lc.wait_for(f'the "{combo_name}" list', lambda: named(d, combo_name,
                                                               (pyatspi.ROLE_COMBO_BOX,)))
    lc.click(combo)
    item = lc.wait_for(f'the "{item_name}" item',
                       lambda: named(combo, item_name, (pyatspi.ROLE_MENU_ITEM,)))
    lc.click(item)
    lc.wait_for(f'the "{combo_name}" menu to close',
                lambda: not lc.showing(item))


# ---------------------------------------------------------------------------

def step_open_dialog(h):
    menu = lc.wait_for('the "Main menu" button',
                       lambda: named(h.frame, 'Main menu', (pyatspi.ROLE_TOGGLE_BUTTON,
                                                             pyatspi.ROLE_PUSH_BUTTON)))
    lc.click(menu)
    item = lc.wait_for('the "Add Connection…" item', lambda: named(h.app, 'Add Connection…'))
    lc.click(item)
    d = lc.wait_for('the "Add Connection" dialog', lambda: dialog(h))
    if d.name != 'Add Connection':
        raise Failure(f'the dialog is named {d.name!r}')
    address = label_text(d, 'Connection address')
    if address != 'qemu:///system':
        raise Failure(f'a new dialog shows {address!r}, expected qemu:///system')
    ok('main menu → "Add Connection…" opens the dialog, showing qemu:///system')
    return d


def step_remote_ssh(d):
    remote = lc.wait_for('the remote check box',
                         lambda: named(d, 'Connect to a remote host', (pyatspi.ROLE_CHECK_BOX,)))
    lc.click(remote)
    set_entry(d, 'User name', 'ada')
    set_entry(d, 'Host name', 'vmhost.example.org')
    set_entry(d, 'Port', '2222')
    lc.keys('Tab')
    wait_address(d, 'qemu+ssh://ada@vmhost.example.org:2222/system')
    connect = named(d, 'Connect', (pyatspi.ROLE_PUSH_BUTTON,))
    if connect is None or not sensitive(connect):
        raise Failure('Connect is not available for a valid address')
    ok('remote host, user "ada", host "vmhost.example.org", port 2222: the dialog shows '
       'qemu+ssh://ada@vmhost.example.org:2222/system')

    choose(d, 'Transport', 'TLS')
    wait_address(d, 'qemu+tls://ada@vmhost.example.org:2222/system')
    ok('Transport → TLS: qemu+tls://ada@vmhost.example.org:2222/system')
    lc.screenshot('add-connection.png', d)


def step_refusals(d):
    connect = named(d, 'Connect', (pyatspi.ROLE_PUSH_BUTTON,))
    for field, text, reason in [
            ('Host name', 'host;rm -rf /', 'is not a host name or address'),
            ('Host name', '-oProxyCommand=x', 'cannot start with'),
            ('Host name', 'two words', 'is not a host name or address')]:
        set_entry(d, field, text)
        status = lc.wait_for(f'the refusal of {text!r}',
                             lambda: reason in label_text(d, 'Connection status') and
                             label_text(d, 'Connection status'), timeout=5)
        if label_text(d, 'Connection address') != '':
            raise Failure(f'an address is still shown for host {text!r}')
        if sensitive(lc.fresh(connect)):
            raise Failure(f'Connect is available for host {text!r}')
        diag(f'{text!r}: {status}')
    set_entry(d, 'Host name', 'vmhost')
    set_entry(d, 'User name', '-oProxyCommand=x')
    lc.wait_for('the refusal of the user name',
                lambda: 'cannot start with' in label_text(d, 'Connection status'), timeout=5)
    if sensitive(lc.fresh(connect)):
        raise Failure('Connect is available for user "-oProxyCommand=x"')
    set_entry(d, 'User name', '')
    time.sleep(0.3)  # let the window repaint before the picture
    ok('hosts "host;rm -rf /", "-oProxyCommand=x", "two words" and user "-oProxyCommand=x" '
       'are refused inline with the reason; no address, Connect unavailable')
    lc.screenshot('add-connection-refused.png', d)


def step_cancel_hanging(h, d, sock_path):
    choose(d, 'Hypervisor', 'Custom URI')
    uri = f'qemu+unix:///system?socket={sock_path}'
    set_entry(d, 'Custom URI', uri)
    wait_address(d, uri)
    connect = named(d, 'Connect', (pyatspi.ROLE_PUSH_BUTTON,))
    lc.click(connect)
    lc.wait_for('"Connecting to …"',
                lambda: label_text(d, 'Connection status').startswith('Connecting to '))
    time.sleep(1.0)
    # The window still answers while the host does not.
    t0 = time.monotonic()
    for _ in range(5):
        lc.fresh(h.frame).name
        label_text(d, 'Connection status')
    answer_ms = (time.monotonic() - t0) * 1000 / 5
    if answer_ms > 500:
        raise Failure(f'hangar took {answer_ms:.0f} ms per AT-SPI read while connecting')
    cancel = named(d, 'Cancel', (pyatspi.ROLE_PUSH_BUTTON,))
    if cancel is None:
        raise Failure('no "Cancel" button while connecting')
    t0 = time.monotonic()
    lc.click(cancel)
    lc.wait_for('"Cancelled"', lambda: label_text(d, 'Connection status').startswith('Cancelled'),
                timeout=3)
    took = time.monotonic() - t0
    rows = [r for r in h.row_texts() if sock_path in r]
    if rows:
        raise Failure(f'the cancelled connection is in the sidebar: {rows!r}')
    ok(f'a host that never answers: "Connecting to …", the window answers in {answer_ms:.0f} ms '
       f'per read, Cancel ends it in {took:.1f} s and nothing is added')


def step_connect(h, d, node_path):
    uri = f'test://{node_path}'
    set_entry(d, 'Custom URI', uri)
    wait_address(d, uri)
    lc.click(named(d, 'Connect', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('the dialog to close', lambda: dialog(h) is None)
    title = f'Test driver {uri}'
    texts = lc.wait_for(f'a sidebar row "{title}"',
                        lambda: [t for t in h.row_texts() if t.startswith(title + '\n')])
    if texts != [title + '\n2 VMs']:
        raise Failure(f'sidebar rows for the new connection: {texts!r}')
    ok(f'Connect to {uri}: the dialog closes and the sidebar lists it with its 2 VMs')
    time.sleep(0.3)
    lc.screenshot('add-connection-added.png')


def write_node(path):
    domains = ''.join(
        f"<domain type='test'><name>{name}</name><memory>65536</memory>"
        f"<os><type>hvm</type></os></domain>" for name in ('alpha', 'beta'))
    with open(path, 'w') as f:
        f.write(f"<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores>"
                f"<threads>1</threads><active>2</active><mhz>2000</mhz>"
                f"<model>i686</model></cpu><memory>2097152</memory>{domains}</node>")


def main():
    tap.configure(timed=True)
    proc = h = None
    current = 'start hangar'
    workdir = tempfile.mkdtemp(prefix='hconn-', dir=lc.TMP)
    sock_path = os.path.join(workdir, 'never-answers')
    node_path = os.path.join(workdir, 'node.xml')
    write_node(node_path)
    # Listens and never accepts: libvirt connects and waits for ever.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    try:
        proc = lc.step_start()
        current = 'find hangar'
        h = lc.step_find_app(proc)
        current = 'open the dialog'
        d = step_open_dialog(h)
        current = 'remote SSH and TLS addresses'
        step_remote_ssh(d)
        current = 'refused names'
        step_refusals(d)
        current = 'cancel a host that never answers'
        step_cancel_hanging(h, d, sock_path)
        current = 'connect'
        step_connect(h, d, node_path)
        current = 'quit'
        lc.step_quit(h)
        current = 'stderr'
        lc.step_stderr(proc)
    except (Failure, GLib_Error, subprocess.SubprocessError, OSError, LookupError) as e:
        return lc.bail_out(current, e, proc, FAILURE_SHOT)
    finally:
        listener.close()
        lc.stop_hangar(proc)
        subprocess.run(['rm', '-rf', workdir], check=False)
    print(f'1..{tap.count()}', flush=True)
    return 0


from gi.repository import GLib  # noqa: E402
GLib_Error = GLib.Error

if __name__ == '__main__':
    sys.exit(main())
