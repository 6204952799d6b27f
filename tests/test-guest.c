/* test-guest.c: the test guest of tests/guest boots on an embedded root with
 * either display, draws its banner, reads keys sent to it, notices
 * Ctrl+Alt+Del and answers on its serial console. The console tests build on
 * what this one checks. */
#include "config.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/virterror.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <string.h>

#include "hangar-embedded.h"
#include "hangar-test-guest.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */

static GVirConnection *connection;
static char *root;
static char *kernel;
static char *initrd;

static char *
build_path (const char *name)
{
  return g_build_filename (g_test_get_dir (G_TEST_BUILT), name, NULL);
}

static void
send_keys (GVirDomain *domain,
           guint      *codes,
           int         n_codes)
{
  virDomainPtr handle = NULL;
  int result;

  g_object_get (domain, "handle", &handle, NULL);
  result = virDomainSendKey (handle, VIR_KEYCODE_SET_LINUX, 0, codes, n_codes, 0);
  virDomainFree (handle);
  g_assert_cmpint (result, ==, 0);
}

/* ---- screenshot ---- */

static void
check_screenshot (GVirDomain *domain,
                  const char *kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GHashTable) colours = g_hash_table_new (NULL, NULL);
  g_autofree char *mime = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  const guint8 *pixels;
  int width, height, stride, channels;
  gsize lit = 0;

  pixbuf = hangar_test_guest_screenshot (domain, &mime, &error);
  g_assert_no_error (error);
  g_assert_nonnull (pixbuf);
  name = g_strdup_printf ("test-guest-%s.png", kind);
  path = build_path (name);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  g_test_message ("Screenshot (%s): %s", mime, path);

  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  channels = gdk_pixbuf_get_n_channels (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  g_assert_cmpint (width, >=, 640);
  g_assert_cmpint (height, >=, 400);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = pixels + y * stride + x * channels;
        guint rgb = (guint) p[0] << 16 | (guint) p[1] << 8 | p[2];

        g_hash_table_add (colours, GUINT_TO_POINTER (rgb + 1));
        if (rgb != 0)
          lit++;
      }
  g_test_message ("%dx%d, %u colours, %" G_GSIZE_FORMAT "%% not black", width, height,
                  g_hash_table_size (colours), lit * 100 / ((gsize) width * height));
  /* The banner: a blue screen with white blocks and grey text. */
  g_assert_cmpuint (g_hash_table_size (colours), >=, 3);
  g_assert_cmpuint (lit, >=, (gsize) width * height / 2);
}

/* ---- serial console ---- */

typedef struct
{
  GVirStream *stream;
  GString    *received;
  gboolean    hung_up;
} Console;

static gboolean
on_console_readable (GVirStream            *stream,
                     GVirStreamIOCondition  cond,
                     gpointer               user_data)
{
  Console *console = user_data;
  char buffer[1024];
  gssize got;

  for (;;)
    {
      g_autoptr (GError) error = NULL;

      got = gvir_stream_receive (stream, buffer, sizeof buffer, NULL, &error);
      if (got > 0)
        {
          g_string_append_len (console->received, buffer, got);
          continue;
        }
      if (got < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      console->hung_up = TRUE;
      return G_SOURCE_REMOVE;
    }
}

static void
check_serial_console (GVirDomain *domain,
                      const char *log_path)
{
  g_autoptr (GError) error = NULL;
  Console console = { NULL, g_string_new (NULL), FALSE };
  static const char ping[] = "ping\n";
  gint64 deadline;
  guint watch;

  console.stream = gvir_connection_get_stream (connection, VIR_STREAM_NONBLOCK);
  g_assert_true (gvir_domain_open_console (domain, console.stream, NULL,
                                           VIR_DOMAIN_CONSOLE_FORCE, &error));
  g_assert_no_error (error);
  watch = gvir_stream_add_watch (console.stream, GVIR_STREAM_IO_CONDITION_READABLE,
                                 on_console_readable, &console);

  g_assert_cmpint (gvir_stream_send (console.stream, ping, strlen (ping), NULL, &error),
                   ==, (gssize) strlen (ping));
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (strstr (console.received->str, HANGAR_TEST_GUEST_SERIAL "ping") == NULL &&
         !console.hung_up && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (20 * 1000);
    }
  g_test_message ("Read on the console: %s", console.received->str);
  g_assert_nonnull (strstr (console.received->str, HANGAR_TEST_GUEST_SERIAL "ping"));
  /* The log gets a copy of the same output. */
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_SERIAL "ping", 0,
                                             5000, NULL));

  if (!console.hung_up)
    g_source_remove (watch);
  g_object_unref (console.stream);
  g_string_free (console.received, TRUE);
}

/* ---- the test ---- */

static int
qemu_pid (const char *name)
{
  g_autofree char *pid_name = g_strconcat (name, ".pid", NULL);
  g_autofree char *pid_path = g_build_filename (root, "run", "qemu", pid_name, NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (pid_path, &contents, NULL, NULL))
    return -1;
  return (int) g_ascii_strtoll (contents, NULL, 10);
}

static void
test_guest (gconstpointer data)
{
  HangarTestGraphics graphics = GPOINTER_TO_INT (data);
  const char *kind = graphics == HANGAR_TEST_GRAPHICS_VNC ? "vnc" : "spice";
  g_autofree char *name = g_strdup_printf ("hangar-tg-%s", kind);
  g_autofree char *log_name = g_strdup_printf ("test-guest-%s-serial.log", kind);
  g_autofree char *log_path = build_path (log_name);
  g_autoptr (GVirConfigDomain) config = NULL;
  g_autoptr (GVirDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  guint hi[] = { KEY_H, KEY_I, KEY_ENTER };
  guint ctrl_alt_del[] = { KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE };
  GVirDomainInfo *info;
  gint64 started;
  gsize offset = 0;
  int pid;

  if (kernel == NULL)
    {
      g_autofree char *reason = NULL;

      hangar_test_guest_find (&kernel, &initrd, &reason);
      if (reason != NULL)
        {
          g_test_skip (reason);
          return;
        }
    }

  g_unlink (log_path);
  config = hangar_test_guest_config (name, kernel, initrd, log_path, graphics);
  domain = gvir_connection_create_domain (connection, config, &error);
  g_assert_no_error (error);

  started = g_get_monotonic_time ();
  g_assert_true (gvir_domain_start (domain, 0, &error));
  g_assert_no_error (error);
  pid = qemu_pid (name);
  g_assert_cmpint (pid, >, 0);
  g_test_message ("QEMU %d started (%s)", pid,
                  hangar_test_guest_use_kvm () ? "KVM" : "TCG");

  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_READY, 0, 60000,
                                             &offset));
  g_test_message ("Guest ready after %.1f s",
                  (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);

  check_screenshot (domain, kind);

  /* One key at a time: keys of one call are pressed together. */
  for (gsize i = 0; i < G_N_ELEMENTS (hi); i++)
    send_keys (domain, &hi[i], 1);
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_TYPED "hi\r\n",
                                             offset, 10000, &offset));

  send_keys (domain, ctrl_alt_del, G_N_ELEMENTS (ctrl_alt_del));
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_CTRL_ALT_DEL,
                                             offset, 10000, &offset));

  check_serial_console (domain, log_path);

  /* The guest kept running through all of it. */
  info = gvir_domain_get_info (domain, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->state, ==, GVIR_DOMAIN_STATE_RUNNING);
  g_boxed_free (GVIR_TYPE_DOMAIN_INFO, info);

  g_assert_true (gvir_domain_stop (domain, 0, &error));
  g_assert_no_error (error);
  g_assert_true (gvir_domain_delete (domain, 0, &error));
  g_assert_no_error (error);
  g_assert_true (kill (pid, 0) < 0 && errno == ESRCH);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* Before libvirt starts any thread: it forks the watchdog. */
  root = hangar_test_guest_make_root (&error);
  g_assert_no_error (error);
  g_test_message ("Embedded root: %s", root);

  if (!gvir_init_object_check (&argc, &argv, &error))
    g_error ("Could not initialise libvirt-gobject: %s", error->message);
  gvir_event_register ();

  uri = hangar_embedded_uri (root);
  connection = gvir_connection_new (uri);
  if (!gvir_connection_open (connection, NULL, &error))
    g_error ("Could not open %s: %s", uri, error->message);

  g_test_add_data_func ("/guest/vnc-virtio", GINT_TO_POINTER (HANGAR_TEST_GRAPHICS_VNC),
                        test_guest);
  g_test_add_data_func ("/guest/spice-qxl", GINT_TO_POINTER (HANGAR_TEST_GRAPHICS_SPICE),
                        test_guest);
  status = g_test_run ();

  gvir_connection_close (connection);
  g_clear_object (&connection);
  if (status == 0)
    hangar_test_guest_root_passed ();
  g_free (kernel);
  g_free (initrd);
  g_free (root);
  return status;
}
