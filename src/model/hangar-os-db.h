/* hangar-os-db.h: libosinfo's database of operating systems, loaded once,
 * off the main thread. */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

G_BEGIN_DECLS

#define HANGAR_TYPE_OS_DB (hangar_os_db_get_type ())
G_DECLARE_FINAL_TYPE (HangarOsDb, hangar_os_db, HANGAR, OS_DB, GObject)

HangarOsDb *hangar_os_db_new            (void);
/* Blocks until the database is loaded: call it from worker threads only. */
OsinfoDb   *hangar_os_db_ensure_loaded  (HangarOsDb *self);
/* Thread-safe; loads the database if needed. */
char       *hangar_os_db_dup_os_name    (HangarOsDb *self,
                                         const char *os_id);

G_END_DECLS
