/* hangar-vm-settings.h: a VM's general settings as the hardware editor shows
 * them (name, title, description, CPUs, memory, devices), read from and
 * written to its persistent configuration with libvirt-gconfig. */
#pragma once

#include <gio/gio.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

typedef struct
{
  char     *name;
  char     *title;
  char     *description;
  char     *uuid;
  char     *machine;
  gboolean  uefi;
  guint     vcpus;
  guint64   memory_mib;          /* maximum */
  guint64   current_memory_mib;  /* the balloon's target */
  GPtrArray *devices;            /* char *: one line per device, read-only */
  char     *cdrom_target;        /* the first CD-ROM drive (sda…), or NULL */
  char     *cdrom_source;        /* its medium, or NULL when empty */

  /* Overview */
  char     *firmware;            /* "bios", "efi" or "efi-secure" */
  gboolean  autostart;           /* start with the host (libvirtd) */
  gboolean  active;              /* read-only: the VM runs */
  gboolean  secure_boot;         /* read-only: the host's OVMF has Secure Boot */
  /* CPUs */
  guint     max_vcpus;           /* hot-plug ceiling; vcpus is the current count */
  char     *cpu_mode;            /* NULL (hypervisor default), "host-passthrough",
                                  * "host-model" or a named model */
  GStrv     cpu_models;          /* read-only: named models the host offers */
  guint     sockets, cores, threads;  /* 0: no topology */
  /* Memory */
  gboolean  shared_memory;       /* needed by virtiofs */
  /* Boot */
  GStrv     boot_order;          /* "hd", "cdrom", "network", "fd" in order */
  gboolean  boot_menu;
  char     *kernel;              /* direct kernel boot, or NULL */
  char     *initrd;
  char     *cmdline;
} HangarVmSettings;

void              hangar_vm_settings_free (HangarVmSettings *settings);
HangarVmSettings *hangar_vm_settings_copy (const HangarVmSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarVmSettings, hangar_vm_settings_free)

/* Reads the persistent (inactive) configuration. */
void              hangar_vm_get_settings_async  (HangarVm            *vm,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
HangarVmSettings *hangar_vm_get_settings_finish (HangarVm      *vm,
                                                 GAsyncResult  *result,
                                                 GError       **error);

/* Checks @settings (HANGAR_ERROR_INVALID_INPUT with the reason) and writes
 * them to the persistent configuration; a new name renames the VM (only
 * while it is shut off); the balloon target also applies to a running VM.
 * *@pending is TRUE when some change waits for the VM to be shut down. */
void              hangar_vm_apply_settings_async  (HangarVm               *vm,
                                                   const HangarVmSettings *settings,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
gboolean          hangar_vm_apply_settings_finish (HangarVm      *vm,
                                                   GAsyncResult  *result,
                                                   gboolean      *pending,
                                                   GError       **error);

/* The checks apply_settings makes, for inline messages. */
gboolean          hangar_vm_settings_check        (const HangarVmSettings  *settings,
                                                   GError                 **error);

/* Puts @path (an ISO) in the CD-ROM drive @target, or empties it when
 * @path is NULL: in the persistent configuration and, on a running VM, at
 * once (libvirt's update-device). */
void              hangar_vm_change_media_async    (HangarVm            *vm,
                                                   const char          *target,
                                                   const char          *path,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean          hangar_vm_change_media_finish   (HangarVm      *vm,
                                                   GAsyncResult  *result,
                                                   GError       **error);

G_END_DECLS
