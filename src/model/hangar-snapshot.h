/* hangar-snapshot.h: one snapshot of a VM as the snapshot browser shows it:
 * name, parent and children, what it captured, where it is stored. */
#pragma once

#include <gio/gio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>

G_BEGIN_DECLS

/* The VM state a snapshot captured. */
typedef enum
{
  HANGAR_SNAPSHOT_STATE_OTHER,
  HANGAR_SNAPSHOT_STATE_RUNNING,
  HANGAR_SNAPSHOT_STATE_PAUSED,
  HANGAR_SNAPSHOT_STATE_SHUT_OFF,
  HANGAR_SNAPSHOT_STATE_DISK_ONLY,
} HangarSnapshotState;

/* Where a snapshot keeps its data: inside the qcow2 disk images, or in
 * overlay files next to them. */
typedef enum
{
  HANGAR_SNAPSHOT_KIND_INTERNAL,
  HANGAR_SNAPSHOT_KIND_EXTERNAL,
} HangarSnapshotKind;

#define HANGAR_TYPE_SNAPSHOT (hangar_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (HangarSnapshot, hangar_snapshot, HANGAR, SNAPSHOT, GObject)

/* Reads what the browser needs from libvirt's description of a snapshot. */
HangarSnapshot      *hangar_snapshot_new_from_config  (GVirConfigDomainSnapshot *config,
                                                       gboolean                  is_current);

const char          *hangar_snapshot_get_name         (HangarSnapshot *self);
const char          *hangar_snapshot_get_parent_name  (HangarSnapshot *self);
const char          *hangar_snapshot_get_description  (HangarSnapshot *self);
gint64               hangar_snapshot_get_creation_time (HangarSnapshot *self);
HangarSnapshotState  hangar_snapshot_get_state        (HangarSnapshot *self);
HangarSnapshotKind   hangar_snapshot_get_kind         (HangarSnapshot *self);
gboolean             hangar_snapshot_get_is_current   (HangarSnapshot *self);
/* For external snapshots: the overlay files libvirt made for it. */
const char * const  *hangar_snapshot_get_overlays     (HangarSnapshot *self);

/* The tree: set by hangar_snapshot_link_tree (). The parent is not owned. */
HangarSnapshot      *hangar_snapshot_get_parent       (HangarSnapshot *self);
GPtrArray           *hangar_snapshot_get_children     (HangarSnapshot *self);
/* Number of snapshots below this one, at any depth. */
guint                hangar_snapshot_count_descendants (HangarSnapshot *self);

const char          *hangar_snapshot_state_to_label   (HangarSnapshotState state);
const char          *hangar_snapshot_kind_to_label    (HangarSnapshotKind kind);

/* Links every snapshot of @snapshots (HangarSnapshot) to its parent and
 * children and returns the roots, oldest first; children are also sorted
 * oldest first. A snapshot whose parent is not in the list is a root. */
GPtrArray           *hangar_snapshot_link_tree        (GPtrArray *snapshots);

/* Where the screen picture of snapshot @name of the VM with @uuid lives:
 * Hangar's data folder, snapshots/UUID/NAME.png; NULL for a name that cannot
 * be a file name (another tool's snapshot named with "/"). */
char                *hangar_snapshot_thumbnail_path   (const char *vm_uuid,
                                                       const char *name);

/* Removes the pictures of every snapshot of the VM with @uuid (its folder),
 * once the VM and its snapshots are gone. */
void                 hangar_snapshot_remove_thumbnails (const char *vm_uuid);

G_END_DECLS
