/* hangar-vm-page.h: the page of one VM: summary, state and the vm.* actions. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_VM_PAGE (hangar_vm_page_get_type ())
G_DECLARE_FINAL_TYPE (HangarVmPage, hangar_vm_page, HANGAR, VM_PAGE, GtkBox)

GtkWidget *hangar_vm_page_new    (void);
void       hangar_vm_page_set_vm (HangarVmPage *self,
                                  HangarVm     *vm);
HangarVm  *hangar_vm_page_get_vm (HangarVmPage *self);
/* The vm.* actions, for the window to offer their accelerators everywhere. */
GActionGroup *hangar_vm_page_get_actions (HangarVmPage *self);
void       hangar_vm_page_show_console (HangarVmPage *self);
/* The Hardware view, e.g. to customize a new VM before its first start. */
void       hangar_vm_page_show_hardware (HangarVmPage *self);
void       hangar_vm_page_set_connection_title (HangarVmPage *self,
                                                const char   *title);

G_END_DECLS
