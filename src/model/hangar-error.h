/* hangar-error.h: the one error domain of Hangar, with codes a UI can act on. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HANGAR_ERROR (hangar_error_quark ())

typedef enum
{
  HANGAR_ERROR_FAILED,         /* anything else; the message says what */
  HANGAR_ERROR_INVALID_INPUT,  /* the user can fix the input */
  HANGAR_ERROR_NOT_FOUND,      /* the VM or object is gone */
  HANGAR_ERROR_BUSY,           /* another operation is under way */
  HANGAR_ERROR_INVALID_STATE,  /* not possible in the VM's current state */
  HANGAR_ERROR_UNSUPPORTED,    /* this connection or hypervisor cannot do it */
  HANGAR_ERROR_IO,             /* files, disks, sockets */
  HANGAR_ERROR_CONNECTION,     /* the connection failed or was lost */
  HANGAR_ERROR_TIMED_OUT,      /* did not finish in time (e.g. ACPI shutdown) */
  HANGAR_ERROR_PERMISSION,     /* access denied or authentication failed */
} HangarError;

GQuark      hangar_error_quark            (void);
HangarError hangar_error_code_from_libvirt (int vir_error_code);
GError     *hangar_error_from_libvirt     (const char *what);
void        hangar_error_set_from_libvirt (GError     **error,
                                           const char  *what);

G_END_DECLS
