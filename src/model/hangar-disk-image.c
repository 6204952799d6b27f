/* hangar-disk-image.c: local disk images through qemu-img. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "hangar-disk-image.h"
#include "hangar-error.h"

#define GIB (G_GUINT64_CONSTANT (1) << 30)

gboolean
hangar_disk_image_check_space (const char  *dir,
                               guint64      needed,
                               GError     **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (GFileInfo) info = g_file_query_filesystem_info (file,
                                                             G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                                             NULL, error);
  guint64 free_bytes;

  if (info == NULL)
    return FALSE;
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (free_bytes < needed)
    {
      g_autofree char *want = g_format_size (needed);
      g_autofree char *have = g_format_size (free_bytes);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                   _("The disk needs %s but %s has only %s free."), want, dir, have);
      return FALSE;
    }
  return TRUE;
}

gboolean
hangar_disk_image_create (const char  *path,
                          guint64      gib,
                          GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "G", gib);
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *err = NULL;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not make the folder %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("%s exists already; Hangar never overwrites a disk image."), path);
      return FALSE;
    }
  if (!hangar_disk_image_check_space (dir, gib * GIB, error))
    return FALSE;
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              error, "qemu-img", "create", "-q", "-f", "qcow2", "--", path, size,
                              NULL);
  if (process == NULL || !g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO, _("Could not create the disk image: %s"),
                   err != NULL && *err != '\0' ? g_strstrip (err) : _("qemu-img failed"));
      return FALSE;
    }
  return TRUE;
}
