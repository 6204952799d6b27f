/* hangar-uri.c: libvirt URIs, built and parsed with GUri; every host and user
 * name is checked character by character before it can reach libvirt (whose
 * SSH transport passes them to ssh as arguments). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "hangar-uri.h"

#define USER_MAX 32
#define HOST_MAX 253
#define LABEL_MAX 63

/* Query parameters libvirt's remote driver accepts that only choose files,
 * modes or checks; anything else (command, netcat, proxy, …) is refused. */
static const char *const safe_params[] = {
  "keyfile", "known_hosts", "known_hosts_verify", "no_verify", "no_tty", "sshauth",
  "socket", "mode", "pkipath", "tls_priority", "root", NULL,
};

void
hangar_uri_spec_clear (HangarUriSpec *spec)
{
  g_clear_pointer (&spec->user, g_free);
  g_clear_pointer (&spec->host, g_free);
  g_clear_pointer (&spec->embed_root, g_free);
  g_clear_pointer (&spec->custom_uri, g_free);
  spec->hypervisor = HANGAR_HYPERVISOR_QEMU_SYSTEM;
  spec->transport = HANGAR_TRANSPORT_LOCAL;
  spec->port = 0;
}

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
is_ipv4 (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  if (strspn (host, "0123456789.") != strlen (host))
    return FALSE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
}

static gboolean
is_ipv6 (const char *host)
{
  g_autoptr (GInetAddress) address = NULL;

  /* No zone ids ("%eth0"): they would need escaping in the URI. */
  if (strspn (host, "0123456789abcdefABCDEF:.") != strlen (host) || strchr (host, ':') == NULL)
    return FALSE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;
}

static gboolean
is_host_name (const char *host)
{
  g_auto (GStrv) labels = NULL;
  gsize length = strlen (host);

  if (length == 0 || length > HOST_MAX || host[length - 1] == '.')
    return FALSE;
  labels = g_strsplit (host, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      const char *label = labels[i];
      gsize n = strlen (label);

      if (n == 0 || n > LABEL_MAX || label[0] == '-' || label[n - 1] == '-')
        return FALSE;
      for (gsize j = 0; j < n; j++)
        if (!g_ascii_isalnum (label[j]) && label[j] != '-')
          return FALSE;
    }
  /* All digits and dots would be a malformed IPv4 address. */
  return strspn (host, "0123456789.") != length;
}

gboolean
hangar_uri_check_host (const char  *host,
                       GError     **error)
{
  if (host == NULL || *host == '\0')
    return invalid (error, _("Enter the host’s name or address."));
  if (host[0] == '-')
    return invalid (error, _("A host name cannot start with “-”."));
  if (is_ipv4 (host) || is_ipv6 (host) || is_host_name (host))
    return TRUE;
  return invalid (error,
                  _("“%s” is not a host name or address: use letters, digits, “-” and “.”, "
                    "or an IPv4 or IPv6 address."), host);
}

gboolean
hangar_uri_check_user (const char  *user,
                       GError     **error)
{
  gsize length;

  if (user == NULL || *user == '\0')
    return TRUE;
  length = strlen (user);
  if (user[0] == '-')
    return invalid (error, _("A user name cannot start with “-”."));
  if (length > USER_MAX)
    return invalid (error, _("A user name has at most %d characters."), USER_MAX);
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (user[i]) && user[i] != '_' && user[i] != '.' && user[i] != '-')
      return invalid (error,
                      _("“%s” is not a user name: use letters, digits, “_”, “.” and “-”."),
                      user);
  return TRUE;
}

static const char *
transport_suffix (HangarTransport transport)
{
  switch (transport)
    {
    case HANGAR_TRANSPORT_SSH: return "+ssh";
    case HANGAR_TRANSPORT_TLS: return "+tls";
    case HANGAR_TRANSPORT_TCP: return "+tcp";
    case HANGAR_TRANSPORT_LOCAL:
    default: return "";
    }
}

static gboolean
check_embed_root (const char  *root,
                  GError     **error)
{
  if (root == NULL || !g_path_is_absolute (root))
    return invalid (error, _("The embedded connection needs the full path of its folder."));
  for (const char *p = root; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p))
      return invalid (error, _("The folder’s path contains control characters."));
  return TRUE;
}

char *
hangar_uri_build (const HangarUriSpec  *spec,
                  GError              **error)
{
  g_autoptr (GString) uri = g_string_new ("qemu");
  const char *path;

  g_return_val_if_fail (spec != NULL, NULL);

  switch (spec->hypervisor)
    {
    case HANGAR_HYPERVISOR_CUSTOM:
      {
        HangarUriSpec parsed = { 0 };

        if (!hangar_uri_parse (spec->custom_uri, &parsed, error))
          return NULL;
        hangar_uri_spec_clear (&parsed);
        return g_strdup (spec->custom_uri);
      }
    case HANGAR_HYPERVISOR_EMBEDDED:
      {
        g_autofree char *escaped = NULL;

        if (spec->transport != HANGAR_TRANSPORT_LOCAL)
          return (invalid (error, _("The embedded connection only exists on this computer.")), NULL);
        if (!check_embed_root (spec->embed_root, error))
          return NULL;
        escaped = g_uri_escape_string (spec->embed_root, "/", FALSE);
        return g_strdup_printf ("qemu:///embed?root=%s", escaped);
      }
    case HANGAR_HYPERVISOR_QEMU_SESSION:
      path = "/session";
      break;
    case HANGAR_HYPERVISOR_QEMU_SYSTEM:
    default:
      path = "/system";
      break;
    }

  if (spec->transport == HANGAR_TRANSPORT_LOCAL)
    {
      g_string_append_printf (uri, "://%s", path);
      return g_string_free (g_steal_pointer (&uri), FALSE);
    }

  if (!hangar_uri_check_user (spec->user, error) || !hangar_uri_check_host (spec->host, error))
    return NULL;
  if (spec->port > 65535)
    return (invalid (error, _("A port is a number from 1 to 65535.")), NULL);

  g_string_append_printf (uri, "%s://", transport_suffix (spec->transport));
  if (spec->user != NULL && *spec->user != '\0')
    g_string_append_printf (uri, "%s@", spec->user);
  if (is_ipv6 (spec->host))
    g_string_append_printf (uri, "[%s]", spec->host);
  else
    g_string_append (uri, spec->host);
  if (spec->port != 0)
    g_string_append_printf (uri, ":%u", spec->port);
  g_string_append (uri, path);
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

static gboolean
parse_scheme (const char       *scheme,
              HangarTransport  *transport,
              GError          **error)
{
  const char *plus = strchr (scheme, '+');
  g_autofree char *driver = plus ? g_strndup (scheme, plus - scheme) : g_strdup (scheme);

  if (g_ascii_strcasecmp (driver, "qemu") != 0)
    return invalid (error, _("Hangar manages QEMU/KVM: the address must start with “qemu”."));
  if (plus == NULL)
    *transport = HANGAR_TRANSPORT_LOCAL;
  else if (g_ascii_strcasecmp (plus + 1, "ssh") == 0)
    *transport = HANGAR_TRANSPORT_SSH;
  else if (g_ascii_strcasecmp (plus + 1, "tls") == 0)
    *transport = HANGAR_TRANSPORT_TLS;
  else if (g_ascii_strcasecmp (plus + 1, "tcp") == 0)
    *transport = HANGAR_TRANSPORT_TCP;
  else if (g_ascii_strcasecmp (plus + 1, "unix") == 0)
    *transport = HANGAR_TRANSPORT_LOCAL;
  else
    return invalid (error, _("Unknown transport “%s”: use ssh, tls or tcp."), plus + 1);
  return TRUE;
}

static gboolean
parse_query (const char  *query,
             char       **root,
             GError     **error)
{
  g_autoptr (GHashTable) params = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (query == NULL || *query == '\0')
    return TRUE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, error);
  if (params == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_strv_contains (safe_params, key))
        return invalid (error,
                        _("The parameter “%s” is not allowed: it would run a program."),
                        (const char *) key);
      for (const char *p = value; *p != '\0'; p++)
        if (g_ascii_iscntrl (*p))
          return invalid (error, _("The parameter “%s” contains control characters."),
                          (const char *) key);
      if (g_str_equal (key, "root"))
        {
          g_free (*root);
          *root = g_strdup (value);
        }
    }
  return TRUE;
}

gboolean
hangar_uri_parse (const char     *uri,
                  HangarUriSpec  *spec,
                  GError        **error)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *root = NULL;
  const char *host, *user, *path;
  HangarTransport transport = HANGAR_TRANSPORT_LOCAL;
  int port;

  g_return_val_if_fail (spec != NULL, FALSE);
  hangar_uri_spec_clear (spec);

  if (uri == NULL || *uri == '\0')
    return invalid (error, _("Enter a connection address, such as qemu:///system."));
  for (const char *p = uri; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p) || *p == ' ')
      return invalid (error, _("A connection address has no spaces or control characters."));

  parsed = g_uri_parse (uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_HAS_PASSWORD, &local_error);
  if (parsed == NULL)
    return invalid (error, _("“%s” is not a connection address: %s"), uri, local_error->message);
  if (g_uri_get_password (parsed) != NULL)
    return invalid (error, _("Do not put a password in the address: Hangar asks for it."));
  if (g_uri_get_fragment (parsed) != NULL)
    return invalid (error, _("A connection address has no “#” part."));
  if (!parse_scheme (g_uri_get_scheme (parsed), &transport, error))
    return FALSE;

  host = g_uri_get_host (parsed);
  user = g_uri_get_user (parsed);
  port = g_uri_get_port (parsed);
  path = g_uri_get_path (parsed);
  if (host != NULL && *host == '\0')
    host = NULL;
  if (user != NULL && *user == '\0')
    user = NULL;

  if (transport == HANGAR_TRANSPORT_LOCAL && (host != NULL || user != NULL || port != -1))
    {
      if (strchr (g_uri_get_scheme (parsed), '+') != NULL)
        return invalid (error, _("A local connection has no host, user or port."));
      /* Plain qemu://host/system means TLS in libvirt. */
      transport = HANGAR_TRANSPORT_TLS;
    }
  if (transport != HANGAR_TRANSPORT_LOCAL)
    {
      if (!hangar_uri_check_host (host, error) || !hangar_uri_check_user (user, error))
        return FALSE;
      if (port == 0)
        return invalid (error, _("A port is a number from 1 to 65535."));
    }
  if (!parse_query (g_uri_get_query (parsed), &root, error))
    return FALSE;

  if (g_strcmp0 (path, "/system") == 0)
    spec->hypervisor = HANGAR_HYPERVISOR_QEMU_SYSTEM;
  else if (g_strcmp0 (path, "/session") == 0)
    spec->hypervisor = HANGAR_HYPERVISOR_QEMU_SESSION;
  else if (g_strcmp0 (path, "/embed") == 0 && transport == HANGAR_TRANSPORT_LOCAL)
    {
      if (!check_embed_root (root, error))
        return FALSE;
      spec->hypervisor = HANGAR_HYPERVISOR_EMBEDDED;
      spec->embed_root = g_steal_pointer (&root);
    }
  else
    return invalid (error, _("The address must end in /system or /session (or /embed?root=…)."));

  spec->transport = transport;
  spec->user = g_strdup (user);
  spec->host = g_strdup (host);
  spec->port = port > 0 ? (guint) port : 0;
  return TRUE;
}
