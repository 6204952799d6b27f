/* hangar-install-tree.c: install trees through libosinfo and libsoup. */
#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hangar-error.h"
#include "hangar-install-tree.h"

void
hangar_install_tree_free (HangarInstallTree *tree)
{
  if (tree == NULL)
    return;
  g_free (tree->url);
  g_clear_object (&tree->os);
  g_free (tree->kernel_path);
  g_free (tree->initrd_path);
  g_free (tree);
}

gboolean
hangar_install_tree_check_url (const char  *url,
                               GError     **error)
{
  g_autoptr (GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0 &&
       g_strcmp0 (scheme, "ftp") != 0))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("Give the install tree’s address, such as "
                             "http://deb.debian.org/debian/dists/bookworm/main/installer-amd64."));
      return FALSE;
    }
  return TRUE;
}

static char *
url_path (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  char *path = g_strdup (uri != NULL ? g_uri_get_path (uri) : "");
  gsize len = strlen (path);

  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';
  return path;
}

/* How many trailing path components @a and @b share. */
static guint
common_tail (const char *a,
             const char *b)
{
  g_auto (GStrv) x = g_strsplit (a, "/", -1);
  g_auto (GStrv) y = g_strsplit (b, "/", -1);
  guint i = g_strv_length (x), j = g_strv_length (y), n = 0;

  while (i > 0 && j > 0 && *x[i - 1] != '\0' && g_str_equal (x[i - 1], y[j - 1]))
    {
      i--;
      j--;
      n++;
    }
  return n;
}

/* osinfo-db's trees have no .treeinfo for Debian and Ubuntu: the OS whose
 * x86_64 tree URL ends like @url (on any mirror, whatever its folder: at
 * least "RELEASE/main/installer-amd64" in common) holds it. */
static HangarInstallTree *
match_known_trees (OsinfoDb   *db,
                   const char *url)
{
  g_autofree char *path = url_path (url);
  g_autoptr (OsinfoOsList) oses = osinfo_db_get_os_list (db);
  HangarInstallTree *best = NULL;
  guint best_tail = 2;

  if (*path == '\0')
    return NULL;
  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (oses)); i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (oses), i));
      g_autoptr (OsinfoTreeList) trees = osinfo_os_get_tree_list (os);

      for (int j = 0; j < osinfo_list_get_length (OSINFO_LIST (trees)); j++)
        {
          OsinfoTree *tree = OSINFO_TREE (osinfo_list_get_nth (OSINFO_LIST (trees), j));
          g_autofree char *known = NULL;

          if (g_strcmp0 (osinfo_tree_get_architecture (tree), "x86_64") != 0 ||
              osinfo_tree_get_url (tree) == NULL || osinfo_tree_get_kernel_path (tree) == NULL)
            continue;
          known = url_path (osinfo_tree_get_url (tree));
          if (common_tail (path, known) > best_tail)
            {
              hangar_install_tree_free (best);
              best = g_new0 (HangarInstallTree, 1);
              best->os = g_object_ref (os);
              best->kernel_path = g_strdup (osinfo_tree_get_kernel_path (tree));
              best->initrd_path = g_strdup (osinfo_tree_get_initrd_path (tree));
              best_tail = common_tail (path, known);
            }
        }
    }
  return best;
}

static void
identify_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  const char *url = task_data;
  OsinfoDb *db = hangar_os_db_ensure_loaded (HANGAR_OS_DB (source_object));
  g_autoptr (GError) error = NULL;
  g_autoptr (OsinfoTree) tree = NULL;
  HangarInstallTree *found = NULL;

  /* A .treeinfo (Fedora, RHEL, openSUSE…) says what it is. */
  tree = osinfo_tree_create_from_location (url, cancellable, &error);
  if (tree != NULL && osinfo_db_identify_tree (db, tree) && osinfo_tree_get_os (tree) != NULL)
    {
      found = g_new0 (HangarInstallTree, 1);
      found->os = g_object_ref (osinfo_tree_get_os (tree));
      found->kernel_path = g_strdup (osinfo_tree_get_kernel_path (tree));
      found->initrd_path = g_strdup (osinfo_tree_get_initrd_path (tree));
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_clear_pointer (&found, hangar_install_tree_free);
      g_task_return_error_if_cancelled (task);
      return;
    }
  if (found == NULL)
    found = match_known_trees (db, url);
  if (found == NULL || found->kernel_path == NULL || found->initrd_path == NULL)
    {
      hangar_install_tree_free (found);
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                               _("libosinfo does not know an install tree at %s: give the "
                                 "address of the installer’s folder (for Debian, "
                                 "…/dists/RELEASE/main/installer-amd64)."), url);
      return;
    }
  found->url = g_strdup (url);
  g_strchomp (found->url);
  while (g_str_has_suffix (found->url, "/"))
    found->url[strlen (found->url) - 1] = '\0';
  g_task_return_pointer (task, found, (GDestroyNotify) hangar_install_tree_free);
}

void
hangar_install_tree_identify_async (HangarOsDb          *db,
                                    const char          *url,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (db, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;

  g_task_set_source_tag (task, hangar_install_tree_identify_async);
  if (!hangar_install_tree_check_url (url, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_set_task_data (task, g_strdup (url), g_free);
  g_task_run_in_thread (task, identify_thread);
}

HangarInstallTree *
hangar_install_tree_identify_finish (HangarOsDb    *db,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, db), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hangar_install_tree_fetch (const char    *url,
                           const char    *path,
                           const char    *dest,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autofree char *full = g_strconcat (url, "/", path, NULL);
  g_autoptr (SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  g_autoptr (SoupMessage) message = soup_message_new (SOUP_METHOD_GET, full);
  g_autoptr (GInputStream) input = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (dest);
  g_autoptr (GFileOutputStream) output = NULL;

  if (message == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT, _("%s is not a URL."), full);
      return FALSE;
    }
  input = soup_session_send (session, message, cancellable, error);
  if (input == NULL)
    {
      g_prefix_error (error, _("Could not fetch %s: "), full);
      return FALSE;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (message)))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("Could not fetch %s: %u %s"),
                   full, soup_message_get_status (message),
                   soup_message_get_reason_phrase (message));
      return FALSE;
    }
  output = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (output == NULL ||
      g_output_stream_splice (G_OUTPUT_STREAM (output), input,
                              G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                              G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, cancellable, error) < 0)
    {
      g_prefix_error (error, _("Could not fetch %s: "), full);
      g_file_delete (file, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}
