/* hangar-vm-console.c: the VM's console endpoints. Each libvirt call runs in
 * a GTask thread; the fd and stream are handed to the console widgets. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include "hangar-error.h"
#include "hangar-vm-console.h"
#include "hangar-vm-private.h"
#include "hangar-ssh.h"

void
hangar_console_info_free (HangarConsoleInfo *info)
{
  if (info->graphics_fd >= 0)
    close (info->graphics_fd);
  g_free (info);
}

int
hangar_console_info_steal_graphics_fd (HangarConsoleInfo *info)
{
  int fd = info->graphics_fd;

  info->graphics_fd = -1;
  return fd;
}

static void
console_info_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GVirDomain *domain = task_data;
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *config;
  HangarConsoleInfo *info;
  GList *devices;

  config = gvir_domain_get_config (domain, 0, &error);
  if (config == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return;
    }

  info = g_new0 (HangarConsoleInfo, 1);
  info->graphics_fd = -1;
  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      if (info->display == HANGAR_DISPLAY_NONE && GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        info->display = HANGAR_DISPLAY_SPICE;
      else if (info->display == HANGAR_DISPLAY_NONE && GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        info->display = HANGAR_DISPLAY_VNC;
      else if (GVIR_CONFIG_IS_DOMAIN_SERIAL (l->data) || GVIR_CONFIG_IS_DOMAIN_CONSOLE (l->data))
        info->has_serial = TRUE;
    }
  g_list_free_full (devices, g_object_unref);
  g_object_unref (config);

  /* Saves the console a second thread hop on its way to the first frame.
   * A VM that is not running (or any other failure) leaves it to the
   * console's own request, which reports the error. */
  /* (A remote VM's display is reached through a tunnel, on request.) */
  if (info->display != HANGAR_DISPLAY_NONE &&
      hangar_vm_get_tunnel_uri (HANGAR_VM (source_object)) == NULL)
    {
      g_autoptr (GError) fd_error = NULL;

      info->graphics_fd = gvir_domain_open_graphics_fd (domain, 0, 0, &fd_error);
      if (info->graphics_fd < 0)
        {
          info->graphics_fd = -1;
          virResetLastError ();
        }
    }
  g_task_return_pointer (task, info, (GDestroyNotify) hangar_console_info_free);
}

void
hangar_vm_get_console_info_async (HangarVm            *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  hangar_vm_run_domain_task (self, cancellable, callback, user_data,
                             hangar_vm_get_console_info_async, console_info_thread);
}

HangarConsoleInfo *
hangar_vm_get_console_info_finish (HangarVm      *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  GVirDomain *domain;
  guint       index;
  char       *tunnel_uri;
} GraphicsData;

static void
graphics_data_free (GraphicsData *data)
{
  g_object_unref (data->domain);
  g_free (data->tunnel_uri);
  g_free (data);
}

/* Where display @index of a remote VM can be reached on its host: its UNIX
 * socket or 127.0.0.1:PORT. */
static char *
remote_display_target (GVirDomain  *domain,
                        guint        index,
                        GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  GVirConfigDomain *config = gvir_domain_get_config (domain, 0, &local_error);
  GList *devices;
  char *target = NULL;
  guint n = 0;
  gboolean found = FALSE;

  if (config == NULL)
    {
      g_propagate_error (error,
                         hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return NULL;
    }
  devices = gvir_config_domain_get_devices (config);
  g_object_unref (config);
  for (GList *l = devices; l != NULL && !found; l = l->next)
    {
      int port = -1;
      const char *socket = NULL;

      if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_VNC (l->data))
        {
          socket = gvir_config_domain_graphics_vnc_get_socket (l->data);
          port = gvir_config_domain_graphics_vnc_get_port (l->data);
        }
      else if (GVIR_CONFIG_IS_DOMAIN_GRAPHICS_SPICE (l->data))
        port = gvir_config_domain_graphics_spice_get_port (l->data);
      else
        continue;
      if (n++ != index)
        continue;
      found = TRUE;
      if (socket != NULL && *socket != '\0')
        target = g_strdup (socket);
      else if (port > 0)
        target = g_strdup_printf ("127.0.0.1:%d", port);
    }
  g_list_free_full (devices, g_object_unref);
  if (target == NULL)
    g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                         found ? _("This VM’s display listens on nothing, which only works on "
                                   "its own host. Give it a port on 127.0.0.1 to see it "
                                   "from here.")
                               : _("This VM has no graphical display."));
  return target;
}

static void
on_tunnel_exited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_object_unref (source);
}

static int
open_tunnel (GraphicsData  *data,
             GError       **error)
{
  g_autofree char *target = remote_display_target (data->domain, data->index, error);
  GSubprocess *process = NULL;
  int fd;

  if (target == NULL)
    return -1;
  fd = hangar_ssh_open_tunnel (data->tunnel_uri, target, &process, error);
  if (fd < 0)
    return -1;
  /* ssh exits when the console closes its end; reap it then. */
  g_subprocess_wait_async (process, NULL, on_tunnel_exited, NULL);
  return fd;
}

static void
graphics_fd_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GraphicsData *data = task_data;
  g_autoptr (GError) error = NULL;
  int fd;

  if (data->tunnel_uri != NULL)
    {
      fd = open_tunnel (data, &error);
      if (fd < 0)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_int (task, fd);
      return;
    }
  fd = gvir_domain_open_graphics_fd (data->domain, data->index, 0, &error);
  if (fd < 0)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not connect to the VM’s display")));
      return;
    }
  g_task_return_int (task, fd);
}

void
hangar_vm_open_graphics_fd_async (HangarVm            *self,
                                  guint                index,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  GraphicsData *data;

  g_return_if_fail (HANGAR_IS_VM (self));

  data = g_new0 (GraphicsData, 1);
  data->domain = g_object_ref (hangar_vm_get_domain (self));
  data->index = index;
  data->tunnel_uri = g_strdup (hangar_vm_get_tunnel_uri (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hangar_vm_open_graphics_fd_async);
  g_task_set_task_data (task, data, (GDestroyNotify) graphics_data_free);
  /* The finish function closes the descriptor of a cancelled request. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, graphics_fd_thread);
}

int
hangar_vm_open_graphics_fd_finish (HangarVm      *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  GCancellable *cancellable;
  gssize fd;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  fd = g_task_propagate_int (G_TASK (result), error);
  if (fd < 0)
    return -1;
  cancellable = g_task_get_cancellable (G_TASK (result));
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      close ((int) fd);
      return -1;
    }
  return (int) fd;
}

/* ------------------------------------------------------------------ */

static void
serial_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GVirDomain *domain = task_data;
  g_autoptr (GError) error = NULL;
  virDomainPtr handle = NULL;
  virStreamPtr st;
  GVirStream *stream;

  g_object_get (domain, "handle", &handle, NULL);
  st = virStreamNew (virDomainGetConnect (handle), VIR_STREAM_NONBLOCK);
  virDomainFree (handle);
  if (st == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not open the serial console")));
      return;
    }
  /* GVirStream's handle property takes over the reference. */
  stream = g_object_new (GVIR_TYPE_STREAM, "handle", st, NULL);

  /* FORCE takes the console over from a stale session, as virt-manager does. */
  if (!gvir_domain_open_console (domain, stream, NULL, VIR_DOMAIN_CONSOLE_FORCE, &error))
    {
      g_object_unref (stream);
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not open the serial console")));
      return;
    }
  g_task_return_pointer (task, stream, g_object_unref);
}

void
hangar_vm_open_serial_async (HangarVm            *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  hangar_vm_run_domain_task (self, cancellable, callback, user_data,
                             hangar_vm_open_serial_async, serial_thread);
}

GIOStream *
hangar_vm_open_serial_finish (HangarVm      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gssize
hangar_serial_stream_send (GIOStream     *stream,
                           const void    *data,
                           gsize          size,
                           GError       **error)
{
  GOutputStream *output;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), -1);

  if (GVIR_IS_STREAM (stream))
    return gvir_stream_send (GVIR_STREAM (stream), data, size, NULL, error);
  output = g_io_stream_get_output_stream (stream);
  if (G_IS_POLLABLE_OUTPUT_STREAM (output))
    return g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (output), data,
                                                       size, NULL, error);
  return g_output_stream_write (output, data, size, NULL, error);
}
