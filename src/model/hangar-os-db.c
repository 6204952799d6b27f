/* hangar-os-db.c: loads osinfo-db on first use and answers lookups.
 *
 * Loading takes a noticeable time (thousands of XML files), so it happens in
 * whichever worker thread first needs it; the mutex keeps later callers
 * waiting for the same load rather than starting their own. */
#include "config.h"

#include "hangar-os-db.h"

struct _HangarOsDb
{
  GObject   parent_instance;

  GMutex    lock;
  OsinfoDb *db;
  gboolean  load_failed;
};

G_DEFINE_FINAL_TYPE (HangarOsDb, hangar_os_db, G_TYPE_OBJECT)

HangarOsDb *
hangar_os_db_new (void)
{
  return g_object_new (HANGAR_TYPE_OS_DB, NULL);
}

OsinfoDb *
hangar_os_db_ensure_loaded (HangarOsDb *self)
{
  OsinfoDb *db;

  g_return_val_if_fail (HANGAR_IS_OS_DB (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->db == NULL && !self->load_failed)
    {
      g_autoptr (OsinfoLoader) loader = osinfo_loader_new ();
      g_autoptr (GError) error = NULL;

      osinfo_loader_process_default_path (loader, &error);
      if (error != NULL)
        {
          g_warning ("Could not load the OS database: %s", error->message);
          self->load_failed = TRUE;
        }
      else
        self->db = g_object_ref (osinfo_loader_get_db (loader));
    }
  db = self->db;
  g_mutex_unlock (&self->lock);
  return db;
}

char *
hangar_os_db_dup_os_name (HangarOsDb *self,
                          const char *os_id)
{
  OsinfoDb *db;
  OsinfoOs *os;
  char *name = NULL;

  if (os_id == NULL)
    return NULL;
  db = hangar_os_db_ensure_loaded (self);
  if (db == NULL)
    return NULL;

  g_mutex_lock (&self->lock);
  os = osinfo_db_get_os (db, os_id);
  if (os != NULL)
    name = g_strdup (osinfo_product_get_name (OSINFO_PRODUCT (os)));
  g_mutex_unlock (&self->lock);
  return name;
}

static void
hangar_os_db_finalize (GObject *object)
{
  HangarOsDb *self = HANGAR_OS_DB (object);

  g_clear_object (&self->db);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (hangar_os_db_parent_class)->finalize (object);
}

static void
hangar_os_db_class_init (HangarOsDbClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangar_os_db_finalize;
}

static void
hangar_os_db_init (HangarOsDb *self)
{
  g_mutex_init (&self->lock);
}
