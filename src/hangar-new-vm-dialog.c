/* hangar-new-vm-dialog.c: the new-VM wizard. Five pages in a stack; the
 * choices live in a HangarVmSpec that libosinfo's defaults fill as the OS
 * changes. Detection, the OS list and the create all run off the main loop. */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "hangar-error.h"
#include "hangar-widget-util.h"
#include "hangar-install-tree.h"
#include "hangar-new-vm-dialog.h"
#include "hangar-vm-builder.h"
#include "hangar-vm.h"

static const char *const page_names[] = { "source", "os", "resources", "storage", "finish" };

struct _HangarNewVmDialog
{
  GtkDialog             parent_instance;

  GtkLabel             *step_label;
  GtkStack             *pages;
  GtkToggleButton      *source_iso;
  GtkToggleButton      *source_import;
  GtkToggleButton      *source_manual;
  GtkToggleButton      *source_pxe;
  GtkToggleButton      *source_tree;
  GtkToggleButton      *source_drive;
  GtkEntry             *disk_dir_entry;
  GtkComboBoxText      *drive_combo;
  GtkEntry             *tree_entry;
  GtkWidget            *tree_button;
  HangarInstallTree    *tree;         /* the identified install tree */
  GtkComboBoxText      *network_combo;
  GtkWidget            *network_source_label;
  GtkEntry             *network_source_entry;
  GtkToggleButton      *customize_check;
  GtkFileChooser       *iso_chooser;
  GtkFileChooser       *import_chooser;
  GtkLabel             *source_status;
  GtkLabel             *os_label;
  GtkSearchEntry       *os_search;
  GtkListBox           *os_list;
  GtkSpinButton        *memory_spin;
  GtkSpinButton        *vcpus_spin;
  GtkLabel             *resources_status;
  GtkWidget            *disk_label;
  GtkSpinButton        *disk_spin;
  GtkLabel             *storage_status;
  GtkEntry             *name_entry;
  GtkComboBoxText      *firmware_combo;
  GtkComboBoxText      *connection_combo;
  GtkLabel             *summary_label;
  GtkSpinner           *spinner;
  GtkLabel             *finish_status;
  GtkWidget            *back_button;
  GtkButton            *next_button;

  HangarConnectionList *connections;
  HangarVmSpec          spec;
  guint                 page;
  gboolean              detecting;
  gboolean              creating;
  gboolean              name_edited;
  gboolean              source_error;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (HangarNewVmDialog, hangar_new_vm_dialog, GTK_TYPE_DIALOG)

enum
{
  SIGNAL_VM_CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_page (HangarNewVmDialog *self);

static void
set_status (GtkLabel   *label,
            const char *text,
            gboolean    is_error)
{
  hangar_label_set_status (label, text, is_error);
}

static HangarConnection *
chosen_connection (HangarNewVmDialog *self)
{
  const char *uri = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->connection_combo));

  return uri != NULL ? hangar_connection_list_find (self->connections, uri) : NULL;
}

static char *
os_display_name (OsinfoOs *os)
{
  return os != NULL ? g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os)))
                    : g_strdup (_("Generic / unknown OS"));
}

/* ------------------------------------------------------------------ */
/* The OS and what follows from it                                     */

static void
apply_os (HangarNewVmDialog *self,
          OsinfoOs          *os)
{
  g_autofree char *name = os_display_name (os);
  g_autofree char *text = NULL;
  HangarConnection *c = chosen_connection (self);

  hangar_vm_spec_set_os (&self->spec, os);
  text = g_strdup_printf (_("Operating system: %s"), name);
  gtk_label_set_text (self->os_label, text);
  gtk_spin_button_set_value (self->memory_spin, (double) self->spec.memory_mib);
  gtk_spin_button_set_value (self->vcpus_spin, self->spec.vcpus);
  gtk_spin_button_set_value (self->disk_spin, (double) self->spec.disk_gib);
  /* An OS that runs only on UEFI is not offered BIOS. */
  gtk_combo_box_text_remove_all (self->firmware_combo);
  if (!self->spec.uefi_only)
    gtk_combo_box_text_append (self->firmware_combo, "bios", _("BIOS"));
  gtk_combo_box_text_append (self->firmware_combo, "uefi", _("UEFI"));
  /* Secure Boot where this computer's OVMF has it (a remote host's cannot be
   * read from here: offered, and libvirt says so if it has none). */
  if (hangar_host_has_secure_boot (NULL))
    gtk_combo_box_text_append (self->firmware_combo, "uefi-secure", _("UEFI with Secure Boot"));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->firmware_combo),
                               self->spec.firmware == HANGAR_FIRMWARE_BIOS ? "bios" : "uefi");
  if (!self->name_edited)
    {
      g_autofree char *suggested =
        hangar_vm_name_suggest (os, c != NULL ? hangar_connection_get_vms (c) : NULL);

      gtk_entry_set_text (self->name_entry, suggested);
      self->name_edited = FALSE;
    }
}

static void
on_os_selected (HangarNewVmDialog *self,
                GtkListBoxRow     *row)
{
  if (row == NULL)
    return;
  apply_os (self, g_object_get_data (G_OBJECT (row), "os"));
}

static GtkWidget *
os_row (OsinfoOs *os)
{
  g_autofree char *name = os_display_name (os);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = gtk_label_new (name);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  g_object_set (label, "margin", 6, NULL);
  gtk_container_add (GTK_CONTAINER (row), label);
  atk_object_set_name (gtk_widget_get_accessible (row), name);
  if (os != NULL)
    g_object_set_data_full (G_OBJECT (row), "os", g_object_ref (os), g_object_unref);
  gtk_widget_show_all (row);
  return row;
}

static void
select_os_row (HangarNewVmDialog *self,
               OsinfoOs          *os)
{
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->os_list, i);

      if (row == NULL)
        return;
      if (g_object_get_data (G_OBJECT (row), "os") == os ||
          (os != NULL && g_object_get_data (G_OBJECT (row), "os") != NULL &&
           g_strcmp0 (osinfo_entity_get_id (g_object_get_data (G_OBJECT (row), "os")),
                      osinfo_entity_get_id (OSINFO_ENTITY (os))) == 0))
        {
          gtk_list_box_select_row (self->os_list, row);
          return;
        }
    }
}

static gboolean
os_filter (GtkListBoxRow *row,
           gpointer       user_data)
{
  HangarNewVmDialog *self = user_data;
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->os_search));
  OsinfoOs *os = g_object_get_data (G_OBJECT (row), "os");
  g_autofree char *needle = NULL;
  g_autofree char *name = NULL;
  const char *short_id;

  if (*text == '\0' || os == NULL)
    return TRUE;
  needle = g_utf8_casefold (text, -1);
  name = g_utf8_casefold (osinfo_product_get_name (OSINFO_PRODUCT (os)), -1);
  short_id = osinfo_product_get_short_id (OSINFO_PRODUCT (os));
  return strstr (name, needle) != NULL || (short_id != NULL && strstr (short_id, needle) != NULL);
}

static void
on_os_search (HangarNewVmDialog *self)
{
  gtk_list_box_invalidate_filter (self->os_list);
}

static int
compare_os (gconstpointer a,
            gconstpointer b)
{
  OsinfoOs *x = *(OsinfoOs **) a, *y = *(OsinfoOs **) b;

  return g_utf8_collate (osinfo_product_get_name (OSINFO_PRODUCT (x)),
                         osinfo_product_get_name (OSINFO_PRODUCT (y)));
}

static void
load_os_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  OsinfoDb *db = hangar_os_db_ensure_loaded (task_data);
  g_autoptr (OsinfoOsList) list = db != NULL ? osinfo_db_get_os_list (db) : NULL;
  GPtrArray *oses = g_ptr_array_new_with_free_func (g_object_unref);

  for (int i = 0; list != NULL && i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    g_ptr_array_add (oses, g_object_ref (osinfo_list_get_nth (OSINFO_LIST (list), i)));
  g_ptr_array_sort (oses, compare_os);
  g_task_return_pointer (task, oses, (GDestroyNotify) g_ptr_array_unref);
}

static void
on_os_loaded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GPtrArray) oses = g_task_propagate_pointer (G_TASK (result), NULL);
  HangarNewVmDialog *self;

  if (oses == NULL || g_task_had_error (G_TASK (result)))
    return;
  self = HANGAR_NEW_VM_DIALOG (user_data);
  for (guint i = 0; i < oses->len; i++)
    gtk_container_add (GTK_CONTAINER (self->os_list), os_row (g_ptr_array_index (oses, i)));
  select_os_row (self, self->spec.os);
}

/* ------------------------------------------------------------------ */
/* Source                                                              */

static void
on_identified (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OsinfoOs) os = hangar_media_identify_finish (HANGAR_OS_DB (source), result, &error);
  HangarNewVmDialog *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_NEW_VM_DIALOG (user_data);
  self->detecting = FALSE;
  self->source_error = error != NULL;
  if (error != NULL)
    set_status (self->source_status, error->message, TRUE);
  else if (os == NULL)
    set_status (self->source_status,
                _("This image is not one libosinfo knows: choose the operating system on the "
                  "next page, or keep “Generic”."), FALSE);
  else
    {
      g_autofree char *name = os_display_name (os);
      g_autofree char *text = g_strdup_printf (_("Detected: %s"), name);

      set_status (self->source_status, text, FALSE);
    }
  apply_os (self, os);
  select_os_row (self, os);
  update_page (self);
}

static void
set_media (HangarNewVmDialog *self,
           const char        *path)
{
  g_free (self->spec.media_path);
  self->spec.media_path = g_strdup (path);
  if (path == NULL)
    return;
  self->detecting = TRUE;
  set_status (self->source_status, _("Looking at the image…"), FALSE);
  hangar_media_identify_async (hangar_connection_list_get_os_db (self->connections), path,
                               self->cancellable, on_identified, self);
  update_page (self);
}

static void
on_iso_chosen (HangarNewVmDialog *self)
{
  g_autofree char *path = gtk_file_chooser_get_filename (self->iso_chooser);

  gtk_toggle_button_set_active (self->source_iso, TRUE);
  set_media (self, path);
}

static void
on_drive_chosen (HangarNewVmDialog *self)
{
  const char *device = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->drive_combo));

  if (device == NULL)
    return;
  gtk_toggle_button_set_active (self->source_drive, TRUE);
  set_media (self, device);
}

/* The drives this computer has; without one the choice is there, unavailable. */
static void
fill_drives (HangarNewVmDialog *self)
{
  g_autoptr (GPtrArray) drives = hangar_host_optical_drives (NULL);

  for (guint i = 0; i + 1 < drives->len; i += 2)
    gtk_combo_box_text_append (self->drive_combo, g_ptr_array_index (drives, i),
                               g_ptr_array_index (drives, i + 1));
  if (drives->len == 0)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->source_drive), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->drive_combo), FALSE);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->source_drive),
                                   _("This computer has no CD/DVD drive."));
      gtk_combo_box_text_append (self->drive_combo, NULL, _("No CD/DVD drive"));
      gtk_combo_box_set_active (GTK_COMBO_BOX (self->drive_combo), 0);
    }
}

static void
on_disk_dir_changed (HangarNewVmDialog *self)
{
  update_page (self);
}

static void
on_disk_dir_browse (HangarNewVmDialog *self)
{
  g_autoptr (GtkFileChooserNative) chooser =
    gtk_file_chooser_native_new (_("Choose a Folder for the New Disk"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Choose"),
                                 _("_Cancel"));

  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser),
                                       gtk_entry_get_text (self->disk_dir_entry));
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *dir = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));

      if (dir != NULL)
        gtk_entry_set_text (self->disk_dir_entry, dir);
    }
}

static void
on_import_chosen (HangarNewVmDialog *self)
{
  g_autofree char *path = gtk_file_chooser_get_filename (self->import_chooser);

  gtk_toggle_button_set_active (self->source_import, TRUE);
  g_free (self->spec.import_path);
  self->spec.import_path = g_steal_pointer (&path);
  set_status (self->source_status, NULL, FALSE);
  update_page (self);
}

static void
on_source_changed (HangarNewVmDialog *self)
{
  update_page (self);
}

static void
on_tree_identified (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  HangarInstallTree *tree = hangar_install_tree_identify_finish (HANGAR_OS_DB (source), result,
                                                                 &error);
  HangarNewVmDialog *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_NEW_VM_DIALOG (user_data);
  self->detecting = FALSE;
  g_clear_pointer (&self->tree, hangar_install_tree_free);
  self->tree = tree;
  if (tree == NULL)
    set_status (self->source_status, error->message, TRUE);
  else
    {
      g_autofree char *name = os_display_name (tree->os);
      /* Translators: an OS found at a network install tree */
      g_autofree char *text = g_strdup_printf (_("Detected: %s (network install)"), name);

      set_status (self->source_status, text, FALSE);
      apply_os (self, tree->os);
      select_os_row (self, tree->os);
    }
  update_page (self);
}

static void
on_tree_look_up (HangarNewVmDialog *self)
{
  g_autoptr (GError) error = NULL;
  const char *url = gtk_entry_get_text (self->tree_entry);

  gtk_toggle_button_set_active (self->source_tree, TRUE);
  g_clear_pointer (&self->tree, hangar_install_tree_free);
  if (!hangar_install_tree_check_url (url, &error))
    {
      set_status (self->source_status, error->message, TRUE);
      update_page (self);
      return;
    }
  self->detecting = TRUE;
  set_status (self->source_status, _("Looking at the install tree…"), FALSE);
  hangar_install_tree_identify_async (hangar_connection_list_get_os_db (self->connections), url,
                                      self->cancellable, on_tree_identified, self);
  update_page (self);
}

static void
on_tree_changed (HangarNewVmDialog *self)
{
  /* A new address needs a new look. */
  g_clear_pointer (&self->tree, hangar_install_tree_free);
  update_page (self);
}

/* ------------------------------------------------------------------ */
/* Memory, CPUs, name                                                  */

static guint64
host_available_mib (void)
{
  long pages = sysconf (_SC_AVPHYS_PAGES);
  long size = sysconf (_SC_PAGESIZE);

  return pages > 0 && size > 0 ? (guint64) pages * (guint64) size / (1024 * 1024) : 0;
}

static void
on_resources_changed (HangarNewVmDialog *self)
{
  guint64 memory = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
  guint vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);
  guint64 available = host_available_mib ();
  guint cpus = g_get_num_processors ();
  g_autoptr (GString) text = g_string_new (NULL);
  gboolean warn = FALSE;

  g_string_append_printf (text, _("This computer has %u CPUs and %" G_GUINT64_FORMAT
                                  " MiB of memory free."), cpus, available);
  if (self->spec.min_memory_mib > 0 && memory < self->spec.min_memory_mib)
    {
      g_string_append_printf (text, "\n");
      g_string_append_printf (text, _("Below the %" G_GUINT64_FORMAT " MiB this operating "
                                      "system needs at least: it may not install or run."),
                              self->spec.min_memory_mib);
      warn = TRUE;
    }
  if (vcpus > cpus)
    {
      g_string_append (text, "\n");
      g_string_append_printf (text, _("More virtual CPUs than this computer has (%u): the VM "
                                      "will be slower, not faster."), cpus);
      warn = TRUE;
    }
  if (available > 0 && memory > available)
    {
      g_string_append (text, "\n");
      g_string_append (text, _("More memory than this computer has free now."));
      warn = TRUE;
    }
  set_status (self->resources_status, text->str, warn);
}

static HangarNetwork
chosen_network (HangarNewVmDialog *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->network_combo));

  if (g_strcmp0 (id, "virtual") == 0)
    return HANGAR_NETWORK_VIRTUAL;
  if (g_strcmp0 (id, "bridge") == 0)
    return HANGAR_NETWORK_BRIDGE;
  return HANGAR_NETWORK_USER;
}

/* The networks the chosen connection can give a VM: only user-mode on
 * Hangar's own; the "default" NAT network first on qemu:///system. */
static void
fill_networks (HangarNewVmDialog *self)
{
  HangarConnection *c = chosen_connection (self);
  HangarConnectionKind kind = c != NULL ? hangar_connection_get_kind (c)
                                        : HANGAR_CONNECTION_KIND_EMBEDDED;
  g_autofree char *was = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->network_combo)));

  gtk_combo_box_text_remove_all (self->network_combo);
  if (kind != HANGAR_CONNECTION_KIND_EMBEDDED)
    gtk_combo_box_text_append (self->network_combo, "virtual", _("Virtual network (NAT)"));
  gtk_combo_box_text_append (self->network_combo, "user", _("User-mode networking (no set-up)"));
  if (kind != HANGAR_CONNECTION_KIND_EMBEDDED)
    gtk_combo_box_text_append (self->network_combo, "bridge", _("Host bridge"));
  if (was == NULL || !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->network_combo), was))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->network_combo),
                                 kind == HANGAR_CONNECTION_KIND_SYSTEM ? "virtual" : "user");
}

static void
on_network_changed (HangarNewVmDialog *self)
{
  HangarNetwork network = chosen_network (self);
  gboolean named = network == HANGAR_NETWORK_VIRTUAL || network == HANGAR_NETWORK_BRIDGE;

  gtk_widget_set_visible (self->network_source_label, named);
  gtk_widget_set_visible (GTK_WIDGET (self->network_source_entry), named);
  gtk_label_set_text_with_mnemonic (GTK_LABEL (self->network_source_label),
                                    network == HANGAR_NETWORK_BRIDGE ? _("_Bridge")
                                                                     : _("Network _name"));
  gtk_entry_set_placeholder_text (self->network_source_entry,
                                  network == HANGAR_NETWORK_BRIDGE ? "br0" : "default");
  update_page (self);
}

/* The name typed, or the placeholder for a virtual network ("default"). */
static const char *
network_source (HangarNewVmDialog *self)
{
  const char *text = gtk_entry_get_text (self->network_source_entry);

  if (*text == '\0' && chosen_network (self) == HANGAR_NETWORK_VIRTUAL)
    return "default";
  return text;
}

static gboolean
name_ok (HangarNewVmDialog *self)
{
  g_autoptr (GError) error = NULL;
  HangarConnection *c = chosen_connection (self);
  const char *name = gtk_entry_get_text (self->name_entry);

  if (c == NULL)
    {
      set_status (self->finish_status, _("No connection to create the VM on is open."), TRUE);
      return FALSE;
    }
  if (!hangar_vm_name_check (name, hangar_connection_get_vms (c), &error) ||
      !hangar_vm_network_check (chosen_network (self), network_source (self), &error))
    {
      set_status (self->finish_status, error->message, TRUE);
      return FALSE;
    }
  if (!self->creating)
    set_status (self->finish_status, NULL, FALSE);
  return TRUE;
}

static void
on_name_changed (HangarNewVmDialog *self)
{
  self->name_edited = TRUE;
  update_page (self);
}

static void
on_connection_changed (HangarNewVmDialog *self)
{
  fill_networks (self);
  update_page (self);
}

/* ------------------------------------------------------------------ */
/* Pages                                                               */

static gboolean
page_skipped (HangarNewVmDialog *self,
              guint              page)
{
  /* An imported image is the disk. */
  return page == 3 && gtk_toggle_button_get_active (self->source_import);
}

static gboolean
page_complete (HangarNewVmDialog *self)
{
  switch (self->page)
    {
    case 0:
      if (self->detecting || self->source_error)
        return FALSE;
      if (gtk_toggle_button_get_active (self->source_iso))
        return self->spec.media_path != NULL;
      if (gtk_toggle_button_get_active (self->source_import))
        return self->spec.import_path != NULL;
      if (gtk_toggle_button_get_active (self->source_tree))
        return self->tree != NULL;
      if (gtk_toggle_button_get_active (self->source_drive))
        return self->spec.media_path != NULL && g_str_has_prefix (self->spec.media_path, "/dev/");
      return TRUE;
    case 3:
      return hangar_vm_disk_dir_check (gtk_entry_get_text (self->disk_dir_entry), NULL);
    case 4:
      return name_ok (self) && !self->creating;
    default:
      return TRUE;
    }
}

static void
update_page (HangarNewVmDialog *self)
{
  g_autofree char *step = NULL;
  const char *title;

  gtk_stack_set_visible_child_name (self->pages, page_names[self->page]);
  gtk_container_child_get (GTK_CONTAINER (self->pages),
                           gtk_stack_get_visible_child (self->pages), "title", &title, NULL);
  /* Translators: "Step 2 of 5: Operating system" */
  step = g_strdup_printf (_("Step %u of %u: %s"), self->page + 1,
                          (guint) G_N_ELEMENTS (page_names), title);
  gtk_label_set_text (self->step_label, step);
  g_free ((char *) title);

  gtk_widget_set_sensitive (self->back_button, self->page > 0 && !self->creating);
  gtk_button_set_label (self->next_button, self->page == G_N_ELEMENTS (page_names) - 1
                                           ? _("C_reate") : _("_Next"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), page_complete (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->iso_chooser),
                            gtk_toggle_button_get_active (self->source_iso));
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_chooser),
                            gtk_toggle_button_get_active (self->source_import));

  if (self->page == 3)
    {
      g_autoptr (GError) error = NULL;

      if (!hangar_vm_disk_dir_check (gtk_entry_get_text (self->disk_dir_entry), &error))
        set_status (self->storage_status, error->message, TRUE);
      else
        set_status (self->storage_status,
                    _("A new qcow2 image in this folder on Hangar’s own connection, and in the "
                      "“default” storage pool on others (made when missing); its space is used "
                      "as the VM writes."), FALSE);
    }
  if (self->page == 4)
    {
      g_autofree char *os = os_display_name (self->spec.os);
      g_autofree char *summary = NULL;

      if (gtk_toggle_button_get_active (self->source_import))
        summary = g_strdup_printf (_("%s, %d MiB, %d vCPUs, disk %s"), os,
                                   gtk_spin_button_get_value_as_int (self->memory_spin),
                                   gtk_spin_button_get_value_as_int (self->vcpus_spin),
                                   self->spec.import_path);
      else
        summary = g_strdup_printf (_("%s, %d MiB, %d vCPUs, new %d GiB disk%s"), os,
                                   gtk_spin_button_get_value_as_int (self->memory_spin),
                                   gtk_spin_button_get_value_as_int (self->vcpus_spin),
                                   gtk_spin_button_get_value_as_int (self->disk_spin),
                                   gtk_toggle_button_get_active (self->source_pxe)
                                   ? _(", booting from the network (PXE)")
                                   : gtk_toggle_button_get_active (self->source_tree)
                                   ? _(", installing from the network tree")
                                   : gtk_toggle_button_get_active (self->source_drive)
                                   ? _(", installing from the CD/DVD drive")
                                   : gtk_toggle_button_get_active (self->source_iso) &&
                                     self->spec.media_path != NULL
                                   ? _(", installing from the ISO") : "");
      gtk_label_set_text (self->summary_label, summary);
    }
}

static void
on_created (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (HangarNewVmDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = hangar_vm_create_finish (HANGAR_CONNECTION (source), result, &error);

  self->creating = FALSE;
  gtk_spinner_stop (self->spinner);
  gtk_widget_hide (GTK_WIDGET (self->spinner));
  if (name == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self->finish_status, error->message, TRUE);
      update_page (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_VM_CREATED], 0, source, name,
                 gtk_toggle_button_get_active (self->customize_check));
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
create (HangarNewVmDialog *self)
{
  HangarConnection *c = chosen_connection (self);
  HangarVmSpec spec = self->spec;

  if (c == NULL || !name_ok (self))
    return;
  /* What the pages say now (the spec keeps the OS's defaults). */
  spec.name = (char *) gtk_entry_get_text (self->name_entry);
  spec.memory_mib = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin);
  spec.vcpus = (guint) gtk_spin_button_get_value_as_int (self->vcpus_spin);
  spec.disk_gib = gtk_toggle_button_get_active (self->source_import)
                  ? 0 : (guint64) gtk_spin_button_get_value_as_int (self->disk_spin);
  spec.import_path = gtk_toggle_button_get_active (self->source_import) ? self->spec.import_path
                                                                        : NULL;
  spec.disk_dir = (char *) gtk_entry_get_text (self->disk_dir_entry);
  spec.media_path = gtk_toggle_button_get_active (self->source_iso) ||
                    gtk_toggle_button_get_active (self->source_drive)
                    ? self->spec.media_path : NULL;
  {
    const char *firmware = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->firmware_combo));

    spec.firmware = g_strcmp0 (firmware, "uefi-secure") == 0 ? HANGAR_FIRMWARE_UEFI_SECURE
                    : g_strcmp0 (firmware, "uefi") == 0 ? HANGAR_FIRMWARE_UEFI
                    : HANGAR_FIRMWARE_BIOS;
  }
  spec.network = chosen_network (self);
  spec.network_source = (char *) network_source (self);
  spec.pxe = gtk_toggle_button_get_active (self->source_pxe);
  if (gtk_toggle_button_get_active (self->source_tree) && self->tree != NULL)
    {
      spec.tree_url = self->tree->url;
      spec.kernel_path = self->tree->kernel_path;
      spec.initrd_path = self->tree->initrd_path;
    }
  else
    spec.tree_url = spec.kernel_path = spec.initrd_path = NULL;
  self->creating = TRUE;
  set_status (self->finish_status, _("Creating the disk and the VM…"), FALSE);
  gtk_widget_show (GTK_WIDGET (self->spinner));
  gtk_spinner_start (self->spinner);
  /* The builder copies what it needs. */
  hangar_vm_create_async (c, &spec, self->cancellable, on_created, g_object_ref (self));
  update_page (self);
}

static void
on_next (HangarNewVmDialog *self)
{
  if (!page_complete (self))
    return;
  if (self->page == G_N_ELEMENTS (page_names) - 1)
    {
      create (self);
      return;
    }
  do
    self->page++;
  while (page_skipped (self, self->page));
  update_page (self);
  if (self->page == 4)
    gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
}

static void
on_back (HangarNewVmDialog *self)
{
  if (self->page == 0)
    return;
  do
    self->page--;
  while (self->page > 0 && page_skipped (self, self->page));
  update_page (self);
}

static void
on_cancel (HangarNewVmDialog *self)
{
  gtk_widget_destroy (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------ */

static void
refresh_connections (HangarNewVmDialog *self)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);
  g_autofree char *active = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->connection_combo)));

  gtk_combo_box_text_remove_all (self->connection_combo);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);

      if (hangar_connection_get_state (c) != HANGAR_CONNECTION_STATE_CONNECTED)
        continue;
      gtk_combo_box_text_append (self->connection_combo, hangar_connection_get_uri (c),
                                 hangar_connection_get_title (c));
      if (active == NULL)
        active = g_strdup (hangar_connection_get_uri (c));
    }
  if (active != NULL && !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->connection_combo), active))
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->connection_combo), 0);
  update_page (self);
}

GtkWidget *
hangar_new_vm_dialog_new (GtkWindow            *parent,
                          HangarConnectionList *connections,
                          const char           *media_path)
{
  HangarNewVmDialog *self;
  GListModel *model;
  g_autoptr (GTask) task = NULL;

  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (connections), NULL);

  self = g_object_new (HANGAR_TYPE_NEW_VM_DIALOG, "transient-for", parent, "modal", TRUE,
                       "use-header-bar", FALSE, NULL);
  self->connections = g_object_ref (connections);

  /* Connections still opening join the list when they are connected. */
  model = hangar_connection_list_get_model (connections);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);

      g_signal_connect_object (c, "notify::state", G_CALLBACK (refresh_connections), self,
                               G_CONNECT_SWAPPED);
    }
  refresh_connections (self);

  gtk_container_add (GTK_CONTAINER (self->os_list), os_row (NULL));
  task = g_task_new (NULL, self->cancellable, on_os_loaded, self);
  g_task_set_task_data (task, g_object_ref (hangar_connection_list_get_os_db (connections)),
                        g_object_unref);
  g_task_run_in_thread (task, load_os_thread);

  apply_os (self, NULL);
  self->name_edited = FALSE;
  if (media_path != NULL)
    {
      gtk_file_chooser_set_filename (self->iso_chooser, media_path);
      set_media (self, media_path);
    }
  on_resources_changed (self);
  update_page (self);
  return GTK_WIDGET (self);
}

static void
hangar_new_vm_dialog_dispose (GObject *object)
{
  HangarNewVmDialog *self = HANGAR_NEW_VM_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connections);
  hangar_vm_spec_clear (&self->spec);
  g_clear_pointer (&self->tree, hangar_install_tree_free);

  G_OBJECT_CLASS (hangar_new_vm_dialog_parent_class)->dispose (object);
}

static void
hangar_new_vm_dialog_class_init (HangarNewVmDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_new_vm_dialog_dispose;

  signals[SIGNAL_VM_CREATED] =
    g_signal_new ("vm-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, HANGAR_TYPE_CONNECTION, G_TYPE_STRING, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/new-vm-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarNewVmDialog, name)
  BIND (step_label);
  BIND (pages);
  BIND (source_iso);
  BIND (source_import);
  BIND (source_manual);
  BIND (source_pxe);
  BIND (source_tree);
  BIND (source_drive);
  BIND (disk_dir_entry);
  BIND (drive_combo);
  BIND (tree_entry);
  BIND (tree_button);
  BIND (network_combo);
  BIND (network_source_label);
  BIND (network_source_entry);
  BIND (customize_check);
  BIND (iso_chooser);
  BIND (import_chooser);
  BIND (source_status);
  BIND (os_label);
  BIND (os_search);
  BIND (os_list);
  BIND (memory_spin);
  BIND (vcpus_spin);
  BIND (resources_status);
  BIND (disk_label);
  BIND (disk_spin);
  BIND (storage_status);
  BIND (name_entry);
  BIND (firmware_combo);
  BIND (connection_combo);
  BIND (summary_label);
  BIND (spinner);
  BIND (finish_status);
  BIND (back_button);
  BIND (next_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_source_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_tree_look_up);
  gtk_widget_class_bind_template_callback (widget_class, on_drive_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_disk_dir_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_disk_dir_browse);
  gtk_widget_class_bind_template_callback (widget_class, on_tree_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_iso_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_import_chosen);
  gtk_widget_class_bind_template_callback (widget_class, on_os_search);
  gtk_widget_class_bind_template_callback (widget_class, on_os_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_resources_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_connection_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_network_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_next);
  gtk_widget_class_bind_template_callback (widget_class, on_back);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel);
}

static void
hangar_new_vm_dialog_init (HangarNewVmDialog *self)
{
  GtkFileFilter *iso = gtk_file_filter_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  hangar_vm_spec_init (&self->spec);
  gtk_list_box_set_filter_func (self->os_list, os_filter, self, NULL);
  gtk_file_filter_set_name (iso, _("ISO images"));
  gtk_file_filter_add_pattern (iso, "*.iso");
  gtk_file_filter_add_pattern (iso, "*.ISO");
  gtk_file_filter_add_mime_type (iso, "application/x-cd-image");
  gtk_file_chooser_add_filter (self->iso_chooser, iso);
  fill_drives (self);
  {
    g_autofree char *images = hangar_vm_images_dir ();

    /* Made on first use: a missing default folder is fine. */
    g_mkdir_with_parents (images, 0700);
    gtk_entry_set_text (self->disk_dir_entry, images);
  }
  gtk_widget_grab_default (GTK_WIDGET (self->next_button));
}
