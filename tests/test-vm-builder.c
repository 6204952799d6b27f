/* test-vm-builder.c: the new-VM wizard's model on libvirt's test driver:
 * defaults from Debian's osinfo-db (Debian 11, Windows 11 UEFI-only, the
 * generic fallback), name rules and suggestions, the domain it builds (read
 * back from libvirt), and creates that leave nothing behind on bad input. */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/libvirt.h>
#include <unistd.h>

#include "hangar-error.h"
#include "hangar-test-util.h"
#include "hangar-vm-builder.h"

static OsinfoDb *db;

static OsinfoOs *
find_os (const char *short_id)
{
  g_autoptr (OsinfoOsList) list = osinfo_db_get_os_list (db);

  for (int i = 0; i < osinfo_list_get_length (OSINFO_LIST (list)); i++)
    {
      OsinfoOs *os = OSINFO_OS (osinfo_list_get_nth (OSINFO_LIST (list), i));

      if (g_strcmp0 (osinfo_product_get_short_id (OSINFO_PRODUCT (os)), short_id) == 0)
        return g_object_ref (os);
    }
  g_error ("osinfo-db has no %s", short_id);
}

static void
test_defaults (void)
{
  g_autoptr (OsinfoOs) debian = find_os ("debian11");
  g_autoptr (OsinfoOs) win = find_os ("win11");
  HangarVmSpec spec;

  hangar_vm_spec_init (&spec);
  /* Generic: 2 GiB, 2 vCPUs, 20 GiB, no virtio, BIOS. */
  g_assert_cmpuint (spec.memory_mib, ==, 2048);
  g_assert_cmpuint (spec.vcpus, ==, 2);
  g_assert_cmpuint (spec.disk_gib, ==, 20);
  g_assert_false (spec.virtio_disk || spec.virtio_net || spec.virtio_gpu);
  g_assert_cmpint (spec.firmware, ==, HANGAR_FIRMWARE_BIOS);

  /* Debian 11 recommends 1 GiB and 20 GiB, says no vCPU count: twice its
   * minimum of 1. It has virtio drivers. */
  hangar_vm_spec_set_os (&spec, debian);
  g_assert_cmpuint (spec.memory_mib, ==, 1024);
  g_assert_cmpuint (spec.min_memory_mib, ==, 1024);
  g_assert_cmpuint (spec.vcpus, ==, 2);
  g_assert_cmpuint (spec.disk_gib, ==, 20);
  g_assert_true (spec.virtio_disk);
  g_assert_true (spec.virtio_net);
  g_assert_cmpint (spec.firmware, ==, HANGAR_FIRMWARE_BIOS);
  g_assert_false (spec.uefi_only);

  /* Windows 11 recommends nothing: twice its minimum (4 GiB, 2 CPUs,
   * 64 GiB); it supports only UEFI and has no virtio drivers in the box. */
  hangar_vm_spec_set_os (&spec, win);
  g_assert_cmpuint (spec.memory_mib, ==, 8192);
  g_assert_cmpuint (spec.vcpus, ==, 4);
  g_assert_cmpuint (spec.disk_gib, ==, 128);
  g_assert_true (spec.uefi_only);
  g_assert_cmpint (spec.firmware, ==, HANGAR_FIRMWARE_UEFI);
  g_assert_false (spec.virtio_disk);
  g_assert_false (spec.virtio_net);

  /* Back to generic. */
  hangar_vm_spec_set_os (&spec, NULL);
  g_assert_null (spec.os);
  g_assert_cmpuint (spec.memory_mib, ==, 2048);
  hangar_vm_spec_clear (&spec);
}

static void
test_names (void)
{
  g_autoptr (HangarConnection) connection = hangar_connection_new ("test:///default", NULL);
  g_autoptr (OsinfoOs) debian = find_os ("debian11");
  g_autoptr (GError) error = NULL;
  g_autofree char *suggested = NULL;
  g_autofree char *generic = NULL;
  const char *bad[] = { "", "my vm", "a/b", "vm$", "déjà", "-x", ".hidden",
                        "0123456789012345678901234567890123456789012345678901234567890123456789" };

  g_assert_true (hangar_test_open_connection (connection, 10000, &error));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_clear_error (&error);
      g_assert_false (hangar_vm_name_check (bad[i], hangar_connection_get_vms (connection),
                                            &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
      g_test_message ("%s: %s", bad[i], error->message);
    }
  g_clear_error (&error);
  g_assert_false (hangar_vm_name_check ("test", hangar_connection_get_vms (connection), &error));
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_error (&error);
  g_assert_true (hangar_vm_name_check ("debian11_web-1.2", hangar_connection_get_vms (connection),
                                       &error));

  suggested = hangar_vm_name_suggest (debian, hangar_connection_get_vms (connection));
  g_assert_cmpstr (suggested, ==, "debian11");
  generic = hangar_vm_name_suggest (NULL, hangar_connection_get_vms (connection));
  g_assert_cmpstr (generic, ==, "vm");
}

static char *
spec_xml (HangarVmSpec *spec,
          gboolean      nat_network)
{
  GVirConfigDomain *config = hangar_vm_spec_to_config (spec, "/var/lib/hangar-test/disk", "qcow2",
                                                       TRUE, nat_network);
  char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));

  g_object_unref (config);
  return xml;
}

/* The wizard's network and firmware choices, as libvirt will read them. */
static void
test_network_firmware (void)
{
  HangarVmSpec spec;
  g_autoptr (GError) error = NULL;
  char *xml;

  hangar_vm_spec_init (&spec);
  spec.name = g_strdup ("net");
  xml = spec_xml (&spec, FALSE);
  g_assert_nonnull (strstr (xml, "<interface type=\"user\">"));
  g_assert_null (strstr (xml, "firmware"));
  g_free (xml);
  xml = spec_xml (&spec, TRUE);   /* qemu:///system's usual */
  g_assert_nonnull (strstr (xml, "<source network=\"default\"/>"));
  g_free (xml);

  spec.network = HANGAR_NETWORK_BRIDGE;
  spec.network_source = g_strdup ("br0");
  spec.pxe = TRUE;
  spec.firmware = HANGAR_FIRMWARE_UEFI;
  xml = spec_xml (&spec, TRUE);
  g_assert_nonnull (strstr (xml, "<interface type=\"bridge\">"));
  g_assert_nonnull (strstr (xml, "<source bridge=\"br0\"/>"));
  /* Network boot first, then the disk. */
  g_assert_nonnull (strstr (xml, "<boot dev=\"network\"/>"));
  g_assert_true (strstr (xml, "<boot dev=\"network\"/>") < strstr (xml, "<boot dev=\"hd\"/>"));
  g_assert_nonnull (strstr (xml, "<os firmware=\"efi\">"));
  g_assert_nonnull (strstr (xml, "<feature enabled=\"no\" name=\"secure-boot\"/>"));
  g_assert_null (strstr (xml, "<smm"));
  g_free (xml);

  spec.firmware = HANGAR_FIRMWARE_UEFI_SECURE;
  spec.network = HANGAR_NETWORK_VIRTUAL;
  g_free (spec.network_source);
  spec.network_source = g_strdup ("lan");
  xml = spec_xml (&spec, FALSE);
  g_assert_nonnull (strstr (xml, "<source network=\"lan\"/>"));
  g_assert_nonnull (strstr (xml, "<feature enabled=\"yes\" name=\"secure-boot\"/>"));
  g_assert_nonnull (strstr (xml, "<smm/>"));
  g_free (xml);

  /* Names that are not one. */
  g_assert_false (hangar_vm_network_check (HANGAR_NETWORK_BRIDGE, "", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (hangar_vm_network_check (HANGAR_NETWORK_BRIDGE, "br0; reboot", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (hangar_vm_network_check (HANGAR_NETWORK_BRIDGE, "a-very-long-bridge", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_true (hangar_vm_network_check (HANGAR_NETWORK_VIRTUAL, "a-very-long-network-name",
                                          &error));
  g_assert_true (hangar_vm_network_check (HANGAR_NETWORK_USER, NULL, &error));
  hangar_vm_spec_clear (&spec);
}

/* Secure Boot is offered where the firmware descriptors have it. */
static void
test_secure_boot_firmware (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hfw-XXXXXX", NULL);
  g_autofree char *plain = g_build_filename (dir, "60-edk2-x86_64.json", NULL);
  g_autofree char *secure = g_build_filename (dir, "50-edk2-x86_64-secure.json", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (plain,
    "{\"features\": [\"acpi-s3\"], \"targets\": [{\"architecture\": \"x86_64\"}]}",
    -1, &error));
  g_assert_false (hangar_host_has_secure_boot (dir));
  g_assert_true (g_file_set_contents (secure,
    "{\"features\": [\"requires-smm\", \"secure-boot\"], "
    "\"targets\": [{\"architecture\": \"x86_64\"}]}", -1, &error));
  g_assert_true (hangar_host_has_secure_boot (dir));
  g_unlink (plain);
  g_unlink (secure);
  g_rmdir (dir);
  g_test_message ("this computer's OVMF has Secure Boot: %s",
                  hangar_host_has_secure_boot (NULL) ? "yes" : "no");
}

/* CD/DVD drives, from a made-up /sys/block; a drive is a block CD-ROM. */
static void
test_optical_drives (void)
{
  g_autofree char *root = g_dir_make_tmp ("hsys-XXXXXX", NULL);
  g_autofree char *sr0 = g_build_filename (root, "sr0", "device", NULL);
  g_autofree char *sr1 = g_build_filename (root, "sr1", NULL);
  g_autofree char *sda = g_build_filename (root, "sda", NULL);
  g_autofree char *model = g_build_filename (sr0, "model", NULL);
  g_autoptr (GPtrArray) none = hangar_host_optical_drives (sda);
  g_autoptr (GPtrArray) drives = NULL;
  g_autoptr (GError) error = NULL;
  HangarVmSpec spec;
  char *xml;

  g_assert_cmpuint (none->len, ==, 0);  /* no such folder: no drives */
  g_assert_cmpint (g_mkdir_with_parents (sr0, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (sr1, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (sda, 0700), ==, 0);
  g_assert_true (g_file_set_contents (model, "DVD-RAM UJ8E2   \n", -1, &error));
  drives = hangar_host_optical_drives (root);
  g_assert_cmpuint (drives->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (drives, 0), ==, "/dev/sr0");
  g_assert_cmpstr (g_ptr_array_index (drives, 1), ==, "DVD-RAM UJ8E2 (sr0)");
  g_assert_cmpstr (g_ptr_array_index (drives, 2), ==, "/dev/sr1");
  g_assert_cmpstr (g_ptr_array_index (drives, 3), ==, "sr1");

  hangar_vm_spec_init (&spec);
  spec.name = g_strdup ("fromdrive");
  spec.media_path = g_strdup ("/dev/sr0");
  xml = spec_xml (&spec, FALSE);
  g_assert_nonnull (strstr (xml, "<disk type=\"block\" device=\"cdrom\">"));
  g_assert_nonnull (strstr (xml, "<source dev=\"/dev/sr0\"/>"));
  g_free (xml);
  hangar_vm_spec_clear (&spec);

  g_unlink (model);
  g_rmdir (sr0);
  g_rmdir (sr1);
  {
    g_autofree char *sr0dir = g_build_filename (root, "sr0", NULL);

    g_rmdir (sr0dir);
  }
  g_rmdir (sda);
  g_rmdir (root);
}

/* Every domain the wizard can make passes libvirt's schema, for a spread
 * of osinfo OSes and the wizard's choices. */
static void
test_validate (void)
{
  const char *ids[] = { "debian10", "debian11", "ubuntu22.04", "fedora37", "rhel9.0",
                        "centos-stream9", "opensuse15.4", "alpinelinux3.17", "archlinux",
                        "freebsd13.1", "win10", "win11", "win2k22", NULL /* generic */ };
  g_autofree char *dir = g_dir_make_tmp ("hvx-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  guint validated = 0;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    for (guint choice = 0; choice < 6; choice++)
      {
        g_autoptr (OsinfoOs) os = ids[i] != NULL ? find_os (ids[i]) : NULL;
        g_autoptr (GError) error = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *out = NULL;
        g_autofree char *err = NULL;
        const char *argv[] = { "virt-xml-validate", file, "domain", NULL };
        GVirConfigDomain *config;
        HangarVmSpec spec;
        int status;

        hangar_vm_spec_init (&spec);
        hangar_vm_spec_set_os (&spec, os);
        spec.name = g_strdup_printf ("%s-%u", ids[i] != NULL ? ids[i] : "vm", choice);
        /* 0: install from media onto a new disk; 1: import a raw image;
         * 2: UEFI, no media; 3: only media, no disk. */
        if (choice == 0 || choice == 3)
          spec.media_path = g_strdup ("/var/lib/hangar-test/install.iso");
        if (choice == 2)
          spec.firmware = HANGAR_FIRMWARE_UEFI;
        /* 4: Secure Boot, a host bridge, network boot; 5: a virtual network. */
        if (choice == 4)
          {
            spec.firmware = HANGAR_FIRMWARE_UEFI_SECURE;
            spec.network = HANGAR_NETWORK_BRIDGE;
            spec.network_source = g_strdup ("br0");
            spec.pxe = TRUE;
          }
        if (choice == 5)
          {
            spec.network = HANGAR_NETWORK_VIRTUAL;
            spec.network_source = g_strdup ("lan");
          }
        config = hangar_vm_spec_to_config (&spec,
                                           choice == 3 ? NULL : "/var/lib/hangar-test/disk",
                                           choice == 1 ? "raw" : "qcow2",
                                           choice % 2 == 0, choice == 2);
        xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
        g_assert_true (g_file_set_contents (file, xml, -1, &error));
        g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                     &out, &err, &status, &error));
        if (!g_spawn_check_wait_status (status, NULL))
          g_error ("%s (choice %u) does not validate: %s%s\n%s", spec.name, choice, out, err, xml);
        validated++;
        g_object_unref (config);
        hangar_vm_spec_clear (&spec);
      }
  g_test_message ("%u domains validated", validated);
  g_assert_cmpuint (validated, ==, G_N_ELEMENTS (ids) * 6);
  g_unlink (file);
  g_rmdir (dir);
}

static OsinfoOs *
identify (HangarOsDb  *os_db,
          const char  *path,
          GError     **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_media_identify_async (os_db, path, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 30 * 1000);
  return hangar_media_identify_finish (os_db, result, error);
}

/* ISOs made here with xorriso, labelled as the real media are (osinfo-db's
 * volume id patterns), a file that is no ISO, and ones that cannot be read. */
static void
test_media (gconstpointer user_data)
{
  HangarOsDb *os_db = (HangarOsDb *) user_data;
  g_autofree char *dir = g_dir_make_tmp ("hmedia-XXXXXX", NULL);
  g_autofree char *content = g_build_filename (dir, "content", NULL);
  g_autofree char *readme = g_build_filename (content, "README", NULL);
  g_autofree char *debian = g_build_filename (dir, "debian-11.5.0-amd64-netinst.iso", NULL);
  g_autofree char *plain = g_build_filename (dir, "plain.iso", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.iso", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.iso", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OsinfoOs) os = NULL;
  struct { const char *path; const char *volume; } isos[] = {
    { debian, "Debian 11.5.0 amd64 n" },
    { plain, "DATA" },
  };

  g_assert_cmpint (g_mkdir (content, 0700), ==, 0);
  g_assert_true (g_file_set_contents (readme, "Hangar test media\n", -1, NULL));
  {
    g_autofree char *boot = g_build_filename (content, "boot.bin", NULL);
    g_autofree char *zeros = g_malloc0 (2048);

    g_assert_true (g_file_set_contents (boot, zeros, 2048, NULL));
  }
  for (guint i = 0; i < G_N_ELEMENTS (isos); i++)
    {
      /* El Torito, as install media have it (libosinfo looks at bootable
       * media only); the boot image itself is never run. */
      const char *argv[] = { "xorriso", "-as", "mkisofs", "-quiet", "-V", isos[i].volume,
                             "-b", "boot.bin", "-no-emul-boot", "-boot-load-size", "4",
                             "-o", isos[i].path, content, NULL };
      int status;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                                   G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                   G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status,
                                   &error));
      g_assert_true (g_spawn_check_wait_status (status, NULL));
    }

  os = identify (os_db, debian, &error);
  g_assert_no_error (error);
  g_assert_nonnull (os);
  g_assert_cmpstr (osinfo_product_get_short_id (OSINFO_PRODUCT (os)), ==, "debian11");
  g_clear_object (&os);

  /* An ISO of nothing known, and a text file: an unknown OS, no error. */
  os = identify (os_db, plain, &error);
  g_assert_no_error (error);
  g_assert_null (os);
  g_assert_true (g_file_set_contents (text, "not an image", -1, NULL));
  os = identify (os_db, text, &error);
  g_assert_no_error (error);
  g_assert_null (os);

  /* Missing, or a folder: a message naming the file. */
  os = identify (os_db, missing, &error);
  g_assert_null (os);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "missing.iso"));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  os = identify (os_db, content, &error);
  g_assert_null (os);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_IO);
  g_test_message ("%s", error->message);

  g_unlink (readme);
  {
    g_autofree char *boot = g_build_filename (content, "boot.bin", NULL);

    g_unlink (boot);
  }
  g_rmdir (content);
  g_unlink (debian);
  g_unlink (plain);
  g_unlink (text);
  g_rmdir (dir);
}

typedef struct
{
  HangarConnection *connection;
  char             *images;   /* $XDG_DATA_HOME/hangar/images */
  char             *iso;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->connection = hangar_connection_new ("test:///default", NULL);
  g_assert_true (hangar_test_open_connection (fixture->connection, 10000, &error));
  fixture->images = hangar_vm_images_dir ();
  fixture->iso = g_build_filename (g_get_user_data_dir (), "install.iso", NULL);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  g_assert_true (g_file_set_contents (fixture->iso, "not really an ISO", -1, NULL));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  hangar_connection_close (fixture->connection);
  g_clear_object (&fixture->connection);
  g_unlink (fixture->iso);
  g_free (fixture->iso);
  g_free (fixture->images);
}

static char *
create (Fixture            *fixture,
        const HangarVmSpec *spec,
        GError            **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_create_async (fixture->connection, spec, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 60 * 1000);
  return hangar_vm_create_finish (fixture->connection, result, error);
}

static GVirConfigDomain *
libvirt_config (Fixture    *fixture,
                const char *name)
{
  GVirConnection *gvir = hangar_connection_get_gvir (fixture->connection);
  g_autoptr (GError) error = NULL;
  GVirDomain *domain;
  GVirConfigDomain *config;

  g_assert_true (gvir_connection_fetch_domains (gvir, NULL, &error));
  domain = gvir_connection_find_domain_by_name (gvir, name);
  g_assert_nonnull (domain);
  config = gvir_domain_get_config (domain, GVIR_DOMAIN_XML_INACTIVE, &error);
  g_assert_no_error (error);
  g_object_unref (domain);
  return config;
}

static void
test_create (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr (OsinfoOs) debian = find_os ("debian11");
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *image = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *os_id = NULL;
  GVirConfigDomain *config;
  GList *devices;
  guint disks = 0, cdroms = 0, nics = 0, channels = 0, tablets = 0;
  gboolean spice = FALSE, virtio_video = FALSE;
  HangarVmSpec spec;

  hangar_vm_spec_init (&spec);
  hangar_vm_spec_set_os (&spec, debian);
  spec.name = hangar_vm_name_suggest (debian, hangar_connection_get_vms (fixture->connection));
  spec.disk_gib = 1;
  spec.media_path = g_strdup (fixture->iso);
  name = create (fixture, &spec, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "debian11");

  /* The image exists, and is qcow2 for qemu-img. */
  image = g_build_filename (fixture->images, "debian11.qcow2", NULL);
  {
    g_autofree char *format = hangar_disk_image_format (image, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (format, ==, "qcow2");
  }

  /* libvirt has the domain the wizard described. */
  config = libvirt_config (fixture, name);
  g_assert_cmpuint (gvir_config_domain_get_memory (config), ==, 1024 * 1024);
  g_assert_cmpuint (gvir_config_domain_get_vcpus (config), ==, 2);
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      if (GVIR_CONFIG_IS_DOMAIN_DISK (l->data))
        {
          GVirConfigDomainDisk *disk = l->data;

          if (gvir_config_domain_disk_get_guest_device_type (disk) ==
              GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM)
            {
              cdroms++;
              g_assert_cmpstr (gvir_config_domain_disk_get_source (disk), ==, fixture->iso);
            }
          else
            {
              disks++;
              g_assert_cmpstr (gvir_config_domain_disk_get_source (disk), ==, image);
              /* (libvirt-gconfig 4.0 reads every bus back as IDE; the XML
               * below says virtio.) */
              g_assert_cmpstr (gvir_config_domain_disk_get_target_dev (disk), ==, "vda");
              {
                GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_get_driver (disk);

                g_assert_cmpint (gvir_config_domain_disk_driver_get_format (driver), ==,
                                 GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
                g_object_unref (driver);
              }
            }
        }
      else if (GVIR_CONFIG_IS_DOMAIN_INTERFACE (l->data))
        {
          nics++;
          g_assert_true (GVIR_CONFIG_IS_DOMAIN_INTERFACE_USER (l->data));
          g_assert_cmpstr (gvir_config_domain_interface_get_model (l->data), ==, "virtio");
        }
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        spice = TRUE;
      else if (GVIR_CONFIG_IS_DOMAIN_VIDEO (l->data))
        virtio_video = gvir_config_domain_video_get_model (l->data) ==
                       GVIR_CONFIG_DOMAIN_VIDEO_MODEL_VIRTIO;
      else if (GVIR_CONFIG_IS_DOMAIN_CHANNEL (l->data))
        channels++;
      else if (GVIR_CONFIG_IS_DOMAIN_INPUT (l->data) &&
               gvir_config_domain_input_get_device_type (l->data) ==
               GVIR_CONFIG_DOMAIN_INPUT_DEVICE_TABLET)
        tablets++;
    }
  g_list_free_full (devices, g_object_unref);
  g_assert_cmpuint (disks, ==, 1);
  g_assert_cmpuint (cdroms, ==, 1);
  g_assert_cmpuint (nics, ==, 1);
  g_assert_true (spice);
  g_assert_cmpuint (channels, ==, 2);
  g_assert_cmpuint (tablets, ==, 1);
  g_assert_cmpint (gvir_config_domain_os_get_machine (gvir_config_domain_get_os (config)) != NULL,
                   ==, TRUE);
  /* The display listens on nothing. */
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  g_assert_nonnull (strstr (xml, "<listen type=\"none\"/>"));
  g_assert_nonnull (strstr (xml, "<target dev=\"vda\" bus=\"virtio\"/>"));
  g_assert_nonnull (strstr (xml, "q35"));
  /* The sidebar's OS name comes from this metadata. */
  os_id = gvir_config_domain_get_custom_xml (config, HANGAR_LIBOSINFO_XMLNS);
  g_assert_nonnull (os_id);
  g_assert_nonnull (strstr (os_id, "http://debian.org/debian/11"));
  (void) virtio_video;
  g_object_unref (config);

  /* The same name again: refused, the image left alone. */
  {
    g_autofree char *again = NULL;

    again = create (fixture, &spec, &error);
    g_assert_null (again);
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
    g_clear_error (&error);
    g_assert_true (g_file_test (image, G_FILE_TEST_EXISTS));
  }
  g_unlink (image);
  hangar_vm_spec_clear (&spec);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

static void
test_create_refused (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *huge = g_build_filename (fixture->images, "huge.qcow2", NULL);
  g_autofree char *bad = g_build_filename (fixture->images, "bad name.qcow2", NULL);
  guint before = g_list_model_get_n_items (hangar_connection_get_vms (fixture->connection));
  HangarVmSpec spec;

  hangar_vm_spec_init (&spec);
  spec.name = g_strdup ("bad name");
  name = create (fixture, &spec, &error);
  g_assert_null (name);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* More than the disk has: refused before anything is made. */
  g_free (spec.name);
  spec.name = g_strdup ("huge");
  spec.disk_gib = G_GUINT64_CONSTANT (1) << 30;  /* an exbibyte */
  name = create (fixture, &spec, &error);
  g_assert_null (name);
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_false (g_file_test (huge, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  /* Events of anything defined would arrive meanwhile. */
  hangar_test_wait_until (never, NULL, 200);
  g_assert_cmpuint (g_list_model_get_n_items (hangar_connection_get_vms (fixture->connection)),
                    ==, before);

  /* A folder the disk cannot be written in (immutable for root, which
   * ignores permissions; read-only by mode for others): refused with the
   * reason, nothing made. */
  {
    g_autofree char *ro = g_build_filename (fixture->images, "read-only", NULL);
    g_autofree char *inside = g_build_filename (ro, "ro.qcow2", NULL);
    const char *lock[] = { "chattr", "+i", ro, NULL };
    const char *unlock[] = { "chattr", "-i", ro, NULL };
    int status = 1;

    g_assert_cmpint (g_mkdir (ro, 0700), ==, 0);
    if (getuid () == 0)
      g_assert_true (g_spawn_sync (NULL, (char **) lock, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                   NULL, NULL, &status, NULL) && status == 0);
    else
      g_assert_cmpint (g_chmod (ro, 0500), ==, 0);
    g_free (spec.name);
    spec.name = g_strdup ("ro");
    spec.disk_gib = 1;
    spec.disk_dir = g_strdup (ro);
    name = create (fixture, &spec, &error);
    g_assert_null (name);
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, ro));
    g_clear_error (&error);
    g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
    g_assert_false (hangar_vm_disk_dir_check ("relative/dir", NULL));
    if (getuid () == 0)
      g_spawn_sync (NULL, (char **) unlock, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    g_rmdir (ro);
    g_clear_pointer (&spec.disk_dir, g_free);
  }

  /* libvirt refuses the domain (no memory): the image made for it goes. */
  {
    g_autofree char *undo = g_build_filename (fixture->images, "undo.qcow2", NULL);

    g_free (spec.name);
    spec.name = g_strdup ("undo");
    spec.disk_gib = 1;
    spec.memory_mib = 0;
    name = create (fixture, &spec, &error);
    g_assert_null (name);
    g_assert_nonnull (error);
    g_test_message ("%s", error->message);
    g_assert_false (g_file_test (undo, G_FILE_TEST_EXISTS));
    g_clear_error (&error);
  }
  hangar_vm_spec_clear (&spec);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data = g_dir_make_tmp ("hvb-XXXXXX", NULL);
  g_autoptr (HangarOsDb) os_db = NULL;
  int status;

  /* Images go to a private data folder (set before GLib caches it). */
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_test_init (&argc, &argv, NULL);
  hangar_test_init (&argc, &argv);
  os_db = hangar_os_db_new ();
  db = hangar_os_db_ensure_loaded (os_db);

  g_test_add_func ("/vm-builder/defaults", test_defaults);
  g_test_add_func ("/vm-builder/names", test_names);
  g_test_add_func ("/vm-builder/validate", test_validate);
  g_test_add_func ("/vm-builder/network-firmware", test_network_firmware);
  g_test_add_func ("/vm-builder/optical-drives", test_optical_drives);
  g_test_add_func ("/vm-builder/secure-boot-firmware", test_secure_boot_firmware);
  g_test_add_data_func ("/vm-builder/media", os_db, test_media);
  g_test_add ("/vm-builder/create", Fixture, NULL, fixture_set_up, test_create, fixture_tear_down);
  g_test_add ("/vm-builder/create-refused", Fixture, NULL, fixture_set_up, test_create_refused,
              fixture_tear_down);
  status = g_test_run ();
  g_autofree char *images = g_build_filename (data, "hangar", "images", NULL);
  g_rmdir (images);
  g_autofree char *hangar = g_build_filename (data, "hangar", NULL);
  g_rmdir (hangar);
  g_rmdir (data);
  return status;
}
