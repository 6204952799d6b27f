/* hangar-device-form.h: the fields of one device (HangarDevice) as a form:
 * entries, drop-downs and check boxes named after the fields, hints under
 * them, and the device's XML. The same form edits a device on its hardware
 * page and a new one in the Add Hardware dialog. */
#pragma once

#include <gtk/gtk.h>

#include "hangar-vm-device.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_DEVICE_FORM (hangar_device_form_get_type ())
G_DECLARE_FINAL_TYPE (HangarDeviceForm, hangar_device_form, HANGAR, DEVICE_FORM, GtkGrid)

/* @device must outlive the form. @remote: paths are on another host, so
 * no file chooser is offered. */
/* @xml_editable: the device's XML can be edited and saved ("save-xml"
 * signal, with the text). */
GtkWidget    *hangar_device_form_new        (HangarDevice *device,
                                             gboolean      remote,
                                             gboolean      xml_editable);
HangarDevice *hangar_device_form_get_device (HangarDeviceForm *self);
/* key -> value of every editable field, as the form holds them now. */
GHashTable   *hangar_device_form_get_values (HangarDeviceForm *self);
/* Whether a value differs from what the device had. */
gboolean      hangar_device_form_is_dirty   (HangarDeviceForm *self);
/* Puts the device's values back. */
void          hangar_device_form_revert     (HangarDeviceForm *self);

G_END_DECLS
