/* test-snapshots-vm.c: snapshots of real QEMU guests on a fresh embedded
 * root, through the model (HangarSnapshotTree), checked by the bytes on the
 * disks (written and read with qemu-io / qemu-img while the VM is off).
 *
 * - internal snapshot of a shut-off VM with a qcow2 disk: write, snapshot,
 *   overwrite, revert, read back;
 * - internal snapshot with memory of the running test guest: running again
 *   after revert, without booting again;
 * - external snapshot of a running UEFI VM (OVMF without secure boot, see
 *   PLATFORM-NOTES): take, write, revert (a new overlay), read back, no image
 *   file gone; deleting it afterwards is refused with nothing changed;
 * - external snapshot of a raw disk, deleted: merged back into the image. */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt-glib/libvirt-glib.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <linux/input-event-codes.h>
#include <string.h>

#include "hangar-connection.h"
#include "hangar-embedded.h"
#include "hangar-error.h"
#include "hangar-snapshot-tree.h"
#include "hangar-test-guest.h"
#include "hangar-test-util.h"

#define OPEN_TIMEOUT_MS (120 * 1000)
#define EVENT_TIMEOUT_MS 2000
#define OP_TIMEOUT_MS (120 * 1000)
#define DISK_SIZE "16M"
#define PATTERN_LEN 4096

/* libvirt-glib 4.0 declares no autoptr cleanups (hangar-test-guest.h has some). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainDisk, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)

static char *root;
static char *images;
static HangarConnection *connection;

/* ---- disks ---- */

static void
run_tool (const char * const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", argv[0], out, err);
}

static char *
make_disk (const char *name,
           const char *format)
{
  char *path = g_build_filename (images, name, NULL);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", format, path, DISK_SIZE, NULL };

  run_tool (argv);
  return path;
}

/* Fills the first PATTERN_LEN bytes of @path with @byte, through QEMU's
 * block layer (so an overlay writes to itself, not to its backing file). */
static void
write_pattern (const char *path,
               const char *format,
               guint8      byte)
{
  g_autofree char *command = g_strdup_printf ("write -P 0x%02x 0 %d", byte, PATTERN_LEN);
  const char *argv[] = { "qemu-io", "-f", format, "-c", command, path, NULL };

  run_tool (argv);
}

/* Asserts that the guest-visible first PATTERN_LEN bytes of @path are @byte. */
static void
assert_pattern (const char *path,
                const char *format,
                guint8      byte)
{
  g_autofree char *raw = g_build_filename (images, "check.raw", NULL);
  const char *argv[] = { "qemu-img", "convert", "-f", format, "-O", "raw", path, raw, NULL };
  g_autofree char *contents = NULL;
  gsize length = 0;

  run_tool (argv);
  g_assert_true (g_file_get_contents (raw, &contents, &length, NULL));
  g_unlink (raw);
  g_assert_cmpuint (length, >=, PATTERN_LEN);
  for (gsize i = 0; i < PATTERN_LEN; i++)
    if ((guint8) contents[i] != byte)
      g_error ("%s: byte %zu is 0x%02x, expected 0x%02x", path, i, (guint8) contents[i], byte);
}

/* The file names in the images folder, sorted. */
static GPtrArray *
list_images (void)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (images, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  return names;
}

static gboolean
names_contain (GPtrArray  *names,
               const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), name))
      return TRUE;
  return FALSE;
}

/* ---- domains ---- */

static void
add_disk (GVirConfigDomain           *config,
          const char                 *path,
          GVirConfigDomainDiskFormat  format)
{
  g_autoptr (GVirConfigDomainDisk) disk = gvir_config_domain_disk_new ();
  GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_driver_new ();

  gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
  gvir_config_domain_disk_set_guest_device_type (disk, GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
  gvir_config_domain_disk_set_source (disk, path);
  gvir_config_domain_disk_set_target_dev (disk, "vda");
  gvir_config_domain_disk_set_target_bus (disk, GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO);
  gvir_config_domain_disk_driver_set_name (driver, "qemu");
  gvir_config_domain_disk_driver_set_format (driver, format);
  gvir_config_domain_disk_set_driver (disk, driver);
  g_object_unref (driver);
  gvir_config_domain_add_device (config, GVIR_CONFIG_DOMAIN_DEVICE (disk));
}

/* A guest with no OS: SeaBIOS (or OVMF) finds nothing to boot and waits. */
static GVirConfigDomain *
plain_config (const char *name)
{
  GVirConfigDomain *config = gvir_config_domain_new ();
  g_autoptr (GVirConfigDomainOs) os = gvir_config_domain_os_new ();
  const char *features[] = { "acpi", NULL };

  gvir_config_domain_set_virt_type (config, hangar_test_guest_use_kvm ()
                                              ? GVIR_CONFIG_DOMAIN_VIRT_KVM
                                              : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (config, name);
  gvir_config_domain_set_memory (config, 256 * 1024);
  gvir_config_domain_set_vcpus (config, 1);
  gvir_config_domain_set_features (config, (GStrv) features);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_machine (os, "q35");
  gvir_config_domain_set_os (config, os);
  return config;
}

/* UEFI without secure boot: the secure-boot OVMF needs SMM, which KVM here
 * lacks (PLATFORM-NOTES.md). libvirt-gconfig cannot write <firmware>, so
 * the <os> element gets it through libxml2's tree API. */
static void
make_uefi (GVirConfigDomain *config)
{
  g_autoptr (GVirConfigDomainOs) os = gvir_config_domain_get_os (config);
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVirConfigDomainOs) uefi_os = NULL;
  const char *features[] = { "secure-boot", "enrolled-keys" };
  xmlDocPtr doc;
  xmlNodePtr firmware;
  xmlBufferPtr buffer;

  gvir_config_domain_os_set_firmware (os, GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (os));
  doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  firmware = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST "firmware", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (features); i++)
    {
      xmlNodePtr feature = xmlNewChild (firmware, NULL, BAD_CAST "feature", NULL);

      xmlNewProp (feature, BAD_CAST "enabled", BAD_CAST "no");
      xmlNewProp (feature, BAD_CAST "name", BAD_CAST features[i]);
    }
  buffer = xmlBufferCreate ();
  xmlNodeDump (buffer, doc, xmlDocGetRootElement (doc), 0, 0);
  uefi_os = gvir_config_domain_os_new_from_xml ((const char *) xmlBufferContent (buffer), &error);
  g_assert_no_error (error);
  xmlBufferFree (buffer);
  xmlFreeDoc (doc);
  gvir_config_domain_set_os (config, uefi_os);
}

static HangarVm *
define (GVirConfigDomain *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVirDomain) domain = NULL;
  HangarVm *vm;

  domain = gvir_connection_create_domain (hangar_connection_get_gvir (connection), config, &error);
  g_assert_no_error (error);
  vm = hangar_test_wait_for_vm (connection, gvir_config_domain_get_name (config), EVENT_TIMEOUT_MS);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_SHUT_OFF, EVENT_TIMEOUT_MS));
  return vm;
}

/* The source of the VM's disk vda as libvirt has it now. */
static char *
current_disk (HangarVm *vm)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);
  char *xml = virDomainGetXMLDesc (handle, 0);
  g_autoptr (GVirConfigDomain) config = gvir_config_domain_new_from_xml (xml, NULL);
  GList *devices;
  char *source = NULL;

  free (xml);
  virDomainFree (handle);
  g_assert_nonnull (config);
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    if (GVIR_CONFIG_IS_DOMAIN_DISK (l->data) &&
        g_strcmp0 (gvir_config_domain_disk_get_target_dev (l->data), "vda") == 0)
      source = g_strdup (gvir_config_domain_disk_get_source (l->data));
  g_list_free_full (devices, g_object_unref);
  g_assert_nonnull (source);
  return source;
}

static void
action (HangarVm       *vm,
        HangarVmAction  what,
        HangarVmState   expected)
{
  g_autoptr (GError) error = NULL;

  hangar_assert_ok (hangar_test_run_action (vm, what, &error), error);
  g_assert_true (hangar_test_wait_for_state (vm, expected, EVENT_TIMEOUT_MS));
}

static void
delete_vm (HangarVm *vm)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  hangar_vm_delete_async (vm, NULL, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, OP_TIMEOUT_MS);
  hangar_assert_ok (hangar_vm_delete_finish (vm, result, &error), error);
}

/* ---- the model, synchronously ---- */

static gboolean
take (HangarSnapshotTree  *tree,
      const char          *name,
      gboolean             include_memory,
      GError             **error)
{
  gint64 start = g_get_monotonic_time ();
  gboolean ok = hangar_test_snapshot_take (tree, name, "test", include_memory, OP_TIMEOUT_MS,
                                           error);

  g_test_message ("snapshot %s took %" G_GINT64_FORMAT " ms", name,
                  (g_get_monotonic_time () - start) / 1000);
  return ok;
}

static gboolean
rename_snapshot (HangarSnapshotTree  *tree,
                 const char          *name,
                 const char          *new_name,
                 GError             **error)
{
  return hangar_test_snapshot_rename (tree, name, new_name, OP_TIMEOUT_MS, error);
}

static gboolean
revert (HangarSnapshotTree  *tree,
        const char          *name,
        GError             **error)
{
  return hangar_test_snapshot_revert (tree, name, OP_TIMEOUT_MS, error);
}

static gboolean
delete (HangarSnapshotTree  *tree,
        const char          *name,
        GError             **error)
{
  return hangar_test_snapshot_delete (tree, name, HANGAR_SNAPSHOT_DELETE_THIS, OP_TIMEOUT_MS,
                                      error);
}

static HangarSnapshotPlan *
plan (HangarSnapshotTree *tree)
{
  return hangar_test_snapshot_plan (tree, OP_TIMEOUT_MS);
}

/* ---- the guest's screen and keyboard ---- */

static void
send_line_n (HangarVm    *vm,
             const guint *codes,
             gsize        n)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);

  /* One key at a time: keys of one call are pressed together. */
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint (virDomainSendKey (handle, VIR_KEYCODE_SET_LINUX, 0, (guint *) &codes[i], 1,
                                       0), ==, 0);
  virDomainFree (handle);
}
#define send_line(vm, codes) send_line_n ((vm), (codes), G_N_ELEMENTS (codes))

/* The guest's screen now, scaled to the size of the picture at @like_path. */
static GdkPixbuf *
screen_like (HangarVm   *vm,
             const char *like_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkPixbuf) shot = hangar_test_guest_screenshot (hangar_vm_get_domain (vm), NULL,
                                                              &error);
  int width = 0, height = 0;

  g_assert_no_error (error);
  g_assert_nonnull (gdk_pixbuf_get_file_info (like_path, &width, &height));
  return gdk_pixbuf_scale_simple (shot, width, height, GDK_INTERP_BILINEAR);
}

/* The share of pixels whose colour differs noticeably. */
static double
screen_difference (GdkPixbuf *a,
                   GdkPixbuf *b)
{
  int width = gdk_pixbuf_get_width (a), height = gdk_pixbuf_get_height (a);
  int na = gdk_pixbuf_get_n_channels (a), nb = gdk_pixbuf_get_n_channels (b);
  int sa = gdk_pixbuf_get_rowstride (a), sb = gdk_pixbuf_get_rowstride (b);
  const guint8 *pa = gdk_pixbuf_read_pixels (a), *pb = gdk_pixbuf_read_pixels (b);
  guint differ = 0;

  g_assert_cmpint (width, ==, gdk_pixbuf_get_width (b));
  g_assert_cmpint (height, ==, gdk_pixbuf_get_height (b));
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        int d = 0;

        for (int c = 0; c < 3; c++)
          d = MAX (d, ABS ((int) pa[y * sa + x * na + c] - (int) pb[y * sb + x * nb + c]));
        if (d > 48)
          differ++;
      }
  return (double) differ / ((double) width * height);
}

/* ---- tests ---- */

static void
test_internal_shut_off (void)
{
  g_autofree char *disk = make_disk ("internal.qcow2", "qcow2");
  g_autoptr (GVirConfigDomain) config = plain_config ("snap-internal");
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (HangarSnapshotPlan) p = NULL;
  g_autoptr (GError) error = NULL;
  HangarSnapshot *snapshot;

  add_disk (config, disk, GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);

  p = plan (tree);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, FALSE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);

  write_pattern (disk, "qcow2", 0xa5);
  hangar_assert_ok (take (tree, "clean", FALSE, &error), error);
  snapshot = hangar_snapshot_tree_lookup (tree, "clean");
  g_assert_nonnull (snapshot);
  g_assert_cmpint (hangar_snapshot_get_kind (snapshot), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_assert_cmpint (hangar_snapshot_get_state (snapshot), ==, HANGAR_SNAPSHOT_STATE_SHUT_OFF);
  g_assert_true (hangar_snapshot_get_is_current (snapshot));

  /* QEMU names it inside the image: renaming is refused, nothing changes. */
  g_assert_false (rename_snapshot (tree, "clean", "renamed", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "clean"));
  g_assert_null (hangar_snapshot_tree_lookup (tree, "renamed"));

  write_pattern (disk, "qcow2", 0x5a);
  assert_pattern (disk, "qcow2", 0x5a);
  hangar_assert_ok (revert (tree, "clean", &error), error);
  assert_pattern (disk, "qcow2", 0xa5);
  g_assert_cmpstr (current_disk (vm), ==, disk);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);

  /* A new description on QEMU's snapshot (a redefinition): kept, and the
   * snapshot still current and usable. */
  {
    g_autoptr (GAsyncResult) result = NULL;

    hangar_snapshot_tree_set_description_async (tree, "clean", "after the fix", NULL,
                                                hangar_test_store_result, &result);
    hangar_test_await (&result, OP_TIMEOUT_MS);
    hangar_assert_ok (hangar_snapshot_tree_set_description_finish (tree, result, &error), error);
    snapshot = hangar_snapshot_tree_lookup (tree, "clean");
    g_assert_cmpstr (hangar_snapshot_get_description (snapshot), ==, "after the fix");
    g_assert_true (hangar_snapshot_get_is_current (snapshot));
    write_pattern (disk, "qcow2", 0x5a);
    hangar_assert_ok (revert (tree, "clean", &error), error);
    assert_pattern (disk, "qcow2", 0xa5);
  }

  /* With its image moved away by hand, deleting it is refused and nothing
   * changes; put back, it goes. */
  {
    g_autofree char *aside = g_strconcat (disk, ".aside", NULL);

    g_assert_cmpint (g_rename (disk, aside), ==, 0);
    g_assert_false (delete (tree, "clean", &error));
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, disk));
    g_test_message ("refused: %s", error->message);
    g_clear_error (&error);
    g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "clean"));
    g_assert_cmpint (g_rename (aside, disk), ==, 0);
  }

  /* Deleting an internal snapshot keeps the disk and its data. */
  hangar_assert_ok (delete (tree, "clean", &error), error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);
  assert_pattern (disk, "qcow2", 0xa5);
  delete_vm (vm);
  g_assert_true (g_file_test (disk, G_FILE_TEST_EXISTS));
}

static void
test_internal_running (void)
{
  g_autofree char *kernel = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *disk = make_disk ("running.qcow2", "qcow2");
  g_autofree char *log_path = g_build_filename (root, "running-serial.log", NULL);
  g_autoptr (GVirConfigDomain) config = NULL;
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (HangarSnapshotPlan) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *thumbnail = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GdkPixbuf) after = NULL;
  const guint typed_after[] = { KEY_H, KEY_I, KEY_ENTER };
  const guint typed_ok[] = { KEY_O, KEY_K, KEY_ENTER };
  gsize offset = 0;
  HangarSnapshot *snapshot;

  if (!hangar_test_guest_find (&kernel, &initrd, &reason))
    g_error ("The test guest is missing: %s", reason);
  config = hangar_test_guest_config ("snap-running", kernel, initrd, log_path,
                                     HANGAR_TEST_GRAPHICS_VNC);
  add_disk (config, disk, GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);

  action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING);
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_READY, 0, 120000,
                                             &offset));

  p = plan (tree);
  g_assert_true (p->vm_active);
  g_assert_true (p->memory_possible);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, TRUE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);

  hangar_assert_ok (take (tree, "booted", TRUE, &error), error);
  snapshot = hangar_snapshot_tree_lookup (tree, "booted");
  g_assert_cmpint (hangar_snapshot_get_kind (snapshot), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_assert_cmpint (hangar_snapshot_get_state (snapshot), ==, HANGAR_SNAPSHOT_STATE_RUNNING);
  /* The picture of the screen at that moment. */
  thumbnail = hangar_snapshot_tree_thumbnail_path (tree, "booted");
  g_assert_true (g_file_test (thumbnail, G_FILE_TEST_IS_REGULAR));

  /* Change the screen after the snapshot: type a line on tty1. */
  send_line (vm, typed_after);
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_TYPED "hi\r\n", offset,
                                             20000, &offset));
  g_usleep (500 * 1000);
  after = screen_like (vm, thumbnail);

  /* Shut off, then revert: running again, where it was, without a new boot
   * (QEMU starts its serial log afresh, so a boot would show in it). */
  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);
  hangar_assert_ok (revert (tree, "booted", &error), error);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_RUNNING, EVENT_TIMEOUT_MS));
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_null (strstr (log, HANGAR_TEST_GUEST_READY));
  g_assert_null (strstr (log, "Linux version"));

  /* Its screen is the one captured, not the one after typing. */
  {
    g_autoptr (GdkPixbuf) then = gdk_pixbuf_new_from_file (thumbnail, &error);
    g_autoptr (GdkPixbuf) now = screen_like (vm, thumbnail);
    double to_then, to_after;

    g_assert_no_error (error);
    to_then = screen_difference (now, then);
    to_after = screen_difference (now, after);
    g_test_message ("screen after revert differs from the snapshot's picture in %.2f%% of its "
                    "pixels, from the screen before revert in %.2f%%", to_then * 100,
                    to_after * 100);
    g_assert_cmpfloat (to_then, <, 0.01);
    g_assert_cmpfloat (to_then, <, to_after);
  }

  /* And it answers: the guest reads a new line. */
  send_line (vm, typed_ok);
  g_assert_true (hangar_test_guest_wait_for (log_path, HANGAR_TEST_GUEST_TYPED "ok\r\n", 0,
                                             20000, NULL));

  /* The picture goes with the snapshot. */
  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);
  hangar_assert_ok (delete (tree, "booted", &error), error);
  g_assert_false (g_file_test (thumbnail, G_FILE_TEST_EXISTS));
  delete_vm (vm);
}

static void
test_external_uefi (void)
{
  g_autofree char *disk = make_disk ("uefi.qcow2", "qcow2");
  g_autoptr (GVirConfigDomain) config = plain_config ("snap-uefi");
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (HangarSnapshotPlan) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autofree char *overlay = NULL;
  g_autofree char *reverted = NULL;
  g_autofree char *why = NULL;
  HangarSnapshot *snapshot;

  add_disk (config, disk, GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  make_uefi (config);
  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);

  write_pattern (disk, "qcow2", 0x11);
  action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING);

  /* Running with pflash firmware: external, and the dialog can say why. */
  p = plan (tree);
  g_assert_true (p->pflash);
  g_assert_false (p->memory_possible);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, TRUE), ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
  why = hangar_snapshot_plan_explain (p, TRUE);
  g_assert_nonnull (strstr (why, "UEFI"));

  hangar_assert_ok (take (tree, "uefi-snap", TRUE, &error), error);
  snapshot = hangar_snapshot_tree_lookup (tree, "uefi-snap");
  g_assert_cmpint (hangar_snapshot_get_kind (snapshot), ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
  g_assert_cmpint (hangar_snapshot_get_state (snapshot), ==, HANGAR_SNAPSHOT_STATE_DISK_ONLY);
  overlay = current_disk (vm);
  g_assert_cmpstr (overlay, !=, disk);
  g_assert_cmpstr (hangar_snapshot_get_overlays (snapshot)[0], ==, overlay);

  /* A running VM cannot go back to an external snapshot: nothing changes. */
  g_assert_false (revert (tree, "uefi-snap", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_cmpstr (current_disk (vm), ==, overlay);

  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);
  write_pattern (overlay, "qcow2", 0x22);
  assert_pattern (overlay, "qcow2", 0x22);
  before = list_images ();

  /* An external snapshot's name is libvirt's record only: it can change,
   * and the snapshot reverts under its new name. */
  hangar_assert_ok (rename_snapshot (tree, "uefi-snap", "before-update", &error), error);
  g_assert_null (hangar_snapshot_tree_lookup (tree, "uefi-snap"));
  g_assert_cmpint (hangar_snapshot_get_kind (hangar_snapshot_tree_lookup (tree, "before-update")),
                   ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
  hangar_assert_ok (revert (tree, "before-update", &error), error);
  reverted = current_disk (vm);
  g_test_message ("reverted to a new overlay %s", reverted);
  g_assert_cmpstr (reverted, !=, overlay);
  g_assert_cmpstr (reverted, !=, disk);
  assert_pattern (reverted, "qcow2", 0x11);
  /* Nothing deleted, nothing overwritten. */
  after = list_images ();
  for (guint i = 0; i < before->len; i++)
    g_assert_true (names_contain (after, g_ptr_array_index (before, i)));
  g_assert_cmpuint (after->len, ==, before->len + 1);
  assert_pattern (overlay, "qcow2", 0x22);
  assert_pattern (disk, "qcow2", 0x11);
  g_assert_true (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree,
                                                                             "before-update")));

  /* It boots from the new overlay. */
  action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING);
  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);

  /* The disk no longer builds on the snapshot's overlay: libvirt cannot merge
   * it back, so deleting is refused and nothing changes. */
  g_assert_false (delete (tree, "before-update", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "before-update"));
  g_clear_pointer (&after, g_ptr_array_unref);
  after = list_images ();
  g_assert_cmpuint (after->len, ==, before->len + 1);
  assert_pattern (reverted, "qcow2", 0x11);
  g_assert_cmpstr (current_disk (vm), ==, reverted);
}

/* An external snapshot that is the top of the disk's chain is merged back
 * on delete: the data written since stays, the overlay goes, the image
 * stays. */
static void
test_external_delete_merges (void)
{
  g_autofree char *disk = make_disk ("plain.raw", "raw");
  g_autoptr (GVirConfigDomain) config = plain_config ("snap-raw");
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *overlay = NULL;

  add_disk (config, disk, GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW);
  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);

  write_pattern (disk, "raw", 0x33);
  hangar_assert_ok (take (tree, "raw-snap", FALSE, &error), error);
  g_assert_cmpint (hangar_snapshot_get_kind (hangar_snapshot_tree_lookup (tree, "raw-snap")), ==,
                   HANGAR_SNAPSHOT_KIND_EXTERNAL);
  overlay = current_disk (vm);
  g_assert_cmpstr (overlay, !=, disk);
  write_pattern (overlay, "qcow2", 0x44);
  assert_pattern (disk, "raw", 0x33);

  /* Its overlay removed by hand: refused, nothing changed. */
  {
    g_autofree char *aside = g_strconcat (overlay, ".aside", NULL);

    g_assert_cmpint (g_rename (overlay, aside), ==, 0);
    g_assert_false (delete (tree, "raw-snap", &error));
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
    g_test_message ("refused: %s", error->message);
    g_clear_error (&error);
    g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "raw-snap"));
    g_assert_cmpint (g_rename (aside, overlay), ==, 0);
  }

  hangar_assert_ok (delete (tree, "raw-snap", &error), error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);
  g_assert_true (g_file_test (disk, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (current_disk (vm), ==, disk);
  assert_pattern (disk, "raw", 0x44);
}

/* The same while the VM runs: libvirt merges with a block commit, the VM
 * keeps running on its original image. */
static void
test_external_delete_running (void)
{
  g_autofree char *disk = make_disk ("live.qcow2", "qcow2");
  g_autoptr (GVirConfigDomain) config = plain_config ("snap-live");
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *overlay = NULL;

  add_disk (config, disk, GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);
  write_pattern (disk, "qcow2", 0x55);
  action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING);

  /* Without memory: external, disks only. */
  hangar_assert_ok (take (tree, "live-snap", FALSE, &error), error);
  g_assert_cmpint (hangar_snapshot_get_kind (hangar_snapshot_tree_lookup (tree, "live-snap")), ==,
                   HANGAR_SNAPSHOT_KIND_EXTERNAL);
  overlay = current_disk (vm);
  g_assert_cmpstr (overlay, !=, disk);
  g_assert_true (g_file_test (overlay, G_FILE_TEST_EXISTS));

  hangar_assert_ok (delete (tree, "live-snap", &error), error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);
  g_assert_cmpstr (current_disk (vm), ==, disk);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
  g_assert_true (g_file_test (disk, G_FILE_TEST_EXISTS));
  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);
  assert_pattern (disk, "qcow2", 0x55);
  delete_vm (vm);
}

/* A running VM without a disk has nowhere for QEMU to keep its memory
 * state: the plan says so, taking one is refused, nothing is created. */
static void
test_running_without_disk (void)
{
  g_autoptr (GVirConfigDomain) config = plain_config ("snap-diskless");
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarSnapshotTree) tree = NULL;
  g_autoptr (HangarSnapshotPlan) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *why = NULL;

  vm = define (config);
  tree = hangar_snapshot_tree_new (vm);
  action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING);
  p = plan (tree);
  g_assert_true (p->impossible);
  why = hangar_snapshot_plan_explain (p, TRUE);
  g_assert_nonnull (strstr (why, "Shut the VM down"));
  g_assert_false (take (tree, "nowhere", TRUE, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_clear_error (&error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
  action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF);
  delete_vm (vm);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *data_home = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  hangar_test_tolerate_unknown_events ();

  /* Before libvirt starts any thread: it forks the watchdog. */
  root = hangar_test_guest_make_root (&error);
  g_assert_no_error (error);
  g_test_message ("Embedded root: %s", root);
  images = g_build_filename (root, "images", NULL);
  g_assert_cmpint (g_mkdir (images, 0700), ==, 0);
  /* Pictures in the root too, before GLib caches the folder. */
  data_home = g_build_filename (root, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  hangar_test_init (&argc, &argv);
  uri = hangar_embedded_uri (root);
  connection = hangar_connection_new (uri, NULL);
  hangar_assert_ok (hangar_test_open_connection (connection, OPEN_TIMEOUT_MS, &error), error);

  g_test_add_func ("/snapshots-vm/internal-shut-off", test_internal_shut_off);
  g_test_add_func ("/snapshots-vm/internal-running", test_internal_running);
  g_test_add_func ("/snapshots-vm/external-uefi", test_external_uefi);
  g_test_add_func ("/snapshots-vm/external-delete-merges", test_external_delete_merges);
  g_test_add_func ("/snapshots-vm/external-delete-running", test_external_delete_running);
  g_test_add_func ("/snapshots-vm/running-without-disk", test_running_without_disk);
  status = g_test_run ();

  hangar_connection_close (connection);
  g_clear_object (&connection);
  if (status == 0)
    hangar_test_guest_root_passed ();
  g_free (images);
  g_free (root);
  return status;
}
