/* hangar-console-vnc.c: VncDisplay behind HangarConsole. The socket comes
 * from libvirt already connected, so no port is ever opened. */
#include "config.h"

#include <glib/gi18n.h>
#include <vncdisplay.h>

#include "hangar-console-vnc.h"

struct _HangarConsoleVnc
{
  HangarConsole  parent_instance;

  VncDisplay    *display;
  gboolean       fit;
  gboolean       grabbed;
  gboolean       combo_ctrl;
  gboolean       combo_alt;
  gboolean       combo_primed;
  guint          ungrab_id;
  char          *last_guest_text;  /* to avoid echoing the guest's own text back */
};

G_DEFINE_FINAL_TYPE (HangarConsoleVnc, hangar_console_vnc, HANGAR_TYPE_CONSOLE)

static void vnc_ungrab (HangarConsoleVnc *self);

static void
on_vnc_initialized (HangarConsoleVnc *self)
{
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_CONNECTED, NULL);
}

static void
on_vnc_disconnected (HangarConsoleVnc *self)
{
  const char *message = hangar_console_get_error_message (HANGAR_CONSOLE (self));

  vnc_ungrab (self);
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_DISCONNECTED, message);
}

static void
on_vnc_error (VncDisplay       *display,
              const char       *message,
              HangarConsoleVnc *self)
{
  g_autofree char *text = g_strdup_printf (_("Display error: %s"), message);

  hangar_console_set_state (HANGAR_CONSOLE (self),
                            hangar_console_get_state (HANGAR_CONSOLE (self)), text);
}

static void
on_vnc_auth_credential (VncDisplay       *display,
                        GValueArray      *credentials,
                        HangarConsoleVnc *self)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  for (guint i = 0; i < credentials->n_values; i++)
    {
      GValue *value = g_value_array_get_nth (credentials, i);

      if (g_value_get_enum (value) == VNC_DISPLAY_CREDENTIAL_PASSWORD)
        {
          hangar_console_request_password (HANGAR_CONSOLE (self));
          return;
        }
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_DISCONNECTED,
                            _("The display asks for credentials Hangar cannot provide."));
  vnc_display_close (self->display);
}

static void
on_vnc_auth_failure (VncDisplay       *display,
                     const char       *message,
                     HangarConsoleVnc *self)
{
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_DISCONNECTED,
                            _("The display refused the password."));
}

/* Grabs. gtk-vnc's own model grabs the keyboard whenever the pointer is
 * over the display and makes its grab keys *toggle* a pointer grab, so
 * pressing Ctrl+Alt "to release" grabs the mouse of a guest without a
 * tablet. Hangar's model is the same for both protocols instead: a click
 * grabs the keyboard (and, for a relative mouse, the pointer); Ctrl+Alt,
 * leaving the window or a toolbar menu releases both. */
static void
vnc_grab (HangarConsoleVnc *self)
{
  GdkWindow *window = gtk_widget_get_window (GTK_WIDGET (self->display));
  GdkSeat *seat;

  if (window == NULL || self->grabbed)
    return;
  seat = gdk_display_get_default_seat (gdk_window_get_display (window));
  if (!vnc_display_is_pointer_absolute (self->display))
    vnc_display_force_grab (self->display, TRUE);  /* pointer and keyboard */
  else if (gdk_seat_grab (seat, window, GDK_SEAT_CAPABILITY_KEYBOARD, FALSE,
                          NULL, NULL, NULL, NULL) != GDK_GRAB_SUCCESS)
    return;
  self->grabbed = TRUE;
  hangar_console_set_grabbed (HANGAR_CONSOLE (self), TRUE);
}

static void
vnc_ungrab (HangarConsoleVnc *self)
{
  GtkWidget *widget = GTK_WIDGET (self->display);

  self->combo_primed = FALSE;
  self->combo_ctrl = self->combo_alt = FALSE;
  if (!self->grabbed)
    return;
  self->grabbed = FALSE;
  /* Ungrabs the pointer and, as it grabbed it with the pointer, the keyboard. */
  vnc_display_force_grab (self->display, FALSE);
  if (gtk_widget_get_realized (widget))
    gdk_seat_ungrab (gdk_display_get_default_seat (gtk_widget_get_display (widget)));
  hangar_console_set_grabbed (HANGAR_CONSOLE (self), FALSE);
}

static gboolean
on_display_button_press (GtkWidget        *widget,
                         GdkEventButton   *event,
                         HangarConsoleVnc *self)
{
  if (event->type == GDK_BUTTON_PRESS && event->button == GDK_BUTTON_PRIMARY &&
      hangar_console_get_state (HANGAR_CONSOLE (self)) == HANGAR_CONSOLE_STATE_CONNECTED)
    vnc_grab (self);
  return GDK_EVENT_PROPAGATE;
}

static gboolean
ungrab_idle (gpointer user_data)
{
  HangarConsoleVnc *self = user_data;

  self->ungrab_id = 0;
  vnc_ungrab (self);
  return G_SOURCE_REMOVE;
}

/* Ctrl+Alt: both pressed primes it, any release then triggers, any other
 * key in between cancels (the keys still reach the guest, as with SPICE). */
static gboolean
on_display_key (GtkWidget        *widget,
                GdkEventKey      *event,
                HangarConsoleVnc *self)
{
  gboolean ctrl = event->keyval == GDK_KEY_Control_L || event->keyval == GDK_KEY_Control_R;
  gboolean alt = event->keyval == GDK_KEY_Alt_L || event->keyval == GDK_KEY_Alt_R ||
                 event->keyval == GDK_KEY_Meta_L || event->keyval == GDK_KEY_Meta_R;

  if (!self->grabbed)
    return GDK_EVENT_PROPAGATE;
  if (event->type == GDK_KEY_PRESS)
    {
      if (ctrl)
        self->combo_ctrl = TRUE;
      else if (alt)
        self->combo_alt = TRUE;
      else
        self->combo_ctrl = self->combo_alt = FALSE;
      self->combo_primed = self->combo_ctrl && self->combo_alt;
    }
  else if (self->combo_primed)
    {
      /* After gtk-vnc has sent this release to the guest (its handler
       * ends the emission, so not an after-handler). */
      self->combo_primed = FALSE;
      if (self->ungrab_id == 0)
        self->ungrab_id = g_idle_add (ungrab_idle, self);
    }
  else
    {
      self->combo_ctrl = self->combo_alt = FALSE;
    }
  return GDK_EVENT_PROPAGATE;
}

static void
on_display_unmap (HangarConsoleVnc *self)
{
  vnc_ungrab (self);
}

static gboolean
on_display_focus_out (GtkWidget        *widget,
                      GdkEventFocus    *event,
                      HangarConsoleVnc *self)
{
  vnc_ungrab (self);
  return GDK_EVENT_PROPAGATE;
}

/* Clipboard: plain text both ways, as the RFB cut-text messages allow. */
static void
on_vnc_server_cut_text (VncDisplay       *display,
                        const char       *text,
                        HangarConsoleVnc *self)
{
  GtkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD);

  g_free (self->last_guest_text);
  self->last_guest_text = g_strdup (text);
  gtk_clipboard_set_text (clipboard, text, -1);
}

static void
on_host_clipboard_text (GtkClipboard *clipboard,
                        const char   *text,
                        gpointer      user_data)
{
  g_autoptr (HangarConsoleVnc) self = user_data;

  if (text == NULL || self->display == NULL || !vnc_display_is_open (self->display) ||
      g_strcmp0 (text, self->last_guest_text) == 0)
    return;
  vnc_display_client_cut_text (self->display, text);
}

static void
on_host_clipboard_changed (GtkClipboard     *clipboard,
                           GdkEvent         *event,
                           HangarConsoleVnc *self)
{
  if (hangar_console_get_state (HANGAR_CONSOLE (self)) != HANGAR_CONSOLE_STATE_CONNECTED)
    return;
  gtk_clipboard_request_text (clipboard, on_host_clipboard_text, g_object_ref (self));
}

static void
hangar_console_vnc_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hangar_console_vnc_parent_class)->realize (widget);

  g_signal_connect_object (gtk_widget_get_clipboard (widget, GDK_SELECTION_CLIPBOARD),
                           "owner-change", G_CALLBACK (on_host_clipboard_changed), widget, 0);
}

static void
hangar_console_vnc_unrealize (GtkWidget *widget)
{
  g_signal_handlers_disconnect_by_func (gtk_widget_get_clipboard (widget, GDK_SELECTION_CLIPBOARD),
                                        on_host_clipboard_changed, widget);

  GTK_WIDGET_CLASS (hangar_console_vnc_parent_class)->unrealize (widget);
}

static gboolean
hangar_console_vnc_open_fd (HangarConsole  *console,
                            int             fd,
                            GError        **error)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (console);

  if (vnc_display_is_open (self->display))
    vnc_display_close (self->display);
  if (!vnc_display_open_fd (self->display, fd))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not start the VNC session"));
      return FALSE;
    }
  return TRUE;
}

static void
hangar_console_vnc_disconnect (HangarConsole *console)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (console);

  if (vnc_display_is_open (self->display))
    vnc_display_close (self->display);
}

static void
hangar_console_vnc_send_keys (HangarConsole *console,
                              const guint   *keyvals,
                              guint          n_keyvals)
{
  vnc_display_send_keys (HANGAR_CONSOLE_VNC (console)->display, keyvals, (int) n_keyvals);
}

static GdkPixbuf *
hangar_console_vnc_get_pixbuf (HangarConsole *console)
{
  return vnc_display_get_pixbuf (HANGAR_CONSOLE_VNC (console)->display);
}

static void
hangar_console_vnc_set_scaling (HangarConsole *console,
                                gboolean       fit)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (console);

  self->fit = fit;
  vnc_display_set_scaling (self->display, fit);
  vnc_display_set_keep_aspect_ratio (self->display, TRUE);
}

static void
hangar_console_vnc_set_resize_guest (HangarConsole *console,
                                     gboolean       resize)
{
  vnc_display_set_allow_resize (HANGAR_CONSOLE_VNC (console)->display, resize);
}

static void
hangar_console_vnc_set_password (HangarConsole *console,
                                 const char    *password)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (console);

  if (password == NULL)
    {
      vnc_display_close (self->display);
      return;
    }
  vnc_display_set_credential (self->display, VNC_DISPLAY_CREDENTIAL_PASSWORD, password);
}

static void
hangar_console_vnc_release_grab (HangarConsole *console)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (console);

  /* Also when our state says ungrabbed: nothing may be left behind. */
  self->grabbed = TRUE;
  vnc_ungrab (self);
}

static GtkWidget *
hangar_console_vnc_get_display_widget (HangarConsole *console)
{
  return GTK_WIDGET (HANGAR_CONSOLE_VNC (console)->display);
}

GtkWidget *
hangar_console_vnc_new (void)
{
  return g_object_new (HANGAR_TYPE_CONSOLE_VNC, NULL);
}

static void
hangar_console_vnc_dispose (GObject *object)
{
  HangarConsoleVnc *self = HANGAR_CONSOLE_VNC (object);

  if (self->display != NULL && vnc_display_is_open (self->display))
    vnc_display_close (self->display);
  self->display = NULL;
  g_clear_pointer (&self->last_guest_text, g_free);
  g_clear_handle_id (&self->ungrab_id, g_source_remove);

  G_OBJECT_CLASS (hangar_console_vnc_parent_class)->dispose (object);
}

static void
hangar_console_vnc_class_init (HangarConsoleVncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  HangarConsoleClass *console_class = HANGAR_CONSOLE_CLASS (klass);

  object_class->dispose = hangar_console_vnc_dispose;
  GTK_WIDGET_CLASS (klass)->realize = hangar_console_vnc_realize;
  GTK_WIDGET_CLASS (klass)->unrealize = hangar_console_vnc_unrealize;
  console_class->open_fd = hangar_console_vnc_open_fd;
  console_class->disconnect = hangar_console_vnc_disconnect;
  console_class->send_keys = hangar_console_vnc_send_keys;
  console_class->get_pixbuf = hangar_console_vnc_get_pixbuf;
  console_class->set_scaling = hangar_console_vnc_set_scaling;
  console_class->set_resize_guest = hangar_console_vnc_set_resize_guest;
  console_class->set_password = hangar_console_vnc_set_password;
  console_class->get_display_widget = hangar_console_vnc_get_display_widget;
  console_class->release_grab = hangar_console_vnc_release_grab;
}

static void
hangar_console_vnc_init (HangarConsoleVnc *self)
{
  self->display = VNC_DISPLAY (vnc_display_new ());
  gtk_widget_set_can_focus (GTK_WIDGET (self->display), TRUE);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->display)),
                       _("Guest display"));
  /* Grabs are Hangar's (see vnc_grab ()): gtk-vnc's own grab keys are
   * set to a key no keyboard sends. */
  vnc_display_set_keyboard_grab (self->display, FALSE);
  vnc_display_set_pointer_grab (self->display, FALSE);
  {
    guint never[] = { GDK_KEY_VoidSymbol };
    VncGrabSequence *seq = vnc_grab_sequence_new (G_N_ELEMENTS (never), never);

    vnc_display_set_grab_keys (self->display, seq);
    vnc_grab_sequence_free (seq);
  }
  vnc_display_set_scaling (self->display, TRUE);
  vnc_display_set_keep_aspect_ratio (self->display, TRUE);
  vnc_display_set_allow_resize (self->display, TRUE);
  vnc_display_set_lossy_encoding (self->display, FALSE);
  self->fit = TRUE;

  g_signal_connect_object (self->display, "vnc-initialized", G_CALLBACK (on_vnc_initialized),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->display, "vnc-disconnected", G_CALLBACK (on_vnc_disconnected),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->display, "vnc-error", G_CALLBACK (on_vnc_error), self, 0);
  g_signal_connect_object (self->display, "vnc-auth-credential",
                           G_CALLBACK (on_vnc_auth_credential), self, 0);
  g_signal_connect_object (self->display, "vnc-auth-failure", G_CALLBACK (on_vnc_auth_failure),
                           self, 0);
  g_signal_connect_object (self->display, "vnc-server-cut-text",
                           G_CALLBACK (on_vnc_server_cut_text), self, 0);
  g_signal_connect_object (self->display, "button-press-event",
                           G_CALLBACK (on_display_button_press), self, 0);
  g_signal_connect_object (self->display, "key-press-event", G_CALLBACK (on_display_key), self, 0);
  g_signal_connect_object (self->display, "key-release-event", G_CALLBACK (on_display_key),
                           self, 0);
  g_signal_connect_object (self->display, "focus-out-event", G_CALLBACK (on_display_focus_out),
                           self, 0);
  g_signal_connect_object (self->display, "unmap", G_CALLBACK (on_display_unmap), self,
                           G_CONNECT_SWAPPED);

  gtk_widget_show (GTK_WIDGET (self->display));
  gtk_container_add (GTK_CONTAINER (self), GTK_WIDGET (self->display));
}
