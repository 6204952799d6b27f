/* hangar-console.c: state, grab and requests shared by every console kind. */
#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "hangar-console.h"
#include "hangar-console-enums.h"

typedef struct
{
  HangarConsoleState  state;
  char               *error_message;
  gboolean            grabbed;
} HangarConsolePrivate;

enum
{
  PROP_0,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_GRABBED,
  N_PROPS
};

enum
{
  SIGNAL_NEED_FD,
  SIGNAL_NEED_PASSWORD,
  SIGNAL_DRAWN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (HangarConsole, hangar_console, GTK_TYPE_BIN)

HangarConsoleState
hangar_console_get_state (HangarConsole *self)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (self);

  g_return_val_if_fail (HANGAR_IS_CONSOLE (self), HANGAR_CONSOLE_STATE_DISCONNECTED);
  return priv->state;
}

const char *
hangar_console_get_error_message (HangarConsole *self)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (self);

  g_return_val_if_fail (HANGAR_IS_CONSOLE (self), NULL);
  return priv->error_message;
}

gboolean
hangar_console_get_grabbed (HangarConsole *self)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (self);

  g_return_val_if_fail (HANGAR_IS_CONSOLE (self), FALSE);
  return priv->grabbed;
}

void
hangar_console_set_state (HangarConsole      *self,
                          HangarConsoleState  state,
                          const char         *error_message)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (self);

  g_return_if_fail (HANGAR_IS_CONSOLE (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (priv->error_message, error_message) != 0)
    {
      g_free (priv->error_message);
      priv->error_message = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  if (priv->state != state)
    {
      priv->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (state != HANGAR_CONSOLE_STATE_CONNECTED)
    hangar_console_set_grabbed (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

void
hangar_console_set_grabbed (HangarConsole *self,
                            gboolean       grabbed)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (self);

  g_return_if_fail (HANGAR_IS_CONSOLE (self));

  grabbed = !!grabbed;
  if (priv->grabbed == grabbed)
    return;
  priv->grabbed = grabbed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

void
hangar_console_request_fd (HangarConsole *self,
                           gpointer       token)
{
  g_signal_emit (self, signals[SIGNAL_NEED_FD], 0, token);
}

void
hangar_console_request_password (HangarConsole *self)
{
  g_signal_emit (self, signals[SIGNAL_NEED_PASSWORD], 0);
}

gboolean
hangar_console_open_fd (HangarConsole  *self,
                        int             fd,
                        GError        **error)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->open_fd == NULL)
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This console cannot show a graphical display"));
      return FALSE;
    }
  hangar_console_set_state (self, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
  return klass->open_fd (self, fd, error);
}

gboolean
hangar_console_open_stream (HangarConsole  *self,
                            GIOStream      *stream,
                            GError        **error)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->open_stream == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("This console cannot show a text console"));
      return FALSE;
    }
  hangar_console_set_state (self, HANGAR_CONSOLE_STATE_CONNECTING, NULL);
  return klass->open_stream (self, stream, error);
}

void
hangar_console_disconnect (HangarConsole *self)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->disconnect != NULL)
    klass->disconnect (self);
  hangar_console_set_state (self, HANGAR_CONSOLE_STATE_DISCONNECTED, NULL);
}

void
hangar_console_send_keys (HangarConsole *self,
                          const guint   *keyvals,
                          guint          n_keyvals)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->send_keys != NULL)
    klass->send_keys (self, keyvals, n_keyvals);
}

GdkPixbuf *
hangar_console_get_pixbuf (HangarConsole *self)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  return klass->get_pixbuf != NULL ? klass->get_pixbuf (self) : NULL;
}

void
hangar_console_set_scaling (HangarConsole *self,
                            gboolean       fit)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->set_scaling != NULL)
    klass->set_scaling (self, fit);
}

void
hangar_console_set_resize_guest (HangarConsole *self,
                                 gboolean       resize)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->set_resize_guest != NULL)
    klass->set_resize_guest (self, resize);
}

void
hangar_console_set_password (HangarConsole *self,
                             const char    *password)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->set_password != NULL)
    klass->set_password (self, password);
}

void
hangar_console_give_fd (HangarConsole *self,
                        gpointer       token,
                        int            fd)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->give_fd != NULL)
    klass->give_fd (self, token, fd);
  else if (fd >= 0)
    close (fd);
}

void
hangar_console_release_grab (HangarConsole *self)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  if (klass->release_grab != NULL)
    klass->release_grab (self);
  hangar_console_set_grabbed (self, FALSE);
}

GtkWidget *
hangar_console_get_display_widget (HangarConsole *self)
{
  HangarConsoleClass *klass = HANGAR_CONSOLE_GET_CLASS (self);

  return klass->get_display_widget != NULL ? klass->get_display_widget (self) : NULL;
}

static void
hangar_console_finalize (GObject *object)
{
  HangarConsolePrivate *priv = hangar_console_get_instance_private (HANGAR_CONSOLE (object));

  g_free (priv->error_message);

  G_OBJECT_CLASS (hangar_console_parent_class)->finalize (object);
}

static void
hangar_console_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  HangarConsole *self = HANGAR_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, hangar_console_get_state (self));
      break;
    case PROP_ERROR_MESSAGE:
      g_value_set_string (value, hangar_console_get_error_message (self));
      break;
    case PROP_GRABBED:
      g_value_set_boolean (value, hangar_console_get_grabbed (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The display gets an X window of its own. A guest's screen updates (a
 * blinking text cursor: several a second on an idle console) then repaint
 * only the display, drawn into that window, instead of every widget from
 * the toplevel down to it (twelve levels in the main window, each with its
 * own background to fill). GDK shapes the window around anything overlaid
 * on it (the status message).
 *
 * GTK 3 paints such a child window without a back buffer and hands the
 * widget a context clipped to the whole window, not to what changed: the
 * SPICE display would then copy its whole guest image for a 9×2 cursor
 * blink. So the window's invalidations are collected here and the paint
 * is clipped to them. */
#define DAMAGE_KEY "hangar-console-damage"

static void
on_window_invalidate (GdkWindow      *window,
                      cairo_region_t *region)
{
  cairo_region_t *damage = g_object_get_data (G_OBJECT (window), DAMAGE_KEY);

  if (damage == NULL)
    g_object_set_data_full (G_OBJECT (window), DAMAGE_KEY, cairo_region_copy (region),
                            (GDestroyNotify) cairo_region_destroy);
  else
    cairo_region_union (damage, region);
}

/* Runs before the widget's own drawing: the clip would not outlast this
 * handler (GTK restores the context after each one), so the widget is drawn
 * from here and the emission stops. */
static gboolean
on_child_draw (GtkWidget     *child,
               cairo_t       *cr,
               HangarConsole *self)
{
  GdkWindow *window = gtk_widget_get_window (child);
  cairo_region_t *damage;

  g_signal_emit (self, signals[SIGNAL_DRAWN], 0);
  if (window == NULL || !gdk_window_has_native (window))
    return GDK_EVENT_PROPAGATE;
  damage = g_object_get_data (G_OBJECT (window), DAMAGE_KEY);
  if (damage == NULL || cairo_region_is_empty (damage))
    {
      /* Nothing collected: paint it all, as GTK asks. */
      g_object_set_data (G_OBJECT (window), DAMAGE_KEY, NULL);
      return GDK_EVENT_PROPAGATE;
    }
  gdk_cairo_region (cr, damage);
  g_object_set_data (G_OBJECT (window), DAMAGE_KEY, NULL);
  cairo_clip (cr);
  GTK_WIDGET_GET_CLASS (child)->draw (child, cr);
  return GDK_EVENT_STOP;
}

static void
on_child_realize (GtkWidget *child)
{
  GdkWindow *window = gtk_widget_get_window (child);

  if (gtk_widget_get_has_window (child) && window != NULL)
    {
      gdk_window_ensure_native (window);
      gdk_window_set_invalidate_handler (window, on_window_invalidate);
    }
}

static void
hangar_console_add (GtkContainer *container,
                    GtkWidget    *child)
{
  GTK_CONTAINER_CLASS (hangar_console_parent_class)->add (container, child);
  g_signal_connect (child, "realize", G_CALLBACK (on_child_realize), NULL);
  g_signal_connect (child, "draw", G_CALLBACK (on_child_draw), container);
  /* Added to a shown console (SPICE makes its display when the channel
   * comes): realized already. */
  if (gtk_widget_get_realized (child))
    on_child_realize (child);
}

static void
hangar_console_remove (GtkContainer *container,
                       GtkWidget    *child)
{
  g_signal_handlers_disconnect_by_func (child, on_child_realize, NULL);
  g_signal_handlers_disconnect_by_func (child, on_child_draw, container);
  GTK_CONTAINER_CLASS (hangar_console_parent_class)->remove (container, child);
}

static void
hangar_console_class_init (HangarConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkContainerClass *container_class = GTK_CONTAINER_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = hangar_console_finalize;
  object_class->get_property = hangar_console_get_property;
  container_class->add = hangar_console_add;
  container_class->remove = hangar_console_remove;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HANGAR_TYPE_CONSOLE_STATE,
                       HANGAR_CONSOLE_STATE_DISCONNECTED, ro);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, ro);
  properties[PROP_GRABBED] = g_param_spec_boolean ("grabbed", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The protocol needs another connection to the display (SPICE channels).
   * Answer with hangar_console_give_fd (self, token, fd). */
  signals[SIGNAL_NEED_FD] =
    g_signal_new ("need-fd", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* The display asks for a password. Answer with hangar_console_set_password. */
  signals[SIGNAL_NEED_PASSWORD] =
    g_signal_new ("need-password", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The display is about to paint (its window changed). */
  signals[SIGNAL_DRAWN] =
    g_signal_new ("drawn", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hangar_console_init (HangarConsole *self)
{
}
