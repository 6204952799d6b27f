/* hangar-sidebar.h: connections and their VMs in one filterable tree. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-connection-list.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_SIDEBAR (hangar_sidebar_get_type ())
G_DECLARE_FINAL_TYPE (HangarSidebar, hangar_sidebar, HANGAR, SIDEBAR, GtkBox)

GtkWidget        *hangar_sidebar_new                (void);
void              hangar_sidebar_set_connection_list (HangarSidebar        *self,
                                                     HangarConnectionList *list);
gboolean          hangar_sidebar_select_vm          (HangarSidebar *self,
                                                     HangarVm      *vm);
gboolean          hangar_sidebar_select_connection (HangarSidebar    *self,
                                                    HangarConnection *connection);
void              hangar_sidebar_focus_search       (HangarSidebar *self);
HangarVm         *hangar_sidebar_get_selected_vm    (HangarSidebar *self);
HangarConnection *hangar_sidebar_get_selected_connection (HangarSidebar *self);
guint             hangar_sidebar_get_n_visible_vms  (HangarSidebar *self);

G_END_DECLS
