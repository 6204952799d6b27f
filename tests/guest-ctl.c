/* guest-ctl.c: drives the test guest (tests/guest) on an embedded libvirt
 * root from the command line, one short-lived process per command, so that a
 * test can hand the root to another process (Hangar) in between: an
 * embedded root can be opened by one process at a time, and QEMU keeps
 * running after the process that started it exits.
 *
 *   guest-ctl ROOT prepare                     make ROOT's etc/qemu.conf
 *   guest-ctl ROOT define NAME vnc|spice LOG   define the guest (serial log to LOG)
 *   guest-ctl ROOT start NAME
 *   guest-ctl ROOT state NAME                  prints running, shutoff, …
 *   guest-ctl ROOT screenshot NAME FILE        libvirt's screenshot; prints "MIME WxH"
 *   guest-ctl ROOT destroy NAME                force off (fine when already off)
 *   guest-ctl ROOT undefine NAME
 *
 * Exits 0 on success, 77 when the guest's files are not built (the skip
 * code of meson and TAP runners), 1 on failure with the reason on stderr.
 * The domain comes from hangar_test_guest_config (): no XML is written
 * here. */
#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "hangar-embedded.h"
#include "hangar-test-guest.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */

#define EXIT_SKIP 77

static GVirConnection *connection;

static G_GNUC_NORETURN G_GNUC_PRINTF (1, 2) void
die (const char *format,
     ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("guest-ctl: %s\n", message);
  exit (1);
}

static void
usage (void)
{
  g_printerr ("usage: guest-ctl ROOT prepare\n"
              "       guest-ctl ROOT define NAME vnc|spice SERIAL_LOG\n"
              "       guest-ctl ROOT start|state|destroy|undefine NAME\n"
              "       guest-ctl ROOT screenshot NAME FILE\n");
  exit (2);
}

static void
open_root (const char *root)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_embedded_uri (root);

  if (!gvir_init_object_check (NULL, NULL, &error))
    die ("could not initialise libvirt-gobject: %s", error->message);
  gvir_event_register ();
  connection = gvir_connection_new (uri);
  if (!gvir_connection_open (connection, NULL, &error))
    die ("could not open %s: %s", uri, error->message);
  if (!gvir_connection_fetch_domains (connection, NULL, &error))
    die ("could not list the domains of %s: %s", uri, error->message);
}

static GVirDomain *
find_domain (const char *name)
{
  GVirDomain *domain = gvir_connection_find_domain_by_name (connection, name);

  if (domain == NULL)
    die ("no domain called %s", name);
  return domain;
}

static int
domain_state (GVirDomain *domain)
{
  g_autoptr (GError) error = NULL;
  GVirDomainInfo *info = gvir_domain_get_info (domain, &error);
  int state;

  if (info == NULL)
    die ("could not read the state of %s: %s", gvir_domain_get_name (domain), error->message);
  state = info->state;
  g_boxed_free (GVIR_TYPE_DOMAIN_INFO, info);
  return state;
}

static const char *
state_name (int state)
{
  switch (state)
    {
    case GVIR_DOMAIN_STATE_RUNNING: return "running";
    case GVIR_DOMAIN_STATE_BLOCKED: return "blocked";
    case GVIR_DOMAIN_STATE_PAUSED: return "paused";
    case GVIR_DOMAIN_STATE_SHUTDOWN: return "shutdown";
    case GVIR_DOMAIN_STATE_SHUTOFF: return "shutoff";
    case GVIR_DOMAIN_STATE_CRASHED: return "crashed";
    case GVIR_DOMAIN_STATE_PMSUSPENDED: return "pmsuspended";
    default: return "unknown";
    }
}

/* Right after this process opened the root, libvirt reattaches to the
 * running QEMUs in the background: until it has, monitor commands fail with
 * "domain is not running" although the domain is listed as running. */
static gboolean
retry_for (gint64 *deadline)
{
  if (*deadline == 0)
    *deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  if (g_get_monotonic_time () > *deadline)
    return FALSE;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_usleep (200 * 1000);
  return TRUE;
}

static void
screenshot (GVirDomain *domain,
            const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree char *mime = NULL;
  gint64 deadline = 0;

  while ((pixbuf = hangar_test_guest_screenshot (domain, &mime, &error)) == NULL)
    {
      if (!retry_for (&deadline))
        die ("could not take a screenshot of %s: %s", gvir_domain_get_name (domain),
             error ? error->message : virGetLastErrorMessage ());
      g_clear_error (&error);
    }

  /* Either way libvirt sent it, the file is a PNG. */
  if (!gdk_pixbuf_save (pixbuf, path, "png", &error, NULL))
    die ("could not save %s: %s", path, error->message);
  g_print ("%s %dx%d\n", mime, gdk_pixbuf_get_width (pixbuf), gdk_pixbuf_get_height (pixbuf));
}

static void
destroy (GVirDomain *domain)
{
  gint64 deadline = 0;

  while (domain_state (domain) != GVIR_DOMAIN_STATE_SHUTOFF)
    {
      g_autoptr (GError) error = NULL;

      if (gvir_domain_stop (domain, 0, &error))
        continue;
      /* See retry_for (): QEMU may be gone although libvirt says so. */
      if (!retry_for (&deadline))
        die ("could not force %s off: %s", gvir_domain_get_name (domain), error->message);
    }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVirDomain) domain = NULL;
  const char *root, *command;

  if (argc < 3)
    usage ();
  root = argv[1];
  command = argv[2];

  if (g_str_equal (command, "prepare"))
    {
      if (argc != 3)
        usage ();
      if (!hangar_embedded_prepare_root (root, &error))
        die ("%s", error->message);
      return 0;
    }

  if (g_str_equal (command, "define"))
    {
      g_autofree char *kernel = NULL, *initrd = NULL, *reason = NULL;
      g_autoptr (GVirConfigDomain) config = NULL;
      HangarTestGraphics graphics;

      if (argc != 6)
        usage ();
      if (g_str_equal (argv[4], "vnc"))
        graphics = HANGAR_TEST_GRAPHICS_VNC;
      else if (g_str_equal (argv[4], "spice"))
        graphics = HANGAR_TEST_GRAPHICS_SPICE;
      else
        usage ();
      if (!hangar_test_guest_find (&kernel, &initrd, &reason))
        {
          g_printerr ("guest-ctl: %s\n", reason);
          return EXIT_SKIP;
        }
      open_root (root);
      config = hangar_test_guest_config (argv[3], kernel, initrd, argv[5], graphics);
      domain = gvir_connection_create_domain (connection, config, &error);
      if (domain == NULL)
        die ("could not define %s: %s", argv[3], error->message);
      g_print ("%s\n", hangar_test_guest_use_kvm () ? "kvm" : "qemu");
    }
  else if (g_str_equal (command, "start") && argc == 4)
    {
      open_root (root);
      domain = find_domain (argv[3]);
      if (!gvir_domain_start (domain, 0, &error))
        die ("could not start %s: %s", argv[3], error->message);
    }
  else if (g_str_equal (command, "state") && argc == 4)
    {
      open_root (root);
      domain = find_domain (argv[3]);
      g_print ("%s\n", state_name (domain_state (domain)));
    }
  else if (g_str_equal (command, "screenshot") && argc == 5)
    {
      open_root (root);
      domain = find_domain (argv[3]);
      screenshot (domain, argv[4]);
    }
  else if (g_str_equal (command, "destroy") && argc == 4)
    {
      open_root (root);
      domain = find_domain (argv[3]);
      destroy (domain);
    }
  else if (g_str_equal (command, "undefine") && argc == 4)
    {
      open_root (root);
      domain = find_domain (argv[3]);
      if (!gvir_domain_delete (domain, 0, &error))
        die ("could not undefine %s: %s", argv[3], error->message);
    }
  else
    usage ();

  g_clear_object (&domain);
  gvir_connection_close (connection);
  g_clear_object (&connection);
  return 0;
}
