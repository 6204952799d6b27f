/* hangar-storage-pool.c: the "default" storage pool and its volumes, with
 * libvirt-gconfig for the XML. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libvirt/virterror.h>

#include "hangar-error.h"
#include "hangar-storage-pool.h"

#define GIB (G_GUINT64_CONSTANT (1) << 30)

/* libvirt-gconfig 4.0 declares no autoptr cleanups for these. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStoragePool, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStoragePoolTarget, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStorageVol, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigStorageVolTarget, g_object_unref)
#define POOL_NAME "default"

char *
hangar_pool_default_path (gboolean session)
{
  return session ? g_build_filename (g_get_user_data_dir (), "libvirt", "images", NULL)
                 : g_strdup ("/var/lib/libvirt/images");
}

static virStoragePoolPtr
define_default_pool (virConnectPtr  conn,
                     gboolean       session,
                     GError       **error)
{
  g_autoptr (GVirConfigStoragePool) config = gvir_config_storage_pool_new ();
  g_autoptr (GVirConfigStoragePoolTarget) target = gvir_config_storage_pool_target_new ();
  g_autofree char *path = hangar_pool_default_path (session);
  g_autofree char *xml = NULL;
  virStoragePoolPtr pool;

  gvir_config_storage_pool_set_pool_type (config, GVIR_CONFIG_STORAGE_POOL_TYPE_DIR);
  gvir_config_storage_pool_set_name (config, POOL_NAME);
  gvir_config_storage_pool_target_set_path (target, path);
  gvir_config_storage_pool_set_target (config, target);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  pool = virStoragePoolDefineXML (conn, xml, 0);
  if (pool == NULL)
    {
      *error = hangar_error_from_libvirt (_("Could not make the “default” storage pool"));
      return NULL;
    }
  /* Build makes the folder; autostart keeps the pool there after a reboot. */
  if (virStoragePoolBuild (pool, 0) < 0 || virStoragePoolSetAutostart (pool, 1) < 0)
    {
      *error = hangar_error_from_libvirt (_("Could not make the “default” storage pool"));
      virStoragePoolUndefine (pool);
      virStoragePoolFree (pool);
      return NULL;
    }
  return pool;
}

virStorageVolPtr
hangar_pool_create_volume (virConnectPtr  conn,
                           gboolean       session,
                           const char    *name,
                           guint64        gib,
                           GError       **error)
{
  g_autoptr (GVirConfigStorageVol) config = gvir_config_storage_vol_new ();
  g_autoptr (GVirConfigStorageVolTarget) target = gvir_config_storage_vol_target_new ();
  g_autofree char *xml = NULL;
  virStoragePoolPtr pool = virStoragePoolLookupByName (conn, POOL_NAME);
  virStoragePoolInfo info;
  virStorageVolPtr existing, volume;

  virResetLastError ();
  if (pool == NULL && (pool = define_default_pool (conn, session, error)) == NULL)
    return NULL;
  if (virStoragePoolIsActive (pool) != 1 && virStoragePoolCreate (pool, 0) < 0)
    {
      *error = hangar_error_from_libvirt (_("Could not start the “default” storage pool"));
      virStoragePoolFree (pool);
      return NULL;
    }
  /* Files put there by hand count too. */
  virStoragePoolRefresh (pool, 0);
  if (virStoragePoolGetInfo (pool, &info) == 0 && info.available < gib * GIB)
    {
      g_autofree char *want = g_format_size (gib * GIB);
      g_autofree char *have = g_format_size (info.available);

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                   _("The disk needs %s but the “default” storage pool has only %s free."),
                   want, have);
      virStoragePoolFree (pool);
      return NULL;
    }
  existing = virStorageVolLookupByName (pool, name);
  virResetLastError ();
  if (existing != NULL)
    {
      virStorageVolFree (existing);
      virStoragePoolFree (pool);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The “default” storage pool has a volume called %s already; Hangar never "
                     "overwrites a disk image. Choose another name."), name);
      return NULL;
    }
  gvir_config_storage_vol_set_name (config, name);
  gvir_config_storage_vol_set_capacity (config, gib * GIB);
  gvir_config_storage_vol_set_allocation (config, 0);
  gvir_config_storage_vol_target_set_format (target, "qcow2");
  gvir_config_storage_vol_set_target (config, target);
  xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  volume = virStorageVolCreateXML (pool, xml, 0);
  if (volume == NULL)
    *error = hangar_error_from_libvirt (_("Could not create the disk image"));
  virStoragePoolFree (pool);
  return volume;
}
