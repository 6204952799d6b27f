/* hangar-embedded.h: the root folder of Hangar's embedded libvirt QEMU driver. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* UNIX socket paths hold at most 107 bytes, and libvirt puts every socket of
 * a VM under the root. The longest it makes for a VM Hangar builds is the
 * guest agent's channel (seen with libvirt 9.0):
 *   ROOT/lib/qemu/channel/target/domain-ID-NAME20/org.qemu.guest_agent.0
 * that is ROOT + 32 + ID + 1 + 20 (the name, cut) + 23. With IDs of up to five
 * digits (they count up with every start while the driver runs), ROOT may be
 * 26 bytes. The monitor, ROOT/lib/qemu/domain-ID-NAME20/monitor.sock, would
 * allow 51. */
#define HANGAR_EMBEDDED_ROOT_MAX 26

char     *hangar_embedded_default_root (char       **notice);
gboolean  hangar_embedded_prepare_root (const char  *root,
                                        GError     **error);
char     *hangar_embedded_uri          (const char  *root);

G_END_DECLS
