/* hangar-disk-image.h: disk image files on the local host, made with
 * qemu-img (Hangar's own connection has no storage pools). Blocking: call
 * these from a thread. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* FALSE with HANGAR_ERROR_IO when @dir's file system has less than @needed
 * bytes free. */
gboolean hangar_disk_image_check_space (const char  *dir,
                                        guint64      needed,
                                        GError     **error);

/* A new, empty qcow2 image of @gib GiB at @path (its folder made if
 * missing); never overwrites a file. */
gboolean hangar_disk_image_create      (const char  *path,
                                        guint64      gib,
                                        GError     **error);

G_END_DECLS
