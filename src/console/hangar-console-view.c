/* hangar-console-view.c: shows a VM's console. Picks SPICE or VNC from the
 * VM's graphics, gets its sockets and streams from the model (libvirt opens
 * them: nothing listens on a port), follows the VM's state to connect,
 * reconnect and say why nothing is shown, and offers the console.* actions:
 * send keys, scaling, screenshot, fullscreen and detach. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hangar-console-serial.h"
#include "hangar-console-spice.h"
#include "hangar-console-view.h"
#include "hangar-console-vnc.h"
#include "hangar-vm-console.h"

#define RECONNECT_DELAY_MS 1000
#define MAX_AUTO_RECONNECTS 5
#define REVEAL_EDGE_PIXELS 4

struct _HangarConsoleView
{
  GtkBox             parent_instance;

  GtkRevealer       *toolbar_revealer;
  GtkStackSwitcher  *page_switcher;
  GtkMenuButton     *usb_button;
  GtkLabel          *grab_hint;
  GtkStack          *pages;
  GtkBox            *display_holder;
  GtkBox            *serial_holder;
  GtkWidget         *status_box;
  GtkSpinner        *status_spinner;
  GtkLabel          *status_label;
  GtkButton         *status_button;

  GSimpleActionGroup *actions;
  HangarVm          *vm;
  HangarConsole     *display;
  HangarConsole     *serial;
  HangarConsoleInfo *info;
  GCancellable      *cancellable;
  gboolean           active;
  guint              reconnect_id;
  guint              auto_reconnects;

  GtkWindow         *detached_window;
  GtkContainer      *home;
  gboolean           fullscreen;
  gboolean           detached_for_fullscreen;
  gulong             key_handler;
  GtkWindow         *key_window;
  gulong             frame_draw_handler;
};

G_DEFINE_FINAL_TYPE (HangarConsoleView, hangar_console_view, GTK_TYPE_BOX)

static void connect_consoles (HangarConsoleView *self);
static void update_status (HangarConsoleView *self);

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static gboolean
vm_is_up (HangarVm *vm)
{
  HangarVmState state = vm ? hangar_vm_get_state (vm) : HANGAR_VM_STATE_UNKNOWN;

  return state == HANGAR_VM_STATE_RUNNING || state == HANGAR_VM_STATE_PAUSED ||
         state == HANGAR_VM_STATE_SHUTTING_DOWN || state == HANGAR_VM_STATE_SAVING;
}

static HangarConsole *
current_console (HangarConsoleView *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->pages);

  if (g_strcmp0 (page, "serial") == 0)
    return self->serial;
  return self->display;
}

static void
set_action_enabled (HangarConsoleView *self,
                    const char        *name,
                    gboolean           enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->actions), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
show_status (HangarConsoleView *self,
             const char        *text,
             gboolean           busy,
             const char        *button_label,
             const char        *button_action)
{
  gtk_label_set_text (self->status_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->status_spinner), busy);
  if (busy)
    gtk_spinner_start (self->status_spinner);
  else
    gtk_spinner_stop (self->status_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->status_button), button_label != NULL);
  if (button_label != NULL)
    {
      gtk_button_set_label (self->status_button, button_label);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->status_button), button_action);
    }
  gtk_widget_set_visible (self->status_box, TRUE);
}

static void
update_status (HangarConsoleView *self)
{
  HangarConsole *console = current_console (self);
  HangarConsoleState state;
  gboolean connected;

  if (self->vm == NULL)
    return;

  if (!vm_is_up (self->vm))
    {
      g_autofree char *text =
        g_strdup_printf (_("“%s” is not running."), hangar_vm_get_name (self->vm));

      show_status (self, text, FALSE, hangar_vm_get_busy (self->vm) ? NULL : _("_Start"),
                   "console.start");
    }
  else if (self->info == NULL)
    show_status (self, _("Connecting…"), TRUE, NULL, NULL);
  else if (console == NULL)
    show_status (self, _("This VM has no graphical display or serial console."), FALSE, NULL, NULL);
  else
    {
      state = hangar_console_get_state (console);
      if (state == HANGAR_CONSOLE_STATE_CONNECTED)
        gtk_widget_set_visible (self->status_box, FALSE);
      else if (state == HANGAR_CONSOLE_STATE_CONNECTING || self->reconnect_id != 0)
        show_status (self, _("Connecting…"), TRUE, NULL, NULL);
      else
        {
          const char *reason = hangar_console_get_error_message (console);
          g_autofree char *text = reason
            ? g_strdup_printf (_("Disconnected: %s"), reason)
            : g_strdup (_("Disconnected."));

          show_status (self, text, FALSE, _("_Reconnect"), "console.reconnect");
        }
    }

  connected = console != NULL && hangar_console_get_state (console) == HANGAR_CONSOLE_STATE_CONNECTED;
  set_action_enabled (self, "send-keys", connected);
  set_action_enabled (self, "screenshot", connected && console == self->display);
  gtk_widget_set_visible (GTK_WIDGET (self->usb_button),
                          HANGAR_IS_CONSOLE_SPICE (self->display) && connected &&
                          console == self->display);
  gtk_widget_set_visible (GTK_WIDGET (self->page_switcher),
                          self->display != NULL && self->serial != NULL);
}

static void
update_grab_hint (HangarConsoleView *self)
{
  HangarConsole *console = current_console (self);

  if (console != NULL && console == self->display && hangar_console_get_grabbed (console))
    gtk_label_set_text (self->grab_hint, _("Ctrl+Alt releases the keyboard"));
  else if (console != NULL && console == self->display)
    gtk_label_set_text (self->grab_hint, _("Click the screen to type into the VM"));
  else
    gtk_label_set_text (self->grab_hint, "");
}

/* ------------------------------------------------------------------ */
/* Connecting                                                          */

static void
drop_consoles (HangarConsoleView *self)
{
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->display != NULL)
    {
      if (self->frame_draw_handler != 0)
        g_signal_handler_disconnect (self->display, self->frame_draw_handler);
      self->frame_draw_handler = 0;
      g_signal_handlers_disconnect_by_data (self->display, self);
      hangar_console_disconnect (self->display);
      gtk_widget_destroy (GTK_WIDGET (self->display));
      self->display = NULL;
    }
  if (self->serial != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->serial, self);
      hangar_console_disconnect (self->serial);
      gtk_widget_destroy (GTK_WIDGET (self->serial));
      self->serial = NULL;
    }
  g_clear_pointer (&self->info, hangar_console_info_free);
}

static gboolean
reconnect_timeout (gpointer user_data)
{
  HangarConsoleView *self = user_data;

  self->reconnect_id = 0;
  connect_consoles (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (HangarConsoleView *self)
{
  if (self->reconnect_id != 0 || self->auto_reconnects >= MAX_AUTO_RECONNECTS)
    return;
  self->auto_reconnects++;
  self->reconnect_id = g_timeout_add (RECONNECT_DELAY_MS, reconnect_timeout, self);
}

/* With HANGAR_REPORT_READY=1, prints one line when the first guest frame
 * (not a blank screen) has been painted: for benchmarks and tests. */
static gboolean
pixbuf_has_content (GdkPixbuf *pixbuf)
{
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  const guint8 *first = pixels;

  for (int y = 0; y < height; y += 2)
    for (int x = 0; x < width; x += 2)
      {
        const guint8 *p = pixels + y * rowstride + x * channels;

        if (p[0] != first[0] || p[1] != first[1] || p[2] != first[2])
          return TRUE;
      }
  return FALSE;
}

static void
on_frame_painted (GdkFrameClock     *clock,
                  HangarConsoleView *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_frame_painted, self);
  g_print ("HANGAR-CONSOLE-FRAME vm=%s\n", self->vm ? hangar_vm_get_name (self->vm) : "");
  fflush (stdout);
}

static void
on_display_drawn (HangarConsole     *console,
                  HangarConsoleView *self)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;

  if (self->display == NULL || hangar_console_get_state (self->display) != HANGAR_CONSOLE_STATE_CONNECTED)
    return;
  pixbuf = hangar_console_get_pixbuf (self->display);
  if (pixbuf == NULL || !pixbuf_has_content (pixbuf))
    return;

  g_signal_handler_disconnect (console, self->frame_draw_handler);
  self->frame_draw_handler = 0;
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (console)), "after-paint",
                    G_CALLBACK (on_frame_painted), self);
}

static void
watch_first_frame (HangarConsoleView *self)
{
  GtkWidget *widget = hangar_console_get_display_widget (self->display);

  if (widget == NULL || self->frame_draw_handler != 0 ||
      g_strcmp0 (g_getenv ("HANGAR_REPORT_READY"), "1") != 0)
    return;
  self->frame_draw_handler = g_signal_connect (self->display, "drawn",
                                               G_CALLBACK (on_display_drawn), self);
}

static void
on_console_state (HangarConsole     *console,
                  GParamSpec        *pspec,
                  HangarConsoleView *self)
{
  HangarConsoleState state = hangar_console_get_state (console);

  if (state == HANGAR_CONSOLE_STATE_CONNECTED)
    {
      /* Only a display that came up ends the retries: a serial console
       * counts as connected as soon as it is attached, even when its
       * stream fails right after. */
      if (console == self->display)
        self->auto_reconnects = 0;
      if (console == self->display)
        watch_first_frame (self);
      if (console == current_console (self))
        {
          GtkWidget *widget = hangar_console_get_display_widget (console);

          if (widget != NULL && self->active)
            gtk_widget_grab_focus (widget);
        }
    }
  /* A display that drops while the VM runs (QEMU restarted it, the guest
   * rebooted into another resolution…) comes back by itself. */
  else if (state == HANGAR_CONSOLE_STATE_DISCONNECTED && console == self->display &&
           self->active && vm_is_up (self->vm))
    schedule_reconnect (self);

  update_status (self);
  update_grab_hint (self);
}

typedef struct
{
  HangarConsoleView *self;
  gpointer           token;
} FdRequest;

static void
on_graphics_fd (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  FdRequest *request = user_data;
  HangarConsoleView *self = request->self;
  g_autoptr (GError) error = NULL;
  int fd;

  fd = hangar_vm_open_graphics_fd_finish (HANGAR_VM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (request);
      return;
    }

  if (self->display != NULL)
    {
      if (request->token != NULL)
        hangar_console_give_fd (self->display, request->token, fd);
      else if (fd < 0)
        hangar_console_set_state (self->display, HANGAR_CONSOLE_STATE_DISCONNECTED,
                                  error->message);
      else if (!hangar_console_open_fd (self->display, fd, &error))
        hangar_console_set_state (self->display, HANGAR_CONSOLE_STATE_DISCONNECTED,
                                  error->message);
    }
  g_free (request);
}

static void
request_graphics_fd (HangarConsoleView *self,
                     gpointer           token)
{
  FdRequest *request = g_new0 (FdRequest, 1);

  request->self = self;
  request->token = token;
  hangar_vm_open_graphics_fd_async (self->vm, 0, self->cancellable, on_graphics_fd, request);
}

static void
on_need_fd (HangarConsole     *console,
            gpointer           token,
            HangarConsoleView *self)
{
  request_graphics_fd (self, token);
}

static void
on_password_response (GtkDialog         *dialog,
                      int                response,
                      HangarConsoleView *self)
{
  GtkEntry *entry = g_object_get_data (G_OBJECT (dialog), "entry");

  if (self->display != NULL)
    hangar_console_set_password (self->display,
                                 response == GTK_RESPONSE_OK ? gtk_entry_get_text (entry) : NULL);
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
on_need_password (HangarConsole     *console,
                  HangarConsoleView *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWidget *dialog, *entry, *box;
  g_autofree char *title = g_strdup_printf (_("Password for the display of “%s”"),
                                            hangar_vm_get_name (self->vm));

  dialog = gtk_dialog_new_with_buttons (title,
                                        GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                        GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                        _("_Cancel"), GTK_RESPONSE_CANCEL,
                                        _("_Connect"), GTK_RESPONSE_OK,
                                        NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  entry = gtk_entry_new ();
  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  atk_object_set_name (gtk_widget_get_accessible (entry), _("Display password"));
  box = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  gtk_container_set_border_width (GTK_CONTAINER (box), 12);
  gtk_container_add (GTK_CONTAINER (box), entry);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_password_response), self, 0);
  gtk_widget_show_all (dialog);
}

static void
on_console_grabbed (HangarConsoleView *self)
{
  update_grab_hint (self);
}

static void
watch_console (HangarConsoleView *self,
               HangarConsole     *console)
{
  g_signal_connect_object (console, "notify::state", G_CALLBACK (on_console_state), self, 0);
  g_signal_connect_object (console, "notify::grabbed", G_CALLBACK (on_console_grabbed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (console, "need-fd", G_CALLBACK (on_need_fd), self, 0);
  g_signal_connect_object (console, "need-password", G_CALLBACK (on_need_password), self, 0);
}

static void
on_serial_stream (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HangarConsoleView *self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GIOStream) stream = NULL;

  stream = hangar_vm_open_serial_finish (HANGAR_VM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_CONSOLE_VIEW (user_data);
  if (self->serial == NULL)
    return;
  if (stream == NULL || !hangar_console_open_stream (self->serial, stream, &error))
    hangar_console_set_state (self->serial, HANGAR_CONSOLE_STATE_DISCONNECTED, error->message);
}

static void
create_consoles (HangarConsoleView *self)
{
  gboolean fit = g_variant_get_boolean (g_action_group_get_action_state (G_ACTION_GROUP (self->actions), "scale"));

  if (self->display == NULL && self->info->display != HANGAR_DISPLAY_NONE)
    {
      self->display = HANGAR_CONSOLE (self->info->display == HANGAR_DISPLAY_SPICE
                                      ? hangar_console_spice_new ()
                                      : hangar_console_vnc_new ());
      hangar_console_set_scaling (self->display, fit);
      watch_console (self, self->display);
      gtk_widget_set_hexpand (GTK_WIDGET (self->display), TRUE);
      gtk_widget_set_vexpand (GTK_WIDGET (self->display), TRUE);
      gtk_widget_show (GTK_WIDGET (self->display));
      gtk_container_add (GTK_CONTAINER (self->display_holder), GTK_WIDGET (self->display));
    }
  if (self->serial == NULL && self->info->has_serial)
    {
      self->serial = HANGAR_CONSOLE (hangar_console_serial_new ());
      watch_console (self, self->serial);
      gtk_widget_set_hexpand (GTK_WIDGET (self->serial), TRUE);
      gtk_widget_set_vexpand (GTK_WIDGET (self->serial), TRUE);
      gtk_widget_show (GTK_WIDGET (self->serial));
      gtk_container_add (GTK_CONTAINER (self->serial_holder), GTK_WIDGET (self->serial));
    }
  /* A headless guest: its serial console is all there is. */
  if (self->display == NULL && self->serial != NULL)
    gtk_stack_set_visible_child_name (self->pages, "serial");
}

static void
on_console_info (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HangarConsoleView *self;
  g_autoptr (GError) error = NULL;
  HangarConsoleInfo *info;

  info = hangar_vm_get_console_info_finish (HANGAR_VM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_CONSOLE_VIEW (user_data);
  if (info == NULL)
    {
      show_status (self, error->message, FALSE, _("_Reconnect"), "console.reconnect");
      return;
    }
  self->info = info;
  create_consoles (self);
  if (self->display != NULL && info->graphics_fd >= 0 &&
      hangar_console_get_state (self->display) == HANGAR_CONSOLE_STATE_DISCONNECTED)
    {
      int fd = hangar_console_info_steal_graphics_fd (info);

      hangar_console_set_state (self->display, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
      if (!hangar_console_open_fd (self->display, fd, &error))
        hangar_console_set_state (self->display, HANGAR_CONSOLE_STATE_DISCONNECTED,
                                  error->message);
    }
  connect_consoles (self);
}

static void
connect_consoles (HangarConsoleView *self)
{
  if (self->vm == NULL || !self->active)
    return;
  if (!vm_is_up (self->vm))
    {
      update_status (self);
      return;
    }
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();

  if (self->info == NULL)
    {
      update_status (self);
      hangar_vm_get_console_info_async (self->vm, self->cancellable, on_console_info, self);
      return;
    }

  if (self->display != NULL &&
      hangar_console_get_state (self->display) == HANGAR_CONSOLE_STATE_DISCONNECTED)
    {
      hangar_console_set_state (self->display, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
      request_graphics_fd (self, NULL);
    }
  if (self->serial != NULL &&
      hangar_console_get_state (self->serial) == HANGAR_CONSOLE_STATE_DISCONNECTED)
    {
      hangar_console_set_state (self->serial, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
      hangar_vm_open_serial_async (self->vm, self->cancellable, on_serial_stream, self);
    }
  update_status (self);
}

static void
on_vm_state (HangarConsoleView *self)
{
  if (vm_is_up (self->vm))
    {
      self->auto_reconnects = 0;
      connect_consoles (self);
    }
  else
    {
      g_clear_handle_id (&self->reconnect_id, g_source_remove);
      if (self->display != NULL)
        hangar_console_disconnect (self->display);
      if (self->serial != NULL)
        hangar_console_disconnect (self->serial);
    }
  update_status (self);
}

/* ------------------------------------------------------------------ */
/* Keyboard: host shortcuts stay out of the way of a grabbed guest     */

static gboolean
on_toplevel_key (GtkWindow         *window,
                 GdkEventKey       *event,
                 HangarConsoleView *self)
{
  HangarConsole *console = current_console (self);
  GtkWidget *widget;

  if (console == NULL || !hangar_console_get_grabbed (console))
    return GDK_EVENT_PROPAGATE;
  widget = hangar_console_get_display_widget (console);
  if (widget == NULL || !gtk_widget_has_focus (widget))
    return GDK_EVENT_PROPAGATE;
  /* Straight to the display: no accelerators, mnemonics or key bindings. */
  return gtk_widget_event (widget, (GdkEvent *) event);
}

static void
track_toplevel (HangarConsoleView *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkWindow *window = GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL;

  if (window == self->key_window)
    return;
  if (self->key_window != NULL)
    {
      g_signal_handler_disconnect (self->key_window, self->key_handler);
      g_object_remove_weak_pointer (G_OBJECT (self->key_window), (gpointer *) &self->key_window);
    }
  self->key_window = window;
  self->key_handler = 0;
  if (window != NULL)
    {
      g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &self->key_window);
      self->key_handler = g_signal_connect (window, "key-press-event",
                                            G_CALLBACK (on_toplevel_key), self);
    }
}

/* ------------------------------------------------------------------ */
/* Actions                                                             */

static void
on_start (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  if (self->vm != NULL && hangar_vm_can_do (self->vm, HANGAR_VM_ACTION_START))
    hangar_vm_start_async (self->vm, NULL, NULL, NULL);
  update_status (self);
}

static void
on_reconnect (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  self->auto_reconnects = 0;
  if (self->info == NULL)
    g_clear_object (&self->cancellable);
  connect_consoles (self);
}

typedef struct
{
  const char *id;
  guint       keys[4];
  guint       n_keys;
} KeyCombo;

static const KeyCombo key_combos[] = {
  { "ctrl-alt-del", { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_Delete }, 3 },
  { "ctrl-alt-backspace", { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_BackSpace }, 3 },
  { "print", { GDK_KEY_Print }, 1 },
};

static void
on_send_keys (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  HangarConsoleView *self = user_data;
  HangarConsole *console = current_console (self);
  const char *id = g_variant_get_string (parameter, NULL);
  guint fkey;

  if (console == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (key_combos); i++)
    if (g_str_equal (id, key_combos[i].id))
      {
        hangar_console_send_keys (console, key_combos[i].keys, key_combos[i].n_keys);
        return;
      }
  /* ctrl-alt-fN */
  if (g_str_has_prefix (id, "ctrl-alt-f") && (fkey = (guint) g_ascii_strtoull (id + 10, NULL, 10)) >= 1 &&
      fkey <= 12)
    {
      guint keys[] = { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F1 + fkey - 1 };

      hangar_console_send_keys (console, keys, G_N_ELEMENTS (keys));
    }
}

gboolean
hangar_console_view_save_screenshot (HangarConsoleView  *self,
                                     const char         *path,
                                     GError            **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;

  g_return_val_if_fail (HANGAR_IS_CONSOLE_VIEW (self), FALSE);

  if (self->display == NULL ||
      (pixbuf = hangar_console_get_pixbuf (self->display)) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("The VM’s display is not connected"));
      return FALSE;
    }
  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}

static void
on_screenshot_response (GtkNativeDialog   *chooser,
                        int                response,
                        HangarConsoleView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
      g_autoptr (GError) error = NULL;

      if (!hangar_console_view_save_screenshot (self, path, &error))
        {
          GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
          GtkWidget *dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                                      GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                                      GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE,
                                                      _("Could not save the screenshot"));

          gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                                    error->message);
          g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
          gtk_widget_show (dialog);
        }
    }
  g_object_unref (chooser);
}

static void
on_screenshot (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  HangarConsoleView *self = user_data;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = NULL;
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->vm == NULL)
    return;
  /* Translators: file name of a screenshot: VM name, then date and time */
  name = g_strdup_printf (_("%s %s.png"), hangar_vm_get_name (self->vm), stamp);

  chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                         GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser),
                                       pictures != NULL ? pictures : g_get_home_dir ());
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_set_name (filter, _("PNG images"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), g_object_ref (filter));
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_screenshot_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_scale_changed (GSimpleAction *action,
                  GVariant      *value,
                  gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  g_simple_action_set_state (action, value);
  if (self->display != NULL)
    hangar_console_set_scaling (self->display, g_variant_get_boolean (value));
}

static void
on_resize_guest_changed (GSimpleAction *action,
                         GVariant      *value,
                         gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  g_simple_action_set_state (action, value);
  if (self->display != NULL)
    hangar_console_set_resize_guest (self->display, g_variant_get_boolean (value));
}

static void
reattach (HangarConsoleView *self)
{
  GtkWindow *window = self->detached_window;

  if (window == NULL || self->home == NULL)
    return;
  g_object_ref (self);
  gtk_container_remove (GTK_CONTAINER (window), GTK_WIDGET (self));
  gtk_container_add (self->home, GTK_WIDGET (self));
  g_object_unref (self);
  g_object_remove_weak_pointer (G_OBJECT (self->home), (gpointer *) &self->home);
  self->home = NULL;
  self->detached_window = NULL;
  self->fullscreen = FALSE;
  self->detached_for_fullscreen = FALSE;
  gtk_revealer_set_reveal_child (self->toolbar_revealer, TRUE);
  gtk_widget_destroy (GTK_WIDGET (window));
  track_toplevel (self);
}

static gboolean
on_detached_delete (GtkWidget         *window,
                    GdkEvent          *event,
                    HangarConsoleView *self)
{
  reattach (self);
  return GDK_EVENT_STOP;
}

static void
detach (HangarConsoleView *self)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));
  GtkWidget *window;
  g_autofree char *title = NULL;

  if (self->detached_window != NULL || !GTK_IS_CONTAINER (parent))
    return;

  title = g_strdup_printf (_("%s — Console"), self->vm ? hangar_vm_get_name (self->vm) : "");
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_set_icon_name (GTK_WINDOW (window), APP_ID);

  self->home = GTK_CONTAINER (parent);
  g_object_add_weak_pointer (G_OBJECT (self->home), (gpointer *) &self->home);
  g_object_ref (self);
  gtk_container_remove (self->home, GTK_WIDGET (self));
  gtk_container_add (GTK_CONTAINER (window), GTK_WIDGET (self));
  g_object_unref (self);
  self->detached_window = GTK_WINDOW (window);
  g_signal_connect_object (window, "delete-event", G_CALLBACK (on_detached_delete), self, 0);
  gtk_widget_show (window);
  track_toplevel (self);
}

static void
on_detach (GSimpleAction *action,
           GVariant      *parameter,
           gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  if (self->detached_window != NULL)
    reattach (self);
  else
    detach (self);
}

static void
on_fullscreen (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  HangarConsoleView *self = user_data;

  if (self->fullscreen)
    {
      self->fullscreen = FALSE;
      if (self->detached_for_fullscreen)
        reattach (self);
      else if (self->detached_window != NULL)
        gtk_window_unfullscreen (self->detached_window);
      gtk_revealer_set_reveal_child (self->toolbar_revealer, TRUE);
      return;
    }

  if (self->detached_window == NULL)
    {
      detach (self);
      self->detached_for_fullscreen = self->detached_window != NULL;
    }
  if (self->detached_window == NULL)
    return;
  self->fullscreen = TRUE;
  gtk_window_fullscreen (self->detached_window);
  gtk_revealer_set_reveal_child (self->toolbar_revealer, FALSE);
}

static gboolean
on_motion (GtkWidget         *widget,
           GdkEventMotion    *event,
           HangarConsoleView *self)
{
  /* In fullscreen the toolbar shows while the pointer is at the top edge. */
  if (self->fullscreen)
    {
      gboolean near_top = event->y <= REVEAL_EDGE_PIXELS ||
                          (gtk_revealer_get_reveal_child (self->toolbar_revealer) &&
                           event->y <= gtk_widget_get_allocated_height (GTK_WIDGET (self->toolbar_revealer)));

      gtk_revealer_set_reveal_child (self->toolbar_revealer, near_top);
    }
  return GDK_EVENT_PROPAGATE;
}

static void
on_page_changed (HangarConsoleView *self)
{
  HangarConsole *console = current_console (self);
  GtkWidget *widget = console ? hangar_console_get_display_widget (console) : NULL;

  if (widget != NULL && self->active)
    gtk_widget_grab_focus (widget);
  update_status (self);
  update_grab_hint (self);
}

/* A menu cannot take the pointer and keyboard while the guest holds them. */
static gboolean
on_menu_button_press (GtkWidget         *button,
                      GdkEvent          *event,
                      HangarConsoleView *self)
{
  HangarConsole *console = current_console (self);

  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (button)) ||
      event->type != GDK_BUTTON_PRESS || event->button.button != GDK_BUTTON_PRIMARY)
    return GDK_EVENT_PROPAGATE;

  /* Also when our state says ungrabbed: a release by the grab keys may
   * leave the seat grab in place. Ungrabbing the seat also ends this
   * press's implicit grab, so the release would never reach the button:
   * open the menu here instead of on the release. */
  if (console != NULL)
    hangar_console_release_grab (console);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (button), TRUE);
  return GDK_EVENT_STOP;
}

static void
on_usb_clicked (HangarConsoleView *self)
{
  GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (self->usb_button));
  GtkWidget *usb;

  if (!HANGAR_IS_CONSOLE_SPICE (self->display))
    return;
  usb = hangar_console_spice_create_usb_widget (HANGAR_CONSOLE_SPICE (self->display));
  if (popover == NULL)
    {
      popover = gtk_popover_new (GTK_WIDGET (self->usb_button));
      gtk_menu_button_set_popover (self->usb_button, popover);
    }
  gtk_container_foreach (GTK_CONTAINER (popover), (GtkCallback) gtk_widget_destroy, NULL);
  if (usb != NULL)
    {
      gtk_container_set_border_width (GTK_CONTAINER (usb), 12);
      gtk_widget_show_all (usb);
      gtk_container_add (GTK_CONTAINER (popover), usb);
    }
}

static const GActionEntry action_entries[] = {
  { "start", on_start },
  { "reconnect", on_reconnect },
  { "send-keys", on_send_keys, "s" },
  { "screenshot", on_screenshot },
  { "detach", on_detach },
  { "fullscreen", on_fullscreen },
  { "scale", NULL, NULL, "true", on_scale_changed },
  { "resize-guest", NULL, NULL, "true", on_resize_guest_changed },
};

/* ------------------------------------------------------------------ */

void
hangar_console_view_set_vm (HangarConsoleView *self,
                            HangarVm          *vm)
{
  g_return_if_fail (HANGAR_IS_CONSOLE_VIEW (self));

  if (self->vm == vm)
    return;
  if (self->vm != NULL)
    g_signal_handlers_disconnect_by_data (self->vm, self);
  drop_consoles (self);
  gtk_stack_set_visible_child_name (self->pages, "display");
  g_set_object (&self->vm, vm);
  self->auto_reconnects = 0;
  if (vm != NULL)
    {
      g_signal_connect_object (vm, "notify::state", G_CALLBACK (on_vm_state), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (vm, "notify::busy", G_CALLBACK (update_status), self,
                               G_CONNECT_SWAPPED);
    }
  connect_consoles (self);
  update_status (self);
}

HangarVm *
hangar_console_view_get_vm (HangarConsoleView *self)
{
  g_return_val_if_fail (HANGAR_IS_CONSOLE_VIEW (self), NULL);
  return self->vm;
}

void
hangar_console_view_set_active (HangarConsoleView *self,
                                gboolean           active)
{
  g_return_if_fail (HANGAR_IS_CONSOLE_VIEW (self));

  if (self->active == active)
    return;
  self->active = active;
  if (active)
    {
      HangarConsole *console = current_console (self);
      GtkWidget *widget = console != NULL ? hangar_console_get_display_widget (console) : NULL;

      connect_consoles (self);
      /* Back on a connected console: the keyboard goes to the guest again. */
      if (widget != NULL && gtk_widget_get_realized (widget))
        gtk_widget_grab_focus (widget);
    }
}

HangarConsole *
hangar_console_view_get_console (HangarConsoleView *self)
{
  g_return_val_if_fail (HANGAR_IS_CONSOLE_VIEW (self), NULL);
  return current_console (self);
}

GtkWidget *
hangar_console_view_new (void)
{
  return g_object_new (HANGAR_TYPE_CONSOLE_VIEW, NULL);
}

static void
hangar_console_view_hierarchy_changed (GtkWidget *widget,
                                       GtkWidget *previous_toplevel)
{
  track_toplevel (HANGAR_CONSOLE_VIEW (widget));
}

static void
hangar_console_view_dispose (GObject *object)
{
  HangarConsoleView *self = HANGAR_CONSOLE_VIEW (object);

  drop_consoles (self);
  if (self->vm != NULL)
    g_signal_handlers_disconnect_by_data (self->vm, self);
  g_clear_object (&self->vm);
  if (self->key_window != NULL)
    {
      g_signal_handler_disconnect (self->key_window, self->key_handler);
      g_object_remove_weak_pointer (G_OBJECT (self->key_window), (gpointer *) &self->key_window);
      self->key_window = NULL;
    }
  if (self->home != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->home), (gpointer *) &self->home);
      self->home = NULL;
    }
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (hangar_console_view_parent_class)->dispose (object);
}

static void
hangar_console_view_class_init (HangarConsoleViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_console_view_dispose;
  widget_class->hierarchy_changed = hangar_console_view_hierarchy_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/console-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarConsoleView, name)
  BIND (toolbar_revealer);
  BIND (page_switcher);
  BIND (usb_button);
  BIND (grab_hint);
  BIND (pages);
  BIND (display_holder);
  BIND (serial_holder);
  BIND (status_box);
  BIND (status_spinner);
  BIND (status_label);
  BIND (status_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_motion);
  gtk_widget_class_bind_template_callback (widget_class, on_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_usb_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_menu_button_press);
}

static void
hangar_console_view_init (HangarConsoleView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->actions = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (self->actions), action_entries,
                                   G_N_ELEMENTS (action_entries), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "console", G_ACTION_GROUP (self->actions));
  gtk_widget_add_events (GTK_WIDGET (self), GDK_POINTER_MOTION_MASK);
  update_grab_hint (self);
}
