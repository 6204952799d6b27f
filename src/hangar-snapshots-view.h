/* hangar-snapshots-view.h: the "Snapshots" view of a VM's page: the tree of
 * snapshots with pictures, details, and take / revert / delete. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_SNAPSHOTS_VIEW (hangar_snapshots_view_get_type ())
G_DECLARE_FINAL_TYPE (HangarSnapshotsView, hangar_snapshots_view, HANGAR, SNAPSHOTS_VIEW, GtkBox)

void     hangar_snapshots_view_set_vm        (HangarSnapshotsView *self,
                                              HangarVm            *vm);
/* Opens the "Take Snapshot" dialog (vm.snapshot); does nothing while an
 * operation runs. */
void     hangar_snapshots_view_take_snapshot (HangarSnapshotsView *self);
gboolean hangar_snapshots_view_get_busy      (HangarSnapshotsView *self);

G_END_DECLS
