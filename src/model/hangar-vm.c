/* hangar-vm.c: one libvirt domain: its state (kept current from libvirt's
 * lifecycle events), a summary of its configuration, and lifecycle actions.
 *
 * Every libvirt call that can wait runs in a GTask thread; the object itself is
 * only touched in the main thread. One action runs at a time per VM. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "hangar-enums.h"
#include "hangar-error.h"
#include "hangar-snapshot.h"
#include "hangar-vm.h"
#include "hangar-vm-private.h"


struct _HangarVm
{
  GObject          parent_instance;

  GVirDomain      *domain;
  char            *name;
  char            *uuid;
  char            *tunnel_uri;      /* remote: the connection's URI, for SSH tunnels */
  HangarVmState    state;
  gint64           state_known_at;  /* when the last event or action told it */
  guint            vcpus;
  guint64          memory_kib;
  char            *os_id;
  char            *os_name;
  char            *graphics;
  GStrv            disks;

  gboolean         busy;
  HangarVmAction   busy_action;
  gboolean         refresh_in_flight;
  gboolean         refresh_again;

  HangarVmChangedFunc changed_func; /* the owning connection's, see below */
  gpointer         changed_data;
};

enum
{
  PROP_0,
  PROP_DOMAIN,
  PROP_NAME,
  PROP_UUID,
  PROP_STATE,
  PROP_BUSY,
  PROP_VCPUS,
  PROP_MEMORY,
  PROP_OS_ID,
  PROP_OS_NAME,
  PROP_GRAPHICS,
  PROP_DISKS,
  N_PROPS
};

enum
{
  SIGNAL_CONFIG_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HangarVm, hangar_vm, G_TYPE_OBJECT)


/* ------------------------------------------------------------------ */
/* State                                                               */

HangarVmState
hangar_vm_state_from_libvirt (int state,
                              int reason)
{
  switch (state)
    {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
      return HANGAR_VM_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
      if (reason == VIR_DOMAIN_PAUSED_SAVE || reason == VIR_DOMAIN_PAUSED_SNAPSHOT)
        return HANGAR_VM_STATE_SAVING;
      return HANGAR_VM_STATE_PAUSED;
    case VIR_DOMAIN_SHUTDOWN:
      return HANGAR_VM_STATE_SHUTTING_DOWN;
    case VIR_DOMAIN_SHUTOFF:
      if (reason == VIR_DOMAIN_SHUTOFF_CRASHED)
        return HANGAR_VM_STATE_CRASHED;
      return HANGAR_VM_STATE_SHUT_OFF;
    case VIR_DOMAIN_CRASHED:
      return HANGAR_VM_STATE_CRASHED;
    case VIR_DOMAIN_PMSUSPENDED:
      return HANGAR_VM_STATE_SUSPENDED;
    default:
      return HANGAR_VM_STATE_UNKNOWN;
    }
}

const char *
hangar_vm_state_to_label (HangarVmState state)
{
  switch (state)
    {
    case HANGAR_VM_STATE_RUNNING:       return _("Running");
    case HANGAR_VM_STATE_PAUSED:        return _("Paused");
    case HANGAR_VM_STATE_SHUTTING_DOWN: return _("Shutting down");
    case HANGAR_VM_STATE_SHUT_OFF:      return _("Shut off");
    case HANGAR_VM_STATE_CRASHED:       return _("Crashed");
    case HANGAR_VM_STATE_SUSPENDED:     return _("Suspended");
    case HANGAR_VM_STATE_SAVING:        return _("Saving");
    case HANGAR_VM_STATE_UNKNOWN:
    default:                            return _("Unknown");
    }
}

const char *
hangar_vm_state_to_icon_name (HangarVmState state)
{
  switch (state)
    {
    case HANGAR_VM_STATE_RUNNING:       return "media-playback-start-symbolic";
    case HANGAR_VM_STATE_PAUSED:        return "media-playback-pause-symbolic";
    case HANGAR_VM_STATE_SHUTTING_DOWN: return "system-shutdown-symbolic";
    case HANGAR_VM_STATE_SHUT_OFF:      return "media-playback-stop-symbolic";
    case HANGAR_VM_STATE_CRASHED:       return "dialog-error-symbolic";
    case HANGAR_VM_STATE_SUSPENDED:     return "weather-clear-night-symbolic";
    case HANGAR_VM_STATE_SAVING:        return "document-save-symbolic";
    case HANGAR_VM_STATE_UNKNOWN:
    default:                            return "dialog-question-symbolic";
    }
}

static gboolean
state_is_active (HangarVmState state)
{
  return state != HANGAR_VM_STATE_SHUT_OFF &&
         state != HANGAR_VM_STATE_CRASHED &&
         state != HANGAR_VM_STATE_UNKNOWN;
}

static gboolean
action_possible_in_state (HangarVmAction action,
                          HangarVmState  state)
{
  switch (action)
    {
    case HANGAR_VM_ACTION_START:
      return state == HANGAR_VM_STATE_SHUT_OFF ||
             state == HANGAR_VM_STATE_CRASHED;
    case HANGAR_VM_ACTION_PAUSE:
      return state == HANGAR_VM_STATE_RUNNING;
    case HANGAR_VM_ACTION_RESUME:
      return state == HANGAR_VM_STATE_PAUSED;
    case HANGAR_VM_ACTION_SHUTDOWN:
    case HANGAR_VM_ACTION_REBOOT:
      return state == HANGAR_VM_STATE_RUNNING;
    case HANGAR_VM_ACTION_FORCE_OFF:
      return state_is_active (state);
    case HANGAR_VM_ACTION_DELETE:
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
hangar_vm_can_do (HangarVm       *self,
                  HangarVmAction  action)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), FALSE);

  if (self->busy)
    return FALSE;
  return action_possible_in_state (action, self->state);
}

static void
set_state (HangarVm      *self,
           HangarVmState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
hangar_vm_update_state (HangarVm      *self,
                        HangarVmState  state)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  self->state_known_at = g_get_monotonic_time ();
  set_state (self, state);
}

/* A query's answer can arrive after an event that happened later (the query
 * ran in a thread while the event waited for the main loop): a refresh
 * started before "stopped" would otherwise turn a VM started since back to
 * shut off. */
void
hangar_vm_update_state_queried (HangarVm      *self,
                                HangarVmState  state,
                                gint64         queried_at)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  if (queried_at < self->state_known_at)
    return;
  set_state (self, state);
}

void
hangar_vm_update_resources (HangarVm *self,
                            guint     vcpus,
                            guint64   memory_kib)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  if (vcpus != 0 && self->vcpus != vcpus)
    {
      self->vcpus = vcpus;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VCPUS]);
    }
  if (memory_kib != 0 && self->memory_kib != memory_kib)
    {
      self->memory_kib = memory_kib;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMORY]);
    }
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Reads the OS id from libosinfo's metadata element, as Hangar,
 * virt-manager and GNOME Boxes store it:
 *   <libosinfo:libosinfo><libosinfo:os id="http://…"/></libosinfo:libosinfo> */
char *
hangar_vm_parse_os_id (const char *metadata)
{
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;

  if (metadata == NULL)
    return NULL;
  regex = g_regex_new ("<(?:\\w+:)?os\\s[^>]*\\bid=\"([^\"]+)\"", 0, 0, NULL);
  if (!g_regex_match (regex, metadata, 0, &match))
    return NULL;
  return g_match_info_fetch (match, 1);
}

char *
hangar_vm_config_get_os_id (GVirConfigDomain *config)
{
  g_autofree char *custom = gvir_config_domain_get_custom_xml (config, HANGAR_LIBOSINFO_XMLNS);

  return hangar_vm_parse_os_id (custom);
}

void
hangar_vm_update_summary (HangarVm   *self,
                          const char *os_id,
                          const char *os_name,
                          guint       vcpus,
                          guint64     memory_kib)
{
  GObject *object = G_OBJECT (self);

  g_return_if_fail (HANGAR_IS_VM (self));

  g_object_freeze_notify (object);
  if (set_string (&self->os_id, os_id))
    g_object_notify_by_pspec (object, properties[PROP_OS_ID]);
  if (set_string (&self->os_name, os_name))
    g_object_notify_by_pspec (object, properties[PROP_OS_NAME]);
  if (!state_is_active (self->state) || self->vcpus == 0 || self->memory_kib == 0)
    hangar_vm_update_resources (self, vcpus, memory_kib);
  g_object_thaw_notify (object);
}

/* Paths of the VM's file-backed disks (and CD-ROM media if asked). */
GPtrArray *
hangar_vm_config_get_disk_paths (GVirConfigDomain *config,
                                 gboolean          include_cdroms)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  GList *devices = gvir_config_domain_get_devices (config);

  for (GList *l = devices; l != NULL; l = l->next)
    {
      GVirConfigDomainDisk *disk;
      GVirConfigDomainDiskGuestDeviceType kind;
      const char *source;

      if (!GVIR_CONFIG_IS_DOMAIN_DISK (l->data))
        continue;
      disk = GVIR_CONFIG_DOMAIN_DISK (l->data);
      kind = gvir_config_domain_disk_get_guest_device_type (disk);
      if (kind == GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_FLOPPY)
        continue;
      if (kind == GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_CDROM && !include_cdroms)
        continue;
      if (gvir_config_domain_disk_get_disk_type (disk) != GVIR_CONFIG_DOMAIN_DISK_FILE)
        continue;
      source = gvir_config_domain_disk_get_source (disk);
      if (source != NULL && *source != '\0')
        g_ptr_array_add (paths, g_strdup (source));
    }
  g_list_free_full (devices, g_object_unref);
  return paths;
}

static const char *
config_get_graphics (GVirConfigDomain *config)
{
  GList *devices = gvir_config_domain_get_devices (config);
  const char *graphics = NULL;

  for (GList *l = devices; l != NULL && graphics == NULL; l = l->next)
    {
      if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        graphics = "SPICE";
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        graphics = "VNC";
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SDL (l->data))
        graphics = "SDL";
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_RDP (l->data))
        graphics = "RDP";
    }
  g_list_free_full (devices, g_object_unref);
  return graphics;
}

void
hangar_vm_update_details (HangarVm         *self,
                          GVirConfigDomain *config,
                          const char       *os_name)
{
  g_autofree char *os_id = NULL;
  g_autoptr (GPtrArray) disks = NULL;
  GObject *object = G_OBJECT (self);

  g_return_if_fail (HANGAR_IS_VM (self));
  g_return_if_fail (GVIR_CONFIG_IS_DOMAIN (config));

  g_object_freeze_notify (object);

  os_id = hangar_vm_config_get_os_id (config);
  if (set_string (&self->os_id, os_id))
    g_object_notify_by_pspec (object, properties[PROP_OS_ID]);
  if (set_string (&self->os_name, os_name))
    g_object_notify_by_pspec (object, properties[PROP_OS_NAME]);
  if (set_string (&self->graphics, config_get_graphics (config)))
    g_object_notify_by_pspec (object, properties[PROP_GRAPHICS]);

  disks = hangar_vm_config_get_disk_paths (config, TRUE);
  g_ptr_array_add (disks, NULL);
  if (self->disks == NULL || !g_strv_equal ((const char * const *) self->disks,
                                            (const char * const *) disks->pdata))
    {
      g_strfreev (self->disks);
      self->disks = (GStrv) g_ptr_array_free (g_steal_pointer (&disks), FALSE);
      g_object_notify_by_pspec (object, properties[PROP_DISKS]);
    }

  /* A running VM's numbers come from bulk stats where the driver has them;
   * otherwise the configuration tells. */
  if (!state_is_active (self->state) || self->vcpus == 0 || self->memory_kib == 0)
    hangar_vm_update_resources (self,
                                (guint) gvir_config_domain_get_vcpus (config),
                                gvir_config_domain_get_memory (config));

  g_object_thaw_notify (object);
}

/* ------------------------------------------------------------------ */
/* libvirt helpers (worker threads)                                    */

static virDomainPtr
domain_dup_handle (GVirDomain *domain)
{
  virDomainPtr handle = NULL;

  g_object_get (domain, "handle", &handle, NULL);
  return handle;
}

static gboolean
domain_query_state (GVirDomain    *domain,
                    HangarVmState *state)
{
  virDomainPtr handle = domain_dup_handle (domain);
  int st, reason;
  gboolean ok;

  if (handle == NULL)
    return FALSE;
  ok = virDomainGetState (handle, &st, &reason, 0) == 0;
  if (ok)
    *state = hangar_vm_state_from_libvirt (st, reason);
  else
    virResetLastError ();
  virDomainFree (handle);
  return ok;
}

/* ------------------------------------------------------------------ */
/* Event-driven state refresh                                          */

typedef struct
{
  HangarVmState state;
  gint64        queried_at;
} QueriedState;

static void
refresh_state_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GVirDomain *domain = task_data;
  QueriedState *answer = g_new0 (QueriedState, 1);

  answer->queried_at = g_get_monotonic_time ();
  if (domain_query_state (domain, &answer->state))
    g_task_return_pointer (task, answer, g_free);
  else
    {
      g_free (answer);
      g_task_return_pointer (task, NULL, NULL);
    }
}

static void
refresh_state_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HangarVm *self = HANGAR_VM (source);
  g_autofree QueriedState *answer = g_task_propagate_pointer (G_TASK (result), NULL);

  self->refresh_in_flight = FALSE;
  if (answer != NULL)
    hangar_vm_update_state_queried (self, answer->state, answer->queried_at);
  if (self->refresh_again)
    {
      self->refresh_again = FALSE;
      hangar_vm_refresh_state (self);
    }
}

/* Asks libvirt for the current state, off the main thread; coalesces calls. */
void
hangar_vm_refresh_state (HangarVm *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->refresh_in_flight)
    {
      self->refresh_again = TRUE;
      return;
    }
  self->refresh_in_flight = TRUE;
  task = g_task_new (self, NULL, refresh_state_done, NULL);
  g_task_set_source_tag (task, hangar_vm_refresh_state);
  g_task_set_task_data (task, g_object_ref (self->domain), g_object_unref);
  g_task_run_in_thread (task, refresh_state_thread);
}

/* One lifecycle event from libvirt, handed over by the connection (one
 * libvirt callback per connection instead of seven signal handlers per VM:
 * with thousands of VMs those handlers were megabytes).
 *
 * The event tells the new state at once; the refresh that follows catches
 * details such as "shutting down" and events that raced each other. */
void
hangar_vm_handle_lifecycle_event (HangarVm *self,
                                  int       event,
                                  int       detail)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  switch (event)
    {
    case VIR_DOMAIN_EVENT_DEFINED:
      if (detail != VIR_DOMAIN_EVENT_DEFINED_ADDED)
        g_signal_emit (self, signals[SIGNAL_CONFIG_CHANGED], 0);
      return;
    case VIR_DOMAIN_EVENT_STARTED:
    case VIR_DOMAIN_EVENT_RESUMED:
      hangar_vm_update_state (self, HANGAR_VM_STATE_RUNNING);
      break;
    case VIR_DOMAIN_EVENT_SUSPENDED:
      hangar_vm_update_state (self, HANGAR_VM_STATE_PAUSED);
      break;
    case VIR_DOMAIN_EVENT_STOPPED:
      if (detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED)
        {
          hangar_vm_update_state (self, HANGAR_VM_STATE_CRASHED);
          return;
        }
      hangar_vm_update_state (self, HANGAR_VM_STATE_SHUT_OFF);
      break;
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
      hangar_vm_update_state (self, HANGAR_VM_STATE_SUSPENDED);
      break;
    case VIR_DOMAIN_EVENT_SHUTDOWN:
      break;
    default:
      return;
    }
  hangar_vm_refresh_state (self);
}

void
hangar_vm_set_changed_func (HangarVm            *self,
                            HangarVmChangedFunc  func,
                            gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  self->changed_func = func;
  self->changed_data = user_data;
}

/* ------------------------------------------------------------------ */
/* Lifecycle actions                                                   */

typedef struct
{
  HangarVmAction  action;
  GVirDomain     *domain;
  char           *name;
  GStrv           delete_images;
  HangarVmState   final_state;
  gint64          final_state_at;
  gboolean        have_final_state;
  guint           timeout_seconds;
  guint           timeout_id;
  gulong          state_handler;
  gulong          cancel_handler;
  gboolean        wait_finished;
} ActionData;

static void
action_data_free (ActionData *data)
{
  g_clear_object (&data->domain);
  g_free (data->name);
  g_strfreev (data->delete_images);
  g_free (data);
}

static const char *
action_failure_message (HangarVmAction action)
{
  switch (action)
    {
    case HANGAR_VM_ACTION_START:     return _("Could not start “%s”");
    case HANGAR_VM_ACTION_PAUSE:     return _("Could not pause “%s”");
    case HANGAR_VM_ACTION_RESUME:    return _("Could not resume “%s”");
    case HANGAR_VM_ACTION_SHUTDOWN:  return _("Could not shut down “%s”");
    case HANGAR_VM_ACTION_REBOOT:    return _("Could not reboot “%s”");
    case HANGAR_VM_ACTION_FORCE_OFF: return _("Could not force off “%s”");
    case HANGAR_VM_ACTION_DELETE:    return _("Could not delete “%s”");
    default:                         return _("Could not change “%s”");
    }
}

/* The state an action leaves the VM in, used to recognise success that
 * libvirt reported as failure (see the embedded-driver reconnect race). */
static gboolean
action_reached_goal (HangarVmAction action,
                     HangarVmState  state)
{
  switch (action)
    {
    case HANGAR_VM_ACTION_START:
    case HANGAR_VM_ACTION_RESUME:
      return state == HANGAR_VM_STATE_RUNNING;
    case HANGAR_VM_ACTION_PAUSE:
      return state == HANGAR_VM_STATE_PAUSED;
    case HANGAR_VM_ACTION_SHUTDOWN:
    case HANGAR_VM_ACTION_FORCE_OFF:
      return state == HANGAR_VM_STATE_SHUT_OFF;
    default:
      return FALSE;
    }
}

/* Other VMs on the connection that use @path (as disk, CD-ROM or backing
 * file). Returns the first such VM's name. */
static char *
find_other_user_of_image (virConnectPtr  conn,
                          const char    *self_uuid,
                          const char    *path)
{
  virDomainPtr *domains = NULL;
  int n = virConnectListAllDomains (conn, &domains, 0);
  char *user = NULL;
  g_autofree char *needle = g_markup_printf_escaped ("'%s'", path);
  g_autofree char *needle2 = g_markup_printf_escaped ("\"%s\"", path);

  if (n < 0)
    {
      virResetLastError ();
      /* Cannot tell: treat as shared so that nothing is deleted. */
      return g_strdup (_("an unknown VM"));
    }

  for (int i = 0; i < n; i++)
    {
      char uuid[VIR_UUID_STRING_BUFLEN];
      char *xml;

      if (user == NULL &&
          virDomainGetUUIDString (domains[i], uuid) == 0 &&
          g_strcmp0 (uuid, self_uuid) != 0 &&
          (xml = virDomainGetXMLDesc (domains[i], 0)) != NULL)
        {
          /* A quoted match on the live XML covers <source> and <backingStore>. */
          if (strstr (xml, needle) != NULL || strstr (xml, needle2) != NULL)
            user = g_strdup (virDomainGetName (domains[i]));
          free (xml);
        }
      virDomainFree (domains[i]);
    }
  free (domains);
  return user;
}

static GPtrArray *
list_disk_images (GVirDomain  *domain,
                  GError     **error)
{
  GVirConfigDomain *config;
  g_autoptr (GPtrArray) paths = NULL;
  GPtrArray *images;
  virDomainPtr handle;
  virConnectPtr conn;
  GError *local_error = NULL;

  config = gvir_domain_get_config (domain, 0, &local_error);
  if (config == NULL)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      g_clear_error (&local_error);
      return NULL;
    }

  paths = hangar_vm_config_get_disk_paths (config, FALSE);
  g_object_unref (config);
  images = g_ptr_array_new_with_free_func ((GDestroyNotify) hangar_vm_disk_image_free);
  handle = domain_dup_handle (domain);
  conn = virDomainGetConnect (handle);
  for (guint i = 0; i < paths->len; i++)
    {
      HangarVmDiskImage *image = g_new0 (HangarVmDiskImage, 1);

      image->path = g_strdup (g_ptr_array_index (paths, i));
      image->shared_with = find_other_user_of_image (conn, gvir_domain_get_uuid (domain),
                                                     image->path);
      g_ptr_array_add (images, image);
    }
  virDomainFree (handle);
  return images;
}

static gboolean
delete_image (virConnectPtr  conn,
              const char    *path,
              GError       **error)
{
  virStorageVolPtr vol = virStorageVolLookupByPath (conn, path);

  if (vol != NULL)
    {
      int r = virStorageVolDelete (vol, 0);

      virStorageVolFree (vol);
      if (r < 0)
        {
          g_autofree char *what = g_strdup_printf (_("Could not delete the disk image “%s”"), path);

          g_propagate_error (error, hangar_error_from_libvirt (what));
          return FALSE;
        }
      return TRUE;
    }
  virResetLastError ();

  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                   _("Could not delete the disk image “%s”: %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* libvirt reports flags a driver does not know as an invalid argument. */
static gboolean
last_error_is_unsupported_flags (void)
{
  virErrorPtr verr = virGetLastError ();

  return verr != NULL &&
         (verr->code == VIR_ERR_INVALID_ARG || verr->code == VIR_ERR_NO_SUPPORT ||
          verr->code == VIR_ERR_ARGUMENT_UNSUPPORTED) &&
         verr->message != NULL && strstr (verr->message, "flags") != NULL;
}

/* Undefines the domain with its snapshot and checkpoint metadata and NVRAM.
 * Not every driver knows every flag (the test driver knows neither NVRAM nor
 * checkpoints), so retry with fewer rather than fail. Leaves libvirt's error
 * set on failure. */
static gboolean
undefine_domain (GVirDomain *domain)
{
  static const guint flag_sets[] = {
    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
    VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM,
    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
    VIR_DOMAIN_UNDEFINE_NVRAM,
    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
  };
  virDomainPtr handle = domain_dup_handle (domain);
  gboolean ok = FALSE;

  if (handle == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (flag_sets) && !ok; i++)
    {
      ok = virDomainUndefineFlags (handle, flag_sets[i]) == 0;
      if (!ok && !last_error_is_unsupported_flags ())
        break;
    }
  virDomainFree (handle);
  return ok;
}

static gboolean
run_delete (ActionData  *data,
            GError     **error)
{
  g_autoptr (GPtrArray) images = NULL;
  virDomainPtr handle;
  virConnectPtr conn;
  HangarVmState state;
  GError *local_error = NULL;
  gboolean ok = TRUE;

  /* Decide what may be deleted before the VM's config is gone. */
  if (data->delete_images != NULL && data->delete_images[0] != NULL)
    {
      images = list_disk_images (data->domain, error);
      if (images == NULL)
        return FALSE;
    }

  if (domain_query_state (data->domain, &state) && state_is_active (state))
    {
      if (!gvir_domain_stop (data->domain, 0, &local_error) &&
          !(domain_query_state (data->domain, &state) && state == HANGAR_VM_STATE_SHUT_OFF))
        {
          g_autofree char *what = g_strdup_printf (_("Could not force off “%s”"), data->name);

          g_clear_error (&local_error);
          g_propagate_error (error, hangar_error_from_libvirt (what));
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  if (!undefine_domain (data->domain))
    {
      g_autofree char *what = g_strdup_printf (action_failure_message (data->action), data->name);

      g_propagate_error (error, hangar_error_from_libvirt (what));
      return FALSE;
    }
  /* Its snapshots went with it: so do their pictures. */
  hangar_snapshot_remove_thumbnails (gvir_domain_get_uuid (data->domain));

  if (images == NULL)
    return TRUE;

  handle = domain_dup_handle (data->domain);
  conn = virDomainGetConnect (handle);
  for (guint i = 0; i < images->len; i++)
    {
      HangarVmDiskImage *image = g_ptr_array_index (images, i);

      /* Only what the caller chose, and never an image another VM uses. */
      if (image->shared_with != NULL ||
          !g_strv_contains ((const char * const *) data->delete_images, image->path))
        continue;
      if (ok)
        ok = delete_image (conn, image->path, error);
    }
  virDomainFree (handle);
  return ok;
}

static void
action_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ActionData *data = task_data;
  GError *local_error = NULL;
  gboolean ok = FALSE;
  HangarVmState state;

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
      return;
    }

  switch (data->action)
    {
    case HANGAR_VM_ACTION_START:
      ok = gvir_domain_start (data->domain, 0, &local_error);
      break;
    case HANGAR_VM_ACTION_PAUSE:
      ok = gvir_domain_suspend (data->domain, &local_error);
      break;
    case HANGAR_VM_ACTION_RESUME:
      ok = gvir_domain_resume (data->domain, &local_error);
      break;
    case HANGAR_VM_ACTION_SHUTDOWN:
      ok = gvir_domain_shutdown (data->domain, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN, &local_error);
      /* Drivers without a choice of method (the test driver, some remote
       * hypervisors) reject the flag; their default is still a clean shutdown. */
      if (!ok && last_error_is_unsupported_flags ())
        {
          g_clear_error (&local_error);
          virResetLastError ();
          ok = gvir_domain_shutdown (data->domain, 0, &local_error);
        }
      break;
    case HANGAR_VM_ACTION_REBOOT:
      ok = gvir_domain_reboot (data->domain, 0, &local_error);
      break;
    case HANGAR_VM_ACTION_FORCE_OFF:
      ok = gvir_domain_stop (data->domain, 0, &local_error);
      break;
    case HANGAR_VM_ACTION_DELETE:
      {
        GError *error = NULL;

        if (run_delete (data, &error))
          g_task_return_boolean (task, TRUE);
        else
          g_task_return_error (task, error);
        return;
      }
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    {
      /* Keep libvirt's error before the state query replaces it. */
      g_autofree char *what = g_strdup_printf (action_failure_message (data->action), data->name);
      GError *error = hangar_error_from_libvirt (what);

      g_clear_error (&local_error);
      data->final_state_at = g_get_monotonic_time ();
      if (domain_query_state (data->domain, &state))
        {
          data->final_state = state;
          data->have_final_state = TRUE;
          if (action_reached_goal (data->action, state))
            {
              g_debug ("%s: libvirt reported “%s”, but the VM reached the goal state",
                       data->name, error->message);
              g_clear_error (&error);
              g_task_return_boolean (task, TRUE);
              return;
            }
          /* Drivers differ in how they say "not in this state" (the test
           * driver calls it an internal error): the state itself tells. */
          if (!action_possible_in_state (data->action, state))
            error->code = HANGAR_ERROR_INVALID_STATE;
        }
      g_task_return_error (task, error);
      return;
    }

  data->final_state_at = g_get_monotonic_time ();
  if (domain_query_state (data->domain, &state))
    {
      data->final_state = state;
      data->have_final_state = TRUE;
    }
  g_task_return_boolean (task, TRUE);
}

static void
set_busy (HangarVm       *self,
          gboolean        busy,
          HangarVmAction  action)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  self->busy_action = action;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
shutdown_wait_finish (GTask *task)
{
  ActionData *data = g_task_get_task_data (task);
  HangarVm *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  data->wait_finished = TRUE;
  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_clear_signal_handler (&data->state_handler, self);
  if (data->cancel_handler != 0)
    {
      g_cancellable_disconnect (cancellable, data->cancel_handler);
      data->cancel_handler = 0;
    }
  set_busy (self, FALSE, data->action);
}

static void
on_shutdown_state (HangarVm   *self,
                   GParamSpec *pspec,
                   GTask      *task)
{
  if (self->state != HANGAR_VM_STATE_SHUT_OFF)
    return;
  shutdown_wait_finish (task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
on_shutdown_timeout (gpointer user_data)
{
  GTask *task = user_data;
  ActionData *data = g_task_get_task_data (task);

  data->timeout_id = 0;
  shutdown_wait_finish (task);
  g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_TIMED_OUT,
                           ngettext ("“%s” did not shut down within %u second. "
                                     "The guest may ignore the power button; you can force it off.",
                                     "“%s” did not shut down within %u seconds. "
                                     "The guest may ignore the power button; you can force it off.",
                                     data->timeout_seconds),
                           data->name, data->timeout_seconds);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_shutdown_cancelled_idle (gpointer user_data)
{
  GTask *task = user_data;
  ActionData *data = g_task_get_task_data (task);

  if (data->wait_finished)
    return G_SOURCE_REMOVE;
  shutdown_wait_finish (task);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("Stopped waiting for the VM to shut down"));
  g_object_unref (task);  /* the wait's reference */
  return G_SOURCE_REMOVE;
}

static void
on_shutdown_cancelled (GCancellable *cancellable,
                       GTask        *task)
{
  /* Cannot disconnect from inside the handler: finish from an idle, which
   * holds its own reference in case the VM shuts off first. */
  g_idle_add_full (G_PRIORITY_DEFAULT, on_shutdown_cancelled_idle,
                   g_object_ref (task), g_object_unref);
}

static void
action_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  HangarVm *self = HANGAR_VM (source);
  g_autoptr (GTask) task = user_data;
  ActionData *data = g_task_get_task_data (task);
  GTask *inner = G_TASK (result);
  GError *error = NULL;

  if (data->have_final_state)
    hangar_vm_update_state_queried (self, data->final_state, data->final_state_at);

  if (!g_task_propagate_boolean (inner, &error))
    {
      set_busy (self, FALSE, data->action);
      g_task_return_error (task, error);
      return;
    }

  if (data->action == HANGAR_VM_ACTION_SHUTDOWN && self->state != HANGAR_VM_STATE_SHUT_OFF)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      /* Wait for the lifecycle event; the task's reference moves to the wait. */
      data->state_handler = g_signal_connect (self, "notify::state",
                                              G_CALLBACK (on_shutdown_state), task);
      /* Not g_timeout_add_seconds (): its first tick may come up to a second
       * early, and the guest is owed the whole time it was promised. */
      data->timeout_id = g_timeout_add (data->timeout_seconds * 1000, on_shutdown_timeout, task);
      if (cancellable != NULL)
        data->cancel_handler = g_cancellable_connect (cancellable,
                                                      G_CALLBACK (on_shutdown_cancelled),
                                                      task, NULL);
      g_steal_pointer (&task);
      return;
    }

  set_busy (self, FALSE, data->action);
  g_task_return_boolean (task, TRUE);
}

static void
run_action (HangarVm            *self,
            HangarVmAction       action,
            const char * const  *delete_images,
            guint                timeout_seconds,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) inner = NULL;
  ActionData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_vm_run_action_async);

  if (self->busy)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_BUSY,
                               _("“%s” is busy with another operation; wait for it to finish."),
                               self->name);
      return;
    }

  data = g_new0 (ActionData, 1);
  data->action = action;
  data->domain = g_object_ref (self->domain);
  data->name = g_strdup (self->name);
  data->delete_images = g_strdupv ((char **) delete_images);
  data->timeout_seconds = timeout_seconds > 0 ? timeout_seconds : 60;
  g_task_set_task_data (task, data, (GDestroyNotify) action_data_free);

  set_busy (self, TRUE, action);

  inner = g_task_new (self, cancellable, action_done, g_steal_pointer (&task));
  g_task_set_source_tag (inner, run_action);
  g_task_set_task_data (inner, data, NULL);
  g_task_run_in_thread (inner, action_thread);
}

void
hangar_vm_run_action_async (HangarVm            *self,
                            HangarVmAction       action,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  run_action (self, action, NULL, 0, cancellable, callback, user_data);
}

gboolean
hangar_vm_run_action_finish (HangarVm      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hangar_vm_run_action_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

#define DEFINE_ACTION(name, ACTION)                                              \
  void                                                                           \
  hangar_vm_##name##_async (HangarVm            *self,                          \
                            GCancellable        *cancellable,                   \
                            GAsyncReadyCallback  callback,                      \
                            gpointer             user_data)                     \
  {                                                                              \
    hangar_vm_run_action_async (self, ACTION, cancellable, callback, user_data); \
  }                                                                              \
  gboolean                                                                       \
  hangar_vm_##name##_finish (HangarVm      *self,                               \
                             GAsyncResult  *result,                             \
                             GError       **error)                              \
  {                                                                              \
    return hangar_vm_run_action_finish (self, result, error);                    \
  }

DEFINE_ACTION (start, HANGAR_VM_ACTION_START)
DEFINE_ACTION (pause, HANGAR_VM_ACTION_PAUSE)
DEFINE_ACTION (resume, HANGAR_VM_ACTION_RESUME)
DEFINE_ACTION (reboot, HANGAR_VM_ACTION_REBOOT)
DEFINE_ACTION (force_off, HANGAR_VM_ACTION_FORCE_OFF)

void
hangar_vm_shutdown_async (HangarVm            *self,
                          guint                timeout_seconds,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  run_action (self, HANGAR_VM_ACTION_SHUTDOWN, NULL, timeout_seconds,
              cancellable, callback, user_data);
}

gboolean
hangar_vm_shutdown_finish (HangarVm      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return hangar_vm_run_action_finish (self, result, error);
}

void
hangar_vm_delete_async (HangarVm            *self,
                        const char * const  *delete_images,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  run_action (self, HANGAR_VM_ACTION_DELETE, delete_images, 0,
              cancellable, callback, user_data);
}

gboolean
hangar_vm_delete_finish (HangarVm      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return hangar_vm_run_action_finish (self, result, error);
}

void
hangar_vm_disk_image_free (HangarVmDiskImage *image)
{
  if (image == NULL)
    return;
  g_free (image->path);
  g_free (image->shared_with);
  g_free (image);
}

static void
list_disk_images_thread (GTask        *task,
                         gpointer      source_object,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *images = list_disk_images (task_data, &error);

  if (images == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, images, (GDestroyNotify) g_ptr_array_unref);
}

void
hangar_vm_run_domain_task (HangarVm            *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data,
                           gpointer             source_tag,
                           GTaskThreadFunc      thread_func)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (HANGAR_IS_VM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_object_ref (self->domain), g_object_unref);
  g_task_run_in_thread (task, thread_func);
}

void
hangar_vm_list_disk_images_async (HangarVm            *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  hangar_vm_run_domain_task (self, cancellable, callback, user_data,
                             hangar_vm_list_disk_images_async, list_disk_images_thread);
}

GPtrArray *
hangar_vm_list_disk_images_finish (HangarVm      *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* Configuration details, for the VM's page                            */

static void
load_details_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config = gvir_domain_get_config (task_data, 0, &error);

  if (config == NULL)
    g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
  else
    g_task_return_pointer (task, config, g_object_unref);
}

static void
load_details_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HangarVm *self = HANGAR_VM (source);
  g_autoptr (GTask) task = user_data;
  GVirConfigDomain *config;
  GError *error = NULL;

  config = g_task_propagate_pointer (G_TASK (result), &error);
  if (config == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  hangar_vm_update_details (self, config, self->os_name);
  g_object_unref (config);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_load_details_async (HangarVm            *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (HANGAR_IS_VM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_vm_load_details_async);
  inner = g_task_new (self, cancellable, load_details_done, g_steal_pointer (&task));
  g_task_set_task_data (inner, g_object_ref (self->domain), g_object_unref);
  g_task_run_in_thread (inner, load_details_thread);
}

gboolean
hangar_vm_load_details_finish (HangarVm      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */

HangarVm *
hangar_vm_new (GVirDomain *domain)
{
  return g_object_new (HANGAR_TYPE_VM, "domain", domain, NULL);
}

static void
hangar_vm_constructed (GObject *object)
{
  HangarVm *self = HANGAR_VM (object);

  G_OBJECT_CLASS (hangar_vm_parent_class)->constructed (object);

  g_assert (self->domain != NULL);
  self->name = g_strdup (gvir_domain_get_name (self->domain));
  self->uuid = g_strdup (gvir_domain_get_uuid (self->domain));
}

/* Tells the owning connection about every property change, so a list of
 * thousands of VMs needs one handler per connection, not one per VM. */
static void
hangar_vm_dispatch_properties_changed (GObject     *object,
                                       guint        n_pspecs,
                                       GParamSpec **pspecs)
{
  HangarVm *self = HANGAR_VM (object);

  G_OBJECT_CLASS (hangar_vm_parent_class)->dispatch_properties_changed (object, n_pspecs, pspecs);
  for (guint i = 0; i < n_pspecs && self->changed_func != NULL; i++)
    self->changed_func (self, pspecs[i], self->changed_data);
}

static void
hangar_vm_finalize (GObject *object)
{
  HangarVm *self = HANGAR_VM (object);

  g_clear_object (&self->domain);
  g_free (self->name);
  g_free (self->tunnel_uri);
  g_free (self->uuid);
  g_free (self->os_id);
  g_free (self->os_name);
  g_free (self->graphics);
  g_strfreev (self->disks);

  G_OBJECT_CLASS (hangar_vm_parent_class)->finalize (object);
}

static void
hangar_vm_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  HangarVm *self = HANGAR_VM (object);

  switch (prop_id)
    {
    case PROP_DOMAIN:   g_value_set_object (value, self->domain); break;
    case PROP_NAME:     g_value_set_string (value, self->name); break;
    case PROP_UUID:     g_value_set_string (value, self->uuid); break;
    case PROP_STATE:    g_value_set_enum (value, self->state); break;
    case PROP_BUSY:     g_value_set_boolean (value, self->busy); break;
    case PROP_VCPUS:    g_value_set_uint (value, self->vcpus); break;
    case PROP_MEMORY:   g_value_set_uint64 (value, self->memory_kib); break;
    case PROP_OS_ID:    g_value_set_string (value, self->os_id); break;
    case PROP_OS_NAME:  g_value_set_string (value, self->os_name); break;
    case PROP_GRAPHICS: g_value_set_string (value, self->graphics); break;
    case PROP_DISKS:    g_value_set_boxed (value, self->disks); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_vm_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  HangarVm *self = HANGAR_VM (object);

  switch (prop_id)
    {
    case PROP_DOMAIN:
      self->domain = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_vm_class_init (HangarVmClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = hangar_vm_constructed;
  object_class->finalize = hangar_vm_finalize;
  object_class->dispatch_properties_changed = hangar_vm_dispatch_properties_changed;
  object_class->get_property = hangar_vm_get_property;
  object_class->set_property = hangar_vm_set_property;

  properties[PROP_DOMAIN] =
    g_param_spec_object ("domain", NULL, NULL, GVIR_TYPE_DOMAIN,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, ro);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, HANGAR_TYPE_VM_STATE, HANGAR_VM_STATE_UNKNOWN, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_VCPUS] = g_param_spec_uint ("vcpus", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_MEMORY] =
    g_param_spec_uint64 ("memory", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_OS_ID] = g_param_spec_string ("os-id", NULL, NULL, NULL, ro);
  properties[PROP_OS_NAME] = g_param_spec_string ("os-name", NULL, NULL, NULL, ro);
  properties[PROP_GRAPHICS] = g_param_spec_string ("graphics", NULL, NULL, NULL, ro);
  properties[PROP_DISKS] = g_param_spec_boxed ("disks", NULL, NULL, G_TYPE_STRV, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The persistent configuration changed (by Hangar or another tool). */
  signals[SIGNAL_CONFIG_CHANGED] =
    g_signal_new ("config-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hangar_vm_init (HangarVm *self)
{
  self->state = HANGAR_VM_STATE_UNKNOWN;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */

GVirDomain *
hangar_vm_get_domain (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->domain;
}

const char *
hangar_vm_get_name (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->name;
}

const char *
hangar_vm_get_uuid (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->uuid;
}

HangarVmState
hangar_vm_get_state (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), HANGAR_VM_STATE_UNKNOWN);
  return self->state;
}

const char *
hangar_vm_get_state_label (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return hangar_vm_state_to_label (self->state);
}

const char *
hangar_vm_get_state_icon_name (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return hangar_vm_state_to_icon_name (self->state);
}

gboolean
hangar_vm_get_busy (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), FALSE);
  return self->busy;
}

HangarVmAction
hangar_vm_get_busy_action (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), 0);
  return self->busy_action;
}

guint
hangar_vm_get_vcpus (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), 0);
  return self->vcpus;
}

guint64
hangar_vm_get_memory (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), 0);
  return self->memory_kib;
}

const char *
hangar_vm_get_os_id (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->os_id;
}

const char *
hangar_vm_get_os_name (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->os_name;
}

const char * const *
hangar_vm_get_disks (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return (const char * const *) self->disks;
}

const char *
hangar_vm_get_graphics (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);
  return self->graphics;
}

void
hangar_vm_set_tunnel_uri (HangarVm   *self,
                          const char *uri)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  g_free (self->tunnel_uri);
  self->tunnel_uri = g_strdup (uri);
}

const char *
hangar_vm_get_tunnel_uri (HangarVm *self)
{
  g_return_val_if_fail (HANGAR_IS_VM (self), NULL);

  return self->tunnel_uri;
}

void
hangar_vm_update_name (HangarVm   *self,
                       const char *name)
{
  g_return_if_fail (HANGAR_IS_VM (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}
