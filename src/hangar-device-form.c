/* hangar-device-form.c: one widget per field, built from the model's field
 * list, so every device kind gets its page without a template of its own.
 * Emits "changed" when the user edits a value. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-device-form.h"

struct _HangarDeviceForm
{
  GtkGrid       parent_instance;

  HangarDevice *device;
  GHashTable   *widgets;   /* key -> the widget holding its value */
  GHashTable   *rows;      /* key -> GPtrArray of the widgets to hide with it */
  gboolean      filling;
};

G_DEFINE_FINAL_TYPE (HangarDeviceForm, hangar_device_form, GTK_TYPE_GRID)

enum { CHANGED, SAVE_XML, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_accessible_name (GtkWidget  *widget,
                     const char *name)
{
  atk_object_set_name (gtk_widget_get_accessible (widget), name);
}

static char *
widget_value (GtkWidget *widget)
{
  if (GTK_IS_COMBO_BOX (widget))
    return g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (widget)));
  if (GTK_IS_CHECK_BUTTON (widget))
    return g_strdup (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (widget)) ? "yes" : "no");
  if (GTK_IS_ENTRY (widget))
    return g_strdup (gtk_entry_get_text (GTK_ENTRY (widget)));
  return NULL;
}

GHashTable *
hangar_device_form_get_values (HangarDeviceForm *self)
{
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter iter;
  gpointer key, widget;

  g_return_val_if_fail (HANGAR_IS_DEVICE_FORM (self), NULL);

  g_hash_table_iter_init (&iter, self->widgets);
  while (g_hash_table_iter_next (&iter, &key, &widget))
    {
      char *value = widget_value (widget);

      g_hash_table_insert (values, key, value != NULL ? value : g_strdup (""));
    }
  return values;
}

gboolean
hangar_device_form_is_dirty (HangarDeviceForm *self)
{
  g_autoptr (GHashTable) values = hangar_device_form_get_values (self);

  for (guint i = 0; i < self->device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (self->device->fields, i);
      const char *now = g_hash_table_lookup (values, field->key);

      if (now != NULL && g_strcmp0 (now, field->value != NULL ? field->value : "") != 0)
        return TRUE;
    }
  return FALSE;
}

HangarDevice *
hangar_device_form_get_device (HangarDeviceForm *self)
{
  g_return_val_if_fail (HANGAR_IS_DEVICE_FORM (self), NULL);

  return self->device;
}

/* Shows only the fields that matter with the values chosen now. */
static void
update_visibility (HangarDeviceForm *self)
{
  g_autoptr (GHashTable) values = hangar_device_form_get_values (self);
  GHashTableIter iter;
  gpointer key, row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, &row))
    {
      gboolean visible = hangar_device_field_applies (self->device, key, values);

      for (guint i = 0; i < ((GPtrArray *) row)->len; i++)
        gtk_widget_set_visible (g_ptr_array_index ((GPtrArray *) row, i), visible);
    }
}

static void
on_value_changed (HangarDeviceForm *self)
{
  if (self->filling)
    return;
  update_visibility (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
set_widget_value (GtkWidget  *widget,
                  const char *value)
{
  if (GTK_IS_COMBO_BOX (widget))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (widget), value != NULL ? value : "");
  else if (GTK_IS_CHECK_BUTTON (widget))
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (widget), g_strcmp0 (value, "yes") == 0);
  else if (GTK_IS_ENTRY (widget))
    gtk_entry_set_text (GTK_ENTRY (widget), value != NULL ? value : "");
}

void
hangar_device_form_revert (HangarDeviceForm *self)
{
  g_return_if_fail (HANGAR_IS_DEVICE_FORM (self));

  self->filling = TRUE;
  for (guint i = 0; i < self->device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (self->device->fields, i);
      GtkWidget *widget = g_hash_table_lookup (self->widgets, field->key);

      if (widget != NULL)
        set_widget_value (widget, field->value);
    }
  self->filling = FALSE;
  update_visibility (self);
}

static void
on_browse (GtkButton *button,
           GtkEntry  *entry)
{
  gboolean folder = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "folder"));
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (button));
  g_autoptr (GtkFileChooserNative) chooser = NULL;

  chooser = gtk_file_chooser_native_new (folder ? _("Choose a Folder") : _("Choose a File"),
                                         GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                         folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                : GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Choose"), _("_Cancel"));
  if (*gtk_entry_get_text (entry) != '\0')
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (chooser), gtk_entry_get_text (entry));
  if (gtk_native_dialog_run (GTK_NATIVE_DIALOG (chooser)) == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));

      gtk_entry_set_text (entry, path != NULL ? path : "");
    }
}

static GtkWidget *
make_value_widget (HangarDeviceForm  *self,
                   HangarDeviceField *field,
                   gboolean           remote,
                   GtkWidget        **shown)
{
  GtkWidget *widget;

  switch (field->type)
    {
    case HANGAR_FIELD_INFO:
      widget = gtk_label_new (field->value != NULL && *field->value != '\0' ? field->value
                                                                             : _("—"));
      gtk_label_set_xalign (GTK_LABEL (widget), 0);
      gtk_label_set_selectable (GTK_LABEL (widget), TRUE);
      gtk_label_set_line_wrap (GTK_LABEL (widget), TRUE);
      gtk_label_set_line_wrap_mode (GTK_LABEL (widget), PANGO_WRAP_CHAR);
      *shown = widget;
      return NULL;
    case HANGAR_FIELD_CHOICE:
      widget = gtk_combo_box_text_new ();
      for (guint i = 0; field->choices != NULL && field->choices[i] != NULL; i++)
        gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (widget), field->choices[i],
                                   field->choice_labels[i]);
      g_signal_connect_object (widget, "changed", G_CALLBACK (on_value_changed), self,
                               G_CONNECT_SWAPPED);
      break;
    case HANGAR_FIELD_BOOL:
      widget = gtk_check_button_new_with_label (field->label);
      g_signal_connect_object (widget, "toggled", G_CALLBACK (on_value_changed), self,
                               G_CONNECT_SWAPPED);
      break;
    case HANGAR_FIELD_TEXT:
    case HANGAR_FIELD_SECRET:
    case HANGAR_FIELD_FILE:
    case HANGAR_FIELD_FOLDER:
    default:
      widget = gtk_entry_new ();
      gtk_widget_set_hexpand (widget, TRUE);
      if (field->type == HANGAR_FIELD_SECRET)
        {
          gtk_entry_set_visibility (GTK_ENTRY (widget), FALSE);
          gtk_entry_set_input_purpose (GTK_ENTRY (widget), GTK_INPUT_PURPOSE_PASSWORD);
        }
      g_signal_connect_object (widget, "changed", G_CALLBACK (on_value_changed), self,
                               G_CONNECT_SWAPPED);
      break;
    }
  set_accessible_name (widget, field->label);
  *shown = widget;
  if ((field->type == HANGAR_FIELD_FILE || field->type == HANGAR_FIELD_FOLDER) && !remote)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      /* Translators: opens a file chooser for the field before it */
      GtkWidget *browse = gtk_button_new_with_mnemonic (_("_Browse…"));
      g_autofree char *name = g_strdup_printf (_("Browse for %s"), field->label);

      set_accessible_name (browse, name);
      g_object_set_data (G_OBJECT (browse), "folder",
                         GINT_TO_POINTER (field->type == HANGAR_FIELD_FOLDER));
      g_signal_connect (browse, "clicked", G_CALLBACK (on_browse), widget);
      gtk_container_add (GTK_CONTAINER (box), widget);
      gtk_container_add (GTK_CONTAINER (box), browse);
      *shown = box;
    }
  return widget;
}

static void
on_save_xml (GtkButton        *button,
             HangarDeviceForm *self)
{
  GtkTextBuffer *buffer = g_object_get_data (G_OBJECT (button), "buffer");
  g_autofree char *text = NULL;
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_signal_emit (self, signals[SAVE_XML], 0, text);
}

GtkWidget *
hangar_device_form_new (HangarDevice *device,
                        gboolean      remote,
                        gboolean      xml_editable)
{
  HangarDeviceForm *self = g_object_new (HANGAR_TYPE_DEVICE_FORM, NULL);
  int row = 0;

  self->device = device;
  for (guint i = 0; i < device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (device->fields, i);
      GPtrArray *parts = g_ptr_array_new ();
      GtkWidget *shown = NULL;
      GtkWidget *value = make_value_widget (self, field, remote, &shown);

      if (field->type != HANGAR_FIELD_BOOL)
        {
          GtkWidget *label = gtk_label_new (field->label);

          gtk_label_set_xalign (GTK_LABEL (label), 1);
          gtk_style_context_add_class (gtk_widget_get_style_context (label), "dim-label");
          gtk_label_set_mnemonic_widget (GTK_LABEL (label), value != NULL ? value : shown);
          gtk_grid_attach (GTK_GRID (self), label, 0, row, 1, 1);
          g_ptr_array_add (parts, label);
          if (value == NULL)
            set_accessible_name (shown, field->label);
        }
      gtk_widget_set_hexpand (shown, TRUE);
      gtk_grid_attach (GTK_GRID (self), shown, 1, row++, 1, 1);
      g_ptr_array_add (parts, shown);
      if (field->hint != NULL || field->live)
        {
          g_autofree char *text = g_strdup_printf ("%s%s%s", field->hint != NULL ? field->hint : "",
                                                   field->hint != NULL && field->live ? " " : "",
                                                   field->live ? _("Applies at once, also to a "
                                                                   "running VM.") : "");
          GtkWidget *hint = gtk_label_new (text);

          gtk_label_set_xalign (GTK_LABEL (hint), 0);
          gtk_label_set_line_wrap (GTK_LABEL (hint), TRUE);
          gtk_label_set_max_width_chars (GTK_LABEL (hint), 60);
          gtk_style_context_add_class (gtk_widget_get_style_context (hint), "dim-label");
          gtk_grid_attach (GTK_GRID (self), hint, 1, row++, 1, 1);
          g_ptr_array_add (parts, hint);
        }
      if (value != NULL)
        g_hash_table_insert (self->widgets, (gpointer) field->key, value);
      g_hash_table_insert (self->rows, (gpointer) field->key, parts);
    }
  if (device->xml != NULL)
    {
      GtkWidget *expander = gtk_expander_new_with_mnemonic (_("_XML"));
      GtkWidget *view = gtk_text_view_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

      gtk_text_view_set_editable (GTK_TEXT_VIEW (view), xml_editable);
      gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
      gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_CHAR);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), device->xml, -1);
      set_accessible_name (view, _("Device XML"));
      gtk_container_add (GTK_CONTAINER (box), view);
      if (xml_editable)
        {
          GtkWidget *save = gtk_button_new_with_mnemonic (_("Save _Device XML"));

          g_object_set_data (G_OBJECT (save), "buffer",
                             gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)));
          g_signal_connect (save, "clicked", G_CALLBACK (on_save_xml), self);
          gtk_widget_set_halign (save, GTK_ALIGN_END);
          gtk_container_add (GTK_CONTAINER (box), save);
        }
      gtk_container_add (GTK_CONTAINER (expander), box);
      g_object_set (expander, "margin-top", 12, NULL);
      gtk_grid_attach (GTK_GRID (self), expander, 0, row, 2, 1);
    }
  hangar_device_form_revert (self);
  gtk_widget_show_all (GTK_WIDGET (self));
  update_visibility (self);
  return GTK_WIDGET (self);
}

static void
hangar_device_form_finalize (GObject *object)
{
  HangarDeviceForm *self = HANGAR_DEVICE_FORM (object);

  g_hash_table_unref (self->widgets);
  g_hash_table_unref (self->rows);

  G_OBJECT_CLASS (hangar_device_form_parent_class)->finalize (object);
}

static void
hangar_device_form_class_init (HangarDeviceFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hangar_device_form_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SAVE_XML] = g_signal_new ("save-xml", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hangar_device_form_init (HangarDeviceForm *self)
{
  self->widgets = g_hash_table_new (g_str_hash, g_str_equal);
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) g_ptr_array_unref);
  gtk_grid_set_row_spacing (GTK_GRID (self), 8);
  gtk_grid_set_column_spacing (GTK_GRID (self), 12);
  g_object_set (self, "margin", 18, NULL);
}
