/* hangar-vm-page.c: one VM's page. Shows its state and summary from the
 * HangarVm's properties and offers the vm.* actions that fit its state.
 * Actions run asynchronously; their errors land in this page's info bar. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-a11y.h"
#include "hangar-console-view.h"
#include "hangar-delete-dialog.h"
#include "hangar-error.h"
#include "hangar-hardware-view.h"
#include "hangar-snapshots-view.h"
#include "hangar-vm-page.h"

#define LAST_ERROR_KEY "hangar-vm-page-last-error"
#define CANCELLABLE_KEY "hangar-vm-page-cancellable"

enum
{
  INFO_RESPONSE_FORCE_OFF = 1,
  INFO_RESPONSE_KEEP_WAITING = 2,
};

struct _HangarVmPage
{
  GtkBox              parent_instance;

  GtkInfoBar         *info_bar;
  GtkLabel           *info_label;
  GtkWidget          *info_force_off_button;
  GtkWidget          *info_wait_button;
  GtkImage           *state_icon;
  GtkLabel           *name_label;
  GtkLabel           *state_label;
  GtkSpinner         *spinner;
  GtkWidget          *start_button;
  GtkWidget          *pause_button;
  GtkWidget          *resume_button;
  GtkWidget          *shutdown_button;
  GtkWidget          *reboot_button;
  GtkWidget          *force_off_button;
  GtkWidget          *cancel_button;
  GtkWidget          *delete_button;
  GtkLabel           *os_value;
  GtkLabel           *vcpus_value;
  GtkLabel           *memory_value;
  GtkLabel           *disks_value;
  GtkLabel           *graphics_value;
  GtkLabel           *connection_value;
  GtkLabel           *uuid_value;
  GtkStack           *view_stack;
  HangarConsoleView  *console_view;
  /* Built when first shown: most VM pages are only looked at in Details
   * and Console, and the window opens faster and smaller without them. */
  GtkBox             *snapshots_page;
  GtkBox             *hardware_page;
  HangarSnapshotsView *snapshots_view;
  HangarHardwareView  *hardware_view;

  GSimpleActionGroup *actions;
  GSettings          *settings;
  HangarVm           *vm;
};

G_DEFINE_FINAL_TYPE (HangarVmPage, hangar_vm_page, GTK_TYPE_BOX)

/* Errors and cancellables belong to the VM, not the page: the page may show
 * another VM when an operation ends. */
typedef struct
{
  HangarVmPage   *page;  /* weak */
  HangarVm       *vm;
  HangarVmAction  action;
} OpData;

static void update_all (HangarVmPage *self);

/* ------------------------------------------------------------------ */

static void
show_message (HangarVmPage   *self,
              GtkMessageType  type,
              const char     *message,
              gboolean        offer_force_off)
{
  gtk_label_set_text (self->info_label, message);
  gtk_info_bar_set_message_type (self->info_bar, type);
  gtk_widget_set_visible (self->info_force_off_button, offer_force_off);
  gtk_widget_set_visible (self->info_wait_button, offer_force_off);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
hide_message (HangarVmPage *self)
{
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
}

typedef struct
{
  char     *message;
  gboolean  timed_out;
} LastError;

static void
last_error_free (LastError *e)
{
  g_free (e->message);
  g_free (e);
}

static void
show_last_error (HangarVmPage *self)
{
  LastError *e = self->vm ? g_object_get_data (G_OBJECT (self->vm), LAST_ERROR_KEY) : NULL;

  if (e == NULL)
    hide_message (self);
  else
    show_message (self, e->timed_out ? GTK_MESSAGE_WARNING : GTK_MESSAGE_ERROR,
                  e->message, e->timed_out && hangar_vm_can_do (self->vm, HANGAR_VM_ACTION_FORCE_OFF));
}

static void
set_last_error (HangarVm     *vm,
                const GError *error)
{
  LastError *e = NULL;

  if (error != NULL)
    {
      e = g_new0 (LastError, 1);
      e->message = g_strdup (error->message);
      e->timed_out = g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_TIMED_OUT);
    }
  g_object_set_data_full (G_OBJECT (vm), LAST_ERROR_KEY, e, (GDestroyNotify) last_error_free);
}

static void
op_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  OpData *op = user_data;
  HangarVm *vm = HANGAR_VM (source);
  g_autoptr (GError) error = NULL;

  hangar_vm_run_action_finish (vm, result, &error);
  g_object_set_data (G_OBJECT (vm), CANCELLABLE_KEY, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_error (&error);
  set_last_error (vm, error);

  if (op->page != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (op->page), (gpointer *) &op->page);
      if (op->page->vm == vm)
        {
          show_last_error (op->page);
          update_all (op->page);
        }
    }
  g_object_unref (op->vm);
  g_free (op);
}

static void
run_action (HangarVmPage   *self,
            HangarVmAction  action)
{
  GCancellable *cancellable;
  OpData *op;

  if (self->vm == NULL || !hangar_vm_can_do (self->vm, action))
    return;

  set_last_error (self->vm, NULL);
  hide_message (self);

  cancellable = g_cancellable_new ();
  g_object_set_data_full (G_OBJECT (self->vm), CANCELLABLE_KEY, cancellable, g_object_unref);

  op = g_new0 (OpData, 1);
  op->page = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &op->page);
  op->vm = g_object_ref (self->vm);
  op->action = action;

  if (action == HANGAR_VM_ACTION_SHUTDOWN)
    hangar_vm_shutdown_async (self->vm, g_settings_get_uint (self->settings, "shutdown-timeout"),
                              cancellable, op_done, op);
  else
    hangar_vm_run_action_async (self->vm, action, cancellable, op_done, op);
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

static void
on_action (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  HangarVmPage *self = user_data;
  const char *name = g_action_get_name (G_ACTION (action));
  static const struct { const char *name; HangarVmAction action; } map[] = {
    { "start", HANGAR_VM_ACTION_START },
    { "pause", HANGAR_VM_ACTION_PAUSE },
    { "resume", HANGAR_VM_ACTION_RESUME },
    { "shutdown", HANGAR_VM_ACTION_SHUTDOWN },
    { "reboot", HANGAR_VM_ACTION_REBOOT },
    { "force-off", HANGAR_VM_ACTION_FORCE_OFF },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_equal (name, map[i].name))
      run_action (self, map[i].action);
}

static void
on_cancel (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  HangarVmPage *self = user_data;
  GCancellable *cancellable;

  if (self->vm == NULL)
    return;
  cancellable = g_object_get_data (G_OBJECT (self->vm), CANCELLABLE_KEY);
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
}

static void
on_delete_response (HangarDeleteDialog *dialog,
                    int                 response,
                    HangarVmPage       *self)
{
  g_auto (GStrv) images = NULL;
  OpData *op;
  HangarVm *vm = hangar_delete_dialog_get_vm (dialog);

  if (response != GTK_RESPONSE_ACCEPT || !hangar_vm_can_do (vm, HANGAR_VM_ACTION_DELETE))
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }

  images = hangar_delete_dialog_get_images_to_delete (dialog);
  gtk_widget_destroy (GTK_WIDGET (dialog));

  set_last_error (vm, NULL);
  op = g_new0 (OpData, 1);
  op->page = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &op->page);
  op->vm = g_object_ref (vm);
  op->action = HANGAR_VM_ACTION_DELETE;
  hangar_vm_delete_async (vm, (const char * const *) images, NULL, op_done, op);
}

static void
on_delete (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  HangarVmPage *self = user_data;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog;

  if (self->vm == NULL || !hangar_vm_can_do (self->vm, HANGAR_VM_ACTION_DELETE))
    return;

  dialog = hangar_delete_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                     self->vm);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_info_bar_response (HangarVmPage *self,
                      int           response)
{
  if (self->vm != NULL)
    set_last_error (self->vm, NULL);
  hide_message (self);

  if (response == INFO_RESPONSE_FORCE_OFF)
    run_action (self, HANGAR_VM_ACTION_FORCE_OFF);
  else if (response == INFO_RESPONSE_KEEP_WAITING)
    run_action (self, HANGAR_VM_ACTION_SHUTDOWN);
}

/* vm.snapshot: the Snapshots view shows what is taken. */
static HangarSnapshotsView *ensure_snapshots_view (HangarVmPage *self);

static void
on_snapshot (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  HangarVmPage *self = user_data;

  if (self->vm == NULL)
    return;
  gtk_stack_set_visible_child_name (self->view_stack, "snapshots");
  hangar_snapshots_view_take_snapshot (ensure_snapshots_view (self));
}

static const GActionEntry action_entries[] = {
  { "start", on_action },
  { "pause", on_action },
  { "resume", on_action },
  { "shutdown", on_action },
  { "reboot", on_action },
  { "force-off", on_action },
  { "snapshot", on_snapshot },
  { "cancel", on_cancel },
  { "delete", on_delete },
};

/* ------------------------------------------------------------------ */
/* Showing the VM                                                      */

static gboolean
fits_state (HangarVmState  state,
            HangarVmAction action)
{
  switch (action)
    {
    case HANGAR_VM_ACTION_START:
      return state == HANGAR_VM_STATE_SHUT_OFF || state == HANGAR_VM_STATE_CRASHED;
    case HANGAR_VM_ACTION_PAUSE:
    case HANGAR_VM_ACTION_SHUTDOWN:
    case HANGAR_VM_ACTION_REBOOT:
      return state == HANGAR_VM_STATE_RUNNING;
    case HANGAR_VM_ACTION_RESUME:
      return state == HANGAR_VM_STATE_PAUSED;
    case HANGAR_VM_ACTION_FORCE_OFF:
      return state != HANGAR_VM_STATE_SHUT_OFF && state != HANGAR_VM_STATE_CRASHED &&
             state != HANGAR_VM_STATE_UNKNOWN;
    case HANGAR_VM_ACTION_DELETE:
    default:
      return TRUE;
    }
}

static void
update_actions (HangarVmPage *self)
{
  static const struct { const char *name; HangarVmAction action; gsize offset; } map[] = {
    { "start", HANGAR_VM_ACTION_START, G_STRUCT_OFFSET (HangarVmPage, start_button) },
    { "pause", HANGAR_VM_ACTION_PAUSE, G_STRUCT_OFFSET (HangarVmPage, pause_button) },
    { "resume", HANGAR_VM_ACTION_RESUME, G_STRUCT_OFFSET (HangarVmPage, resume_button) },
    { "shutdown", HANGAR_VM_ACTION_SHUTDOWN, G_STRUCT_OFFSET (HangarVmPage, shutdown_button) },
    { "reboot", HANGAR_VM_ACTION_REBOOT, G_STRUCT_OFFSET (HangarVmPage, reboot_button) },
    { "force-off", HANGAR_VM_ACTION_FORCE_OFF, G_STRUCT_OFFSET (HangarVmPage, force_off_button) },
    { "delete", HANGAR_VM_ACTION_DELETE, G_STRUCT_OFFSET (HangarVmPage, delete_button) },
  };
  HangarVmState state = self->vm ? hangar_vm_get_state (self->vm) : HANGAR_VM_STATE_UNKNOWN;
  gboolean busy = self->vm ? hangar_vm_get_busy (self->vm) : FALSE;
  /* Only the wait for a guest's shutdown can be stopped half-way. */
  gboolean cancellable = busy && g_object_get_data (G_OBJECT (self->vm), CANCELLABLE_KEY) != NULL &&
                         hangar_vm_get_busy_action (self->vm) == HANGAR_VM_ACTION_SHUTDOWN;

  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), map[i].name);
      GtkWidget *button = G_STRUCT_MEMBER (GtkWidget *, self, map[i].offset);

      g_simple_action_set_enabled (G_SIMPLE_ACTION (action),
                                   self->vm != NULL && hangar_vm_can_do (self->vm, map[i].action));
      /* Visibility follows the state only, so buttons do not jump while busy. */
      gtk_widget_set_visible (button, self->vm != NULL && fits_state (state, map[i].action));
    }

  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                            "cancel")),
                               cancellable);
  gtk_widget_set_visible (self->cancel_button, cancellable);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self->actions),
                                                                            "snapshot")),
                               self->vm != NULL && !hangar_vm_get_busy (self->vm));
}

static void
update_state (HangarVmPage *self)
{
  gboolean busy;

  if (self->vm == NULL)
    return;
  busy = hangar_vm_get_busy (self->vm);
  gtk_image_set_from_icon_name (self->state_icon, hangar_vm_get_state_icon_name (self->vm),
                                GTK_ICON_SIZE_DIALOG);
  gtk_label_set_text (self->state_label, hangar_vm_get_state_label (self->vm));
  /* The icon is a picture of the state, not a play button. */
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->state_icon)),
                       hangar_vm_get_state_label (self->vm));
  if (busy)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  update_actions (self);

  /* A shutdown-timeout offer is moot once the VM is off. */
  if (!hangar_vm_can_do (self->vm, HANGAR_VM_ACTION_FORCE_OFF))
    gtk_widget_set_visible (self->info_force_off_button, FALSE);
}

static void
update_summary (HangarVmPage *self)
{
  const char * const *disks;
  g_autofree char *memory = NULL;
  g_autofree char *vcpus = NULL;
  g_autofree char *disk_text = NULL;
  guint64 mem_kib;

  if (self->vm == NULL)
    return;

  gtk_label_set_text (self->name_label, hangar_vm_get_name (self->vm));
  gtk_label_set_text (self->os_value, hangar_vm_get_os_name (self->vm) ?: _("Unknown"));

  vcpus = hangar_vm_get_vcpus (self->vm) ? g_strdup_printf ("%u", hangar_vm_get_vcpus (self->vm))
                                         : g_strdup (_("Unknown"));
  gtk_label_set_text (self->vcpus_value, vcpus);

  mem_kib = hangar_vm_get_memory (self->vm);
  memory = mem_kib ? g_format_size_full (mem_kib * 1024, G_FORMAT_SIZE_IEC_UNITS)
                   : g_strdup (_("Unknown"));
  gtk_label_set_text (self->memory_value, memory);

  disks = hangar_vm_get_disks (self->vm);
  if (disks == NULL)
    disk_text = g_strdup (_("Unknown"));
  else if (disks[0] == NULL)
    disk_text = g_strdup (_("None"));
  else
    disk_text = g_strjoinv ("\n", (char **) disks);
  gtk_label_set_text (self->disks_value, disk_text);

  gtk_label_set_text (self->graphics_value, hangar_vm_get_graphics (self->vm) ?: _("None"));
  gtk_label_set_text (self->uuid_value, hangar_vm_get_uuid (self->vm));
}

static void
update_all (HangarVmPage *self)
{
  update_state (self);
  update_summary (self);
}

static void
on_vm_notify (HangarVmPage *self,
              GParamSpec   *pspec)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "state") || g_str_equal (name, "busy"))
    update_state (self);
  else
    update_summary (self);
}

/* The list only knows a summary; the page reads the whole configuration. */
static void
load_details (HangarVmPage *self)
{
  if (self->vm != NULL)
    hangar_vm_load_details_async (self->vm, NULL, NULL, NULL);
}

void
hangar_vm_page_set_vm (HangarVmPage *self,
                       HangarVm     *vm)
{
  g_return_if_fail (HANGAR_IS_VM_PAGE (self));

  if (self->vm == vm)
    return;
  if (self->vm != NULL)
    g_signal_handlers_disconnect_by_data (self->vm, self);
  g_set_object (&self->vm, vm);
  if (vm != NULL)
    {
      g_signal_connect_object (vm, "notify", G_CALLBACK (on_vm_notify), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (vm, "config-changed", G_CALLBACK (load_details), self,
                               G_CONNECT_SWAPPED);
      load_details (self);
    }

  /* A running VM opens on its screen, others on their details. */
  gtk_stack_set_visible_child_name (self->view_stack,
                                    vm != NULL && hangar_vm_get_state (vm) == HANGAR_VM_STATE_RUNNING
                                    ? "console" : "details");
  hangar_console_view_set_vm (self->console_view, vm);
  if (self->snapshots_view != NULL)
    hangar_snapshots_view_set_vm (self->snapshots_view, vm);
  if (self->hardware_view != NULL)
    hangar_hardware_view_set_vm (self->hardware_view, vm);

  update_all (self);
  show_last_error (self);
}

void
hangar_vm_page_show_console (HangarVmPage *self)
{
  g_return_if_fail (HANGAR_IS_VM_PAGE (self));

  gtk_stack_set_visible_child_name (self->view_stack, "console");
}

void
hangar_vm_page_show_hardware (HangarVmPage *self)
{
  g_return_if_fail (HANGAR_IS_VM_PAGE (self));

  gtk_stack_set_visible_child_name (self->view_stack, "hardware");
}

static void
add_view (GtkBox    *page,
          GtkWidget *view)
{
  gtk_widget_show (view);
  gtk_box_pack_start (page, view, TRUE, TRUE, 0);
}

static HangarHardwareView *
ensure_hardware_view (HangarVmPage *self)
{
  if (self->hardware_view == NULL)
    {
      self->hardware_view = g_object_new (HANGAR_TYPE_HARDWARE_VIEW, NULL);
      hangar_hardware_view_set_vm (self->hardware_view, self->vm);
      add_view (self->hardware_page, GTK_WIDGET (self->hardware_view));
    }
  return self->hardware_view;
}

static HangarSnapshotsView *
ensure_snapshots_view (HangarVmPage *self)
{
  if (self->snapshots_view == NULL)
    {
      self->snapshots_view = g_object_new (HANGAR_TYPE_SNAPSHOTS_VIEW, NULL);
      hangar_snapshots_view_set_vm (self->snapshots_view, self->vm);
      add_view (self->snapshots_page, GTK_WIDGET (self->snapshots_view));
    }
  return self->snapshots_view;
}

static void
on_view_changed (HangarVmPage *self)
{
  const char *name = gtk_stack_get_visible_child_name (self->view_stack);

  /* What changed meanwhile (another tool, the end of a network install)
   * shows when the Hardware view comes to the front; edits are kept. */
  if (g_strcmp0 (name, "hardware") == 0)
    {
      gboolean created = self->hardware_view == NULL;
      HangarHardwareView *view = ensure_hardware_view (self);

      if (!created)
        hangar_hardware_view_refresh (view);
    }
  else if (g_strcmp0 (name, "snapshots") == 0)
    ensure_snapshots_view (self);
  hangar_console_view_set_active (self->console_view, g_strcmp0 (name, "console") == 0);
}

HangarVm *
hangar_vm_page_get_vm (HangarVmPage *self)
{
  g_return_val_if_fail (HANGAR_IS_VM_PAGE (self), NULL);
  return self->vm;
}

GActionGroup *
hangar_vm_page_get_actions (HangarVmPage *self)
{
  g_return_val_if_fail (HANGAR_IS_VM_PAGE (self), NULL);
  return G_ACTION_GROUP (self->actions);
}

void
hangar_vm_page_set_connection_title (HangarVmPage *self,
                                     const char   *title)
{
  g_return_if_fail (HANGAR_IS_VM_PAGE (self));

  gtk_label_set_text (self->connection_value, title);
}

/* ------------------------------------------------------------------ */

GtkWidget *
hangar_vm_page_new (void)
{
  return g_object_new (HANGAR_TYPE_VM_PAGE, NULL);
}

static void
hangar_vm_page_dispose (GObject *object)
{
  HangarVmPage *self = HANGAR_VM_PAGE (object);

  if (self->vm != NULL)
    g_signal_handlers_disconnect_by_data (self->vm, self);
  g_clear_object (&self->vm);
  g_clear_object (&self->actions);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (hangar_vm_page_parent_class)->dispose (object);
}

static void
hangar_vm_page_class_init (HangarVmPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_vm_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/vm-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarVmPage, name)
  BIND (info_bar);
  BIND (info_label);
  BIND (info_force_off_button);
  BIND (info_wait_button);
  BIND (state_icon);
  BIND (name_label);
  BIND (state_label);
  BIND (spinner);
  BIND (start_button);
  BIND (pause_button);
  BIND (resume_button);
  BIND (shutdown_button);
  BIND (reboot_button);
  BIND (force_off_button);
  BIND (cancel_button);
  BIND (delete_button);
  BIND (os_value);
  BIND (vcpus_value);
  BIND (memory_value);
  BIND (disks_value);
  BIND (graphics_value);
  BIND (connection_value);
  BIND (uuid_value);
  BIND (view_stack);
  BIND (console_view);
  BIND (snapshots_page);
  BIND (hardware_page);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, on_view_changed);
}

static void
hangar_vm_page_init (HangarVmPage *self)
{
  g_type_ensure (HANGAR_TYPE_CONSOLE_VIEW);
  gtk_widget_init_template (GTK_WIDGET (self));
  hangar_a11y_name_info_bar_close (self->info_bar);

  self->settings = g_settings_new (APP_ID);
  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), action_entries,
                                   G_N_ELEMENTS (action_entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "vm", G_ACTION_GROUP (self->actions));
  update_actions (self);
}
