/* hangar-console-spice.h: a guest display over SPICE (spice-gtk). */
#pragma once

#include "hangar-console.h"

G_BEGIN_DECLS

#define HANGAR_TYPE_CONSOLE_SPICE (hangar_console_spice_get_type ())
G_DECLARE_FINAL_TYPE (HangarConsoleSpice, hangar_console_spice, HANGAR, CONSOLE_SPICE, HangarConsole)

GtkWidget *hangar_console_spice_new                 (void);
/* A widget listing host USB devices to redirect into the guest, or NULL. */
GtkWidget *hangar_console_spice_create_usb_widget   (HangarConsoleSpice *self);

G_END_DECLS
