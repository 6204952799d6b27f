/* hangar-add-hardware-dialog.c: a list of addable kinds on the left, the
 * chosen kind's form (HangarDeviceForm over a blank device from the model)
 * on the right. "Add" checks inline first, then adds asynchronously. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-add-hardware-dialog.h"
#include "hangar-device-form.h"
#include "hangar-vm-device.h"
#include "hangar-widget-util.h"

struct _HangarAddHardwareDialog
{
  GtkDialog     parent_instance;

  GtkListBox   *kinds_list;
  GtkWidget    *form_holder;
  GtkLabel     *status_label;
  GtkWidget    *add_button;

  HangarVm     *vm;
  HangarDevice *blank;
  GtkWidget    *form;
  GCancellable *cancellable;
  gboolean      busy;
  gboolean      pending;
  char         *added;
};

G_DEFINE_FINAL_TYPE (HangarAddHardwareDialog, hangar_add_hardware_dialog, GTK_TYPE_DIALOG)

static void
set_status (HangarAddHardwareDialog *self,
            const char              *text,
            gboolean                 is_error)
{
  hangar_label_set_status (self->status_label, text, is_error);
}

static void
on_form_changed (HangarAddHardwareDialog *self)
{
  set_status (self, NULL, FALSE);
}

static void
on_blank (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  HangarDevice *blank = hangar_vm_new_device_finish (HANGAR_VM (source), result, &error);
  HangarAddHardwareDialog *self;
  GtkWidget *child;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_ADD_HARDWARE_DIALOG (user_data);
  if (blank == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  child = gtk_bin_get_child (GTK_BIN (self->form_holder));
  if (child != NULL)
    gtk_widget_destroy (child);
  g_clear_pointer (&self->blank, hangar_device_free);
  self->blank = blank;
  self->form = hangar_device_form_new (blank, hangar_vm_get_tunnel_uri (self->vm) != NULL, FALSE);
  g_signal_connect_object (self->form, "changed", G_CALLBACK (on_form_changed), self,
                           G_CONNECT_SWAPPED);
  gtk_container_add (GTK_CONTAINER (self->form_holder), self->form);
  gtk_widget_set_sensitive (self->add_button, TRUE);
  set_status (self, NULL, FALSE);
}

static void
on_kind_selected (HangarAddHardwareDialog *self,
                  GtkListBoxRow           *row)
{
  if (row == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->add_button, FALSE);
  hangar_vm_new_device_async (self->vm,
                              GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "kind")),
                              self->cancellable, on_blank, self);
}

static void
on_added (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  HangarAddHardwareDialog *self;
  gboolean pending = FALSE;

  if (!hangar_vm_add_device_finish (HANGAR_VM (source), result, &pending, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_ADD_HARDWARE_DIALOG (user_data);
  self->busy = FALSE;
  gtk_widget_set_sensitive (self->add_button, TRUE);
  if (error != NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  self->pending = pending;
  g_free (self->added);
  self->added = g_strdup (self->blank->title);
  gtk_dialog_response (GTK_DIALOG (self), GTK_RESPONSE_ACCEPT);
}

static void
hangar_add_hardware_dialog_response (GtkDialog *dialog,
                                     int        response)
{
  HangarAddHardwareDialog *self = HANGAR_ADD_HARDWARE_DIALOG (dialog);
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GError) error = NULL;

  if (response != GTK_RESPONSE_OK)
    return;
  /* Not a closing response (callers close on ACCEPT or CANCEL only): the
   * dialog stays until the device is in. */
  if (self->busy || self->form == NULL)
    return;
  values = hangar_device_form_get_values (HANGAR_DEVICE_FORM (self->form));
  if (!hangar_device_check (self->blank, values, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  self->busy = TRUE;
  gtk_widget_set_sensitive (self->add_button, FALSE);
  set_status (self, _("Adding…"), FALSE);
  hangar_vm_add_device_async (self->vm, self->blank, values, self->cancellable, on_added, self);
}

GtkWidget *
hangar_add_hardware_dialog_new (GtkWindow *parent,
                                HangarVm  *vm)
{
  HangarAddHardwareDialog *self = g_object_new (HANGAR_TYPE_ADD_HARDWARE_DIALOG,
                                                "transient-for", parent,
                                                "use-header-bar", FALSE, NULL);

  self->vm = g_object_ref (vm);
  for (HangarDeviceKind kind = 0; kind < HANGAR_DEVICE_N_KINDS; kind++)
    {
      GtkWidget *row, *label;

      if (!hangar_device_kind_is_addable (kind))
        continue;
      label = gtk_label_new (hangar_device_kind_to_label (kind));
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      g_object_set (label, "margin", 6, NULL);
      row = gtk_list_box_row_new ();
      gtk_container_add (GTK_CONTAINER (row), label);
      g_object_set_data (G_OBJECT (row), "kind", GUINT_TO_POINTER (kind));
      gtk_widget_show_all (row);
      gtk_container_add (GTK_CONTAINER (self->kinds_list), row);
    }
  gtk_list_box_select_row (self->kinds_list, gtk_list_box_get_row_at_index (self->kinds_list, 0));
  return GTK_WIDGET (self);
}

gboolean
hangar_add_hardware_dialog_get_pending (HangarAddHardwareDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_ADD_HARDWARE_DIALOG (self), FALSE);

  return self->pending;
}

const char *
hangar_add_hardware_dialog_get_added (HangarAddHardwareDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_ADD_HARDWARE_DIALOG (self), NULL);

  return self->added;
}

static void
hangar_add_hardware_dialog_dispose (GObject *object)
{
  HangarAddHardwareDialog *self = HANGAR_ADD_HARDWARE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vm);
  self->form = NULL;
  g_clear_pointer (&self->blank, hangar_device_free);
  g_clear_pointer (&self->added, g_free);

  G_OBJECT_CLASS (hangar_add_hardware_dialog_parent_class)->dispose (object);
}

static void
hangar_add_hardware_dialog_class_init (HangarAddHardwareDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkDialogClass *dialog_class = GTK_DIALOG_CLASS (klass);

  object_class->dispose = hangar_add_hardware_dialog_dispose;
  dialog_class->response = hangar_add_hardware_dialog_response;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/add-hardware-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarAddHardwareDialog, kinds_list);
  gtk_widget_class_bind_template_child (widget_class, HangarAddHardwareDialog, form_holder);
  gtk_widget_class_bind_template_child (widget_class, HangarAddHardwareDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, HangarAddHardwareDialog, add_button);
  gtk_widget_class_bind_template_callback (widget_class, on_kind_selected);
}

static void
hangar_add_hardware_dialog_init (HangarAddHardwareDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}
