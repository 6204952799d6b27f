/* hangar-add-hardware-dialog.h: picks a kind of device, fills in its form
 * and adds it to a VM. Responds GTK_RESPONSE_ACCEPT once the device is in
 * the VM's configuration; bad input keeps the dialog open with the reason. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_ADD_HARDWARE_DIALOG (hangar_add_hardware_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarAddHardwareDialog, hangar_add_hardware_dialog, HANGAR,
                      ADD_HARDWARE_DIALOG, GtkDialog)

GtkWidget *hangar_add_hardware_dialog_new         (GtkWindow *parent,
                                                   HangarVm  *vm);
/* After GTK_RESPONSE_ACCEPT: whether the device waits for the VM to shut down. */
gboolean   hangar_add_hardware_dialog_get_pending (HangarAddHardwareDialog *self);
/* The title of the device that was added. */
const char *hangar_add_hardware_dialog_get_added  (HangarAddHardwareDialog *self);

G_END_DECLS
