/* hangar-connection.c: one libvirt connection: opening it off the main
 * thread, the sorted list of its VMs, libvirt's domain events, a periodic
 * bulk state poll (one virConnectGetAllDomainStats call for all VMs), and
 * loading each VM's configuration summary in the background. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <malloc.h>

#include "hangar-connection.h"
#include "hangar-ssh.h"
#include "hangar-enums.h"
#include "hangar-error.h"
#include "hangar-vm-private.h"

#define POLL_INTERVAL_SECONDS 5
/* libvirt's keepalive on remote links: a dead host is noticed after about
 * KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1) seconds. */
#define KEEPALIVE_INTERVAL 3
#define KEEPALIVE_COUNT 3
#define RETRY_FIRST_SECONDS 2
#define RETRY_MAX_SECONDS 60
#define DETAILS_BATCH 200

struct _HangarConnection
{
  GObject                parent_instance;

  char                  *uri;
  char                  *title;
  HangarConnectionKind   kind;
  HangarConnectionState  state;
  char                  *error_message;
  HangarOsDb            *os_db;

  GVirConnection        *gvir;
  virConnectPtr          handle;        /* our reference, for the callbacks below */
  gboolean               close_cb_registered;
  int                    lifecycle_cb_id; /* -1: none */
  GListStore            *vms;
  GHashTable            *vms_by_uuid;   /* uuid -> HangarVm, borrowed from vms */
  GCancellable          *cancellable;

  guint                  retry_id;      /* automatic reconnect after a lost link */
  guint                  retry_delay;   /* seconds; doubles up to RETRY_MAX_SECONDS */
  guint                  open_timeout;  /* seconds, 0: none */
  guint                  open_timeout_id;
  gboolean               open_timed_out;

  guint                  poll_id;
  gboolean               poll_in_flight;
  GQueue                 details_queue; /* of HangarVm refs */
  gboolean               details_in_flight;
};

enum
{
  PROP_0,
  PROP_URI,
  PROP_TITLE,
  PROP_KIND,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_OS_DB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_VM_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HangarConnection, hangar_connection, G_TYPE_OBJECT)

typedef struct
{
  char    *uuid;
  int      state;
  int      reason;
  guint    vcpus;
  guint64  memory_kib;
  gint64   queried_at;
} VmStats;

static void
vm_stats_free (VmStats *stats)
{
  g_free (stats->uuid);
  g_free (stats);
}

/* ------------------------------------------------------------------ */

HangarConnectionKind
hangar_connection_kind_for_uri (const char *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED, NULL);
  const char *scheme, *host, *path;

  if (parsed == NULL)
    return HANGAR_CONNECTION_KIND_OTHER;
  scheme = g_uri_get_scheme (parsed);
  host = g_uri_get_host (parsed);
  path = g_uri_get_path (parsed);

  if (g_str_equal (scheme, "test"))
    return HANGAR_CONNECTION_KIND_TEST;
  if (host != NULL && *host != '\0')
    return HANGAR_CONNECTION_KIND_REMOTE;
  if (!g_str_has_prefix (scheme, "qemu"))
    return HANGAR_CONNECTION_KIND_OTHER;
  if (g_strcmp0 (path, "/embed") == 0)
    return HANGAR_CONNECTION_KIND_EMBEDDED;
  if (g_strcmp0 (path, "/session") == 0)
    return HANGAR_CONNECTION_KIND_SESSION;
  if (g_strcmp0 (path, "/system") == 0)
    return HANGAR_CONNECTION_KIND_SYSTEM;
  return HANGAR_CONNECTION_KIND_OTHER;
}

static char *
default_title (const char           *uri,
               HangarConnectionKind  kind)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED, NULL);

  switch (kind)
    {
    case HANGAR_CONNECTION_KIND_EMBEDDED:
      return g_strdup (_("This computer"));
    case HANGAR_CONNECTION_KIND_SESSION:
      return g_strdup (_("QEMU/KVM user session"));
    case HANGAR_CONNECTION_KIND_SYSTEM:
      return g_strdup (_("QEMU/KVM system"));
    case HANGAR_CONNECTION_KIND_REMOTE:
      return g_strdup_printf (_("%s (remote)"), g_uri_get_host (parsed));
    case HANGAR_CONNECTION_KIND_TEST:
      /* Translators: %s is a libvirt test driver URI */
      return g_strdup_printf (_("Test driver %s"), uri);
    case HANGAR_CONNECTION_KIND_OTHER:
    default:
      return g_strdup (uri);
    }
}

static void
set_state (HangarConnection      *self,
           HangarConnectionState  state,
           const char            *error_message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->error_message, error_message) != 0)
    {
      g_free (self->error_message);
      self->error_message = g_strdup (error_message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static int
compare_vms (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  HangarVm *va = (HangarVm *) a;
  HangarVm *vb = (HangarVm *) b;
  int r = g_ascii_strcasecmp (hangar_vm_get_name (va), hangar_vm_get_name (vb));

  return r != 0 ? r : strcmp (hangar_vm_get_name (va), hangar_vm_get_name (vb));
}

static int
compare_vm_ptrs (gconstpointer a,
                 gconstpointer b)
{
  return compare_vms (*(HangarVm **) a, *(HangarVm **) b, NULL);
}

static void
apply_stats (HangarVm *vm,
             VmStats  *stats)
{
  hangar_vm_update_state_queried (vm, hangar_vm_state_from_libvirt (stats->state, stats->reason),
                                  stats->queried_at);
  hangar_vm_update_resources (vm, stats->vcpus, stats->memory_kib);
}

/* ------------------------------------------------------------------ */
/* Bulk stats (worker threads)                                         */

static GHashTable *
collect_stats (virConnectPtr conn)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) vm_stats_free);
  virDomainStatsRecordPtr *records = NULL;
  gint64 queried_at = g_get_monotonic_time ();
  int n;

  /* State only: it is read from libvirt's memory. vCPU and balloon stats
   * would make the QEMU driver query every running guest's monitor every
   * poll; the summary (virDomainGetInfo) already has those numbers. */
  n = virConnectGetAllDomainStats (conn,
                                   VIR_DOMAIN_STATS_STATE,
                                   &records, 0);
  if (n >= 0)
    {
      for (int i = 0; i < n; i++)
        {
          VmStats *stats = g_new0 (VmStats, 1);
          char uuid[VIR_UUID_STRING_BUFLEN];
          int v;

          if (virDomainGetUUIDString (records[i]->dom, uuid) < 0)
            {
              g_free (stats);
              continue;
            }
          stats->uuid = g_strdup (uuid);
          stats->queried_at = queried_at;
          stats->state = VIR_DOMAIN_NOSTATE;
          if (virTypedParamsGetInt (records[i]->params, records[i]->nparams, "state.state", &v) == 1)
            stats->state = v;
          if (virTypedParamsGetInt (records[i]->params, records[i]->nparams, "state.reason", &v) == 1)
            stats->reason = v;
          g_hash_table_insert (table, stats->uuid, stats);
        }
      virDomainStatsRecordListFree (records);
      return table;
    }

  /* Drivers without bulk stats: one call per domain. */
  virResetLastError ();
  {
    virDomainPtr *domains = NULL;

    n = virConnectListAllDomains (conn, &domains, 0);
    for (int i = 0; i < n; i++)
      {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainInfo info;

        if (virDomainGetUUIDString (domains[i], uuid) == 0 &&
            virDomainGetInfo (domains[i], &info) == 0)
          {
            VmStats *stats = g_new0 (VmStats, 1);
            int st, reason = 0;

            stats->uuid = g_strdup (uuid);
            stats->queried_at = queried_at;
            stats->state = info.state;
            if (virDomainGetState (domains[i], &st, &reason, 0) == 0)
              stats->reason = reason;
            stats->vcpus = info.nrVirtCpu;
            stats->memory_kib = info.maxMem;
            g_hash_table_insert (table, stats->uuid, stats);
          }
        virDomainFree (domains[i]);
      }
    free (domains);
    virResetLastError ();
  }
  return table;
}

static virConnectPtr
dup_conn_handle (GVirConnection *gvir)
{
  virConnectPtr handle = NULL;

  g_object_get (gvir, "handle", &handle, NULL);
  return handle;
}

/* ------------------------------------------------------------------ */
/* VM list                                                             */

static void
queue_details (HangarConnection *self,
               HangarVm         *vm);

static void
on_vm_config_changed (HangarVm         *vm,
                      HangarConnection *self)
{
  queue_details (self, vm);
}

static void
on_vm_changed (HangarVm   *vm,
               GParamSpec *pspec,
               gpointer    user_data)
{
  HangarConnection *self = user_data;

  g_signal_emit (self, signals[SIGNAL_VM_CHANGED], g_param_spec_get_name_quark (pspec), vm, pspec);
}

static HangarVm *
track_vm (HangarConnection *self,
          GVirDomain       *domain)
{
  HangarVm *vm = hangar_vm_new (domain);

  if (self->kind == HANGAR_CONNECTION_KIND_REMOTE)
    hangar_vm_set_tunnel_uri (vm, self->uri);

  g_hash_table_insert (self->vms_by_uuid, (gpointer) hangar_vm_get_uuid (vm), vm);
  hangar_vm_set_changed_func (vm, on_vm_changed, self);
  return vm;
}

/* libvirt's lifecycle events for every domain of the connection, in one
 * callback (on the main loop: libvirt-glib's event loop). libvirt-gobject's
 * own callback was registered first, so a new domain is already listed
 * (domain-added) and a removed one already gone. */
static int
on_lifecycle_event (virConnectPtr  conn,
                    virDomainPtr   dom,
                    int            event,
                    int            detail,
                    void          *opaque)
{
  HangarConnection *self = opaque;
  char uuid[VIR_UUID_STRING_BUFLEN];
  HangarVm *vm;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return 0;
  vm = g_hash_table_lookup (self->vms_by_uuid, uuid);
  if (vm == NULL)
    return 0;
  g_object_ref (vm);
  hangar_vm_handle_lifecycle_event (vm, event, detail);
  if (event == VIR_DOMAIN_EVENT_DEFINED && detail != VIR_DOMAIN_EVENT_DEFINED_ADDED)
    on_vm_config_changed (vm, self);
  g_object_unref (vm);
  return 0;
}

static void
on_domain_added (GVirConnection   *gvir,
                 GVirDomain       *domain,
                 HangarConnection *self)
{
  g_autoptr (HangarVm) vm = NULL;

  if (g_hash_table_contains (self->vms_by_uuid, gvir_domain_get_uuid (domain)))
    return;

  vm = track_vm (self, domain);
  g_list_store_insert_sorted (self->vms, vm, compare_vms, NULL);
  hangar_vm_refresh_state (vm);
  queue_details (self, vm);
}

static void
on_domain_removed (GVirConnection   *gvir,
                   GVirDomain       *domain,
                   HangarConnection *self)
{
  HangarVm *vm = g_hash_table_lookup (self->vms_by_uuid, gvir_domain_get_uuid (domain));
  guint position;

  if (vm == NULL)
    return;
  hangar_vm_set_changed_func (vm, NULL, NULL);
  g_hash_table_remove (self->vms_by_uuid, gvir_domain_get_uuid (domain));
  if (g_list_store_find (self->vms, vm, &position))
    g_list_store_remove (self->vms, position);
}

HangarVm *
hangar_connection_find_vm (HangarConnection *self,
                           const char       *name)
{
  guint n;

  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->vms));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarVm) vm = g_list_model_get_item (G_LIST_MODEL (self->vms), i);

      if (g_strcmp0 (hangar_vm_get_name (vm), name) == 0)
        return vm;
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* List summaries (OS, vCPUs, memory), in batches off the main thread.  */
/* Only the OS metadata element is read, not the whole XML: thousands of */
/* domain XMLs parsed at start-up would cost memory and time for nothing */
/* the list shows. The VM's page loads its full configuration itself.    */

typedef struct
{
  char    *os_id;
  char    *os_name;
  guint    vcpus;
  guint64  memory_kib;
} Summary;

typedef struct
{
  GPtrArray  *vms;        /* HangarVm */
  GPtrArray  *domains;    /* GVirDomain, same order */
  Summary    *summaries;  /* same order */
  HangarOsDb *os_db;
} DetailsBatch;

static void
details_batch_free (DetailsBatch *batch)
{
  for (guint i = 0; i < batch->vms->len; i++)
    {
      g_free (batch->summaries[i].os_id);
      g_free (batch->summaries[i].os_name);
    }
  g_free (batch->summaries);
  g_ptr_array_unref (batch->vms);
  g_ptr_array_unref (batch->domains);
  g_clear_object (&batch->os_db);
  g_free (batch);
}

static void
details_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  DetailsBatch *batch = task_data;

  for (guint i = 0; i < batch->domains->len; i++)
    {
      Summary *summary = &batch->summaries[i];
      virDomainPtr handle = NULL;
      virDomainInfo info;
      char *metadata;

      if (g_cancellable_is_cancelled (cancellable))
        break;
      g_object_get (g_ptr_array_index (batch->domains, i), "handle", &handle, NULL);
      if (handle == NULL)
        continue;

      metadata = virDomainGetMetadata (handle, VIR_DOMAIN_METADATA_ELEMENT,
                                       HANGAR_LIBOSINFO_XMLNS, 0);
      if (metadata != NULL)
        {
          summary->os_id = hangar_vm_parse_os_id (metadata);
          free (metadata);
        }
      if (summary->os_id != NULL && batch->os_db != NULL)
        summary->os_name = hangar_os_db_dup_os_name (batch->os_db, summary->os_id);
      if (virDomainGetInfo (handle, &info) == 0)
        {
          summary->vcpus = info.nrVirtCpu;
          summary->memory_kib = info.maxMem;
        }
      /* No metadata is the common case, not an error. */
      virResetLastError ();
      virDomainFree (handle);
    }
  g_task_return_boolean (task, TRUE);
}

static void start_details_batch (HangarConnection *self);

static void
details_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HangarConnection *self = HANGAR_CONNECTION (source);
  DetailsBatch *batch = g_task_get_task_data (G_TASK (result));

  self->details_in_flight = FALSE;
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;

  for (guint i = 0; i < batch->vms->len; i++)
    {
      Summary *summary = &batch->summaries[i];

      hangar_vm_update_summary (g_ptr_array_index (batch->vms, i), summary->os_id,
                                summary->os_name, summary->vcpus, summary->memory_kib);
    }
  start_details_batch (self);
}

static void
start_details_batch (HangarConnection *self)
{
  g_autoptr (GTask) task = NULL;
  DetailsBatch *batch;

  if (self->details_in_flight || g_queue_is_empty (&self->details_queue))
    return;

  batch = g_new0 (DetailsBatch, 1);
  batch->vms = g_ptr_array_new_with_free_func (g_object_unref);
  batch->domains = g_ptr_array_new_with_free_func (g_object_unref);
  batch->os_db = self->os_db ? g_object_ref (self->os_db) : NULL;
  while (batch->vms->len < DETAILS_BATCH && !g_queue_is_empty (&self->details_queue))
    {
      HangarVm *vm = g_queue_pop_head (&self->details_queue);

      g_ptr_array_add (batch->vms, vm);
      g_ptr_array_add (batch->domains, g_object_ref (hangar_vm_get_domain (vm)));
    }
  batch->summaries = g_new0 (Summary, batch->vms->len);

  self->details_in_flight = TRUE;
  task = g_task_new (self, self->cancellable, details_done, NULL);
  g_task_set_source_tag (task, start_details_batch);
  g_task_set_task_data (task, batch, (GDestroyNotify) details_batch_free);
  g_task_run_in_thread (task, details_thread);
}

static void
queue_details (HangarConnection *self,
               HangarVm         *vm)
{
  if (g_queue_find (&self->details_queue, vm) == NULL)
    g_queue_push_tail (&self->details_queue, g_object_ref (vm));
  start_details_batch (self);
}

/* ------------------------------------------------------------------ */
/* Periodic poll                                                       */

static void
poll_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  virConnectPtr conn = dup_conn_handle (task_data);

  if (conn == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_task_return_pointer (task, collect_stats (conn), (GDestroyNotify) g_hash_table_unref);
  virConnectClose (conn);
}

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  HangarConnection *self = HANGAR_CONNECTION (source);
  g_autoptr (GHashTable) table = g_task_propagate_pointer (G_TASK (result), NULL);
  GHashTableIter iter;
  gpointer key, value;

  self->poll_in_flight = FALSE;
  if (table == NULL || self->state != HANGAR_CONNECTION_STATE_CONNECTED)
    return;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HangarVm *vm = g_hash_table_lookup (self->vms_by_uuid, key);

      if (vm != NULL && !hangar_vm_get_busy (vm))
        apply_stats (vm, value);
    }
}

static gboolean
poll_tick (gpointer user_data)
{
  HangarConnection *self = user_data;
  g_autoptr (GTask) task = NULL;

  if (self->poll_in_flight || self->gvir == NULL)
    return G_SOURCE_CONTINUE;
  self->poll_in_flight = TRUE;
  task = g_task_new (self, self->cancellable, poll_done, NULL);
  g_task_set_source_tag (task, poll_tick);
  g_task_set_task_data (task, g_object_ref (self->gvir), g_object_unref);
  g_task_run_in_thread (task, poll_thread);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Open and close                                                      */

typedef struct
{
  GVirConnection *gvir;
  GList          *domains;  /* GVirDomain, owned */
  GHashTable     *stats;
  gboolean        remote;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->gvir);
  g_list_free_full (data->domains, g_object_unref);
  g_clear_pointer (&data->stats, g_hash_table_unref);
  g_free (data);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *data = task_data;
  g_autoptr (GError) error = NULL;
  virConnectPtr conn;
  const char *uri = gvir_connection_get_uri (data->gvir);

  if (!gvir_connection_open (data->gvir, cancellable, &error))
    {
      g_autofree char *what = g_strdup_printf (_("Could not connect to “%s”"), uri);
      GError *herror = hangar_error_from_libvirt (what);

      /* Whatever libvirt's code (a missing socket is a system error, an
       * unknown driver an internal one), the connection failed; only refused
       * credentials call for something else, asking for them again. */
      if (herror->code != HANGAR_ERROR_PERMISSION)
        herror->code = HANGAR_ERROR_CONNECTION;
      g_task_return_error (task, herror);
      return;
    }

  /* Loading a host can leave megabytes freed inside the heap (the test
   * driver parses its whole file into a tree first: 16 MiB for 5000 VMs):
   * give those pages back rather than keep them resident. */
  malloc_trim (0);
  if (!gvir_connection_fetch_domains (data->gvir, cancellable, &error))
    {
      g_autofree char *what = g_strdup_printf (_("Could not list the VMs of “%s”"), uri);

      g_task_return_error (task, hangar_error_from_libvirt (what));
      return;
    }

  data->domains = gvir_connection_get_domains (data->gvir);
  conn = dup_conn_handle (data->gvir);
  /* Notice a dead link within seconds (only remote drivers support it). */
  if (conn != NULL && data->remote &&
      virConnectSetKeepAlive (conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT) < 0)
    virResetLastError ();
  data->stats = collect_stats (conn);
  virConnectClose (conn);
  g_task_return_boolean (task, TRUE);
}

static void schedule_retry (HangarConnection *self);

static void
on_libvirt_connection_closed (virConnectPtr  conn,
                              int            reason,
                              void          *opaque)
{
  HangarConnection *self = opaque;
  const char *message;

  switch (reason)
    {
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
      message = _("The host stopped answering (keepalive timeout).");
      break;
    case VIR_CONNECT_CLOSE_REASON_EOF:
      message = _("The host closed the connection.");
      break;
    case VIR_CONNECT_CLOSE_REASON_CLIENT:
      return;
    case VIR_CONNECT_CLOSE_REASON_ERROR:
    default:
      message = _("The connection failed.");
      break;
    }
  set_state (self, HANGAR_CONNECTION_STATE_DISCONNECTED, message);
  /* Its VMs are no longer known; reconnecting lists them again. */
  g_clear_handle_id (&self->poll_id, g_source_remove);
  schedule_retry (self);
}

static void
drop_vms (HangarConnection *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->vms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (HangarVm) vm = g_list_model_get_item (G_LIST_MODEL (self->vms), i);

      hangar_vm_set_changed_func (vm, NULL, NULL);
    }
  g_queue_clear_full (&self->details_queue, g_object_unref);
  g_hash_table_remove_all (self->vms_by_uuid);
  g_list_store_remove_all (self->vms);
}

/* Lets go of the libvirt connection. While an open is still running in its
 * thread (a host that never answers), libvirt-gobject holds the connection's
 * lock there: touching it here would freeze the window, so only our
 * reference goes; the thread's last reference closes it when it returns. */
static void
release_gvir (HangarConnection *self)
{
  gboolean opening = self->state == HANGAR_CONNECTION_STATE_CONNECTING;

  if (self->handle != NULL)
    {
      if (self->lifecycle_cb_id >= 0)
        virConnectDomainEventDeregisterAny (self->handle, self->lifecycle_cb_id);
      if (self->close_cb_registered)
        virConnectUnregisterCloseCallback (self->handle, on_libvirt_connection_closed);
      virResetLastError ();
      self->lifecycle_cb_id = -1;
      self->close_cb_registered = FALSE;
      g_clear_pointer (&self->handle, virConnectClose);
    }
  if (self->gvir != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->gvir, self);
      if (!opening && gvir_connection_is_open (self->gvir))
        gvir_connection_close (self->gvir);
      g_clear_object (&self->gvir);
    }
}

static void
open_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  HangarConnection *self = HANGAR_CONNECTION (source);
  g_autoptr (GTask) task = user_data;
  OpenData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (GPtrArray) new_vms = NULL;
  GError *error = NULL;

  g_clear_handle_id (&self->open_timeout_id, g_source_remove);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

      if (cancelled && self->open_timed_out)
        {
          g_clear_error (&error);
          error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_TIMED_OUT,
                               g_dngettext (GETTEXT_PACKAGE,
                                            "The host did not answer within %u second.",
                                            "The host did not answer within %u seconds.",
                                            self->open_timeout),
                               self->open_timeout);
          cancelled = FALSE;
          /* Its thread may still wait: release as for a cancel. */
          release_gvir (self);
          set_state (self, HANGAR_CONNECTION_STATE_FAILED, error->message);
          g_task_return_error (task, error);
          return;
        }

      /* A shared SSH connection may have outlived its link (ssh notices
       * after 15 s): the next attempt logs in anew instead of riding it. */
      if (!cancelled)
        hangar_ssh_drop_shared (self->uri);
      /* A cancelled open may still run in its thread: release while the
       * state still says so. A failed one has returned. */
      if (!cancelled)
        set_state (self, HANGAR_CONNECTION_STATE_FAILED, error->message);
      release_gvir (self);
      if (cancelled)
        set_state (self, HANGAR_CONNECTION_STATE_DISCONNECTED, NULL);
      g_task_return_error (task, error);
      return;
    }

  /* Events may have added some VMs already; keep those. */
  new_vms = g_ptr_array_new_with_free_func (g_object_unref);
  for (GList *l = data->domains; l != NULL; l = l->next)
    {
      GVirDomain *domain = l->data;
      VmStats *stats;
      HangarVm *vm;

      if (g_hash_table_contains (self->vms_by_uuid, gvir_domain_get_uuid (domain)))
        continue;
      vm = track_vm (self, domain);
      stats = g_hash_table_lookup (data->stats, gvir_domain_get_uuid (domain));
      if (stats != NULL)
        apply_stats (vm, stats);
      else
        hangar_vm_refresh_state (vm);
      g_ptr_array_add (new_vms, vm);
    }
  g_ptr_array_sort (new_vms, compare_vm_ptrs);

  if (g_list_model_get_n_items (G_LIST_MODEL (self->vms)) == 0)
    g_list_store_splice (self->vms, 0, 0, new_vms->pdata, new_vms->len);
  else
    for (guint i = 0; i < new_vms->len; i++)
      g_list_store_insert_sorted (self->vms, g_ptr_array_index (new_vms, i), compare_vms, NULL);

  for (guint i = 0; i < new_vms->len; i++)
    g_queue_push_tail (&self->details_queue, g_object_ref (g_ptr_array_index (new_vms, i)));
  start_details_batch (self);

  self->handle = dup_conn_handle (self->gvir);
  if (self->handle != NULL)
    {
      self->close_cb_registered =
        virConnectRegisterCloseCallback (self->handle, on_libvirt_connection_closed,
                                         self, NULL) == 0;
      self->lifecycle_cb_id =
        virConnectDomainEventRegisterAny (self->handle, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                          VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle_event),
                                          self, NULL);
      virResetLastError ();
    }

  if (self->poll_id == 0)
    self->poll_id = g_timeout_add_seconds (POLL_INTERVAL_SECONDS, poll_tick, self);

  set_state (self, HANGAR_CONNECTION_STATE_CONNECTED, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_open_timeout (gpointer user_data)
{
  HangarConnection *self = user_data;

  self->open_timeout_id = 0;
  self->open_timed_out = TRUE;
  g_cancellable_cancel (self->cancellable);
  return G_SOURCE_REMOVE;
}

void
hangar_connection_open_async (HangarConnection    *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) inner = NULL;
  OpenData *data;

  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_connection_open_async);

  if (self->state == HANGAR_CONNECTION_STATE_CONNECTING ||
      self->state == HANGAR_CONNECTION_STATE_CONNECTED)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_BUSY,
                               _("“%s” is already connected or connecting."), self->title);
      return;
    }

  g_clear_handle_id (&self->retry_id, g_source_remove);
  release_gvir (self);
  drop_vms (self);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  {
    g_autoptr (GError) ssh_error = NULL;
    g_autofree char *libvirt_uri = hangar_ssh_libvirt_uri (self->uri, &ssh_error);

    if (libvirt_uri == NULL)
      {
        set_state (self, HANGAR_CONNECTION_STATE_FAILED, ssh_error->message);
        g_task_return_error (task, g_steal_pointer (&ssh_error));
        return;
      }
    self->gvir = gvir_connection_new (libvirt_uri);
  }
  g_signal_connect_object (self->gvir, "domain-added", G_CALLBACK (on_domain_added), self, 0);
  g_signal_connect_object (self->gvir, "domain-removed", G_CALLBACK (on_domain_removed), self, 0);
  set_state (self, HANGAR_CONNECTION_STATE_CONNECTING, NULL);

  /* Closing the connection cancels the open as well as the caller can. */
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                             self->cancellable, G_CONNECT_SWAPPED);

  data = g_new0 (OpenData, 1);
  data->gvir = g_object_ref (self->gvir);
  data->remote = self->kind == HANGAR_CONNECTION_KIND_REMOTE;
  inner = g_task_new (self, self->cancellable, open_done, g_steal_pointer (&task));
  g_task_set_source_tag (inner, open_thread);
  g_task_set_task_data (inner, data, (GDestroyNotify) open_data_free);
  /* A host that never answers must not hold up a cancel. */
  g_task_set_return_on_cancel (inner, TRUE);
  self->open_timed_out = FALSE;
  g_clear_handle_id (&self->open_timeout_id, g_source_remove);
  if (self->open_timeout > 0)
    self->open_timeout_id = g_timeout_add (self->open_timeout * 1000, on_open_timeout, self);
  g_task_run_in_thread (inner, open_thread);
}

void
hangar_connection_set_open_timeout (HangarConnection *self,
                                    guint             seconds)
{
  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  self->open_timeout = seconds;
}

/* A link lost by keepalive, EOF or error is reopened by itself: after
 * RETRY_FIRST_SECONDS, then twice as long after each failure, at most
 * RETRY_MAX_SECONDS apart, until it works or hangar_connection_close (). */
static void
on_retry_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  HangarConnection *self = HANGAR_CONNECTION (source);
  g_autoptr (GError) error = NULL;

  if (hangar_connection_open_finish (self, result, &error))
    {
      self->retry_delay = 0;
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_error_matches (error, HANGAR_ERROR, HANGAR_ERROR_BUSY))
    schedule_retry (self);
}

static gboolean
on_retry (gpointer user_data)
{
  HangarConnection *self = user_data;

  self->retry_id = 0;
  if (self->state == HANGAR_CONNECTION_STATE_DISCONNECTED ||
      self->state == HANGAR_CONNECTION_STATE_FAILED)
    hangar_connection_open_async (self, NULL, on_retry_done, NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (HangarConnection *self)
{
  if (self->kind != HANGAR_CONNECTION_KIND_REMOTE || self->retry_id != 0)
    return;
  self->retry_delay = self->retry_delay == 0 ? RETRY_FIRST_SECONDS
                      : MIN (self->retry_delay * 2, RETRY_MAX_SECONDS);
  self->retry_id = g_timeout_add (self->retry_delay * 1000, on_retry, self);
}

guint
hangar_connection_get_retry_delay (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), 0);

  return self->retry_id != 0 ? self->retry_delay : 0;
}

gboolean
hangar_connection_open_finish (HangarConnection  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hangar_connection_close (HangarConnection *self)
{
  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  g_clear_handle_id (&self->open_timeout_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_delay = 0;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  drop_vms (self);
  release_gvir (self);
  set_state (self, HANGAR_CONNECTION_STATE_DISCONNECTED, NULL);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

HangarConnection *
hangar_connection_new (const char *uri,
                       HangarOsDb *os_db)
{
  return g_object_new (HANGAR_TYPE_CONNECTION, "uri", uri, "os-db", os_db, NULL);
}

static void
hangar_connection_constructed (GObject *object)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  G_OBJECT_CLASS (hangar_connection_parent_class)->constructed (object);

  self->kind = hangar_connection_kind_for_uri (self->uri);
  /* Local daemons answer at once or say why; a remote host may never answer. */
  if (self->kind == HANGAR_CONNECTION_KIND_REMOTE || self->kind == HANGAR_CONNECTION_KIND_OTHER)
    self->open_timeout = HANGAR_CONNECTION_OPEN_TIMEOUT;
  if (self->title == NULL)
    self->title = default_title (self->uri, self->kind);
}

static void
hangar_connection_dispose (GObject *object)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->open_timeout_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->vms != NULL)
    drop_vms (self);
  release_gvir (self);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->os_db);

  G_OBJECT_CLASS (hangar_connection_parent_class)->dispose (object);
}

static void
hangar_connection_finalize (GObject *object)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  g_clear_object (&self->vms);
  g_clear_pointer (&self->vms_by_uuid, g_hash_table_unref);
  g_free (self->uri);
  g_free (self->title);
  g_free (self->error_message);

  G_OBJECT_CLASS (hangar_connection_parent_class)->finalize (object);
}

static void
hangar_connection_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_URI:           g_value_set_string (value, self->uri); break;
    case PROP_TITLE:         g_value_set_string (value, self->title); break;
    case PROP_KIND:          g_value_set_enum (value, self->kind); break;
    case PROP_STATE:         g_value_set_enum (value, self->state); break;
    case PROP_ERROR_MESSAGE: g_value_set_string (value, self->error_message); break;
    case PROP_OS_DB:         g_value_set_object (value, self->os_db); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_connection_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  HangarConnection *self = HANGAR_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_URI:
      self->uri = g_value_dup_string (value);
      break;
    case PROP_TITLE:
      hangar_connection_set_title (self, g_value_get_string (value));
      break;
    case PROP_OS_DB:
      self->os_db = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_connection_class_init (HangarConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = hangar_connection_constructed;
  object_class->dispose = hangar_connection_dispose;
  object_class->finalize = hangar_connection_finalize;
  object_class->get_property = hangar_connection_get_property;
  object_class->set_property = hangar_connection_set_property;

  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, HANGAR_TYPE_CONNECTION_KIND,
                       HANGAR_CONNECTION_KIND_OTHER, ro);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HANGAR_TYPE_CONNECTION_STATE,
                       HANGAR_CONNECTION_STATE_DISCONNECTED, ro);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, ro);
  properties[PROP_OS_DB] =
    g_param_spec_object ("os-db", NULL, NULL, HANGAR_TYPE_OS_DB,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A property of one of the connection's VMs changed (detail: its name):
   * one handler here serves every VM of the list. */
  signals[SIGNAL_VM_CHANGED] =
    g_signal_new ("vm-changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, HANGAR_TYPE_VM, G_TYPE_PARAM);
}

static void
hangar_connection_init (HangarConnection *self)
{
  self->vms = g_list_store_new (HANGAR_TYPE_VM);
  self->vms_by_uuid = g_hash_table_new (g_str_hash, g_str_equal);
  self->lifecycle_cb_id = -1;
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->details_queue);
}

/* ------------------------------------------------------------------ */

const char *
hangar_connection_get_uri (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  return self->uri;
}

const char *
hangar_connection_get_title (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  return self->title;
}

void
hangar_connection_set_title (HangarConnection *self,
                             const char       *title)
{
  g_return_if_fail (HANGAR_IS_CONNECTION (self));

  if (title == NULL || g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

HangarConnectionKind
hangar_connection_get_kind (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), HANGAR_CONNECTION_KIND_OTHER);
  return self->kind;
}

HangarConnectionState
hangar_connection_get_state (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), HANGAR_CONNECTION_STATE_DISCONNECTED);
  return self->state;
}

const char *
hangar_connection_get_error_message (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  return self->error_message;
}

GListModel *
hangar_connection_get_vms (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  return G_LIST_MODEL (self->vms);
}

GVirConnection *
hangar_connection_get_gvir (HangarConnection *self)
{
  g_return_val_if_fail (HANGAR_IS_CONNECTION (self), NULL);
  return self->gvir;
}
