/* hangar-vm.h: one libvirt domain as the UI sees it: state, summary and lifecycle. */
#pragma once

#include <gio/gio.h>
#include <libvirt-gobject/libvirt-gobject.h>

G_BEGIN_DECLS

typedef enum
{
  HANGAR_VM_STATE_UNKNOWN,
  HANGAR_VM_STATE_RUNNING,
  HANGAR_VM_STATE_PAUSED,
  HANGAR_VM_STATE_SHUTTING_DOWN,
  HANGAR_VM_STATE_SHUT_OFF,
  HANGAR_VM_STATE_CRASHED,
  HANGAR_VM_STATE_SUSPENDED,
  HANGAR_VM_STATE_SAVING,
} HangarVmState;

typedef enum
{
  HANGAR_VM_ACTION_START,
  HANGAR_VM_ACTION_PAUSE,
  HANGAR_VM_ACTION_RESUME,
  HANGAR_VM_ACTION_SHUTDOWN,
  HANGAR_VM_ACTION_REBOOT,
  HANGAR_VM_ACTION_FORCE_OFF,
  HANGAR_VM_ACTION_DELETE,
} HangarVmAction;

/* Where libosinfo's OS id lives in a domain's metadata. */
#define HANGAR_LIBOSINFO_XMLNS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

#define HANGAR_TYPE_VM (hangar_vm_get_type ())
G_DECLARE_FINAL_TYPE (HangarVm, hangar_vm, HANGAR, VM, GObject)

HangarVm      *hangar_vm_new                (GVirDomain *domain);
GVirDomain    *hangar_vm_get_domain         (HangarVm *self);
const char    *hangar_vm_get_name           (HangarVm *self);
const char    *hangar_vm_get_uuid           (HangarVm *self);
/* For a VM on a remote host: the connection URI its consoles are tunnelled
 * through (SSH); NULL for local VMs, whose displays libvirt hands over. */
void           hangar_vm_set_tunnel_uri     (HangarVm   *self,
                                             const char *uri);
const char    *hangar_vm_get_tunnel_uri     (HangarVm *self);
HangarVmState  hangar_vm_get_state          (HangarVm *self);
const char    *hangar_vm_get_state_label    (HangarVm *self);
const char    *hangar_vm_get_state_icon_name (HangarVm *self);
gboolean       hangar_vm_get_busy           (HangarVm *self);
HangarVmAction hangar_vm_get_busy_action    (HangarVm *self);
guint          hangar_vm_get_vcpus          (HangarVm *self);
guint64        hangar_vm_get_memory         (HangarVm *self);
const char    *hangar_vm_get_os_id          (HangarVm *self);
const char    *hangar_vm_get_os_name        (HangarVm *self);
const char *const *hangar_vm_get_disks      (HangarVm *self);
const char    *hangar_vm_get_graphics       (HangarVm *self);
gboolean       hangar_vm_can_do             (HangarVm       *self,
                                             HangarVmAction  action);

const char    *hangar_vm_state_to_label     (HangarVmState state);
const char    *hangar_vm_state_to_icon_name (HangarVmState state);

/* Called by HangarConnection with facts it learnt in bulk. */
void           hangar_vm_refresh_state      (HangarVm      *self);
void           hangar_vm_update_state       (HangarVm      *self,
                                             HangarVmState  state);
/* A state libvirt answered to a query made at @queried_at (monotonic time):
 * ignored when an event or action has told something newer since. */
void           hangar_vm_update_state_queried (HangarVm      *self,
                                               HangarVmState  state,
                                               gint64         queried_at);
void           hangar_vm_update_resources   (HangarVm *self,
                                             guint     vcpus,
                                             guint64   memory_kib);
void           hangar_vm_update_details     (HangarVm           *self,
                                             GVirConfigDomain   *config,
                                             const char         *os_name);
HangarVmState  hangar_vm_state_from_libvirt (int state,
                                             int reason);
void           hangar_vm_update_summary     (HangarVm   *self,
                                             const char *os_id,
                                             const char *os_name,
                                             guint       vcpus,
                                             guint64     memory_kib);
char          *hangar_vm_parse_os_id        (const char *metadata);
char          *hangar_vm_config_get_os_id   (GVirConfigDomain *config);
GPtrArray     *hangar_vm_config_get_disk_paths (GVirConfigDomain *config,
                                                gboolean          include_cdroms);

/* Reads the whole configuration (disks, graphics…) for the VM's page. */
void           hangar_vm_load_details_async (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_load_details_finish (HangarVm      *self,
                                              GAsyncResult  *result,
                                              GError       **error);

void           hangar_vm_run_action_async   (HangarVm            *self,
                                             HangarVmAction       action,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_run_action_finish  (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);

void           hangar_vm_start_async        (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_start_finish       (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);
void           hangar_vm_pause_async        (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_pause_finish       (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);
void           hangar_vm_resume_async       (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_resume_finish      (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);
void           hangar_vm_reboot_async       (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_reboot_finish      (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);
void           hangar_vm_force_off_async    (HangarVm            *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_force_off_finish   (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);
/* Sends an ACPI power-button press, then waits up to @timeout_seconds for the
 * VM to be shut off; fails with HANGAR_ERROR_TIMED_OUT after that, so that the
 * UI can offer Force Off. Cancelling stops the wait, not the guest's shutdown. */
void           hangar_vm_shutdown_async     (HangarVm            *self,
                                             guint                timeout_seconds,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_shutdown_finish    (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* Lists the VM's disk images and, for each, whether another VM of the same
 * connection uses it. Result: GPtrArray of HangarVmDiskImage. */
typedef struct
{
  char *path;
  char *shared_with;  /* name of another VM using it, or NULL */
} HangarVmDiskImage;

void           hangar_vm_disk_image_free    (HangarVmDiskImage *image);
void           hangar_vm_list_disk_images_async  (HangarVm            *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GPtrArray     *hangar_vm_list_disk_images_finish (HangarVm      *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);

/* Forces the VM off if it runs, undefines it (with its snapshot metadata and
 * NVRAM) and then deletes those of @delete_images that no other VM uses. */
void           hangar_vm_delete_async       (HangarVm            *self,
                                             const char * const  *delete_images,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       hangar_vm_delete_finish      (HangarVm      *self,
                                             GAsyncResult  *result,
                                             GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarVmDiskImage, hangar_vm_disk_image_free)

G_END_DECLS
