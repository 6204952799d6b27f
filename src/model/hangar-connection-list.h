/* hangar-connection-list.h: every connection Hangar shows: the embedded
 * default, session/system when their daemons answer, and the ones asked for. */
#pragma once

#include <gio/gio.h>

#include "hangar-connection.h"
#include "hangar-os-db.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_CONNECTION_LIST (hangar_connection_list_get_type ())
G_DECLARE_FINAL_TYPE (HangarConnectionList, hangar_connection_list, HANGAR, CONNECTION_LIST, GObject)

HangarConnectionList *hangar_connection_list_new          (void);
GListModel           *hangar_connection_list_get_model    (HangarConnectionList *self);
HangarOsDb           *hangar_connection_list_get_os_db    (HangarConnectionList *self);
HangarConnection     *hangar_connection_list_find         (HangarConnectionList *self,
                                                           const char           *uri);
/* Adds @uri if it is not listed yet and opens it; returns the (borrowed) connection. */
HangarConnection     *hangar_connection_list_add          (HangarConnectionList *self,
                                                           const char           *uri);
/* Lists @uri without opening it (a saved connection not set to autoconnect). */
HangarConnection     *hangar_connection_list_add_closed   (HangarConnectionList *self,
                                                           const char           *uri);
/* Lists @connection (already opened by the caller) unless its URI is listed. */
void                  hangar_connection_list_insert       (HangarConnectionList *self,
                                                           HangarConnection     *connection);
HangarConnection     *hangar_connection_list_find_kind    (HangarConnectionList *self,
                                                           HangarConnectionKind  kind);
void                  hangar_connection_list_remove       (HangarConnectionList *self,
                                                           HangarConnection     *connection);
/* Prepares @root (NULL: the default) and adds the embedded connection first
 * in the list. @notice receives a message for the user, or NULL. */
HangarConnection     *hangar_connection_list_add_embedded (HangarConnectionList  *self,
                                                           const char            *root,
                                                           char                 **notice,
                                                           GError               **error);
/* Probes the session and system daemons' sockets and adds those that answer. */
void                  hangar_connection_list_detect_local (HangarConnectionList *self);
/* Closes every connection (VMs keep running). */
void                  hangar_connection_list_close_all    (HangarConnectionList *self);

G_END_DECLS
