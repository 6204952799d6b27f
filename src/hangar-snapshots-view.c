/* hangar-snapshots-view.c: shows a HangarSnapshotTree as a GtkTreeStore
 * (newest branch expanded, current snapshot marked), the selected snapshot's
 * picture and description, and runs the snap.* actions (revert, delete,
 * save description) after a confirmation that says what is lost. One
 * operation at a time: the model refuses a second, and the actions are off
 * while one runs. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-a11y.h"
#include "hangar-error.h"
#include "hangar-snapshot-dialog.h"
#include "hangar-snapshot-tree.h"
#include "hangar-snapshots-view.h"

#define THUMB_WIDTH 64
#define THUMB_HEIGHT 40
#define PICTURE_WIDTH 256
#define PICTURE_HEIGHT 192

enum
{
  COL_MARKUP,
  COL_TIME,
  COL_STATE,
  COL_KIND,
  COL_THUMB,
  COL_NAME,
  COL_CURRENT,
};

struct _HangarSnapshotsView
{
  GtkBox              parent_instance;

  GtkInfoBar         *info_bar;
  GtkLabel           *info_label;
  GtkButton          *take_button;
  GtkButton          *revert_button;
  GtkMenuButton      *delete_button;
  GtkSpinner         *busy_spinner;
  GtkLabel           *busy_label;
  GtkStack           *content_stack;
  GtkTreeView        *tree_view;
  GtkTreeStore       *store;
  GtkImage           *picture;
  GtkLabel           *detail_title;
  GtkLabel           *detail_info;
  GtkTextView        *description_view;
  GtkButton          *save_description_button;

  HangarVm           *vm;
  HangarSnapshotTree *tree;
  GSimpleActionGroup *actions;
  GCancellable       *cancellable;
  char               *selected;       /* name of the selected snapshot */
  char               *busy_text;
  gint64              busy_since;
  guint               busy_tick;
  gboolean            rebuilding;
};

G_DEFINE_FINAL_TYPE (HangarSnapshotsView, hangar_snapshots_view, GTK_TYPE_BOX)

static void update_actions (HangarSnapshotsView *self);

/* ------------------------------------------------------------------ */
/* Messages                                                            */

static void
show_error (HangarSnapshotsView *self,
            const GError        *error)
{
  gtk_label_set_text (self->info_label, error->message);
  gtk_info_bar_set_message_type (self->info_bar, GTK_MESSAGE_ERROR);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
on_info_bar_response (HangarSnapshotsView *self,
                      int                  response)
{
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
}

/* Long operations (memory of a big VM) say how long they have been going. */
static gboolean
on_busy_tick (gpointer user_data)
{
  HangarSnapshotsView *self = user_data;
  guint seconds = (guint) ((g_get_monotonic_time () - self->busy_since) / G_USEC_PER_SEC);
  g_autofree char *text = NULL;

  /* Translators: an operation ("Taking the snapshot “X”…"), then seconds */
  text = g_strdup_printf (ngettext ("%s (%u second)", "%s (%u seconds)", seconds),
                          self->busy_text, seconds);
  gtk_label_set_text (self->busy_label, text);
  return G_SOURCE_CONTINUE;
}

static void
set_busy_text (HangarSnapshotsView *self,
               const char          *text)
{
  g_clear_handle_id (&self->busy_tick, g_source_remove);
  g_free (self->busy_text);
  self->busy_text = g_strdup (text);
  gtk_label_set_text (self->busy_label, text != NULL ? text : "");
  if (text != NULL)
    {
      self->busy_since = g_get_monotonic_time ();
      self->busy_tick = g_timeout_add_seconds (1, on_busy_tick, self);
      gtk_spinner_start (self->busy_spinner);
    }
  else
    gtk_spinner_stop (self->busy_spinner);
}

/* ------------------------------------------------------------------ */
/* The tree                                                            */

static HangarSnapshot *
selected_snapshot (HangarSnapshotsView *self)
{
  if (self->tree == NULL || self->selected == NULL)
    return NULL;
  return hangar_snapshot_tree_lookup (self->tree, self->selected);
}

static char *
format_time (gint64 seconds)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_local (seconds);

  if (time == NULL)
    return g_strdup ("");
  return g_date_time_format (time, "%Y-%m-%d %H:%M:%S");
}

static GdkPixbuf *
load_picture (HangarSnapshotsView *self,
              const char          *name,
              int                  width,
              int                  height)
{
  g_autofree char *path = hangar_snapshot_tree_thumbnail_path (self->tree, name);

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return NULL;
  return gdk_pixbuf_new_from_file_at_scale (path, width, height, TRUE, NULL);
}

static void
add_rows (HangarSnapshotsView *self,
          GtkTreeIter         *parent,
          GPtrArray           *snapshots)
{
  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      const char *name = hangar_snapshot_get_name (snapshot);
      gboolean current = hangar_snapshot_get_is_current (snapshot);
      g_autofree char *markup = NULL;
      g_autofree char *time = format_time (hangar_snapshot_get_creation_time (snapshot));
      g_autoptr (GdkPixbuf) thumb = load_picture (self, name, THUMB_WIDTH, THUMB_HEIGHT);
      GtkTreeIter iter;

      if (current)
        /* Translators: the snapshot the VM is based on now */
        markup = g_markup_printf_escaped ("<b>%s</b>  <small>%s</small>", name, _("(current)"));
      else
        markup = g_markup_escape_text (name, -1);
      gtk_tree_store_append (self->store, &iter, parent);
      gtk_tree_store_set (self->store, &iter,
                          COL_MARKUP, markup,
                          COL_TIME, time,
                          COL_STATE, hangar_snapshot_state_to_label (hangar_snapshot_get_state (snapshot)),
                          COL_KIND, hangar_snapshot_kind_to_label (hangar_snapshot_get_kind (snapshot)),
                          COL_THUMB, thumb,
                          COL_NAME, name,
                          COL_CURRENT, current,
                          -1);
      add_rows (self, &iter, hangar_snapshot_get_children (snapshot));
    }
}

static gboolean
find_row (GtkTreeModel *model,
          GtkTreeIter  *parent,
          const char   *name,
          GtkTreeIter  *found)
{
  GtkTreeIter iter;

  if (!gtk_tree_model_iter_children (model, &iter, parent))
    return FALSE;
  do
    {
      g_autofree char *row_name = NULL;

      gtk_tree_model_get (model, &iter, COL_NAME, &row_name, -1);
      if (g_strcmp0 (row_name, name) == 0)
        {
          *found = iter;
          return TRUE;
        }
      if (find_row (model, &iter, name, found))
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, &iter));
  return FALSE;
}

static void
expand_to (HangarSnapshotsView *self,
           HangarSnapshot      *snapshot)
{
  GtkTreeIter iter;
  g_autoptr (GtkTreePath) path = NULL;

  if (snapshot == NULL ||
      !find_row (GTK_TREE_MODEL (self->store), NULL, hangar_snapshot_get_name (snapshot), &iter))
    return;
  path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), &iter);
  gtk_tree_view_expand_to_path (self->tree_view, path);
}

static void
show_details (HangarSnapshotsView *self)
{
  HangarSnapshot *snapshot = selected_snapshot (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  g_autoptr (GdkPixbuf) picture = NULL;
  g_autofree char *time = NULL;
  g_autofree char *info = NULL;

  gtk_widget_set_visible (GTK_WIDGET (gtk_widget_get_parent (GTK_WIDGET (self->description_view))),
                          snapshot != NULL);
  if (snapshot == NULL)
    {
      gtk_label_set_text (self->detail_title, "");
      gtk_label_set_text (self->detail_info, "");
      gtk_image_clear (self->picture);
      gtk_text_buffer_set_text (buffer, "", -1);
      return;
    }

  gtk_label_set_text (self->detail_title, hangar_snapshot_get_name (snapshot));
  time = format_time (hangar_snapshot_get_creation_time (snapshot));
  /* Translators: time taken · VM state captured · internal/external */
  info = g_strdup_printf (_("Taken %s · %s · %s%s"), time,
                          hangar_snapshot_state_to_label (hangar_snapshot_get_state (snapshot)),
                          hangar_snapshot_kind_to_label (hangar_snapshot_get_kind (snapshot)),
                          hangar_snapshot_get_is_current (snapshot)
                          ? _(" · the VM is based on it now") : "");
  gtk_label_set_text (self->detail_info, info);
  picture = load_picture (self, hangar_snapshot_get_name (snapshot), PICTURE_WIDTH, PICTURE_HEIGHT);
  if (picture != NULL)
    gtk_image_set_from_pixbuf (self->picture, picture);
  else
    gtk_image_set_from_icon_name (self->picture, "camera-photo-symbolic", GTK_ICON_SIZE_DIALOG);
  gtk_text_buffer_set_text (buffer, hangar_snapshot_get_description (snapshot) != NULL
                                    ? hangar_snapshot_get_description (snapshot) : "", -1);
}

static void
on_selection_changed (HangarSnapshotsView *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  GtkTreeModel *model;
  GtkTreeIter iter;

  if (self->rebuilding)
    return;
  g_clear_pointer (&self->selected, g_free);
  if (gtk_tree_selection_get_selected (selection, &model, &iter))
    gtk_tree_model_get (model, &iter, COL_NAME, &self->selected, -1);
  show_details (self);
  update_actions (self);
}

static void
rebuild (HangarSnapshotsView *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  HangarSnapshot *select = NULL;
  GtkTreeIter iter;

  self->rebuilding = TRUE;
  gtk_tree_store_clear (self->store);
  if (self->tree != NULL)
    add_rows (self, NULL, hangar_snapshot_tree_get_roots (self->tree));
  self->rebuilding = FALSE;

  if (self->tree == NULL || hangar_snapshot_tree_get_n_snapshots (self->tree) == 0)
    {
      gtk_stack_set_visible_child_name (self->content_stack, "empty");
      g_clear_pointer (&self->selected, g_free);
      show_details (self);
      update_actions (self);
      return;
    }
  gtk_stack_set_visible_child_name (self->content_stack, "tree");

  /* The newest branch open, and the current snapshot visible. */
  expand_to (self, hangar_snapshot_tree_get_newest (self->tree));
  expand_to (self, hangar_snapshot_tree_get_current (self->tree));

  select = selected_snapshot (self);
  if (select == NULL)
    select = hangar_snapshot_tree_get_current (self->tree);
  if (select == NULL)
    select = hangar_snapshot_tree_get_newest (self->tree);
  if (select != NULL &&
      find_row (GTK_TREE_MODEL (self->store), NULL, hangar_snapshot_get_name (select), &iter))
    {
      g_autoptr (GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), &iter);

      gtk_tree_view_expand_to_path (self->tree_view, path);
      gtk_tree_selection_select_iter (selection, &iter);
      gtk_tree_view_scroll_to_cell (self->tree_view, path, NULL, FALSE, 0, 0);
    }
  on_selection_changed (self);
}

/* ------------------------------------------------------------------ */
/* Operations                                                          */

static void
op_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HangarSnapshotTree *tree = HANGAR_SNAPSHOT_TREE (source);
  g_autoptr (GError) error = NULL;
  HangarSnapshotsView *self;
  gboolean ok;

  if (g_task_get_source_tag (G_TASK (result)) == hangar_snapshot_tree_create_async)
    ok = hangar_snapshot_tree_create_finish (tree, result, &error);
  else if (g_task_get_source_tag (G_TASK (result)) == hangar_snapshot_tree_revert_async)
    ok = hangar_snapshot_tree_revert_finish (tree, result, &error);
  else if (g_task_get_source_tag (G_TASK (result)) == hangar_snapshot_tree_delete_async)
    ok = hangar_snapshot_tree_delete_finish (tree, result, &error);
  else if (g_task_get_source_tag (G_TASK (result)) == hangar_snapshot_tree_set_description_async)
    ok = hangar_snapshot_tree_set_description_finish (tree, result, &error);
  else
    ok = hangar_snapshot_tree_reload_finish (tree, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_SNAPSHOTS_VIEW (user_data);
  if (self->tree != tree)
    return;
  /* A reload may end while a change still runs. */
  if (!hangar_snapshot_tree_get_busy (tree))
    set_busy_text (self, NULL);
  if (!ok)
    show_error (self, error);
  else
    gtk_info_bar_set_revealed (self->info_bar, FALSE);
  update_actions (self);
}

static void
reload (HangarSnapshotsView *self)
{
  if (self->tree != NULL)
    hangar_snapshot_tree_reload_async (self->tree, self->cancellable, op_done, self);
}

static void
on_take_response (GtkDialog           *dialog,
                  int                  response,
                  HangarSnapshotsView *self)
{
  HangarSnapshotDialog *snapshot_dialog = HANGAR_SNAPSHOT_DIALOG (dialog);

  if (response == GTK_RESPONSE_ACCEPT && self->tree != NULL)
    {
      g_autofree char *description = hangar_snapshot_dialog_get_description (snapshot_dialog);
      g_autofree char *name = g_strdup (hangar_snapshot_dialog_get_name (snapshot_dialog));
      gboolean memory = hangar_snapshot_dialog_get_include_memory (snapshot_dialog);
      g_autofree char *text = g_strdup_printf (_("Taking the snapshot “%s”…"), name);

      g_free (self->selected);
      self->selected = g_strdup (name);
      set_busy_text (self, text);
      hangar_snapshot_tree_create_async (self->tree, name, description, memory,
                                         self->cancellable, op_done, self);
      update_actions (self);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

void
hangar_snapshots_view_take_snapshot (HangarSnapshotsView *self)
{
  GtkWidget *dialog;
  GtkWidget *toplevel;

  g_return_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self));

  if (self->tree == NULL)
    return;
  if (hangar_snapshot_tree_get_busy (self->tree))
    {
      g_autoptr (GError) error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_BUSY,
                                              _("Another snapshot operation on “%s” is still "
                                                "under way. Try again when it has finished."),
                                              hangar_vm_get_name (self->vm));

      show_error (self, error);
      return;
    }
  toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  dialog = hangar_snapshot_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                       self->tree);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_take_response), self, 0);
  gtk_widget_show (dialog);
}

/* A question in the window, with Cancel as the default; the caller attaches
 * what the answer is about, then shows it. */
static GtkWidget *
confirm_dialog (HangarSnapshotsView *self,
                const char          *primary,
                const char          *secondary,
                const char          *accept_label,
                GCallback            on_response)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog;
  GtkWidget *accept;

  dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", primary);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", secondary);
  gtk_window_set_title (GTK_WINDOW (dialog), primary);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  accept = gtk_dialog_add_button (GTK_DIALOG (dialog), accept_label, GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (accept), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_signal_connect_object (dialog, "response", on_response, self, 0);
  return dialog;
}

typedef struct
{
  char                     *name;
  HangarSnapshotDeleteMode  mode;
} Pending;

static void
on_revert_response (GtkDialog           *dialog,
                    int                  response,
                    HangarSnapshotsView *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "snapshot");

  if (response == GTK_RESPONSE_ACCEPT && self->tree != NULL && name != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Reverting to “%s”…"), name);

      set_busy_text (self, text);
      hangar_snapshot_tree_revert_async (self->tree, name, self->cancellable, op_done, self);
      update_actions (self);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
on_revert (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  HangarSnapshotsView *self = user_data;
  HangarSnapshot *snapshot = selected_snapshot (self);
  g_autofree char *primary = NULL;
  const char *secondary;
  GtkWidget *dialog;

  if (snapshot == NULL || self->vm == NULL)
    return;
  primary = g_strdup_printf (_("Revert “%s” to “%s”?"), hangar_vm_get_name (self->vm),
                             hangar_snapshot_get_name (snapshot));
  if (hangar_snapshot_get_kind (snapshot) == HANGAR_SNAPSHOT_KIND_EXTERNAL)
    secondary = _("Changes made since the snapshot was taken are lost from the VM: its disks "
                  "start again from new overlay files on the images as they were then. The "
                  "current overlay files are kept on disk, unused. The VM must be shut off.");
  else if (hangar_snapshot_get_state (snapshot) == HANGAR_SNAPSHOT_STATE_RUNNING ||
           hangar_snapshot_get_state (snapshot) == HANGAR_SNAPSHOT_STATE_PAUSED)
    secondary = _("Changes made since the snapshot was taken are lost: the disks and the memory "
                  "go back to that moment, and the VM runs again from there.");
  else
    secondary = _("Changes made since the snapshot was taken are lost: the disks go back to "
                  "that moment, and the VM is shut off.");

  dialog = confirm_dialog (self, primary, secondary, _("_Revert"), G_CALLBACK (on_revert_response));
  g_object_set_data_full (G_OBJECT (dialog), "snapshot",
                          g_strdup (hangar_snapshot_get_name (snapshot)), g_free);
  gtk_widget_show (dialog);
}

static void
on_delete_response (GtkDialog           *dialog,
                    int                  response,
                    HangarSnapshotsView *self)
{
  Pending *pending = g_object_get_data (G_OBJECT (dialog), "pending");

  if (response == GTK_RESPONSE_ACCEPT && self->tree != NULL && pending != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Deleting “%s”…"), pending->name);

      set_busy_text (self, text);
      hangar_snapshot_tree_delete_async (self->tree, pending->name, pending->mode,
                                         self->cancellable, op_done, self);
      update_actions (self);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
pending_free (Pending *pending)
{
  g_free (pending->name);
  g_free (pending);
}

static void
ask_delete (HangarSnapshotsView      *self,
            HangarSnapshotDeleteMode  mode)
{
  HangarSnapshot *snapshot = selected_snapshot (self);
  guint below;
  g_autofree char *primary = NULL;
  g_autofree char *secondary = NULL;
  const char *keep = _("Disk images are never deleted: an external snapshot’s overlay is "
                       "merged back into its image, or the deletion is refused.");
  GtkWidget *dialog;
  Pending *pending;

  if (snapshot == NULL)
    return;
  below = hangar_snapshot_count_descendants (snapshot);
  switch (mode)
    {
    case HANGAR_SNAPSHOT_DELETE_THIS:
      primary = g_strdup_printf (_("Delete the snapshot “%s”?"), hangar_snapshot_get_name (snapshot));
      secondary = g_strdup_printf (_("You can no longer revert to it; the snapshots taken after "
                                     "it are kept. %s"), keep);
      break;
    case HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN:
      primary = g_strdup_printf (ngettext ("Delete “%s” and the snapshot after it?",
                                           "Delete “%s” and the %u snapshots after it?", below),
                                 hangar_snapshot_get_name (snapshot), below);
      secondary = g_strdup_printf (_("You can no longer revert to any of them. %s"), keep);
      break;
    case HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY:
    default:
      primary = g_strdup_printf (ngettext ("Delete the %u snapshot after “%s”?",
                                           "Delete the %u snapshots after “%s”?", below),
                                 below, hangar_snapshot_get_name (snapshot));
      secondary = g_strdup_printf (_("“%s” itself is kept. %s"),
                                   hangar_snapshot_get_name (snapshot), keep);
      break;
    }

  dialog = confirm_dialog (self, primary, secondary, _("_Delete"), G_CALLBACK (on_delete_response));
  pending = g_new0 (Pending, 1);
  pending->name = g_strdup (hangar_snapshot_get_name (snapshot));
  pending->mode = mode;
  g_object_set_data_full (G_OBJECT (dialog), "pending", pending, (GDestroyNotify) pending_free);
  gtk_widget_show (dialog);
}

static void
on_delete_this (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  ask_delete (user_data, HANGAR_SNAPSHOT_DELETE_THIS);
}

static void
on_delete_with_children (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  ask_delete (user_data, HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN);
}

static void
on_delete_children_only (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  ask_delete (user_data, HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY);
}

static void
on_save_description (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  HangarSnapshotsView *self = user_data;
  HangarSnapshot *snapshot = selected_snapshot (self);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  if (snapshot == NULL)
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  set_busy_text (self, _("Saving the description…"));
  hangar_snapshot_tree_set_description_async (self->tree, hangar_snapshot_get_name (snapshot),
                                              g_strstrip (text), self->cancellable, op_done,
                                              self);
  update_actions (self);
}

static const GActionEntry action_entries[] = {
  { "revert", on_revert },
  { "delete-this", on_delete_this },
  { "delete-with-children", on_delete_with_children },
  { "delete-children-only", on_delete_children_only },
  { "save-description", on_save_description },
};

static void
set_enabled (HangarSnapshotsView *self,
             const char          *name,
             gboolean             enabled)
{
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                            name)),
                               enabled);
}

static void
update_actions (HangarSnapshotsView *self)
{
  HangarSnapshot *snapshot = selected_snapshot (self);
  gboolean idle = self->tree != NULL && !hangar_snapshot_tree_get_busy (self->tree);
  gboolean have = idle && snapshot != NULL;

  set_enabled (self, "revert", have);
  set_enabled (self, "delete-this", have);
  set_enabled (self, "delete-with-children",
               have && hangar_snapshot_get_children (snapshot)->len > 0);
  set_enabled (self, "delete-children-only",
               have && hangar_snapshot_get_children (snapshot)->len > 0);
  set_enabled (self, "save-description", have);
  gtk_widget_set_sensitive (GTK_WIDGET (self->delete_button), have);
}

/* ------------------------------------------------------------------ */

static void
on_tree_busy (HangarSnapshotsView *self)
{
  update_actions (self);
}

void
hangar_snapshots_view_set_vm (HangarSnapshotsView *self,
                              HangarVm            *vm)
{
  g_return_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self));

  if (self->vm == vm)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (self->tree != NULL)
    g_signal_handlers_disconnect_by_data (self->tree, self);
  g_clear_object (&self->tree);
  g_clear_pointer (&self->selected, g_free);
  g_set_object (&self->vm, vm);
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
  set_busy_text (self, NULL);

  if (vm != NULL)
    {
      self->tree = hangar_snapshot_tree_new (vm);
      g_signal_connect_object (self->tree, "changed", G_CALLBACK (rebuild), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->tree, "notify::busy", G_CALLBACK (on_tree_busy), self,
                               G_CONNECT_SWAPPED);
    }
  rebuild (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    reload (self);
}

gboolean
hangar_snapshots_view_get_busy (HangarSnapshotsView *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOTS_VIEW (self), FALSE);
  return self->tree != NULL && hangar_snapshot_tree_get_busy (self->tree);
}

/* Read the list whenever the view is shown: other tools may have changed it. */
static void
hangar_snapshots_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_snapshots_view_parent_class)->map (widget);
  reload (HANGAR_SNAPSHOTS_VIEW (widget));
}

static void
hangar_snapshots_view_dispose (GObject *object)
{
  HangarSnapshotsView *self = HANGAR_SNAPSHOTS_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->tree != NULL)
    g_signal_handlers_disconnect_by_data (self->tree, self);
  g_clear_object (&self->tree);
  g_clear_object (&self->vm);
  g_clear_object (&self->actions);
  g_clear_pointer (&self->selected, g_free);
  g_clear_handle_id (&self->busy_tick, g_source_remove);
  g_clear_pointer (&self->busy_text, g_free);

  G_OBJECT_CLASS (hangar_snapshots_view_parent_class)->dispose (object);
}

static void
hangar_snapshots_view_class_init (HangarSnapshotsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_snapshots_view_dispose;
  widget_class->map = hangar_snapshots_view_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/snapshots-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarSnapshotsView, name)
  BIND (info_bar);
  BIND (info_label);
  BIND (take_button);
  BIND (revert_button);
  BIND (delete_button);
  BIND (busy_spinner);
  BIND (busy_label);
  BIND (content_stack);
  BIND (tree_view);
  BIND (store);
  BIND (picture);
  BIND (detail_title);
  BIND (detail_info);
  BIND (description_view);
  BIND (save_description_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, on_selection_changed);
}

static void
hangar_snapshots_view_init (HangarSnapshotsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  hangar_a11y_name_info_bar_close (self->info_bar);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->tree_view)), _("Snapshots"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->delete_button)), _("Delete"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->description_view)),
                       _("Description"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->picture)),
                       _("The VM’s screen when the snapshot was taken"));

  self->cancellable = g_cancellable_new ();
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), action_entries,
                                   G_N_ELEMENTS (action_entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "snap", G_ACTION_GROUP (self->actions));
  update_actions (self);
}
