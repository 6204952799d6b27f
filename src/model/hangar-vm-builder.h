/* hangar-vm-builder.h: what the new-VM wizard decides, and the domain it
 * becomes: defaults from libosinfo, name rules, and an atomic create (disk
 * image, then the domain; a failure leaves nothing behind). */
#pragma once

#include <gio/gio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <osinfo/osinfo.h>

#include "hangar-connection.h"
#include "hangar-os-db.h"

G_BEGIN_DECLS

typedef enum
{
  HANGAR_FIRMWARE_BIOS,
  HANGAR_FIRMWARE_UEFI,           /* Secure Boot off, said explicitly */
  HANGAR_FIRMWARE_UEFI_SECURE,    /* Secure Boot with Microsoft's keys; needs SMM */
} HangarFirmware;

typedef enum
{
  HANGAR_NETWORK_AUTO,     /* the connection's usual: NAT "default" on system, else user-mode */
  HANGAR_NETWORK_USER,     /* QEMU's user-mode networking */
  HANGAR_NETWORK_VIRTUAL,  /* a libvirt virtual network, named network_source */
  HANGAR_NETWORK_BRIDGE,   /* a host bridge, named network_source */
} HangarNetwork;

typedef struct
{
  char           *name;
  OsinfoOs       *os;            /* NULL: generic / unknown */
  guint64         memory_mib;
  guint           vcpus;
  guint64         disk_gib;      /* new qcow2 disk; 0 with no import: no disk */
  char           *import_path;   /* an existing image to use instead */
  char           *disk_dir;      /* the new image's folder (local images), NULL: the default */
  char           *media_path;    /* install ISO, or NULL */
  HangarFirmware  firmware;
  gboolean        uefi_only;     /* the OS supports nothing else */
  HangarNetwork   network;
  char           *network_source; /* VIRTUAL: network name; BRIDGE: bridge name */
  gboolean        pxe;           /* boot from the network first */
  char           *tree_url;      /* network install: the tree, whose… */
  char           *kernel_path;   /* …kernel and initrd (relative paths) are fetched */
  char           *initrd_path;
  char           *kernel_file;   /* where they were fetched to (set by create) */
  char           *initrd_file;
  gboolean        virtio_disk;
  gboolean        virtio_net;
  gboolean        virtio_gpu;
  guint64         min_memory_mib; /* the OS's minimum, 0 when unknown */
} HangarVmSpec;

#define HANGAR_GENERIC_MEMORY_MIB 2048
#define HANGAR_GENERIC_VCPUS      2
#define HANGAR_GENERIC_DISK_GIB   20

void              hangar_vm_spec_init        (HangarVmSpec *spec);
void              hangar_vm_spec_clear       (HangarVmSpec *spec);
/* Sets the OS (NULL: generic) and every default that follows from it:
 * resources (recommended, else twice the minimum, else generic), firmware
 * (UEFI for UEFI-only OSes), virtio disk/NIC/GPU from its device support. */
void              hangar_vm_spec_set_os      (HangarVmSpec *spec,
                                              OsinfoOs     *os);

/* Letters, digits, "_", "." and "-"; not already a VM of @vms (HangarVm). */
gboolean          hangar_vm_name_check       (const char  *name,
                                              GListModel  *vms,
                                              GError     **error);
/* The OS's short id ("debian12"), else "vm", made unique with -2, -3, … */
char             *hangar_vm_name_suggest     (OsinfoOs    *os,
                                              GListModel  *vms);

/* The domain for @spec with its disk at @disk_path (format @disk_format),
 * built with libvirt-gconfig objects only. @kvm: hardware virtualization;
 * @nat_network: use libvirt's "default" network instead of user-mode. */
GVirConfigDomain *hangar_vm_spec_to_config   (const HangarVmSpec *spec,
                                              const char         *disk_path,
                                              const char         *disk_format,
                                              gboolean            kvm,
                                              gboolean            nat_network);

/* Whether this computer's /dev/kvm runs ordinary guests: usable, and backed
 * by hardware virtualisation (kvm_intel or kvm_amd). Some sandboxes offer a
 * /dev/kvm (PVM) that runs only guests built for it; there TCG is the one
 * that boots an ordinary kernel. */
gboolean          hangar_host_kvm_usable     (void);

/* Where new disk images of the embedded connection go:
 * $XDG_DATA_HOME/hangar/images. */
char             *hangar_vm_images_dir       (void);

/* Creates the disk image (qemu-img, after checking free space) and defines
 * the domain on @connection; the result is the new VM's name. On any failure
 * the image it made is removed and no domain is left. */
void              hangar_vm_create_async     (HangarConnection    *connection,
                                              const HangarVmSpec  *spec,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char             *hangar_vm_create_finish    (HangarConnection  *connection,
                                              GAsyncResult      *result,
                                              GError           **error);

/* The OS on install media (an ISO), or NULL without error when libosinfo
 * does not know it. */
void              hangar_media_identify_async  (HangarOsDb          *db,
                                                const char          *path,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
OsinfoOs         *hangar_media_identify_finish (HangarOsDb    *db,
                                                GAsyncResult  *result,
                                                GError       **error);

/* The format of a disk image as qemu-img reads it ("qcow2", "raw", "vmdk",
 * "vdi", …), never guessed from its name. Blocking: call from a thread. */
char             *hangar_disk_image_format   (const char   *path,
                                              GError      **error);

/* After the first start of a VM installed from a network tree: its saved
 * configuration boots from its disk again (no kernel, reboots restart), so
 * the installer's last reboot lands in the installed system. The running
 * VM is not touched. Nothing happens for other VMs. */
void              hangar_vm_end_install_boot_async  (HangarVm            *vm,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean          hangar_vm_end_install_boot_finish (HangarVm      *vm,
                                                     GAsyncResult  *result,
                                                     GError       **error);

/* The CD/DVD drives of this computer: "/dev/sr0", "HL-DT-ST DVDRAM (sr0)", …
 * pairs, from @sysfs_block (NULL: /sys/block). */
GPtrArray        *hangar_host_optical_drives (const char *sysfs_block);

/* Checks a folder for a new disk image: absolute, a folder, writable
 * (HANGAR_ERROR_INVALID_INPUT with the reason). */
gboolean          hangar_vm_disk_dir_check   (const char  *dir,
                                              GError     **error);

/* Whether this computer's firmware descriptors (@dir, NULL:
 * /usr/share/qemu/firmware) have an x86_64 UEFI with Secure Boot. */
gboolean          hangar_host_has_secure_boot (const char *dir);

/* Checks a bridge or virtual network name (letters, digits, "_ . -";
 * bridges at most 15 characters, the kernel's limit). */
gboolean          hangar_vm_network_check    (HangarNetwork   network,
                                              const char     *source,
                                              GError        **error);

G_END_DECLS
