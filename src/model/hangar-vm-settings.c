/* hangar-vm-settings.c: read and write a VM's general settings. Every
 * libvirt call runs in a GTask thread; the XML goes through libvirt-gconfig. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <string.h>

#include "hangar-config-util.h"
#include "hangar-domain-caps.h"
#include "hangar-error.h"
#include "hangar-vm-builder.h"
#include "hangar-vm-private.h"
#include "hangar-vm-settings.h"

#define MAX_VCPUS 512

void
hangar_vm_settings_free (HangarVmSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->name);
  g_free (settings->title);
  g_free (settings->description);
  g_free (settings->uuid);
  g_free (settings->machine);
  g_free (settings->cdrom_target);
  g_free (settings->cdrom_source);
  g_free (settings->firmware);
  g_free (settings->cpu_mode);
  g_strfreev (settings->cpu_models);
  g_strfreev (settings->boot_order);
  g_free (settings->kernel);
  g_free (settings->initrd);
  g_free (settings->cmdline);
  g_clear_pointer (&settings->devices, g_ptr_array_unref);
  g_free (settings);
}

HangarVmSettings *
hangar_vm_settings_copy (const HangarVmSettings *s)
{
  HangarVmSettings *copy = g_new0 (HangarVmSettings, 1);

  *copy = *s;
  copy->name = g_strdup (s->name);
  copy->title = g_strdup (s->title);
  copy->description = g_strdup (s->description);
  copy->uuid = g_strdup (s->uuid);
  copy->machine = g_strdup (s->machine);
  copy->cdrom_target = g_strdup (s->cdrom_target);
  copy->cdrom_source = g_strdup (s->cdrom_source);
  copy->firmware = g_strdup (s->firmware);
  copy->cpu_mode = g_strdup (s->cpu_mode);
  copy->cpu_models = g_strdupv (s->cpu_models);
  copy->boot_order = g_strdupv (s->boot_order);
  copy->kernel = g_strdup (s->kernel);
  copy->initrd = g_strdup (s->initrd);
  copy->cmdline = g_strdup (s->cmdline);
  copy->devices = s->devices != NULL ? g_ptr_array_ref (s->devices) : NULL;
  return copy;
}

static char *
describe_device (GVirConfigDomainDevice *device)
{
  if (GVIR_CONFIG_IS_DOMAIN_DISK (device))
    {
      GVirConfigDomainDisk *disk = GVIR_CONFIG_DOMAIN_DISK (device);
      const char *source = gvir_config_domain_disk_get_source (disk);
      gboolean cdrom = gvir_config_domain_disk_get_guest_device_type (disk) ==
                       GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM;

      /* Translators: a disk's target (vda) and its image file */
      return g_strdup_printf (cdrom ? _("CD-ROM %s: %s") : _("Disk %s: %s"),
                              gvir_config_domain_disk_get_target_dev (disk),
                              source != NULL ? source : _("(empty)"));
    }
  if (GVIR_CONFIG_IS_DOMAIN_INTERFACE (device))
    {
      const char *model = gvir_config_domain_interface_get_model (GVIR_CONFIG_DOMAIN_INTERFACE (device));
      const char *mac = gvir_config_domain_interface_get_mac (GVIR_CONFIG_DOMAIN_INTERFACE (device));

      return g_strdup_printf (_("Network interface %s (%s)"), mac != NULL ? mac : "",
                              model != NULL ? model : _("default model"));
    }
  if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (device))
    return g_strdup (_("Display: SPICE"));
  if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (device))
    return g_strdup (_("Display: VNC"));
  if (GVIR_CONFIG_IS_DOMAIN_VIDEO (device))
    return g_strdup (_("Video card"));
  if (GVIR_CONFIG_IS_DOMAIN_SOUND (device))
    return g_strdup (_("Sound card"));
  if (GVIR_CONFIG_IS_DOMAIN_INPUT (device))
    return g_strdup (_("Input device"));
  if (GVIR_CONFIG_IS_DOMAIN_CHANNEL (device))
    {
      const char *target = gvir_config_domain_channel_get_target_name (GVIR_CONFIG_DOMAIN_CHANNEL (device));

      return g_strdup_printf (_("Channel %s"), target != NULL ? target : "");
    }
  if (GVIR_CONFIG_IS_DOMAIN_SERIAL (device) || GVIR_CONFIG_IS_DOMAIN_CONSOLE (device))
    return g_strdup (_("Serial console"));
  if (GVIR_CONFIG_IS_DOMAIN_REDIRDEV (device))
    return g_strdup (_("USB redirection"));
  if (GVIR_CONFIG_IS_DOMAIN_CONTROLLER (device))
    return g_strdup (_("Controller"));
  if (GVIR_CONFIG_IS_DOMAIN_MEMBALLOON (device))
    return g_strdup (_("Memory balloon"));
  return g_strdup (_("Other device"));
}

static guint
number_at (xmlNodePtr  node,
           const char *path)
{
  g_autofree char *text = hangar_xml_get (node, path);
  guint64 value = 0;

  if (text != NULL)
    g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL);
  return (guint) value;
}

static char *
firmware_of (xmlNodePtr os)
{
  g_autofree char *firmware = hangar_xml_get (os, "@firmware");
  g_autofree char *loader = hangar_xml_get (os, "loader@type");
  g_autofree char *secure = hangar_xml_get (os, "loader@secure");
  gboolean efi = g_strcmp0 (firmware, "efi") == 0 || g_strcmp0 (loader, "pflash") == 0;

  if (!efi)
    return g_strdup ("bios");
  if (g_strcmp0 (secure, "yes") == 0)
    return g_strdup ("efi-secure");
  for (xmlNodePtr n = os != NULL ? hangar_xml_child (os, "firmware", FALSE) : NULL; n != NULL;
       n = NULL)
    for (xmlNodePtr f = n->children; f != NULL; f = f->next)
      {
        g_autofree char *name = f->type == XML_ELEMENT_NODE ? hangar_xml_get (f, "@name") : NULL;
        g_autofree char *enabled = name != NULL ? hangar_xml_get (f, "@enabled") : NULL;

        if (g_strcmp0 (name, "secure-boot") == 0 && g_strcmp0 (enabled, "yes") == 0)
          return g_strdup ("efi-secure");
      }
  return g_strdup ("efi");
}

/* What libvirt-gconfig has no getter for, from the XML tree. */
static void
read_extras (HangarVmSettings *s,
             GVirConfigDomain *config,
             GVirDomain       *domain)
{
  xmlDocPtr doc = hangar_config_read_tree (GVIR_CONFIG_OBJECT (config));
  xmlNodePtr root = xmlDocGetRootElement (doc);
  xmlNodePtr os = hangar_xml_child (root, "os", FALSE);
  g_autoptr (GStrvBuilder) boot = g_strv_builder_new ();
  g_autofree char *mode = hangar_xml_get (root, "cpu@mode");
  g_autofree char *access = hangar_xml_get (root, "memoryBacking/access@mode");
  g_autofree char *menu = hangar_xml_get (root, "os/bootmenu@enable");
  virDomainPtr handle = NULL;
  int autostart = 0;

  s->max_vcpus = number_at (root, "vcpu");
  s->vcpus = number_at (root, "vcpu@current");
  if (s->vcpus == 0 || s->vcpus > s->max_vcpus)
    s->vcpus = s->max_vcpus;
  s->firmware = firmware_of (os);
  if (g_strcmp0 (mode, "custom") == 0)
    s->cpu_mode = hangar_xml_get (root, "cpu/model");
  else
    s->cpu_mode = g_steal_pointer (&mode);
  s->sockets = number_at (root, "cpu/topology@sockets");
  s->cores = number_at (root, "cpu/topology@cores");
  s->threads = number_at (root, "cpu/topology@threads");
  s->shared_memory = g_strcmp0 (access, "shared") == 0;
  for (xmlNodePtr n = os != NULL ? os->children : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "boot"))
      {
        g_autofree char *dev = hangar_xml_get (n, "@dev");

        if (dev != NULL)
          g_strv_builder_add (boot, dev);
      }
  s->boot_order = g_strv_builder_end (boot);
  s->boot_menu = g_strcmp0 (menu, "yes") == 0;
  s->kernel = hangar_xml_get (root, "os/kernel");
  s->initrd = hangar_xml_get (root, "os/initrd");
  s->cmdline = hangar_xml_get (root, "os/cmdline");
  xmlFreeDoc (doc);

  g_object_get (domain, "handle", &handle, NULL);
  if (handle != NULL)
    {
      if (virDomainGetAutostart (handle, &autostart) < 0)
        virResetLastError ();
      s->autostart = autostart != 0;
      s->active = virDomainIsActive (handle) == 1;
      /* This computer's firmware descriptors; another host's cannot be read here. */
      {
        char *uri = virConnectGetURI (virDomainGetConnect (handle));
        HangarConnectionKind kind = uri != NULL ? hangar_connection_kind_for_uri (uri)
                                                : HANGAR_CONNECTION_KIND_OTHER;

        s->secure_boot = kind == HANGAR_CONNECTION_KIND_REMOTE ||
                         hangar_host_has_secure_boot (NULL);
        free (uri);
      }
      {
        g_autoptr (HangarDomainCaps) caps = hangar_domain_caps_read (handle);

        s->cpu_models = hangar_domain_caps_cpu_models (caps);
      }
      virDomainFree (handle);
    }
}

static void
get_settings_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GVirDomain *domain = task_data;
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config = gvir_domain_get_config (domain, GVIR_DOMAIN_XML_INACTIVE |
                                                     GVIR_DOMAIN_XML_SECURE, &error);
  HangarVmSettings *s;
  GVirConfigDomainOs *os;
  GList *devices;

  if (config == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return;
    }
  s = g_new0 (HangarVmSettings, 1);
  s->name = g_strdup (gvir_config_domain_get_name (config));
  s->title = g_strdup (gvir_config_domain_get_title (config));
  s->description = g_strdup (gvir_config_domain_get_description (config));
  s->uuid = g_strdup (gvir_config_domain_get_uuid (config));
  s->vcpus = (guint) gvir_config_domain_get_vcpus (config);
  s->memory_mib = gvir_config_domain_get_memory (config) / 1024;
  s->current_memory_mib = gvir_config_domain_get_current_memory (config) / 1024;
  if (s->current_memory_mib == 0)
    s->current_memory_mib = s->memory_mib;
  os = gvir_config_domain_get_os (config);
  if (os != NULL)
    {
      s->machine = g_strdup (gvir_config_domain_os_get_machine (os));
      s->uefi = gvir_config_domain_os_get_firmware (os) == GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI;
      g_object_unref (os);
    }
  s->devices = g_ptr_array_new_with_free_func (g_free);
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      g_ptr_array_add (s->devices, describe_device (l->data));
      if (s->cdrom_target == NULL && GVIR_CONFIG_IS_DOMAIN_DISK (l->data) &&
          gvir_config_domain_disk_get_guest_device_type (l->data) ==
          GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM)
        {
          s->cdrom_target = g_strdup (gvir_config_domain_disk_get_target_dev (l->data));
          s->cdrom_source = g_strdup (gvir_config_domain_disk_get_source (l->data));
        }
    }
  g_list_free_full (devices, g_object_unref);
  read_extras (s, config, domain);
  g_object_unref (config);
  g_task_return_pointer (task, s, (GDestroyNotify) hangar_vm_settings_free);
}

void
hangar_vm_get_settings_async (HangarVm            *vm,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  hangar_vm_run_domain_task (vm, cancellable, callback, user_data,
                             hangar_vm_get_settings_async, get_settings_thread);
}

HangarVmSettings *
hangar_vm_get_settings_finish (HangarVm      *vm,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hangar_vm_settings_check (const HangarVmSettings  *s,
                          GError                 **error)
{
  if (!hangar_vm_name_check (s->name, NULL, error))
    return FALSE;
  if (s->vcpus < 1 || s->vcpus > MAX_VCPUS)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("A VM has from 1 to %d virtual CPUs."), MAX_VCPUS);
      return FALSE;
    }
  /* A current count above the hot-plug maximum raises the maximum. */
  if (s->max_vcpus > MAX_VCPUS)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("A VM has from 1 to %d virtual CPUs."), MAX_VCPUS);
      return FALSE;
    }
  if (s->sockets != 0 || s->cores != 0 || s->threads != 0)
    {
      guint max = MAX (s->max_vcpus, s->vcpus);

      if (s->sockets == 0 || s->cores == 0 || s->threads == 0 ||
          (guint64) s->sockets * s->cores * s->threads != max)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                       _("Sockets × cores × threads (%u × %u × %u = %u) must equal the maximum "
                         "number of virtual CPUs (%u)."),
                       s->sockets, s->cores, s->threads, s->sockets * s->cores * s->threads,
                       max);
          return FALSE;
        }
    }
  if (s->boot_order != NULL && s->boot_order[0] == NULL &&
      (s->kernel == NULL || *s->kernel == '\0'))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("Choose at least one boot device, or a kernel to boot directly."));
      return FALSE;
    }
  if ((s->kernel != NULL && *s->kernel != '\0' && !g_path_is_absolute (s->kernel)) ||
      (s->initrd != NULL && *s->initrd != '\0' && !g_path_is_absolute (s->initrd)))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("The kernel and initrd are files on the VM’s host: give their full "
                             "paths."));
      return FALSE;
    }
  if ((s->kernel == NULL || *s->kernel == '\0') &&
      ((s->initrd != NULL && *s->initrd != '\0') || (s->cmdline != NULL && *s->cmdline != '\0')))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("An initrd or kernel arguments need a kernel to boot directly."));
      return FALSE;
    }
  if (s->memory_mib < 16)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("A VM needs at least 16 MiB of memory."));
      return FALSE;
    }
  if (s->current_memory_mib > s->memory_mib || s->current_memory_mib < 16)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The memory in use (%" G_GUINT64_FORMAT " MiB) must be between 16 MiB and "
                     "the maximum (%" G_GUINT64_FORMAT " MiB)."),
                   s->current_memory_mib, s->memory_mib);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  GVirDomain       *domain;
  HangarVmSettings *settings;
  gboolean          pending;
  gboolean          renamed;
} ApplyData;

static void
apply_data_free (ApplyData *data)
{
  g_object_unref (data->domain);
  hangar_vm_settings_free (data->settings);
  g_free (data);
}

static gboolean
strings_differ (const char *a,
                const char *b)
{
  return g_strcmp0 (a != NULL && *a != '\0' ? a : NULL, b != NULL && *b != '\0' ? b : NULL) != 0;
}

static void
set_firmware (xmlNodePtr  root,
              const char *firmware)
{
  xmlNodePtr os = hangar_xml_child (root, "os", TRUE);
  xmlNodePtr features, list;
  gboolean secure = g_strcmp0 (firmware, "efi-secure") == 0;

  /* libvirt picks the firmware files again from the descriptors. */
  hangar_xml_remove_children (os, "loader");
  hangar_xml_remove_children (os, "nvram");
  hangar_xml_remove_children (os, "firmware");
  if (g_strcmp0 (firmware, "bios") == 0 || firmware == NULL)
    {
      xmlUnsetProp (os, BAD_CAST "firmware");
      return;
    }
  xmlSetProp (os, BAD_CAST "firmware", BAD_CAST "efi");
  /* Without Secure Boot, say so: a secure-boot OVMF needs SMM, which not
   * every host has (see PLATFORM-NOTES). */
  list = xmlNewChild (os, NULL, BAD_CAST "firmware", NULL);
  for (const char *const *name = (const char *const[]) { "enrolled-keys", "secure-boot", NULL };
       *name != NULL; name++)
    {
      xmlNodePtr feature = xmlNewChild (list, NULL, BAD_CAST "feature", NULL);

      xmlSetProp (feature, BAD_CAST "enabled", BAD_CAST (secure ? "yes" : "no"));
      xmlSetProp (feature, BAD_CAST "name", BAD_CAST *name);
    }
  features = hangar_xml_child (root, "features", TRUE);
  hangar_xml_child (features, "acpi", TRUE);
  if (secure)
    hangar_xml_child (features, "smm", TRUE);
}

static gboolean
has_virtiofs (xmlNodePtr root)
{
  xmlNodePtr devices = hangar_xml_child (root, "devices", FALSE);

  for (xmlNodePtr n = devices != NULL ? devices->children : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "filesystem"))
      {
        g_autofree char *driver = hangar_xml_get (n, "driver@type");

        if (g_strcmp0 (driver, "virtiofs") == 0)
          return TRUE;
      }
  return FALSE;
}

/* The settings libvirt-gconfig has no setter for, on the XML tree. */
static gboolean
apply_extras (xmlNodePtr              root,
              const HangarVmSettings *s,
              gboolean                active,
              GError                **error)
{
  g_autofree char *old_firmware = firmware_of (hangar_xml_child (root, "os", FALSE));
  g_autofree char *max = g_strdup_printf ("%u", MAX (s->max_vcpus, s->vcpus));
  g_autofree char *current = g_strdup_printf ("%u", s->vcpus);
  xmlNodePtr os = hangar_xml_child (root, "os", TRUE);

  if (s->firmware != NULL && g_strcmp0 (old_firmware, s->firmware) != 0)
    {
      if (active)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                               _("The firmware can change only while the VM is shut off."));
          return FALSE;
        }
      set_firmware (root, s->firmware);
    }

  hangar_xml_set (root, "vcpu", max);
  hangar_xml_set (root, "vcpu@current", s->vcpus < MAX (s->max_vcpus, s->vcpus) ? current : NULL);

  if (s->cpu_mode == NULL || *s->cpu_mode == '\0')
    {
      hangar_xml_set (root, "cpu@mode", NULL);
      hangar_xml_set (root, "cpu@match", NULL);
      hangar_xml_set (root, "cpu/model", NULL);
    }
  else if (g_str_equal (s->cpu_mode, "host-passthrough") || g_str_equal (s->cpu_mode, "host-model"))
    {
      xmlNodePtr cpu = hangar_xml_child (root, "cpu", TRUE);

      hangar_xml_remove_children (cpu, "model");
      xmlUnsetProp (cpu, BAD_CAST "match");
      hangar_xml_set (root, "cpu@mode", s->cpu_mode);
    }
  else
    {
      hangar_xml_set (root, "cpu@mode", "custom");
      hangar_xml_set (root, "cpu@match", "exact");
      hangar_xml_set (root, "cpu/model", s->cpu_mode);
      hangar_xml_set (root, "cpu/model@fallback", "allow");
    }
  if (s->sockets != 0)
    {
      g_autofree char *sockets = g_strdup_printf ("%u", s->sockets);
      g_autofree char *cores = g_strdup_printf ("%u", s->cores);
      g_autofree char *threads = g_strdup_printf ("%u", s->threads);

      hangar_xml_set (root, "cpu/topology@sockets", sockets);
      hangar_xml_set (root, "cpu/topology@dies", NULL);
      hangar_xml_set (root, "cpu/topology@cores", cores);
      hangar_xml_set (root, "cpu/topology@threads", threads);
    }
  else if (hangar_xml_child (root, "cpu", FALSE) != NULL)
    hangar_xml_remove_children (hangar_xml_child (root, "cpu", FALSE), "topology");
  {
    xmlNodePtr cpu = hangar_xml_child (root, "cpu", FALSE);

    if (cpu != NULL && cpu->properties == NULL && cpu->children == NULL)
      {
        xmlUnlinkNode (cpu);
        xmlFreeNode (cpu);
      }
  }

  if (!s->shared_memory && has_virtiofs (root))
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("A shared folder (virtiofs) needs shared memory: remove the folder "
                             "first."));
      return FALSE;
    }
  hangar_xml_set (root, "memoryBacking/source@type", s->shared_memory ? "memfd" : NULL);
  hangar_xml_set (root, "memoryBacking/access@mode", s->shared_memory ? "shared" : NULL);

  if (s->boot_order != NULL)
    {
      xmlNodePtr type = hangar_xml_child (os, "type", TRUE);
      xmlNodePtr after = type;

      hangar_xml_remove_children (os, "boot");
      /* <boot> elements follow <type> (and <loader>/<kernel>) in libvirt's output. */
      for (guint i = 0; s->boot_order[i] != NULL; i++)
        {
          xmlNodePtr boot = xmlNewNode (NULL, BAD_CAST "boot");

          xmlSetProp (boot, BAD_CAST "dev", BAD_CAST s->boot_order[i]);
          after = xmlAddNextSibling (after, boot);
        }
    }
  hangar_xml_set (root, "os/bootmenu@enable", s->boot_menu ? "yes" : NULL);
  hangar_xml_set (root, "os/kernel", s->kernel);
  hangar_xml_set (root, "os/initrd", s->kernel != NULL && *s->kernel != '\0' ? s->initrd : NULL);
  hangar_xml_set (root, "os/cmdline", s->kernel != NULL && *s->kernel != '\0' ? s->cmdline : NULL);
  return TRUE;
}

static void
apply_settings_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  ApplyData *data = task_data;
  HangarVmSettings *s = data->settings;
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config;
  virDomainPtr handle = NULL;
  gboolean active, renamed;
  guint64 old_current;
  guint old_vcpus;
  guint64 old_memory;

  /* With secrets: what is written back must keep display passwords. */
  config = gvir_domain_get_config (data->domain, GVIR_DOMAIN_XML_INACTIVE | GVIR_DOMAIN_XML_SECURE,
                                   &error);
  if (config == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return;
    }
  g_object_get (data->domain, "handle", &handle, NULL);
  active = handle != NULL && virDomainIsActive (handle) == 1;
  renamed = g_strcmp0 (s->name, gvir_config_domain_get_name (config)) != 0;
  if (renamed && active)
    {
      g_object_unref (config);
      virDomainFree (handle);
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                               _("A running VM cannot be renamed: shut it down first."));
      return;
    }
  if (renamed && handle != NULL)
    {
      /* Before anything is saved: a taken name must change nothing. */
      virDomainPtr other = virDomainLookupByName (virDomainGetConnect (handle), s->name);

      virResetLastError ();
      if (other != NULL)
        {
          virDomainFree (other);
          g_object_unref (config);
          virDomainFree (handle);
          g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                                   _("There is already a VM called “%s” on this connection."),
                                   s->name);
          return;
        }
    }

  old_current = gvir_config_domain_get_current_memory (config) / 1024;
  old_vcpus = (guint) gvir_config_domain_get_vcpus (config);
  old_memory = gvir_config_domain_get_memory (config) / 1024;
  if (strings_differ (s->title, gvir_config_domain_get_title (config)))
    gvir_config_domain_set_title (config, s->title != NULL && *s->title != '\0' ? s->title : NULL);
  if (strings_differ (s->description, gvir_config_domain_get_description (config)))
    gvir_config_domain_set_description (config, s->description != NULL && *s->description != '\0'
                                                ? s->description : NULL);
  gvir_config_domain_set_vcpus (config, s->vcpus);
  gvir_config_domain_set_memory (config, s->memory_mib * 1024);
  gvir_config_domain_set_current_memory (config, s->current_memory_mib * 1024);
  {
    xmlDocPtr doc = hangar_config_read_tree (GVIR_CONFIG_OBJECT (config));
    g_autofree char *before = hangar_xml_dump (xmlDocGetRootElement (doc));
    g_autofree char *after = NULL;

    if (!apply_extras (xmlDocGetRootElement (doc), s, active, &error))
      {
        xmlFreeDoc (doc);
        g_object_unref (config);
        if (handle != NULL)
          virDomainFree (handle);
        g_task_return_error (task, g_steal_pointer (&error));
        return;
      }
    after = hangar_xml_dump (xmlDocGetRootElement (doc));
    if (active && g_strcmp0 (before, after) != 0)
      data->pending = TRUE;
    {
      GVirConfigObject *rebuilt = hangar_config_rebuild (GVIR_CONFIG_OBJECT (config), "domain", doc);

      g_object_unref (config);
      config = GVIR_CONFIG_DOMAIN (rebuilt);
    }
  }
  if (!gvir_domain_set_config (data->domain, config, &error))
    {
      g_object_unref (config);
      if (handle != NULL)
        virDomainFree (handle);
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not save the settings")));
      return;
    }
  g_object_unref (config);

  if (active)
    {
      /* The balloon moves now; CPUs and the maximum wait for a restart. */
      if (s->current_memory_mib != old_current &&
          virDomainSetMemoryFlags (handle, s->current_memory_mib * 1024,
                                   VIR_DOMAIN_AFFECT_LIVE) < 0)
        {
          virResetLastError ();
          data->pending = TRUE;
        }
      if (s->vcpus != old_vcpus || s->memory_mib != old_memory)
        data->pending = TRUE;
    }
  if (handle != NULL)
    {
      int autostart = 0;

      if (virDomainGetAutostart (handle, &autostart) == 0 && (autostart != 0) != s->autostart &&
          virDomainSetAutostart (handle, s->autostart) < 0)
        {
          virDomainFree (handle);
          g_task_return_error (task, hangar_error_from_libvirt (_("Could not change autostart")));
          return;
        }
      virResetLastError ();
    }
  if (renamed && virDomainRename (handle, s->name, 0) < 0)
    {
      virDomainFree (handle);
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not rename the VM")));
      return;
    }
  data->renamed = renamed;
  if (handle != NULL)
    virDomainFree (handle);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_apply_settings_async (HangarVm               *vm,
                                const HangarVmSettings *settings,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_autoptr (GTask) task = g_task_new (vm, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  ApplyData *data;

  g_task_set_source_tag (task, hangar_vm_apply_settings_async);
  if (!hangar_vm_settings_check (settings, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data = g_new0 (ApplyData, 1);
  data->domain = g_object_ref (hangar_vm_get_domain (vm));
  data->settings = hangar_vm_settings_copy (settings);
  g_task_set_task_data (task, data, (GDestroyNotify) apply_data_free);
  g_task_run_in_thread (task, apply_settings_thread);
}

gboolean
hangar_vm_apply_settings_finish (HangarVm      *vm,
                                 GAsyncResult  *result,
                                 gboolean      *pending,
                                 GError       **error)
{
  ApplyData *data;

  g_return_val_if_fail (g_task_is_valid (result, vm), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (pending != NULL)
    *pending = data->pending;
  if (data->renamed)
    hangar_vm_update_name (vm, data->settings->name);
  /* What the VM page and the list show, when it is already in effect. */
  if (!data->pending)
    hangar_vm_update_resources (vm, data->settings->vcpus, data->settings->memory_mib * 1024);
  return TRUE;
}

typedef struct
{
  GVirDomain *domain;
  char       *target;
  char       *path;
} MediaData;

static void
media_data_free (MediaData *data)
{
  g_object_unref (data->domain);
  g_free (data->target);
  g_free (data->path);
  g_free (data);
}

static void
change_media_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  MediaData *data = task_data;
  g_autoptr (GError) error = NULL;
  virDomainPtr handle = NULL;
  GVirConfigDomain *config;
  GVirConfigDomainDisk *drive = NULL;
  GList *devices;
  guint flags = GVIR_DOMAIN_UPDATE_DEVICE_CONFIG;

  if (data->path != NULL && !g_file_test (data->path, G_FILE_TEST_IS_REGULAR))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                               _("%s is not a file."), data->path);
      return;
    }
  g_object_get (data->domain, "handle", &handle, NULL);
  if (handle != NULL && virDomainIsActive (handle) == 1)
    flags |= GVIR_DOMAIN_UPDATE_DEVICE_LIVE;
  if (handle != NULL)
    virDomainFree (handle);

  config = gvir_domain_get_config (data->domain, 0, &error);
  if (config == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return;
    }
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL && drive == NULL; l = l->next)
    if (GVIR_CONFIG_IS_DOMAIN_DISK (l->data) &&
        gvir_config_domain_disk_get_guest_device_type (l->data) ==
        GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM &&
        g_strcmp0 (gvir_config_domain_disk_get_target_dev (l->data), data->target) == 0)
      drive = g_object_ref (l->data);
  g_list_free_full (devices, g_object_unref);
  g_object_unref (config);
  if (drive == NULL)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                               _("The VM has no CD-ROM drive %s."), data->target);
      return;
    }

  if (data->path != NULL)
    gvir_config_domain_disk_set_source (drive, data->path);
  else
    {
      /* libvirt-gconfig cannot unset a source: drop the element instead. */
      GVirConfigObject *empty = hangar_config_without_child (GVIR_CONFIG_OBJECT (drive), "disk",
                                                             "source");

      g_object_unref (drive);
      drive = GVIR_CONFIG_DOMAIN_DISK (empty);
    }
  if (!gvir_domain_update_device (data->domain, GVIR_CONFIG_DOMAIN_DEVICE (drive), flags, &error))
    {
      g_object_unref (drive);
      g_task_return_error (task, hangar_error_from_libvirt (data->path != NULL
                                                            ? _("Could not change the CD-ROM")
                                                            : _("Could not eject the CD-ROM")));
      return;
    }
  g_object_unref (drive);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_change_media_async (HangarVm            *vm,
                              const char          *target,
                              const char          *path,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (vm, cancellable, callback, user_data);
  MediaData *data = g_new0 (MediaData, 1);

  g_task_set_source_tag (task, hangar_vm_change_media_async);
  data->domain = g_object_ref (hangar_vm_get_domain (vm));
  data->target = g_strdup (target);
  data->path = g_strdup (path);
  g_task_set_task_data (task, data, (GDestroyNotify) media_data_free);
  g_task_run_in_thread (task, change_media_thread);
}

gboolean
hangar_vm_change_media_finish (HangarVm      *vm,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
