/* hangar-vm-builder.c: the new-VM wizard's model. Defaults come from
 * libosinfo; the domain is assembled from libvirt-gconfig objects; creating
 * it runs in a thread: free space, qemu-img, define, and undo on failure. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <string.h>
#include <unistd.h>

#include "hangar-config-util.h"
#include "hangar-disk-image.h"
#include "hangar-error.h"
#include "hangar-install-tree.h"
#include "hangar-storage-pool.h"
#include "hangar-vm-builder.h"
#include "hangar-vm-private.h"
#include "hangar-vm.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainCpu, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDiskDriver, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainGraphicsSpice, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirDomain, g_object_unref)

#define MIB (G_GUINT64_CONSTANT (1024) * 1024)
#define GIB (MIB * 1024)
#define NAME_MAX_LENGTH 64

void
hangar_vm_spec_init (HangarVmSpec *spec)
{
  memset (spec, 0, sizeof *spec);
  hangar_vm_spec_set_os (spec, NULL);
}

void
hangar_vm_spec_clear (HangarVmSpec *spec)
{
  g_clear_pointer (&spec->name, g_free);
  g_clear_object (&spec->os);
  g_clear_pointer (&spec->import_path, g_free);
  g_clear_pointer (&spec->media_path, g_free);
  g_clear_pointer (&spec->disk_dir, g_free);
  g_clear_pointer (&spec->network_source, g_free);
  g_clear_pointer (&spec->tree_url, g_free);
  g_clear_pointer (&spec->kernel_path, g_free);
  g_clear_pointer (&spec->initrd_path, g_free);
  g_clear_pointer (&spec->kernel_file, g_free);
  g_clear_pointer (&spec->initrd_file, g_free);
}

gboolean
hangar_vm_disk_dir_check (const char  *dir,
                          GError     **error)
{
  if (dir == NULL || !g_path_is_absolute (dir))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("Give the full path of the folder for the new disk."));
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("%s is not a folder."), dir);
      return FALSE;
    }
  /* access () also says no for read-only file systems and immutable folders. */
  if (g_access (dir, W_OK) != 0)
    {
      int saved = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The new disk cannot be written in %s (%s): choose another folder."), dir,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
hangar_vm_network_check (HangarNetwork   network,
                         const char     *source,
                         GError        **error)
{
  if (network != HANGAR_NETWORK_VIRTUAL && network != HANGAR_NETWORK_BRIDGE)
    return TRUE;
  if (source == NULL || *source == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           network == HANGAR_NETWORK_BRIDGE
                           ? _("Name the host bridge, such as br0.")
                           : _("Name the virtual network, such as default."));
      return FALSE;
    }
  for (const char *p = source; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      {
        g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                             _("A network or bridge name has only letters, digits and "
                               "“_ . -”."));
        return FALSE;
      }
  if (network == HANGAR_NETWORK_BRIDGE && strlen (source) > 15)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("A bridge name has at most 15 characters."));
      return FALSE;
    }
  return TRUE;
}

/* The entry of @list for x86_64 (or for all architectures), or NULL. */
static OsinfoResources *
resources_for_x86_64 (OsinfoResourcesList *list)
{
  OsinfoResources *found = NULL;

  for (int i = 0; list != NULL && i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoResources *r = OSINFO_RESOURCES (osinfo_list_get_nth (OSINFO_LIST (list), i));
      const char *arch = osinfo_resources_get_architecture (r);

      if (g_strcmp0 (arch, "x86_64") == 0)
        return r;
      if (g_strcmp0 (arch, "all") == 0)
        found = r;
    }
  return found;
}

static gboolean
has_virtio_device (OsinfoDeviceList *devices,
                   const char       *klass)
{
  for (int i = 0; devices != NULL && i < osinfo_list_get_length (OSINFO_LIST (devices)); i++)
    {
      OsinfoDevice *d = OSINFO_DEVICE (osinfo_list_get_nth (OSINFO_LIST (devices), i));
      const char *id = osinfo_entity_get_id (OSINFO_ENTITY (d));

      /* PCI vendor 1af4 is virtio's (osinfo-db gives it in the id). */
      if (g_strcmp0 (osinfo_device_get_class (d), klass) == 0 && id != NULL &&
          g_str_has_prefix (id, "http://pcisig.com/pci/1af4/"))
        return TRUE;
    }
  return FALSE;
}

void
hangar_vm_spec_set_os (HangarVmSpec *spec,
                       OsinfoOs     *os)
{
  g_autoptr (OsinfoResourcesList) recommended = NULL;
  g_autoptr (OsinfoResourcesList) minimum = NULL;
  g_autoptr (OsinfoDeviceList) devices = NULL;
  g_autoptr (OsinfoFirmwareList) firmwares = NULL;
  OsinfoResources *rec, *min;
  gboolean efi = FALSE, no_bios = FALSE;

  g_set_object (&spec->os, os);
  spec->memory_mib = HANGAR_GENERIC_MEMORY_MIB;
  spec->vcpus = HANGAR_GENERIC_VCPUS;
  spec->disk_gib = HANGAR_GENERIC_DISK_GIB;
  spec->firmware = HANGAR_FIRMWARE_BIOS;
  spec->uefi_only = FALSE;
  spec->virtio_disk = spec->virtio_net = spec->virtio_gpu = FALSE;
  spec->min_memory_mib = 0;
  if (os == NULL)
    return;

  recommended = osinfo_os_get_recommended_resources (os);
  minimum = osinfo_os_get_minimum_resources (os);
  rec = resources_for_x86_64 (recommended);
  min = resources_for_x86_64 (minimum);
  if (min != NULL && osinfo_resources_get_ram (min) > 0)
    spec->min_memory_mib = (guint64) osinfo_resources_get_ram (min) / MIB;

  if (rec != NULL && osinfo_resources_get_ram (rec) > 0)
    spec->memory_mib = (guint64) osinfo_resources_get_ram (rec) / MIB;
  else if (spec->min_memory_mib > 0)
    spec->memory_mib = spec->min_memory_mib * 2;
  if (rec != NULL && osinfo_resources_get_n_cpus (rec) > 0)
    spec->vcpus = (guint) osinfo_resources_get_n_cpus (rec);
  else if (min != NULL && osinfo_resources_get_n_cpus (min) > 0)
    spec->vcpus = (guint) osinfo_resources_get_n_cpus (min) * 2;
  if (rec != NULL && osinfo_resources_get_storage (rec) > 0)
    spec->disk_gib = ((guint64) osinfo_resources_get_storage (rec) + GIB - 1) / GIB;
  else if (min != NULL && osinfo_resources_get_storage (min) > 0)
    spec->disk_gib = ((guint64) osinfo_resources_get_storage (min) * 2 + GIB - 1) / GIB;

  firmwares = osinfo_os_get_complete_firmware_list (os, NULL);
  for (int i = 0; firmwares != NULL && i < osinfo_list_get_length (OSINFO_LIST (firmwares)); i++)
    {
      OsinfoFirmware *f = OSINFO_FIRMWARE (osinfo_list_get_nth (OSINFO_LIST (firmwares), i));
      const char *type = osinfo_firmware_get_firmware_type (f);

      if (g_strcmp0 (type, "efi") == 0 && osinfo_firmware_is_supported (f))
        efi = TRUE;
      else if (g_strcmp0 (type, "bios") == 0 && !osinfo_firmware_is_supported (f))
        no_bios = TRUE;
    }
  spec->uefi_only = efi && no_bios;
  if (spec->uefi_only)
    spec->firmware = HANGAR_FIRMWARE_UEFI;

  devices = osinfo_os_get_all_devices (os, NULL);
  spec->virtio_disk = has_virtio_device (devices, "block");
  spec->virtio_net = has_virtio_device (devices, "net");
  spec->virtio_gpu = has_virtio_device (devices, "video");
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static gboolean
name_taken (const char *name,
            GListModel *vms)
{
  for (guint i = 0; vms != NULL && i < g_list_model_get_n_items (vms); i++)
    {
      g_autoptr (HangarVm) vm = g_list_model_get_item (vms, i);

      if (g_strcmp0 (hangar_vm_get_name (vm), name) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
hangar_vm_name_check (const char  *name,
                      GListModel  *vms,
                      GError     **error)
{
  if (name == NULL || *name == '\0')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("Give the VM a name."));
      return FALSE;
    }
  if (strlen (name) > NAME_MAX_LENGTH)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("A name has at most %d characters."), NAME_MAX_LENGTH);
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!(c < 128 && (g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-')))
        {
          char what[8] = { 0 };

          g_unichar_to_utf8 (c, what);
          if (c == ' ')
            g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                                 _("A name cannot contain spaces: use “-” or “_”."));
          else
            g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                         _("A name cannot contain “%s”: use letters, digits, “_”, “.” and "
                           "“-”."), what);
          return FALSE;
        }
    }
  if (name[0] == '.' || name[0] == '-')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("A name starts with a letter, a digit or “_”."));
      return FALSE;
    }
  if (name_taken (name, vms))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("There is already a VM called “%s”."), name);
      return FALSE;
    }
  return TRUE;
}

char *
hangar_vm_name_suggest (OsinfoOs   *os,
                        GListModel *vms)
{
  const char *base = os != NULL ? osinfo_product_get_short_id (OSINFO_PRODUCT (os)) : NULL;
  g_autofree char *clean = g_strdup (base != NULL && *base != '\0' ? base : "vm");

  /* Short ids are plain already; keep only what names may hold. */
  for (char *p = clean; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      *p = '-';
  if (!name_taken (clean, vms))
    return g_steal_pointer (&clean);
  for (guint n = 2;; n++)
    {
      g_autofree char *candidate = g_strdup_printf ("%s-%u", clean, n);

      if (!name_taken (candidate, vms))
        return g_steal_pointer (&candidate);
    }
}

/* ------------------------------------------------------------------ */
/* The domain                                                          */

static void
add_device (GVirConfigDomain *domain,
            gpointer          device)
{
  gvir_config_domain_add_device (domain, GVIR_CONFIG_DOMAIN_DEVICE (device));
  g_object_unref (device);
}

static GVirConfigDomainDisk *
new_disk (const char                         *path,
          const char                         *format,
          GVirConfigDomainDiskGuestDeviceType kind,
          GVirConfigDomainDiskBus             bus,
          const char                         *target)
{
  static const struct { const char *name; GVirConfigDomainDiskFormat value; } formats[] = {
    { "qcow2", GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2 },
    { "raw", GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW },
    { "vmdk", GVIR_CONFIG_DOMAIN_DISK_FORMAT_VMDK },
    { "vpc", GVIR_CONFIG_DOMAIN_DISK_FORMAT_VPC },
    { "qed", GVIR_CONFIG_DOMAIN_DISK_FORMAT_QED },
  };
  GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
  g_autoptr (GVirConfigDomainDiskDriver) driver = gvir_config_domain_disk_driver_new ();
  gboolean known = FALSE;

  /* A host drive (/dev/sr0) is a block device, not a file. */
  gvir_config_domain_disk_set_type (disk, g_str_has_prefix (path, "/dev/")
                                          ? GVIR_CONFIG_DOMAIN_DISK_BLOCK
                                          : GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, kind);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (format, formats[i].name) == 0)
      {
        gvir_config_domain_disk_driver_set_format (driver, formats[i].value);
        known = TRUE;
      }
  gvir_config_domain_disk_set_driver (disk, driver);
  /* Formats libvirt-gconfig has no constant for (vdi): qemu-img's name. */
  if (!known && format != NULL)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gvir_config_domain_disk_set_driver_type (disk, format);
      G_GNUC_END_IGNORE_DEPRECATIONS
    }
  gvir_config_domain_disk_set_source (disk, path);
  gvir_config_domain_disk_set_target_dev (disk, target);
  gvir_config_domain_disk_set_target_bus (disk, bus);
  if (kind == GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM)
    gvir_config_domain_disk_set_readonly (disk, TRUE);
  return disk;
}

static void
add_channel (GVirConfigDomain           *domain,
             GVirConfigDomainChardevSource *source,
             const char                 *target_name)
{
  GVirConfigDomainChannel *channel = gvir_config_domain_channel_new ();

  gvir_config_domain_channel_set_target_type (channel, GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO);
  gvir_config_domain_channel_set_target_name (channel, target_name);
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (channel), source);
  g_object_unref (source);
  add_device (domain, channel);
}

GVirConfigDomain *
hangar_vm_spec_to_config (const HangarVmSpec *spec,
                          const char         *disk_path,
                          const char         *disk_format,
                          gboolean            kvm,
                          gboolean            nat_network)
{
  GVirConfigDomain *domain = gvir_config_domain_new ();
  g_autoptr (GVirConfigDomainOs) os = gvir_config_domain_os_new ();
  g_autoptr (GVirConfigDomainGraphicsSpice) spice = gvir_config_domain_graphics_spice_new ();
  GVirConfigDomainVideo *video = gvir_config_domain_video_new ();
  GVirConfigDomainInput *tablet = gvir_config_domain_input_new ();
  GVirConfigDomainSound *sound = gvir_config_domain_sound_new ();
  GVirConfigDomainInterface *nic;
  GList *boot = NULL;
  const char *features[] = { "acpi", "apic", NULL };
  GVirConfigDomainDiskBus bus = spec->virtio_disk ? GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO
                                                  : GVIR_CONFIG_DOMAIN_DISK_BUS_SATA;

  gvir_config_domain_set_name (domain, spec->name);
  gvir_config_domain_set_virt_type (domain, kvm ? GVIR_CONFIG_DOMAIN_VIRT_KVM
                                                : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_memory (domain, spec->memory_mib * 1024);
  gvir_config_domain_set_current_memory (domain, spec->memory_mib * 1024);
  gvir_config_domain_set_vcpus (domain, spec->vcpus);
  gvir_config_domain_set_features (domain, (const GStrv) features);

  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_machine (os, "q35");
  if (spec->firmware != HANGAR_FIRMWARE_BIOS)
    gvir_config_domain_os_set_firmware (os, GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI);
  if (spec->pxe)
    boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_NETWORK));
  if (spec->kernel_file != NULL)
    {
      /* The installer's kernel boots first; its last reboot stops the VM
       * (the next start boots the disk: hangar_vm_end_install_boot). */
      gvir_config_domain_os_set_kernel (os, spec->kernel_file);
      gvir_config_domain_os_set_ramdisk (os, spec->initrd_file);
      gvir_config_domain_set_lifecycle (domain, GVIR_CONFIG_DOMAIN_LIFECYCLE_ON_REBOOT,
                                        GVIR_CONFIG_DOMAIN_LIFECYCLE_DESTROY);
    }
  if (spec->media_path != NULL)
    boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_CDROM));
  boot = g_list_append (boot, GINT_TO_POINTER (GVIR_CONFIG_DOMAIN_OS_BOOT_DEVICE_HD));
  gvir_config_domain_os_set_boot_devices (os, boot);
  g_list_free (boot);
  gvir_config_domain_set_os (domain, os);
  if (spec->firmware != HANGAR_FIRMWARE_BIOS)
    {
      /* Plain UEFI says Secure Boot is off: without that, libvirt picks a
       * secure-boot OVMF, which needs SMM (PLATFORM-NOTES: not every KVM
       * host has it). With Secure Boot, SMM is asked for. */
      gboolean secure = spec->firmware == HANGAR_FIRMWARE_UEFI_SECURE;
      xmlDocPtr doc = hangar_config_read_tree (GVIR_CONFIG_OBJECT (domain));
      xmlNodePtr root = xmlDocGetRootElement (doc);
      xmlNodePtr list = hangar_xml_child (hangar_xml_child (root, "os", TRUE), "firmware", TRUE);

      for (const char *const *name = (const char *const[]) { "enrolled-keys", "secure-boot", NULL };
           *name != NULL; name++)
        {
          xmlNodePtr feature = xmlNewChild (list, NULL, BAD_CAST "feature", NULL);

          xmlSetProp (feature, BAD_CAST "enabled", BAD_CAST (secure ? "yes" : "no"));
          xmlSetProp (feature, BAD_CAST "name", BAD_CAST *name);
        }
      if (secure)
        hangar_xml_child (hangar_xml_child (root, "features", TRUE), "smm", TRUE);
      {
        GVirConfigObject *rebuilt = hangar_config_rebuild (GVIR_CONFIG_OBJECT (domain), "domain",
                                                           doc);

        g_object_unref (domain);
        domain = GVIR_CONFIG_DOMAIN (rebuilt);
      }
    }

  if (kvm)
    {
      g_autoptr (GVirConfigDomainCpu) cpu = gvir_config_domain_cpu_new ();

      gvir_config_domain_cpu_set_mode (cpu, GVIR_CONFIG_DOMAIN_CPU_MODE_HOST_PASSTHROUGH);
      gvir_config_domain_set_cpu (domain, cpu);
    }

  if (disk_path != NULL)
    add_device (domain, new_disk (disk_path, disk_format,
                                  GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK, bus,
                                  spec->virtio_disk ? "vda" : "sda"));
  if (spec->media_path != NULL)
    add_device (domain, new_disk (spec->media_path, "raw",
                                  GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM,
                                  GVIR_CONFIG_DOMAIN_DISK_BUS_SATA,
                                  spec->virtio_disk || disk_path == NULL ? "sda" : "sdb"));

  if (spec->network == HANGAR_NETWORK_VIRTUAL ||
      (spec->network == HANGAR_NETWORK_AUTO && nat_network))
    {
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_network_new ());
      gvir_config_domain_interface_network_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_NETWORK (nic),
                                                       spec->network == HANGAR_NETWORK_VIRTUAL
                                                       ? spec->network_source : "default");
    }
  else if (spec->network == HANGAR_NETWORK_BRIDGE)
    {
      nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_bridge_new ());
      gvir_config_domain_interface_bridge_set_source (GVIR_CONFIG_DOMAIN_INTERFACE_BRIDGE (nic),
                                                      spec->network_source);
    }
  else
    nic = GVIR_CONFIG_DOMAIN_INTERFACE (gvir_config_domain_interface_user_new ());
  gvir_config_domain_interface_set_model (nic, spec->virtio_net ? "virtio" : "e1000e");
  add_device (domain, nic);

  /* Reached through virDomainOpenGraphicsFD only: listens on nothing. */
  add_device (domain, hangar_config_with_child (GVIR_CONFIG_OBJECT (spice), "graphics",
                                                "listen", "type", "none", NULL));
  gvir_config_domain_video_set_model (video, spec->virtio_gpu ? GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VIRTIO
                                                              : GVIR_CONFIG_DOMAIN_VIDEO_MODEL_QXL);
  add_device (domain, video);

  add_channel (domain, GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (gvir_config_domain_chardev_source_spicevmc_new ()),
               "com.redhat.spice.0");
  add_channel (domain, GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (gvir_config_domain_chardev_source_unix_new ()),
               "org.qemu.guest_agent.0");

  gvir_config_domain_input_set_device_type (tablet, GVIR_CONFIG_DOMAIN_INPUT_DEVICE_TABLET);
  gvir_config_domain_input_set_bus (tablet, GVIR_CONFIG_DOMAIN_INPUT_BUS_USB);
  add_device (domain, tablet);
  gvir_config_domain_sound_set_model (sound, GVIR_CONFIG_DOMAIN_SOUND_MODEL_ICH9);
  add_device (domain, sound);

  /* USB 3 for the tablet and redirected devices (stated, so that every
   * driver has it). */
  {
    GVirConfigDomainControllerUsb *usb = gvir_config_domain_controller_usb_new ();

    gvir_config_domain_controller_usb_set_model (usb, GVIR_CONFIG_DOMAIN_CONTROLLER_USB_MODEL_QEMU_XHCI);
    gvir_config_domain_controller_set_index (GVIR_CONFIG_DOMAIN_CONTROLLER (usb), 0);
    add_device (domain, usb);
  }

  /* Two USB devices can be redirected from the client (SPICE). */
  for (int i = 0; i < 2; i++)
    {
      GVirConfigDomainRedirdev *redir = gvir_config_domain_redirdev_new ();

      gvir_config_domain_redirdev_set_bus (redir, GVIR_CONFIG_DOMAIN_REDIRDEV_BUS_USB);
      gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (redir),
                                             GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (gvir_config_domain_chardev_source_spicevmc_new ()));
      add_device (domain, redir);
    }

  /* A serial console, for the serial view and headless guests. */
  {
    GVirConfigDomainSerial *serial = gvir_config_domain_serial_new ();
    GVirConfigDomainChardevSourcePty *pty = gvir_config_domain_chardev_source_pty_new ();

    gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (serial),
                                           GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (pty));
    g_object_unref (pty);
    add_device (domain, serial);
  }

  /* Entropy for the guest; a TPM 2.0 for OSes that need UEFI (Windows 11
   * asks for both), emulated by swtpm. libvirt-gconfig has no class for
   * either: they are added to the tree. */
  {
    static const char *const rng_attrs[] = { "model", "virtio", NULL };
    static const char *const backend_attrs[] = { "model", "random", NULL };
    GVirConfigDomain *with_rng = hangar_config_domain_with_device (domain, "rng", rng_attrs,
                                                                   "backend", backend_attrs,
                                                                   "/dev/urandom");
    g_object_unref (domain);
    domain = with_rng;
  }
  if (spec->uefi_only)
    {
      static const char *const tpm_attrs[] = { "model", "tpm-crb", NULL };
      static const char *const emulator_attrs[] = { "type", "emulator", "version", "2.0", NULL };
      GVirConfigDomain *with_tpm = hangar_config_domain_with_device (domain, "tpm", tpm_attrs,
                                                                     "backend", emulator_attrs,
                                                                     NULL);
      g_object_unref (domain);
      domain = with_tpm;
    }

  if (spec->os != NULL)
    {
      g_autofree char *metadata =
        hangar_config_metadata_element ("libosinfo", "os", "id",
                                        osinfo_entity_get_id (OSINFO_ENTITY (spec->os)));
      g_autoptr (GError) error = NULL;

      if (!gvir_config_domain_set_custom_xml (domain, metadata, "libosinfo",
                                              HANGAR_LIBOSINFO_XMLNS, &error))
        g_warning ("could not add the libosinfo metadata: %s", error->message);
    }
  return domain;
}

/* ------------------------------------------------------------------ */
/* Disk images                                                         */

gboolean
hangar_host_kvm_usable (void)
{
  return g_access ("/dev/kvm", R_OK | W_OK) == 0 &&
         (g_file_test ("/sys/module/kvm_intel", G_FILE_TEST_IS_DIR) ||
          g_file_test ("/sys/module/kvm_amd", G_FILE_TEST_IS_DIR));
}

char *
hangar_vm_images_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "hangar", "images", NULL);
}

static gboolean
run_qemu_img (const char *const  *argv,
              char              **output,
              GError            **error)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED, "%s",
                   err != NULL && *err != '\0' ? g_strstrip (err) : _("qemu-img failed"));
      return FALSE;
    }
  if (output != NULL)
    *output = g_steal_pointer (&out);
  return TRUE;
}

char *
hangar_disk_image_format (const char  *path,
                          GError     **error)
{
  const char *argv[] = { "qemu-img", "info", "--output=json", "--", path, NULL };
  g_autofree char *json = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  const char *format;

  if (!run_qemu_img (argv, &json, error))
    return NULL;
  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  root = json_parser_get_root (parser);
  format = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
           ? json_object_get_string_member_with_default (json_node_get_object (root), "format", NULL)
           : NULL;
  if (format == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("qemu-img could not tell the format of %s."), path);
      return NULL;
    }
  return g_strdup (format);
}

/* ------------------------------------------------------------------ */
/* Create                                                              */

typedef struct
{
  GVirConnection *gvir;
  HangarVmSpec    spec;
  gboolean        embedded_images;
  gboolean        session;   /* a pool made for it goes under the user's data */
  gboolean        kvm;
  gboolean        nat_network;
  GPtrArray      *taken;  /* names of the connection's VMs */
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_clear_object (&data->gvir);
  hangar_vm_spec_clear (&data->spec);
  g_clear_pointer (&data->taken, g_ptr_array_unref);
  g_free (data);
}

static gboolean
array_has_string (JsonArray  *array,
                  const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

gboolean
hangar_host_has_secure_boot (const char *dir)
{
  const char *folder = dir != NULL ? dir : "/usr/share/qemu/firmware";
  g_autoptr (GDir) listing = g_dir_open (folder, 0, NULL);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *descriptor;
      JsonArray *targets;

      if (!g_str_has_suffix (name, ".json") || !json_parser_load_from_file (parser, path, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      descriptor = json_node_get_object (json_parser_get_root (parser));
      if (!json_object_has_member (descriptor, "features") ||
          !array_has_string (json_object_get_array_member (descriptor, "features"),
                             "secure-boot"))
        continue;
      targets = json_object_has_member (descriptor, "targets")
                ? json_object_get_array_member (descriptor, "targets") : NULL;
      for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++)
        {
          JsonObject *target = json_array_get_object_element (targets, i);

          if (target != NULL &&
              g_strcmp0 (json_object_get_string_member_with_default (target, "architecture",
                                                                     NULL), "x86_64") == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* g_ptr_array_sort () hands over pointers to the elements. */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
hangar_host_optical_drives (const char *sysfs_block)
{
  GPtrArray *drives = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (sysfs_block != NULL ? sysfs_block : "/sys/block", 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "sr"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *sr = g_ptr_array_index (names, i);
      g_autofree char *model_file = g_build_filename (sysfs_block != NULL ? sysfs_block
                                                                          : "/sys/block",
                                                      sr, "device", "model", NULL);
      g_autofree char *model = NULL;

      if (g_file_get_contents (model_file, &model, NULL, NULL))
        g_strstrip (model);
      g_ptr_array_add (drives, g_strconcat ("/dev/", sr, NULL));
      /* Translators: a CD/DVD drive's model and its device name */
      g_ptr_array_add (drives, model != NULL && *model != '\0'
                               ? g_strdup_printf (_("%s (%s)"), model, sr)
                               : g_strdup (sr));
    }
  return drives;
}

static void
remove_boot_files (const char   *dir,
                   HangarVmSpec *spec)
{
  if (spec->kernel_file != NULL)
    g_unlink (spec->kernel_file);
  if (spec->initrd_file != NULL)
    g_unlink (spec->initrd_file);
  g_rmdir (dir);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *data = task_data;
  HangarVmSpec *spec = &data->spec;
  g_autoptr (GError) error = NULL;
  g_autofree char *disk_path = NULL;
  g_autofree char *disk_format = NULL;
  g_autofree char *created = NULL;
  g_autoptr (GVirConfigDomain) config = NULL;
  g_autoptr (GVirDomain) domain = NULL;
  virStorageVolPtr volume = NULL;  /* a volume made for this VM */
  g_autofree char *boot_dir = NULL;   /* the fetched installer */

  for (guint i = 0; i < data->taken->len; i++)
    if (g_strcmp0 (g_ptr_array_index (data->taken, i), spec->name) == 0)
      {
        g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                                 _("There is already a VM called “%s”."), spec->name);
        return;
      }

  if (spec->import_path != NULL)
    {
      disk_format = hangar_disk_image_format (spec->import_path, &error);
      if (disk_format == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      disk_path = g_strdup (spec->import_path);
    }
  else if (spec->disk_gib > 0 && !data->embedded_images)
    {
      /* Connections with storage pools: a volume in the "default" pool. */
      virConnectPtr conn = NULL;
      g_autofree char *file = g_strdup_printf ("%s.qcow2", spec->name);

      g_object_get (data->gvir, "handle", &conn, NULL);
      volume = hangar_pool_create_volume (conn, data->session, file, spec->disk_gib, &error);
      virConnectClose (conn);
      if (volume == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      disk_path = virStorageVolGetPath (volume);
      disk_format = g_strdup ("qcow2");
    }
  else if (spec->disk_gib > 0)
    {
      g_autofree char *dir = spec->disk_dir != NULL ? g_strdup (spec->disk_dir)
                                                    : hangar_vm_images_dir ();
      g_autofree char *file = g_strdup_printf ("%s.qcow2", spec->name);

      disk_path = g_build_filename (dir, file, NULL);
      if (!hangar_disk_image_create (disk_path, spec->disk_gib, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      created = g_strdup (disk_path);
      disk_format = g_strdup ("qcow2");
    }

  if (spec->tree_url != NULL)
    {
      g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "hangar", "boot",
                                               spec->name, NULL);

      boot_dir = g_strdup (dir);
      spec->kernel_file = g_build_filename (dir, "linux", NULL);
      spec->initrd_file = g_build_filename (dir, "initrd", NULL);
      if (g_mkdir_with_parents (dir, 0700) < 0 ||
          !hangar_install_tree_fetch (spec->tree_url, spec->kernel_path, spec->kernel_file,
                                      cancellable, &error) ||
          !hangar_install_tree_fetch (spec->tree_url, spec->initrd_path, spec->initrd_file,
                                      cancellable, &error))
        {
          remove_boot_files (boot_dir, spec);
          if (created != NULL)
            g_unlink (created);
          if (volume != NULL)
            {
              virStorageVolDelete (volume, 0);
              virStorageVolFree (volume);
            }
          if (error == NULL)
            error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_IO, _("Could not make the folder %s"),
                                 dir);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  config = hangar_vm_spec_to_config (spec, disk_path, disk_format, data->kvm, data->nat_network);
  domain = gvir_connection_create_domain (data->gvir, config, &error);
  if (domain == NULL)
    {
      GError *herror = hangar_error_from_libvirt (_("Could not create the VM"));

      /* Only the image this call made goes; never one the user chose. */
      if (created != NULL)
        g_unlink (created);
      if (boot_dir != NULL)
        remove_boot_files (boot_dir, spec);
      if (volume != NULL)
        {
          virStorageVolDelete (volume, 0);
          virStorageVolFree (volume);
          volume = NULL;
        }
      if (herror->code == HANGAR_ERROR_FAILED && error != NULL)
        {
          g_clear_error (&herror);
          herror = g_error_new (HANGAR_ERROR, HANGAR_ERROR_FAILED,
                                _("Could not create the VM: %s"), error->message);
        }
      g_task_return_error (task, herror);
      return;
    }
  if (volume != NULL)
    virStorageVolFree (volume);
  g_task_return_pointer (task, g_strdup (spec->name), g_free);
}

static void
end_install_boot_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  GVirDomain *domain = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVirConfigDomain) config = gvir_domain_get_config (domain, GVIR_DOMAIN_XML_INACTIVE |
                                                                GVIR_DOMAIN_XML_SECURE, &error);
  xmlDocPtr doc;
  xmlNodePtr root, os;
  GVirConfigObject *rebuilt;

  if (config == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s "
                                                              "configuration")));
      return;
    }
  doc = hangar_config_read_tree (GVIR_CONFIG_OBJECT (config));
  root = xmlDocGetRootElement (doc);
  os = hangar_xml_child (root, "os", FALSE);
  if (os == NULL || hangar_xml_child (os, "kernel", FALSE) == NULL)
    {
      xmlFreeDoc (doc);
      g_task_return_boolean (task, TRUE);
      return;
    }
  hangar_xml_remove_children (os, "kernel");
  hangar_xml_remove_children (os, "initrd");
  hangar_xml_remove_children (os, "cmdline");
  hangar_xml_set (root, "on_reboot", "restart");
  rebuilt = hangar_config_rebuild (GVIR_CONFIG_OBJECT (config), "domain", doc);
  if (!gvir_domain_set_config (domain, GVIR_CONFIG_DOMAIN (rebuilt), &error))
    {
      g_object_unref (rebuilt);
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not save the VM’s "
                                                              "configuration")));
      return;
    }
  g_object_unref (rebuilt);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_end_install_boot_async (HangarVm            *vm,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  hangar_vm_run_domain_task (vm, cancellable, callback, user_data,
                             hangar_vm_end_install_boot_async, end_install_boot_thread);
}

gboolean
hangar_vm_end_install_boot_finish (HangarVm      *vm,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
connection_is_local (HangarConnection *connection)
{
  HangarConnectionKind kind = hangar_connection_get_kind (connection);

  return kind == HANGAR_CONNECTION_KIND_EMBEDDED || kind == HANGAR_CONNECTION_KIND_TEST ||
         kind == HANGAR_CONNECTION_KIND_SESSION || kind == HANGAR_CONNECTION_KIND_SYSTEM;
}

void
hangar_vm_create_async (HangarConnection    *connection,
                        const HangarVmSpec  *spec,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  GListModel *vms;
  HangarConnectionKind kind;
  CreateData *data;

  g_return_if_fail (HANGAR_IS_CONNECTION (connection));
  g_return_if_fail (spec != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_vm_create_async);
  vms = hangar_connection_get_vms (connection);
  if (hangar_connection_get_gvir (connection) == NULL ||
      hangar_connection_get_state (connection) != HANGAR_CONNECTION_STATE_CONNECTED)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_CONNECTION,
                               _("“%s” is not connected."), hangar_connection_get_title (connection));
      return;
    }
  if (!hangar_vm_name_check (spec->name, vms, &error) ||
      !hangar_vm_network_check (spec->network, spec->network_source, &error) ||
      (spec->disk_dir != NULL && spec->disk_gib > 0 && spec->import_path == NULL &&
       !hangar_vm_disk_dir_check (spec->disk_dir, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  kind = hangar_connection_get_kind (connection);
  if (spec->media_path != NULL && g_str_has_prefix (spec->media_path, "/dev/") &&
      !connection_is_local (connection))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               _("A CD/DVD drive of this computer cannot be given to a VM on "
                                 "another host."));
      return;
    }
  if (spec->tree_url != NULL && kind != HANGAR_CONNECTION_KIND_EMBEDDED &&
      kind != HANGAR_CONNECTION_KIND_SESSION && kind != HANGAR_CONNECTION_KIND_TEST)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               _("Network installs fetch the installer into your own folder: "
                                 "create the VM on Hangar’s own or the session connection."));
      return;
    }
  if (kind == HANGAR_CONNECTION_KIND_EMBEDDED &&
      (spec->network == HANGAR_NETWORK_VIRTUAL || spec->network == HANGAR_NETWORK_BRIDGE))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               _("Hangar’s own connection has only user-mode networking."));
      return;
    }

  data = g_new0 (CreateData, 1);
  data->gvir = g_object_ref (hangar_connection_get_gvir (connection));
  data->spec.name = g_strdup (spec->name);
  data->spec.os = spec->os != NULL ? g_object_ref (spec->os) : NULL;
  data->spec.memory_mib = spec->memory_mib;
  data->spec.vcpus = spec->vcpus;
  data->spec.disk_gib = spec->disk_gib;
  data->spec.import_path = g_strdup (spec->import_path);
  data->spec.disk_dir = g_strdup (spec->disk_dir);
  data->spec.media_path = g_strdup (spec->media_path);
  data->spec.firmware = spec->firmware;
  data->spec.network = spec->network;
  data->spec.network_source = g_strdup (spec->network_source);
  data->spec.pxe = spec->pxe;
  data->spec.tree_url = g_strdup (spec->tree_url);
  data->spec.kernel_path = g_strdup (spec->kernel_path);
  data->spec.initrd_path = g_strdup (spec->initrd_path);
  data->spec.virtio_disk = spec->virtio_disk;
  data->spec.virtio_net = spec->virtio_net;
  data->spec.virtio_gpu = spec->virtio_gpu;
  data->embedded_images = kind == HANGAR_CONNECTION_KIND_EMBEDDED ||
                          kind == HANGAR_CONNECTION_KIND_TEST;
  data->session = kind == HANGAR_CONNECTION_KIND_SESSION;
  data->kvm = connection_is_local (connection) ? hangar_host_kvm_usable () : TRUE;
  data->nat_network = kind == HANGAR_CONNECTION_KIND_SYSTEM;
  data->taken = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < g_list_model_get_n_items (vms); i++)
    {
      g_autoptr (HangarVm) vm = g_list_model_get_item (vms, i);

      g_ptr_array_add (data->taken, g_strdup (hangar_vm_get_name (vm)));
    }
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);
  g_task_run_in_thread (task, create_thread);
}

char *
hangar_vm_create_finish (HangarConnection  *connection,
                         GAsyncResult      *result,
                         GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Install media                                                       */

static void
identify_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  OsinfoDb *db = hangar_os_db_ensure_loaded (HANGAR_OS_DB (source_object));
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (OsinfoMedia) media = NULL;
  OsinfoOs *os;

  /* libosinfo's blocking call runs a main loop on the thread-default
   * context: this thread's own, not the window's. */
  g_main_context_push_thread_default (context);
  media = osinfo_media_create_from_location (task_data, cancellable, &error);
  g_main_context_pop_thread_default (context);

  if (media == NULL)
    {
      /* Not an ISO 9660 image libosinfo can read: an unknown OS, not an
       * error. A file that cannot be read at all is one. */
      if (error != NULL && error->domain != OSINFO_MEDIA_ERROR)
        {
          g_autofree char *name = g_filename_display_name (task_data);

          g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_IO,
                                   _("Could not read %s: %s"), name, error->message);
          return;
        }
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  if (db == NULL || !osinfo_db_identify_media (db, media))
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  os = osinfo_media_get_os (media);
  g_task_return_pointer (task, os, g_object_unref);
}

void
hangar_media_identify_async (HangarOsDb          *db,
                             const char          *path,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (db, cancellable, callback, user_data);

  g_task_set_source_tag (task, hangar_media_identify_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, identify_thread);
}

OsinfoOs *
hangar_media_identify_finish (HangarOsDb    *db,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, db), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
