/* hangar-vm-private.h: helpers for the model's own files that act on a VM. */
#pragma once

#include "hangar-vm.h"

G_BEGIN_DECLS

/* Runs @thread_func in a GTask thread with the VM's GVirDomain as task data:
 * the shape of every one-call libvirt request on a VM. */
void hangar_vm_run_domain_task (HangarVm            *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data,
                                gpointer             source_tag,
                                GTaskThreadFunc      thread_func);

/* After a rename libvirt-gobject does not report (4.0 ignores the event). */
void hangar_vm_update_name (HangarVm   *self,
                            const char *name);

G_END_DECLS
