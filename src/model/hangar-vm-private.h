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

/* A lifecycle event of libvirt (virDomainEventType and its detail) for this
 * VM, from its connection's one event callback. */
void hangar_vm_handle_lifecycle_event (HangarVm *self,
                                       int       event,
                                       int       detail);

/* Called after every property notification of @self (NULL: none); the
 * connection listing the VM sets it and clears it when it drops the VM. */
typedef void (*HangarVmChangedFunc) (HangarVm   *vm,
                                     GParamSpec *pspec,
                                     gpointer    user_data);
void hangar_vm_set_changed_func (HangarVm            *self,
                                 HangarVmChangedFunc  func,
                                 gpointer             user_data);

G_END_DECLS
