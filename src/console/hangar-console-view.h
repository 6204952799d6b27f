/* hangar-console-view.h: the Console view of a VM page: the guest's display
 * or serial console, a toolbar, and a status overlay. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-console.h"
#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_CONSOLE_VIEW (hangar_console_view_get_type ())
G_DECLARE_FINAL_TYPE (HangarConsoleView, hangar_console_view, HANGAR, CONSOLE_VIEW, GtkBox)

GtkWidget     *hangar_console_view_new             (void);
void           hangar_console_view_set_vm          (HangarConsoleView *self,
                                                    HangarVm          *vm);
HangarVm      *hangar_console_view_get_vm          (HangarConsoleView *self);
/* Connects only while active (shown), to spare hidden pages the traffic. */
void           hangar_console_view_set_active      (HangarConsoleView *self,
                                                    gboolean           active);
HangarConsole *hangar_console_view_get_console     (HangarConsoleView *self);
gboolean       hangar_console_view_save_screenshot (HangarConsoleView  *self,
                                                    const char         *path,
                                                    GError            **error);

G_END_DECLS
