/* test-vm.c: the model with real QEMU guests.
 *
 * Each test's body runs in a child process (g_test_trap_subprocess ()): the
 * embedded driver locks its root for the life of the process that opened it,
 * "Hangar quit and started again" needs a second process anyway, and a child
 * that fails an assertion must not take the clean-up with it. The parent
 * never opens libvirt itself; it makes the root (or the session daemon),
 * runs the child, then kills whatever QEMU is left (by the pidfiles libvirt
 * keeps) and removes the folders.
 *
 * The guests have no disk and no OS: SeaBIOS finds nothing to boot and
 * waits, which is all a lifecycle needs, and it means the ACPI power button
 * is never answered (the shutdown timeout path). */
/* lstat, S_ISSOCK, setgroups, O_CLOEXEC: POSIX and BSD beyond strict C11. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hangar-connection.h"
#include "hangar-embedded.h"
#include "hangar-error.h"
#include "hangar-storage-pool.h"
#include "hangar-vm-device.h"
#include "hangar-test-util.h"
#include "hangar-vm.h"
#include "hangar-vm-builder.h"
#include "hangar-vm-settings.h"

/* Longer than the 20 characters libvirt keeps of a name in socket paths, so
 * that the longest paths it makes are the ones tested. */
#define GUEST_NAME "hangar-test-guest-with-a-long-name"
#define GUEST_MEMORY_KIB (256 * 1024)
#define OPEN_TIMEOUT_MS (120 * 1000)
#define EVENT_TIMEOUT_MS 1000
#define CHILD_TIMEOUT_USEC (300 * G_USEC_PER_SEC)
/* The unprivileged user a root test runs its session daemon as. */
#define NOBODY_ID 65534

#define ENV_ROOT "HANGAR_TEST_VM_ROOT"
#define ENV_PHASE "HANGAR_TEST_VM_PHASE"
#define ENV_SESSION_URI "HANGAR_TEST_SESSION_URI"
#define ENV_SESSION_KVM "HANGAR_TEST_SESSION_KVM"

/* ------------------------------------------------------------------ */
/* Processes and files                                                 */

static void
note (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

/* A child's stdout is captured by the parent and lost; its stderr reaches
 * the test log, so a child reports there. */
static void
note (const char *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (g_test_subprocess ())
    g_printerr ("# %s\n", message);
  else
    g_test_message ("%s", message);
}

static gboolean
pid_is_alive (GPid pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  const char *state;

  if (!g_file_get_contents (stat_path, &contents, NULL, NULL))
    return FALSE;
  /* "PID (COMM) S ...": a zombie has exited already. */
  state = strrchr (contents, ')');
  return state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static gboolean
pid_is_qemu (GPid pid)
{
  g_autofree char *cmdline_path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *cmdline = NULL;

  if (!g_file_get_contents (cmdline_path, &cmdline, NULL, NULL))
    return FALSE;
  return strstr (cmdline, "qemu-system") != NULL;
}

static gboolean
wait_for_pid_exit (GPid  pid,
                   guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (pid_is_alive (pid))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return TRUE;
}

static GPid
read_pidfile (const char *path)
{
  g_autofree char *contents = NULL;
  gint64 pid;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  pid = g_ascii_strtoll (g_strstrip (contents), NULL, 10);
  return pid > 1 && pid <= G_MAXINT ? (GPid) pid : 0;
}

/* Kills the QEMU processes whose pidfiles are in @dir; returns how many. */
static guint
kill_qemu_by_pidfiles (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *entry;
  guint killed = 0;

  if (listing == NULL)
    return 0;
  while ((entry = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = NULL;
      GPid pid;

      if (!g_str_has_suffix (entry, ".pid"))
        continue;
      path = g_build_filename (dir, entry, NULL);
      pid = read_pidfile (path);
      if (pid == 0 || !pid_is_alive (pid) || !pid_is_qemu (pid))
        continue;
      note ("killing leftover QEMU %d (%s)", (int) pid, path);
      kill (pid, SIGKILL);
      if (!wait_for_pid_exit (pid, 10 * 1000))
        g_printerr ("# QEMU %d did not exit after SIGKILL\n", (int) pid);
      killed++;
    }
  return killed;
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) < 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, entry, NULL);

          remove_tree (child);
        }
      if (g_rmdir (path) < 0)
        g_printerr ("# could not remove %s: %s\n", path, g_strerror (errno));
    }
  else if (g_unlink (path) < 0)
    g_printerr ("# could not remove %s: %s\n", path, g_strerror (errno));
}

static void
collect_sockets (const char *path,
                 GPtrArray  *sockets)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, entry, NULL);
      GStatBuf st;

      if (g_lstat (child, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        collect_sockets (child, sockets);
      else if (S_ISSOCK (st.st_mode))
        g_ptr_array_add (sockets, g_steal_pointer (&child));
    }
}

static gboolean
kvm_usable_by (uid_t uid)
{
  GStatBuf st;

  if (uid == getuid ())
    return g_access ("/dev/kvm", R_OK | W_OK) == 0;
  /* Another user: only if /dev/kvm is open to everyone. */
  return g_stat ("/dev/kvm", &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH);
}

/* ------------------------------------------------------------------ */
/* The guest                                                           */

static GVirConfigDomain *
new_guest_config (const char *name,
                  gboolean    kvm)
{
  GVirConfigDomain *config = gvir_config_domain_new ();
  GVirConfigDomainOs *os = gvir_config_domain_os_new ();
  GVirConfigDomainChannel *channel = gvir_config_domain_channel_new ();
  GVirConfigDomainChardevSourceUnix *source = gvir_config_domain_chardev_source_unix_new ();
  const char *features[] = { "acpi", NULL };

  gvir_config_domain_set_virt_type (config, kvm ? GVIR_CONFIG_DOMAIN_VIRT_KVM
                                                : GVIR_CONFIG_DOMAIN_VIRT_QEMU);
  gvir_config_domain_set_name (config, name);
  gvir_config_domain_set_memory (config, GUEST_MEMORY_KIB);
  gvir_config_domain_set_vcpus (config, 1);
  /* ACPI, so that the power button reaches the guest, which ignores it. */
  gvir_config_domain_set_features (config, (const GStrv) features);

  /* SeaBIOS is what libvirt picks for a q35 guest with no firmware set. */
  gvir_config_domain_os_set_os_type (os, GVIR_CONFIG_DOMAIN_OS_TYPE_HVM);
  gvir_config_domain_os_set_arch (os, "x86_64");
  gvir_config_domain_os_set_machine (os, "q35");
  gvir_config_domain_set_os (config, os);
  g_object_unref (os);

  /* The guest agent's channel: the longest socket path libvirt makes for a
   * VM, the one HANGAR_EMBEDDED_ROOT_MAX is measured against. */
  gvir_config_domain_chardev_set_source (GVIR_CONFIG_DOMAIN_CHARDEV (channel),
                                         GVIR_CONFIG_DOMAIN_CHARDEV_SOURCE (source));
  gvir_config_domain_channel_set_target_type (channel,
                                              GVIR_CONFIG_DOMAIN_CHANNEL_TARGET_VIRTIO);
  gvir_config_domain_channel_set_target_name (channel, "org.qemu.guest_agent.0");
  gvir_config_domain_add_device (config, GVIR_CONFIG_DOMAIN_DEVICE (channel));
  g_object_unref (source);
  g_object_unref (channel);

  return config;
}

static HangarVm *
define_guest (HangarConnection *connection,
              const char       *name,
              gboolean          kvm)
{
  GVirConfigDomain *config = new_guest_config (name, kvm);
  g_autoptr (GError) error = NULL;
  GVirDomain *domain;
  HangarVm *vm;

  note ("defining %s (domain type %s)", name, kvm ? "kvm" : "qemu");
  domain = gvir_connection_create_domain (hangar_connection_get_gvir (connection), config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (domain);
  g_object_unref (domain);
  g_object_unref (config);

  vm = hangar_test_wait_for_vm (connection, name, EVENT_TIMEOUT_MS);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_SHUT_OFF, EVENT_TIMEOUT_MS));
  return vm;
}

static HangarConnection *
open_connection (const char           *uri,
                 HangarConnectionKind  kind)
{
  HangarConnection *connection = hangar_connection_new (uri, NULL);
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_cmpint (hangar_connection_get_kind (connection), ==, kind);
  if (!hangar_test_open_connection (connection, OPEN_TIMEOUT_MS, &error))
    {
      /* As root, the embedded driver needs the user it would run QEMU as to
       * exist even though qemu.conf says root; say so. */
      if (error != NULL && strstr (error->message, "Failed to parse user") != NULL)
        g_printerr ("# libvirt's QEMU user is missing: run build-aux/install-deps.sh\n");
      g_assert_no_error (error);
    }
  note ("opened %s in %" G_GINT64_FORMAT " ms", uri, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpint (hangar_connection_get_state (connection), ==,
                   HANGAR_CONNECTION_STATE_CONNECTED);
  return connection;
}

static void
assert_action (HangarVm       *vm,
               HangarVmAction  action,
               HangarVmState   expected,
               int             expected_libvirt)
{
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (hangar_vm_can_do (vm, action));
  hangar_assert_ok (hangar_test_run_action (vm, action, &error), error);
  note ("action %d took %" G_GINT64_FORMAT " ms", action, (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpstr (hangar_test_state_name (hangar_vm_get_state (vm)), ==,
                   hangar_test_state_name (expected));
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, expected_libvirt);
  g_assert_false (hangar_vm_get_busy (vm));
}

static char *
embedded_pidfile (const char *root,
                  const char *name)
{
  g_autofree char *file = g_strconcat (name, ".pid", NULL);

  return g_build_filename (root, "run", "qemu", file, NULL);
}

/* The QEMU process libvirt started for @name, checked to be alive. */
static GPid
assert_qemu_runs (const char *root,
                  const char *name)
{
  g_autofree char *pidfile = embedded_pidfile (root, name);
  g_autofree char *cmdline_path = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *guest_arg = g_strconcat ("guest=", name, NULL);
  gsize len;
  GPid pid = read_pidfile (pidfile);

  g_assert_cmpint (pid, >, 1);
  g_assert_true (pid_is_alive (pid));
  cmdline_path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_assert_true (g_file_get_contents (cmdline_path, &cmdline, &len, NULL));
  g_assert_nonnull (strstr (cmdline, "qemu-system"));
  /* cmdline separates arguments with NULs: look through all of them. */
  for (gsize i = 0; i < len; i++)
    if (cmdline[i] == '\0')
      cmdline[i] = ' ';
  g_assert_nonnull (strstr (cmdline, guest_arg));
  return pid;
}

/* ------------------------------------------------------------------ */
/* Embedded roots (parent side)                                        */

typedef struct
{
  char *root;     /* what the model gets */
  char *remove;   /* what to delete afterwards */
} TestRoot;

static void
test_root_make (TestRoot *test_root)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *candidate = g_build_filename (g_test_get_dir (G_TEST_BUILT),
                                                 "vmroot-XXXXXX", NULL);
  gsize pad;

  if (strlen (candidate) <= HANGAR_EMBEDDED_ROOT_MAX)
    {
      g_assert_nonnull (g_mkdtemp (candidate));
      test_root->root = g_strdup (candidate);
      test_root->remove = g_steal_pointer (&candidate);
      return;
    }

  test_root->remove = g_dir_make_tmp ("hangar-vm-XXXXXX", &error);
  g_assert_no_error (error);
  if (strlen (test_root->remove) + 2 > HANGAR_EMBEDDED_ROOT_MAX)
    {
      /* TMPDIR is long itself. */
      g_rmdir (test_root->remove);
      g_free (test_root->remove);
      test_root->remove = g_strdup ("/tmp/hv-XXXXXX");
      g_assert_nonnull (g_mkdtemp (test_root->remove));
    }
  /* Fill the root up to the longest the model allows: the guest's sockets
   * must still fit. */
  pad = HANGAR_EMBEDDED_ROOT_MAX - strlen (test_root->remove) - 1;
  test_root->root = g_strdup_printf ("%s/%.*s", test_root->remove, (int) pad,
                                     "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr");
  g_assert_cmpuint (strlen (test_root->root), ==, HANGAR_EMBEDDED_ROOT_MAX);
  note ("embedded root %s (%zu characters)", test_root->root, strlen (test_root->root));
}

/* Returns how many QEMU processes were still running. */
static guint
test_root_clean (TestRoot *test_root)
{
  g_autofree char *run_dir = g_build_filename (test_root->root, "run", "qemu", NULL);
  guint killed = kill_qemu_by_pidfiles (run_dir);

  remove_tree (test_root->remove);
  g_clear_pointer (&test_root->root, g_free);
  g_clear_pointer (&test_root->remove, g_free);
  return killed;
}

/* Runs the current test in a child with @phase, cleaning up if it fails. */
static void
run_child (const char *phase)
{
  if (phase != NULL)
    g_setenv (ENV_PHASE, phase, TRUE);
  g_test_trap_subprocess (NULL, CHILD_TIMEOUT_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv (ENV_PHASE);
}

/* ------------------------------------------------------------------ */
/* Lifecycle on the embedded driver                                    */

static void
assert_sockets_fit (const char *root)
{
  g_autoptr (GPtrArray) sockets = g_ptr_array_new_with_free_func (g_free);
  gboolean monitor = FALSE, agent = FALSE;

  collect_sockets (root, sockets);
  for (guint i = 0; i < sockets->len; i++)
    {
      const char *path = g_ptr_array_index (sockets, i);

      note ("socket (%zu bytes): %s", strlen (path), path);
      g_assert_cmpuint (strlen (path), <, sizeof (((struct sockaddr_un *) NULL)->sun_path));
      monitor |= g_str_has_suffix (path, "/monitor.sock");
      agent |= g_str_has_suffix (path, "/org.qemu.guest_agent.0");
    }
  g_assert_true (monitor);
  g_assert_true (agent);
}

/* What ROOT/etc/qemu.conf asks for shows in how QEMU runs. */
static void
assert_qemu_conf_applied (const char *root,
                          GPid        pid)
{
  g_autofree char *log = NULL;
  g_autofree char *log_path = g_build_filename (root, "log", "qemu", GUEST_NAME ".log", NULL);
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *status = NULL;
  g_autofree char *uid_line = g_strdup_printf ("\nUid:\t%u\t", (guint) getuid ());

  /* stdio_handler = "file": libvirt logs QEMU's command line and output to a
   * file under the root, not to virtlogd (which is not running). */
  g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
  g_assert_nonnull (strstr (log, "qemu-system"));

  /* user = "root" when root; otherwise QEMU runs as the user anyway. */
  g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
  g_assert_nonnull (strstr (status, uid_line));
}

static void
assert_shutdown_times_out (HangarVm *vm)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  hangar_vm_shutdown_async (vm, 1, NULL, hangar_test_store_result, &result);
  g_assert_true (hangar_vm_get_busy (vm));
  hangar_test_await (&result, 30 * 1000);
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  note ("shutdown timed out after %" G_GINT64_FORMAT " ms", elapsed_ms);
  g_assert_false (hangar_vm_shutdown_finish (vm, result, &error));
  /* The UI offers Force Off on exactly this error. */
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "“" GUEST_NAME "”"));
  g_assert_cmpint (elapsed_ms, >=, 900);
  g_assert_cmpint (elapsed_ms, <, 10 * 1000);
  g_assert_false (hangar_vm_get_busy (vm));
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_RUNNING);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
}

static gboolean
cancel_soon (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
assert_shutdown_cancels (HangarVm *vm)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  gint64 start = g_get_monotonic_time ();

  hangar_vm_shutdown_async (vm, 60, cancellable, hangar_test_store_result, &result);
  g_timeout_add (300, cancel_soon, cancellable);
  hangar_test_await (&result, 30 * 1000);
  g_assert_false (hangar_vm_shutdown_finish (vm, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 10 * 1000);
  g_assert_false (hangar_vm_get_busy (vm));
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_RUNNING);
}

static void
assert_delete (HangarConnection *connection,
               HangarVm         *vm,
               const char       *root)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup (hangar_vm_get_name (vm));
  virConnectPtr conn = NULL;
  virDomainPtr gone;

  hangar_vm_delete_async (vm, NULL, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 60 * 1000);
  hangar_assert_ok (hangar_vm_delete_finish (vm, result, &error), error);
  g_assert_true (hangar_test_wait_for_vm_gone (connection, name, EVENT_TIMEOUT_MS));

  g_object_get (hangar_connection_get_gvir (connection), "handle", &conn, NULL);
  gone = virDomainLookupByName (conn, name);
  g_assert_null (gone);
  g_assert_cmpint (virGetLastErrorCode (), ==, VIR_ERR_NO_DOMAIN);
  virResetLastError ();
  virConnectClose (conn);

  if (root != NULL)
    {
      g_autofree char *file = g_strconcat (name, ".xml", NULL);
      g_autofree char *xml = g_build_filename (root, "etc", "qemu", file, NULL);

      g_assert_false (g_file_test (xml, G_FILE_TEST_EXISTS));
    }
}

static void
child_lifecycle (const char *root)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_embedded_uri (root);
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (HangarVm) vm = NULL;
  GPid pid;

  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  connection = open_connection (uri, HANGAR_CONNECTION_KIND_EMBEDDED);
  vm = define_guest (connection, GUEST_NAME, kvm_usable_by (getuid ()));
  g_assert_true (hangar_vm_can_do (vm, HANGAR_VM_ACTION_START));

  assert_action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING);
  pid = assert_qemu_runs (root, GUEST_NAME);
  assert_qemu_conf_applied (root, pid);
  assert_sockets_fit (root);

  assert_action (vm, HANGAR_VM_ACTION_PAUSE, HANGAR_VM_STATE_PAUSED, VIR_DOMAIN_PAUSED);
  assert_action (vm, HANGAR_VM_ACTION_RESUME, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING);
  assert_shutdown_times_out (vm);
  assert_shutdown_cancels (vm);

  assert_action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF, VIR_DOMAIN_SHUTOFF);
  g_assert_true (wait_for_pid_exit (pid, 5000));

  assert_delete (connection, vm, root);
  hangar_connection_close (connection);
}

static void
test_embedded_lifecycle (void)
{
  TestRoot test_root = { NULL, NULL };

  if (g_test_subprocess ())
    {
      child_lifecycle (g_getenv (ENV_ROOT));
      return;
    }

  test_root_make (&test_root);
  g_setenv (ENV_ROOT, test_root.root, TRUE);
  run_child (NULL);
  g_unsetenv (ENV_ROOT);
  /* Clean up first, so that a failure leaves nothing running. */
  g_assert_cmpuint (test_root_clean (&test_root), ==, 0);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------------ */
/* CD-ROM media, changed and ejected while the VM runs                 */

static char *
make_iso (const char *root,
          const char *name)
{
  g_autofree char *dir = g_build_filename (root, name, NULL);
  g_autofree char *readme = g_build_filename (dir, "README", NULL);
  g_autofree char *file = g_strconcat (name, ".iso", NULL);
  char *iso = g_build_filename (root, file, NULL);
  const char *argv[] = { "xorriso", "-as", "mkisofs", "-quiet", "-V", name, "-o", iso, dir, NULL };
  int status;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (readme, name, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return iso;
}

static char *
cdrom_source (HangarVm *vm,
              guint     flags)
{
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config = gvir_domain_get_config (hangar_vm_get_domain (vm), flags, &error);
  GList *devices;
  char *source = NULL;

  g_assert_no_error (error);
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    if (GVIR_CONFIG_IS_DOMAIN_DISK (l->data) &&
        gvir_config_domain_disk_get_guest_device_type (l->data) ==
        GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM)
      source = g_strdup (gvir_config_domain_disk_get_source (l->data));
  g_list_free_full (devices, g_object_unref);
  g_object_unref (config);
  return source;
}

static gboolean
change_media (HangarVm    *vm,
              const char  *target,
              const char  *path,
              GError     **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_change_media_async (vm, target, path, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 30000);
  return hangar_vm_change_media_finish (vm, result, error);
}

static char *
domain_xml (HangarVm *vm,
            guint     flags)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);
  char *xml = virDomainGetXMLDesc (handle, flags);
  char *copy = g_strdup (xml);

  free (xml);
  virDomainFree (handle);
  return copy;
}

static guint
count_of (const char *text,
          const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* The hardware editor on a running guest: a NIC hot-plugged (in QEMU and
 * in the saved config), its link cut and restored at once. */
static void
live_nic (HangarVm *vm)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (HangarDevice) blank = NULL;
  g_autoptr (GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) devices = NULL;
  g_autofree char *before = domain_xml (vm, 0);
  g_autofree char *after = NULL;
  HangarDevice *nic = NULL;
  gboolean pending = TRUE;

  hangar_vm_new_device_async (vm, HANGAR_DEVICE_NIC, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 30000);
  blank = hangar_vm_new_device_finish (vm, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  /* Hangar's own connection has no virtual networks or bridges to offer. */
  g_assert_cmpstrv (hangar_device_get_field (blank, "type")->choices,
                    ((const char *const[]) { "user", NULL }));
  g_hash_table_insert (values, "type", "user");
  g_hash_table_insert (values, "model", "virtio");
  g_hash_table_insert (values, "mac", "52:54:00:aa:bb:01");
  hangar_vm_add_device_async (vm, blank, values, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 60000);
  hangar_assert_ok (hangar_vm_add_device_finish (vm, result, &pending, &error), error);
  g_clear_object (&result);
  g_assert_false (pending);
  after = domain_xml (vm, 0);
  g_assert_cmpuint (count_of (after, "<interface"), ==, count_of (before, "<interface") + 1);
  g_assert_nonnull (strstr (after, "52:54:00:aa:bb:01"));
  g_free (after);
  after = domain_xml (vm, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (after, "52:54:00:aa:bb:01"));

  hangar_vm_list_devices_async (vm, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 30000);
  devices = hangar_vm_list_devices_finish (vm, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  for (guint i = 0; i < devices->len; i++)
    {
      HangarDevice *d = g_ptr_array_index (devices, i);

      if (d->kind == HANGAR_DEVICE_NIC && strstr (d->key, "52:54:00:aa:bb:01") != NULL)
        nic = d;
    }
  g_assert_nonnull (nic);
  g_hash_table_remove_all (values);
  g_hash_table_insert (values, "link", "down");
  pending = TRUE;
  hangar_vm_apply_device_async (vm, nic, values, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 30000);
  hangar_assert_ok (hangar_vm_apply_device_finish (vm, result, &pending, &error), error);
  g_clear_object (&result);
  g_assert_false (pending);
  g_free (after);
  after = domain_xml (vm, 0);
  g_assert_nonnull (strstr (after, "<link state='down'/>"));
  g_free (after);
  after = domain_xml (vm, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (after, "<link state='down'/>"));
}

static void
child_cdrom (const char *root)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_embedded_uri (root);
  g_autofree char *first = make_iso (root, "FIRST");
  g_autofree char *second = make_iso (root, "SECOND");
  g_autoptr (HangarConnection) connection = NULL;
  g_autofree char *live = NULL;
  g_autofree char *saved = NULL;
  GVirConfigDomain *config;
  GVirDomain *domain;
  HangarVm *vm;
  HangarVmSpec spec;

  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  connection = open_connection (uri, HANGAR_CONNECTION_KIND_EMBEDDED);

  /* A wizard-made VM (generic OS, no disk) booting SeaBIOS from the CD. */
  hangar_vm_spec_init (&spec);
  spec.name = g_strdup ("hangar-cdrom");
  spec.memory_mib = 128;
  spec.vcpus = 1;
  spec.media_path = g_strdup (first);
  config = hangar_vm_spec_to_config (&spec, NULL, NULL, hangar_host_kvm_usable (), FALSE);
  domain = gvir_connection_create_domain (hangar_connection_get_gvir (connection), config, &error);
  g_assert_no_error (error);
  g_object_unref (domain);
  g_object_unref (config);
  hangar_vm_spec_clear (&spec);
  vm = hangar_test_wait_for_vm (connection, "hangar-cdrom", EVENT_TIMEOUT_MS * 5);
  g_assert_nonnull (vm);
  g_assert_true (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_SHUT_OFF, EVENT_TIMEOUT_MS * 5));
  assert_action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING);

  /* Change, while it runs: QEMU's drive and the saved config both have it. */
  hangar_assert_ok (change_media (vm, "sda", second, &error), error);
  live = cdrom_source (vm, 0);
  saved = cdrom_source (vm, GVIR_DOMAIN_XML_INACTIVE);
  g_assert_cmpstr (live, ==, second);
  g_assert_cmpstr (saved, ==, second);
  g_clear_pointer (&live, g_free);
  g_clear_pointer (&saved, g_free);

  /* Eject: both empty. */
  hangar_assert_ok (change_media (vm, "sda", NULL, &error), error);
  live = cdrom_source (vm, 0);
  saved = cdrom_source (vm, GVIR_DOMAIN_XML_INACTIVE);
  g_assert_null (live);
  g_assert_null (saved);

  /* Bad input changes nothing. */
  g_assert_false (change_media (vm, "sda", "/nonexistent.iso", &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (change_media (vm, "sdz", second, &error));
  g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cdrom_source (vm, 0));

  live_nic (vm);
  assert_action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF, VIR_DOMAIN_SHUTOFF);
  hangar_connection_close (connection);
}

static void
test_embedded_cdrom (void)
{
  TestRoot test_root = { NULL, NULL };

  if (g_test_subprocess ())
    {
      child_cdrom (g_getenv (ENV_ROOT));
      return;
    }

  test_root_make (&test_root);
  g_setenv (ENV_ROOT, test_root.root, TRUE);
  run_child (NULL);
  g_unsetenv (ENV_ROOT);
  /* Clean up first, so that a failure leaves nothing running; then say
   * why the child failed before counting what it left. */
  {
    guint left = test_root_clean (&test_root);

    g_test_trap_assert_passed ();
    g_assert_cmpuint (left, ==, 0);
  }
}

/* ------------------------------------------------------------------ */
/* Quit and start again                                                */

static void
child_reopen_start (const char *root)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_embedded_uri (root);
  HangarConnection *connection;
  g_autoptr (HangarVm) vm = NULL;
  GPid pid;

  hangar_assert_ok (hangar_embedded_prepare_root (root, &error), error);
  connection = open_connection (uri, HANGAR_CONNECTION_KIND_EMBEDDED);
  vm = define_guest (connection, GUEST_NAME, kvm_usable_by (getuid ()));
  assert_action (vm, HANGAR_VM_ACTION_START, HANGAR_VM_STATE_RUNNING, VIR_DOMAIN_RUNNING);
  pid = assert_qemu_runs (root, GUEST_NAME);

  /* What Hangar does when it quits. */
  g_clear_object (&vm);
  hangar_connection_close (connection);
  g_object_unref (connection);
  g_assert_true (pid_is_alive (pid));
}

static void
child_reopen_again (const char *root)
{
  g_autofree char *uri = hangar_embedded_uri (root);
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (HangarVm) vm = NULL;
  GPid pid = assert_qemu_runs (root, GUEST_NAME);

  connection = open_connection (uri, HANGAR_CONNECTION_KIND_EMBEDDED);
  /* Shown as running as soon as the connection is open, not after a poll. */
  g_assert_nonnull (hangar_connection_find_vm (connection, GUEST_NAME));
  vm = g_object_ref (hangar_connection_find_vm (connection, GUEST_NAME));
  g_assert_cmpstr (hangar_test_state_name (hangar_vm_get_state (vm)), ==,
                   hangar_test_state_name (HANGAR_VM_STATE_RUNNING));
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);

  /* At once, while libvirt still reconnects to QEMU in the background: libvirt
   * may report "domain is not running" though QEMU is gone; the model must
   * call that success. */
  assert_action (vm, HANGAR_VM_ACTION_FORCE_OFF, HANGAR_VM_STATE_SHUT_OFF, VIR_DOMAIN_SHUTOFF);
  g_assert_true (wait_for_pid_exit (pid, 5000));
  /* And it stays off: no late event flips it back. */
  g_assert_false (hangar_test_wait_for_state (vm, HANGAR_VM_STATE_RUNNING, 500));
  g_assert_cmpint (hangar_vm_get_state (vm), ==, HANGAR_VM_STATE_SHUT_OFF);

  assert_delete (connection, vm, root);
  hangar_connection_close (connection);
}

static void
test_embedded_reopen (void)
{
  TestRoot test_root = { NULL, NULL };
  g_autofree char *pidfile = NULL;
  gboolean first_passed;
  GPid pid;

  if (g_test_subprocess ())
    {
      if (g_strcmp0 (g_getenv (ENV_PHASE), "start") == 0)
        child_reopen_start (g_getenv (ENV_ROOT));
      else
        child_reopen_again (g_getenv (ENV_ROOT));
      return;
    }

  test_root_make (&test_root);
  g_setenv (ENV_ROOT, test_root.root, TRUE);
  pidfile = embedded_pidfile (test_root.root, GUEST_NAME);

  run_child ("start");
  first_passed = g_test_trap_has_passed ();
  /* The process that started the guest is gone; QEMU is not. */
  pid = read_pidfile (pidfile);
  if (first_passed)
    {
      g_assert_cmpint (pid, >, 1);
      g_assert_true (pid_is_alive (pid));
      note ("QEMU %d outlived the process that started it", (int) pid);
      run_child ("again");
    }
  g_unsetenv (ENV_ROOT);

  g_assert_cmpuint (test_root_clean (&test_root), ==, 0);
  g_assert_true (first_passed);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------------ */
/* Another tool changes a VM on a daemon's connection                  */

typedef struct
{
  char  *dir;
  char  *socket;
  char  *uri;
  GPid   pid;
  uid_t  uid;
  gboolean kvm;
} SessionDaemon;

static void
drop_to_nobody (gpointer user_data)
{
  /* Between fork and exec: async-signal-safe calls only. */
  if (setgroups (0, NULL) < 0 || setgid (NOBODY_ID) < 0 || setuid (NOBODY_ID) < 0)
    _exit (127);
}

static void
chown_tree (const char *path,
            uid_t       uid)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *entry;

  g_assert_cmpint (chown (path, uid, uid), ==, 0);
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, entry, NULL);

      chown_tree (child, uid);
    }
}

static char *
find_program (const char *name)
{
  const char *dirs[] = { "/usr/sbin", "/usr/local/sbin", "/sbin", NULL };
  char *found = g_find_program_in_path (name);

  for (guint i = 0; found == NULL && dirs[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
        found = g_steal_pointer (&path);
    }
  return found;
}

/* A root test cannot use qemu:///session as such: libvirt's client sends
 * root to the system daemon's socket for it, and a daemon running as root is
 * privileged (the system driver) whatever its socket. So root runs a real
 * session daemon as nobody, and anyone else one of their own; both with
 * private XDG folders, reached through qemu+unix:///session?socket=. */
static void
session_daemon_start (SessionDaemon *daemon)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *program = find_program ("virtqemud");
  g_autofree char *run_dir = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *home_env = NULL, *runtime_env = NULL, *config_env = NULL, *cache_env = NULL;
  const char *socket_name = "virtqemud-sock";
  gint64 deadline;
  int log_fd;

  if (program == NULL)
    {
      program = find_program ("libvirtd");
      socket_name = "libvirt-sock";
    }
  g_assert_nonnull (program);

  daemon->uid = getuid () == 0 ? NOBODY_ID : getuid ();
  daemon->kvm = kvm_usable_by (daemon->uid);
  /* Short names: the session driver puts the guest agent's socket under
   * $XDG_CONFIG_HOME, and UNIX socket paths are short. */
  daemon->dir = g_strdup ("/tmp/hs-XXXXXX");
  g_assert_nonnull (g_mkdtemp (daemon->dir));
  run_dir = g_build_filename (daemon->dir, "run", NULL);
  g_assert_cmpint (g_mkdir (run_dir, 0700), ==, 0);
  for (const char *const *sub = (const char *const[]) { "c", "cache", NULL }; *sub; sub++)
    {
      g_autofree char *path = g_build_filename (daemon->dir, *sub, NULL);

      g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
    }
  if (daemon->uid != getuid ())
    chown_tree (daemon->dir, daemon->uid);

  daemon->socket = g_build_filename (run_dir, "libvirt", socket_name, NULL);
  daemon->uri = g_strconcat ("qemu+unix:///session?socket=", daemon->socket, NULL);

  home_env = g_strconcat ("HOME=", daemon->dir, NULL);
  runtime_env = g_strconcat ("XDG_RUNTIME_DIR=", run_dir, NULL);
  config_env = g_strconcat ("XDG_CONFIG_HOME=", daemon->dir, "/c", NULL);
  cache_env = g_strconcat ("XDG_CACHE_HOME=", daemon->dir, "/cache", NULL);
  {
    const char *argv[] = { program, "--timeout=600", NULL };
    const char *envp[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "LC_ALL=C", home_env, runtime_env, config_env, cache_env, NULL
    };

    log_path = g_build_filename (daemon->dir, "daemon.log", NULL);
    log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    g_assert_cmpint (log_fd, >=, 0);
    g_spawn_async_with_fds (NULL, (char **) argv, (char **) envp, G_SPAWN_DO_NOT_REAP_CHILD,
                            daemon->uid != getuid () ? drop_to_nobody : NULL, NULL,
                            &daemon->pid, -1, log_fd, log_fd, &error);
    g_close (log_fd, NULL);
    g_assert_no_error (error);
  }
  note ("session daemon %s (pid %d, uid %u) on %s", program, (int) daemon->pid,
        (guint) daemon->uid, daemon->socket);

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!g_file_test (daemon->socket, G_FILE_TEST_EXISTS))
    {
      int status;

      if (waitpid (daemon->pid, &status, WNOHANG) == daemon->pid)
        {
          g_autofree char *log = NULL;

          daemon->pid = 0;
          g_file_get_contents (log_path, &log, NULL, NULL);
          g_error ("The session daemon exited at once (status %d): %s", status, log);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("The session daemon did not make its socket %s", daemon->socket);
      g_usleep (50 * 1000);
    }
}

static gboolean
run_virsh (const char  *uri,
           const char  *command,
           const char  *name,
           GError     **error)
{
  g_autofree char *virsh = find_program ("virsh");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { virsh, "-q", "-c", uri, command, name, NULL };
  int status = 0;

  g_assert_nonnull (virsh);
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "virsh %s %s: %s: ", command, name, err);
      return FALSE;
    }
  return TRUE;
}

static void
session_daemon_stop (SessionDaemon *daemon)
{
  g_autofree char *qemu_run = NULL;
  g_autofree char *virtlogd_pidfile = NULL;
  GPid virtlogd;

  if (daemon->dir == NULL)
    return;

  /* Leftovers of a failed child: ask the daemon first, then kill. */
  if (daemon->pid != 0)
    {
      run_virsh (daemon->uri, "destroy", GUEST_NAME, NULL);
      run_virsh (daemon->uri, "undefine", GUEST_NAME, NULL);
    }
  qemu_run = g_build_filename (daemon->dir, "run", "libvirt", "qemu", "run", NULL);
  kill_qemu_by_pidfiles (qemu_run);

  if (daemon->pid != 0)
    {
      gboolean reaped = FALSE;

      kill (daemon->pid, SIGTERM);
      for (int i = 0; i < 200 && !reaped; i++)
        {
          reaped = waitpid (daemon->pid, NULL, WNOHANG) == daemon->pid;
          if (!reaped)
            g_usleep (50 * 1000);
        }
      if (!reaped)
        {
          kill (daemon->pid, SIGKILL);
          waitpid (daemon->pid, NULL, 0);
        }
      g_spawn_close_pid (daemon->pid);
      daemon->pid = 0;
    }

  /* The daemon started virtlogd for QEMU's output; it lives on otherwise. */
  virtlogd_pidfile = g_build_filename (daemon->dir, "run", "libvirt", "virtlogd.pid", NULL);
  virtlogd = read_pidfile (virtlogd_pidfile);
  if (virtlogd != 0 && pid_is_alive (virtlogd))
    {
      kill (virtlogd, SIGTERM);
      if (!wait_for_pid_exit (virtlogd, 5000))
        kill (virtlogd, SIGKILL);
    }

  remove_tree (daemon->dir);
  g_clear_pointer (&daemon->dir, g_free);
  g_clear_pointer (&daemon->socket, g_free);
  g_clear_pointer (&daemon->uri, g_free);
}

static void
count_signal (GObject *object,
              guint   *count)
{
  (*count)++;
}

/* Runs virsh and checks that the model follows within EVENT_TIMEOUT_MS of
 * virsh returning, through libvirt's event for the domain. */
static void
assert_follows_virsh (HangarVm      *vm,
                      const char    *uri,
                      const char    *command,
                      const char    *signal_name,
                      HangarVmState  expected)
{
  g_autoptr (GError) error = NULL;
  guint emitted = 0;
  gulong id = g_signal_connect (hangar_vm_get_domain (vm), signal_name,
                                G_CALLBACK (count_signal), &emitted);
  gint64 returned;
  gint64 elapsed_ms;

  g_assert_cmpint (hangar_vm_get_state (vm), !=, expected);
  run_virsh (uri, command, GUEST_NAME, &error);
  g_assert_no_error (error);
  returned = g_get_monotonic_time ();
  /* The main loop has not run since: whatever changes now comes after virsh. */
  g_assert_cmpint (hangar_vm_get_state (vm), !=, expected);

  g_assert_true (hangar_test_wait_for_state (vm, expected, EVENT_TIMEOUT_MS));
  elapsed_ms = (g_get_monotonic_time () - returned) / 1000;
  note ("virsh %s reached the model %" G_GINT64_FORMAT " ms after virsh returned",
        command, elapsed_ms);
  g_assert_cmpint (elapsed_ms, <, EVENT_TIMEOUT_MS);
  /* Through the event, not the model's periodic poll. */
  g_assert_cmpuint (emitted, >=, 1);
  g_signal_handler_disconnect (hangar_vm_get_domain (vm), id);
}

static void
child_session_events (const char *uri,
                      gboolean    kvm)
{
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (HangarVm) vm = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start;

  connection = open_connection (uri, HANGAR_CONNECTION_KIND_SESSION);
  vm = define_guest (connection, GUEST_NAME, kvm);

  assert_follows_virsh (vm, uri, "start", "started", HANGAR_VM_STATE_RUNNING);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_RUNNING);
  assert_follows_virsh (vm, uri, "suspend", "suspended", HANGAR_VM_STATE_PAUSED);
  assert_follows_virsh (vm, uri, "resume", "resumed", HANGAR_VM_STATE_RUNNING);
  assert_follows_virsh (vm, uri, "destroy", "stopped", HANGAR_VM_STATE_SHUT_OFF);
  g_assert_cmpint (hangar_test_libvirt_state (vm), ==, VIR_DOMAIN_SHUTOFF);

  /* Removed by another tool: gone from Hangar's list. */
  run_virsh (uri, "undefine", GUEST_NAME, &error);
  g_assert_no_error (error);
  start = g_get_monotonic_time ();
  g_assert_true (hangar_test_wait_for_vm_gone (connection, GUEST_NAME, EVENT_TIMEOUT_MS));
  note ("virsh undefine reached the model %" G_GINT64_FORMAT " ms after virsh returned",
        (g_get_monotonic_time () - start) / 1000);

  hangar_connection_close (connection);
}

static void
test_session_events (void)
{
  SessionDaemon daemon = { NULL, };

  if (g_test_subprocess ())
    {
      child_session_events (g_getenv (ENV_SESSION_URI),
                            g_strcmp0 (g_getenv (ENV_SESSION_KVM), "1") == 0);
      return;
    }

  session_daemon_start (&daemon);
  g_setenv (ENV_SESSION_URI, daemon.uri, TRUE);
  g_setenv (ENV_SESSION_KVM, daemon.kvm ? "1" : "0", TRUE);
  run_child (NULL);
  g_unsetenv (ENV_SESSION_URI);
  g_unsetenv (ENV_SESSION_KVM);
  session_daemon_stop (&daemon);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------------ */
/* New disks in a storage pool                                         */

static char *
create_vm (HangarConnection *connection,
           const char       *name,
           guint64           memory_mib,
           GError          **error)
{
  g_autoptr (GAsyncResult) result = NULL;
  HangarVmSpec spec;
  char *created;

  hangar_vm_spec_init (&spec);
  spec.name = g_strdup (name);
  spec.memory_mib = memory_mib;
  spec.vcpus = 1;
  spec.disk_gib = 1;
  hangar_vm_create_async (connection, &spec, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 60000);
  created = hangar_vm_create_finish (connection, result, error);
  hangar_vm_spec_clear (&spec);
  return created;
}

static void
child_session_pool (const char *uri)
{
  g_autoptr (HangarConnection) connection = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *pool_xml = NULL;
  g_autofree char *pool_path = hangar_pool_default_path (TRUE);
  g_autofree char *vol_path = NULL;
  g_autofree char *domain_xml = NULL;
  virConnectPtr conn;
  virStoragePoolPtr pool;
  virStorageVolPtr vol;
  virStorageVolInfo info;
  virDomainPtr dom;
  int autostart = 0;

  connection = open_connection (uri, HANGAR_CONNECTION_KIND_SESSION);
  conn = virConnectOpen (uri);
  g_assert_nonnull (conn);
  /* A fresh session daemon: no "default" pool yet. */
  g_assert_null (virStoragePoolLookupByName (conn, "default"));
  virResetLastError ();

  name = create_vm (connection, "hangar-pool", 128, &error);
  hangar_assert_ok (name != NULL, error);

  /* The pool was made where a session's belongs, started and autostarted. */
  pool = virStoragePoolLookupByName (conn, "default");
  g_assert_nonnull (pool);
  g_assert_cmpint (virStoragePoolIsActive (pool), ==, 1);
  g_assert_cmpint (virStoragePoolGetAutostart (pool, &autostart), ==, 0);
  g_assert_true (autostart);
  pool_xml = virStoragePoolGetXMLDesc (pool, 0);
  g_assert_nonnull (strstr (pool_xml, pool_path));
  g_assert_true (g_file_test (pool_path, G_FILE_TEST_IS_DIR));

  /* The VM's disk is a 1 GiB qcow2 volume in it. */
  vol = virStorageVolLookupByName (pool, "hangar-pool.qcow2");
  g_assert_nonnull (vol);
  g_assert_cmpint (virStorageVolGetInfo (vol, &info), ==, 0);
  g_assert_cmpuint (info.capacity, ==, G_GUINT64_CONSTANT (1) << 30);
  vol_path = virStorageVolGetPath (vol);
  dom = virDomainLookupByName (conn, "hangar-pool");
  g_assert_nonnull (dom);
  domain_xml = virDomainGetXMLDesc (dom, 0);
  g_assert_nonnull (strstr (domain_xml, vol_path));
  g_assert_nonnull (strstr (domain_xml, "type='qcow2'"));
  note ("the new VM's disk: %s in the default pool (%s)", vol_path, pool_path);

  /* libvirt refuses the VM (no memory): the volume made for it goes. */
  g_clear_pointer (&name, g_free);
  name = create_vm (connection, "hangar-pool2", 0, &error);
  g_assert_null (name);
  g_assert_nonnull (error);
  note ("refused: %s", error->message);
  g_clear_error (&error);
  g_assert_null (virStorageVolLookupByName (pool, "hangar-pool2.qcow2"));
  virResetLastError ();
  g_assert_null (virDomainLookupByName (conn, "hangar-pool2"));
  virResetLastError ();

  /* A volume of that name exists already: never overwritten, no VM. */
  {
    virStorageVolPtr other = virStorageVolCreateXML (pool,
      "<volume><name>hangar-pool3.qcow2</name><capacity>1048576</capacity>"
      "<target><format type='raw'/></target></volume>", 0);

    g_assert_nonnull (other);
    name = create_vm (connection, "hangar-pool3", 128, &error);
    g_assert_null (name);
    g_assert_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT);
    note ("refused: %s", error->message);
    g_clear_error (&error);
    g_assert_cmpint (virStorageVolGetInfo (other, &info), ==, 0);
    g_assert_cmpuint (info.capacity, ==, 1048576);
    g_assert_null (virDomainLookupByName (conn, "hangar-pool3"));
    virResetLastError ();
    virStorageVolDelete (other, 0);
    virStorageVolFree (other);
  }

  virDomainUndefine (dom);
  virDomainFree (dom);
  virStorageVolDelete (vol, 0);
  virStorageVolFree (vol);
  virStoragePoolFree (pool);
  virConnectClose (conn);
  hangar_connection_close (connection);
}

static void
test_session_pool (void)
{
  SessionDaemon daemon = { NULL, };
  g_autofree char *data = NULL;

  if (g_test_subprocess ())
    {
      child_session_pool (g_getenv (ENV_SESSION_URI));
      return;
    }

  session_daemon_start (&daemon);
  /* The client's data folder is where the session's pool goes; the daemon
   * (which makes the folder) runs as another user here, so it owns it. */
  data = g_build_filename (daemon.dir, "data", NULL);
  g_assert_cmpint (g_mkdir (data, 0700), ==, 0);
  if (daemon.uid != getuid ())
    chown_tree (data, daemon.uid);
  g_setenv (ENV_SESSION_URI, daemon.uri, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  run_child (NULL);
  g_unsetenv (ENV_SESSION_URI);
  g_unsetenv ("XDG_DATA_HOME");
  session_daemon_stop (&daemon);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  hangar_test_init (&argc, &argv);

  g_test_add_func ("/vm/embedded/lifecycle", test_embedded_lifecycle);
  g_test_add_func ("/vm/embedded/reopen", test_embedded_reopen);
  g_test_add_func ("/vm/embedded/cdrom", test_embedded_cdrom);
  g_test_add_func ("/vm/session/events", test_session_events);
  g_test_add_func ("/vm/session/pool", test_session_pool);

  return g_test_run ();
}
