/* hangar-uri.h: libvirt connection URIs built from what the Add Connection
 * dialog asks and parsed back, refusing anything that is not a plain user
 * name, host name or address (no shell metacharacters, no option injection). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HANGAR_HYPERVISOR_QEMU_SYSTEM,
  HANGAR_HYPERVISOR_QEMU_SESSION,
  HANGAR_HYPERVISOR_EMBEDDED,
  HANGAR_HYPERVISOR_CUSTOM,
} HangarHypervisor;

typedef enum
{
  HANGAR_TRANSPORT_LOCAL,
  HANGAR_TRANSPORT_SSH,
  HANGAR_TRANSPORT_TLS,
  HANGAR_TRANSPORT_TCP,
} HangarTransport;

typedef struct
{
  HangarHypervisor  hypervisor;
  HangarTransport   transport;   /* LOCAL for a connection on this machine */
  char             *user;        /* NULL or "": the default */
  char             *host;        /* required unless LOCAL */
  guint             port;        /* 0: the transport's default */
  char             *embed_root;  /* EMBEDDED only: the root folder */
  char             *custom_uri;  /* CUSTOM only: the whole URI */
} HangarUriSpec;

void      hangar_uri_spec_clear       (HangarUriSpec *spec);

/* A libvirt URI for @spec, or NULL with a message that names the bad field
 * (G_IO_ERROR_INVALID_ARGUMENT). A CUSTOM spec is checked by parsing it. */
char     *hangar_uri_build            (const HangarUriSpec  *spec,
                                       GError              **error);

/* Fills @spec (cleared first) from @uri; FALSE with a message for anything
 * Hangar would not build itself: unknown driver or transport, a host or user
 * that is not plain, parameters that run programs (command, netcat, proxy). */
gboolean  hangar_uri_parse            (const char           *uri,
                                       HangarUriSpec        *spec,
                                       GError              **error);

/* Plain host names (RFC 1123 labels), IPv4 and IPv6 addresses. */
gboolean  hangar_uri_check_host       (const char           *host,
                                       GError              **error);
/* Letters, digits, "_", "." and "-", not starting with "-", at most 32. */
gboolean  hangar_uri_check_user       (const char           *user,
                                       GError              **error);

G_END_DECLS
