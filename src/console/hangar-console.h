/* hangar-console.h: the abstract console widget: a guest display or text
 * console, with the VNC, SPICE and serial implementations as subclasses.
 * It knows nothing above it: fds and streams are handed to it. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  HANGAR_CONSOLE_STATE_DISCONNECTED,
  HANGAR_CONSOLE_STATE_CONNECTING,
  HANGAR_CONSOLE_STATE_CONNECTED,
} HangarConsoleState;

#define HANGAR_TYPE_CONSOLE (hangar_console_get_type ())
G_DECLARE_DERIVABLE_TYPE (HangarConsole, hangar_console, HANGAR, CONSOLE, GtkBin)

struct _HangarConsoleClass
{
  GtkBinClass parent_class;

  /* Takes ownership of @fd, a socket already connected to the display. */
  gboolean   (*open_fd)          (HangarConsole  *self,
                                  int             fd,
                                  GError        **error);
  /* Takes a reference on @stream (a serial console byte stream). */
  gboolean   (*open_stream)      (HangarConsole  *self,
                                  GIOStream      *stream,
                                  GError        **error);
  void       (*disconnect)       (HangarConsole  *self);
  void       (*send_keys)        (HangarConsole  *self,
                                  const guint    *keyvals,
                                  guint           n_keyvals);
  GdkPixbuf *(*get_pixbuf)       (HangarConsole  *self);
  void       (*set_scaling)      (HangarConsole  *self,
                                  gboolean        fit);
  void       (*set_resize_guest) (HangarConsole  *self,
                                  gboolean        resize);
  void       (*set_password)     (HangarConsole  *self,
                                  const char     *password);
  /* An extra connection the protocol asked for through ::need-fd. */
  void       (*give_fd)          (HangarConsole  *self,
                                  gpointer        token,
                                  int             fd);
  GtkWidget *(*get_display_widget) (HangarConsole *self);
  void       (*release_grab)     (HangarConsole  *self);
};

HangarConsoleState hangar_console_get_state          (HangarConsole  *self);
const char        *hangar_console_get_error_message  (HangarConsole  *self);
gboolean           hangar_console_get_grabbed        (HangarConsole  *self);
gboolean           hangar_console_open_fd            (HangarConsole  *self,
                                                      int             fd,
                                                      GError        **error);
gboolean           hangar_console_open_stream        (HangarConsole  *self,
                                                      GIOStream      *stream,
                                                      GError        **error);
void               hangar_console_disconnect         (HangarConsole  *self);
void               hangar_console_send_keys          (HangarConsole  *self,
                                                      const guint    *keyvals,
                                                      guint           n_keyvals);
GdkPixbuf         *hangar_console_get_pixbuf         (HangarConsole  *self);
void               hangar_console_set_scaling        (HangarConsole  *self,
                                                      gboolean        fit);
void               hangar_console_set_resize_guest   (HangarConsole  *self,
                                                      gboolean        resize);
void               hangar_console_set_password       (HangarConsole  *self,
                                                      const char     *password);
void               hangar_console_give_fd            (HangarConsole  *self,
                                                      gpointer        token,
                                                      int             fd);
/* Gives the keyboard back to the host (a menu cannot open while it is grabbed). */
void               hangar_console_release_grab       (HangarConsole  *self);
/* The widget that takes keyboard focus (the VNC/SPICE display or terminal). */
GtkWidget         *hangar_console_get_display_widget (HangarConsole  *self);

/* For subclasses. */
void               hangar_console_set_state          (HangarConsole      *self,
                                                      HangarConsoleState  state,
                                                      const char         *error_message);
void               hangar_console_set_grabbed        (HangarConsole  *self,
                                                      gboolean        grabbed);
void               hangar_console_request_fd         (HangarConsole  *self,
                                                      gpointer        token);
void               hangar_console_request_password   (HangarConsole  *self);

G_END_DECLS
