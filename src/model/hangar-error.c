/* hangar-error.c: maps libvirt's error codes onto HANGAR_ERROR codes.
 *
 * libvirt keeps its last error per thread, so these helpers must be called
 * in the thread that made the failing libvirt call. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "hangar-error.h"

G_DEFINE_QUARK (hangar-error-quark, hangar_error)

HangarError
hangar_error_code_from_libvirt (int vir_error_code)
{
  switch (vir_error_code)
    {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_DOMAIN_SNAPSHOT:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_NETWORK:
      return HANGAR_ERROR_NOT_FOUND;

    case VIR_ERR_OPERATION_INVALID:
      return HANGAR_ERROR_INVALID_STATE;

    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_CONFIG_UNSUPPORTED:
      return HANGAR_ERROR_UNSUPPORTED;

    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_INVALID_MAC:
      return HANGAR_ERROR_INVALID_INPUT;

    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_ACCESS_DENIED:
      return HANGAR_ERROR_PERMISSION;

    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_STORAGE_PROBE_FAILED:
      return HANGAR_ERROR_IO;

    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
    case VIR_ERR_NO_SERVER:
      return HANGAR_ERROR_CONNECTION;

    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
      return HANGAR_ERROR_TIMED_OUT;

    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_RESOURCE_BUSY:
      return HANGAR_ERROR_BUSY;

    default:
      return HANGAR_ERROR_FAILED;
    }
}

/* Builds "WHAT: libvirt's message" from the calling thread's last libvirt error. */
GError *
hangar_error_from_libvirt (const char *what)
{
  virErrorPtr verr = virGetLastError ();
  HangarError code = HANGAR_ERROR_FAILED;
  const char *detail = NULL;
  GError *error;

  if (verr != NULL)
    {
      code = hangar_error_code_from_libvirt (verr->code);
      detail = verr->message;
    }

  if (detail != NULL && what != NULL)
    error = g_error_new (HANGAR_ERROR, code, "%s: %s", what, detail);
  else if (detail != NULL)
    error = g_error_new_literal (HANGAR_ERROR, code, detail);
  else
    error = g_error_new_literal (HANGAR_ERROR, code, what ? what : _("Unknown libvirt error"));

  virResetLastError ();
  return error;
}

void
hangar_error_set_from_libvirt (GError     **error,
                               const char  *what)
{
  GError *e = hangar_error_from_libvirt (what);

  g_propagate_error (error, e);
}
