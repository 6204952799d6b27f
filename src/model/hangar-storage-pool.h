/* hangar-storage-pool.h: new disk images on connections that have storage
 * pools (session, system, remote): volumes in the "default" pool, which is
 * made when missing, as virt-manager and GNOME Boxes do. Blocking: call
 * from a thread. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Where the "default" pool goes when the connection has none: under the
 * user's data folder for a session connection, /var/lib/libvirt/images for
 * the system one. */
char             *hangar_pool_default_path  (gboolean session);

/* A new qcow2 volume @name of @gib GiB in the "default" pool of @conn
 * (defined, built and started first when needed; never overwriting a
 * volume). Returns the volume, whose path the disk uses; NULL with the
 * reason (not enough space in the pool, a volume of that name…). */
virStorageVolPtr  hangar_pool_create_volume (virConnectPtr  conn,
                                             gboolean       session,
                                             const char    *name,
                                             guint64        gib,
                                             GError       **error);

G_END_DECLS
