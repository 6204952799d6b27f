/* hangar-snapshot-tree.h: the snapshots of one VM as a tree, and what can be
 * done with them: take, revert, delete, describe. */
#pragma once

#include <gio/gio.h>

#include "hangar-snapshot.h"
#include "hangar-vm.h"

G_BEGIN_DECLS

typedef enum
{
  HANGAR_SNAPSHOT_DELETE_THIS,           /* the snapshot; its children move up */
  HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN,  /* the snapshot and everything below it */
  HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY,  /* everything below it, not itself */
} HangarSnapshotDeleteMode;

/* What taking a snapshot of the VM now would do, for the dialog to say. */
typedef struct
{
  char     *suggested_name;    /* unique among the VM's snapshots */
  gboolean  vm_active;         /* running or paused: memory state can be asked for */
  gboolean  memory_possible;   /* an internal snapshot with memory state is possible */
  gboolean  all_qcow2;         /* every disk is a qcow2 image */
  gboolean  pflash;            /* UEFI firmware in pflash */
  char     *not_qcow2_disk;    /* the first disk that is not qcow2, or NULL */
  guint     n_disks;
  gboolean  impossible;        /* no snapshot can be taken now (explain () says why) */
} HangarSnapshotPlan;

void                hangar_snapshot_plan_free        (HangarSnapshotPlan *plan);
HangarSnapshotKind  hangar_snapshot_plan_get_kind    (const HangarSnapshotPlan *plan,
                                                      gboolean                  include_memory);
/* One plain sentence or two: internal or external, and why. */
char               *hangar_snapshot_plan_explain     (const HangarSnapshotPlan *plan,
                                                      gboolean                  include_memory);

#define HANGAR_TYPE_SNAPSHOT_TREE (hangar_snapshot_tree_get_type ())
G_DECLARE_FINAL_TYPE (HangarSnapshotTree, hangar_snapshot_tree, HANGAR, SNAPSHOT_TREE, GObject)

HangarSnapshotTree *hangar_snapshot_tree_new           (HangarVm *vm);
HangarVm           *hangar_snapshot_tree_get_vm        (HangarSnapshotTree *self);
/* The roots (HangarSnapshot), oldest first; each knows its children. */
GPtrArray          *hangar_snapshot_tree_get_roots     (HangarSnapshotTree *self);
guint               hangar_snapshot_tree_get_n_snapshots (HangarSnapshotTree *self);
HangarSnapshot     *hangar_snapshot_tree_lookup        (HangarSnapshotTree *self,
                                                        const char         *name);
HangarSnapshot     *hangar_snapshot_tree_get_current   (HangarSnapshotTree *self);
/* The most recently taken snapshot: the end of the "newest branch". */
HangarSnapshot     *hangar_snapshot_tree_get_newest    (HangarSnapshotTree *self);
gboolean            hangar_snapshot_tree_get_busy      (HangarSnapshotTree *self);
/* Whether @name is acceptable for a new snapshot; if not, why. */
gboolean            hangar_snapshot_tree_check_name    (HangarSnapshotTree  *self,
                                                        const char          *name,
                                                        GError             **error);
char               *hangar_snapshot_tree_thumbnail_path (HangarSnapshotTree *self,
                                                         const char         *name);

/* Reads the snapshot list again; emits "changed". */
void      hangar_snapshot_tree_reload_async   (HangarSnapshotTree  *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  hangar_snapshot_tree_reload_finish  (HangarSnapshotTree  *self,
                                               GAsyncResult        *result,
                                               GError             **error);

void                hangar_snapshot_tree_plan_async  (HangarSnapshotTree  *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
HangarSnapshotPlan *hangar_snapshot_tree_plan_finish (HangarSnapshotTree  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Takes a snapshot (internal or external as the plan says) and, when the
 * VM is running, a picture of its screen. */
void      hangar_snapshot_tree_create_async   (HangarSnapshotTree  *self,
                                               const char          *name,
                                               const char          *description,
                                               gboolean             include_memory,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  hangar_snapshot_tree_create_finish  (HangarSnapshotTree  *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Returns the VM to the snapshot. External snapshots need the VM shut off:
 * the disks are then pointed at new overlays on the snapshot's images;
 * nothing is deleted or overwritten. */
void      hangar_snapshot_tree_revert_async   (HangarSnapshotTree  *self,
                                               const char          *name,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  hangar_snapshot_tree_revert_finish  (HangarSnapshotTree  *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* Deletes, after checking that every step can be done: external snapshots
 * libvirt cannot merge back are refused with nothing changed. */
void      hangar_snapshot_tree_delete_async   (HangarSnapshotTree       *self,
                                               const char               *name,
                                               HangarSnapshotDeleteMode  mode,
                                               GCancellable             *cancellable,
                                               GAsyncReadyCallback       callback,
                                               gpointer                  user_data);
gboolean  hangar_snapshot_tree_delete_finish  (HangarSnapshotTree  *self,
                                               GAsyncResult        *result,
                                               GError             **error);

void      hangar_snapshot_tree_set_description_async  (HangarSnapshotTree  *self,
                                                       const char          *name,
                                                       const char          *description,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean  hangar_snapshot_tree_set_description_finish (HangarSnapshotTree  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Renames a snapshot whose name is only libvirt's record (external ones;
 * the test driver's); internal QEMU snapshots are refused with the reason.
 * Children, the current marker, the description and the picture follow. */
void      hangar_snapshot_tree_rename_async   (HangarSnapshotTree  *self,
                                               const char          *name,
                                               const char          *new_name,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  hangar_snapshot_tree_rename_finish  (HangarSnapshotTree  *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarSnapshotPlan, hangar_snapshot_plan_free)

G_END_DECLS
