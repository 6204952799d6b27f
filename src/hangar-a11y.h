/* hangar-a11y.h: accessible names for widgets GTK builds by itself. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Names the close button GTK adds to an info bar. */
void hangar_a11y_name_info_bar_close (GtkInfoBar *info_bar);

G_END_DECLS
