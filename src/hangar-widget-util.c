/* hangar-widget-util.c: small things several widgets do alike. */
#include "config.h"

#include "hangar-widget-util.h"

void
hangar_label_set_status (GtkLabel   *label,
                         const char *text,
                         gboolean    is_error)
{
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (label));

  gtk_label_set_text (label, text != NULL ? text : "");
  if (is_error)
    gtk_style_context_add_class (context, "error");
  else
    gtk_style_context_remove_class (context, "error");
}
