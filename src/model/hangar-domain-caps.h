/* hangar-domain-caps.h: what the connection's hypervisor offers a domain
 * (libvirt's domain capabilities), for the hardware editor's choices.
 * Blocking: call from a thread. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

typedef struct _HangarDomainCaps HangarDomainCaps;

/* The capabilities for @handle's emulator, architecture, machine and
 * domain type; NULL when the connection has none (the test driver). */
HangarDomainCaps *hangar_domain_caps_read   (virDomainPtr handle);
void              hangar_domain_caps_free   (HangarDomainCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarDomainCaps, hangar_domain_caps_free)

/* The values of <devices><@device><enum name=@name>, e.g. ("disk", "bus");
 * NULL when the capabilities do not list that enum. */
GStrv             hangar_domain_caps_values (HangarDomainCaps *caps,
                                             const char       *device,
                                             const char       *name);
/* The named CPU models the host can run (usable='yes'). */
GStrv             hangar_domain_caps_cpu_models (HangarDomainCaps *caps);

G_END_DECLS
