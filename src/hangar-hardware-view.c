/* hangar-hardware-view.c: the VM page's Hardware view. Fixed pages
 * (Overview, CPUs, Memory, Boot Options, XML) and one page per device, in a
 * stack with a sidebar. Edits stay while switching pages; Apply writes every
 * changed page (the general settings, then each changed device, one after
 * the other); Revert puts back what libvirt has. Switching to another VM with
 * unsaved edits asks whether to save them first. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hangar-add-hardware-dialog.h"
#include "hangar-device-form.h"
#include "hangar-hardware-view.h"
#include "hangar-vm-device.h"
#include "hangar-vm-settings.h"
#include "hangar-widget-util.h"

#define APP_ID "io.github.hangarvm.Hangar"
#define FIXED_PAGES 4   /* overview, cpus, memory, boot; then devices, then xml */

static const struct
{
  const char *dev;
  const char *label;
} boot_devices[] = {
  { "hd", N_("Hard disk") }, { "cdrom", N_("CD-ROM") }, { "network", N_("Network (PXE)") },
  { "fd", N_("Floppy") },
};

struct _HangarHardwareView
{
  GtkBox            parent_instance;

  GtkStack         *pages;
  GtkEntry         *name_entry;
  GtkEntry         *title_entry;
  GtkTextView      *description_view;
  GtkLabel         *facts_label;
  GtkComboBox      *firmware_combo;
  GtkToggleButton  *autostart_check;
  GtkSpinButton    *vcpus_spin;
  GtkSpinButton    *max_vcpus_spin;
  GtkComboBoxText  *cpu_model_combo;
  GtkSpinButton    *sockets_spin;
  GtkSpinButton    *cores_spin;
  GtkSpinButton    *threads_spin;
  GtkLabel         *topology_note;
  GtkSpinButton    *memory_spin;
  GtkSpinButton    *current_spin;
  GtkToggleButton  *shared_check;
  GtkListBox       *boot_list;
  GtkWidget        *boot_up_button;
  GtkWidget        *boot_down_button;
  GtkToggleButton  *boot_menu_check;
  GtkEntry         *kernel_entry;
  GtkEntry         *initrd_entry;
  GtkEntry         *cmdline_entry;
  GtkLabel         *boot_note;
  GtkTextView      *xml_view;
  GtkLabel         *xml_note;
  GtkWidget        *xml_save_button;
  GtkLabel         *status_label;
  GtkWidget        *add_button;
  GtkWidget        *remove_button;
  GtkWidget        *revert_button;
  GtkWidget        *apply_button;

  GSettings        *settings;
  HangarVm         *vm;
  HangarVmSettings *loaded;
  GPtrArray        *devices;   /* HangarDevice, owned */
  GPtrArray        *forms;     /* HangarDeviceForm, one per device page */
  char             *xml;
  GCancellable     *cancellable;
  gboolean          filling;
  gboolean          dirty;     /* the general settings */
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

static gboolean
any_device_dirty (HangarHardwareView *self)
{
  for (guint i = 0; self->forms != NULL && i < self->forms->len; i++)
    if (hangar_device_form_is_dirty (g_ptr_array_index (self->forms, i)))
      return TRUE;
  return FALSE;
}

static gboolean
is_dirty (HangarHardwareView *self)
{
  return self->dirty || any_device_dirty (self);
}

/* The device whose page is showing, or NULL. */
static HangarDevice *
visible_device (HangarHardwareView *self)
{
  GtkWidget *page = gtk_stack_get_visible_child (self->pages);
  HangarDeviceForm *form = page != NULL ? g_object_get_data (G_OBJECT (page), "form") : NULL;

  return form != NULL ? hangar_device_form_get_device (form) : NULL;
}

static void
update_buttons (HangarHardwareView *self)
{
  HangarDevice *device = visible_device (self);
  gboolean dirty = is_dirty (self);
  gboolean editing = g_settings_get_boolean (self->settings, "show-xml-editor");

  gtk_widget_set_sensitive (self->apply_button, dirty && !self->busy);
  gtk_widget_set_sensitive (self->revert_button, dirty && !self->busy);
  gtk_widget_set_sensitive (self->add_button, self->vm != NULL && !self->busy);
  gtk_widget_set_sensitive (self->remove_button, device != NULL && device->removable &&
                            !self->busy);
  gtk_text_view_set_editable (self->xml_view, editing);
  gtk_widget_set_visible (self->xml_save_button, editing);
  gtk_widget_set_sensitive (self->xml_save_button, editing && !self->busy && self->xml != NULL);
}

/* ------------------------------------------------------------------ */
/* Boot order list                                                     */

static GtkWidget *
boot_row_new (HangarHardwareView *self,
              const char         *dev,
              const char         *label,
              gboolean            enabled)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *check = gtk_check_button_new_with_label (label);

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (check), enabled);
  g_object_set (check, "margin", 4, NULL);
  gtk_container_add (GTK_CONTAINER (row), check);
  g_object_set_data_full (G_OBJECT (row), "dev", g_strdup (dev), g_free);
  g_object_set_data (G_OBJECT (row), "check", check);
  gtk_widget_show_all (row);
  return row;
}

static void on_changed (HangarHardwareView *self);

static void
fill_boot (HangarHardwareView *self,
           GStrv               order)
{
  GList *rows = gtk_container_get_children (GTK_CONTAINER (self->boot_list));

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_list_free (rows);
  /* Enabled devices first, in their order; the others after them, off. */
  for (guint i = 0; order != NULL && order[i] != NULL; i++)
    for (guint k = 0; k < G_N_ELEMENTS (boot_devices); k++)
      if (g_str_equal (order[i], boot_devices[k].dev))
        gtk_container_add (GTK_CONTAINER (self->boot_list),
                           boot_row_new (self, boot_devices[k].dev, _(boot_devices[k].label),
                                         TRUE));
  for (guint k = 0; k < G_N_ELEMENTS (boot_devices); k++)
    if (order == NULL || !g_strv_contains ((const char *const *) order, boot_devices[k].dev))
      gtk_container_add (GTK_CONTAINER (self->boot_list),
                         boot_row_new (self, boot_devices[k].dev, _(boot_devices[k].label),
                                       FALSE));
  rows = gtk_container_get_children (GTK_CONTAINER (self->boot_list));
  for (GList *l = rows; l != NULL; l = l->next)
    g_signal_connect_object (g_object_get_data (l->data, "check"), "toggled",
                             G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  g_list_free (rows);
}

static GStrv
read_boot (HangarHardwareView *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  GList *rows = gtk_container_get_children (GTK_CONTAINER (self->boot_list));

  for (GList *l = rows; l != NULL; l = l->next)
    if (gtk_toggle_button_get_active (g_object_get_data (l->data, "check")))
      g_strv_builder_add (builder, g_object_get_data (l->data, "dev"));
  g_list_free (rows);
  return g_strv_builder_end (builder);
}

static void
move_boot_row (HangarHardwareView *self,
               int                 delta)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->boot_list);
  int index;

  if (row == NULL)
    return;
  index = gtk_list_box_row_get_index (row) + delta;
  if (index < 0 || gtk_list_box_get_row_at_index (self->boot_list, index) == NULL)
    return;
  g_object_ref (row);
  gtk_container_remove (GTK_CONTAINER (self->boot_list), GTK_WIDGET (row));
  gtk_list_box_insert (self->boot_list, GTK_WIDGET (row), index);
  gtk_list_box_select_row (self->boot_list, row);
  g_object_unref (row);
  on_changed (self);
}

static void
on_boot_up (HangarHardwareView *self)
{
  move_boot_row (self, -1);
}

static void
on_boot_down (HangarHardwareView *self)
{
  move_boot_row (self, 1);
}

static void
on_boot_selected (HangarHardwareView *self,
                  GtkListBoxRow      *row)
{
  gtk_widget_set_sensitive (self->boot_up_button, row != NULL);
  gtk_widget_set_sensitive (self->boot_down_button, row != NULL);
}

/* ------------------------------------------------------------------ */
/* General settings                                                    */

static void
fill (HangarHardwareView *self)
{
  HangarVmSettings *s = self->loaded;
  g_autofree char *facts = NULL;

  self->filling = TRUE;
  gtk_entry_set_text (self->name_entry, s->name != NULL ? s->name : "");
  gtk_entry_set_text (self->title_entry, s->title != NULL ? s->title : "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view),
                            s->description != NULL ? s->description : "", -1);
  /* Translators: UUID and machine type */
  facts = g_strdup_printf (_("UUID %s\nMachine %s"), s->uuid,
                           s->machine != NULL ? s->machine : _("default"));
  gtk_label_set_text (self->facts_label, facts);
  gtk_combo_box_text_remove_all (GTK_COMBO_BOX_TEXT (self->firmware_combo));
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (self->firmware_combo), "bios", _("BIOS"));
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (self->firmware_combo), "efi", _("UEFI"));
  /* Secure Boot where the host's OVMF has it (or the VM has it already). */
  if (s->secure_boot || g_strcmp0 (s->firmware, "efi-secure") == 0)
    gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (self->firmware_combo), "efi-secure",
                               _("UEFI with Secure Boot"));
  gtk_combo_box_set_active_id (self->firmware_combo, s->firmware);
  gtk_widget_set_sensitive (GTK_WIDGET (self->firmware_combo), !s->active);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->firmware_combo),
                               s->active ? _("The firmware can change only while the VM is "
                                             "shut off.") : NULL);
  gtk_toggle_button_set_active (self->autostart_check, s->autostart);

  gtk_spin_button_set_value (self->vcpus_spin, s->vcpus);
  gtk_spin_button_set_value (self->max_vcpus_spin, MAX (s->max_vcpus, s->vcpus));
  gtk_combo_box_text_remove_all (self->cpu_model_combo);
  gtk_combo_box_text_append (self->cpu_model_combo, "", _("Hypervisor default"));
  gtk_combo_box_text_append (self->cpu_model_combo, "host-passthrough",
                             _("Same as the host (host-passthrough)"));
  gtk_combo_box_text_append (self->cpu_model_combo, "host-model",
                             _("Closest named model (host-model)"));
  for (guint i = 0; s->cpu_models != NULL && s->cpu_models[i] != NULL; i++)
    gtk_combo_box_text_append (self->cpu_model_combo, s->cpu_models[i], s->cpu_models[i]);
  if (s->cpu_mode != NULL &&
      !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->cpu_model_combo), s->cpu_mode))
    {
      gtk_combo_box_text_append (self->cpu_model_combo, s->cpu_mode, s->cpu_mode);
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->cpu_model_combo), s->cpu_mode);
    }
  else if (s->cpu_mode == NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->cpu_model_combo), "");
  gtk_spin_button_set_value (self->sockets_spin, s->sockets);
  gtk_spin_button_set_value (self->cores_spin, s->cores);
  gtk_spin_button_set_value (self->threads_spin, s->threads);
  gtk_label_set_text (self->topology_note,
                      _("Leave sockets, cores and threads at 0 to let the hypervisor choose; "
                        "otherwise they must multiply out to the maximum number of CPUs."));

  gtk_spin_button_set_value (self->memory_spin, (double) s->memory_mib);
  gtk_spin_button_set_value (self->current_spin, (double) s->current_memory_mib);
  gtk_toggle_button_set_active (self->shared_check, s->shared_memory);

  fill_boot (self, s->boot_order);
  gtk_toggle_button_set_active (self->boot_menu_check, s->boot_menu);
  gtk_entry_set_text (self->kernel_entry, s->kernel != NULL ? s->kernel : "");
  gtk_entry_set_text (self->initrd_entry, s->initrd != NULL ? s->initrd : "");
  gtk_entry_set_text (self->cmdline_entry, s->cmdline != NULL ? s->cmdline : "");
  gtk_label_set_text (self->boot_note,
                      _("A kernel boots the VM directly, without its boot devices; the paths "
                        "are on the VM’s host."));
  self->filling = FALSE;
  self->dirty = FALSE;
  update_buttons (self);
}

static char *
entry_text (GtkEntry *entry)
{
  const char *text = gtk_entry_get_text (entry);

  return *text != '\0' ? g_strdup (text) : NULL;
}

static HangarVmSettings *
read_form (HangarHardwareView *self)
{
  HangarVmSettings *s = hangar_vm_settings_copy (self->loaded);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  const char *model = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->cpu_model_combo));
  GtkTextIter start, end;

  g_free (s->name);
  s->name = g_strdup (gtk_entry_get_text (self->name_entry));
  g_free (s->title);
  s->title = g_strdup (gtk_entry_get_text (self->title_entry));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  g_free (s->description);
  s->description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_free (s->firmware);
  s->firmware = g_strdup (gtk_combo_box_get_active_id (self->firmware_combo));
  s->autostart = gtk_toggle_button_get_active (self->autostart_check);
  s->vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);
  s->max_vcpus = (guint) gtk_spin_button_get_value_as_int (self->max_vcpus_spin);
  g_free (s->cpu_mode);
  s->cpu_mode = model != NULL && *model != '\0' ? g_strdup (model) : NULL;
  s->sockets = (guint) gtk_spin_button_get_value_as_int (self->sockets_spin);
  s->cores = (guint) gtk_spin_button_get_value_as_int (self->cores_spin);
  s->threads = (guint) gtk_spin_button_get_value_as_int (self->threads_spin);
  s->memory_mib = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
  s->current_memory_mib = (guint64) gtk_spin_button_get_value_as_int (self->current_spin);
  s->shared_memory = gtk_toggle_button_get_active (self->shared_check);
  g_strfreev (s->boot_order);
  s->boot_order = read_boot (self);
  s->boot_menu = gtk_toggle_button_get_active (self->boot_menu_check);
  g_free (s->kernel);
  s->kernel = entry_text (self->kernel_entry);
  g_free (s->initrd);
  s->initrd = entry_text (self->initrd_entry);
  g_free (s->cmdline);
  s->cmdline = entry_text (self->cmdline_entry);
  return s;
}

/* The first problem of any changed page, named after the page. */
static gboolean
check_all (HangarHardwareView  *self,
           GError             **error)
{
  if (self->dirty)
    {
      g_autoptr (HangarVmSettings) s = read_form (self);

      if (!hangar_vm_settings_check (s, error))
        return FALSE;
    }
  for (guint i = 0; self->forms != NULL && i < self->forms->len; i++)
    {
      HangarDeviceForm *form = g_ptr_array_index (self->forms, i);
      g_autoptr (GHashTable) values = NULL;
      HangarDevice *device = hangar_device_form_get_device (form);

      if (!hangar_device_form_is_dirty (form))
        continue;
      values = hangar_device_form_get_values (form);
      if (!hangar_device_check (device, values, error))
        {
          g_prefix_error (error, "%s: ", device->title);
          return FALSE;
        }
    }
  return TRUE;
}

static void
on_changed (HangarHardwareView *self)
{
  g_autoptr (GError) error = NULL;

  if (self->filling || self->loaded == NULL)
    return;
  if (gtk_stack_get_visible_child_name (self->pages) != NULL &&
      !g_str_has_prefix (gtk_stack_get_visible_child_name (self->pages), "device-"))
    self->dirty = TRUE;
  if (!check_all (self, &error))
    set_status (self, error->message, TRUE);
  else
    set_status (self, is_dirty (self) ? _("Unsaved changes.") : NULL, FALSE);
  update_buttons (self);
}

static void
on_page_changed (HangarHardwareView *self)
{
  update_buttons (self);
}

/* ------------------------------------------------------------------ */
/* Device pages                                                        */

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
  if (HANGAR_VM (source) == self->vm && !is_dirty (self))
    hangar_hardware_view_reload (self);
}

static void
change_media (HangarHardwareView *self,
              GtkWidget          *widget,
              const char         *path)
{
  const char *target = g_object_get_data (G_OBJECT (widget), "target");

  if (self->vm == NULL || target == NULL)
    return;
  hangar_vm_change_media_async (self->vm, target, path, self->cancellable, on_media_changed,
                                g_object_ref (self));
}

static void
on_cdrom_chosen (GtkFileChooserButton *chooser,
                 HangarHardwareView   *self)
{
  g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));

  if (path != NULL)
    change_media (self, GTK_WIDGET (chooser), path);
}

static void
on_eject (GtkButton          *button,
          HangarHardwareView *self)
{
  change_media (self, GTK_WIDGET (button), NULL);
}

/* A CD-ROM page's medium controls: they act at once, not on Apply. */
static GtkWidget *
media_controls (HangarHardwareView *self,
                HangarDevice       *device)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *chooser = gtk_file_chooser_button_new (_("Choose an ISO Image"),
                                                    GTK_FILE_CHOOSER_ACTION_OPEN);
  GtkWidget *eject = gtk_button_new_with_mnemonic (_("_Eject"));
  HangarDeviceField *source = hangar_device_get_field (device, "source");
  const char *target = strchr (device->key, ':') + 1;

  g_object_set_data_full (G_OBJECT (chooser), "target", g_strdup (target), g_free);
  g_object_set_data_full (G_OBJECT (eject), "target", g_strdup (target), g_free);
  atk_object_set_name (gtk_widget_get_accessible (chooser), _("Insert an ISO image"));
  gtk_widget_set_hexpand (chooser, TRUE);
  gtk_widget_set_sensitive (eject, source != NULL && source->value != NULL);
  g_signal_connect_object (chooser, "file-set", G_CALLBACK (on_cdrom_chosen), self, 0);
  g_signal_connect_object (eject, "clicked", G_CALLBACK (on_eject), self, 0);
  gtk_container_add (GTK_CONTAINER (box), chooser);
  gtk_container_add (GTK_CONTAINER (box), eject);
  g_object_set (box, "margin-start", 18, "margin-end", 18, NULL);
  gtk_widget_show_all (box);
  return box;
}

static void
on_device_xml_saved (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (HangarHardwareView) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean pending = FALSE;

  self->busy = FALSE;
  if (!hangar_vm_define_device_xml_finish (HANGAR_VM (source), result, &pending, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message, TRUE);
      update_buttons (self);
      return;
    }
  set_status (self, pending ? _("Saved. Some changes take effect after the VM is shut down.")
                            : _("Saved."), FALSE);
  if (HANGAR_VM (source) == self->vm)
    hangar_hardware_view_reload (self);
  update_buttons (self);
}

static void
on_save_device_xml (HangarDeviceForm   *form,
                    const char         *xml,
                    HangarHardwareView *self)
{
  if (self->vm == NULL || self->busy)
    return;
  self->busy = TRUE;
  set_status (self, _("Saving…"), FALSE);
  update_buttons (self);
  hangar_vm_define_device_xml_async (self->vm, hangar_device_form_get_device (form), xml,
                                     self->cancellable, on_device_xml_saved, g_object_ref (self));
}

static void
clear_device_pages (HangarHardwareView *self)
{
  GList *children = gtk_container_get_children (GTK_CONTAINER (self->pages));

  /* Forgotten first: destroying the page in view runs update_buttons. */
  g_clear_pointer (&self->forms, g_ptr_array_unref);

  for (GList *l = children; l != NULL; l = l->next)
    if (g_object_get_data (l->data, "form") != NULL)
      gtk_widget_destroy (l->data);
  g_list_free (children);
  g_clear_pointer (&self->forms, g_ptr_array_unref);
}

static void
fill_devices (HangarHardwareView *self,
              const char         *visible)
{
  gboolean remote = self->vm != NULL && hangar_vm_get_tunnel_uri (self->vm) != NULL;

  clear_device_pages (self);
  self->forms = g_ptr_array_new ();
  for (guint i = 0; self->devices != NULL && i < self->devices->len; i++)
    {
      HangarDevice *device = g_ptr_array_index (self->devices, i);
      GtkWidget *form, *scroller, *box;
      g_autofree char *name = g_strdup_printf ("device-%u", i);

      /* A q35 machine has a dozen PCIe root ports: they get no page each. */
      if (device->kind == HANGAR_DEVICE_CONTROLLER && g_str_equal (device->key, "controller:pci"))
        continue;
      form = hangar_device_form_new (device, remote,
                                     g_settings_get_boolean (self->settings, "show-xml-editor"));
      scroller = gtk_scrolled_window_new (NULL, NULL);
      box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                      GTK_POLICY_AUTOMATIC);
      gtk_container_add (GTK_CONTAINER (box), form);
      if (device->kind == HANGAR_DEVICE_CDROM)
        gtk_container_add (GTK_CONTAINER (box), media_controls (self, device));
      gtk_widget_show (box);
      gtk_container_add (GTK_CONTAINER (scroller), box);
      gtk_widget_show (scroller);
      g_object_set_data (G_OBJECT (scroller), "form", form);
      g_signal_connect_object (form, "changed", G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (form, "save-xml", G_CALLBACK (on_save_device_xml), self, 0);
      gtk_stack_add_titled (self->pages, scroller, name, device->title);
      gtk_container_child_set (GTK_CONTAINER (self->pages), scroller, "position",
                               FIXED_PAGES + (int) i, NULL);
      g_ptr_array_add (self->forms, form);
    }
  /* The same page stays in view after a reload when it still exists. */
  if (visible != NULL && gtk_stack_get_child_by_name (self->pages, visible) != NULL)
    gtk_stack_set_visible_child_name (self->pages, visible);
  update_buttons (self);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */

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
on_devices_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *devices = hangar_vm_list_devices_finish (HANGAR_VM (source), result, &error);
  g_autofree char *visible = NULL;
  HangarHardwareView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_HARDWARE_VIEW (user_data);
  if (devices == NULL)
    {
      set_status (self, error->message, TRUE);
      return;
    }
  visible = g_strdup (gtk_stack_get_visible_child_name (self->pages));
  clear_device_pages (self);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  self->devices = devices;
  fill_devices (self, visible);
}

static void
on_xml_loaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  char *xml = hangar_vm_get_xml_finish (HANGAR_VM (source), result, &error);
  HangarHardwareView *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_HARDWARE_VIEW (user_data);
  g_free (self->xml);
  self->xml = xml;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->xml_view),
                            xml != NULL ? xml : error->message, -1);
  hangar_label_set_status (self->xml_note,
                           g_settings_get_boolean (self->settings, "show-xml-editor")
                           ? _("Edit the XML and save it; libvirt checks it first and nothing "
                               "changes when it refuses.")
                           : _("To edit the XML, turn on “Edit XML” in the main menu."), FALSE);
  update_buttons (self);
}

void
hangar_hardware_view_reload (HangarHardwareView *self)
{
  g_return_if_fail (HANGAR_IS_HARDWARE_VIEW (self));

  if (self->vm == NULL)
    return;
  hangar_vm_get_settings_async (self->vm, self->cancellable, on_loaded, self);
  hangar_vm_list_devices_async (self->vm, self->cancellable, on_devices_loaded, self);
  /* The password is in the XML only for someone who may edit it. */
  hangar_vm_get_xml_async (self->vm, g_settings_get_boolean (self->settings, "show-xml-editor"),
                           self->cancellable, on_xml_loaded, self);
}

void
hangar_hardware_view_refresh (HangarHardwareView *self)
{
  g_return_if_fail (HANGAR_IS_HARDWARE_VIEW (self));

  if (self->loaded != NULL && !self->busy && !is_dirty (self))
    hangar_hardware_view_reload (self);
}

/* ------------------------------------------------------------------ */
/* Applying: a job runs the settings, then each changed device         */

typedef struct
{
  HangarHardwareView *view;      /* NULL when only the old VM is saved */
  HangarVm           *vm;
  HangarVmSettings   *settings;  /* NULL when unchanged */
  GPtrArray          *devices;   /* keeps the HangarDevices alive */
  GPtrArray          *items;     /* HangarDevice *, GHashTable * pairs */
  guint               next;
  gboolean            pending;
  GCancellable       *cancellable;
  GtkWidget          *close_window;  /* closed once everything is saved */
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->view);
  g_object_unref (job->vm);
  g_clear_pointer (&job->settings, hangar_vm_settings_free);
  g_clear_pointer (&job->devices, g_ptr_array_unref);
  g_ptr_array_unref (job->items);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->close_window);
  g_free (job);
}

static Job *
job_new (HangarHardwareView *self)
{
  Job *job = g_new0 (Job, 1);

  job->vm = g_object_ref (self->vm);
  if (self->dirty)
    job->settings = read_form (self);
  job->devices = self->devices != NULL ? g_ptr_array_ref (self->devices) : NULL;
  job->items = g_ptr_array_new ();
  for (guint i = 0; self->forms != NULL && i < self->forms->len; i++)
    {
      HangarDeviceForm *form = g_ptr_array_index (self->forms, i);

      if (!hangar_device_form_is_dirty (form))
        continue;
      g_ptr_array_add (job->items, hangar_device_form_get_device (form));
      g_ptr_array_add (job->items, hangar_device_form_get_values (form));
    }
  return job;
}

static void job_step (Job *job);

static void
job_done (Job    *job,
          GError *error)
{
  HangarHardwareView *self = job->view;

  if (self != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->busy = FALSE;
      if (error != NULL)
        set_status (self, error->message, TRUE);
      else
        set_status (self, job->pending ? _("Saved. Some changes take effect after the VM is "
                                           "shut down.") : _("Saved."), FALSE);
      if (job->vm == self->vm && error == NULL)
        self->dirty = FALSE;
      if (job->vm == self->vm)
        hangar_hardware_view_reload (self);
      update_buttons (self);
      if (error == NULL && job->close_window != NULL)
        gtk_window_close (GTK_WINDOW (job->close_window));
    }
  for (guint i = 1; i < job->items->len; i += 2)
    g_hash_table_unref (g_ptr_array_index (job->items, i));
  job_free (job);
}

static void
on_device_applied (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  gboolean pending = FALSE;

  if (!hangar_vm_apply_device_finish (HANGAR_VM (source), result, &pending, &error))
    {
      HangarDevice *device = g_ptr_array_index (job->items, job->next - 2);

      g_prefix_error (&error, "%s: ", device->title);
      job_done (job, error);
      return;
    }
  job->pending |= pending;
  job_step (job);
}

static void
on_settings_applied (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  gboolean pending = FALSE;

  if (!hangar_vm_apply_settings_finish (HANGAR_VM (source), result, &pending, &error))
    {
      job_done (job, error);
      return;
    }
  job->pending |= pending;
  g_clear_pointer (&job->settings, hangar_vm_settings_free);
  job_step (job);
}

static void
job_step (Job *job)
{
  if (job->settings != NULL)
    {
      hangar_vm_apply_settings_async (job->vm, job->settings, job->cancellable,
                                      on_settings_applied, job);
      return;
    }
  if (job->next < job->items->len)
    {
      HangarDevice *device = g_ptr_array_index (job->items, job->next);
      GHashTable *values = g_ptr_array_index (job->items, job->next + 1);

      job->next += 2;
      hangar_vm_apply_device_async (job->vm, device, values, job->cancellable,
                                    on_device_applied, job);
      return;
    }
  job_done (job, NULL);
}

static void
on_apply (HangarHardwareView *self)
{
  g_autoptr (GError) error = NULL;
  Job *job;

  if (self->vm == NULL || self->loaded == NULL || self->busy)
    return;
  if (!check_all (self, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  job = job_new (self);
  job->view = g_object_ref (self);
  job->cancellable = g_object_ref (self->cancellable);
  self->busy = TRUE;
  set_status (self, _("Saving…"), FALSE);
  update_buttons (self);
  job_step (job);
}

static void
on_revert (HangarHardwareView *self)
{
  if (self->loaded != NULL)
    fill (self);
  for (guint i = 0; self->forms != NULL && i < self->forms->len; i++)
    hangar_device_form_revert (g_ptr_array_index (self->forms, i));
  set_status (self, NULL, FALSE);
  update_buttons (self);
}

/* ------------------------------------------------------------------ */
/* Add, remove, XML                                                    */

static void
on_add_response (GtkDialog          *dialog,
                 int                 response,
                 HangarHardwareView *self)
{
  if (response == GTK_RESPONSE_OK)
    return;  /* the dialog is adding; it answers ACCEPT when done */
  if (response == GTK_RESPONSE_ACCEPT)
    {
      HangarAddHardwareDialog *add = HANGAR_ADD_HARDWARE_DIALOG (dialog);
      /* Translators: a device such as "Network interface" */
      g_autofree char *text = g_strdup_printf (hangar_add_hardware_dialog_get_pending (add)
                                               ? _("%s added. It takes effect after the VM is "
                                                   "shut down.")
                                               : _("%s added."),
                                               hangar_add_hardware_dialog_get_added (add));

      set_status (self, text, FALSE);
      hangar_hardware_view_reload (self);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
on_add (HangarHardwareView *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog;

  if (self->vm == NULL)
    return;
  dialog = hangar_add_hardware_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                           self->vm);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_add_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_removed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (HangarHardwareView) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean pending = FALSE;

  self->busy = FALSE;
  if (!hangar_vm_remove_device_finish (HANGAR_VM (source), result, &pending, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, error->message, TRUE);
      update_buttons (self);
      return;
    }
  set_status (self, pending ? _("Removed. The running VM keeps the device until it is shut "
                                "down.") : _("Removed."), FALSE);
  if (HANGAR_VM (source) == self->vm)
    {
      gtk_stack_set_visible_child_name (self->pages, "overview");
      hangar_hardware_view_reload (self);
    }
  update_buttons (self);
}

static void
on_remove_response (GtkDialog          *dialog,
                    int                 response,
                    HangarHardwareView *self)
{
  HangarDevice *device = g_object_get_data (G_OBJECT (dialog), "device");

  gtk_widget_destroy (GTK_WIDGET (dialog));
  if (response != GTK_RESPONSE_ACCEPT || self->vm == NULL || device != visible_device (self))
    return;
  self->busy = TRUE;
  set_status (self, _("Removing…"), FALSE);
  update_buttons (self);
  hangar_vm_remove_device_async (self->vm, device, self->cancellable, on_removed,
                                 g_object_ref (self));
}

static void
on_remove (HangarHardwareView *self)
{
  HangarDevice *device = visible_device (self);
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  HangarDeviceField *source;
  GtkWidget *dialog;

  if (device == NULL || !device->removable || self->vm == NULL)
    return;
  /* Translators: a device ("Disk vda") and a VM */
  dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Remove %s from “%s”?"), device->title,
                                   hangar_vm_get_name (self->vm));
  source = device->kind == HANGAR_DEVICE_DISK || device->kind == HANGAR_DEVICE_CDROM
           ? hangar_device_get_field (device, "source") : NULL;
  if (source != NULL && source->value != NULL)
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                              _("The image %s stays on the host; only the VM "
                                                "stops using it."), source->value);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_style_context_add_class (gtk_widget_get_style_context (
                                 gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Remove"),
                                                        GTK_RESPONSE_ACCEPT)),
                               "destructive-action");
  g_object_set_data (G_OBJECT (dialog), "device", device);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_xml_saved (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (HangarHardwareView) self = user_data;
  g_autoptr (GError) error = NULL;

  self->busy = FALSE;
  if (!hangar_vm_define_xml_finish (HANGAR_VM (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        hangar_label_set_status (self->xml_note, error->message, TRUE);
      update_buttons (self);
      return;
    }
  hangar_label_set_status (self->xml_note, _("Saved."), FALSE);
  set_status (self, _("Saved."), FALSE);
  if (HANGAR_VM (source) == self->vm)
    hangar_hardware_view_reload (self);
  update_buttons (self);
}

static void
on_save_xml (HangarHardwareView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->xml_view);
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  if (self->vm == NULL || self->busy || !g_settings_get_boolean (self->settings, "show-xml-editor"))
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  self->busy = TRUE;
  update_buttons (self);
  hangar_label_set_status (self->xml_note, _("Saving…"), FALSE);
  hangar_vm_define_xml_async (self->vm, text, self->cancellable, on_xml_saved,
                              g_object_ref (self));
}

static void
on_xml_setting (HangarHardwareView *self)
{
  hangar_hardware_view_reload (self);
  update_buttons (self);
}

/* ------------------------------------------------------------------ */
/* Switching VMs                                                       */

static void
on_save_old_response (GtkDialog *dialog,
                      int        response,
                      Job       *job)
{
  HangarHardwareView *self = job->view;

  gtk_widget_destroy (GTK_WIDGET (dialog));
  if (response == GTK_RESPONSE_ACCEPT)
    {
      self->busy = TRUE;
      update_buttons (self);
      job_step (job);
      return;
    }
  if (response == GTK_RESPONSE_REJECT && job->close_window != NULL)
    {
      /* Discarded: the window may close now. */
      on_revert (self);
      gtk_window_close (GTK_WINDOW (job->close_window));
    }
  /* Nothing was saved: no "Saved." and no reload of the edits kept. */
  g_clear_object (&job->close_window);
  g_clear_object (&job->view);
  job_done (job, NULL);
}

/* Unsaved edits of the VM being left (or of a window being closed, when
 * @closing): offer to save them before they go. */
static void
offer_to_save (HangarHardwareView *self,
               GtkWidget          *closing)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  Job *job = job_new (self);
  GtkWidget *dialog;

  /* Its outcome shows in the status line; leaving the VM does not cancel it. */
  job->view = g_object_ref (self);
  job->close_window = closing != NULL ? g_object_ref (closing) : NULL;

  dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Save the hardware changes to “%s”?"),
                                   hangar_vm_get_name (self->vm));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            _("They were not applied yet and are lost "
                                              "otherwise."));
  if (closing != NULL)
    gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Discard"), GTK_RESPONSE_REJECT);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Save"), GTK_RESPONSE_ACCEPT);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_old_response), job);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
hangar_hardware_view_set_vm (HangarHardwareView *self,
                             HangarVm           *vm)
{
  g_return_if_fail (HANGAR_IS_HARDWARE_VIEW (self));

  if (self->vm == vm)
    return;
  if (self->vm != NULL && self->loaded != NULL && is_dirty (self) && !self->busy)
    offer_to_save (self, NULL);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->vm, vm);
  g_clear_pointer (&self->loaded, hangar_vm_settings_free);
  clear_device_pages (self);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->xml, g_free);
  gtk_stack_set_visible_child_name (self->pages, "overview");
  self->busy = FALSE;
  self->dirty = FALSE;
  set_status (self, NULL, FALSE);
  update_buttons (self);
  hangar_hardware_view_reload (self);
}

/* Closing the window (or quitting) with unsaved edits asks first. */
static gboolean
on_toplevel_delete (GtkWidget          *window,
                    GdkEvent           *event,
                    HangarHardwareView *self)
{
  if (self->vm == NULL || self->loaded == NULL || self->busy || !is_dirty (self))
    return GDK_EVENT_PROPAGATE;
  offer_to_save (self, window);
  return GDK_EVENT_STOP;
}

static void
on_hierarchy_changed (HangarHardwareView *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (toplevel) && g_object_get_data (G_OBJECT (toplevel), "hangar-hardware") == NULL)
    {
      g_object_set_data (G_OBJECT (toplevel), "hangar-hardware", self);
      g_signal_connect_object (toplevel, "delete-event", G_CALLBACK (on_toplevel_delete), self, 0);
    }
}

static void
hangar_hardware_view_dispose (GObject *object)
{
  HangarHardwareView *self = HANGAR_HARDWARE_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vm);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->loaded, hangar_vm_settings_free);
  g_clear_pointer (&self->forms, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->xml, g_free);

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
  BIND (firmware_combo);
  BIND (autostart_check);
  BIND (vcpus_spin);
  BIND (max_vcpus_spin);
  BIND (cpu_model_combo);
  BIND (sockets_spin);
  BIND (cores_spin);
  BIND (threads_spin);
  BIND (topology_note);
  BIND (memory_spin);
  BIND (current_spin);
  BIND (shared_check);
  BIND (boot_list);
  BIND (boot_up_button);
  BIND (boot_down_button);
  BIND (boot_menu_check);
  BIND (kernel_entry);
  BIND (initrd_entry);
  BIND (cmdline_entry);
  BIND (boot_note);
  BIND (xml_view);
  BIND (xml_note);
  BIND (xml_save_button);
  BIND (status_label);
  BIND (add_button);
  BIND (remove_button);
  BIND (revert_button);
  BIND (apply_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_revert);
  gtk_widget_class_bind_template_callback (widget_class, on_add);
  gtk_widget_class_bind_template_callback (widget_class, on_remove);
  gtk_widget_class_bind_template_callback (widget_class, on_save_xml);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_boot_up);
  gtk_widget_class_bind_template_callback (widget_class, on_boot_down);
  gtk_widget_class_bind_template_callback (widget_class, on_boot_selected);
}

static void
hangar_hardware_view_init (HangarHardwareView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::show-xml-editor",
                           G_CALLBACK (on_xml_setting), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->description_view), "changed",
                           G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "hierarchy-changed", G_CALLBACK (on_hierarchy_changed), NULL);
  on_boot_selected (self, NULL);
  update_buttons (self);
}
