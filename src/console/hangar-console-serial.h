/* hangar-console-serial.h: the guest's serial console in a terminal (VTE). */
#pragma once

#include "hangar-console.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_CONSOLE_SERIAL (hangar_console_serial_get_type ())
G_DECLARE_FINAL_TYPE (HangarConsoleSerial, hangar_console_serial, HANGAR, CONSOLE_SERIAL, HangarConsole)

GtkWidget *hangar_console_serial_new (void);

G_END_DECLS
