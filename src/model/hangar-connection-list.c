/* hangar-connection-list.c: the connections Hangar shows, in order: the
 * embedded one, detected local daemons, then those the user asked for. */
#include "config.h"

#include <glib/gi18n.h>

#include "hangar-connection-list.h"
#include "hangar-embedded.h"

struct _HangarConnectionList
{
  GObject       parent_instance;

  GListStore   *connections;
  HangarOsDb   *os_db;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (HangarConnectionList, hangar_connection_list, G_TYPE_OBJECT)

HangarConnectionList *
hangar_connection_list_new (void)
{
  return g_object_new (HANGAR_TYPE_CONNECTION_LIST, NULL);
}

GListModel *
hangar_connection_list_get_model (HangarConnectionList *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);
  return G_LIST_MODEL (self->connections);
}

HangarOsDb *
hangar_connection_list_get_os_db (HangarConnectionList *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);
  return self->os_db;
}

HangarConnection *
hangar_connection_list_find (HangarConnectionList *self,
                             const char           *uri)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->connections));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (G_LIST_MODEL (self->connections), i);

      if (g_strcmp0 (hangar_connection_get_uri (c), uri) == 0)
        return c;
    }
  return NULL;
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  /* The connection's state and error-message properties carry the outcome. */
  if (!hangar_connection_open_finish (HANGAR_CONNECTION (source), result, &error))
    g_debug ("Opening %s failed: %s", hangar_connection_get_uri (HANGAR_CONNECTION (source)),
             error->message);
}

static HangarConnection *
add_at (HangarConnectionList *self,
        const char           *uri,
        int                   position,
        gboolean              open)
{
  HangarConnection *connection = hangar_connection_list_find (self, uri);
  g_autoptr (HangarConnection) created = NULL;

  if (connection != NULL)
    return connection;

  created = hangar_connection_new (uri, self->os_db);
  if (position < 0)
    g_list_store_append (self->connections, created);
  else
    g_list_store_insert (self->connections, position, created);
  if (open)
    hangar_connection_open_async (created, self->cancellable, on_opened, NULL);
  return created;
}

void
hangar_connection_list_insert (HangarConnectionList *self,
                               HangarConnection     *connection)
{
  g_return_if_fail (HANGAR_IS_CONNECTION_LIST (self));
  g_return_if_fail (HANGAR_IS_CONNECTION (connection));

  if (hangar_connection_list_find (self, hangar_connection_get_uri (connection)) == NULL)
    g_list_store_append (self->connections, connection);
}

HangarConnection *
hangar_connection_list_add_closed (HangarConnectionList *self,
                                   const char           *uri)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  return add_at (self, uri, -1, FALSE);
}

HangarConnection *
hangar_connection_list_find_kind (HangarConnectionList *self,
                                  HangarConnectionKind  kind)
{
  GListModel *model = G_LIST_MODEL (self->connections);

  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) connection = g_list_model_get_item (model, i);

      if (hangar_connection_get_kind (connection) == kind)
        return connection;  /* the store keeps its reference */
    }
  return NULL;
}

HangarConnection *
hangar_connection_list_add (HangarConnectionList *self,
                            const char           *uri)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  return add_at (self, uri, -1, TRUE);
}

void
hangar_connection_list_remove (HangarConnectionList *self,
                               HangarConnection     *connection)
{
  guint position;

  g_return_if_fail (HANGAR_IS_CONNECTION_LIST (self));

  if (!g_list_store_find (self->connections, connection, &position))
    return;
  hangar_connection_close (connection);
  g_list_store_remove (self->connections, position);
}

HangarConnection *
hangar_connection_list_add_embedded (HangarConnectionList  *self,
                                     const char            *root,
                                     char                 **notice,
                                     GError               **error)
{
  g_autofree char *chosen = NULL;
  g_autofree char *uri = NULL;

  g_return_val_if_fail (HANGAR_IS_CONNECTION_LIST (self), NULL);

  if (notice != NULL)
    *notice = NULL;
  chosen = root != NULL ? g_strdup (root) : hangar_embedded_default_root (notice);
  if (!hangar_embedded_prepare_root (chosen, error))
    return NULL;

  uri = hangar_embedded_uri (chosen);
  return add_at (self, uri, 0, TRUE);
}

/* ------------------------------------------------------------------ */
/* Local daemons                                                       */

typedef struct
{
  HangarConnectionList *self;
  char                 *uri;
  GPtrArray            *sockets;
  guint                 next;
} Probe;

static void
probe_free (Probe *probe)
{
  g_object_unref (probe->self);
  g_free (probe->uri);
  g_ptr_array_unref (probe->sockets);
  g_free (probe);
}

static void probe_next (Probe *probe);

static void
on_probe_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr (GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);
  if (connection == NULL)
    {
      probe_next (probe);
      return;
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  if (!g_cancellable_is_cancelled (probe->self->cancellable))
    hangar_connection_list_add (probe->self, probe->uri);
  probe_free (probe);
}

static void
probe_next (Probe *probe)
{
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  if (probe->next >= probe->sockets->len || g_cancellable_is_cancelled (probe->self->cancellable))
    {
      probe_free (probe);
      return;
    }

  address = g_unix_socket_address_new (g_ptr_array_index (probe->sockets, probe->next++));
  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 2);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), probe->self->cancellable,
                                 on_probe_connected, probe);
}

static void
probe_daemon (HangarConnectionList *self,
              const char           *uri,
              const char           *dir)
{
  Probe *probe = g_new0 (Probe, 1);

  probe->self = g_object_ref (self);
  probe->uri = g_strdup (uri);
  probe->sockets = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (probe->sockets, g_build_filename (dir, "virtqemud-sock", NULL));
  g_ptr_array_add (probe->sockets, g_build_filename (dir, "libvirt-sock", NULL));
  probe_next (probe);
}

void
hangar_connection_list_detect_local (HangarConnectionList *self)
{
  g_autofree char *session_dir = NULL;

  g_return_if_fail (HANGAR_IS_CONNECTION_LIST (self));

  session_dir = g_build_filename (g_get_user_runtime_dir (), "libvirt", NULL);
  probe_daemon (self, "qemu:///session", session_dir);
  probe_daemon (self, "qemu:///system", "/run/libvirt");
}

void
hangar_connection_list_close_all (HangarConnectionList *self)
{
  guint n;

  g_return_if_fail (HANGAR_IS_CONNECTION_LIST (self));

  g_cancellable_cancel (self->cancellable);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->connections));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (G_LIST_MODEL (self->connections), i);

      hangar_connection_close (c);
    }
}

/* ------------------------------------------------------------------ */

static void
hangar_connection_list_dispose (GObject *object)
{
  HangarConnectionList *self = HANGAR_CONNECTION_LIST (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->connections);
  g_clear_object (&self->os_db);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (hangar_connection_list_parent_class)->dispose (object);
}

static void
hangar_connection_list_class_init (HangarConnectionListClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hangar_connection_list_dispose;
}

static void
hangar_connection_list_init (HangarConnectionList *self)
{
  self->connections = g_list_store_new (HANGAR_TYPE_CONNECTION);
  self->os_db = hangar_os_db_new ();
  self->cancellable = g_cancellable_new ();
}
