/* hangar-a11y.c: accessible names for widgets GTK builds by itself, which
 * templates cannot reach. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-a11y.h"

static void
name_unlabelled_button (GtkWidget *widget,
                        gpointer   user_data)
{
  if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) == NULL)
    atk_object_set_name (gtk_widget_get_accessible (widget), _("Close"));
}

void
hangar_a11y_name_info_bar_close (GtkInfoBar *info_bar)
{
  GtkWidget *area = gtk_info_bar_get_action_area (info_bar);

  gtk_container_foreach (GTK_CONTAINER (area), name_unlabelled_button, NULL);
}
