/* test-vm-settings.c: the hardware editor's general settings on libvirt's
 * test driver: read, changed, read back from libvirt; refused input changes
 * nothing; a running VM keeps its name. */
#include "config.h"

#include <libvirt/libvirt.h>

#include "hangar-error.h"
#include "hangar-test-util.h"
#include "hangar-vm-settings.h"

static HangarVmSettings *
get (HangarVm *vm)
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
apply (HangarVm         *vm,
       HangarVmSettings *s,
       gboolean         *pending,
       GError          **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_apply_settings_async (vm, s, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10000);
  return hangar_vm_apply_settings_finish (vm, result, pending, error);
}

static void
test_settings (void)
{
  g_autoptr (HangarConnection) connection = hangar_connection_new ("test:///default", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HangarVmSettings) s = NULL;
  g_autoptr (HangarVmSettings) back = NULL;
  HangarVm *vm;
  gboolean pending = FALSE;
  virDomainPtr handle;
  virDomainInfo info;

  g_assert_true (hangar_test_open_connection (connection, 10000, &error));
  vm = hangar_test_wait_for_vm (connection, "test", 5000);
  g_assert_nonnull (vm);

  s = get (vm);
  g_assert_cmpstr (s->name, ==, "test");
  g_assert_cmpuint (s->vcpus, >=, 1);
  g_assert_cmpuint (s->memory_mib, >, 0);
  g_assert_cmpuint (s->devices->len, >, 0);

  /* Running: the balloon target changes now, the rest is pending. */
  s->vcpus = 1;
  s->current_memory_mib = s->memory_mib / 2;
  g_assert_true (apply (vm, s, &pending, &error));
  g_assert_no_error (error);
  g_assert_true (pending);
  handle = hangar_test_dup_handle (vm);
  g_assert_cmpint (virDomainGetInfo (handle, &info), ==, 0);
  g_assert_cmpuint (info.memory, ==, s->current_memory_mib * 1024);

  /* A running VM keeps its name. */
  g_free (s->name);
  s->name = g_strdup ("renamed");
  g_assert_false (apply (vm, s, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* Shut off: everything, read back from libvirt. */
  g_assert_true (hangar_test_run_action (vm, HANGAR_VM_ACTION_FORCE_OFF, &error));
  s->vcpus = 3;
  s->memory_mib = 1024;
  s->current_memory_mib = 768;
  g_free (s->title);
  s->title = g_strdup ("Web server");
  g_free (s->description);
  s->description = g_strdup ("Serves <pages> & “things”");
  pending = TRUE;
  g_assert_true (apply (vm, s, &pending, &error));
  g_assert_no_error (error);
  g_assert_false (pending);
  g_assert_nonnull (hangar_test_wait_for_vm (connection, "renamed", 5000));
  vm = hangar_test_wait_for_vm (connection, "renamed", 5000);
  back = get (vm);
  g_assert_cmpstr (back->name, ==, "renamed");
  g_assert_cmpuint (back->vcpus, ==, 3);
  g_assert_cmpuint (back->memory_mib, ==, 1024);
  g_assert_cmpuint (back->current_memory_mib, ==, 768);
  g_assert_cmpstr (back->title, ==, "Web server");
  g_assert_cmpstr (back->description, ==, "Serves <pages> & “things”");

  /* Refused input changes nothing. */
  back->current_memory_mib = 4096;
  g_assert_false (apply (vm, back, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  back->current_memory_mib = 768;
  back->vcpus = 0;
  g_assert_false (apply (vm, back, NULL, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  {
    g_autoptr (HangarVmSettings) again = get (vm);

    g_assert_cmpuint (again->vcpus, ==, 3);
    g_assert_cmpuint (again->current_memory_mib, ==, 768);
  }
  virDomainFree (handle);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  hangar_test_tolerate_unknown_events ();  /* libvirt's "renamed" event */
  hangar_test_init (&argc, &argv);
  g_test_add_func ("/vm-settings/read-write", test_settings);
  return g_test_run ();
}
