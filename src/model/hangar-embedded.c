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

/* Makes @link a symbolic link to @target, unless something that is not our
 * own link is in the way. */
static gboolean
ensure_link (const char *link,
             const char *target)
{
  g_autofree char *current = g_file_read_link (link, NULL);
  GStatBuf st;

  if (current != NULL && g_str_equal (current, target))
    return g_lstat (link, &st) == 0 && st.st_uid == getuid ();
  if (current != NULL)
    {
      /* A stale link of ours (the data folder moved): replace it. */
      if (g_lstat (link, &st) != 0 || st.st_uid != getuid () || g_unlink (link) != 0)
        return FALSE;
    }
  else if (g_file_test (link, G_FILE_TEST_EXISTS))
    return FALSE;
  return symlink (target, link) == 0;
}

/* Returns the root of the embedded connection: $XDG_DATA_HOME/hangar/libvirt
 * when its path is short enough for QEMU's sockets. Otherwise the VMs stay in
 * that folder, reached through a short link in the runtime folder (made
 * again after each reboot), and @notice says so once, when the data folder is
 * new. Only if no link can be made does a shorter folder take its place. */
char *
hangar_embedded_default_root (char **notice)
{
  g_autofree char *preferred = g_build_filename (g_get_user_data_dir (), "hangar", "libvirt", NULL);
  g_autofree char *uid_name = g_strdup_printf ("hangar-%u", (guint) getuid ());
  g_autofree char *runtime_link = g_build_filename (g_get_user_runtime_dir (), "hangar", NULL);
  g_autofree char *tmp_link = g_build_filename (g_get_tmp_dir (), uid_name, NULL);
  g_autofree char *home_root = g_build_filename (g_get_home_dir (), ".hangar", NULL);
  g_autofree char *tmp_root = g_build_filename ("/var/tmp", uid_name, NULL);
  const char *links[] = { runtime_link, tmp_link };
  gboolean is_new;
  const char *chosen;

  if (notice != NULL)
    *notice = NULL;
  if (root_fits (preferred))
    return g_steal_pointer (&preferred);

  is_new = !g_file_test (preferred, G_FILE_TEST_IS_DIR);
  if (g_mkdir_with_parents (preferred, 0700) == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (links); i++)
      {
        if (!root_fits (links[i]) || !ensure_link (links[i], preferred))
          continue;
        if (notice != NULL && is_new)
          *notice = g_strdup_printf (_("The path of the data folder “%s” is too long for "
                                       "QEMU’s control sockets (at most %d characters fit). "
                                       "Hangar keeps its VMs there and opens them through the "
                                       "shorter link “%s”."),
                                     preferred, HANGAR_EMBEDDED_ROOT_MAX, links[i]);
        return g_strdup (links[i]);
      }

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
