/* hangar-window.c: the main window. Shows the sidebar of connections and
 * VMs, and a stack with the selected VM's page or connection's status. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hangar-a11y.h"
#include "hangar-sidebar.h"
#include "hangar-vm-builder.h"
#include "hangar-vm-page.h"
#include "hangar-window.h"
#include "hangar-add-connection-dialog.h"
#include "hangar-new-vm-dialog.h"

struct _HangarWindow
{
  GtkApplicationWindow  parent_instance;

  GtkPaned             *paned;
  HangarSidebar        *sidebar;
  GtkInfoBar           *notice_bar;
  GtkLabel             *notice_label;
  GtkStack             *stack;
  HangarVmPage         *vm_page;
  GtkLabel             *connection_title;
  GtkLabel             *connection_uri;
  GtkLabel             *connection_status;

  GSettings            *settings;
  HangarConnectionList *connections;
  HangarConnection     *shown_connection;
  char                 *pending_select;
  gboolean              pending_console;

  GPtrArray            *ready_connections;
  gint64                ready_start;
  gulong                ready_paint_handler;
};

G_DEFINE_FINAL_TYPE (HangarWindow, hangar_window, GTK_TYPE_APPLICATION_WINDOW)

/* ------------------------------------------------------------------ */

void
hangar_window_show_notice (HangarWindow   *self,
                           GtkMessageType  type,
                           const char     *message)
{
  g_return_if_fail (HANGAR_IS_WINDOW (self));

  gtk_label_set_text (self->notice_label, message);
  gtk_info_bar_set_message_type (self->notice_bar, type);
  gtk_info_bar_set_revealed (self->notice_bar, TRUE);
}

static void
on_notice_response (HangarWindow *self,
                    int           response)
{
  gtk_info_bar_set_revealed (self->notice_bar, FALSE);
}

/* ------------------------------------------------------------------ */
/* Connection page                                                     */

static HangarConnection *
connection_of_vm (HangarWindow *self,
                  HangarVm     *vm)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);
      guint position;

      if (g_list_store_find (G_LIST_STORE (hangar_connection_get_vms (c)), vm, &position))
        return c;
    }
  return NULL;
}

static void
update_connection_page (HangarWindow *self)
{
  HangarConnection *c = self->shown_connection;
  g_autofree char *status = NULL;
  guint n;

  if (c == NULL)
    return;

  gtk_label_set_text (self->connection_title, hangar_connection_get_title (c));
  gtk_label_set_text (self->connection_uri, hangar_connection_get_uri (c));
  switch (hangar_connection_get_state (c))
    {
    case HANGAR_CONNECTION_STATE_CONNECTING:
      status = g_strdup (_("Connecting…"));
      break;
    case HANGAR_CONNECTION_STATE_CONNECTED:
      n = g_list_model_get_n_items (hangar_connection_get_vms (c));
      status = g_strdup_printf (ngettext ("Connected, %u virtual machine",
                                          "Connected, %u virtual machines", n), n);
      break;
    case HANGAR_CONNECTION_STATE_FAILED:
    case HANGAR_CONNECTION_STATE_DISCONNECTED:
    default:
      status = g_strdup (hangar_connection_get_error_message (c) ?: _("Disconnected"));
      break;
    }
  gtk_label_set_text (self->connection_status, status);
}

static void
show_connection (HangarWindow     *self,
                 HangarConnection *c)
{
  if (self->shown_connection != c)
    {
      if (self->shown_connection != NULL)
        g_signal_handlers_disconnect_by_func (self->shown_connection, update_connection_page, self);
      g_set_object (&self->shown_connection, c);
      if (c != NULL)
        g_signal_connect_object (c, "notify", G_CALLBACK (update_connection_page), self,
                                 G_CONNECT_SWAPPED);
    }
  update_connection_page (self);
}

static void
on_selection_changed (HangarWindow *self)
{
  g_autoptr (HangarVm) vm = hangar_sidebar_get_selected_vm (self->sidebar);
  g_autoptr (HangarConnection) c = NULL;

  if (vm != NULL)
    {
      HangarConnection *owner = connection_of_vm (self, vm);

      hangar_vm_page_set_vm (self->vm_page, vm);
      hangar_vm_page_set_connection_title (self->vm_page,
                                           owner ? hangar_connection_get_title (owner) : "");
      show_connection (self, owner);
      gtk_stack_set_visible_child_name (self->stack, "vm");
      return;
    }

  c = hangar_sidebar_get_selected_connection (self->sidebar);
  hangar_vm_page_set_vm (self->vm_page, NULL);
  if (c != NULL)
    {
      show_connection (self, c);
      gtk_stack_set_visible_child_name (self->stack, "connection");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");
}

static void
on_vm_activated (HangarWindow *self)
{
  hangar_vm_page_show_console (self->vm_page);
}

/* ------------------------------------------------------------------ */
/* Selecting a VM by name when it shows up                             */

static gboolean
try_pending_select (HangarWindow *self)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);
  guint n = g_list_model_get_n_items (model);

  if (self->pending_select == NULL)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);
      HangarVm *vm = hangar_connection_find_vm (c, self->pending_select);

      if (vm != NULL && hangar_sidebar_select_vm (self->sidebar, vm))
        {
          g_clear_pointer (&self->pending_select, g_free);
          if (self->pending_console)
            hangar_vm_page_show_console (self->vm_page);
          return TRUE;
        }
    }
  return FALSE;
}

static void
on_vms_changed_for_select (HangarWindow *self)
{
  if (try_pending_select (self))
    {
      GListModel *model = hangar_connection_list_get_model (self->connections);
      guint n = g_list_model_get_n_items (model);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);

          g_signal_handlers_disconnect_by_func (hangar_connection_get_vms (c),
                                                on_vms_changed_for_select, self);
        }
    }
}

static void
watch_connections_for_select (HangarWindow *self)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);
      GListModel *vms = hangar_connection_get_vms (c);

      g_signal_handlers_disconnect_by_func (vms, on_vms_changed_for_select, self);
      g_signal_connect_object (vms, "items-changed", G_CALLBACK (on_vms_changed_for_select),
                               self, G_CONNECT_SWAPPED | G_CONNECT_AFTER);
    }
}

static void
on_connections_changed (HangarWindow *self)
{
  if (self->pending_select != NULL)
    watch_connections_for_select (self);
}

void
hangar_window_select_vm_by_name (HangarWindow *self,
                                 const char   *name,
                                 gboolean      show_console)
{
  g_return_if_fail (HANGAR_IS_WINDOW (self));

  g_free (self->pending_select);
  self->pending_select = g_strdup (name);
  self->pending_console = show_console;
  if (!try_pending_select (self))
    watch_connections_for_select (self);
}

/* ------------------------------------------------------------------ */
/* Readiness report                                                    */

static void
on_after_paint (GdkFrameClock *clock,
                HangarWindow  *self)
{
  guint total = 0;

  for (guint i = 0; i < self->ready_connections->len; i++)
    total += g_list_model_get_n_items (hangar_connection_get_vms (g_ptr_array_index (self->ready_connections, i)));

  g_signal_handler_disconnect (clock, self->ready_paint_handler);
  self->ready_paint_handler = 0;
  g_print ("HANGAR-READY vms=%u ms=%" G_GINT64_FORMAT "\n", total,
           (g_get_monotonic_time () - self->ready_start) / 1000);
  fflush (stdout);
  g_clear_pointer (&self->ready_connections, g_ptr_array_unref);
}

static void
check_ready (HangarWindow *self)
{
  GdkFrameClock *clock;

  if (self->ready_connections == NULL || self->ready_paint_handler != 0)
    return;
  for (guint i = 0; i < self->ready_connections->len; i++)
    if (hangar_connection_get_state (g_ptr_array_index (self->ready_connections, i)) ==
        HANGAR_CONNECTION_STATE_CONNECTING)
      return;
  if (!gtk_widget_get_realized (GTK_WIDGET (self)))
    return;

  for (guint i = 0; i < self->ready_connections->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->ready_connections, i),
                                          check_ready, self);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
  self->ready_paint_handler = g_signal_connect (clock, "after-paint",
                                                G_CALLBACK (on_after_paint), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
hangar_window_report_ready (HangarWindow *self,
                            GPtrArray    *connections,
                            gint64        start_time)
{
  g_return_if_fail (HANGAR_IS_WINDOW (self));

  g_clear_pointer (&self->ready_connections, g_ptr_array_unref);
  self->ready_connections = g_ptr_array_ref (connections);
  self->ready_start = start_time;
  for (guint i = 0; i < connections->len; i++)
    g_signal_connect_object (g_ptr_array_index (connections, i), "notify::state",
                             G_CALLBACK (check_ready), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self, "map", G_CALLBACK (check_ready), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  check_ready (self);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

static void
on_reconnect_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (HangarWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!hangar_connection_open_finish (HANGAR_CONNECTION (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    hangar_window_show_notice (self, GTK_MESSAGE_ERROR, error->message);
}

static void
on_reconnect (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  HangarWindow *self = user_data;
  HangarConnection *c = self->shown_connection;

  if (c == NULL)
    return;
  if (hangar_connection_get_state (c) == HANGAR_CONNECTION_STATE_CONNECTED)
    hangar_connection_close (c);
  hangar_connection_open_async (c, NULL, on_reconnect_done, g_object_ref (self));
}

static void
on_find (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  hangar_sidebar_focus_search (HANGAR_SIDEBAR (((HangarWindow *) user_data)->sidebar));
}

static void
on_connection_added (HangarWindow     *self,
                     HangarConnection *connection)
{
  hangar_sidebar_select_connection (HANGAR_SIDEBAR (self->sidebar), connection);
}

static void
on_add_connection (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  HangarWindow *self = user_data;
  GtkWidget *dialog = hangar_add_connection_dialog_new (GTK_WINDOW (self), self->connections);

  g_signal_connect_object (dialog, "connection-added", G_CALLBACK (on_connection_added), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A new VM: shown with its console, and started once its connection lists it. */
typedef struct
{
  HangarWindow     *self;
  HangarConnection *connection;
  char             *name;
  guint             tries;
  gboolean          customize;  /* show its hardware, start nothing */
} NewVm;

static void
new_vm_free (NewVm *n)
{
  g_object_unref (n->self);
  g_object_unref (n->connection);
  g_free (n->name);
  g_free (n);
}

static void
on_install_boot_ended (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (HangarWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!hangar_vm_end_install_boot_finish (HANGAR_VM (source), result, &error))
    hangar_window_show_notice (self, GTK_MESSAGE_WARNING, error->message);
}

static void
on_new_vm_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (HangarWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!hangar_vm_start_finish (HANGAR_VM (source), result, &error))
    {
      hangar_window_show_notice (self, GTK_MESSAGE_ERROR, error->message);
      return;
    }
  /* A network install runs the installer's kernel this once; from now on
   * the saved configuration boots the disk. */
  hangar_vm_end_install_boot_async (HANGAR_VM (source), NULL, on_install_boot_ended,
                                    g_object_ref (self));
}

static gboolean
start_new_vm (gpointer user_data)
{
  NewVm *n = user_data;
  HangarVm *vm = hangar_connection_find_vm (n->connection, n->name);

  if (vm == NULL)
    return ++n->tries < 100 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
  if (n->customize)
    {
      /* "Customize before install": the hardware first; Start begins it. */
      hangar_window_select_vm_by_name (n->self, n->name, FALSE);
      hangar_vm_page_show_hardware (n->self->vm_page);
      hangar_window_show_notice (n->self, GTK_MESSAGE_INFO,
                                 _("Change the new VM’s hardware as you need, then press Start "
                                   "to begin the installation."));
      return G_SOURCE_REMOVE;
    }
  /* libvirt's test driver has no consoles to show. */
  hangar_window_select_vm_by_name (n->self, n->name,
                                   hangar_connection_get_kind (n->connection) !=
                                   HANGAR_CONNECTION_KIND_TEST);
  hangar_vm_start_async (vm, NULL, on_new_vm_started, g_object_ref (n->self));
  return G_SOURCE_REMOVE;
}

static void
on_vm_created (HangarWindow     *self,
               HangarConnection *connection,
               const char       *name,
               gboolean          customize)
{
  NewVm *n = g_new0 (NewVm, 1);

  n->customize = customize;
  n->self = g_object_ref (self);
  n->connection = g_object_ref (connection);
  n->name = g_strdup (name);
  g_timeout_add_full (G_PRIORITY_DEFAULT, 50, start_new_vm, n, (GDestroyNotify) new_vm_free);
}

void
hangar_window_new_vm (HangarWindow *self,
                      const char   *media_path)
{
  GtkWidget *dialog;

  g_return_if_fail (HANGAR_IS_WINDOW (self));

  dialog = hangar_new_vm_dialog_new (GTK_WINDOW (self), self->connections, media_path);
  g_signal_connect_object (dialog, "vm-created", G_CALLBACK (on_vm_created), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_new_vm (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  hangar_window_new_vm (user_data, NULL);
}

/* An ISO or disk image dropped on the window starts the wizard with it. */
static void
on_drag_data_received (GtkWidget        *widget,
                       GdkDragContext   *context,
                       int               x,
                       int               y,
                       GtkSelectionData *data,
                       guint             info,
                       guint             time,
                       gpointer          user_data)
{
  g_auto (GStrv) uris = gtk_selection_data_get_uris (data);
  g_autofree char *path = uris != NULL && uris[0] != NULL
                          ? g_filename_from_uri (uris[0], NULL, NULL) : NULL;

  gtk_drag_finish (context, path != NULL, FALSE, time);
  if (path != NULL)
    hangar_window_new_vm (HANGAR_WINDOW (widget), path);
}

static const GActionEntry win_entries[] = {
  { "new-vm", on_new_vm },
  { "add-connection", on_add_connection },
  { "reconnect", on_reconnect },
  { "find", on_find },
};

/* ------------------------------------------------------------------ */

HangarWindow *
hangar_window_new (GtkApplication       *application,
                   HangarConnectionList *connections)
{
  HangarWindow *self = g_object_new (HANGAR_TYPE_WINDOW, "application", application, NULL);

  self->connections = g_object_ref (connections);
  hangar_sidebar_set_connection_list (self->sidebar, connections);
  g_signal_connect_object (hangar_connection_list_get_model (connections), "items-changed",
                           G_CALLBACK (on_connections_changed), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  return self;
}

static void
hangar_window_dispose (GObject *object)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  if (self->settings != NULL && gtk_widget_get_realized (GTK_WIDGET (self)))
    {
      int width, height;

      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      if (!gtk_window_is_maximized (GTK_WINDOW (self)))
        {
          g_settings_set_int (self->settings, "window-width", width);
          g_settings_set_int (self->settings, "window-height", height);
        }
      g_settings_set_boolean (self->settings, "window-maximized",
                              gtk_window_is_maximized (GTK_WINDOW (self)));
      g_settings_set_int (self->settings, "sidebar-width", gtk_paned_get_position (self->paned));
    }
  if (self->ready_paint_handler != 0)
    {
      g_signal_handler_disconnect (gtk_widget_get_frame_clock (GTK_WIDGET (self)),
                                   self->ready_paint_handler);
      self->ready_paint_handler = 0;
    }
  g_clear_pointer (&self->ready_connections, g_ptr_array_unref);
  g_clear_object (&self->shown_connection);
  g_clear_object (&self->connections);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hangar_window_parent_class)->dispose (object);
}

static void
hangar_window_finalize (GObject *object)
{
  HangarWindow *self = HANGAR_WINDOW (object);

  g_free (self->pending_select);

  G_OBJECT_CLASS (hangar_window_parent_class)->finalize (object);
}

static void
hangar_window_class_init (HangarWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_window_dispose;
  object_class->finalize = hangar_window_finalize;

  g_type_ensure (HANGAR_TYPE_SIDEBAR);
  g_type_ensure (HANGAR_TYPE_VM_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/window.ui");
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, notice_bar);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, notice_label);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, vm_page);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, connection_title);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, connection_uri);
  gtk_widget_class_bind_template_child (widget_class, HangarWindow, connection_status);
  gtk_widget_class_bind_template_callback (widget_class, on_selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_vm_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_notice_response);
}

static void
hangar_window_init (HangarWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drag_dest_set (GTK_WIDGET (self), GTK_DEST_DEFAULT_ALL, NULL, 0, GDK_ACTION_COPY);
  gtk_drag_dest_add_uri_targets (GTK_WIDGET (self));
  g_signal_connect (self, "drag-data-received", G_CALLBACK (on_drag_data_received), NULL);
  hangar_a11y_name_info_bar_close (self->notice_bar);
  /* vm.* accelerators (vm.snapshot) work wherever the focus is, e.g. in the
   * sidebar; the actions are off while no VM is shown. */
  gtk_widget_insert_action_group (GTK_WIDGET (self), "vm",
                                  hangar_vm_page_get_actions (self->vm_page));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries,
                                   G_N_ELEMENTS (win_entries), self);

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  gtk_paned_set_position (self->paned, g_settings_get_int (self->settings, "sidebar-width"));
}
