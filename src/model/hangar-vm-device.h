/* hangar-vm-device.h: a VM's devices as the hardware editor shows them, each
 * one a list of fields (bus, cache, model, MAC, …) read from and written to
 * its persistent configuration; adding and removing devices; the whole
 * domain XML. Every libvirt call runs in a GTask thread. */
#pragma once

#include <gio/gio.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

typedef enum
{
  HANGAR_DEVICE_DISK,
  HANGAR_DEVICE_CDROM,
  HANGAR_DEVICE_NIC,
  HANGAR_DEVICE_GRAPHICS,
  HANGAR_DEVICE_VIDEO,
  HANGAR_DEVICE_SOUND,
  HANGAR_DEVICE_INPUT,
  HANGAR_DEVICE_SERIAL,
  HANGAR_DEVICE_CONSOLE,
  HANGAR_DEVICE_CHANNEL,
  HANGAR_DEVICE_REDIRDEV,
  HANGAR_DEVICE_CONTROLLER,
  HANGAR_DEVICE_TPM,
  HANGAR_DEVICE_RNG,
  HANGAR_DEVICE_WATCHDOG,
  HANGAR_DEVICE_FILESYSTEM,
  HANGAR_DEVICE_HOSTDEV,
  HANGAR_DEVICE_MEMBALLOON,
  HANGAR_DEVICE_OTHER,
  HANGAR_DEVICE_N_KINDS
} HangarDeviceKind;

typedef enum
{
  HANGAR_FIELD_INFO,     /* shown, not editable */
  HANGAR_FIELD_TEXT,
  HANGAR_FIELD_SECRET,   /* a password: masked */
  HANGAR_FIELD_CHOICE,
  HANGAR_FIELD_BOOL,     /* value "yes" or "no" */
  HANGAR_FIELD_FILE,     /* a path to a file on the VM's host */
  HANGAR_FIELD_FOLDER,   /* a path to a folder on the VM's host */
} HangarFieldType;

typedef struct
{
  const char     *key;           /* "bus", "cache", "mac", … */
  const char     *label;         /* translated, also the accessible name */
  const char     *hint;          /* translated explanation, or NULL */
  HangarFieldType type;
  GStrv           choices;       /* CHOICE: the values… */
  GStrv           choice_labels; /* …and what the user reads */
  char           *value;         /* NULL or "" when unset */
  gboolean        live;          /* a change also applies to a running VM */
} HangarDeviceField;

typedef struct
{
  HangarDeviceKind kind;
  guint            position;  /* among <devices> children of the saved config */
  char            *key;       /* what identifies it there: target, MAC, … */
  char            *title;     /* translated: "Disk vda", "Network interface" */
  char            *xml;       /* its XML, without secrets */
  GPtrArray       *fields;    /* HangarDeviceField */
  gboolean         removable;
} HangarDevice;

void               hangar_device_free          (HangarDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarDevice, hangar_device_free)

const char        *hangar_device_kind_to_label (HangarDeviceKind kind);
HangarDeviceField *hangar_device_get_field     (HangarDevice *device,
                                                const char   *key);

/* Whether field @key matters with the form's other @values: a NIC's network
 * name not for user-mode networking, a display's port not when it listens
 * on nothing, a new disk's size not for an existing image… */
gboolean           hangar_device_field_applies (HangarDevice *device,
                                                const char   *key,
                                                GHashTable   *values);

/* The saved configuration's devices (GPtrArray of HangarDevice, in the
 * domain's order), with choices the connection offers. */
void       hangar_vm_list_devices_async  (HangarVm            *vm,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
GPtrArray *hangar_vm_list_devices_finish (HangarVm      *vm,
                                          GAsyncResult  *result,
                                          GError       **error);

/* The kinds the Add Hardware dialog offers, and a blank device of @kind
 * whose fields have their defaults, for the VM's connection. */
gboolean   hangar_device_kind_is_addable  (HangarDeviceKind kind);
void       hangar_vm_new_device_async     (HangarVm            *vm,
                                           HangarDeviceKind     kind,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
HangarDevice *hangar_vm_new_device_finish (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           GError       **error);

/* Checks the values (key -> value) a form holds for @device: FALSE with
 * HANGAR_ERROR_INVALID_INPUT and the reason. */
gboolean   hangar_device_check            (HangarDevice  *device,
                                           GHashTable    *values,
                                           GError       **error);

/* Writes the changed @values of @device to the saved configuration, and to
 * the running VM where libvirt can (link state). *@pending: some change
 * waits for the VM to be shut down. */
void       hangar_vm_apply_device_async   (HangarVm            *vm,
                                           HangarDevice        *device,
                                           GHashTable          *values,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean   hangar_vm_apply_device_finish  (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           gboolean      *pending,
                                           GError       **error);

/* Adds a device made from @blank (from hangar_vm_new_device_async) and
 * @values: to the saved configuration, and hot-plugged into a running VM
 * for disks, CD-ROMs and NICs. A new disk image is created first and
 * removed again if the VM's configuration refuses the disk. */
void       hangar_vm_add_device_async     (HangarVm            *vm,
                                           HangarDevice        *blank,
                                           GHashTable          *values,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean   hangar_vm_add_device_finish    (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           gboolean      *pending,
                                           GError       **error);

/* Removes @device from the saved configuration (and unplugs disks and NICs
 * from a running VM). Disk images stay where they are. */
void       hangar_vm_remove_device_async  (HangarVm            *vm,
                                           HangarDevice        *device,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean   hangar_vm_remove_device_finish (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           gboolean      *pending,
                                           GError       **error);

/* Replaces @device's element in the saved configuration with @xml (the
 * same kind of element), after libvirt validated the whole domain; nothing
 * changes when it refuses. *@pending as for apply. */
void       hangar_vm_define_device_xml_async  (HangarVm            *vm,
                                               HangarDevice        *device,
                                               const char          *xml,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean   hangar_vm_define_device_xml_finish (HangarVm      *vm,
                                               GAsyncResult  *result,
                                               gboolean      *pending,
                                               GError       **error);

/* The saved configuration as XML; with @secure, including passwords. */
void       hangar_vm_get_xml_async        (HangarVm            *vm,
                                           gboolean             secure,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
char      *hangar_vm_get_xml_finish       (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           GError       **error);

/* Replaces the saved configuration with @xml after libvirt validated it
 * against its schema; the VM's UUID and name must stay. Nothing changes
 * when libvirt refuses it (its message is the error). */
void       hangar_vm_define_xml_async     (HangarVm            *vm,
                                           const char          *xml,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean   hangar_vm_define_xml_finish    (HangarVm      *vm,
                                           GAsyncResult  *result,
                                           GError       **error);

G_END_DECLS
