/* hangar-console-vnc.h: a guest display over VNC (gtk-vnc). */
#pragma once

#include "hangar-console.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_CONSOLE_VNC (hangar_console_vnc_get_type ())
G_DECLARE_FINAL_TYPE (HangarConsoleVnc, hangar_console_vnc, HANGAR, CONSOLE_VNC, HangarConsole)

GtkWidget *hangar_console_vnc_new (void);

G_END_DECLS
