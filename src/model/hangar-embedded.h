/* hangar-embedded.h: the root folder of Hangar's embedded libvirt QEMU driver. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* QEMU's monitor socket is ROOT/lib/qemu/domain-ID-NAME20/monitor.sock and
 * UNIX socket paths hold at most 107 bytes. */
#define HANGAR_EMBEDDED_ROOT_MAX 48

char     *hangar_embedded_default_root (char       **notice);
gboolean  hangar_embedded_prepare_root (const char  *root,
                                        GError     **error);
char     *hangar_embedded_uri          (const char  *root);

G_END_DECLS
