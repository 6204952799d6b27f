/* hangar-test-guest.h: the small Linux guest of tests/guest (README.md there)
 * as a libvirt domain, and what a test needs around it: a fresh embedded root
 * that outlives no QEMU, and a way to wait for what the guest prints. */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt-gobject/libvirt-gobject.h>

G_BEGIN_DECLS

typedef enum
{
  HANGAR_TEST_GRAPHICS_VNC,    /* VNC, listening on nothing, virtio-gpu (virtio-vga) video */
  HANGAR_TEST_GRAPHICS_SPICE,  /* SPICE, listening on nothing, QXL video */
} HangarTestGraphics;

/* Serial port 0 gets the kernel's messages and everything init prints.
 * $HANGAR_TEST_GUEST_EXTRA_CMDLINE, when set, is appended (hangar.drm=1, for
 * instance: see tests/guest/README.md). */
#define HANGAR_TEST_GUEST_CMDLINE "console=tty1 console=ttyS0,115200 consoleblank=0"

/* Lines the guest prints on its serial port (each ends in "\r\n"). */
#define HANGAR_TEST_GUEST_READY        "HANGAR-GUEST-READY"
#define HANGAR_TEST_GUEST_TYPED        "TYPED: "        /* + a line typed on tty1 */
#define HANGAR_TEST_GUEST_SERIAL       "SERIAL: "       /* + a line received on ttyS0 */
#define HANGAR_TEST_GUEST_CTRL_ALT_DEL "CTRL-ALT-DEL"

/* The guest's files, as built by tests/guest/build-guest.sh: from
 * $HANGAR_TEST_GUEST_KERNEL and $HANGAR_TEST_GUEST_INITRD. Returns FALSE with
 * @reason (for g_test_skip ()) when they are not set or were left empty
 * because the packages they come from are missing. */
gboolean          hangar_test_guest_find        (char  **kernel,
                                                 char  **initrd,
                                                 char  **reason);

/* Whether /dev/kvm can run the guest: it must be accessible and backed by
 * hardware virtualisation (kvm_intel or kvm_amd). $HANGAR_TEST_GUEST_VIRT
 * ("kvm" or "qemu") overrides the guess. */
gboolean          hangar_test_guest_use_kvm     (void);

/* A domain of 256 MiB and one vCPU booting @kernel and @initrd directly.
 * Serial port 0 is a pty, so virDomainOpenConsole (device NULL) reaches it,
 * and QEMU also copies all its output to @serial_log_path (truncated at
 * start). */
GVirConfigDomain *hangar_test_guest_config      (const char          *name,
                                                 const char          *kernel,
                                                 const char          *initrd,
                                                 const char          *serial_log_path,
                                                 HangarTestGraphics   graphics);

/* Makes a fresh embedded root (under the build folder when the path is short
 * enough for QEMU's sockets, else in the temporary folder) with its
 * qemu.conf, and starts a watchdog process that, once this process ends
 * however it ends (a failed assertion, a crash, a timeout's SIGKILL), kills
 * the QEMU processes started from that root. Call it before libvirt is
 * initialised. */
char             *hangar_test_guest_make_root   (GError **error);
/* Tells the watchdog that the tests passed: it then also deletes the root.
 * After a failure the root stays, with QEMU's log in ROOT/log/qemu. */
void              hangar_test_guest_root_passed (void);

/* Iterates the default main context until @log_path contains @needle after
 * its first @offset bytes, or @timeout_ms pass. On success, *@end (if not
 * NULL) is set to the offset just after the match, to look for the next line
 * from there. On timeout, prints the log's tail with g_test_message (). */
gboolean          hangar_test_guest_wait_for    (const char *log_path,
                                                 const char *needle,
                                                 gsize       offset,
                                                 guint       timeout_ms,
                                                 gsize      *end);

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirStream, g_object_unref)

/* libvirt's screenshot of the guest's first display, decoded (QEMU 7.2
 * sends PNG, older ones PPM); @mime receives the type libvirt named. */
GdkPixbuf *hangar_test_guest_screenshot (GVirDomain  *domain,
                                         char       **mime,
                                         GError     **error);

G_END_DECLS
