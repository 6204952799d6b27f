/* hangar-console-spice.c: SpiceDisplay behind HangarConsole. The session is
 * opened on a socket libvirt connected for us; each further channel asks for
 * its own socket through HangarConsole::need-fd. A new session is made for
 * every connection, as channels cannot be reopened on an old one. */
#include "config.h"

#include <glib/gi18n.h>
#include <spice-client-gtk.h>
#include <unistd.h>

#include "hangar-console-spice.h"

struct _HangarConsoleSpice
{
  HangarConsole  parent_instance;

  SpiceSession  *session;
  SpiceDisplay  *display;
  gboolean       fit;
  gboolean       resize_guest;
  char          *password;
};

G_DEFINE_FINAL_TYPE (HangarConsoleSpice, hangar_console_spice, HANGAR_TYPE_CONSOLE)

static void
on_channel_open_fd (SpiceChannel       *channel,
                    int                 with_tls,
                    HangarConsoleSpice *self)
{
  hangar_console_request_fd (HANGAR_CONSOLE (self), channel);
}

static void
on_main_channel_event (SpiceChannel       *channel,
                       SpiceChannelEvent   event,
                       HangarConsoleSpice *self)
{
  HangarConsole *console = HANGAR_CONSOLE (self);
  const GError *error = spice_channel_get_error (channel);

  switch (event)
    {
    case SPICE_CHANNEL_OPENED:
      break;
    case SPICE_CHANNEL_ERROR_AUTH:
      if (self->password == NULL)
        hangar_console_request_password (console);
      else
        hangar_console_set_state (console, HANGAR_CONSOLE_STATE_DISCONNECTED,
                                  _("The display refused the password."));
      break;
    case SPICE_CHANNEL_CLOSED:
      hangar_console_set_state (console, HANGAR_CONSOLE_STATE_DISCONNECTED, NULL);
      break;
    case SPICE_CHANNEL_ERROR_CONNECT:
    case SPICE_CHANNEL_ERROR_TLS:
    case SPICE_CHANNEL_ERROR_LINK:
    case SPICE_CHANNEL_ERROR_IO:
    default:
      {
        g_autofree char *message =
          g_strdup_printf (_("Display error: %s"),
                           error != NULL ? error->message : _("the connection failed"));

        hangar_console_set_state (console, HANGAR_CONSOLE_STATE_DISCONNECTED, message);
      }
      break;
    }
}

static void create_display (HangarConsoleSpice *self);

static void
on_channel_new (SpiceSession       *session,
                SpiceChannel       *channel,
                HangarConsoleSpice *self)
{
  int id = -1;

  g_signal_connect_object (channel, "open-fd", G_CALLBACK (on_channel_open_fd), self, 0);
  if (SPICE_IS_MAIN_CHANNEL (channel))
    g_signal_connect_object (channel, "channel-event", G_CALLBACK (on_main_channel_event),
                             self, 0);
  /* The widget wants its display channel to exist, as virt-viewer does it. */
  g_object_get (channel, "channel-id", &id, NULL);
  if (SPICE_IS_DISPLAY_CHANNEL (channel) && id == 0 && self->display == NULL)
    create_display (self);
}

static void
on_display_ready (HangarConsoleSpice *self)
{
  gboolean ready = FALSE;

  g_object_get (self->display, "ready", &ready, NULL);
  if (ready)
    hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_CONNECTED, NULL);
}

static void
on_keyboard_grab (SpiceDisplay       *display,
                  int                 grabbed,
                  HangarConsoleSpice *self)
{
  hangar_console_set_grabbed (HANGAR_CONSOLE (self), grabbed);
}

static void
drop_session (HangarConsoleSpice *self)
{
  if (self->display != NULL)
    {
      gtk_widget_destroy (GTK_WIDGET (self->display));
      self->display = NULL;
    }
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      spice_session_disconnect (self->session);
      g_clear_object (&self->session);
    }
}

static void
new_session (HangarConsoleSpice *self)
{
  SpiceGtkSession *gtk_session;

  drop_session (self);

  self->session = spice_session_new ();
  g_object_set (self->session, "enable-usbredir", TRUE, "enable-audio", TRUE, NULL);
  if (self->password != NULL)
    g_object_set (self->session, "password", self->password, NULL);
  g_signal_connect_object (self->session, "channel-new", G_CALLBACK (on_channel_new), self, 0);

  /* Clipboard sharing goes through the guest's spice-vdagent. */
  gtk_session = spice_gtk_session_get (self->session);
  g_object_set (gtk_session, "auto-clipboard", TRUE, "auto-usbredir", FALSE, NULL);

}

static void
create_display (HangarConsoleSpice *self)
{
  self->display = spice_display_new (self->session, 0);
  g_object_set (self->display,
                "scaling", self->fit,
                "only-downscale", TRUE,
                "resize-guest", self->resize_guest,
                "grab-keyboard", TRUE,
                "grab-mouse", TRUE,
                NULL);
  gtk_widget_set_can_focus (GTK_WIDGET (self->display), TRUE);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->display)),
                       _("Guest display"));
  g_signal_connect_object (self->display, "notify::ready", G_CALLBACK (on_display_ready), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->display, "keyboard-grab", G_CALLBACK (on_keyboard_grab), self, 0);
  gtk_widget_show (GTK_WIDGET (self->display));
  gtk_container_add (GTK_CONTAINER (self), GTK_WIDGET (self->display));
}

static gboolean
hangar_console_spice_open_fd (HangarConsole  *console,
                              int             fd,
                              GError        **error)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  new_session (self);
  if (!spice_session_open_fd (self->session, fd))
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("Could not start the SPICE session"));
      return FALSE;
    }
  return TRUE;
}

static void
hangar_console_spice_give_fd (HangarConsole *console,
                              gpointer       token,
                              int            fd)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);
  SpiceChannel *channel = token;
  GList *channels;
  gboolean known;

  /* The channel may belong to a session that has been replaced meanwhile. */
  channels = self->session ? spice_session_get_channels (self->session) : NULL;
  known = g_list_find (channels, channel) != NULL;
  g_list_free (channels);

  if (!known || fd < 0)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  if (!spice_channel_open_fd (channel, fd))
    close (fd);
}

static void
hangar_console_spice_disconnect (HangarConsole *console)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  if (self->session != NULL)
    spice_session_disconnect (self->session);
}

static void
hangar_console_spice_send_keys (HangarConsole *console,
                                const guint   *keyvals,
                                guint          n_keyvals)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  if (self->display != NULL)
    spice_display_send_keys (self->display, keyvals, (int) n_keyvals,
                             SPICE_DISPLAY_KEY_EVENT_CLICK);
}

static GdkPixbuf *
hangar_console_spice_get_pixbuf (HangarConsole *console)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  return self->display != NULL ? spice_display_get_pixbuf (self->display) : NULL;
}

static void
hangar_console_spice_set_scaling (HangarConsole *console,
                                  gboolean       fit)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  self->fit = fit;
  if (self->display != NULL)
    g_object_set (self->display, "scaling", fit, NULL);
}

static void
hangar_console_spice_set_resize_guest (HangarConsole *console,
                                       gboolean       resize)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  self->resize_guest = resize;
  if (self->display != NULL)
    g_object_set (self->display, "resize-guest", resize, NULL);
}

static void
hangar_console_spice_set_password (HangarConsole *console,
                                   const char    *password)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  /* Kept in memory only, for the channels of this session. */
  g_free (self->password);
  self->password = g_strdup (password);
  if (password == NULL)
    hangar_console_set_state (console, HANGAR_CONSOLE_STATE_DISCONNECTED,
                              _("The display needs a password."));
  else
    hangar_console_set_state (console, HANGAR_CONSOLE_STATE_DISCONNECTED,
                              _("Reconnect to use the password."));
}

static void
hangar_console_spice_release_grab (HangarConsole *console)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (console);

  if (self->display != NULL)
    {
      spice_display_keyboard_ungrab (self->display);
      spice_display_mouse_ungrab (self->display);
    }
}

static GtkWidget *
hangar_console_spice_get_display_widget (HangarConsole *console)
{
  return GTK_WIDGET (HANGAR_CONSOLE_SPICE (console)->display);
}

GtkWidget *
hangar_console_spice_create_usb_widget (HangarConsoleSpice *self)
{
  g_return_val_if_fail (HANGAR_IS_CONSOLE_SPICE (self), NULL);

  if (self->session == NULL)
    return NULL;
  return spice_usb_device_widget_new (self->session, NULL);
}

GtkWidget *
hangar_console_spice_new (void)
{
  return g_object_new (HANGAR_TYPE_CONSOLE_SPICE, NULL);
}

static void
hangar_console_spice_dispose (GObject *object)
{
  HangarConsoleSpice *self = HANGAR_CONSOLE_SPICE (object);

  drop_session (self);
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_clear_pointer (&self->password, g_free);
    }

  G_OBJECT_CLASS (hangar_console_spice_parent_class)->dispose (object);
}

static void
hangar_console_spice_class_init (HangarConsoleSpiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  HangarConsoleClass *console_class = HANGAR_CONSOLE_CLASS (klass);

  object_class->dispose = hangar_console_spice_dispose;
  console_class->open_fd = hangar_console_spice_open_fd;
  console_class->disconnect = hangar_console_spice_disconnect;
  console_class->send_keys = hangar_console_spice_send_keys;
  console_class->get_pixbuf = hangar_console_spice_get_pixbuf;
  console_class->set_scaling = hangar_console_spice_set_scaling;
  console_class->set_resize_guest = hangar_console_spice_set_resize_guest;
  console_class->set_password = hangar_console_spice_set_password;
  console_class->give_fd = hangar_console_spice_give_fd;
  console_class->get_display_widget = hangar_console_spice_get_display_widget;
  console_class->release_grab = hangar_console_spice_release_grab;
}

static void
hangar_console_spice_init (HangarConsoleSpice *self)
{
  self->fit = TRUE;
  self->resize_guest = TRUE;
}
