#!/usr/bin/python3
# test_new_vm.py BUILDDIR: the new-VM wizard, walked as a person would.
# `hangar --connect test:///default ISO` with an ISO made here by xorriso and
# labelled like Debian 11's netinst: the wizard opens on it, says what it
# detected, proposes Debian 11's resources, refuses bad names inline, and
# Create makes the VM on the test driver: it appears in the sidebar, running,
# with a new qcow2 image (read back by qemu-img) and the ISO as its CD.
# With HANGAR_NEW_VM_BOOT_ISO set (the test guest as a GRUB ISO, built from
# Debian packages), it creates the VM from that ISO on Hangar's own embedded
# connection instead and checks that it boots: the console shows the guest's
# screen, not SeaBIOS's "No bootable device".
# Prints TAP; stops at the first failure. Run through run-ui-test.sh.

import json
import re
import shutil
import os
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version('GdkPixbuf', '2.0')
import pyatspi  # noqa: E402
from gi.repository import GdkPixbuf, GLib  # noqa: E402

import tap
import test_lifecycle as lc
from tap import Failure, diag, ok

FAILURE_SHOT = 'new-vm-failure.png'
NAME = 'debian11-web'
CONNECTION = 'Test driver test:///default'


def make_iso(workdir):
    content = os.path.join(workdir, 'content')
    os.makedirs(content)
    with open(os.path.join(content, 'README'), 'w') as f:
        f.write('Hangar test media\n')
    with open(os.path.join(content, 'boot.bin'), 'wb') as f:
        f.write(bytes(2048))
    iso = os.path.join(workdir, 'debian-11.5.0-amd64-netinst.iso')
    subprocess.run(['xorriso', '-as', 'mkisofs', '-quiet', '-V', 'Debian 11.5.0 amd64 n',
                    '-b', 'boot.bin', '-no-emul-boot', '-boot-load-size', '4', '-o', iso,
                    content], check=True, capture_output=True, timeout=60)
    return iso


def wizard(h):
    return lc.showing_dialog(h.app)


named = lc.named


def label(d, name):
    acc = named(d, name, (pyatspi.ROLE_LABEL,))
    return lc.text_of(acc) if acc is not None else None


def step_title(d):
    for acc in lc.walk(d):
        if acc.getRole() == pyatspi.ROLE_LABEL:
            text = lc.text_of(acc)
            if text.startswith('Step '):
                return text
    return None


def next_page(d, expected_title):
    button = lc.wait_for('an available "Next"',
                         lambda: (lambda b: b if b is not None and lc.has(b, pyatspi.STATE_SENSITIVE)
                                  else None)(named(d, 'Next', (pyatspi.ROLE_PUSH_BUTTON,))))
    lc.click(button)
    lc.wait_for(f'the page "{expected_title}"', lambda: step_title(d) == expected_title)
    time.sleep(0.4)  # the pages slide in


def spin_value(d, name):
    acc = named(d, name, (pyatspi.ROLE_SPIN_BUTTON,))
    return int(acc.queryValue().currentValue)


def set_field(d, name, text, roles=(pyatspi.ROLE_TEXT, pyatspi.ROLE_SPIN_BUTTON)):
    return lc.set_field(d, name, text, roles)


def step_source(h):
    d = lc.wait_for('the wizard', lambda: wizard(h), timeout=20)
    if d.name != 'New Virtual Machine':
        raise Failure(f'the dialog is named {d.name!r}')
    status = lc.wait_for('the detection result',
                         lambda: (label(d, 'Source status') or '').startswith('Detected') and
                         label(d, 'Source status'), timeout=30)
    if status != 'Detected: Debian 11':
        raise Failure(f'the wizard says {status!r}')
    lc.screenshot('new-vm-source.png', d)
    # The CD/DVD drive choice matches the drives this computer has.
    drive = lc.wait_for('the CD/DVD drive choice',
                        lambda: next((a for a in lc.find_all(d, pyatspi.ROLE_RADIO_BUTTON,
                                                             skip_hidden=False)
                                      if (a.name or '').startswith('Install from a CD/DVD')),
                                     None))
    has_drive = any(n.startswith('sr') for n in os.listdir('/sys/block'))
    if lc.has(drive, pyatspi.STATE_SENSITIVE) != has_drive:
        raise Failure(f'the CD/DVD drive choice is {"" if has_drive else "not "}expected '
                      'available')
    ok(f'hangar ISO opens the wizard on "Step 1 of 5: Source" with the ISO chosen: "{status}"; '
       f'the CD/DVD drive choice is {"available" if has_drive else "unavailable (no drive)"}')
    return d


def step_os_and_resources(d):
    next_page(d, 'Step 2 of 5: Operating system')
    chosen = label(d, 'Chosen operating system')
    if chosen != 'Operating system: Debian 11':
        raise Failure(f'the OS page says {chosen!r}')
    next_page(d, 'Step 3 of 5: Memory and CPUs')
    memory, vcpus = spin_value(d, 'Memory in MiB'), spin_value(d, 'Virtual CPUs')
    if (memory, vcpus) != (1024, 2):
        raise Failure(f'Debian 11 gets {memory} MiB and {vcpus} vCPUs, expected 1024 and 2')
    # Below Debian's minimum: a warning, not a refusal.
    set_field(d, 'Memory in MiB', '512')
    lc.keys('Tab')
    warning = lc.wait_for('the minimum warning',
                          lambda: 'needs at least' in (label(d, 'Resources status') or '') and
                          label(d, 'Resources status'))
    diag(warning)
    set_field(d, 'Memory in MiB', '1024')
    lc.keys('Tab')
    lc.screenshot('new-vm-resources.png', d)
    next_page(d, 'Step 4 of 5: Storage')
    if spin_value(d, 'Disk size in GiB') != 20:
        raise Failure(f'Debian 11 gets a {spin_value(d, "Disk size in GiB")} GiB disk, '
                      'expected 20')
    set_field(d, 'Disk size in GiB', '2')
    lc.keys('Tab')
    # A folder the disk cannot be written in: said inline, Next unavailable.
    default_dir = lc.text_of(named(d, 'Folder for the new disk', (pyatspi.ROLE_TEXT,)))
    ro = os.path.join(lc.TMP, 'read-only-folder')
    os.mkdir(ro)
    if os.getuid() == 0:
        subprocess.run(['chattr', '+i', ro], check=True)
    else:
        os.chmod(ro, 0o500)
    try:
        set_field(d, 'Folder for the new disk', ro, (pyatspi.ROLE_TEXT,))
        refused = lc.wait_for('the folder refused',
                              lambda: 'cannot be written' in (label(d, 'Storage status') or '')
                              and label(d, 'Storage status'), timeout=5)
        if lc.has(lc.fresh(named(d, 'Next', (pyatspi.ROLE_PUSH_BUTTON,))),
                  pyatspi.STATE_SENSITIVE):
            raise Failure('Next is available with a read-only folder')
        lc.screenshot('new-vm-read-only.png', d)
    finally:
        if os.getuid() == 0:
            subprocess.run(['chattr', '-i', ro], check=False)
    set_field(d, 'Folder for the new disk', default_dir, (pyatspi.ROLE_TEXT,))
    diag(refused)
    ok('OS page says Debian 11; 1024 MiB and 2 vCPUs proposed (512 MiB warns of the '
       'minimum); 20 GiB disk proposed, 2 GiB chosen; a read-only folder refused inline')


def step_names(d):
    next_page(d, 'Step 5 of 5: Name and finish')
    name = named(d, 'Name', (pyatspi.ROLE_TEXT,))
    if lc.text_of(name) != 'debian11':
        raise Failure(f'the name proposed is {lc.text_of(name)!r}, expected "debian11"')
    combo = named(d, 'Connection', (pyatspi.ROLE_COMBO_BOX,))
    lc.click(combo)
    item = lc.wait_for(f'the "{CONNECTION}" item',
                       lambda: named(combo, CONNECTION, (pyatspi.ROLE_MENU_ITEM,)))
    lc.click(item)
    lc.wait_for('the menu to close', lambda: not lc.showing(item))
    create = named(d, 'Create', (pyatspi.ROLE_PUSH_BUTTON,))
    for bad, reason in [('my vm', 'spaces'), ('../x', '“/”'), ('say"hi', '“"”'), ('test', 'already'),
                        ('', 'Give the VM a name')]:
        set_field(d, 'Name', bad, (pyatspi.ROLE_TEXT,))
        message = lc.wait_for(f'the reason for {bad!r}',
                              lambda: reason in (label(d, 'Name status') or '') and
                              label(d, 'Name status'), timeout=5)
        if lc.has(lc.fresh(create), pyatspi.STATE_SENSITIVE):
            raise Failure(f'Create is available with the name {bad!r}')
        diag(f'{bad!r}: {message}')
    ok(f'"Create on" {CONNECTION}; names "my vm", "../x", \'say"hi\', "test" (taken on the test driver) and "" are refused '
       'inline with the reason; Create unavailable')


def choose(d, combo_name, item_name):
    combo = named(d, combo_name, (pyatspi.ROLE_COMBO_BOX,))
    lc.click(combo)
    item = lc.wait_for(f'the "{item_name}" item',
                       lambda: named(combo, item_name, (pyatspi.ROLE_MENU_ITEM,)))
    lc.click(item)
    lc.wait_for('the menu to close', lambda: not lc.showing(item))


def step_network_firmware(d):
    set_field(d, 'Name', NAME, (pyatspi.ROLE_TEXT,))
    choose(d, 'Network', 'Host bridge')
    create = named(d, 'Create', (pyatspi.ROLE_PUSH_BUTTON,))
    set_field(d, 'Bridge or network name', 'br0;reboot', (pyatspi.ROLE_TEXT,))
    message = lc.wait_for('the bridge name refused',
                          lambda: 'letters, digits' in (label(d, 'Name status') or '') and
                          label(d, 'Name status'), timeout=5)
    if lc.has(lc.fresh(create), pyatspi.STATE_SENSITIVE):
        raise Failure('Create is available with the bridge "br0;reboot"')
    set_field(d, 'Bridge or network name', 'br0', (pyatspi.ROLE_TEXT,))
    lc.wait_for('Create available again', lambda: lc.has(lc.fresh(create),
                                                          pyatspi.STATE_SENSITIVE), timeout=5)
    choose(d, 'Firmware', 'UEFI with Secure Boot')
    customize = lc.wait_for('the "Customize before install" box',
                            lambda: next((a for a in lc.find_all(d, pyatspi.ROLE_CHECK_BOX)
                                          if (a.name or '').startswith('Customize')), None))
    lc.click(customize)
    ok(f'Network "Host bridge": "br0;reboot" refused inline ({message!r}), "br0" taken; '
       'firmware "UEFI with Secure Boot"; "Customize before install" ticked')


def step_create(h, d):
    set_field(d, 'Name', NAME, (pyatspi.ROLE_TEXT,))
    time.sleep(0.3)
    lc.screenshot('new-vm-finish.png', d)
    lc.click(named(d, 'Create', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('the wizard to close', lambda: wizard(h) is None, timeout=60)
    # Customized: defined, shut off, its Hardware view in front; Start begins it.
    lc.wait_for(f'"{NAME}" shut off in the sidebar',
                lambda: any(t.startswith(f'{NAME}\nShut off') for t in h.row_texts()),
                timeout=20)
    lc.wait_for('the Hardware view', lambda: named(h.frame, 'Add Hardware…',
                                                  (pyatspi.ROLE_PUSH_BUTTON,)), timeout=10)
    lc.screenshot('new-vm-customize.png')
    lc.VM = NAME
    lc.click(lc.wait_for('"Start"', lambda: h.button('Start')))
    row = lc.wait_for(f'"{NAME}" running in the sidebar',
                      lambda: next((t for t in h.row_texts()
                                    if t.startswith(f'{NAME}\nRunning')), None), timeout=20)
    if 'Debian 11' not in row:
        raise Failure(f'the row reads {row!r}: no OS name from the libosinfo metadata')
    ok(f'Create: the wizard closes, "{NAME}" is on the test driver, shut off with its Hardware '
       f'view shown; Start: running: {row!r}')


def step_libvirt(h, iso):
    image = os.path.join(GLib.get_user_data_dir(), 'hangar', 'images', f'{NAME}.qcow2')
    info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', image], check=True,
                                     capture_output=True, text=True, timeout=30).stdout)
    if info.get('format') != 'qcow2' or info.get('virtual-size') != 2 * 1024 ** 3:
        raise Failure(f'{image}: {info}')
    lc.VM = NAME
    lc.click(lc.wait_for('the "Details" tab',
                         lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Details') or
                         lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Details')))
    details = lc.wait_for('the Details page disks',
                          lambda: next((lc.text_of(a) for a in lc.find_all(h.frame,
                                                                           pyatspi.ROLE_LABEL)
                                        if image in lc.text_of(a)), None), timeout=10)
    if iso not in details:
        raise Failure(f'the VM page lists {details!r}, without the ISO')
    lc.screenshot('new-vm-created.png')
    ok(f'the image is a 2 GiB qcow2 for qemu-img; the VM page lists it and the ISO: {details!r}')


def step_xml(h):
    """libvirt's XML of the new VM, on its Hardware → XML page."""
    lc.click(lc.wait_for('the "Hardware" tab',
                         lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Hardware') or
                         lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Hardware')))

    def overview_row():
        for acc in lc.walk(h.frame):
            if acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc) == 'Overview' and \
                    acc.parent is not None and acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM:
                return acc
        return None
    # XML is the last page, below the fold of a long device list: End gets there.
    lc.click(lc.wait_for('the "Overview" page', overview_row))
    lc.keys('End')

    def xml():
        view = named(h.frame, 'Domain XML', (pyatspi.ROLE_TEXT,))
        return lc.text_of(view) if view is not None else ''
    wanted = ["<interface type='bridge'>", "<source bridge='br0'/>", "<os firmware='efi'>",
              "<feature enabled='yes' name='secure-boot'/>", '<smm']
    text = lc.wait_for('the XML with the bridge and Secure Boot',
                       lambda: all(w in xml() for w in wanted) and xml(), timeout=10)
    lc.screenshot('new-vm-xml.png')
    ok('libvirt has the VM on bridge br0 with UEFI and Secure Boot (SMM on): ' +
       ', '.join(w for w in wanted if w in text))


# ---------------------------------------------------------------------------
# The boot scenario

BOOT_NAME = 'bootme'


def blue_fraction(path):
    pix = GdkPixbuf.Pixbuf.new_from_file(path)
    data, stride, n = pix.get_pixels(), pix.get_rowstride(), pix.get_n_channels()
    blue = total = 0
    for y in range(0, pix.get_height(), 4):
        for x in range(0, pix.get_width(), 4):
            i = y * stride + x * n
            r, g, b = data[i], data[i + 1], data[i + 2]
            total += 1
            if b > 120 and r < 60 and g < 60:
                blue += 1
    return blue / max(total, 1)


def step_boot_wizard(h, iso):
    d = lc.wait_for('the wizard', lambda: wizard(h), timeout=20)
    status = lc.wait_for('the detection result',
                         lambda: 'libosinfo' in (label(d, 'Source status') or '') and
                         label(d, 'Source status'), timeout=30)
    diag(status)
    next_page(d, 'Step 2 of 5: Operating system')
    if label(d, 'Chosen operating system') != 'Operating system: Generic / unknown OS':
        raise Failure(f'the OS page says {label(d, "Chosen operating system")!r}')
    next_page(d, 'Step 3 of 5: Memory and CPUs')
    set_field(d, 'Memory in MiB', '256')
    lc.keys('Tab')
    set_field(d, 'Virtual CPUs', '1')
    lc.keys('Tab')
    next_page(d, 'Step 4 of 5: Storage')
    set_field(d, 'Disk size in GiB', '1')
    lc.keys('Tab')
    next_page(d, 'Step 5 of 5: Name and finish')
    set_field(d, 'Name', BOOT_NAME, (pyatspi.ROLE_TEXT,))
    # "Create on" stays at its first choice, Hangar's own connection (only
    # it runs a real QEMU here, which the console below needs).
    time.sleep(0.3)
    lc.click(named(d, 'Create', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('the wizard to close', lambda: wizard(h) is None, timeout=60)
    ok(f'unknown ISO: generic OS, 256 MiB, 1 vCPU, 1 GiB disk, "{BOOT_NAME}" on '
       f'"This computer": created')


def step_boot_console(h, proc):
    lc.VM = BOOT_NAME
    lc.wait_for(f'"{BOOT_NAME}" running', lambda: h.state_text() == 'Running', timeout=60)
    display = lc.wait_for('the guest display',
                          lambda: next((a for a in lc.walk(h.frame)
                                        if a.name == 'Guest display'), None), timeout=60)
    t0 = time.monotonic()

    def booted():
        shot = lc.screenshot('new-vm-boot-display.png', display)
        fraction = blue_fraction(shot)
        return fraction > 0.5 and fraction
    fraction = lc.wait_for('the test guest\'s blue screen in the console', booted,
                           timeout=180, interval=2.0)
    lc.screenshot('new-vm-booted.png')
    ok(f'the VM booted from the ISO: the console shows the guest\'s screen ({fraction:.0%} blue, '
       f'not SeaBIOS\'s black "No bootable device") after {time.monotonic() - t0:.0f} s')


def step_boot_details(h, iso):
    image = os.path.join(GLib.get_user_data_dir(), 'hangar', 'images', f'{BOOT_NAME}.qcow2')
    info = json.loads(subprocess.run(['qemu-img', 'info', '-U', '--output=json', image],
                                     check=True, capture_output=True, text=True,
                                     timeout=30).stdout)
    if info.get('format') != 'qcow2':
        raise Failure(f'{image}: {info}')
    lc.click(lc.wait_for('the "Details" tab',
                         lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Details') or
                         lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Details')))
    details = lc.wait_for('the Details page disks',
                          lambda: next((lc.text_of(a) for a in lc.find_all(h.frame,
                                                                           pyatspi.ROLE_LABEL)
                                        if image in lc.text_of(a)), None), timeout=10)
    if iso not in details:
        raise Failure(f'the VM page lists {details!r}, without the ISO')

    # Hardware → CD-ROM: the ISO is in the drive; Eject empties it while the
    # VM runs.
    lc.click(lc.wait_for('the "Hardware" tab',
                         lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Hardware') or
                         lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Hardware')))

    def cdrom_row():
        for acc in lc.walk(h.frame):
            if acc.getRole() == pyatspi.ROLE_LABEL and lc.text_of(acc).startswith('CD-ROM ') and \
                    acc.parent is not None and acc.parent.getRole() == pyatspi.ROLE_LIST_ITEM:
                return acc
        return None
    lc.click(lc.wait_for('the "CD-ROM" page', cdrom_row))
    medium = lc.wait_for('the drive with the ISO',
                         lambda: iso in (label(h.frame, 'Medium') or '') and
                         label(h.frame, 'Medium'))
    lc.click(lc.wait_for('"Eject"', lambda: named(h.frame, 'Eject', (pyatspi.ROLE_PUSH_BUTTON,))))
    empty = lc.wait_for('the drive empty',
                        lambda: label(h.frame, 'Medium') == '—' and 'empty', timeout=20)
    lc.screenshot('new-vm-cdrom-ejected.png')
    diag(f'{medium!r} -> {empty!r}')
    lc.click(lc.wait_for('"Force Off"', lambda: h.button('Force Off')))
    lc.wait_for(f'"{BOOT_NAME}" shut off', lambda: h.state_text() == 'Shut off', timeout=30)
    ok(f'libvirt has the qcow2 and the ISO: {details!r}; Hardware → CD-ROM → Eject empties '
       f'the drive while it runs; forced off')


NET_NAME = 'netinst'
TREE = 'dists/bullseye/main/installer-amd64'


def serve_tree(workdir):
    """A Debian 11 install tree on 127.0.0.1 (as osinfo-db describes one)
    whose installer kernel and initrd are the test guest's. Returns the
    server process and the tree's URL."""
    netboot = os.path.join(workdir, TREE, 'current', 'images', 'netboot', 'debian-installer',
                           'amd64')
    os.makedirs(netboot)
    shutil.copy(os.environ['HANGAR_TEST_GUEST_KERNEL'], os.path.join(netboot, 'linux'))
    shutil.copy(os.environ['HANGAR_TEST_GUEST_INITRD'], os.path.join(netboot, 'initrd.gz'))
    server = subprocess.Popen(['/usr/bin/python3', '-u', '-m', 'http.server', '--bind',
                               '127.0.0.1', '--directory', workdir, '0'],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    port = re.search(r'port (\d+)', line).group(1)
    return server, f'http://127.0.0.1:{port}/{TREE}'


def step_net_install(h, url):
    lc.keys('ctrl+n')
    d = lc.wait_for('the wizard', lambda: wizard(h), timeout=20)
    # A bad address first: said inline, Next unavailable.
    set_field(d, 'Install tree address', 'file:///etc', (pyatspi.ROLE_TEXT,))
    lc.keys('Return')
    refused = lc.wait_for('the refusal', lambda: 'address' in (label(d, 'Source status') or '') and
                          label(d, 'Source status'), timeout=10)
    set_field(d, 'Install tree address', url, (pyatspi.ROLE_TEXT,))
    lc.keys('Return')
    status = lc.wait_for('the tree identified',
                         lambda: (label(d, 'Source status') or '').startswith('Detected') and
                         label(d, 'Source status'), timeout=60)
    if status != 'Detected: Debian 11 (network install)':
        raise Failure(f'the wizard says {status!r}')
    lc.screenshot('new-vm-tree.png', d)
    next_page(d, 'Step 2 of 5: Operating system')
    next_page(d, 'Step 3 of 5: Memory and CPUs')
    set_field(d, 'Memory in MiB', '256')
    lc.keys('Tab')
    set_field(d, 'Virtual CPUs', '1')
    lc.keys('Tab')
    next_page(d, 'Step 4 of 5: Storage')
    set_field(d, 'Disk size in GiB', '1')
    lc.keys('Tab')
    next_page(d, 'Step 5 of 5: Name and finish')
    set_field(d, 'Name', NET_NAME, (pyatspi.ROLE_TEXT,))
    time.sleep(0.3)
    lc.click(named(d, 'Create', (pyatspi.ROLE_PUSH_BUTTON,)))
    lc.wait_for('the wizard to close', lambda: wizard(h) is None, timeout=120)
    lc.VM = NET_NAME
    lc.wait_for(f'"{NET_NAME}" running', lambda: h.state_text() == 'Running', timeout=60)
    kernel = os.path.join(GLib.get_user_data_dir(), 'hangar', 'boot', NET_NAME, 'linux')
    with open(kernel, 'rb') as a, open(os.environ['HANGAR_TEST_GUEST_KERNEL'], 'rb') as b:
        if a.read() != b.read():
            raise Failure(f'{kernel} is not the kernel the tree serves')
    diag(refused)
    ok(f'"{url}": {status!r}; created on "This computer" and running; the installer kernel '
       f'fetched to {kernel}')


def step_net_install_booted(h):
    display = lc.wait_for('the guest display',
                          lambda: next((a for a in lc.walk(h.frame)
                                        if a.name == 'Guest display'), None), timeout=60)

    def booted():
        # The test guest draws its banner white on blue; the "Connecting…"
        # overlay or a black screen is not it.
        fraction = blue_fraction(lc.screenshot('new-vm-net-display.png', display))
        return fraction > 0.5 and fraction
    fraction = lc.wait_for('the guest booted by the installer kernel, in the console', booted,
                           timeout=180, interval=2.0)
    # The saved configuration boots the disk from now on.
    lc.click(lc.wait_for('the "Hardware" tab',
                         lambda: lc.find(h.frame, pyatspi.ROLE_RADIO_BUTTON, 'Hardware') or
                         lc.find(h.frame, pyatspi.ROLE_TOGGLE_BUTTON, 'Hardware')))
    lc.click(lc.wait_for('the "Boot Options" page',
                         lambda: next((a for a in lc.walk(h.frame)
                                       if a.getRole() == pyatspi.ROLE_LABEL and
                                       lc.text_of(a) == 'Boot Options' and a.parent is not None
                                       and a.parent.getRole() == pyatspi.ROLE_LIST_ITEM), None)))
    kernel = lc.wait_for('the saved config without the installer kernel',
                         lambda: (lambda f: f is not None and lc.text_of(f) == '' and 'empty')(
                             named(h.frame, 'Kernel path', (pyatspi.ROLE_TEXT,))), timeout=10)
    lc.screenshot('new-vm-net-booted.png')
    lc.click(lc.wait_for('"Force Off"', lambda: h.button('Force Off')))
    lc.wait_for(f'"{NET_NAME}" shut off', lambda: h.state_text() == 'Shut off', timeout=30)
    ok(f'the fetched kernel and initrd boot: the console shows the guest ({fraction:.0%} blue); '
       f'the saved config\'s kernel field is {kernel} (the next start boots the disk); forced off')


def main_boot(iso):
    proc = h = server = None
    workdir = tempfile.mkdtemp(prefix='hnet-', dir=lc.TMP)
    current = 'start hangar'
    try:
        env = dict(os.environ, HANGAR_REPORT_READY='1', G_MESSAGES_DEBUG='')
        env.pop('NO_AT_BRIDGE', None)
        log = open(os.path.join(lc.TMP, 'hangar-new-vm-boot.stderr'), 'w+')
        proc = subprocess.Popen([lc.HANGAR, iso], env=env, stdout=subprocess.PIPE, stderr=log,
                                text=True)
        proc.stderr_log = log
        lc.read_ready(proc, timeout=60)
        current = 'find hangar'
        h = lc.step_find_app(proc)
        current = 'wizard'
        step_boot_wizard(h, iso)
        current = 'boot'
        step_boot_console(h, proc)
        current = 'details'
        step_boot_details(h, iso)
        current = 'serve a tree'
        server, url = serve_tree(workdir)
        current = 'network install'
        step_net_install(h, url)
        current = 'installer booted'
        step_net_install_booted(h)
        current = 'quit'
        lc.step_quit(h)
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError, LookupError,
            ValueError, AttributeError) as e:
        return lc.bail_out(current, e, proc, FAILURE_SHOT)
    finally:
        lc.stop_hangar(proc)
        # The embedded connection's QEMU outlives hangar: stop any left.
        subprocess.run(['pkill', '-f', f'guest={BOOT_NAME}'], check=False)
        subprocess.run(['pkill', '-f', f'guest={NET_NAME}'], check=False)
        if server is not None:
            server.kill()
            server.wait()
        subprocess.run(['rm', '-rf', workdir], check=False)
    print(f'1..{tap.count()}', flush=True)
    return 0


def main():
    tap.configure(timed=True)
    boot_iso = os.environ.get('HANGAR_NEW_VM_BOOT_ISO')
    if boot_iso:
        if os.path.getsize(boot_iso) == 0:
            print('Bail out! the boot ISO is empty: install linux-image-amd64, busybox-static, '
                  'grub-pc-bin (build-aux/install-deps.sh test)', flush=True)
            return 99
        return main_boot(boot_iso)
    workdir = tempfile.mkdtemp(prefix='hnvm-', dir=lc.TMP)
    proc = h = None
    current = 'make the ISO'
    try:
        iso = make_iso(workdir)
        current = 'start hangar'
        env = dict(os.environ, HANGAR_REPORT_READY='1', G_MESSAGES_DEBUG='')
        env.pop('NO_AT_BRIDGE', None)
        log = open(os.path.join(lc.TMP, 'hangar-new-vm.stderr'), 'w+')
        proc = subprocess.Popen([lc.HANGAR, '--connect', 'test:///default', iso], env=env,
                                stdout=subprocess.PIPE, stderr=log, text=True)
        proc.stderr_log = log
        lc.read_ready(proc)
        current = 'find hangar'
        h = lc.step_find_app(proc)
        current = 'source'
        d = step_source(h)
        current = 'OS and resources'
        step_os_and_resources(d)
        current = 'names'
        step_names(d)
        current = 'network and firmware'
        step_network_firmware(d)
        current = 'create'
        step_create(h, d)
        current = 'libvirt'
        step_libvirt(h, iso)
        current = 'xml'
        step_xml(h)
        current = 'quit'
        lc.step_quit(h)
        current = 'stderr'
        lc.step_stderr(proc)
    except (Failure, GLib.Error, subprocess.SubprocessError, OSError, LookupError,
            ValueError) as e:
        return lc.bail_out(current, e, proc, FAILURE_SHOT)
    finally:
        lc.stop_hangar(proc)
        subprocess.run(['rm', '-rf', workdir], check=False)
    print(f'1..{tap.count()}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
