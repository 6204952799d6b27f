/* hangar-window.h: the main window: connections and VMs, and a page for the selection. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-connection-list.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_WINDOW (hangar_window_get_type ())
G_DECLARE_FINAL_TYPE (HangarWindow, hangar_window, HANGAR, WINDOW, GtkApplicationWindow)

HangarWindow *hangar_window_new          (GtkApplication       *application,
                                          HangarConnectionList *connections);
/* Selects the first VM called @name as soon as a connection lists it, and
 * shows its console if @show_console. */
void          hangar_window_select_vm_by_name (HangarWindow *self,
                                               const char   *name,
                                               gboolean      show_console);
/* Opens the new-VM wizard, with @media_path (an ISO) chosen, or NULL. */
void          hangar_window_new_vm       (HangarWindow *self,
                                          const char   *media_path);
void          hangar_window_show_notice  (HangarWindow   *self,
                                          GtkMessageType  type,
                                          const char     *message);
/* Prints a HANGAR-READY line once the given connections are loaded and the
 * list has been painted (for benchmarks and tests). */
void          hangar_window_report_ready (HangarWindow *self,
                                          GPtrArray    *connections,
                                          gint64        start_time);

G_END_DECLS
