/* hangar-console-serial.c: a VteTerminal fed from the console stream; what
 * the user types is queued and written without waiting, retried shortly
 * when the stream cannot take it yet. */
#include "config.h"

#include <glib/gi18n.h>
#include <vte/vte.h>

#include "hangar-console-serial.h"
#include "hangar-vm-console.h"

#define READ_SIZE 4096
#define WRITE_RETRY_MS 10

struct _HangarConsoleSerial
{
  HangarConsole  parent_instance;

  VteTerminal   *terminal;
  GIOStream     *stream;
  GCancellable  *cancellable;
  guint8         buffer[READ_SIZE];
  GQueue         pending;  /* GBytes */
  guint          retry_id;
};

G_DEFINE_FINAL_TYPE (HangarConsoleSerial, hangar_console_serial, HANGAR_TYPE_CONSOLE)

static void start_read (HangarConsoleSerial *self);
static void start_write (HangarConsoleSerial *self);

static void
close_stream (HangarConsoleSerial *self,
              const char          *message)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->stream != NULL)
    {
      g_autoptr (GError) error = NULL;

      /* Not g_io_stream_close (): with the cancelled read still pending, the
       * input side fails to close and libvirt-gobject 4.0's close then frees
       * that error twice. The stream closes its input itself when the read
       * has returned and the last reference goes. */
      g_output_stream_close (g_io_stream_get_output_stream (self->stream), NULL, &error);
      g_clear_object (&self->stream);
    }
  g_queue_clear_full (&self->pending, (GDestroyNotify) g_bytes_unref);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_DISCONNECTED, message);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HangarConsoleSerial *self;
  g_autoptr (GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = HANGAR_CONSOLE_SERIAL (user_data);

  if (n <= 0)
    {
      close_stream (self, error ? error->message : _("The serial console was closed."));
      return;
    }
  hangar_console_set_state (HANGAR_CONSOLE (self), HANGAR_CONSOLE_STATE_CONNECTED, NULL);
  vte_terminal_feed (self->terminal, (const char *) self->buffer, n);
  start_read (self);
}

static void
start_read (HangarConsoleSerial *self)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream), self->buffer,
                             sizeof self->buffer, G_PRIORITY_DEFAULT, self->cancellable,
                             on_read, self);
}

static gboolean
retry_write (gpointer user_data)
{
  HangarConsoleSerial *self = user_data;

  self->retry_id = 0;
  start_write (self);
  return G_SOURCE_REMOVE;
}

static void
start_write (HangarConsoleSerial *self)
{
  GBytes *head;

  if (self->retry_id != 0)
    return;
  while (self->stream != NULL && (head = g_queue_peek_head (&self->pending)) != NULL)
    {
      g_autoptr (GError) error = NULL;
      gsize size;
      const void *data = g_bytes_get_data (head, &size);
      gssize n = hangar_serial_stream_send (self->stream, data, size, &error);

      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          self->retry_id = g_timeout_add (WRITE_RETRY_MS, retry_write, self);
          return;
        }
      if (n < 0)
        {
          close_stream (self, error->message);
          return;
        }
      g_queue_pop_head (&self->pending);
      if ((gsize) n < size)
        g_queue_push_head (&self->pending, g_bytes_new_from_bytes (head, n, size - n));
      g_bytes_unref (head);
    }
}

static void
on_commit (VteTerminal         *terminal,
           const char          *text,
           guint                size,
           HangarConsoleSerial *self)
{
  if (self->stream == NULL)
    return;
  g_queue_push_tail (&self->pending, g_bytes_new (text, size));
  start_write (self);
}

static gboolean
hangar_console_serial_open_stream (HangarConsole  *console,
                                   GIOStream      *stream,
                                   GError        **error)
{
  HangarConsoleSerial *self = HANGAR_CONSOLE_SERIAL (console);

  close_stream (self, NULL);
  hangar_console_set_state (console, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
  self->stream = g_object_ref (stream);
  self->cancellable = g_cancellable_new ();
  start_read (self);
  /* A quiet guest sends nothing: being attached is being connected. */
  hangar_console_set_state (console, HANGAR_CONSOLE_STATE_CONNECTED, NULL);
  return TRUE;
}

static void
hangar_console_serial_disconnect (HangarConsole *console)
{
  close_stream (HANGAR_CONSOLE_SERIAL (console), NULL);
}

static void
hangar_console_serial_send_keys (HangarConsole *console,
                                 const guint   *keyvals,
                                 guint          n_keyvals)
{
  HangarConsoleSerial *self = HANGAR_CONSOLE_SERIAL (console);

  for (guint i = 0; i < n_keyvals; i++)
    {
      gunichar c = gdk_keyval_to_unicode (keyvals[i]);
      char utf8[8];
      int len;

      if (c == 0)
        continue;
      len = g_unichar_to_utf8 (c, utf8);
      on_commit (self->terminal, utf8, (guint) len, self);
    }
}

static GtkWidget *
hangar_console_serial_get_display_widget (HangarConsole *console)
{
  return GTK_WIDGET (HANGAR_CONSOLE_SERIAL (console)->terminal);
}

GtkWidget *
hangar_console_serial_new (void)
{
  return g_object_new (HANGAR_TYPE_CONSOLE_SERIAL, NULL);
}

static void
hangar_console_serial_dispose (GObject *object)
{
  HangarConsoleSerial *self = HANGAR_CONSOLE_SERIAL (object);

  if (self->terminal != NULL)
    close_stream (self, NULL);
  self->terminal = NULL;

  G_OBJECT_CLASS (hangar_console_serial_parent_class)->dispose (object);
}

static void
hangar_console_serial_class_init (HangarConsoleSerialClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  HangarConsoleClass *console_class = HANGAR_CONSOLE_CLASS (klass);

  object_class->dispose = hangar_console_serial_dispose;
  console_class->open_stream = hangar_console_serial_open_stream;
  console_class->disconnect = hangar_console_serial_disconnect;
  console_class->send_keys = hangar_console_serial_send_keys;
  console_class->get_display_widget = hangar_console_serial_get_display_widget;
}

static void
hangar_console_serial_init (HangarConsoleSerial *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);

  g_queue_init (&self->pending);
  self->terminal = VTE_TERMINAL (vte_terminal_new ());
  vte_terminal_set_scrollback_lines (self->terminal, 10000);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->terminal)),
                       _("Serial console"));
  g_signal_connect_object (self->terminal, "commit", G_CALLBACK (on_commit), self, 0);

  gtk_container_add (GTK_CONTAINER (scrolled), GTK_WIDGET (self->terminal));
  gtk_widget_show_all (scrolled);
  gtk_container_add (GTK_CONTAINER (self), scrolled);
}
