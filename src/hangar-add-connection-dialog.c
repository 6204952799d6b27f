/* hangar-add-connection-dialog.c: the Add Connection dialog. Every change
 * rebuilds the URI with hangar-uri and shows it, or the reason it cannot be
 * built; Connect opens a HangarConnection off the main loop, and Cancel
 * stops the attempt at once. Only a connection that opened is listed and
 * saved (GSettings saved-connections, autoconnect-connections). */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hangar-add-connection-dialog.h"
#include "hangar-widget-util.h"
#include "hangar-uri.h"

struct _HangarAddConnectionDialog
{
  GtkDialog             parent_instance;

  GtkComboBoxText      *hypervisor_combo;
  GtkToggleButton      *remote_check;
  GtkWidget            *transport_label;
  GtkComboBoxText      *transport_combo;
  GtkWidget            *user_label;
  GtkEntry             *user_entry;
  GtkWidget            *host_label;
  GtkEntry             *host_entry;
  GtkWidget            *port_label;
  GtkSpinButton        *port_spin;
  GtkWidget            *folder_label;
  GtkEntry             *folder_entry;
  GtkWidget            *custom_label;
  GtkEntry             *custom_entry;
  GtkToggleButton      *autoconnect_check;
  GtkLabel             *uri_label;
  GtkWidget            *copy_button;
  GtkSpinner           *spinner;
  GtkLabel             *status_label;
  GtkButton            *cancel_button;
  GtkWidget            *connect_button;

  HangarConnectionList *connections;
  GSettings            *settings;
  char                 *uri;        /* built from the fields, or NULL */
  HangarConnection     *attempt;    /* being opened */
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (HangarAddConnectionDialog, hangar_add_connection_dialog, GTK_TYPE_DIALOG)

enum
{
  SIGNAL_CONNECTION_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_status (HangarAddConnectionDialog *self,
            const char                *text,
            gboolean                   is_error)
{
  hangar_label_set_status (self->status_label, text, is_error);
}

static gboolean
is_test_uri (const char *uri)
{
  return g_str_has_prefix (uri, "test:///");
}

/* The URI the fields describe, or NULL with the reason. */
static char *
build_uri (HangarAddConnectionDialog  *self,
           GError                    **error)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->hypervisor_combo));
  const char *transport = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->transport_combo));
  HangarUriSpec spec = { 0 };

  if (g_strcmp0 (id, "custom") == 0)
    {
      const char *text = gtk_entry_get_text (self->custom_entry);

      /* libvirt's test driver: no host, no transport, handy to try Hangar. */
      if (is_test_uri (text) && strpbrk (text, " \t\r\n") == NULL)
        return g_strdup (text);
      spec.hypervisor = HANGAR_HYPERVISOR_CUSTOM;
      spec.custom_uri = (char *) text;
      return hangar_uri_build (&spec, error);
    }
  if (g_strcmp0 (id, "embedded") == 0)
    {
      spec.hypervisor = HANGAR_HYPERVISOR_EMBEDDED;
      spec.embed_root = (char *) gtk_entry_get_text (self->folder_entry);
      return hangar_uri_build (&spec, error);
    }

  spec.hypervisor = g_strcmp0 (id, "session") == 0 ? HANGAR_HYPERVISOR_QEMU_SESSION
                                                   : HANGAR_HYPERVISOR_QEMU_SYSTEM;
  if (gtk_toggle_button_get_active (self->remote_check))
    {
      spec.transport = g_strcmp0 (transport, "tls") == 0 ? HANGAR_TRANSPORT_TLS
                       : g_strcmp0 (transport, "tcp") == 0 ? HANGAR_TRANSPORT_TCP
                       : HANGAR_TRANSPORT_SSH;
      spec.user = (char *) gtk_entry_get_text (self->user_entry);
      spec.host = (char *) gtk_entry_get_text (self->host_entry);
      spec.port = (guint) gtk_spin_button_get_value_as_int (self->port_spin);
    }
  return hangar_uri_build (&spec, error);
}

static void
update_sensitivity (HangarAddConnectionDialog *self)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->hypervisor_combo));
  gboolean busy = self->attempt != NULL;
  gboolean qemu = g_strcmp0 (id, "system") == 0 || g_strcmp0 (id, "session") == 0;
  gboolean remote = qemu && gtk_toggle_button_get_active (self->remote_check);
  gboolean embedded = g_strcmp0 (id, "embedded") == 0;
  gboolean custom = g_strcmp0 (id, "custom") == 0;

  gtk_widget_set_sensitive (GTK_WIDGET (self->hypervisor_combo), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remote_check), qemu && !busy);
  gtk_widget_set_visible (self->transport_label, remote);
  gtk_widget_set_visible (GTK_WIDGET (self->transport_combo), remote);
  gtk_widget_set_visible (self->user_label, remote);
  gtk_widget_set_visible (GTK_WIDGET (self->user_entry), remote);
  gtk_widget_set_visible (self->host_label, remote);
  gtk_widget_set_visible (GTK_WIDGET (self->host_entry), remote);
  gtk_widget_set_visible (self->port_label, remote);
  gtk_widget_set_visible (GTK_WIDGET (self->port_spin), remote);
  gtk_widget_set_visible (self->folder_label, embedded);
  gtk_widget_set_visible (GTK_WIDGET (self->folder_entry), embedded);
  gtk_widget_set_visible (self->custom_label, custom);
  gtk_widget_set_visible (GTK_WIDGET (self->custom_entry), custom);
  gtk_widget_set_sensitive (GTK_WIDGET (self->transport_combo), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->host_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->port_spin), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->folder_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->custom_entry), !busy);
  gtk_widget_set_sensitive (self->copy_button, self->uri != NULL);
  gtk_widget_set_sensitive (self->connect_button, self->uri != NULL && !busy);
  gtk_button_set_label (self->cancel_button, busy ? _("_Cancel") : _("_Close"));
}

static void
on_changed (HangarAddConnectionDialog *self)
{
  g_autoptr (GError) error = NULL;
  const char *id;

  if (self->connections == NULL)
    return;  /* still being built */
  id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->hypervisor_combo));
  g_clear_pointer (&self->uri, g_free);
  self->uri = build_uri (self, &error);
  if (self->uri != NULL &&
      hangar_connection_list_find (self->connections, self->uri) != NULL)
    {
      g_clear_pointer (&self->uri, g_free);
      set_status (self, _("This connection is already in the list."), TRUE);
    }
  else if (self->uri != NULL && g_strcmp0 (id, "embedded") == 0 &&
           hangar_connection_list_find_kind (self->connections,
                                             HANGAR_CONNECTION_KIND_EMBEDDED) != NULL)
    {
      /* libvirt runs one embedded QEMU driver per process. */
      g_clear_pointer (&self->uri, g_free);
      set_status (self, _("Hangar already has an embedded connection (“This computer”); "
                          "a second folder needs another Hangar started with "
                          "--connect."), TRUE);
    }
  else if (self->uri == NULL)
    {
      /* Nothing typed yet is not an error worth red text. */
      gboolean empty = gtk_toggle_button_get_active (self->remote_check)
                       ? *gtk_entry_get_text (self->host_entry) == '\0'
                       : g_strcmp0 (id, "custom") == 0
                         ? *gtk_entry_get_text (self->custom_entry) == '\0'
                         : *gtk_entry_get_text (self->folder_entry) == '\0';

      set_status (self, error->message, !empty);
    }
  else
    set_status (self, NULL, FALSE);
  gtk_label_set_text (self->uri_label, self->uri != NULL ? self->uri : "");
  update_sensitivity (self);
}

static void
on_copy (HangarAddConnectionDialog *self)
{
  if (self->uri != NULL)
    gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD),
                            self->uri, -1);
}

static void
save_connection (HangarAddConnectionDialog *self,
                 const char                *uri)
{
  const char *keys[] = { "saved-connections", "autoconnect-connections" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_auto (GStrv) old = NULL;
      g_autoptr (GStrvBuilder) builder = NULL;
      g_auto (GStrv) updated = NULL;

      if (i == 1 && !gtk_toggle_button_get_active (self->autoconnect_check))
        continue;
      old = g_settings_get_strv (self->settings, keys[i]);
      if (g_strv_contains ((const char *const *) old, uri))
        continue;
      builder = g_strv_builder_new ();
      g_strv_builder_addv (builder, (const char **) old);
      g_strv_builder_add (builder, uri);
      updated = g_strv_builder_end (builder);
      g_settings_set_strv (self->settings, keys[i], (const char *const *) updated);
    }
}

static void
finish_attempt (HangarAddConnectionDialog *self)
{
  g_clear_object (&self->attempt);
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  gtk_widget_hide (GTK_WIDGET (self->spinner));
  update_sensitivity (self);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (HangarAddConnectionDialog) self = user_data;
  HangarConnection *connection = HANGAR_CONNECTION (source);
  g_autoptr (GError) error = NULL;

  if (!hangar_connection_open_finish (connection, result, &error))
    {
      if (connection != self->attempt)
        return;  /* an attempt the user already cancelled */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_status (self, _("Cancelled. Nothing was added."), FALSE);
      else
        {
          g_autofree char *text = g_strdup_printf (_("Could not connect: %s"), error->message);

          set_status (self, text, TRUE);
        }
      finish_attempt (self);
      return;
    }

  if (connection != self->attempt)
    {
      hangar_connection_close (connection);
      return;
    }
  hangar_connection_list_insert (self->connections, connection);
  save_connection (self, hangar_connection_get_uri (connection));
  g_signal_emit (self, signals[SIGNAL_CONNECTION_ADDED], 0, connection);
  finish_attempt (self);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
on_connect_clicked (HangarAddConnectionDialog *self)
{
  g_autofree char *text = NULL;

  if (self->uri == NULL || self->attempt != NULL)
    return;
  self->cancellable = g_cancellable_new ();
  self->attempt = hangar_connection_new (self->uri,
                                         hangar_connection_list_get_os_db (self->connections));
  hangar_connection_open_async (self->attempt, self->cancellable, on_opened, g_object_ref (self));
  /* Translators: %s is a libvirt URI */
  text = g_strdup_printf (_("Connecting to %s…"), self->uri);
  set_status (self, text, FALSE);
  gtk_widget_show (GTK_WIDGET (self->spinner));
  gtk_spinner_start (self->spinner);
  update_sensitivity (self);
}

static void
on_cancel_clicked (HangarAddConnectionDialog *self)
{
  if (self->attempt == NULL)
    {
      gtk_widget_destroy (GTK_WIDGET (self));
      return;
    }
  /* The open returns at once (its thread may go on waiting on its own). */
  g_cancellable_cancel (self->cancellable);
}

GtkWidget *
hangar_add_connection_dialog_new (GtkWindow            *parent,
                                  HangarConnectionList *connections)
{
  HangarAddConnectionDialog *self;

  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (connections), NULL);

  self = g_object_new (HANGAR_TYPE_ADD_CONNECTION_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "use-header-bar", FALSE,
                       NULL);
  self->connections = g_object_ref (connections);
  on_changed (self);
  return GTK_WIDGET (self);
}

static void
hangar_add_connection_dialog_dispose (GObject *object)
{
  HangarAddConnectionDialog *self = HANGAR_ADD_CONNECTION_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->attempt);
  g_clear_object (&self->connections);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->uri, g_free);

  G_OBJECT_CLASS (hangar_add_connection_dialog_parent_class)->dispose (object);
}

static void
hangar_add_connection_dialog_class_init (HangarAddConnectionDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hangar_add_connection_dialog_dispose;

  signals[SIGNAL_CONNECTION_ADDED] =
    g_signal_new ("connection-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, HANGAR_TYPE_CONNECTION);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/hangarvm/Hangar/ui/add-connection-dialog.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, HangarAddConnectionDialog, name)
  BIND (hypervisor_combo);
  BIND (remote_check);
  BIND (transport_label);
  BIND (transport_combo);
  BIND (user_label);
  BIND (user_entry);
  BIND (host_label);
  BIND (host_entry);
  BIND (port_label);
  BIND (port_spin);
  BIND (folder_label);
  BIND (folder_entry);
  BIND (custom_label);
  BIND (custom_entry);
  BIND (autoconnect_check);
  BIND (uri_label);
  BIND (copy_button);
  BIND (spinner);
  BIND (status_label);
  BIND (cancel_button);
  BIND (connect_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_copy);
  gtk_widget_class_bind_template_callback (widget_class, on_connect_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
}

static void
hangar_add_connection_dialog_init (HangarAddConnectionDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  gtk_widget_grab_default (self->connect_button);
}
