/* hangar-embedded.c: where the embedded connection keeps its state, and the
 * qemu.conf it needs there. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hangar-embedded.h"
#include "hangar-error.h"

static gboolean
root_fits (const char *root)
{
  return strlen (root) <= HANGAR_EMBEDDED_ROOT_MAX;
}

/* Returns $XDG_DATA_HOME/hangar/libvirt, or a shorter folder when that path
 * would make QEMU's sockets too long; @notice then says why, for the UI. */
char *
hangar_embedded_default_root (char **notice)
{
  g_autofree char *preferred = g_build_filename (g_get_user_data_dir (), "hangar", "libvirt", NULL);
  g_autofree char *home_root = g_build_filename (g_get_home_dir (), ".hangar", NULL);
  g_autofree char *uid_name = g_strdup_printf ("hangar-%u", (guint) getuid ());
  g_autofree char *tmp_root = g_build_filename ("/var/tmp", uid_name, NULL);
  const char *chosen;

  if (notice != NULL)
    *notice = NULL;
  if (root_fits (preferred))
    return g_steal_pointer (&preferred);

  chosen = root_fits (home_root) ? home_root : tmp_root;
  /* Said once, when the fallback folder is first made, not at every start. */
  if (notice != NULL && !g_file_test (chosen, G_FILE_TEST_IS_DIR))
    *notice = g_strdup_printf (_("The data folder “%s” is too long a path for QEMU’s control "
                                 "sockets (at most %d characters fit). Hangar keeps the VMs of "
                                 "its own connection in “%s” instead."),
                               preferred, HANGAR_EMBEDDED_ROOT_MAX, chosen);
  return g_strdup (chosen);
}

char *
hangar_embedded_uri (const char *root)
{
  g_autofree char *escaped = g_uri_escape_string (root, "/", FALSE);

  return g_strconcat ("qemu:///embed?root=", escaped, NULL);
}

/* Creates ROOT and writes ROOT/etc/qemu.conf. No virtlogd runs beside an
 * embedded driver, so QEMU's output goes to files; as root, QEMU would run as
 * libvirt-qemu, which cannot open /dev/kvm here. */
gboolean
hangar_embedded_prepare_root (const char  *root,
                              GError     **error)
{
  g_autofree char *etc = g_build_filename (root, "etc", NULL);
  g_autofree char *conf_path = g_build_filename (etc, "qemu.conf", NULL);
  g_autofree char *existing = NULL;
  g_autoptr (GString) conf = g_string_new (NULL);

  if (!root_fits (root))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The folder “%s” is too long a path for QEMU’s control sockets; "
                     "choose one of at most %d characters."), root, HANGAR_EMBEDDED_ROOT_MAX);
      return FALSE;
    }

  if (g_mkdir_with_parents (etc, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                   _("Could not create the folder “%s”: %s"), etc, g_strerror (saved_errno));
      return FALSE;
    }

  g_string_append (conf, "# Written by Hangar for its embedded libvirt connection.\n");
  g_string_append (conf, "stdio_handler = \"file\"\n");
  if (getuid () == 0)
    g_string_append (conf,
                     "user = \"root\"\n"
                     "group = \"root\"\n"
                     "swtpm_user = \"root\"\n"
                     "swtpm_group = \"root\"\n");

  if (g_file_get_contents (conf_path, &existing, NULL, NULL) && g_str_equal (existing, conf->str))
    return TRUE;

  return g_file_set_contents_full (conf_path, conf->str, conf->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
