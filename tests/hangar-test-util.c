/* hangar-test-util.c: main-loop helpers shared by Hangar's headless tests. */
#include "config.h"

#include <string.h>

#include <libvirt-glib/libvirt-glib.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/virterror.h>

#include "hangar-enums.h"
#include "hangar-test-util.h"

void
hangar_test_init (int    *argc,
                  char ***argv)
{
  g_autoptr (GError) error = NULL;

  /* gvir_init_object_check () registers the event loop too (once), but a
   * test must not depend on that detail. */
  gvir_event_register ();
  if (!gvir_init_object_check (argc, argv, &error))
    g_error ("Could not initialise libvirt-gobject: %s", error->message);
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
hangar_test_wait_until (HangarTestCondition condition,
                        gpointer            user_data,
                        guint               timeout_ms)
{
  gboolean timed_out = FALSE;
  guint deadline_id;

  if (condition (user_data))
    return TRUE;

  deadline_id = g_timeout_add (timeout_ms, on_deadline, &timed_out);
  while (!condition (user_data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (deadline_id);
  return condition (user_data);
}

void
hangar_test_store_result (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
slot_is_set (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

void
hangar_test_await (GAsyncResult **slot,
                   guint          timeout_ms)
{
  if (!hangar_test_wait_until (slot_is_set, slot, timeout_ms))
    g_error ("An asynchronous call did not finish within %u ms", timeout_ms);
}

gboolean
hangar_test_open_connection (HangarConnection  *connection,
                             guint              timeout_ms,
                             GError           **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_connection_open_async (connection, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, timeout_ms);
  return hangar_connection_open_finish (connection, result, error);
}

typedef struct
{
  HangarConnection *connection;
  const char       *name;
} FindVm;

static gboolean
vm_is_listed (gpointer user_data)
{
  FindVm *find = user_data;

  return hangar_connection_find_vm (find->connection, find->name) != NULL;
}

static gboolean
vm_is_not_listed (gpointer user_data)
{
  return !vm_is_listed (user_data);
}

HangarVm *
hangar_test_wait_for_vm (HangarConnection *connection,
                         const char       *name,
                         guint             timeout_ms)
{
  FindVm find = { connection, name };

  if (!hangar_test_wait_until (vm_is_listed, &find, timeout_ms))
    return NULL;
  return g_object_ref (hangar_connection_find_vm (connection, name));
}

gboolean
hangar_test_wait_for_vm_gone (HangarConnection *connection,
                              const char       *name,
                              guint             timeout_ms)
{
  FindVm find = { connection, name };

  return hangar_test_wait_until (vm_is_not_listed, &find, timeout_ms);
}

typedef struct
{
  HangarVm      *vm;
  HangarVmState  state;
} WaitState;

static gboolean
vm_has_state (gpointer user_data)
{
  WaitState *wait = user_data;

  return hangar_vm_get_state (wait->vm) == wait->state;
}

gboolean
hangar_test_wait_for_state (HangarVm      *vm,
                            HangarVmState  state,
                            guint          timeout_ms)
{
  WaitState wait = { vm, state };

  return hangar_test_wait_until (vm_has_state, &wait, timeout_ms);
}

virDomainPtr
hangar_test_dup_handle (HangarVm *vm)
{
  virDomainPtr handle = NULL;

  g_object_get (hangar_vm_get_domain (vm), "handle", &handle, NULL);
  g_assert_nonnull (handle);
  return handle;
}

/* Returns libvirt's virDomainState, or -1 when libvirt does not know the domain. */
int
hangar_test_libvirt_state (HangarVm *vm)
{
  virDomainPtr handle = hangar_test_dup_handle (vm);
  int state = -1, reason = 0;

  if (virDomainGetState (handle, &state, &reason, 0) < 0)
    {
      state = -1;
      virResetLastError ();
    }
  virDomainFree (handle);
  return state;
}

const char *
hangar_test_state_name (HangarVmState state)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (HANGAR_TYPE_VM_STATE);
  GEnumValue *value = g_enum_get_value (klass, state);

  /* The strings live in static type data, so they outlive the class ref. */
  return value != NULL ? value->value_nick : "(invalid)";
}

gboolean
hangar_test_run_action (HangarVm        *vm,
                        HangarVmAction   action,
                        GError         **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_vm_run_action_async (vm, action, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, 60 * 1000);
  return hangar_vm_run_action_finish (vm, result, error);
}

static void
tolerant_log_handler (const char     *log_domain,
                      GLogLevelFlags  log_level,
                      const char     *message,
                      gpointer        user_data)
{
  gboolean known = message != NULL && strstr (message, "domain_event_cb") != NULL &&
                   strstr (message, "should not be reached") != NULL;

  g_log_default_handler (log_domain, log_level, message, user_data);
  if ((log_level & G_LOG_LEVEL_WARNING) && !known)
    g_error ("Unexpected warning: %s", message);
}

void
hangar_test_tolerate_unknown_events (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_default_handler (tolerant_log_handler, NULL);
}

gboolean
hangar_test_snapshot_take (HangarSnapshotTree  *tree,
                           const char          *name,
                           const char          *description,
                           gboolean             include_memory,
                           guint                timeout_ms,
                           GError             **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_create_async (tree, name, description, include_memory, NULL,
                                     hangar_test_store_result, &result);
  hangar_test_await (&result, timeout_ms);
  return hangar_snapshot_tree_create_finish (tree, result, error);
}

gboolean
hangar_test_snapshot_revert (HangarSnapshotTree  *tree,
                             const char          *name,
                             guint                timeout_ms,
                             GError             **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_revert_async (tree, name, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, timeout_ms);
  return hangar_snapshot_tree_revert_finish (tree, result, error);
}

gboolean
hangar_test_snapshot_delete (HangarSnapshotTree        *tree,
                             const char                *name,
                             HangarSnapshotDeleteMode   mode,
                             guint                      timeout_ms,
                             GError                   **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_delete_async (tree, name, mode, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, timeout_ms);
  return hangar_snapshot_tree_delete_finish (tree, result, error);
}

gboolean
hangar_test_snapshot_rename (HangarSnapshotTree  *tree,
                             const char          *name,
                             const char          *new_name,
                             guint                timeout_ms,
                             GError             **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  hangar_snapshot_tree_rename_async (tree, name, new_name, NULL, hangar_test_store_result,
                                     &result);
  hangar_test_await (&result, timeout_ms);
  return hangar_snapshot_tree_rename_finish (tree, result, error);
}

HangarSnapshotPlan *
hangar_test_snapshot_plan (HangarSnapshotTree *tree,
                           guint               timeout_ms)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HangarSnapshotPlan *plan;

  hangar_snapshot_tree_plan_async (tree, NULL, hangar_test_store_result, &result);
  hangar_test_await (&result, timeout_ms);
  plan = hangar_snapshot_tree_plan_finish (tree, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plan);
  return plan;
}
