/* test-snapshots.c: the snapshot model (HangarSnapshotTree) against libvirt's
 * test driver (test:///default): the tree built from parent links, the
 * current marker, descriptions, names, deletion modes, the plan, pictures.
 *
 * Its own program, because test:///default keeps one state per process. */
#include "config.h"

#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/virterror.h>

#include "hangar-connection.h"
#include "hangar-error.h"
#include "hangar-snapshot-tree.h"
#include "hangar-test-util.h"
#include "hangar-vm.h"

#define TEST_URI "test:///default"
#define OPEN_TIMEOUT_MS (20 * 1000)
#define EVENT_TIMEOUT_MS 1000
#define OP_TIMEOUT_MS (10 * 1000)

typedef struct
{
  HangarConnection   *connection;
  HangarVm           *vm;
  HangarSnapshotTree *tree;
  char               *image_dir;
} Fixture;

static char *data_home;

static HangarVm *
define_domain (HangarConnection *connection,
               const char       *name,
               const char       *disk_path,
               GVirConfigDomainDiskFormat format)
{
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirDomain *domain;
  HangarVm *vm;

  gvir_config_domain_set_virt_type (config, GVIR_CONFIG_DOMAIN_VIRT_TEST);
  gvir_config_domain_set_name (config, name);
  gvir_config_domain_set_memory (config, 128 * 1024);
  gvir_config_domain_set_vcpus (config, 1);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_set_os (config, os);
  g_object_unref (os);
  if (disk_path != NULL)
    {
      GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
      GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_driver_new ();

      gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
      gvir_config_domain_disk_set_guest_device_type (disk,
                                                     GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
      gvir_config_domain_disk_set_source (disk, disk_path);
      gvir_config_domain_disk_set_target_dev (disk, "vda");
      gvir_config_domain_disk_set_target_bus (disk, GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO);
      gvir_config_domain_disk_driver_set_name (driver, "qemu");
      gvir_config_domain_disk_driver_set_format (driver, format);
      gvir_config_domain_disk_set_driver (disk, driver);
      gvir_config_domain_add_device (config, GVIR_CONFIG_DOMAIN_DEVICE (disk));
      g_object_unref (driver);
      g_object_unref (disk);
    }

  domain = gvir_connection_create_domain (hangar_connection_get_gvir (connection), config, &error);
  g_assert_no_error (error);
  g_object_unref (domain);
  g_object_unref (config);
  vm = hangar_test_wait_for_vm (connection, name, EVENT_TIMEOUT_MS);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_SHUT_OFF, EVENT_TIMEOUT_MS));
  return vm;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  static guint counter;
  g_autofree char *name = g_strdup_printf ("hangar-snap-%u", ++counter);

  fixture->connection = hangar_connection_new (TEST_URI, NULL);
  hangar_assert_ok (hangar_test_open_connection (fixture->connection, OPEN_TIMEOUT_MS, &error),
                    error);
  fixture->vm = define_domain (fixture->connection, name, NULL, 0);
  fixture->tree = hangar_snapshot_tree_new (fixture->vm);
  fixture->image_dir = g_dir_make_tmp ("hangar-snap-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *image = g_build_filename (fixture->image_dir, "disk.img", NULL);

  g_unlink (image);
  g_rmdir (fixture->image_dir);
  g_free (fixture->image_dir);
  g_clear_object (&fixture->tree);
  g_clear_object (&fixture->vm);
  hangar_connection_close (fixture->connection);
  g_clear_object (&fixture->connection);
}

/* ---- synchronous wrappers ---- */

static gboolean
take (HangarSnapshotTree  *tree,
      const char          *name,
      const char          *description,
      gboolean             include_memory,
      GError             **error)
{
  return hangar_test_snapshot_take (tree, name, description, include_memory, OP_TIMEOUT_MS,
                                    error);
}

static gboolean
revert (HangarSnapshotTree  *tree,
        const char          *name,
        GError             **error)
{
  return hangar_test_snapshot_revert (tree, name, OP_TIMEOUT_MS, error);
}

static gboolean
delete (HangarSnapshotTree       *tree,
        const char               *name,
        HangarSnapshotDeleteMode  mode,
        GError                  **error)
{
  return hangar_test_snapshot_delete (tree, name, mode, OP_TIMEOUT_MS, error);
}

static gboolean
describe (HangarSnapshotTree  *tree,
          const char          *name,
          const char          *description,
          GError             **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_set_description_async (tree, name, description, NULL,
                                              hangar_test_store_result, &result);
  hangar_test_await (&result, OP_TIMEOUT_MS);
  return hangar_snapshot_tree_set_description_finish (tree, result, error);
}

static gboolean
reload (HangarSnapshotTree  *tree,
        GError             **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_reload_async (tree, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, OP_TIMEOUT_MS);
  return hangar_snapshot_tree_reload_finish (tree, result, error);
}

static HangarSnapshotPlan *
plan (HangarSnapshotTree *tree)
{
  return hangar_test_snapshot_plan (tree, OP_TIMEOUT_MS);
}

static void
take_ok (HangarSnapshotTree *tree,
         const char         *name)
{
  g_autoptr (GError) error = NULL;

  hangar_assert_ok (take (tree, name, NULL, TRUE, &error), error);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, name));
}

static const char *
parent_of (HangarSnapshotTree *tree,
           const char         *name)
{
  HangarSnapshot *snapshot = hangar_snapshot_tree_lookup (tree, name);
  HangarSnapshot *parent;

  g_assert_nonnull (snapshot);
  parent = hangar_snapshot_get_parent (snapshot);
  return parent != NULL ? hangar_snapshot_get_name (parent) : NULL;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

/* The roots' names, sorted, joined with spaces. */
static char *
root_names (HangarSnapshotTree *tree)
{
  GPtrArray *roots = hangar_snapshot_tree_get_roots (tree);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autofree char **strv = NULL;

  for (guint i = 0; i < roots->len; i++)
    g_ptr_array_add (names, (gpointer) hangar_snapshot_get_name (g_ptr_array_index (roots, i)));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  strv = (char **) g_ptr_array_steal (names, NULL);
  return g_strjoinv (" ", strv);
}

static guint
count_current (HangarSnapshotTree *tree)
{
  guint n = 0;

  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *name = g_strdup_printf ("S%u", i);
      HangarSnapshot *snapshot = hangar_snapshot_tree_lookup (tree, name);

      if (snapshot != NULL && hangar_snapshot_get_is_current (snapshot))
        n++;
    }
  if (hangar_snapshot_tree_lookup (tree, "B1") != NULL &&
      hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "B1")))
    n++;
  return n;
}

/* ---- tests ---- */

static void
count_changed (HangarSnapshotTree *tree,
               guint              *n)
{
  (*n)++;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *n)
{
  (*n)++;
}

/* A deep chain, a branch, the current marker following create and revert,
 * and several roots once the common root goes. */
static void
test_tree (Fixture       *fixture,
           gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GError) error = NULL;
  g_autofree char *roots = NULL;
  HangarSnapshot *s1, *deepest;
  guint changed = 0;
  guint depth = 0;

  g_signal_connect (tree, "changed", G_CALLBACK (count_changed), &changed);
  hangar_assert_ok (reload (tree, &error), error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);
  g_assert_null (hangar_snapshot_tree_get_current (tree));
  g_assert_cmpuint (changed, ==, 1);

  for (guint i = 1; i <= 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("S%u", i);

      take_ok (tree, name);
      /* Each new snapshot is the current one, and the only one. */
      g_assert_cmpstr (hangar_snapshot_get_name (hangar_snapshot_tree_get_current (tree)), ==,
                       name);
      g_assert_cmpuint (count_current (tree), ==, 1);
    }
  g_assert_cmpuint (changed, ==, 9);

  /* One root; a chain eight deep. */
  roots = root_names (tree);
  g_assert_cmpstr (roots, ==, "S1");
  s1 = hangar_snapshot_tree_lookup (tree, "S1");
  for (deepest = s1; hangar_snapshot_get_children (deepest)->len > 0; depth++)
    {
      g_assert_cmpuint (hangar_snapshot_get_children (deepest)->len, ==, 1);
      deepest = g_ptr_array_index (hangar_snapshot_get_children (deepest), 0);
    }
  g_assert_cmpuint (depth, ==, 7);
  g_assert_cmpstr (hangar_snapshot_get_name (deepest), ==, "S8");
  g_assert_cmpstr (parent_of (tree, "S5"), ==, "S4");
  g_assert_cmpuint (hangar_snapshot_count_descendants (s1), ==, 7);

  /* Revert to S1 and branch off there. */
  hangar_assert_ok (revert (tree, "S1", &error), error);
  g_assert_cmpstr (hangar_snapshot_get_name (hangar_snapshot_tree_get_current (tree)), ==, "S1");
  g_assert_cmpuint (count_current (tree), ==, 1);
  take_ok (tree, "B1");
  g_assert_cmpstr (parent_of (tree, "B1"), ==, "S1");
  g_assert_cmpuint (hangar_snapshot_get_children (hangar_snapshot_tree_lookup (tree, "S1"))->len,
                    ==, 2);
  g_assert_cmpstr (hangar_snapshot_get_name (hangar_snapshot_tree_get_newest (tree)), ==, "B1");

  /* Deleting the common root alone leaves two roots: the chain and the branch. */
  hangar_assert_ok (delete (tree, "S1", HANGAR_SNAPSHOT_DELETE_THIS, &error), error);
  g_clear_pointer (&roots, g_free);
  roots = root_names (tree);
  g_assert_cmpstr (roots, ==, "B1 S2");
  g_assert_null (parent_of (tree, "S2"));
  g_assert_null (parent_of (tree, "B1"));
  g_assert_cmpstr (parent_of (tree, "S8"), ==, "S7");
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 8);

  /* Children only, then with children. */
  hangar_assert_ok (delete (tree, "S5", HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY, &error), error);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "S5"));
  g_assert_null (hangar_snapshot_tree_lookup (tree, "S6"));
  g_assert_null (hangar_snapshot_tree_lookup (tree, "S8"));
  g_assert_cmpuint (hangar_snapshot_get_children (hangar_snapshot_tree_lookup (tree, "S5"))->len,
                    ==, 0);
  g_assert_false (delete (tree, "S5", HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  hangar_assert_ok (delete (tree, "S3", HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN, &error), error);
  g_assert_null (hangar_snapshot_tree_lookup (tree, "S3"));
  g_assert_null (hangar_snapshot_tree_lookup (tree, "S5"));
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "S2"));
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 2);

  /* libvirt agrees. */
  {
    virDomainPtr handle = hangar_test_dup_handle (fixture->vm);

    g_assert_cmpint (virDomainSnapshotNum (handle, 0), ==, 2);
    virDomainFree (handle);
  }

  /* What does not exist cannot be reverted to or deleted. */
  g_assert_false (revert (tree, "S3", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (delete (tree, "S3", HANGAR_SNAPSHOT_DELETE_THIS, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_description (Fixture       *fixture,
                  gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GError) error = NULL;
  virDomainPtr handle;
  virDomainSnapshotPtr raw;
  char *xml;

  hangar_assert_ok (take (tree, "first", "Before the upgrade", FALSE, &error), error);
  take_ok (tree, "second");
  g_assert_cmpstr (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "first")),
                   ==, "Before the upgrade");
  g_assert_null (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "second")));

  /* Editing the current one keeps it current; editing another leaves the
   * current marker where it was. */
  hangar_assert_ok (describe (tree, "second", "Clean install <& “quotes”>", &error), error);
  g_assert_cmpstr (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "second")),
                   ==, "Clean install <& “quotes”>");
  g_assert_true (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "second")));
  hangar_assert_ok (describe (tree, "first", "Changed", &error), error);
  g_assert_cmpstr (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "first")),
                   ==, "Changed");
  g_assert_true (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "second")));
  g_assert_false (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "first")));
  g_assert_cmpstr (parent_of (tree, "second"), ==, "first");

  /* In libvirt, not just in the model. */
  handle = hangar_test_dup_handle (fixture->vm);
  raw = virDomainSnapshotLookupByName (handle, "first", 0);
  g_assert_nonnull (raw);
  xml = virDomainSnapshotGetXMLDesc (raw, 0);
  g_assert_nonnull (strstr (xml, "<description>Changed</description>"));
  free (xml);
  virDomainSnapshotFree (raw);
  virDomainFree (handle);

  /* Clearing it. */
  hangar_assert_ok (describe (tree, "first", "", &error), error);
  g_assert_null (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "first")));
}

static gboolean
rename_snapshot (HangarSnapshotTree  *tree,
                 const char          *name,
                 const char          *new_name,
                 GError             **error)
{
  return hangar_test_snapshot_rename (tree, name, new_name, OP_TIMEOUT_MS, error);
}

/* A snapshot in the middle of a chain gets a new name: the tree keeps its
 * shape, the child points at the new name, the current marker, the
 * description and the picture follow; taken or bad names change nothing. */
static void
test_rename (Fixture       *fixture,
             gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GError) error = NULL;
  g_autofree char *old_picture = NULL;
  g_autofree char *new_picture = NULL;
  virDomainPtr handle;
  virDomainSnapshotPtr raw;

  hangar_assert_ok (hangar_test_run_action (fixture->vm, HANGAR_VM_ACTION_START, &error), error);
  take_ok (tree, "base");
  hangar_assert_ok (take (tree, "middle", "Before the upgrade", FALSE, &error), error);
  take_ok (tree, "top");
  old_picture = hangar_snapshot_tree_thumbnail_path (tree, "middle");
  g_assert_true (g_file_test (old_picture, G_FILE_TEST_EXISTS));

  hangar_assert_ok (rename_snapshot (tree, "middle", "upgrade-ready", &error), error);
  g_assert_null (hangar_snapshot_tree_lookup (tree, "middle"));
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "upgrade-ready"));
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 3);
  g_assert_cmpstr (parent_of (tree, "upgrade-ready"), ==, "base");
  g_assert_cmpstr (parent_of (tree, "top"), ==, "upgrade-ready");
  g_assert_cmpstr (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree,
                                                                                 "upgrade-ready")),
                   ==, "Before the upgrade");
  g_assert_true (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "top")));
  new_picture = hangar_snapshot_tree_thumbnail_path (tree, "upgrade-ready");
  g_assert_false (g_file_test (old_picture, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (new_picture, G_FILE_TEST_EXISTS));

  /* libvirt has the new names and links, not just the model. */
  handle = hangar_test_dup_handle (fixture->vm);
  g_assert_null (virDomainSnapshotLookupByName (handle, "middle", 0));
  virResetLastError ();
  raw = virDomainSnapshotLookupByName (handle, "top", 0);
  g_assert_nonnull (raw);
  {
    virDomainSnapshotPtr parent = virDomainSnapshotGetParent (raw, 0);

    g_assert_nonnull (parent);
    g_assert_cmpstr (virDomainSnapshotGetName (parent), ==, "upgrade-ready");
    virDomainSnapshotFree (parent);
  }
  virDomainSnapshotFree (raw);

  /* The current one renamed stays current. */
  hangar_assert_ok (rename_snapshot (tree, "top", "latest", &error), error);
  g_assert_true (hangar_snapshot_get_is_current (hangar_snapshot_tree_lookup (tree, "latest")));
  raw = virDomainSnapshotCurrent (handle, 0);
  g_assert_cmpstr (virDomainSnapshotGetName (raw), ==, "latest");
  virDomainSnapshotFree (raw);
  virDomainFree (handle);

  /* Taken and bad names: refused, nothing changed. */
  g_assert_false (rename_snapshot (tree, "base", "latest", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (rename_snapshot (tree, "base", "a/b", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "base"));
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 3);
  g_assert_cmpstr (parent_of (tree, "upgrade-ready"), ==, "base");
}

static void
test_names (Fixture       *fixture,
            gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GError) error = NULL;
  g_autoptr (HangarSnapshotPlan) p = NULL;
  const char *bad[] = { "", "  ", "a/b", "../x", ".hidden", " lead", "trail ", "tab\there" };

  take_ok (tree, "kept");
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (hangar_snapshot_tree_check_name (tree, bad[i], &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
      g_clear_error (&error);
      /* The model refuses them too, and nothing is created. */
      g_assert_false (take (tree, bad[i], NULL, FALSE, &error));
      g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
      g_clear_error (&error);
    }
  g_assert_false (hangar_snapshot_tree_check_name (tree, "kept", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "kept"));
  g_clear_error (&error);
  g_assert_false (take (tree, "kept", "other", FALSE, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 1);
  g_assert_null (hangar_snapshot_get_description (hangar_snapshot_tree_lookup (tree, "kept")));

  g_assert_true (hangar_snapshot_tree_check_name (tree, "Snapshot 1", &error));
  g_assert_no_error (error);

  /* The suggested name is free. */
  p = plan (tree);
  g_assert_nonnull (p->suggested_name);
  g_assert_true (hangar_snapshot_tree_check_name (tree, p->suggested_name, &error));
  g_assert_no_error (error);
  take_ok (tree, p->suggested_name);
  g_clear_pointer (&p, hangar_snapshot_plan_free);
  p = plan (tree);
  g_assert_null (hangar_snapshot_tree_lookup (tree, p->suggested_name));
}

static void
test_busy (Fixture       *fixture,
           gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  guint notified = 0;

  g_signal_connect (tree, "notify::busy", G_CALLBACK (count_notify), &notified);
  hangar_snapshot_tree_create_async (tree, "one", NULL, FALSE, NULL, hangar_test_store_result,
                                     &first);
  g_assert_true (hangar_snapshot_tree_get_busy (tree));
  hangar_snapshot_tree_create_async (tree, "two", NULL, FALSE, NULL, hangar_test_store_result,
                                     &second);
  hangar_test_await (&second, OP_TIMEOUT_MS);
  g_assert_false (hangar_snapshot_tree_create_finish (tree, second, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_BUSY);
  g_clear_error (&error);
  hangar_test_await (&first, OP_TIMEOUT_MS);
  hangar_assert_ok (hangar_snapshot_tree_create_finish (tree, first, &error), error);
  g_assert_false (hangar_snapshot_tree_get_busy (tree));
  g_assert_cmpuint (notified, ==, 2);
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "one"));
  g_assert_null (hangar_snapshot_tree_lookup (tree, "two"));
}

static void
store_too (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  hangar_test_store_result (source, result, user_data);
}

/* While the VM itself is busy (here: being shut down), snapshots wait:
 * reverting then is refused with a clear message and nothing changes. */
static void
test_vm_busy (Fixture       *fixture,
              gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GAsyncResult) shutdown = NULL;
  g_autoptr (GAsyncResult) reverted = NULL;
  g_autoptr (GAsyncResult) deleted = NULL;
  g_autoptr (GError) error = NULL;

  hangar_assert_ok (hangar_test_run_action (fixture->vm, HANGAR_VM_ACTION_START, &error), error);
  take_ok (tree, "running");
  hangar_vm_shutdown_async (fixture->vm, 10, NULL, store_too, &shutdown);
  g_assert_true (hangar_vm_get_busy (fixture->vm));
  /* Both asked for while the shutdown runs (the test driver's is quick). */
  hangar_snapshot_tree_revert_async (tree, "running", NULL, hangar_test_store_result, &reverted);
  hangar_snapshot_tree_delete_async (tree, "running", HANGAR_SNAPSHOT_DELETE_THIS, NULL,
                                     hangar_test_store_result, &deleted);
  hangar_test_await (&reverted, OP_TIMEOUT_MS);
  g_assert_false (hangar_snapshot_tree_revert_finish (tree, reverted, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, hangar_vm_get_name (fixture->vm)));
  g_clear_error (&error);
  hangar_test_await (&deleted, OP_TIMEOUT_MS);
  g_assert_false (hangar_snapshot_tree_delete_finish (tree, deleted, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_BUSY);
  g_clear_error (&error);
  hangar_test_await (&shutdown, OP_TIMEOUT_MS);
  hangar_assert_ok (hangar_vm_shutdown_finish (fixture->vm, shutdown, &error), error);

  /* Nothing happened to the snapshot or the VM's state. */
  g_assert_nonnull (hangar_snapshot_tree_lookup (tree, "running"));
  g_assert_cmpint (hangar_test_libvirt_state (fixture->vm), ==, VIR_DOMAIN_SHUTOFF);
  hangar_assert_ok (revert (tree, "running", &error), error);
  g_assert_cmpint (hangar_test_libvirt_state (fixture->vm), ==, VIR_DOMAIN_RUNNING);
}

/* Internal or external, and why: from the disks' format, the VM's state and
 * the firmware. */
static void
test_plan (Fixture       *fixture,
           gconstpointer  user_data)
{
  g_autofree char *image = g_build_filename (fixture->image_dir, "disk.img", NULL);
  g_autofree char *vm_name = g_strconcat (hangar_vm_get_name (fixture->vm), "-disk", NULL);
  g_autoptr (HangarSnapshotPlan) p = NULL;
  g_autoptr (HangarVm) raw_vm = NULL;
  g_autoptr (HangarVm) qcow_vm = NULL;
  g_autoptr (HangarSnapshotTree) raw_tree = NULL;
  g_autoptr (HangarSnapshotTree) qcow_tree = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *why = NULL;
  g_autofree char *qcow_name = g_strconcat (vm_name, "-q", NULL);

  /* No disks: internal. */
  p = plan (fixture->tree);
  g_assert_false (p->vm_active);
  g_assert_cmpuint (p->n_disks, ==, 0);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, TRUE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_clear_pointer (&p, hangar_snapshot_plan_free);

  /* A raw disk: the test driver keeps snapshots as metadata only, so the
   * plan stays internal there (the vm suite checks real raw disks). */
  g_assert_true (g_file_set_contents (image, "raw", -1, NULL));
  raw_vm = define_domain (fixture->connection, vm_name, image, GVIR_CONFIG_DOMAIN_DISK_FORMAT_RAW);
  raw_tree = hangar_snapshot_tree_new (raw_vm);
  p = plan (raw_tree);
  g_assert_cmpuint (p->n_disks, ==, 1);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, FALSE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_clear_pointer (&p, hangar_snapshot_plan_free);

  /* The explanations, from a plan as a real driver makes it. */
  {
    HangarSnapshotPlan raw = { .not_qcow2_disk = (char *) "/images/disk.raw", .n_disks = 1 };
    HangarSnapshotPlan uefi = { .vm_active = TRUE, .all_qcow2 = TRUE, .pflash = TRUE,
                                .n_disks = 1 };

    g_assert_cmpint (hangar_snapshot_plan_get_kind (&raw, TRUE), ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
    why = hangar_snapshot_plan_explain (&raw, FALSE);
    g_assert_nonnull (strstr (why, "/images/disk.raw"));
    g_assert_nonnull (strstr (why, "External"));
    g_clear_pointer (&why, g_free);
    g_assert_cmpint (hangar_snapshot_plan_get_kind (&uefi, TRUE), ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
    why = hangar_snapshot_plan_explain (&uefi, TRUE);
    g_assert_nonnull (strstr (why, "UEFI"));
    g_clear_pointer (&why, g_free);
  }

  /* qcow2, running: internal with memory, external without. */
  qcow_vm = define_domain (fixture->connection, qcow_name, image,
                           GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
  qcow_tree = hangar_snapshot_tree_new (qcow_vm);
  p = plan (qcow_tree);
  g_assert_true (p->all_qcow2);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, TRUE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_clear_pointer (&p, hangar_snapshot_plan_free);
  hangar_assert_ok (hangar_test_run_action (qcow_vm, HANGAR_VM_ACTION_START, &error), error);
  p = plan (qcow_tree);
  g_assert_true (p->vm_active);
  g_assert_true (p->memory_possible);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, TRUE), ==, HANGAR_SNAPSHOT_KIND_INTERNAL);
  g_assert_cmpint (hangar_snapshot_plan_get_kind (p, FALSE), ==, HANGAR_SNAPSHOT_KIND_EXTERNAL);
  why = hangar_snapshot_plan_explain (p, TRUE);
  g_assert_nonnull (strstr (why, "Internal"));
  g_clear_pointer (&p, hangar_snapshot_plan_free);
  hangar_assert_ok (hangar_test_run_action (qcow_vm, HANGAR_VM_ACTION_FORCE_OFF, &error), error);
}

/* A running VM's snapshot gets a picture of its screen, keyed by the VM's
 * UUID and the snapshot's name; deleting the snapshot removes it. */
static void
test_thumbnail (Fixture       *fixture,
                gconstpointer  user_data)
{
  HangarSnapshotTree *tree = fixture->tree;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *off_path = NULL;
  g_autofree char *expected_dir = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  hangar_assert_ok (hangar_test_run_action (fixture->vm, HANGAR_VM_ACTION_START, &error), error);
  take_ok (tree, "with picture");
  path = hangar_snapshot_tree_thumbnail_path (tree, "with picture");
  expected_dir = g_build_filename (data_home, "hangar", "snapshots",
                                   hangar_vm_get_uuid (fixture->vm), NULL);
  g_assert_true (g_str_has_prefix (path, expected_dir));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_cmpuint (length, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_cmpint (hangar_snapshot_get_state (hangar_snapshot_tree_lookup (tree, "with picture")),
                   ==, HANGAR_SNAPSHOT_STATE_RUNNING);

  /* A shut-off VM has no screen. */
  hangar_assert_ok (hangar_test_run_action (fixture->vm, HANGAR_VM_ACTION_FORCE_OFF, &error),
                    error);
  take_ok (tree, "off");
  off_path = hangar_snapshot_tree_thumbnail_path (tree, "off");
  g_assert_false (g_file_test (off_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (hangar_snapshot_get_state (hangar_snapshot_tree_lookup (tree, "off")), ==,
                   HANGAR_SNAPSHOT_STATE_SHUT_OFF);

  hangar_assert_ok (delete (tree, "with picture", HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN, &error),
                    error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (hangar_snapshot_tree_get_n_snapshots (tree), ==, 0);

  /* Deleting the VM takes its snapshots' pictures with it. */
  hangar_assert_ok (hangar_test_run_action (fixture->vm, HANGAR_VM_ACTION_START, &error), error);
  take_ok (tree, "last");
  g_clear_pointer (&path, g_free);
  path = hangar_snapshot_tree_thumbnail_path (tree, "last");
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  {
    g_autoptr (GAsyncResult) result = NULL;

    hangar_vm_delete_async (fixture->vm, NULL, NULL, hangar_test_store_result, &result);
    hangar_test_await (&result, OP_TIMEOUT_MS);
    hangar_assert_ok (hangar_vm_delete_finish (fixture->vm, result, &error), error);
  }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (expected_dir, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Before GLib caches the user's folders: pictures go to a private one. */
  data_home = g_dir_make_tmp ("hangar-snap-data-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  g_test_init (&argc, &argv, NULL);
  hangar_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/snapshots/tree", test_tree);
  ADD ("/snapshots/description", test_description);
  ADD ("/snapshots/rename", test_rename);
  ADD ("/snapshots/names", test_names);
  ADD ("/snapshots/busy", test_busy);
  ADD ("/snapshots/vm-busy", test_vm_busy);
  ADD ("/snapshots/plan", test_plan);
  ADD ("/snapshots/thumbnail", test_thumbnail);
#undef ADD

  status = g_test_run ();
  if (status == 0)
    {
      const char *rm[] = { "rm", "-rf", data_home, NULL };

      g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                    NULL);
    }
  g_free (data_home);
  return status;
}
