/* hangar-snapshot-dialog.c: asks what to call a new snapshot and says what
 * kind it will be. The plan (disk formats, firmware, state) is read off the
 * main thread; the name is checked as it is typed. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-snapshot-dialog.h"

struct _HangarSnapshotDialog
{
  GtkDialog           parent_instance;

  GtkLabel           *title_label;
  GtkEntry           *name_entry;
  GtkLabel           *name_error;
  GtkTextView        *description_view;
  GtkCheckButton     *memory_check;
  GtkLabel           *kind_label;
  GtkButton          *take_button;

  HangarSnapshotTree *tree;
  HangarSnapshotPlan *plan;
  GCancellable       *cancellable;
  gboolean            name_touched;
};

G_DEFINE_FINAL_TYPE (HangarSnapshotDialog, hangar_snapshot_dialog, GTK_TYPE_DIALOG)

static void
update (HangarSnapshotDialog *self)
{
  g_autoptr (GError) error = NULL;
  gboolean name_ok;

  name_ok = hangar_snapshot_tree_check_name (self->tree, gtk_entry_get_text (self->name_entry),
                                             &error);
  gtk_widget_set_visible (GTK_WIDGET (self->name_error), !name_ok && self->name_touched);
  if (!name_ok)
    gtk_label_set_text (self->name_error, error->message);

  if (self->plan != NULL)
    {
      gboolean memory = self->plan->memory_possible &&
                        gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->memory_check));
      g_autofree char *text = hangar_snapshot_plan_explain (self->plan, memory);

      gtk_label_set_text (self->kind_label, text);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->take_button),
                            name_ok && self->plan != NULL && !self->plan->impossible);
}

static void
on_name_changed (HangarSnapshotDialog *self)
{
  self->name_touched = TRUE;
  update (self);
}

static void
on_memory_toggled (HangarSnapshotDialog *self)
{
  update (self);
}

static void
on_plan (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HangarSnapshotDialog *self;
  g_autoptr (GError) error = NULL;
  HangarSnapshotPlan *plan;

  plan = hangar_snapshot_tree_plan_finish (HANGAR_SNAPSHOT_TREE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_SNAPSHOT_DIALOG (user_data);
  if (plan == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot take a snapshot now: %s"), error->message);

      gtk_label_set_text (self->kind_label, text);
      return;
    }
  self->plan = plan;

  if (!self->name_touched && plan->suggested_name != NULL)
    {
      gtk_entry_set_text (self->name_entry, plan->suggested_name);
      self->name_touched = FALSE;
      gtk_editable_select_region (GTK_EDITABLE (self->name_entry), 0, -1);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->memory_check), plan->vm_active);
  gtk_widget_set_sensitive (GTK_WIDGET (self->memory_check), plan->memory_possible);
  if (!plan->memory_possible)
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->memory_check), FALSE);
  update (self);
}

GtkWidget *
hangar_snapshot_dialog_new (GtkWindow          *parent,
                            HangarSnapshotTree *tree)
{
  HangarSnapshotDialog *self;
  g_autofree char *title = NULL;

  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (tree), NULL);

  self = g_object_new (HANGAR_TYPE_SNAPSHOT_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "use-header-bar", FALSE,
                       NULL);
  self->tree = g_object_ref (tree);
  title = g_strdup_printf (_("Take a Snapshot of “%s”"),
                           hangar_vm_get_name (hangar_snapshot_tree_get_vm (tree)));
  gtk_label_set_text (self->title_label, title);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_widget_set_visible (GTK_WIDGET (self->memory_check), FALSE);

  hangar_snapshot_tree_plan_async (tree, self->cancellable, on_plan, self);
  return GTK_WIDGET (self);
}

const char *
hangar_snapshot_dialog_get_name (HangarSnapshotDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_DIALOG (self), NULL);
  return gtk_entry_get_text (self->name_entry);
}

char *
hangar_snapshot_dialog_get_description (HangarSnapshotDialog *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  char *text;

  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_DIALOG (self), NULL);

  buffer = gtk_text_view_get_buffer (self->description_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

gboolean
hangar_snapshot_dialog_get_include_memory (HangarSnapshotDialog *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_DIALOG (self), FALSE);
  return self->plan != NULL && self->plan->memory_possible &&
         gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->memory_check));
}

static void
hangar_snapshot_dialog_dispose (GObject *object)
{
  HangarSnapshotDialog *self = HANGAR_SNAPSHOT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->tree);
  g_clear_pointer (&self->plan, hangar_snapshot_plan_free);

  G_OBJECT_CLASS (hangar_snapshot_dialog_parent_class)->dispose (object);
}

static void
hangar_snapshot_dialog_class_init (HangarSnapshotDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_snapshot_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/snapshot-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarSnapshotDialog, name)
  BIND (title_label);
  BIND (name_entry);
  BIND (name_error);
  BIND (description_view);
  BIND (memory_check);
  BIND (kind_label);
  BIND (take_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_memory_toggled);
}

static void
hangar_snapshot_dialog_init (HangarSnapshotDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* The mnemonic labels do not name them for AT-SPI in GTK 3. */
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->name_entry)), _("Name"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->description_view)),
                       _("Description"));
  self->cancellable = g_cancellable_new ();
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_ACCEPT);
}
