/* hangar-add-connection-dialog.h: builds a libvirt URI from a few fields,
 * tests it with a cancellable connect, and saves the connection. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-connection-list.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_ADD_CONNECTION_DIALOG (hangar_add_connection_dialog_get_type ())
G_DECLARE_FINAL_TYPE (HangarAddConnectionDialog, hangar_add_connection_dialog,
                      HANGAR, ADD_CONNECTION_DIALOG, GtkDialog)

/* Emits "connection-added" (HangarConnection) when a connection was opened,
 * listed and saved; then it closes itself. */
GtkWidget *hangar_add_connection_dialog_new (GtkWindow            *parent,
                                             HangarConnectionList *connections);

G_END_DECLS
