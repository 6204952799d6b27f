/* test-model.c: the model against libvirt's test driver (test:///default),
 * which needs no daemon and no hypervisor.
 *
 * test:///default is shared by every connection of the process, and is only
 * reset when the last one closes; each test therefore starts by putting the
 * driver back into its known state rather than trusting the previous test. */
#include "config.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/virterror.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hangar-connection.h"
#include "hangar-embedded.h"
#include "hangar-error.h"
#include "hangar-test-util.h"
#include "hangar-vm.h"

#define TEST_URI "test:///default"
#define OPEN_TIMEOUT_MS (20 * 1000)
/* What "at once" means for a change libvirt reports by event: well below the
 * model's 5 s poll, so only an event can explain it. */
#define EVENT_TIMEOUT_MS 1000

typedef struct
{
  HangarOsDb       *os_db;
  HangarConnection *connection;
  HangarVm         *vm;  /* the test driver's own domain, "test" */
} Fixture;

static void
normalise_test_driver (HangarConnection *connection)
{
  virConnectPtr conn = NULL;
  virDomainPtr *domains = NULL;
  int n;

  g_object_get (hangar_connection_get_gvir (connection), "handle", &conn, NULL);
  g_assert_nonnull (conn);
  n = virConnectListAllDomains (conn, &domains, 0);
  g_assert_cmpint (n, >=, 1);
  for (int i = 0; i < n; i++)
    {
      if (g_str_equal (virDomainGetName (domains[i]), "test"))
        {
          int state = 0, reason = 0;

          g_assert_cmpint (virDomainGetState (domains[i], &state, &reason, 0), ==, 0);
          if (state == VIR_DOMAIN_PAUSED)
            g_assert_cmpint (virDomainResume (domains[i]), ==, 0);
          else if (state != VIR_DOMAIN_RUNNING)
            g_assert_cmpint (virDomainCreate (domains[i]), ==, 0);
        }
      else
        {
          if (virDomainIsActive (domains[i]) == 1)
            virDomainDestroy (domains[i]);
          g_assert_cmpint (virDomainUndefine (domains[i]), ==, 0);
        }
      virDomainFree (domains[i]);
    }
  free (domains);
  virConnectClose (conn);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;

  /* Loads osinfo-db only when a VM names an OS. */
  fixture->os_db = hangar_os_db_new ();
  fixture->connection = hangar_connection_new (TEST_URI, fixture->os_db);
  hangar_assert_ok (hangar_test_open_connection (fixture->connection, OPEN_TIMEOUT_MS, &error),
                    error);
  normalise_test_driver (fixture->connection);

  fixture->vm = hangar_test_wait_for_vm (fixture->connection, "test", EVENT_TIMEOUT_MS);
  g_assert_nonnull (fixture->vm);
  g_assert_true (hangar_test_wait_for_state (fixture->vm, HANGAR_VM_STATE_RUNNING,
                                             EVENT_TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->vm);
  hangar_connection_close (fixture->connection);
  g_clear_object (&fixture->connection);
  g_clear_object (&fixture->os_db);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
count_signal (gpointer  instance,
              guint    *count)
{
  (*count)++;
}

/* ------------------------------------------------------------------ */
/* Pure functions                                                      */

static void
test_uri_kind (void)
{
  static const struct
  {
    const char           *uri;
    HangarConnectionKind  kind;
  } cases[] = {
    { "qemu:///embed?root=/var/tmp/hangar-0", HANGAR_CONNECTION_KIND_EMBEDDED },
    { "qemu:///session", HANGAR_CONNECTION_KIND_SESSION },
    { "qemu+unix:///session?socket=/tmp/s/libvirt-sock", HANGAR_CONNECTION_KIND_SESSION },
    { "qemu:///system", HANGAR_CONNECTION_KIND_SYSTEM },
    { "qemu+ssh://root@example.org/system", HANGAR_CONNECTION_KIND_REMOTE },
    { "qemu+ssh://example.org:2222/system?keyfile=/k", HANGAR_CONNECTION_KIND_REMOTE },
    { "qemu+tls://host.example/session", HANGAR_CONNECTION_KIND_REMOTE },
    { "test:///default", HANGAR_CONNECTION_KIND_TEST },
    { "test:///tmp/node.xml", HANGAR_CONNECTION_KIND_TEST },
    { "xen:///system", HANGAR_CONNECTION_KIND_OTHER },
    { "qemu:///nonsense", HANGAR_CONNECTION_KIND_OTHER },
    { "not a uri", HANGAR_CONNECTION_KIND_OTHER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].uri);
      g_assert_cmpint (hangar_connection_kind_for_uri (cases[i].uri), ==, cases[i].kind);
    }
}

static void
test_embedded_uri (void)
{
  g_autofree char *plain = hangar_embedded_uri ("/var/tmp/hangar-0");
  g_autofree char *spaced = hangar_embedded_uri ("/tmp/my vms");
  g_autoptr (HangarConnection) connection = NULL;

  g_assert_cmpstr (plain, ==, "qemu:///embed?root=/var/tmp/hangar-0");
  /* A space would end the URI for libvirt's parser. */
  g_assert_cmpstr (spaced, ==, "qemu:///embed?root=/tmp/my%20vms");
  g_assert_cmpint (hangar_connection_kind_for_uri (spaced), ==, HANGAR_CONNECTION_KIND_EMBEDDED);

  connection = hangar_connection_new (spaced, NULL);
  g_assert_cmpint (hangar_connection_get_kind (connection), ==, HANGAR_CONNECTION_KIND_EMBEDDED);
  g_assert_cmpint (hangar_connection_get_state (connection), ==,
                   HANGAR_CONNECTION_STATE_DISCONNECTED);
}

static void
test_state_mapping (void)
{
  static const struct
  {
    int           state;
    int           reason;
    HangarVmState expected;
  } cases[] = {
    { VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED, HANGAR_VM_STATE_RUNNING },
    { VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED, HANGAR_VM_STATE_RUNNING },
    { VIR_DOMAIN_BLOCKED, 0, HANGAR_VM_STATE_RUNNING },
    { VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER, HANGAR_VM_STATE_PAUSED },
    { VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR, HANGAR_VM_STATE_PAUSED },
    { VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SAVE, HANGAR_VM_STATE_SAVING },
    { VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_SNAPSHOT, HANGAR_VM_STATE_SAVING },
    { VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_USER, HANGAR_VM_STATE_SHUTTING_DOWN },
    { VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN, HANGAR_VM_STATE_SHUT_OFF },
    { VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED, HANGAR_VM_STATE_SHUT_OFF },
    { VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED, HANGAR_VM_STATE_SHUT_OFF },
    { VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED, HANGAR_VM_STATE_CRASHED },
    { VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED, HANGAR_VM_STATE_CRASHED },
    { VIR_DOMAIN_PMSUSPENDED, 0, HANGAR_VM_STATE_SUSPENDED },
    { VIR_DOMAIN_NOSTATE, 0, HANGAR_VM_STATE_UNKNOWN },
    { 4242, 0, HANGAR_VM_STATE_UNKNOWN },
    { -1, 0, HANGAR_VM_STATE_UNKNOWN },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      HangarVmState got = hangar_vm_state_from_libvirt (cases[i].state, cases[i].reason);

      if (got != cases[i].expected)
        g_error ("libvirt state %d reason %d: expected %s, got %s", cases[i].state,
                 cases[i].reason, hangar_test_state_name (cases[i].expected),
                 hangar_test_state_name (got));
    }

  /* Every state has words and an icon for the UI. */
  for (HangarVmState s = HANGAR_VM_STATE_UNKNOWN; s <= HANGAR_VM_STATE_SAVING; s++)
    {
      g_assert_nonnull (hangar_vm_state_to_label (s));
      g_assert_cmpstr (hangar_vm_state_to_label (s), !=, "");
      g_assert_true (g_str_has_suffix (hangar_vm_state_to_icon_name (s), "-symbolic"));
    }
  g_assert_cmpstr (hangar_vm_state_to_label (HANGAR_VM_STATE_SHUT_OFF), !=,
                   hangar_vm_state_to_label (HANGAR_VM_STATE_RUNNING));
}

/* ------------------------------------------------------------------ */
/* Embedded root                                                       */

/* g_get_user_data_dir () and g_get_home_dir () cache their first answer, so
 * each case runs in a fresh child whose environment the parent sets. */
static void
restore_env (const char *name,
             const char *value)
{
  if (value != NULL)
    g_setenv (name, value, TRUE);
  else
    g_unsetenv (name);
}

static void
run_default_root_case (const char *data_home,
                       const char *home,
                       const char *runtime_dir,
                       const char *tmp_dir)
{
  g_autofree char *saved_data_home = g_strdup (g_getenv ("XDG_DATA_HOME"));
  g_autofree char *saved_home = g_strdup (g_getenv ("HOME"));
  g_autofree char *saved_runtime = g_strdup (g_getenv ("XDG_RUNTIME_DIR"));
  g_autofree char *saved_tmp = g_strdup (g_getenv ("TMPDIR"));

  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime_dir, TRUE);
  g_setenv ("TMPDIR", tmp_dir, TRUE);
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  restore_env ("XDG_DATA_HOME", saved_data_home);
  restore_env ("HOME", saved_home);
  restore_env ("XDG_RUNTIME_DIR", saved_runtime);
  restore_env ("TMPDIR", saved_tmp);
  g_test_trap_assert_passed ();
}

static void
test_default_root_short (void)
{
  if (g_test_subprocess ())
    {
      char sentinel[] = "unset";
      char *notice = sentinel;
      g_autofree char *root = hangar_embedded_default_root (&notice);

      g_assert_cmpstr (g_get_user_data_dir (), ==, "/d");
      g_assert_cmpstr (root, ==, "/d/hangar/libvirt");
      g_assert_null (notice);
      return;
    }
  run_default_root_case ("/d", "/h", "/r", "/t");
}

#define LONG_DIR "/tmp/a-data-folder-whose-path-is-far-too-long-for-sockets"

/* A long data folder keeps the VMs, reached through a short link in the
 * runtime folder; the user is told once, when the folder is new. */
static void
test_default_root_long_data (void)
{
  g_autofree char *runtime = NULL;
  g_autofree char *data = g_strdup_printf (LONG_DIR "-%d", (int) getpid ());

  if (g_test_subprocess ())
    {
      g_autofree char *notice = NULL;
      g_autofree char *again_notice = NULL;
      g_autofree char *root = NULL;
      g_autofree char *again = NULL;
      g_autofree char *expected = g_build_filename (g_getenv ("XDG_RUNTIME_DIR"), "hangar", NULL);
      g_autofree char *target = NULL;
      g_autofree char *data_root = g_build_filename (g_getenv ("XDG_DATA_HOME"), "hangar",
                                                     "libvirt", NULL);

      root = hangar_embedded_default_root (&notice);
      g_assert_cmpstr (root, ==, expected);
      g_assert_cmpuint (strlen (root), <=, HANGAR_EMBEDDED_ROOT_MAX);
      target = g_file_read_link (root, NULL);
      g_assert_cmpstr (target, ==, data_root);
      g_assert_true (g_file_test (data_root, G_FILE_TEST_IS_DIR));
      g_assert_nonnull (notice);
      g_assert_nonnull (strstr (notice, data_root));
      g_assert_nonnull (strstr (notice, root));

      /* The next start reuses the link and says nothing. */
      again = hangar_embedded_default_root (&again_notice);
      g_assert_cmpstr (again, ==, root);
      g_assert_null (again_notice);
      return;
    }
  runtime = g_dir_make_tmp ("hrt-XXXXXX", NULL);
  g_assert_nonnull (runtime);
  run_default_root_case (data, "/h", runtime, "/t");
  {
    g_autofree char *link = g_build_filename (runtime, "hangar", NULL);
    g_autofree char *libvirt_dir = g_build_filename (data, "hangar", "libvirt", NULL);
    g_autofree char *hangar_dir = g_build_filename (data, "hangar", NULL);

    g_unlink (link);
    g_rmdir (runtime);
    g_rmdir (libvirt_dir);
    g_rmdir (hangar_dir);
    g_rmdir (data);
  }
}

/* Something else in the way of the link: a shorter folder takes over. */
static void
test_default_root_blocked_link (void)
{
  g_autofree char *runtime = NULL;
  g_autofree char *data = g_strdup_printf (LONG_DIR "-%d", (int) getpid ());
  g_autofree char *blocker = NULL;

  if (g_test_subprocess ())
    {
      g_autofree char *notice = NULL;
      g_autofree char *root = hangar_embedded_default_root (&notice);

      /* TMPDIR is too long for a link as well, so ~/.hangar it is. */
      g_assert_cmpstr (root, ==, "/h/.hangar");
      g_assert_nonnull (notice);
      g_assert_nonnull (strstr (notice, "/h/.hangar"));
      return;
    }
  runtime = g_dir_make_tmp ("hrt-XXXXXX", NULL);
  blocker = g_build_filename (runtime, "hangar", NULL);
  g_assert_cmpint (g_mkdir (blocker, 0700), ==, 0);
  run_default_root_case (data, "/h", runtime, LONG_DIR);
  g_rmdir (blocker);
  g_rmdir (runtime);
  {
    g_autofree char *libvirt_dir = g_build_filename (data, "hangar", "libvirt", NULL);
    g_autofree char *hangar_dir = g_build_filename (data, "hangar", NULL);

    g_rmdir (libvirt_dir);
    g_rmdir (hangar_dir);
    g_rmdir (data);
  }
}

static gboolean
conf_has_line (const char *conf,
               const char *pattern)
{
  g_autofree char *full = g_strdup_printf ("^\\s*%s\\s*$", pattern);

  return g_regex_match_simple (full, conf, G_REGEX_MULTILINE, 0);
}

static void
test_prepare_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("hangar-root-XXXXXX", &error);
  g_autofree char *root = NULL;
  g_autofree char *conf_path = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_again = NULL;
  g_autofree char *too_long = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (tmp), <, HANGAR_EMBEDDED_ROOT_MAX - 2);
  root = g_build_filename (tmp, "r", NULL);
  conf_path = g_build_filename (root, "etc", "qemu.conf", NULL);

  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  hangar_assert_ok (g_file_get_contents (conf_path, &conf, NULL, &error), error);

  /* No virtlogd beside an embedded driver: QEMU's output must go to files. */
  g_assert_true (conf_has_line (conf, "stdio_handler\\s*=\\s*\"file\""));
  /* As root, QEMU must not switch to a user that cannot open /dev/kvm. */
  g_assert_cmpint (conf_has_line (conf, "user\\s*=\\s*\"root\""), ==, getuid () == 0);
  g_assert_cmpint (conf_has_line (conf, "group\\s*=\\s*\"root\""), ==, getuid () == 0);
  g_assert_cmpint (g_stat (conf_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Preparing again keeps it; a file someone broke is written anew. */
  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  g_assert_true (g_file_set_contents (conf_path, "stdio_handler = \"logd\"\n", -1, &error));
  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  g_assert_true (g_file_get_contents (conf_path, &conf_again, NULL, &error));
  g_assert_cmpstr (conf_again, ==, conf);

  /* A root too long for QEMU's sockets is refused before anything is made. */
  too_long = g_strdup_printf ("%s/%0*d", tmp, HANGAR_EMBEDDED_ROOT_MAX, 0);
  g_assert_false (hangar_embedded_prepare_root (too_long, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, too_long));
  g_assert_false (g_file_test (too_long, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  g_assert_cmpint (g_unlink (conf_path), ==, 0);
  g_clear_pointer (&conf_path, g_free);
  conf_path = g_build_filename (root, "etc", NULL);
  g_assert_cmpint (g_rmdir (conf_path), ==, 0);
  g_assert_cmpint (g_rmdir (root), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Connection                                                          */

static void
record_connection_state (HangarConnection *connection,
                         GParamSpec       *pspec,
                         GArray           *states)
{
  HangarConnectionState state = hangar_connection_get_state (connection);

  g_array_append_val (states, state);
}

static gboolean
vm_has_summary (gpointer user_data)
{
  return hangar_vm_get_vcpus (user_data) != 0 && hangar_vm_get_memory (user_data) != 0;
}

static void
test_open (void)
{
  g_autoptr (HangarConnection) connection = hangar_connection_new (TEST_URI, NULL);
  g_autoptr (GArray) states = g_array_new (FALSE, FALSE, sizeof (HangarConnectionState));
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  HangarVm *vm;
  GListModel *vms;

  g_assert_cmpint (hangar_connection_get_kind (connection), ==, HANGAR_CONNECTION_KIND_TEST);
  g_signal_connect (connection, "notify::state", G_CALLBACK (record_connection_state), states);

  hangar_connection_open_async (connection, NULL, hangar_test_store_result, &first);
  /* A second open while the first runs is refused, not queued or doubled. */
  hangar_connection_open_async (connection, NULL, hangar_test_store_result, &second);
  hangar_test_await (&second, OPEN_TIMEOUT_MS);
  g_assert_false (hangar_connection_open_finish (connection, second, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_BUSY);
  g_clear_error (&error);

  hangar_test_await (&first, OPEN_TIMEOUT_MS);
  g_assert_true (hangar_connection_open_finish (connection, first, &error));
  g_assert_no_error (error);

  g_assert_cmpint (hangar_connection_get_state (connection), ==,
                   HANGAR_CONNECTION_STATE_CONNECTED);
  g_assert_null (hangar_connection_get_error_message (connection));
  g_assert_cmpuint (states->len, ==, 2);
  g_assert_cmpint (g_array_index (states, HangarConnectionState, 0), ==,
                   HANGAR_CONNECTION_STATE_CONNECTING);
  g_assert_cmpint (g_array_index (states, HangarConnectionState, 1), ==,
                   HANGAR_CONNECTION_STATE_CONNECTED);

  /* The list holds the test driver's one domain, already with its state. */
  vms = hangar_connection_get_vms (connection);
  g_assert_cmpuint (g_list_model_get_n_items (vms), ==, 1);
  g_assert_true (g_list_model_get_item_type (vms) == HANGAR_TYPE_VM);
  vm = hangar_connection_find_vm (connection, "test");
  g_assert_nonnull (vm);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_RUNNING);
  g_assert_cmpstr (hangar_vm_get_uuid (vm), ==, "6695eb01-f6a4-8304-79aa-97f2502e193f");
  g_assert_false (hangar_vm_get_busy (vm));
  g_assert_true (hangar_vm_can_do (vm, HANGAR_VM_ACTION_PAUSE));
  g_assert_false (hangar_vm_can_do (vm, HANGAR_VM_ACTION_START));
  g_assert_null (hangar_connection_find_vm (connection, "no-such-vm"));

  /* The list's summary (vCPUs, memory) arrives in the background; the full
   * configuration only when asked for, as the VM's page does. */
  {
    g_autoptr (HangarVm) ref = g_object_ref (vm);
    g_autoptr (GAsyncResult) result = NULL;
    const char * const *disks;

    g_assert_true (hangar_test_wait_until (vm_has_summary, ref, 5000));
    g_assert_cmpuint (hangar_vm_get_vcpus (ref), ==, 2);
    g_assert_cmpuint (hangar_vm_get_memory (ref), ==, 8388608);
    g_assert_null (hangar_vm_get_os_id (ref));

    hangar_vm_load_details_async (ref, NULL, hangar_test_store_result, &result);
    hangar_test_await (&result, 5000);
    hangar_assert_ok (hangar_vm_load_details_finish (ref, result, &error), error);
    disks = hangar_vm_get_disks (ref);
    g_assert_nonnull (disks);
    g_assert_cmpuint (g_strv_length ((char **) disks), ==, 1);
    g_assert_cmpstr (disks[0], ==, "/guest/diskimage1");
    g_assert_null (hangar_vm_get_graphics (ref));
  }

  hangar_connection_close (connection);
  g_assert_cmpint (hangar_connection_get_state (connection), ==,
                   HANGAR_CONNECTION_STATE_DISCONNECTED);
  g_assert_cmpuint (g_list_model_get_n_items (vms), ==, 0);
  g_assert_null (hangar_connection_get_gvir (connection));
}

static void
test_open_bogus (void)
{
  g_autoptr (HangarConnection) connection = hangar_connection_new ("bogus:///nothing", NULL);
  g_autoptr (GArray) states = g_array_new (FALSE, FALSE, sizeof (HangarConnectionState));
  g_autoptr (GError) error = NULL;
  const char *message;

  g_signal_connect (connection, "notify::state", G_CALLBACK (record_connection_state), states);
  g_assert_false (hangar_test_open_connection (connection, OPEN_TIMEOUT_MS, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_CONNECTION);
  g_assert_nonnull (strstr (error->message, "bogus:///nothing"));

  g_assert_cmpint (hangar_connection_get_state (connection), ==, HANGAR_CONNECTION_STATE_FAILED);
  g_assert_cmpuint (states->len, ==, 2);
  g_assert_cmpint (g_array_index (states, HangarConnectionState, 0), ==,
                   HANGAR_CONNECTION_STATE_CONNECTING);
  g_assert_cmpint (g_array_index (states, HangarConnectionState, 1), ==,
                   HANGAR_CONNECTION_STATE_FAILED);
  /* The UI shows this; it must say what failed, not be empty. */
  message = hangar_connection_get_error_message (connection);
  g_assert_cmpstr (message, ==, error->message);
  g_assert_cmpuint (g_list_model_get_n_items (hangar_connection_get_vms (connection)), ==, 0);
  g_assert_null (hangar_connection_get_gvir (connection));
}

/* ------------------------------------------------------------------ */
/* Lifecycle through the model                                         */

static void
assert_action (HangarVm       *vm,
               HangarVmAction  action,
               HangarVmState   expected_state,
               int             expected_libvirt_state,
               guint           min_notifications)
{
  g_autoptr (GError) error = NULL;
  guint notifications = 0;
  gulong id = g_signal_connect (vm, "notify::state", G_CALLBACK (count_notify), &notifications);

  g_assert_true (hangar_vm_can_do (vm, action));
  hangar_assert_ok (hangar_test_run_action (vm, action, &error), error);
  g_assert_cmpstr (hangar_test_state_name (hangar_vm_get_state (vm)), ==,
                   hangar_test_state_name (expected_state));
  g_assert_cmpuint (notifications, >=, min_notifications);
  g_assert_false (hangar_vm_get_busy (vm));
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, expected_libvirt_state);
  g_signal_handler_disconnect (vm, id);
}

static void
test_lifecycle (Fixture       *fixture,
                gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;

  assert_action (vm, HANGAR_VM_ACTION_PAUSE, HANGAR_VM_STATE_PAUSED, VIR_DOMAIN_PAUSED, 1);
  g_assert_false (hangar_vm_can_do (vm, HANGAR_VM_ACTION_PAUSE));
  g_assert_true (hangar_vm_can_do (vm, HANGAR_VM_ACTION_RESUME));
  assert_action (vm, HANGAR_VM_ACTION_RESUME, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING, 1);
  assert_action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF, VIR_DOMAIN_SHUTOFF, 1);
  g_assert_false (hangar_vm_can_do (vm, HANGAR_VM_ACTION_FORCE_OFF));
  g_assert_true (hangar_vm_can_do (vm, HANGAR_VM_ACTION_START));
  assert_action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING, 1);
  /* A reboot ends where it began, so the state need not change. */
  assert_action (vm, HANGAR_VM_ACTION_REBOOT, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING, 0);
}

static void
test_busy (Fixture       *fixture,
           gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  guint busy_changes = 0;

  g_signal_connect (vm, "notify::busy", G_CALLBACK (count_notify), &busy_changes);

  hangar_vm_pause_async (vm, NULL, hangar_test_store_result, &first);
  g_assert_true (hangar_vm_get_busy (vm));
  g_assert_cmpint (hangar_vm_get_busy_action (vm), ==, HANGAR_VM_ACTION_PAUSE);
  /* While busy, the UI must not offer any action. */
  g_assert_false (hangar_vm_can_do (vm, HANGAR_VM_ACTION_PAUSE));
  g_assert_false (hangar_vm_can_do (vm, HANGAR_VM_ACTION_FORCE_OFF));
  hangar_vm_force_off_async (vm, NULL, hangar_test_store_result, &second);

  hangar_test_await (&second, 5000);
  g_assert_false (hangar_vm_force_off_finish (vm, second, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "“test”"));
  g_clear_error (&error);

  hangar_test_await (&first, 5000);
  hangar_assert_ok (hangar_vm_pause_finish (vm, first, &error), error);

  /* Only the first action ran. */
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_PAUSED);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_PAUSED);
  g_assert_false (hangar_vm_get_busy (vm));
  g_assert_cmpuint (busy_changes, ==, 2);
  g_signal_handlers_disconnect_by_data (vm, &busy_changes);
}

static void
test_invalid_state (Fixture       *fixture,
                    gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;
  g_autoptr (GError) error = NULL;

  hangar_assert_ok (hangar_test_run_action (vm, HANGAR_VM_ACTION_FORCE_OFF, &error), error);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);

  /* The test driver calls this an internal error; the model must still say
   * what the UI can act on, and name the VM. */
  g_assert_false (hangar_test_run_action (vm, HANGAR_VM_ACTION_PAUSE, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "“test”"));
  g_assert_nonnull (strstr (error->message, "pause"));
  g_clear_error (&error);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);
  g_assert_false (hangar_vm_get_busy (vm));

  g_assert_false (hangar_test_run_action (vm, HANGAR_VM_ACTION_RESUME, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_clear_error (&error);

  g_assert_false (hangar_test_run_action (vm, HANGAR_VM_ACTION_REBOOT, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
  g_assert_nonnull (strstr (error->message, "“test”"));
  g_clear_error (&error);

  /* Asking for the state the VM is already in is no error (a second click,
   * or the embedded driver's reconnect race): libvirt's "not running" for a
   * force-off of a shut-off VM ends in success. */
  hangar_assert_ok (hangar_test_run_action (vm, HANGAR_VM_ACTION_FORCE_OFF, &error), error);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);

  hangar_assert_ok (hangar_test_run_action (vm, HANGAR_VM_ACTION_START, &error), error);
  hangar_assert_ok (hangar_test_run_action (vm, HANGAR_VM_ACTION_START, &error), error);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_RUNNING);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
}

static void
test_error_codes (void)
{
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_NO_DOMAIN), ==, HANGAR_ERROR_NOT_FOUND);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_OPERATION_INVALID), ==,
                   HANGAR_ERROR_INVALID_STATE);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_AUTH_FAILED), ==,
                   HANGAR_ERROR_PERMISSION);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_NO_SUPPORT), ==,
                   HANGAR_ERROR_UNSUPPORTED);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_OPERATION_TIMEOUT), ==,
                   HANGAR_ERROR_TIMED_OUT);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_RPC), ==, HANGAR_ERROR_CONNECTION);
  g_assert_cmpint (hangar_error_code_from_libvirt (VIR_ERR_INTERNAL_ERROR), ==,
                   HANGAR_ERROR_FAILED);
}

/* A refresh or poll answer that was asked before the latest event must not
 * undo it (seen as a started VM flipping back to "shut off"). */
static void
test_stale_answers (Fixture       *fixture,
                    gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;
  gint64 before = g_get_monotonic_time ();
  guint notifications = 0;

  g_signal_connect (vm, "notify::state", G_CALLBACK (count_notify), &notifications);
  g_usleep (1000);
  hangar_vm_update_state (vm, HANGAR_VM_STATE_PAUSED);
  g_assert_cmpuint (notifications, ==, 1);

  hangar_vm_update_state_queried (vm, HANGAR_VM_STATE_RUNNING, before);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_PAUSED);
  g_assert_cmpuint (notifications, ==, 1);

  hangar_vm_update_state_queried (vm, HANGAR_VM_STATE_RUNNING, g_get_monotonic_time ());
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_RUNNING);
  g_assert_cmpuint (notifications, ==, 2);
  g_signal_handlers_disconnect_by_data (vm, &notifications);
}

/* ------------------------------------------------------------------ */
/* Changes made behind Hangar's back                                   */

typedef struct
{
  HangarVm *vm;
  guint     count;
} VmChanged;

static void
on_vm_changed (HangarConnection *connection,
               HangarVm         *vm,
               GParamSpec       *pspec,
               VmChanged        *changed)
{
  g_assert_true (vm == changed->vm);
  g_assert_cmpstr (g_param_spec_get_name (pspec), ==, "state");
  changed->count++;
}

static void
assert_external_change (HangarConnection *connection,
                        HangarVm         *vm,
                        int             (*change) (virDomainPtr),
                        const char       *signal_name,
                        HangarVmState     expected)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);
  guint emitted = 0;
  gulong id = g_signal_connect (hangar_vm_get_domain (vm), signal_name,
                                G_CALLBACK (count_signal), &emitted);
  VmChanged changed = { vm, 0 };
  /* The connection's one signal for all its VMs' changes (the VM list
   * listens there, not on every VM). */
  gulong changed_id = g_signal_connect (connection, "vm-changed::state",
                                        G_CALLBACK (on_vm_changed), &changed);
  gint64 start;
  gint64 elapsed_ms;

  g_assert_cmpint (hangar_vm_get_state (vm), !=, expected);
  start = g_get_monotonic_time ();
  g_assert_cmpint (change (handle), ==, 0);
  /* The model cannot know before the main loop runs: no event yet. */
  g_assert_cmpint (hangar_vm_get_state (vm), !=, expected);

  g_assert_true (hangar_test_wait_for_state (vm, expected, EVENT_TIMEOUT_MS));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("%s reached the model in %" G_GINT64_FORMAT " ms", signal_name, elapsed_ms);
  g_assert_cmpint (elapsed_ms, <, EVENT_TIMEOUT_MS);
  /* It came as libvirt's lifecycle event, not from the periodic poll. */
  g_assert_cmpuint (emitted, ==, 1);
  g_assert_cmpuint (changed.count, >=, 1);

  g_signal_handler_disconnect (connection, changed_id);
  g_signal_handler_disconnect (hangar_vm_get_domain (vm), id);
  virDomainFree (handle);
}

static void
test_external_changes (Fixture       *fixture,
                       gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;
  HangarConnection *c = fixture->connection;

  assert_external_change (c, vm, virDomainSuspend, "suspended", HANGAR_VM_STATE_PAUSED);
  assert_external_change (c, vm, virDomainResume, "resumed", HANGAR_VM_STATE_RUNNING);
  assert_external_change (c, vm, virDomainDestroy, "stopped", HANGAR_VM_STATE_SHUT_OFF);
  assert_external_change (c, vm, virDomainCreate, "started", HANGAR_VM_STATE_RUNNING);
}

/* ------------------------------------------------------------------ */
/* Shutdown                                                            */

static void
test_shutdown (Fixture       *fixture,
               gconstpointer  user_data)
{
  HangarVm *vm = fixture->vm;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  virDomainPtr handle;
  int state = 0, reason = 0;
  gint64 start = g_get_monotonic_time ();

  /* The test driver knows no ACPI button (it rejects the flag) and shuts a
   * domain off at once: the model falls back to the driver's own shutdown and
   * finishes without waiting for its timeout. */
  hangar_vm_shutdown_async (vm, 30, NULL, hangar_test_store_result, &result);
  g_assert_true (hangar_vm_get_busy (vm));
  g_assert_cmpint (hangar_vm_get_busy_action (vm), ==, HANGAR_VM_ACTION_SHUTDOWN);
  hangar_test_await (&result, 10 * 1000);
  hangar_assert_ok (hangar_vm_shutdown_finish (vm, result, &error), error);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 5000);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);
  g_assert_false (hangar_vm_get_busy (vm));

  handle = hangar_test_dup_handle (vm);
  g_assert_cmpint (virDomainGetState (handle, &state, &reason, 0), ==, 0);
  g_assert_cmpint (state, ==, VIR_DOMAIN_SHUTOFF);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_SHUTOFF_SHUTDOWN);
  virDomainFree (handle);

  /* Shutting down a VM that is already off has nothing to wait for. */
  g_clear_object (&result);
  start = g_get_monotonic_time ();
  hangar_vm_shutdown_async (vm, 30, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10 * 1000);
  hangar_assert_ok (hangar_vm_shutdown_finish (vm, result, &error), error);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 5000);
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);
  g_assert_false (hangar_vm_get_busy (vm));

  /* Nor can a shut-off VM be paused (here the goal state is not reached). */
  g_clear_object (&result);
  hangar_vm_pause_async (vm, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10 * 1000);
  g_assert_false (hangar_vm_pause_finish (vm, result, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE);
}

/* ------------------------------------------------------------------ */
/* Delete                                                              */

static GVirConfigDomain *
new_test_domain_config (const char         *name,
                        const char * const *disk_paths)
{
  GVirConfigDomain *config = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();

  gvir_config_domain_set_virt_type (config, GVIR_CONFIG_DOMAIN_VIRT_TEST);
  gvir_config_domain_set_name (config, name);
  gvir_config_domain_set_memory (config, 128 * 1024);
  gvir_config_domain_set_vcpus (config, 1);
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_set_os (config, os);
  g_object_unref (os);

  for (guint i = 0; disk_paths[i] != NULL; i++)
    {
      GVirConfigDomainDisk *disk = gvir_config_domain_disk_new ();
      g_autofree char *target = g_strdup_printf ("vd%c", 'a' + i);

      gvir_config_domain_disk_set_type (disk, GVIR_CONFIG_DOMAIN_DISK_FILE);
      gvir_config_domain_disk_set_guest_device_type (disk,
                                                     GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK);
      gvir_config_domain_disk_set_source (disk, disk_paths[i]);
      gvir_config_domain_disk_set_target_dev (disk, target);
      gvir_config_domain_disk_set_target_bus (disk, GVIR_CONFIG_DOMAIN_DISK_BUS_VIRTIO);
      gvir_config_domain_add_device (config, GVIR_CONFIG_DOMAIN_DEVICE (disk));
      g_object_unref (disk);
    }
  return config;
}

static HangarVm *
define_test_domain_config (HangarConnection *connection,
                           GVirConfigDomain *config)
{
  g_autofree char *name = g_strdup (gvir_config_domain_get_name (config));
  g_autoptr (GError) error = NULL;
  GVirDomain *domain;
  HangarVm *vm;

  domain = gvir_connection_create_domain (hangar_connection_get_gvir (connection), config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (domain);
  g_object_unref (domain);

  /* The model learns of it from libvirt's "defined" event. */
  vm = hangar_test_wait_for_vm (connection, name, EVENT_TIMEOUT_MS);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_SHUT_OFF, EVENT_TIMEOUT_MS));
  return vm;
}

static HangarVm *
define_test_domain (HangarConnection   *connection,
                    const char         *name,
                    const char * const *disk_paths)
{
  GVirConfigDomain *config = new_test_domain_config (name, disk_paths);
  HangarVm *vm = define_test_domain_config (connection, config);

  g_object_unref (config);
  return vm;
}

static gboolean
vm_has_os_name (gpointer user_data)
{
  return hangar_vm_get_os_name (user_data) != NULL;
}

static void
test_summary (Fixture       *fixture,
              gconstpointer  user_data)
{
  const char *no_disks[] = { NULL };
  GVirConfigDomain *config = new_test_domain_config ("hangar-debian", no_disks);
  g_autoptr (GError) error = NULL;
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (HangarVm) plain = NULL;

  /* What virt-manager, GNOME Boxes and Hangar's own wizard write. */
  gvir_config_domain_set_custom_xml (config,
                                     "<libosinfo><os id=\"http://debian.org/debian/11\"/></libosinfo>",
                                     "libosinfo", HANGAR_LIBOSINFO_XMLNS, &error);
  g_assert_no_error (error);
  gvir_config_domain_set_vcpus (config, 3);
  vm = define_test_domain_config (fixture->connection, config);
  g_object_unref (config);

  /* The list shows the OS by name, from osinfo-db, loaded off the main thread. */
  g_assert_true (hangar_test_wait_until (vm_has_os_name, vm, 30 * 1000));
  g_assert_cmpstr (hangar_vm_get_os_id (vm), ==, "http://debian.org/debian/11");
  g_assert_cmpstr (hangar_vm_get_os_name (vm), ==, "Debian 11");
  g_assert_cmpuint (hangar_vm_get_vcpus (vm), ==, 3);
  g_assert_cmpuint (hangar_vm_get_memory (vm), ==, 128 * 1024);

  /* A VM without the metadata simply has no OS. */
  plain = define_test_domain (fixture->connection, "hangar-plain", no_disks);
  g_assert_true (hangar_test_wait_until (vm_has_summary, plain, 5000));
  g_assert_null (hangar_vm_get_os_id (plain));
  g_assert_null (hangar_vm_get_os_name (plain));
}

static char *
make_image (const char *dir,
            const char *name)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  hangar_assert_ok (g_file_set_contents (path, "not really a disk image", -1, &error), error);
  return path;
}

static void
test_delete (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hangar-model-XXXXXX", &error);
  g_autofree char *own = make_image (dir, "own.img");
  g_autofree char *shared = make_image (dir, "shared.img");
  const char *doomed_disks[] = { own, shared, NULL };
  const char *keeper_disks[] = { shared, NULL };
  g_autoptr (HangarVm) doomed = NULL;
  g_autoptr (HangarVm) keeper = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) images = NULL;
  HangarVmDiskImage *image;
  virConnectPtr conn = NULL;
  virDomainPtr gone;
  guint n_before;

  g_assert_no_error (error);
  doomed = define_test_domain (fixture->connection, "hangar-doomed", doomed_disks);
  keeper = define_test_domain (fixture->connection, "hangar-keeper", keeper_disks);
  n_before = g_list_model_get_n_items (hangar_connection_get_vms (fixture->connection));
  g_assert_cmpuint (n_before, ==, 3);

  /* What the delete dialog shows: each image, and who else uses it. */
  hangar_vm_list_disk_images_async (doomed, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10 * 1000);
  images = hangar_vm_list_disk_images_finish (doomed, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (images);
  g_assert_cmpuint (images->len, ==, 2);
  image = g_ptr_array_index (images, 0);
  g_assert_cmpstr (image->path, ==, own);
  g_assert_null (image->shared_with);
  image = g_ptr_array_index (images, 1);
  g_assert_cmpstr (image->path, ==, shared);
  g_assert_cmpstr (image->shared_with, ==, "hangar-keeper");

  /* A running VM is forced off first. */
  hangar_assert_ok (hangar_test_run_action (doomed, HANGAR_VM_ACTION_START, &error), error);
  g_assert_cmpint (hangar_vm_get_state (doomed), ==, HANGAR_VM_STATE_RUNNING);

  /* Both images asked for: the shared one must survive. */
  g_clear_object (&result);
  hangar_vm_delete_async (doomed, doomed_disks, NULL, hangar_test_store_result, &result);
  g_assert_true (hangar_vm_get_busy (doomed));
  hangar_test_await (&result, 10 * 1000);
  hangar_assert_ok (hangar_vm_delete_finish (doomed, result, &error), error);

  g_assert_false (g_file_test (own, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (shared, G_FILE_TEST_EXISTS));

  /* Gone from the list (libvirt's "undefined" event) and from libvirt. */
  g_assert_true (hangar_test_wait_for_vm_gone (fixture->connection, "hangar-doomed",
                                               EVENT_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (hangar_connection_get_vms (fixture->connection)),
                    ==, n_before - 1);
  g_assert_true (hangar_connection_find_vm (fixture->connection, "hangar-keeper") == keeper);
  g_object_get (hangar_connection_get_gvir (fixture->connection), "handle", &conn, NULL);
  gone = virDomainLookupByName (conn, "hangar-doomed");
  g_assert_null (gone);
  g_assert_cmpint (virGetLastErrorCode (), ==, VIR_ERR_NO_DOMAIN);
  virResetLastError ();
  virConnectClose (conn);

  /* Deleting the last user of the shared image does delete it. */
  g_clear_object (&result);
  hangar_vm_delete_async (keeper, keeper_disks, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10 * 1000);
  hangar_assert_ok (hangar_vm_delete_finish (keeper, result, &error), error);
  g_assert_false (g_file_test (shared, G_FILE_TEST_EXISTS));
  g_assert_true (hangar_test_wait_for_vm_gone (fixture->connection, "hangar-keeper",
                                               EVENT_TIMEOUT_MS));

  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_delete_keeps_unrequested (Fixture       *fixture,
                               gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hangar-model-XXXXXX", &error);
  g_autofree char *own = make_image (dir, "own.img");
  const char *disks[] = { own, NULL };
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  g_assert_no_error (error);
  vm = define_test_domain (fixture->connection, "hangar-keep-disk", disks);

  /* No images chosen: the VM goes, its disk stays. */
  hangar_vm_delete_async (vm, NULL, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 10 * 1000);
  hangar_assert_ok (hangar_vm_delete_finish (vm, result, &error), error);
  g_assert_true (hangar_test_wait_for_vm_gone (fixture->connection, "hangar-keep-disk",
                                               EVENT_TIMEOUT_MS));
  g_assert_true (g_file_test (own, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_unlink (own), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A host that accepts the connection and then never answers (a hung
 * daemon, a dead link): opening stays "connecting" while the main loop keeps
 * turning, and a cancel ends it at once. */
typedef struct
{
  guint ticks;
} Ticks;

static gboolean
count_tick (gpointer user_data)
{
  ((Ticks *) user_data)->ticks++;
  return G_SOURCE_CONTINUE;
}

static gboolean
ticks_reached (gpointer user_data)
{
  return ((Ticks *) user_data)->ticks >= 10;
}

static void
test_open_hanging (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hhang-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sock", NULL);
  g_autofree char *uri = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  Ticks ticks = { 0 };
  guint tick_id;
  gint64 started;

  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (path);
  hangar_assert_ok (g_socket_bind (listener, address, FALSE, &error), error);
  /* Listening without ever accepting: the client connects and waits. */
  hangar_assert_ok (g_socket_listen (listener, &error), error);

  uri = g_strdup_printf ("qemu+unix:///system?socket=%s", path);
  connection = hangar_connection_new (uri, NULL);
  hangar_connection_open_async (connection, cancellable, hangar_test_store_result, &result);
  g_assert_cmpint (hangar_connection_get_state (connection), ==, HANGAR_CONNECTION_STATE_CONNECTING);

  /* 10 ticks of 50 ms take about half a second if nothing blocks. */
  tick_id = g_timeout_add (50, count_tick, &ticks);
  started = g_get_monotonic_time ();
  g_assert_true (hangar_test_wait_until (ticks_reached, &ticks, 3000));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 1500 * 1000);
  g_source_remove (tick_id);
  g_assert_null (result);
  g_assert_cmpint (hangar_connection_get_state (connection), ==, HANGAR_CONNECTION_STATE_CONNECTING);

  started = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  hangar_test_await (&result, 2000);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 1000 * 1000);
  g_assert_false (hangar_connection_open_finish (connection, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (hangar_connection_get_state (connection), ==,
                   HANGAR_CONNECTION_STATE_DISCONNECTED);

  g_socket_close (listener, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

/* The same host with an open timeout: the open fails by itself with a
 * message that says so, and the window never waited. */
static void
test_open_timeout (void)
{
  g_autofree char *dir = g_dir_make_tmp ("htmo-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sock", NULL);
  g_autofree char *uri = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) listener = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  gint64 started;

  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
  g_assert_no_error (error);
  address = g_unix_socket_address_new (path);
  hangar_assert_ok (g_socket_bind (listener, address, FALSE, &error), error);
  hangar_assert_ok (g_socket_listen (listener, &error), error);

  uri = g_strdup_printf ("qemu+unix:///system?socket=%s", path);
  connection = hangar_connection_new (uri, NULL);
  hangar_connection_set_open_timeout (connection, 1);
  started = g_get_monotonic_time ();
  hangar_connection_open_async (connection, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 5000);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 900 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3000 * 1000);
  g_assert_false (hangar_connection_open_finish (connection, result, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==, "The host did not answer within 1 second.");
  g_assert_cmpint (hangar_connection_get_state (connection), ==, HANGAR_CONNECTION_STATE_FAILED);
  g_assert_cmpstr (hangar_connection_get_error_message (connection), ==, error->message);

  g_socket_close (listener, NULL);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  hangar_test_init (&argc, &argv);

  g_test_add_func ("/model/uri/kind", test_uri_kind);
  g_test_add_func ("/model/uri/embedded", test_embedded_uri);
  g_test_add_func ("/model/vm/state-mapping", test_state_mapping);
  g_test_add_func ("/model/error/codes", test_error_codes);
  g_test_add_func ("/model/embedded/default-root/short", test_default_root_short);
  g_test_add_func ("/model/embedded/default-root/long-data-dir", test_default_root_long_data);
  g_test_add_func ("/model/embedded/default-root/blocked-link", test_default_root_blocked_link);
  g_test_add_func ("/model/embedded/prepare-root", test_prepare_root);
  g_test_add_func ("/model/connection/open", test_open);
  g_test_add_func ("/model/connection/open-bogus", test_open_bogus);
  g_test_add_func ("/model/connection/open-hanging", test_open_hanging);
  g_test_add_func ("/model/connection/open-timeout", test_open_timeout);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/model/vm/summary", test_summary);
  ADD ("/model/vm/lifecycle", test_lifecycle);
  ADD ("/model/vm/busy", test_busy);
  ADD ("/model/vm/invalid-state", test_invalid_state);
  ADD ("/model/vm/external-changes", test_external_changes);
  ADD ("/model/vm/stale-answers", test_stale_answers);
  ADD ("/model/vm/shutdown", test_shutdown);
  ADD ("/model/vm/delete", test_delete);
  ADD ("/model/vm/delete-keeps-unrequested", test_delete_keeps_unrequested);
#undef ADD

  return g_test_run ();
}
