/* hangar-sidebar.c: mirrors the connection list and each connection's VM
 * list into one GtkTreeStore, shown by a fixed-height GtkTreeView so that
 * only visible rows are measured and drawn (5000 VMs stay fast), filtered by
 * name through a GtkTreeModelFilter. Rows hold the model objects; cell data
 * functions read their properties, so a state change only redraws its row. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-sidebar.h"

enum
{
  COL_OBJECT,
  N_COLUMNS
};

/* Splices bigger than this rebuild the view's model instead of inserting
 * row by row into a live view. */
#define BULK_THRESHOLD 64

struct _HangarSidebar
{
  GtkBox                parent_instance;

  GtkSearchEntry       *search_entry;
  GtkTreeView          *tree_view;
  GtkTreeViewColumn    *column;
  GtkCellRenderer      *icon_renderer;
  GtkCellRenderer      *text_renderer;
  GtkCellRenderer      *spinner_renderer;  /* turns at the end of connecting rows */
  guint                 pulse;
  guint                 pulse_id;

  HangarConnectionList *list;
  GtkTreeStore         *store;
  GtkTreeModel         *filter;
  GHashTable           *iters;      /* GObject* -> GtkTreeIter* (store iters persist) */
  char                 *filter_text;  /* casefolded, or NULL */
  HangarVm             *hidden_selection;  /* selected VM the filter hides, to select again */
};

enum
{
  SIGNAL_SELECTION_CHANGED,
  SIGNAL_VM_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HangarSidebar, hangar_sidebar, GTK_TYPE_BOX)

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

static gboolean
is_connecting (GObject *object)
{
  return HANGAR_IS_CONNECTION (object) &&
         hangar_connection_get_state (HANGAR_CONNECTION (object)) ==
         HANGAR_CONNECTION_STATE_CONNECTING;
}

static void
render_icon (GtkTreeViewColumn *column,
             GtkCellRenderer   *cell,
             GtkTreeModel      *model,
             GtkTreeIter       *iter,
             gpointer           user_data)
{
  g_autoptr (GObject) object = NULL;
  const char *icon = NULL;

  gtk_tree_model_get (model, iter, COL_OBJECT, &object, -1);
  if (HANGAR_IS_VM (object))
    icon = hangar_vm_get_state_icon_name (HANGAR_VM (object));
  else if (HANGAR_IS_CONNECTION (object))
    {
      HangarConnection *c = HANGAR_CONNECTION (object);

      switch (hangar_connection_get_state (c))
        {
        case HANGAR_CONNECTION_STATE_CONNECTED:
          icon = hangar_connection_get_kind (c) == HANGAR_CONNECTION_KIND_REMOTE
                 ? "network-server-symbolic" : "computer-symbolic";
          break;
        case HANGAR_CONNECTION_STATE_CONNECTING:
          icon = "content-loading-symbolic";  /* and the spinner turns */
          break;
        case HANGAR_CONNECTION_STATE_FAILED:
          icon = "dialog-error-symbolic";
          break;
        case HANGAR_CONNECTION_STATE_DISCONNECTED:
        default:
          icon = "network-offline-symbolic";
          break;
        }
    }
  g_object_set (cell, "icon-name", icon, NULL);
}

static void
render_spinner (GtkTreeViewColumn *column,
                GtkCellRenderer   *cell,
                GtkTreeModel      *model,
                GtkTreeIter       *iter,
                gpointer           user_data)
{
  HangarSidebar *self = user_data;
  g_autoptr (GObject) object = NULL;
  gboolean connecting;

  gtk_tree_model_get (model, iter, COL_OBJECT, &object, -1);
  connecting = is_connecting (object);
  /* (Always "visible": cells that change visibility per row lose their
   * width in fixed-height mode.) An inactive spinner draws nothing. */
  g_object_set (cell, "active", connecting, "pulse", connecting ? self->pulse : 0, NULL);
}

static const char *
busy_label (HangarVm *vm)
{
  switch (hangar_vm_get_busy_action (vm))
    {
    case HANGAR_VM_ACTION_START:     return _("Starting…");
    case HANGAR_VM_ACTION_PAUSE:     return _("Pausing…");
    case HANGAR_VM_ACTION_RESUME:    return _("Resuming…");
    case HANGAR_VM_ACTION_SHUTDOWN:  return _("Shutting down…");
    case HANGAR_VM_ACTION_REBOOT:    return _("Rebooting…");
    case HANGAR_VM_ACTION_FORCE_OFF: return _("Forcing off…");
    case HANGAR_VM_ACTION_DELETE:    return _("Deleting…");
    default:                         return _("Working…");
    }
}

static char *
connection_status (HangarConnection *c)
{
  guint n;

  switch (hangar_connection_get_state (c))
    {
    case HANGAR_CONNECTION_STATE_CONNECTING:
      return g_strdup (_("Connecting…"));
    case HANGAR_CONNECTION_STATE_FAILED:
      return g_strdup (_("Connection failed"));
    case HANGAR_CONNECTION_STATE_DISCONNECTED:
      return g_strdup (_("Disconnected"));
    case HANGAR_CONNECTION_STATE_CONNECTED:
    default:
      n = g_list_model_get_n_items (hangar_connection_get_vms (c));
      return g_strdup_printf (ngettext ("%u VM", "%u VMs", n), n);
    }
}

static void
render_text (GtkTreeViewColumn *column,
             GtkCellRenderer   *cell,
             GtkTreeModel      *model,
             GtkTreeIter       *iter,
             gpointer           user_data)
{
  g_autoptr (GObject) object = NULL;
  g_autofree char *markup = NULL;

  gtk_tree_model_get (model, iter, COL_OBJECT, &object, -1);
  if (HANGAR_IS_VM (object))
    {
      HangarVm *vm = HANGAR_VM (object);
      const char *status = hangar_vm_get_busy (vm) ? busy_label (vm) : hangar_vm_get_state_label (vm);
      const char *os = hangar_vm_get_os_name (vm);

      if (os != NULL)
        markup = g_markup_printf_escaped ("%s\n<small>%s · %s</small>",
                                          hangar_vm_get_name (vm), status, os);
      else
        markup = g_markup_printf_escaped ("%s\n<small>%s</small>", hangar_vm_get_name (vm), status);
    }
  else if (HANGAR_IS_CONNECTION (object))
    {
      g_autofree char *status = connection_status (HANGAR_CONNECTION (object));

      markup = g_markup_printf_escaped ("<b>%s</b>\n<small>%s</small>",
                                        hangar_connection_get_title (HANGAR_CONNECTION (object)),
                                        status);
    }
  g_object_set (cell, "markup", markup, NULL);
}

/* ------------------------------------------------------------------ */
/* Filtering                                                           */

static gboolean
filter_visible (GtkTreeModel *model,
                GtkTreeIter  *iter,
                gpointer      user_data)
{
  HangarSidebar *self = user_data;
  g_autoptr (GObject) object = NULL;
  g_autofree char *folded = NULL;

  if (self->filter_text == NULL)
    return TRUE;
  gtk_tree_model_get (model, iter, COL_OBJECT, &object, -1);
  if (!HANGAR_IS_VM (object))
    return TRUE;
  folded = g_utf8_casefold (hangar_vm_get_name (HANGAR_VM (object)), -1);
  return strstr (folded, self->filter_text) != NULL;
}

static void
attach_view_model (HangarSidebar *self)
{
  g_clear_object (&self->filter);
  self->filter = gtk_tree_model_filter_new (GTK_TREE_MODEL (self->store), NULL);
  gtk_tree_model_filter_set_visible_func (GTK_TREE_MODEL_FILTER (self->filter),
                                          filter_visible, self, NULL);
  gtk_tree_view_set_model (self->tree_view, self->filter);
  gtk_tree_view_expand_all (self->tree_view);
}

static void
on_search_changed (HangarSidebar *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (self->search_entry));
  g_autoptr (HangarVm) selected = hangar_sidebar_get_selected_vm (self);

  /* A filter that hides the selected VM drops the selection; remember the
   * VM so that it is selected again once the filter shows it. */
  if (selected == NULL && self->hidden_selection != NULL)
    selected = g_object_ref (self->hidden_selection);

  g_clear_pointer (&self->filter_text, g_free);
  if (text != NULL && *text != '\0')
    self->filter_text = g_utf8_casefold (text, -1);

  gtk_tree_model_filter_refilter (GTK_TREE_MODEL_FILTER (self->filter));
  gtk_tree_view_expand_all (self->tree_view);
  if (selected != NULL && !hangar_sidebar_select_vm (self, selected))
    g_set_object (&self->hidden_selection, selected);
}

/* ------------------------------------------------------------------ */
/* Mirroring the models                                                */

static void
row_changed_for (HangarSidebar *self,
                 gpointer       object)
{
  GtkTreeIter *iter = g_hash_table_lookup (self->iters, object);
  g_autoptr (GtkTreePath) path = NULL;

  if (iter == NULL)
    return;
  path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), iter);
  gtk_tree_model_row_changed (GTK_TREE_MODEL (self->store), path, iter);
}

static void
on_vm_changed (HangarConnection *connection,
               HangarVm         *vm,
               GParamSpec       *pspec,
               HangarSidebar    *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "state") || g_str_equal (name, "busy") || g_str_equal (name, "os-name") ||
      g_str_equal (name, "name"))
    row_changed_for (self, vm);
}

static gboolean
pulse_tick (gpointer user_data)
{
  HangarSidebar *self = user_data;
  GHashTableIter iter;
  gpointer object;
  gboolean any = FALSE;

  self->pulse++;
  g_hash_table_iter_init (&iter, self->iters);
  while (g_hash_table_iter_next (&iter, &object, NULL))
    if (is_connecting (object))
      {
        row_changed_for (self, object);
        any = TRUE;
      }
  if (!any)
    self->pulse_id = 0;
  return any ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
on_connection_notify (HangarConnection *c,
                      GParamSpec       *pspec,
                      HangarSidebar    *self)
{
  row_changed_for (self, c);
  if (is_connecting (G_OBJECT (c)) && self->pulse_id == 0)
    self->pulse_id = g_timeout_add (80, pulse_tick, self);
}

static void
forget_row (HangarSidebar *self,
            GtkTreeIter   *iter)
{
  g_autoptr (GObject) object = NULL;
  GtkTreeIter child;

  if (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, iter))
    do
      forget_row (self, &child);
    while (gtk_tree_model_iter_next (GTK_TREE_MODEL (self->store), &child));

  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_OBJECT, &object, -1);
  if (object != NULL)
    {
      /* Only connection rows have handlers (VM rows hear through theirs). */
      if (HANGAR_IS_CONNECTION (object))
        {
          g_signal_handlers_disconnect_by_data (object, self);
          g_signal_handlers_disconnect_by_data (hangar_connection_get_vms (HANGAR_CONNECTION (object)),
                                                self);
        }
      g_hash_table_remove (self->iters, object);
      if (object == (GObject *) self->hidden_selection)
        g_clear_object (&self->hidden_selection);
    }
}

static void
remember_row (HangarSidebar *self,
              GObject       *object,
              GtkTreeIter   *iter)
{
  g_hash_table_insert (self->iters, object, g_memdup2 (iter, sizeof *iter));
}

static void
on_vms_changed (GListModel    *vms,
                guint          position,
                guint          removed,
                guint          added,
                HangarSidebar *self)
{
  HangarConnection *connection = g_object_get_data (G_OBJECT (vms), "hangar-sidebar-connection");
  GtkTreeIter *parent = g_hash_table_lookup (self->iters, connection);
  GtkTreeModel *store = GTK_TREE_MODEL (self->store);
  gboolean bulk = removed + added > BULK_THRESHOLD;
  g_autoptr (HangarVm) selected = NULL;
  GtkTreeIter iter, sibling;

  if (parent == NULL)
    return;

  if (bulk)
    {
      selected = hangar_sidebar_get_selected_vm (self);
      gtk_tree_view_set_model (self->tree_view, NULL);
      g_clear_object (&self->filter);
    }

  for (guint i = 0; i < removed; i++)
    {
      if (!gtk_tree_model_iter_nth_child (store, &iter, parent, position))
        break;
      forget_row (self, &iter);
      gtk_tree_store_remove (self->store, &iter);
    }

  for (guint i = 0; i < added; i++)
    {
      g_autoptr (HangarVm) vm = g_list_model_get_item (vms, position + i);

      if (i == 0)
        {
          if (gtk_tree_model_iter_nth_child (store, &sibling, parent, position))
            gtk_tree_store_insert_before (self->store, &iter, parent, &sibling);
          else
            gtk_tree_store_append (self->store, &iter, parent);
        }
      else
        gtk_tree_store_insert_after (self->store, &iter, parent, &sibling);
      gtk_tree_store_set (self->store, &iter, COL_OBJECT, vm, -1);
      sibling = iter;
      remember_row (self, G_OBJECT (vm), &iter);
    }

  if (bulk)
    {
      attach_view_model (self);
      if (selected != NULL)
        hangar_sidebar_select_vm (self, selected);
    }
  else if (added > 0)
    {
      g_autoptr (GtkTreePath) path = gtk_tree_model_get_path (store, parent);

      gtk_tree_view_expand_row (self->tree_view, path, FALSE);
    }
  row_changed_for (self, connection);
}

static void
on_connections_changed (GListModel    *connections,
                        guint          position,
                        guint          removed,
                        guint          added,
                        HangarSidebar *self)
{
  GtkTreeModel *store = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter, sibling;

  for (guint i = 0; i < removed; i++)
    {
      if (!gtk_tree_model_iter_nth_child (store, &iter, NULL, position))
        break;
      forget_row (self, &iter);
      gtk_tree_store_remove (self->store, &iter);
    }

  for (guint i = 0; i < added; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (connections, position + i);
      GListModel *vms = hangar_connection_get_vms (c);
      guint n_vms;

      if (gtk_tree_model_iter_nth_child (store, &sibling, NULL, position + i))
        gtk_tree_store_insert_before (self->store, &iter, NULL, &sibling);
      else
        gtk_tree_store_append (self->store, &iter, NULL);
      gtk_tree_store_set (self->store, &iter, COL_OBJECT, c, -1);
      remember_row (self, G_OBJECT (c), &iter);

      g_object_set_data (G_OBJECT (vms), "hangar-sidebar-connection", c);
      g_signal_connect_object (c, "notify", G_CALLBACK (on_connection_notify), self, 0);
      /* One handler per connection for all its VMs' rows. */
      g_signal_connect_object (c, "vm-changed", G_CALLBACK (on_vm_changed), self, 0);
      g_signal_connect_object (vms, "items-changed", G_CALLBACK (on_vms_changed), self, 0);
      n_vms = g_list_model_get_n_items (vms);
      if (n_vms > 0)
        on_vms_changed (vms, 0, 0, n_vms, self);
    }
}

void
hangar_sidebar_set_connection_list (HangarSidebar        *self,
                                    HangarConnectionList *list)
{
  GListModel *model;

  g_return_if_fail (HANGAR_IS_SIDEBAR (self));
  g_return_if_fail (self->list == NULL);

  self->list = g_object_ref (list);
  model = hangar_connection_list_get_model (list);
  g_signal_connect_object (model, "items-changed", G_CALLBACK (on_connections_changed), self, 0);
  on_connections_changed (model, 0, 0, g_list_model_get_n_items (model), self);
}

/* ------------------------------------------------------------------ */
/* Selection                                                           */

static GObject *
selected_object (HangarSidebar *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  GtkTreeModel *model;
  GtkTreeIter iter;
  GObject *object = NULL;

  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    return NULL;
  gtk_tree_model_get (model, &iter, COL_OBJECT, &object, -1);
  return object;
}

HangarVm *
hangar_sidebar_get_selected_vm (HangarSidebar *self)
{
  g_autoptr (GObject) object = selected_object (self);

  return HANGAR_IS_VM (object) ? HANGAR_VM (g_steal_pointer (&object)) : NULL;
}

HangarConnection *
hangar_sidebar_get_selected_connection (HangarSidebar *self)
{
  g_autoptr (GObject) object = selected_object (self);

  return HANGAR_IS_CONNECTION (object) ? HANGAR_CONNECTION (g_steal_pointer (&object)) : NULL;
}

static gboolean
select_row (HangarSidebar *self,
            gpointer       object)
{
  GtkTreeIter *store_iter = g_hash_table_lookup (self->iters, object);
  GtkTreeIter iter;
  g_autoptr (GtkTreePath) path = NULL;

  if (store_iter == NULL ||
      !gtk_tree_model_filter_convert_child_iter_to_iter (GTK_TREE_MODEL_FILTER (self->filter),
                                                         &iter, store_iter))
    return FALSE;

  path = gtk_tree_model_get_path (self->filter, &iter);
  gtk_tree_view_expand_to_path (self->tree_view, path);
  gtk_tree_view_set_cursor (self->tree_view, path, NULL, FALSE);
  gtk_tree_view_scroll_to_cell (self->tree_view, path, NULL, TRUE, 0.3f, 0.0f);
  return TRUE;
}

gboolean
hangar_sidebar_select_vm (HangarSidebar *self,
                          HangarVm      *vm)
{
  return select_row (self, vm);
}

gboolean
hangar_sidebar_select_connection (HangarSidebar    *self,
                                  HangarConnection *connection)
{
  return select_row (self, connection);
}

guint
hangar_sidebar_get_n_visible_vms (HangarSidebar *self)
{
  GtkTreeIter parent;
  guint n = 0;

  if (self->filter == NULL || !gtk_tree_model_get_iter_first (self->filter, &parent))
    return 0;
  do
    n += gtk_tree_model_iter_n_children (self->filter, &parent);
  while (gtk_tree_model_iter_next (self->filter, &parent));
  return n;
}

void
hangar_sidebar_focus_search (HangarSidebar *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
on_row_activated (HangarSidebar *self)
{
  g_autoptr (HangarVm) vm = hangar_sidebar_get_selected_vm (self);

  if (vm != NULL)
    g_signal_emit (self, signals[SIGNAL_VM_ACTIVATED], 0);
}

static void
on_selection_changed (HangarSidebar *self)
{
  g_autoptr (GObject) object = selected_object (self);

  /* The user chose another row: forget the VM the filter hid. */
  if (object != NULL)
    g_clear_object (&self->hidden_selection);
  g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

/* ------------------------------------------------------------------ */

GtkWidget *
hangar_sidebar_new (void)
{
  return g_object_new (HANGAR_TYPE_SIDEBAR, NULL);
}

static void
hangar_sidebar_dispose (GObject *object)
{
  HangarSidebar *self = HANGAR_SIDEBAR (object);

  g_clear_handle_id (&self->pulse_id, g_source_remove);
  if (self->store != NULL)
    {
      GtkTreeIter iter;

      if (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->store), &iter))
        do
          forget_row (self, &iter);
        while (gtk_tree_model_iter_next (GTK_TREE_MODEL (self->store), &iter));
    }
  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (hangar_connection_list_get_model (self->list), self);
  g_clear_object (&self->hidden_selection);
  g_clear_object (&self->list);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (hangar_sidebar_parent_class)->dispose (object);
}

static void
hangar_sidebar_finalize (GObject *object)
{
  HangarSidebar *self = HANGAR_SIDEBAR (object);

  g_clear_pointer (&self->iters, g_hash_table_unref);
  g_free (self->filter_text);

  G_OBJECT_CLASS (hangar_sidebar_parent_class)->finalize (object);
}

static void
hangar_sidebar_class_init (HangarSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_sidebar_dispose;
  object_class->finalize = hangar_sidebar_finalize;

  /* Double-click or Enter on a VM: open it (its console). */
  signals[SIGNAL_VM_ACTIVATED] =
    g_signal_new ("vm-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, HangarSidebar, tree_view);
  gtk_widget_class_bind_template_child (widget_class, HangarSidebar, column);
  gtk_widget_class_bind_template_child (widget_class, HangarSidebar, icon_renderer);
  gtk_widget_class_bind_template_child (widget_class, HangarSidebar, text_renderer);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
}

static void
hangar_sidebar_init (HangarSidebar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->iters = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->store = gtk_tree_store_new (N_COLUMNS, G_TYPE_OBJECT);

  gtk_tree_view_column_set_cell_data_func (self->column, self->icon_renderer,
                                           render_icon, NULL, NULL);
  self->spinner_renderer = gtk_cell_renderer_spinner_new ();
  gtk_tree_view_column_pack_end (self->column, self->spinner_renderer, FALSE);
  gtk_tree_view_column_set_cell_data_func (self->column, self->spinner_renderer,
                                           render_spinner, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->column, self->text_renderer,
                                           render_text, NULL, NULL);
  /* Every row has two lines, so fixed-height mode can skip measuring. */
  gtk_tree_view_set_fixed_height_mode (self->tree_view, TRUE);
  attach_view_model (self);

  g_signal_connect_object (self->tree_view, "row-activated", G_CALLBACK (on_row_activated), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_tree_view_get_selection (self->tree_view), "changed",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
}
