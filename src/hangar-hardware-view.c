/* hangar-hardware-view.c: one form over several pages (Overview, CPUs,
 * Memory, Devices): edits stay while switching pages, Apply writes them all
 * through hangar-vm-settings, Revert puts back what libvirt has. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-hardware-view.h"
#include "hangar-widget-util.h"
#include "hangar-vm-settings.h"

struct _HangarHardwareView
{
  GtkBox            parent_instance;

  GtkStack         *pages;
  GtkEntry         *name_entry;
  GtkEntry         *title_entry;
  GtkTextView      *description_view;
  GtkLabel         *facts_label;
  GtkSpinButton    *vcpus_spin;
  GtkSpinButton    *memory_spin;
  GtkSpinButton    *current_spin;
  GtkListBox       *devices_list;
  GtkLabel         *cdrom_label;
  GtkFileChooser   *cdrom_chooser;
  GtkWidget        *eject_button;
  GtkLabel         *status_label;
  GtkWidget        *revert_button;
  GtkWidget        *apply_button;

  HangarVm         *vm;
  HangarVmSettings *loaded;
  GCancellable     *cancellable;
  gboolean          filling;
  gboolean          dirty;
  gboolean          busy;
};

G_DEFINE_FINAL_TYPE (HangarHardwareView, hangar_hardware_view, GTK_TYPE_BOX)

static void
set_status (HangarHardwareView *self,
            const char         *text,
            gboolean            is_error)
{
  hangar_label_set_status (self->status_label, text, is_error);
}

static void
update_buttons (HangarHardwareView *self)
{
  gtk_widget_set_sensitive (self->apply_button, self->dirty && !self->busy);
  gtk_widget_set_sensitive (self->revert_button, self->dirty && !self->busy);
}

static void
fill (HangarHardwareView *self)
{
  HangarVmSettings *s = self->loaded;
  g_autofree char *facts = NULL;
  GList *children;

  self->filling = TRUE;
  gtk_entry_set_text (self->name_entry, s->name != NULL ? s->name : "");
  gtk_entry_set_text (self->title_entry, s->title != NULL ? s->title : "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view),
                            s->description != NULL ? s->description : "", -1);
  /* Translators: UUID, machine type, firmware */
  facts = g_strdup_printf (_("UUID %s\nMachine %s, %s firmware"), s->uuid,
                           s->machine != NULL ? s->machine : _("default"),
                           s->uefi ? "UEFI" : "BIOS");
  gtk_label_set_text (self->facts_label, facts);
  gtk_spin_button_set_value (self->vcpus_spin, s->vcpus);
  gtk_spin_button_set_value (self->memory_spin, (double) s->memory_mib);
  gtk_spin_button_set_value (self->current_spin, (double) s->current_memory_mib);

  if (s->cdrom_target == NULL)
    gtk_label_set_text (self->cdrom_label, _("This VM has no CD-ROM drive."));
  else
    {
      /* Translators: a drive (sda) and the ISO in it */
      g_autofree char *text = s->cdrom_source != NULL
                              ? g_strdup_printf (_("Drive %s: %s"), s->cdrom_target, s->cdrom_source)
                              : g_strdup_printf (_("Drive %s: empty"), s->cdrom_target);

      gtk_label_set_text (self->cdrom_label, text);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->cdrom_chooser), s->cdrom_target != NULL);
  gtk_widget_set_sensitive (self->eject_button, s->cdrom_source != NULL);

  children = gtk_container_get_children (GTK_CONTAINER (self->devices_list));
  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_list_free (children);
  for (guint i = 0; s->devices != NULL && i < s->devices->len; i++)
    {
      GtkWidget *label = gtk_label_new (g_ptr_array_index (s->devices, i));

      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      g_object_set (label, "margin", 6, NULL);
      gtk_widget_show (label);
      gtk_container_add (GTK_CONTAINER (self->devices_list), label);
    }
  self->filling = FALSE;
  self->dirty = FALSE;
  update_buttons (self);
}

static HangarVmSettings *
read_form (HangarHardwareView *self)
{
  HangarVmSettings *s = hangar_vm_settings_copy (self->loaded);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  GtkTextIter start, end;

  g_free (s->name);
  s->name = g_strdup (gtk_entry_get_text (self->name_entry));
  g_free (s->title);
  s->title = g_strdup (gtk_entry_get_text (self->title_entry));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  g_free (s->description);
  s->description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  s->vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);
  s->memory_mib = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
  s->current_memory_mib = (guint64) gtk_spin_button_get_value_as_int (self->current_spin);
  return s;
}

static void
on_changed (HangarHardwareView *self)
{
  g_autoptr (HangarVmSettings) s = NULL;
  g_autoptr (GError) error = NULL;

  if (self->filling || self->loaded == NULL)
    return;
  self->dirty = TRUE;
  s = read_form (self);
  if (!hangar_vm_settings_check (s, &error))
    set_status (self, error->message, TRUE);
  else
    set_status (self, _("Unsaved changes."), FALSE);
  update_buttons (self);
}

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  HangarVmSettings *s = hangar_vm_get_settings_finish (HANGAR_VM (source), result, &error);
  HangarHardwareView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_HARDWARE_VIEW (user_data);
  if (s == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  g_clear_pointer (&self->loaded, hangar_vm_settings_free);
  self->loaded = s;
  fill (self);
}

static void
load (HangarHardwareView *self)
{
  if (self->vm == NULL)
    return;
  hangar_vm_get_settings_async (self->vm, self->cancellable, on_loaded, self);
}

static void
on_applied (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (HangarHardwareView) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean pending = FALSE;

  self->busy = FALSE;
  if (!hangar_vm_apply_settings_finish (HANGAR_VM (source), result, &pending, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message, TRUE);
      update_buttons (self);
      return;
    }
  set_status (self, pending ? _("Saved. Some changes take effect after the VM is shut down.")
                            : _("Saved."), FALSE);
  if (HANGAR_VM (source) == self->vm)
    load (self);
}

static void
on_apply (HangarHardwareView *self)
{
  g_autoptr (HangarVmSettings) s = NULL;
  g_autoptr (GError) error = NULL;

  if (self->vm == NULL || self->loaded == NULL || self->busy)
    return;
  s = read_form (self);
  if (!hangar_vm_settings_check (s, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  self->busy = TRUE;
  set_status (self, _("Saving…"), FALSE);
  update_buttons (self);
  hangar_vm_apply_settings_async (self->vm, s, self->cancellable, on_applied,
                                  g_object_ref (self));
}

static void
on_media_changed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (HangarHardwareView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!hangar_vm_change_media_finish (HANGAR_VM (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message, TRUE);
      return;
    }
  set_status (self, _("CD-ROM changed."), FALSE);
  if (HANGAR_VM (source) == self->vm && !self->dirty)
    load (self);
}

static void
change_media (HangarHardwareView *self,
              const char         *path)
{
  if (self->vm == NULL || self->loaded == NULL || self->loaded->cdrom_target == NULL)
    return;
  hangar_vm_change_media_async (self->vm, self->loaded->cdrom_target, path, self->cancellable,
                                on_media_changed, g_object_ref (self));
}

static void
on_cdrom_chosen (HangarHardwareView *self)
{
  g_autofree char *path = gtk_file_chooser_get_filename (self->cdrom_chooser);

  if (path != NULL)
    change_media (self, path);
}

static void
on_eject (HangarHardwareView *self)
{
  change_media (self, NULL);
}

static void
on_revert (HangarHardwareView *self)
{
  if (self->loaded != NULL)
    fill (self);
  set_status (self, NULL, FALSE);
}

void
hangar_hardware_view_set_vm (HangarHardwareView *self,
                             HangarVm           *vm)
{
  g_return_if_fail (HANGAR_IS_HARDWARE_VIEW (self));

  if (self->vm == vm)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->vm, vm);
  g_clear_pointer (&self->loaded, hangar_vm_settings_free);
  self->busy = FALSE;
  self->dirty = FALSE;
  set_status (self, NULL, FALSE);
  update_buttons (self);
  load (self);
}

static void
hangar_hardware_view_dispose (GObject *object)
{
  HangarHardwareView *self = HANGAR_HARDWARE_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vm);
  g_clear_pointer (&self->loaded, hangar_vm_settings_free);

  G_OBJECT_CLASS (hangar_hardware_view_parent_class)->dispose (object);
}

static void
hangar_hardware_view_class_init (HangarHardwareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_hardware_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/hardware-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarHardwareView, name)
  BIND (pages);
  BIND (name_entry);
  BIND (title_entry);
  BIND (description_view);
  BIND (facts_label);
  BIND (vcpus_spin);
  BIND (memory_spin);
  BIND (current_spin);
  BIND (devices_list);
  BIND (cdrom_label);
  BIND (cdrom_chooser);
  BIND (eject_button);
  BIND (status_label);
  BIND (revert_button);
  BIND (apply_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_revert);
  gtk_widget_class_bind_template_callback (widget_class, on_cdrom_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_eject);
}

static void
hangar_hardware_view_init (HangarHardwareView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (gtk_text_view_get_buffer (self->description_view), "changed",
                           G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  update_buttons (self);
}
