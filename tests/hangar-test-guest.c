/* hangar-test-guest.c: the test guest's domain, built with libvirt-gconfig,
 * and the embedded root it runs from. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hangar-embedded.h"
#include "hangar-test-guest.h"
#include "hangar-config-util.h"
#include "hangar-vm-builder.h"

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainSerial, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainChardevSourcePty, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainVideo, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainGraphics, g_object_unref)

gboolean
hangar_test_guest_find (char **kernel,
                        char **initrd,
                        char **reason)
{
  const char *kernel_env = g_getenv ("HANGAR_TEST_GUEST_KERNEL");
  const char *initrd_env = g_getenv ("HANGAR_TEST_GUEST_INITRD");
  GStatBuf st;

  *kernel = *initrd = *reason = NULL;
  if (kernel_env == NULL || initrd_env == NULL)
    {
      *reason = g_strdup ("HANGAR_TEST_GUEST_KERNEL and HANGAR_TEST_GUEST_INITRD are not set; "
                          "run the test with meson test");
      return FALSE;
    }
  if (g_stat (kernel_env, &st) < 0 || st.st_size == 0 ||
      g_stat (initrd_env, &st) < 0 || st.st_size == 0)
    {
      *reason = g_strdup ("the test guest is not built: linux-image-amd64 or busybox-static "
                          "is missing (build-aux/install-deps.sh test installs them)");
      return FALSE;
    }
  *kernel = g_strdup (kernel_env);
  *initrd = g_strdup (initrd_env);
  return TRUE;
}

gboolean
hangar_test_guest_use_kvm (void)
{
  const char *forced = g_getenv ("HANGAR_TEST_GUEST_VIRT");

  if (forced != NULL && *forced != '\0')
    return g_str_equal (forced, "kvm");

  /* The same rule as the new-VM wizard's (kvm_pvm sandboxes: TCG). */
  return hangar_host_kvm_usable ();
}

static void
add_device (GVirConfigDomain *domain,
            gpointer          device)
{
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (device));
  g_object_unref (device);
}

GVirConfigDomain *
hangar_test_guest_config (const char         *name,
                          const char         *kernel,
                          const char         *initrd,
                          const char         *serial_log_path,
                          HangarTestGraphics  graphics)
{
  const char *features[] = { "acpi", "apic", NULL };
  GVirConfigDomain *domain = gvir_config_domain_new ();
  g_autoptr (GVirConfigDomainOs) os = gvir_config_domain_os_new ();
  g_autoptr (GVirConfigDomainSerial) serial = gvir_config_domain_serial_new ();
  g_autoptr (GVirConfigDomainChardevSourcePty) pty = gvir_config_domain_chardev_source_pty_new ();
  g_autoptr (GVirConfigDomainVideo) video = gvir_config_domain_video_new ();
  g_autoptr (GVirConfigDomainGraphics) display = NULL;
  GVirConfigDomainInput *tablet = gvir_config_domain_input_new ();
  GVirConfigDomainMemballoon *balloon = gvir_config_domain_memballoon_new ();
  const char *extra_cmdline = g_getenv ("HANGAR_TEST_GUEST_EXTRA_CMDLINE");
  g_autofree char *cmdline = NULL;

  gvir_config_domain_set_name (domain, name);
  gvir_config_domain_set_virt_type (domain, hangar_test_guest_use_kvm ()
                                              ? GVIR_CONFIG_DOMAIN_VIRT_KVM
                                              : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_memory (domain, 256 * 1024);  /* KiB */
  gvir_config_domain_set_vcpus (domain, 1);
  /* ACPI: virDomainShutdown presses the power button, which init obeys. */
  gvir_config_domain_set_features (domain, (GStrv) features);

  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_kernel (os, kernel);
  gvir_config_domain_os_set_ramdisk (os, initrd);
  cmdline = g_strjoin (" ", HANGAR_TEST_GUEST_CMDLINE, extra_cmdline, NULL);
  gvir_config_domain_os_set_cmdline (os, cmdline);
  gvir_config_domain_set_os (domain, os);

  /* One port for both needs: a pty for the console API, and QEMU's own copy
   * of the guest's output in a file (written from the start, whether or not
   * anyone reads the pty). libvirt adds the matching <console>. */
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
  /* (libvirt-gconfig 4.0 can set neither a <log> nor a graphics <listen>.) */
  add_device (domain, hangar_config_with_child (GVIR_CONFIG_OBJECT (serial), "serial", "log",
                                                "file", serial_log_path, "append", "off",
                                                NULL));

  switch (graphics)
    {
    case HANGAR_TEST_GRAPHICS_VNC:
      display = GVIR_CONFIG_DOMAIN_GRAPHICS (gvir_config_domain_graphics_vnc_new ());
      /* On x86 the primary virtio video is virtio-vga: VGA text mode first. */
      gvir_config_domain_video_set_model (video, GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VIRTIO);
      break;
    case HANGAR_TEST_GRAPHICS_SPICE:
      display = GVIR_CONFIG_DOMAIN_GRAPHICS (gvir_config_domain_graphics_spice_new ());
      gvir_config_domain_video_set_model (video, GVIR_CONFIG_DOMAIN_VIDEO_MODEL_QXL);
      break;
    default:
      g_assert_not_reached ();
    }
  /* Reached through virDomainOpenGraphicsFD only: no port to collide on. */
  add_device (domain, hangar_config_with_child (GVIR_CONFIG_OBJECT (display), "graphics",
                                                "listen", "type", "none", NULL));
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (video));

  /* The PS/2 keyboard (and mouse) come with the machine; a tablet, as
   * Hangar's own VMs have, for absolute pointer positions. */
  gvir_config_domain_input_set_device_type (tablet, GVIR_CONFIG_DOMAIN_INPUT_DEVICE_TABLET);
  gvir_config_domain_input_set_bus (tablet, GVIR_CONFIG_DOMAIN_INPUT_BUS_USB);
  add_device (domain, tablet);

  gvir_config_domain_memballoon_set_model (balloon, GVIR_CONFIG_DOMAIN_MEMBALLOON_MODEL_NONE);
  add_device (domain, balloon);

  return domain;
}

/* ------------------------------------------------------------------ */

static int watchdog_fd = -1;

/* Runs in a session of its own, so that killing the test's process group
 * (as meson does on a timeout) spares it. It reads until the test process is
 * gone, whatever way it went, then kills the QEMUs of the root: the
 * embedded driver leaves them running when the process that started them
 * ends. */
static const char watchdog_script[] =
  "root=$1\n"
  "status=$(cat)\n"
  "for p in /proc/[0-9]*; do\n"
  "  case \"$(readlink $p/exe 2>/dev/null)\" in *qemu-system*) ;; *) continue ;; esac\n"
  "  case \"$(tr '\\000' ' ' < $p/cmdline 2>/dev/null)\" in\n"
  "    *\"$root/\"*) kill -9 ${p#/proc/} 2>/dev/null ;;\n"
  "  esac\n"
  "done\n"
  "[ \"$status\" = passed ] && rm -rf \"$root\"\n"
  "exit 0\n";

static void
watchdog_setup (gpointer user_data)
{
  setsid ();
}

char *
hangar_test_guest_make_root (GError **error)
{
  g_autofree char *in_build = g_build_filename (g_test_get_dir (G_TEST_BUILT),
                                                "tgroot-XXXXXX", NULL);
  g_autofree char *root = NULL;
  const char *argv[] = { "/bin/sh", "-c", watchdog_script, "hangar-test-watchdog", NULL, NULL };

  g_return_val_if_fail (watchdog_fd < 0, NULL);

  if (strlen (in_build) <= HANGAR_EMBEDDED_ROOT_MAX)
    {
      if (g_mkdtemp (in_build) == NULL)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "Could not create %s: %s", in_build, g_strerror (saved_errno));
          return NULL;
        }
      root = g_steal_pointer (&in_build);
    }
  else
    {
      root = g_dir_make_tmp ("hangar-tg-XXXXXX", error);
      if (root == NULL)
        return NULL;
    }

  if (!hangar_embedded_prepare_root (root, error))
    {
      g_rmdir (root);
      return NULL;
    }

  argv[4] = root;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                 watchdog_setup, NULL, NULL,
                                 &watchdog_fd, NULL, NULL, error))
    return NULL;

  return g_steal_pointer (&root);
}

void
hangar_test_guest_root_passed (void)
{
  static const char passed[] = "passed";

  g_return_if_fail (watchdog_fd >= 0);

  if (write (watchdog_fd, passed, strlen (passed)) < 0)
    g_warning ("Could not reach the watchdog: %s", g_strerror (errno));
  close (watchdog_fd);
  watchdog_fd = -1;
}

/* ------------------------------------------------------------------ */

static gboolean
log_contains (const char *log_path,
              const char *needle,
              gsize       offset,
              gsize      *end)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *found;

  if (!g_file_get_contents (log_path, &contents, &length, NULL) || length < offset)
    return FALSE;

  found = g_strstr_len (contents + offset, (gssize) (length - offset), needle);
  if (found == NULL)
    return FALSE;
  if (end != NULL)
    *end = (gsize) (found - contents) + strlen (needle);
  return TRUE;
}

gboolean
hangar_test_guest_wait_for (const char *log_path,
                            const char *needle,
                            gsize       offset,
                            guint       timeout_ms,
                            gsize      *end)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autofree char *contents = NULL;
  gsize length = 0;

  while (!log_contains (log_path, needle, offset, end))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_test_message ("“%s” did not show up in %s within %u ms", needle, log_path,
                          timeout_ms);
          if (g_file_get_contents (log_path, &contents, &length, NULL))
            g_test_message ("Its last lines:\n%s",
                            contents + (length > 2000 ? length - 2000 : 0));
          return FALSE;
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

static gint
append_bytes (GVirStream *stream,
              const char *buf,
              gsize       nbytes,
              gpointer    user_data)
{
  g_byte_array_append (user_data, (const guint8 *) buf, nbytes);
  return (gint) nbytes;
}

GdkPixbuf *
hangar_test_guest_screenshot (GVirDomain  *domain,
                              char       **mime,
                              GError     **error)
{
  g_autoptr (GVirStream) stream = NULL;
  g_autoptr (GByteArray) image = g_byte_array_new ();
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autofree char *type = NULL;
  virDomainPtr handle = NULL;

  /* A blocking stream, which gvir_connection_get_stream () never makes, for
   * gvir_stream_receive_all (). The GVirStream takes over the reference. */
  g_object_get (domain, "handle", &handle, NULL);
  stream = g_object_new (GVIR_TYPE_STREAM, "handle", virStreamNew (virDomainGetConnect (handle), 0),
                         NULL);
  virDomainFree (handle);

  type = gvir_domain_screenshot (domain, stream, 0, 0, error);
  if (type == NULL || gvir_stream_receive_all (stream, NULL, append_bytes, image, error) < 0)
    return NULL;

  loader = gdk_pixbuf_loader_new_with_mime_type (type, error);
  if (loader == NULL ||
      !gdk_pixbuf_loader_write (loader, image->data, image->len, error) ||
      !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  if (mime != NULL)
    *mime = g_steal_pointer (&type);
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}
