/* hangar-application.h: the GtkApplication: command line, app.* actions, connections. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HANGAR_TYPE_APPLICATION (hangar_application_get_type ())
G_DECLARE_FINAL_TYPE (HangarApplication, hangar_application, HANGAR, APPLICATION, GtkApplication)

HangarApplication *hangar_application_new (gint64 start_time);

G_END_DECLS
