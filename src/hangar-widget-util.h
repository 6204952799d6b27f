/* hangar-widget-util.h: small things several widgets do alike. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Shows @text (NULL: nothing) in a status label, in the theme's error style
 * when @is_error. */
void hangar_label_set_status (GtkLabel   *label,
                              const char *text,
                              gboolean    is_error);

G_END_DECLS
