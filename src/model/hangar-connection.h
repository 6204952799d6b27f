/* hangar-connection.h: one libvirt connection and the list of its VMs. */
#pragma once

#include <gio/gio.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include "hangar-os-db.h"
#include "hangar-vm.h"

G_BEGIN_DECLS

typedef enum
{
  HANGAR_CONNECTION_STATE_DISCONNECTED,
  HANGAR_CONNECTION_STATE_CONNECTING,
  HANGAR_CONNECTION_STATE_CONNECTED,
  HANGAR_CONNECTION_STATE_FAILED,
} HangarConnectionState;

typedef enum
{
  HANGAR_CONNECTION_KIND_EMBEDDED,
  HANGAR_CONNECTION_KIND_SESSION,
  HANGAR_CONNECTION_KIND_SYSTEM,
  HANGAR_CONNECTION_KIND_REMOTE,
  HANGAR_CONNECTION_KIND_TEST,
  HANGAR_CONNECTION_KIND_OTHER,
} HangarConnectionKind;

#define HANGAR_TYPE_CONNECTION (hangar_connection_get_type ())
G_DECLARE_FINAL_TYPE (HangarConnection, hangar_connection, HANGAR, CONNECTION, GObject)

HangarConnection      *hangar_connection_new            (const char *uri,
                                                         HangarOsDb *os_db);
const char            *hangar_connection_get_uri        (HangarConnection *self);
const char            *hangar_connection_get_title      (HangarConnection *self);
void                   hangar_connection_set_title      (HangarConnection *self,
                                                         const char       *title);
HangarConnectionKind   hangar_connection_get_kind       (HangarConnection *self);
HangarConnectionState  hangar_connection_get_state      (HangarConnection *self);
const char            *hangar_connection_get_error_message (HangarConnection *self);
GListModel            *hangar_connection_get_vms        (HangarConnection *self);
HangarVm              *hangar_connection_find_vm        (HangarConnection *self,
                                                         const char       *name);
GVirConnection        *hangar_connection_get_gvir       (HangarConnection *self);
HangarConnectionKind   hangar_connection_kind_for_uri   (const char *uri);

void                   hangar_connection_open_async     (HangarConnection    *self,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean               hangar_connection_open_finish    (HangarConnection  *self,
                                                         GAsyncResult      *result,
                                                         GError           **error);
void                   hangar_connection_close          (HangarConnection *self);

/* Seconds an open may take before it fails with HANGAR_ERROR_TIMED_OUT
 * ("The host did not answer…"); 0 waits for ever. Remote connections start
 * with HANGAR_CONNECTION_OPEN_TIMEOUT, local ones with 0. */
#define HANGAR_CONNECTION_OPEN_TIMEOUT 30
void                   hangar_connection_set_open_timeout (HangarConnection *self,
                                                           guint             seconds);
/* Seconds until the next automatic reconnect of a remote connection whose
 * link was lost, or 0 when none is planned. */
guint                  hangar_connection_get_retry_delay (HangarConnection *self);

G_END_DECLS
