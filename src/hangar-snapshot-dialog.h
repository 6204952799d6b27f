/* hangar-snapshot-dialog.h: "Take Snapshot": name, description, memory state,
 * and a plain statement whether the snapshot will be internal or external. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-snapshot-tree.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_SNAPSHOT_DIALOG (hangar_snapshot_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarSnapshotDialog, hangar_snapshot_dialog, HANGAR, SNAPSHOT_DIALOG,
                      GtkDialog)

GtkWidget  *hangar_snapshot_dialog_new                (GtkWindow          *parent,
                                                       HangarSnapshotTree *tree);
const char *hangar_snapshot_dialog_get_name           (HangarSnapshotDialog *self);
/* Newly allocated; NULL when empty. */
char       *hangar_snapshot_dialog_get_description    (HangarSnapshotDialog *self);
gboolean    hangar_snapshot_dialog_get_include_memory (HangarSnapshotDialog *self);

G_END_DECLS
