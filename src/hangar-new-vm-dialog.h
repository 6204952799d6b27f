/* hangar-new-vm-dialog.h: the new-VM wizard: source, operating system,
 * memory and CPUs, storage, name; creates the VM through hangar-vm-builder. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-connection-list.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_NEW_VM_DIALOG (hangar_new_vm_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarNewVmDialog, hangar_new_vm_dialog, HANGAR, NEW_VM_DIALOG, GtkDialog)

/* @media_path: an ISO (or disk image) to start with, or NULL. Emits
 * "vm-created" (HangarConnection, name) and closes itself when the VM is
 * defined. */
GtkWidget *hangar_new_vm_dialog_new (GtkWindow            *parent,
                                     HangarConnectionList *connections,
                                     const char           *media_path);

G_END_DECLS
