/* hangar-vm-console.h: what a console view needs from a VM: its display and
 * serial endpoints, reached without any TCP port on local connections. */
#pragma once

#include <gio/gio.h>

#include "hangar-vm.h"

G_BEGIN_DECLS

typedef enum
{
  HANGAR_DISPLAY_NONE,
  HANGAR_DISPLAY_VNC,
  HANGAR_DISPLAY_SPICE,
} HangarDisplayKind;

typedef struct
{
  HangarDisplayKind  display;
  gboolean           has_serial;
  /* A connected socket to display 0 when it could be opened in the same
   * trip (the VM was running), else -1. Take it with
   * hangar_console_info_steal_graphics_fd (); freeing the info closes it. */
  int                graphics_fd;
} HangarConsoleInfo;

void               hangar_console_info_free            (HangarConsoleInfo *info);
int                hangar_console_info_steal_graphics_fd (HangarConsoleInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarConsoleInfo, hangar_console_info_free)

/* Reads the VM's live (or inactive) configuration for its console devices,
 * and opens its display's socket in the same worker trip when it can. */
void               hangar_vm_get_console_info_async    (HangarVm            *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
HangarConsoleInfo *hangar_vm_get_console_info_finish   (HangarVm      *self,
                                                        GAsyncResult  *result,
                                                        GError       **error);

/* A connected socket to the VM's display number @index, made by libvirt
 * (virDomainOpenGraphicsFD): works for displays that listen on nothing. */
void               hangar_vm_open_graphics_fd_async    (HangarVm            *self,
                                                        guint                index,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
int                hangar_vm_open_graphics_fd_finish   (HangarVm      *self,
                                                        GAsyncResult  *result,
                                                        GError       **error);

/* A stream to the VM's first serial console (virDomainOpenConsole). */
void               hangar_vm_open_serial_async         (HangarVm            *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
GIOStream         *hangar_vm_open_serial_finish        (HangarVm      *self,
                                                        GAsyncResult  *result,
                                                        GError       **error);

/* Writes what it can of @data to a serial stream without waiting: the byte
 * count, or -1 with G_IO_ERROR_WOULD_BLOCK when nothing can be written now.
 * (libvirt-gobject's asynchronous writes fail when the stream turns
 * readable while a write waits, which a guest's echo always does.) */
gssize             hangar_serial_stream_send           (GIOStream     *stream,
                                                        const void    *data,
                                                        gsize          size,
                                                        GError       **error);

G_END_DECLS
