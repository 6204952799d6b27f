/* hangar-delete-dialog.c: "Delete VM?" with an opt-in to delete its disk
 * images. The images are listed off the main thread; one that another VM
 * uses is shown but cannot be chosen. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-delete-dialog.h"

struct _HangarDeleteDialog
{
  GtkDialog        parent_instance;

  GtkLabel        *title_label;
  GtkCheckButton  *delete_images_check;
  GtkBox          *images_box;
  GtkLabel        *images_status;

  HangarVm        *vm;
  GPtrArray       *images;  /* HangarVmDiskImage */
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (HangarDeleteDialog, hangar_delete_dialog, GTK_TYPE_DIALOG)

static void
on_images_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HangarDeleteDialog *self;
  g_autoptr (GPtrArray) images = NULL;
  g_autoptr (GError) error = NULL;
  guint deletable = 0;

  images = hangar_vm_list_disk_images_finish (HANGAR_VM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_DELETE_DIALOG (user_data);

  if (images == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not list the disk images: %s"),
                                               error->message);

      gtk_label_set_text (self->images_status, text);
      return;
    }

  for (guint i = 0; i < images->len; i++)
    {
      HangarVmDiskImage *image = g_ptr_array_index (images, i);
      g_autofree char *text = NULL;
      GtkWidget *label;

      if (image->shared_with != NULL)
        /* Translators: a disk image path, then the name of another VM */
        text = g_strdup_printf (_("%s — kept: “%s” uses it too"), image->path, image->shared_with);
      else
        {
          text = g_strdup (image->path);
          deletable++;
        }
      label = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_widget_set_tooltip_text (label, text);
      gtk_widget_show (label);
      gtk_container_add (GTK_CONTAINER (self->images_box), label);
    }

  if (images->len == 0)
    gtk_label_set_text (self->images_status, _("This VM has no disk images."));
  else
    gtk_widget_hide (GTK_WIDGET (self->images_status));

  gtk_widget_set_sensitive (GTK_WIDGET (self->delete_images_check), deletable > 0);
  self->images = g_steal_pointer (&images);
}

GtkWidget *
hangar_delete_dialog_new (GtkWindow *parent,
                          HangarVm  *vm)
{
  HangarDeleteDialog *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (HANGAR_IS_VM (vm), NULL);

  self = g_object_new (HANGAR_TYPE_DELETE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "use-header-bar", FALSE,
                       NULL);
  self->vm = g_object_ref (vm);

  title = g_strdup_printf (_("Delete “%s”?"), hangar_vm_get_name (vm));
  gtk_label_set_text (self->title_label, title);
  gtk_window_set_title (GTK_WINDOW (self), title);

  hangar_vm_list_disk_images_async (vm, self->cancellable, on_images_listed, self);
  return GTK_WIDGET (self);
}

HangarVm *
hangar_delete_dialog_get_vm (HangarDeleteDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_DELETE_DIALOG (self), NULL);
  return self->vm;
}

GStrv
hangar_delete_dialog_get_images_to_delete (HangarDeleteDialog *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (HANGAR_IS_DELETE_DIALOG (self), NULL);

  if (self->images != NULL &&
      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->delete_images_check)))
    for (guint i = 0; i < self->images->len; i++)
      {
        HangarVmDiskImage *image = g_ptr_array_index (self->images, i);

        if (image->shared_with == NULL)
          g_strv_builder_add (builder, image->path);
      }
  return g_strv_builder_end (builder);
}

static void
hangar_delete_dialog_dispose (GObject *object)
{
  HangarDeleteDialog *self = HANGAR_DELETE_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vm);
  g_clear_pointer (&self->images, g_ptr_array_unref);

  G_OBJECT_CLASS (hangar_delete_dialog_parent_class)->dispose (object);
}

static void
hangar_delete_dialog_class_init (HangarDeleteDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_delete_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/delete-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarDeleteDialog, title_label);
  gtk_widget_class_bind_template_child (widget_class, HangarDeleteDialog, delete_images_check);
  gtk_widget_class_bind_template_child (widget_class, HangarDeleteDialog, images_box);
  gtk_widget_class_bind_template_child (widget_class, HangarDeleteDialog, images_status);
}

static void
hangar_delete_dialog_init (HangarDeleteDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_CANCEL);
}
