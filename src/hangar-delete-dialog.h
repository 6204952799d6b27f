/* hangar-delete-dialog.h: confirms deleting a VM and which disk images go with it. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_DELETE_DIALOG (hangar_delete_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarDeleteDialog, hangar_delete_dialog, HANGAR, DELETE_DIALOG, GtkDialog)

GtkWidget *hangar_delete_dialog_new                   (GtkWindow *parent,
                                                       HangarVm  *vm);
HangarVm  *hangar_delete_dialog_get_vm                (HangarDeleteDialog *self);
/* The images the user chose to delete (never one another VM uses). */
GStrv      hangar_delete_dialog_get_images_to_delete  (HangarDeleteDialog *self);

G_END_DECLS
