/* test-vm-devices.c: the hardware editor's device pages on libvirt's test
 * driver. Each change is read back from libvirt's saved XML and the whole
 * domain passes virt-xml-validate; refused input (bad MAC, long VNC
 * password, broken XML) leaves the saved XML byte for byte as it was; adding
 * and removing devices never deletes a disk image the user chose. */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>

#include "hangar-error.h"
#include "hangar-test-util.h"
#include "hangar-vm-device.h"
#include "hangar-vm-settings.h"

typedef struct
{
  HangarConnection *connection;
  HangarVm         *vm;
  char             *dir;
} Fixture;

static char *
saved_xml (HangarVm *vm)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);
  char *xml = virDomainGetXMLDesc (handle, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  char *copy = g_strdup (xml);

  free (xml);
  virDomainFree (handle);
  return copy;
}

static void
assert_valid (HangarVm   *vm,
              const char *dir)
{
  g_autofree char *xml = saved_xml (vm);
  g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { "virt-xml-validate", file, "domain", NULL };
  int status;

  g_assert_true (g_file_set_contents (file, xml, -1, &error));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("the domain does not validate: %s%s\n%s", out, err, xml);
}

static GPtrArray *
list (HangarVm *vm)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *devices;

  hangar_vm_list_devices_async (vm, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  devices = hangar_vm_list_devices_finish (vm, result, &error);
  g_assert_no_error (error);
  return devices;
}

static HangarDevice *
find (GPtrArray       *devices,
      HangarDeviceKind kind,
      guint            nth)
{
  for (guint i = 0; i < devices->len; i++)
    {
      HangarDevice *device = g_ptr_array_index (devices, i);

      if (device->kind == kind && nth-- == 0)
        return device;
    }
  return NULL;
}

static const char *
field (HangarDevice *device,
       const char   *key)
{
  HangarDeviceField *f = hangar_device_get_field (device, key);

  g_assert_nonnull (f);
  return f->value != NULL ? f->value : "";
}

static GHashTable *
values (const char *first,
        ...)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  va_list args;

  va_start (args, first);
  for (const char *key = first; key != NULL; key = va_arg (args, const char *))
    g_hash_table_insert (table, g_strdup (key), g_strdup (va_arg (args, const char *)));
  va_end (args);
  return table;
}

static gboolean
apply (HangarVm     *vm,
       HangarDevice *device,
       GHashTable   *changes,
       gboolean     *pending,
       GError      **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GHashTable) owned = changes;

  hangar_vm_apply_device_async (vm, device, owned, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_apply_device_finish (vm, result, pending, error);
}

static HangarDevice *
blank (HangarVm        *vm,
       HangarDeviceKind kind)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HangarDevice *device;

  hangar_vm_new_device_async (vm, kind, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  device = hangar_vm_new_device_finish (vm, result, &error);
  g_assert_no_error (error);
  return device;
}

static gboolean
add (HangarVm        *vm,
     HangarDeviceKind kind,
     GHashTable      *changes,
     GError         **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GHashTable) owned = changes;
  g_autoptr (HangarDevice) device = blank (vm, kind);
  g_autoptr (GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer k, v;

  /* What the Add Hardware form sends: every field, defaults where untouched. */
  for (guint i = 0; i < device->fields->len; i++)
    {
      HangarDeviceField *f = g_ptr_array_index (device->fields, i);

      g_hash_table_insert (form, (gpointer) f->key, f->value != NULL ? f->value : "");
    }
  g_hash_table_iter_init (&iter, owned);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (form, k, v);
  hangar_vm_add_device_async (vm, device, form, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 20000);
  return hangar_vm_add_device_finish (vm, result, NULL, error);
}

static gboolean
remove_device (HangarVm     *vm,
               HangarDevice *device,
               GError      **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_remove_device_async (vm, device, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_remove_device_finish (vm, result, NULL, error);
}

static gboolean
define (HangarVm   *vm,
        const char *xml,
        GError    **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_define_xml_async (vm, xml, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_define_xml_finish (vm, result, error);
}

/* @changes are refused with an input error and the saved XML stays as it was. */
static void
assert_refused (HangarVm     *vm,
                HangarDevice *device,
                GHashTable   *changes)
{
  g_autofree char *before = saved_xml (vm);
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (apply (vm, device, changes, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_test_message ("refused: %s", error->message);
  after = saved_xml (vm);
  g_assert_cmpstr (before, ==, after);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("hdev-XXXXXX", &error);
  g_assert_no_error (error);
  f->connection = hangar_connection_new ("test:///default", NULL);
  g_assert_true (hangar_test_open_connection (f->connection, 10000, &error));
  f->vm = hangar_test_wait_for_vm (f->connection, "test", 5000);
  g_assert_nonnull (f->vm);
  g_assert_true (hangar_test_run_action (f->vm, HANGAR_VM_ACTION_FORCE_OFF, &error));
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char *xml = g_build_filename (f->dir, "domain.xml", NULL);

  g_unlink (xml);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_clear_object (&f->connection);
}

static void
test_disk (Fixture      *f,
           gconstpointer data)
{
  g_autoptr (GPtrArray) devices = list (f->vm);
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  HangarDevice *disk = find (devices, HANGAR_DEVICE_DISK, 0);

  g_assert_nonnull (disk);
  g_assert_cmpstr (disk->title, ==, "Disk vda");
  g_assert_cmpstr (field (disk, "bus"), ==, "virtio");
  g_assert_cmpstr (field (disk, "source"), ==, "/guest/diskimage1");
  g_assert_cmpstr (field (disk, "readonly"), ==, "no");

  g_assert_true (apply (f->vm, disk, values ("bus", "sata", "cache", "none", "serial", "HANGAR 1",
                                             "readonly", "yes", "discard", "unmap", NULL),
                        NULL, &error));
  g_assert_no_error (error);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "<target dev='sda' bus='sata'/>"));
  g_assert_nonnull (strstr (xml, "cache='none'"));
  g_assert_nonnull (strstr (xml, "discard='unmap'"));
  g_assert_nonnull (strstr (xml, "<serial>HANGAR 1</serial>"));
  g_assert_nonnull (strstr (xml, "<readonly/>"));
  assert_valid (f->vm, f->dir);

  again = list (f->vm);
  disk = find (again, HANGAR_DEVICE_DISK, 0);
  g_assert_cmpstr (disk->title, ==, "Disk sda");
  g_assert_cmpstr (field (disk, "bus"), ==, "sata");
  g_assert_cmpstr (field (disk, "cache"), ==, "none");
  g_assert_cmpstr (field (disk, "readonly"), ==, "yes");

  /* Back: read-only off drops the element, the default cache drops the attribute. */
  g_assert_true (apply (f->vm, disk, values ("bus", "virtio", "cache", "", "readonly", "no",
                                             "serial", "", NULL), NULL, &error));
  g_free (xml);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "<target dev='vda' bus='virtio'/>"));
  g_assert_null (strstr (xml, "cache="));
  g_assert_null (strstr (xml, "<readonly/>"));
  g_assert_null (strstr (xml, "<serial>"));
  assert_valid (f->vm, f->dir);

  g_clear_pointer (&again, g_ptr_array_unref);
  again = list (f->vm);
  disk = find (again, HANGAR_DEVICE_DISK, 0);
  assert_refused (f->vm, disk, values ("serial", "quote\"s", NULL));
  assert_refused (f->vm, disk, values ("serial", "012345678901234567890", NULL));
}

static void
test_nic (Fixture      *f,
          gconstpointer data)
{
  g_autoptr (GPtrArray) devices = list (f->vm);
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  HangarDevice *nic = find (devices, HANGAR_DEVICE_NIC, 0);

  g_assert_nonnull (nic);
  g_assert_cmpstr (field (nic, "type"), ==, "network");
  g_assert_cmpstr (field (nic, "source"), ==, "default");
  g_assert_cmpstr (field (nic, "mac"), ==, "aa:bb:cc:dd:ee:ff");

  assert_refused (f->vm, nic, values ("mac", "zz:bb:cc:dd:ee:ff", NULL));
  assert_refused (f->vm, nic, values ("mac", "01:00:5e:00:00:01", NULL));  /* multicast */
  assert_refused (f->vm, nic, values ("mac", "52:54:00:12:34", NULL));
  assert_refused (f->vm, nic, values ("type", "bridge", "source", "", NULL));
  assert_refused (f->vm, nic, values ("type", "bridge", "source", "br0;reboot", NULL));

  g_assert_true (apply (f->vm, nic, values ("model", "e1000e", "mac", "52:54:00:12:34:56",
                                            "link", "down", "type", "bridge", "source", "br0",
                                            NULL), NULL, &error));
  g_assert_no_error (error);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "<interface type='bridge'>"));
  g_assert_nonnull (strstr (xml, "<source bridge='br0'/>"));
  g_assert_nonnull (strstr (xml, "<mac address='52:54:00:12:34:56'/>"));
  g_assert_nonnull (strstr (xml, "<model type='e1000e'/>"));
  g_assert_nonnull (strstr (xml, "<link state='down'/>"));
  assert_valid (f->vm, f->dir);

  again = list (f->vm);
  nic = find (again, HANGAR_DEVICE_NIC, 0);
  g_assert_cmpstr (field (nic, "source"), ==, "br0");
  g_assert_cmpstr (field (nic, "link"), ==, "down");
}

static void
test_graphics_video (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  HangarDevice *graphics, *video;

  g_assert_true (add (f->vm, HANGAR_DEVICE_GRAPHICS, values ("type", "spice", NULL), &error));
  g_assert_no_error (error);
  g_assert_true (add (f->vm, HANGAR_DEVICE_VIDEO, values ("model", "qxl", NULL), &error));
  g_assert_no_error (error);
  devices = list (f->vm);
  graphics = find (devices, HANGAR_DEVICE_GRAPHICS, 0);
  video = find (devices, HANGAR_DEVICE_VIDEO, 0);
  g_assert_nonnull (graphics);
  g_assert_nonnull (video);
  g_assert_cmpstr (field (graphics, "listen"), ==, "none");
  g_assert_cmpstr (field (graphics, "port"), ==, "auto");

  assert_refused (f->vm, graphics, values ("type", "vnc", "password", "123456789", NULL));
  assert_refused (f->vm, graphics, values ("port", "80", "listen", "localhost", NULL));
  assert_refused (f->vm, graphics, values ("port", "5901", NULL));  /* listens on nothing */
  assert_refused (f->vm, graphics, values ("listen", "address", "address", "my host", NULL));
  assert_refused (f->vm, video, values ("accel3d", "yes", NULL));   /* QXL */
  assert_refused (f->vm, video, values ("vram", "12", NULL));

  g_assert_true (apply (f->vm, graphics, values ("type", "vnc", "listen", "address",
                                                 "address", "192.168.7.2", "port", "5907",
                                                 "password", "s3cret", NULL), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (apply (f->vm, video, values ("model", "virtio", "accel3d", "yes", NULL), NULL,
                        &error));
  g_assert_no_error (error);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "<graphics type='vnc' port='5907' autoport='no'"));
  g_assert_nonnull (strstr (xml, "passwd='s3cret'"));
  g_assert_nonnull (strstr (xml, "<listen type='address' address='192.168.7.2'/>"));
  g_assert_nonnull (strstr (xml, "<acceleration accel3d='yes'/>"));
  g_assert_nonnull (strstr (xml, "<model type='virtio'"));
  assert_valid (f->vm, f->dir);

  /* The XML the editor shows hides the password. */
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list (f->vm);
  graphics = find (devices, HANGAR_DEVICE_GRAPHICS, 0);
  g_assert_null (strstr (graphics->xml, "s3cret"));
  g_assert_cmpstr (field (graphics, "listen"), ==, "address");
  g_assert_cmpstr (field (graphics, "address"), ==, "192.168.7.2");

  /* Changing the title keeps the password: the secure XML is what is redefined. */
  g_assert_true (apply (f->vm, graphics, values ("port", "auto", NULL), NULL, &error));
  g_free (xml);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "passwd='s3cret'"));
  g_assert_nonnull (strstr (xml, "autoport='yes'"));
}

static void
test_add_remove (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) devices = NULL;
  g_autofree char *image = g_build_filename (f->dir, "existing.img", NULL);
  g_autofree char *share = g_build_filename (f->dir, "share", NULL);
  g_autofree char *made = NULL;
  g_autofree char *xml = NULL;
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "raw", image, "1M", NULL };
  HangarDevice *disk;
  int status;
  guint disks_before;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpint (g_mkdir (share, 0700), ==, 0);

  devices = list (f->vm);
  disks_before = 0;
  while (find (devices, HANGAR_DEVICE_DISK, disks_before) != NULL)
    disks_before++;

  /* An existing image: its format read by qemu-img, not from its name. */
  g_assert_true (add (f->vm, HANGAR_DEVICE_DISK, values ("storage", "existing", "path", image,
                                                         "bus", "sata", NULL), &error));
  g_assert_no_error (error);
  /* A new one, made in Hangar's images folder. */
  g_assert_true (add (f->vm, HANGAR_DEVICE_DISK, values ("storage", "new", "size", "1", NULL),
                      &error));
  g_assert_no_error (error);
  made = g_build_filename (g_get_user_data_dir (), "hangar", "images", "test-vdb.qcow2", NULL);
  g_assert_true (g_file_test (made, G_FILE_TEST_IS_REGULAR));
  g_assert_true (add (f->vm, HANGAR_DEVICE_NIC, values ("type", "user", NULL), &error));
  g_assert_no_error (error);
  g_assert_true (add (f->vm, HANGAR_DEVICE_CDROM, values (NULL, NULL), &error));
  g_assert_no_error (error);
  for (HangarDeviceKind kind = HANGAR_DEVICE_SOUND; kind <= HANGAR_DEVICE_WATCHDOG; kind++)
    if (hangar_device_kind_is_addable (kind))
      {
        g_autofree char *before = saved_xml (f->vm);
        g_autofree char *after = NULL;
        gboolean added = add (f->vm, kind, values (NULL, NULL), &error);

        /* The test driver's domain has USB turned off: libvirt's own
         * refusal reaches the user and nothing is saved. */
        if (kind == HANGAR_DEVICE_REDIRDEV)
          {
            g_assert_false (added);
            g_assert_nonnull (strstr (error->message, "USB is disabled"));
            g_clear_error (&error);
            after = saved_xml (f->vm);
            g_assert_cmpstr (before, ==, after);
            continue;
          }
        g_assert_no_error (error);
        g_assert_true (added);
      }
  g_assert_true (add (f->vm, HANGAR_DEVICE_FILESYSTEM, values ("source", share, "tag", "data",
                                                               NULL), &error));
  g_assert_no_error (error);
  xml = saved_xml (f->vm);
  g_test_message ("%s", xml);
  g_assert_nonnull (strstr (xml, "type='raw'"));
  g_assert_nonnull (strstr (xml, "<target dev='sdb' bus='sata'/>"));
  g_assert_nonnull (strstr (xml, "<target dev='vdb' bus='virtio'/>"));
  g_assert_nonnull (strstr (xml, "<interface type='user'>"));
  g_assert_nonnull (strstr (xml, "device='cdrom'"));
  g_assert_nonnull (strstr (xml, "<sound model='ich9'"));
  g_assert_nonnull (strstr (xml, "<input type='tablet' bus='usb'"));
  g_assert_nonnull (strstr (xml, "org.qemu.guest_agent.0"));
  g_assert_nonnull (strstr (xml, "<backend type='emulator' version='2.0'/>"));
  g_assert_nonnull (strstr (xml, ">/dev/urandom</backend>"));
  g_assert_nonnull (strstr (xml, "<watchdog model='i6300esb' action='reset'"));
  g_assert_nonnull (strstr (xml, "<driver type='virtiofs'/>"));
  g_assert_nonnull (strstr (xml, "<access mode='shared'/>"));
  assert_valid (f->vm, f->dir);

  /* Bad input adds nothing. */
  g_assert_false (add (f->vm, HANGAR_DEVICE_DISK, values ("storage", "new", "size", "0", NULL),
                       &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (add (f->vm, HANGAR_DEVICE_NIC, values ("mac", "not a mac", NULL), &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (add (f->vm, HANGAR_DEVICE_FILESYSTEM, values ("source", share, "tag", "",
                                                                NULL), &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  {
    g_autofree char *still = saved_xml (f->vm);

    g_assert_cmpstr (xml, ==, still);
  }

  /* Removing the disks keeps their images. */
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list (f->vm);
  disk = find (devices, HANGAR_DEVICE_DISK, disks_before);
  g_assert_true (remove_device (f->vm, disk, &error));
  g_assert_no_error (error);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list (f->vm);
  disk = find (devices, HANGAR_DEVICE_DISK, disks_before);
  g_assert_true (remove_device (f->vm, disk, &error));
  g_assert_no_error (error);
  g_assert_true (remove_device (f->vm, find (devices, HANGAR_DEVICE_NIC, 1), &error) ||
                 error != NULL);
  /* The list above is stale after a removal: refused, not a wrong device. */
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list (f->vm);
  g_assert_true (remove_device (f->vm, find (devices, HANGAR_DEVICE_NIC, 1), &error));
  g_assert_no_error (error);
  g_free (xml);
  xml = saved_xml (f->vm);
  g_assert_null (strstr (xml, image));
  g_assert_null (strstr (xml, "test-vdb.qcow2"));
  g_assert_null (strstr (xml, "<interface type='user'>"));
  g_assert_true (g_file_test (image, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (made, G_FILE_TEST_IS_REGULAR));
  assert_valid (f->vm, f->dir);
  g_unlink (image);
  g_unlink (made);
  g_rmdir (share);
}

static gboolean
define_device (HangarVm     *vm,
               HangarDevice *device,
               const char   *xml,
               GError      **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_define_device_xml_async (vm, device, xml, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_define_device_xml_finish (vm, result, NULL, error);
}

/* One device's XML, edited: saved when libvirt takes it; another kind of
 * element, broken XML or a schema error change nothing; the masked display
 * password stays the real one. */
static void
test_device_xml (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GPtrArray) devices = list (f->vm);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) edited = NULL;
  g_autofree char *before = saved_xml (f->vm);
  g_autofree char *after = NULL;
  HangarDevice *nic = find (devices, HANGAR_DEVICE_NIC, 0);
  const char *bad[] = { "<disk type='file' device='disk'/>", "<interface type='user'",
                        "<interface type='user'><model type='virtio'/><bogus/></interface>" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *still = NULL;

      g_assert_false (define_device (f->vm, nic, bad[i], &error));
      g_assert_nonnull (error);
      g_test_message ("refused device XML %u: %s", i, error->message);
      g_clear_error (&error);
      still = saved_xml (f->vm);
      g_assert_cmpstr (still, ==, before);
    }
  {
    /* Whatever model an earlier case left: replaced by rtl8139. */
    g_autoptr (GRegex) model = g_regex_new ("<model [^>]*/>", 0, 0, NULL);
    g_autofree char *without = g_regex_replace_literal (model, nic->xml, -1, 0, "", 0, NULL);

    edited = g_string_new (without);
    g_assert_cmpuint (g_string_replace (edited, "</interface>",
                                        "<model type='rtl8139'/></interface>", 1), ==, 1);
  }
  g_assert_true (define_device (f->vm, nic, edited->str, &error));
  g_assert_no_error (error);
  after = saved_xml (f->vm);
  g_assert_nonnull (strstr (after, "<model type='rtl8139'/>"));
  assert_valid (f->vm, f->dir);

  /* A display with a password: its XML shows a mask, saving keeps the password. */
  g_assert_true (add (f->vm, HANGAR_DEVICE_GRAPHICS, values ("type", "vnc", "listen", "localhost",
                                                             "password", "pw123", NULL), &error));
  g_assert_no_error (error);
  g_clear_pointer (&devices, g_ptr_array_unref);
  devices = list (f->vm);
  {
    HangarDevice *graphics = find (devices, HANGAR_DEVICE_GRAPHICS, 0);
    g_autoptr (GString) text = g_string_new (graphics->xml);
    g_autofree char *saved = NULL;

    g_assert_null (strstr (graphics->xml, "pw123"));
    g_assert_nonnull (strstr (graphics->xml, "passwd=\"********\""));
    /* The XML shown is libxml2's: double quotes. */
    {
      g_autoptr (GRegex) port = g_regex_new (" (auto)?port=\"[^\"]*\"", 0, 0, NULL);
      g_autofree char *without = g_regex_replace_literal (port, text->str, -1, 0, "", 0, NULL);

      g_string_assign (text, without);
      g_assert_cmpuint (g_string_replace (text, "<graphics ",
                                          "<graphics port=\"5910\" autoport=\"no\" ", 1), ==, 1);
    }
    g_assert_true (define_device (f->vm, graphics, text->str, &error));
    g_assert_no_error (error);
    saved = saved_xml (f->vm);
    g_assert_nonnull (strstr (saved, "passwd='pw123'"));
    g_assert_nonnull (strstr (saved, "port='5910'"));
  }
}

static void
test_xml (Fixture      *f,
          gconstpointer data)
{
  g_autofree char *before = saved_xml (f->vm);
  g_autofree char *edited = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (before);
  const char *bad[] = {
    "<domain type='test'><name>test</name",                          /* not well-formed */
    "<network><name>test</name></network>",                          /* not a domain */
    NULL, NULL,
  };
  g_autoptr (GString) other_uuid = g_string_new (before);
  g_autoptr (GString) invalid = g_string_new (before);

  g_string_replace (other_uuid, "<uuid>", "<uuid>0", 1);
  g_string_truncate (other_uuid, other_uuid->len);
  bad[2] = other_uuid->str;
  g_string_replace (invalid, "<vcpu", "<vcpu bogus='1'", 1);
  bad[3] = invalid->str;
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *after = NULL;

      g_assert_false (define (f->vm, bad[i], &error));
      g_assert_nonnull (error);
      g_test_message ("refused XML %u: %s", i, error->message);
      g_clear_error (&error);
      after = saved_xml (f->vm);
      g_assert_cmpstr (before, ==, after);
    }

  g_string_replace (text, "</name>", "</name>\n  <title>From the XML view</title>", 1);
  g_assert_true (define (f->vm, text->str, &error));
  g_assert_no_error (error);
  edited = saved_xml (f->vm);
  g_assert_nonnull (strstr (edited, "<title>From the XML view</title>"));
}

static HangarVmSettings *
get_settings (HangarVm *vm)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HangarVmSettings *s;

  hangar_vm_get_settings_async (vm, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  s = hangar_vm_get_settings_finish (vm, result, &error);
  g_assert_no_error (error);
  return s;
}

static gboolean
apply_settings (HangarVm         *vm,
                HangarVmSettings *s,
                GError          **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_apply_settings_async (vm, s, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_apply_settings_finish (vm, result, NULL, error);
}

/* Overview, CPUs, Memory and Boot options fields past name and counts. */
static void
test_settings (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (HangarVmSettings) s = get_settings (f->vm);
  g_autoptr (HangarVmSettings) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *xml = NULL;
  const char *order[] = { "cdrom", "hd", NULL };

  g_assert_cmpstr (s->firmware, ==, "bios");
  g_assert_false (s->active);
  g_assert_cmpstr (s->boot_order[0], ==, "hd");

  /* A topology that does not multiply out is refused, nothing saved. */
  before = saved_xml (f->vm);
  s->vcpus = 2;
  s->max_vcpus = 6;
  s->sockets = 1;
  s->cores = 2;
  s->threads = 2;
  g_assert_false (apply_settings (f->vm, s, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  s->boot_order[0] = NULL;   /* no boot device, no kernel */
  s->sockets = 0;
  s->cores = s->threads = 0;
  g_assert_false (apply_settings (f->vm, s, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  xml = saved_xml (f->vm);
  g_assert_cmpstr (before, ==, xml);

  s->sockets = 1;
  s->cores = 3;
  s->threads = 2;
  g_free (s->cpu_mode);
  s->cpu_mode = g_strdup ("host-passthrough");
  g_free (s->firmware);
  s->firmware = g_strdup ("efi");
  s->shared_memory = TRUE;
  s->boot_menu = TRUE;
  s->autostart = TRUE;
  g_strfreev (s->boot_order);
  s->boot_order = g_strdupv ((char **) order);
  g_assert_true (apply_settings (f->vm, s, &error));
  g_assert_no_error (error);
  g_free (xml);
  xml = saved_xml (f->vm);
  g_assert_nonnull (strstr (xml, "<vcpu placement='static' current='2'>6</vcpu>"));
  g_assert_nonnull (strstr (xml, "<os firmware='efi'>"));
  g_assert_nonnull (strstr (xml, "<feature enabled='no' name='secure-boot'/>"));
  g_assert_nonnull (strstr (xml, "<boot dev='cdrom'/>\n    <boot dev='hd'/>"));
  g_assert_nonnull (strstr (xml, "<bootmenu enable='yes'/>"));
  g_assert_nonnull (strstr (xml, "<cpu mode='host-passthrough'"));
  g_assert_nonnull (strstr (xml, "cores='3' threads='2'/>"));
  g_assert_nonnull (strstr (xml, "<access mode='shared'/>"));
  assert_valid (f->vm, f->dir);

  back = get_settings (f->vm);
  g_assert_cmpstr (back->firmware, ==, "efi");
  g_assert_cmpuint (back->vcpus, ==, 2);
  g_assert_cmpuint (back->max_vcpus, ==, 6);
  g_assert_cmpuint (back->cores, ==, 3);
  g_assert_cmpstr (back->cpu_mode, ==, "host-passthrough");
  g_assert_true (back->shared_memory);
  g_assert_true (back->autostart);
  g_assert_cmpstr (back->boot_order[0], ==, "cdrom");

  /* A name another VM has: refused, nothing saved (the title neither). */
  {
    g_autofree char *unchanged = saved_xml (f->vm);
    g_autofree char *now = NULL;
    g_autoptr (GString) copy = g_string_new (unchanged);
    virDomainPtr handle = hangar_test_dup_handle (f->vm);
    virDomainPtr other;
    gsize start = strstr (copy->str, "<uuid>") - copy->str;
    gsize end = strstr (copy->str, "</uuid>") + strlen ("</uuid>") - copy->str;

    g_string_erase (copy, (gssize) start, (gssize) (end - start));
    g_string_replace (copy, "<name>test</name>", "<name>taken</name>", 1);
    other = virDomainDefineXML (virDomainGetConnect (handle), copy->str);
    g_assert_nonnull (other);
    g_free (back->name);
    back->name = g_strdup ("taken");
    g_free (back->title);
    back->title = g_strdup ("Should not be saved");
    g_assert_false (apply_settings (f->vm, back, &error));
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
    g_test_message ("refused: %s", error->message);
    g_clear_error (&error);
    now = saved_xml (f->vm);
    g_assert_cmpstr (now, ==, unchanged);
    virDomainUndefine (other);
    virDomainFree (other);
    virDomainFree (handle);
    g_free (back->name);
    back->name = g_strdup ("test");
    g_free (back->title);
    back->title = NULL;
  }

  /* And back to BIOS, no topology, the hypervisor's CPU, a direct kernel. */
  g_free (back->firmware);
  back->firmware = g_strdup ("bios");
  g_clear_pointer (&back->cpu_mode, g_free);
  back->sockets = back->cores = back->threads = 0;
  back->max_vcpus = 2;
  back->kernel = g_strdup ("/boot/vmlinuz");
  back->cmdline = g_strdup ("console=ttyS0 quiet");
  back->autostart = FALSE;
  g_assert_true (apply_settings (f->vm, back, &error));
  g_assert_no_error (error);
  g_free (xml);
  xml = saved_xml (f->vm);
  g_assert_null (strstr (xml, "firmware="));
  g_assert_null (strstr (xml, "<cpu"));
  g_assert_nonnull (strstr (xml, "<vcpu placement='static'>2</vcpu>"));
  g_assert_nonnull (strstr (xml, "<kernel>/boot/vmlinuz</kernel>"));
  g_assert_nonnull (strstr (xml, "<cmdline>console=ttyS0 quiet</cmdline>"));
  assert_valid (f->vm, f->dir);
}

/* Host devices, listed from the connection's node devices (a test-driver
 * node with one PCI and one USB device) and passed through. */
static void
test_host_devices (void)
{
  static const char node[] =
    "<node>"
    "<device><name>pci_0000_00_1f_3</name><parent>computer</parent>"
    "<capability type='pci'><domain>0</domain><bus>0</bus><slot>31</slot>"
    "<function>3</function><product id='0x2930'>SMBus Controller</product>"
    "<vendor id='0x8086'>Intel Corporation</vendor></capability></device>"
    "<device><name>usb_1_2</name><parent>computer</parent>"
    "<capability type='usb_device'><bus>1</bus><device>2</device>"
    "<product id='0x5678'>Test Stick</product><vendor id='0x1234'>Hangar</vendor>"
    "</capability></device>"
    "<domain type='test'><name>passthrough</name><memory>262144</memory>"
    "<os><type>hvm</type></os></domain>"
    "</node>";
  g_autofree char *dir = g_dir_make_tmp ("hnode-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "node.xml", NULL);
  g_autofree char *uri = g_strconcat ("test://", path, NULL);
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (HangarDevice) device = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  HangarDeviceField *field;
  HangarVm *vm;

  g_assert_true (g_file_set_contents (path, node, -1, &error));
  connection = hangar_connection_new (uri, NULL);
  g_assert_true (hangar_test_open_connection (connection, 10000, &error));
  vm = hangar_test_wait_for_vm (connection, "passthrough", 5000);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_run_action (vm, HANGAR_VM_ACTION_FORCE_OFF, &error) ||
                 error != NULL);
  g_clear_error (&error);

  device = blank (vm, HANGAR_DEVICE_HOSTDEV);
  field = hangar_device_get_field (device, "device");
  g_assert_nonnull (field);
  g_assert_cmpuint (g_strv_length (field->choices), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *) field->choices, "pci:0000:00:1f.3"));
  g_assert_true (g_strv_contains ((const char *const *) field->choices, "usb:1234:5678"));
  g_assert_true (g_strv_contains ((const char *const *) field->choice_labels,
                                  "USB Hangar Test Stick (1234:5678)"));
  g_assert_true (add (vm, HANGAR_DEVICE_HOSTDEV, values ("device", "usb:1234:5678", NULL),
                      &error));
  g_assert_no_error (error);
  g_assert_true (add (vm, HANGAR_DEVICE_HOSTDEV, values ("device", "pci:0000:00:1f.3", NULL),
                      &error));
  g_assert_no_error (error);
  xml = saved_xml (vm);
  g_assert_nonnull (strstr (xml, "<vendor id='0x1234'/>"));
  g_assert_nonnull (strstr (xml, "<product id='0x5678'/>"));
  g_assert_nonnull (strstr (xml, "<address domain='0x0000' bus='0x00' slot='0x1f' "
                                 "function='0x3'/>"));
  assert_valid (vm, dir);
  {
    g_autofree char *file = g_build_filename (dir, "domain.xml", NULL);

    g_unlink (file);
  }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_home = g_dir_make_tmp ("hdev-data-XXXXXX", NULL);
  int status;

  /* New disk images go to $XDG_DATA_HOME/hangar/images: a throw-away one. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);
  hangar_test_init (&argc, &argv);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/devices/disk", test_disk);
  ADD ("/devices/nic", test_nic);
  ADD ("/devices/graphics-video", test_graphics_video);
  ADD ("/devices/add-remove", test_add_remove);
  ADD ("/devices/xml", test_xml);
  ADD ("/devices/device-xml", test_device_xml);
  ADD ("/devices/settings", test_settings);
  g_test_add_func ("/devices/host-devices", test_host_devices);
#undef ADD
  status = g_test_run ();
  {
    g_autofree char *images = g_build_filename (data_home, "hangar", "images", NULL);
    g_autofree char *hangar = g_build_filename (data_home, "hangar", NULL);

    g_rmdir (images);
    g_rmdir (hangar);
    g_rmdir (data_home);
  }
  return status;
}
