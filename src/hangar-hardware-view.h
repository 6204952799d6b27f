/* hangar-hardware-view.h: the VM page's Hardware view: general settings,
 * CPUs, memory, boot options, a page per device, Add Hardware and Remove,
 * the domain XML, with Apply and Revert. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_HARDWARE_VIEW (hangar_hardware_view_get_type ())
G_DECLARE_FINAL_TYPE (HangarHardwareView, hangar_hardware_view, HANGAR, HARDWARE_VIEW, GtkBox)

void hangar_hardware_view_set_vm (HangarHardwareView *self,
                                  HangarVm           *vm);
/* Reads the VM's configuration again (after a change made elsewhere). */
void hangar_hardware_view_reload (HangarHardwareView *self);
/* The same, unless there are unsaved edits or a change is being saved. */
void hangar_hardware_view_refresh (HangarHardwareView *self);

G_END_DECLS
