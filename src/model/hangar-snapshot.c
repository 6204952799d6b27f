/* hangar-snapshot.c: one snapshot, read from libvirt's snapshot description
 * (libvirt-gconfig), and the parent/children links that make the tree. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hangar-snapshot.h"

struct _HangarSnapshot
{
  GObject              parent_instance;

  char                *name;
  char                *parent_name;
  char                *description;
  gint64               creation_time;
  HangarSnapshotState  state;
  HangarSnapshotKind   kind;
  gboolean             is_current;
  GStrv                overlays;

  HangarSnapshot      *parent;    /* not owned */
  GPtrArray           *children;  /* of HangarSnapshot, owned */
};

G_DEFINE_FINAL_TYPE (HangarSnapshot, hangar_snapshot, G_TYPE_OBJECT)

static void
hangar_snapshot_finalize (GObject *object)
{
  HangarSnapshot *self = HANGAR_SNAPSHOT (object);

  g_free (self->name);
  g_free (self->parent_name);
  g_free (self->description);
  g_strfreev (self->overlays);
  g_ptr_array_unref (self->children);

  G_OBJECT_CLASS (hangar_snapshot_parent_class)->finalize (object);
}

static void
hangar_snapshot_class_init (HangarSnapshotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hangar_snapshot_finalize;
}

static void
hangar_snapshot_init (HangarSnapshot *self)
{
  self->children = g_ptr_array_new_with_free_func (g_object_unref);
}

static HangarSnapshotState
state_from_config (GVirConfigDomainSnapshotDomainState state)
{
  switch (state)
    {
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_RUNNING:
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_BLOCKED:
      return HANGAR_SNAPSHOT_STATE_RUNNING;
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_PAUSED:
      return HANGAR_SNAPSHOT_STATE_PAUSED;
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_SHUTOFF:
      return HANGAR_SNAPSHOT_STATE_SHUT_OFF;
    case GVIR_CONFIG_DOMAIN_SNAPSHOT_DOMAIN_STATE_DISK_SNAPSHOT:
      return HANGAR_SNAPSHOT_STATE_DISK_ONLY;
    default:
      return HANGAR_SNAPSHOT_STATE_OTHER;
    }
}

HangarSnapshot *
hangar_snapshot_new_from_config (GVirConfigDomainSnapshot *config,
                                 gboolean                  is_current)
{
  HangarSnapshot *self;
  g_autoptr (GPtrArray) overlays = g_ptr_array_new_with_free_func (g_free);
  GList *disks;

  g_return_val_if_fail (GVIR_CONFIG_IS_DOMAIN_SNAPSHOT (config), NULL);

  self = g_object_new (HANGAR_TYPE_SNAPSHOT, NULL);
  self->name = g_strdup (gvir_config_domain_snapshot_get_name (config));
  self->parent_name = g_strdup (gvir_config_domain_snapshot_get_parent (config));
  self->description = g_strdup (gvir_config_domain_snapshot_get_description (config));
  self->creation_time = (gint64) gvir_config_domain_snapshot_get_creation_time (config);
  self->state = state_from_config (gvir_config_domain_snapshot_get_state (config));
  self->is_current = is_current;
  self->kind = HANGAR_SNAPSHOT_KIND_INTERNAL;

  /* Not gvir_config_domain_snapshot_get_memory_state (): libvirt writes
   * snapshot='no', which libvirt-gconfig 4.0 does not know. */
  if (gvir_config_domain_snapshot_get_memory_file (config) != NULL)
    self->kind = HANGAR_SNAPSHOT_KIND_EXTERNAL;

  disks = gvir_config_domain_snapshot_get_disks (config);
  for (GList *l = disks; l != NULL; l = l->next)
    {
      GVirConfigDomainSnapshotDisk *disk = l->data;

      if (gvir_config_domain_snapshot_disk_get_snapshot_type (disk) ==
          GVIR_CONFIG_DOMAIN_DISK_SNAPSHOT_EXTERNAL)
        {
          const char *file = gvir_config_domain_snapshot_disk_get_source_file (disk);

          self->kind = HANGAR_SNAPSHOT_KIND_EXTERNAL;
          if (file != NULL)
            g_ptr_array_add (overlays, g_strdup (file));
        }
    }
  g_list_free_full (disks, g_object_unref);
  g_ptr_array_add (overlays, NULL);
  self->overlays = (GStrv) g_ptr_array_steal (overlays, NULL);

  return self;
}

const char *
hangar_snapshot_get_name (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return self->name;
}

const char *
hangar_snapshot_get_parent_name (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return self->parent_name;
}

const char *
hangar_snapshot_get_description (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return self->description;
}

gint64
hangar_snapshot_get_creation_time (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), 0);
  return self->creation_time;
}

HangarSnapshotState
hangar_snapshot_get_state (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), HANGAR_SNAPSHOT_STATE_OTHER);
  return self->state;
}

HangarSnapshotKind
hangar_snapshot_get_kind (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), HANGAR_SNAPSHOT_KIND_INTERNAL);
  return self->kind;
}

gboolean
hangar_snapshot_get_is_current (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), FALSE);
  return self->is_current;
}

const char * const *
hangar_snapshot_get_overlays (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return (const char * const *) self->overlays;
}

HangarSnapshot *
hangar_snapshot_get_parent (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return self->parent;
}

GPtrArray *
hangar_snapshot_get_children (HangarSnapshot *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), NULL);
  return self->children;
}

guint
hangar_snapshot_count_descendants (HangarSnapshot *self)
{
  guint n = 0;

  g_return_val_if_fail (HANGAR_IS_SNAPSHOT (self), 0);
  for (guint i = 0; i < self->children->len; i++)
    n += 1 + hangar_snapshot_count_descendants (g_ptr_array_index (self->children, i));
  return n;
}

const char *
hangar_snapshot_state_to_label (HangarSnapshotState state)
{
  switch (state)
    {
    case HANGAR_SNAPSHOT_STATE_RUNNING:
      return _("Running");
    case HANGAR_SNAPSHOT_STATE_PAUSED:
      return _("Paused");
    case HANGAR_SNAPSHOT_STATE_SHUT_OFF:
      return _("Shut off");
    case HANGAR_SNAPSHOT_STATE_DISK_ONLY:
      return _("Disks only");
    case HANGAR_SNAPSHOT_STATE_OTHER:
    default:
      return _("Other");
    }
}

const char *
hangar_snapshot_kind_to_label (HangarSnapshotKind kind)
{
  return kind == HANGAR_SNAPSHOT_KIND_EXTERNAL ? _("External") : _("Internal");
}

static int
compare_age (gconstpointer a,
             gconstpointer b)
{
  HangarSnapshot *sa = *(HangarSnapshot **) a;
  HangarSnapshot *sb = *(HangarSnapshot **) b;

  if (sa->creation_time != sb->creation_time)
    return sa->creation_time < sb->creation_time ? -1 : 1;
  return g_strcmp0 (sa->name, sb->name);
}

GPtrArray *
hangar_snapshot_link_tree (GPtrArray *snapshots)
{
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *roots = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (snapshots != NULL, roots);

  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      g_ptr_array_set_size (snapshot->children, 0);
      snapshot->parent = NULL;
      g_hash_table_insert (by_name, snapshot->name, snapshot);
    }

  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      HangarSnapshot *parent = NULL;

      if (snapshot->parent_name != NULL)
        parent = g_hash_table_lookup (by_name, snapshot->parent_name);
      if (parent != NULL && parent != snapshot)
        {
          snapshot->parent = parent;
          g_ptr_array_add (parent->children, g_object_ref (snapshot));
        }
      else
        g_ptr_array_add (roots, g_object_ref (snapshot));
    }

  for (guint i = 0; i < snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (snapshots, i);

      g_ptr_array_sort (snapshot->children, compare_age);
    }
  g_ptr_array_sort (roots, compare_age);
  return roots;
}

char *
hangar_snapshot_thumbnail_path (const char *vm_uuid,
                                const char *name)
{
  g_autofree char *file = NULL;

  g_return_val_if_fail (vm_uuid != NULL && name != NULL, NULL);

  /* Hangar never makes such names, but another tool might: no picture. */
  if (strchr (name, '/') != NULL || name[0] == '.' || name[0] == '\0')
    return NULL;

  file = g_strconcat (name, ".png", NULL);
  return g_build_filename (g_get_user_data_dir (), "hangar", "snapshots", vm_uuid, file, NULL);
}

void
hangar_snapshot_remove_thumbnails (const char *vm_uuid)
{
  g_autofree char *dir = NULL;
  g_autoptr (GDir) listing = NULL;
  const char *file;

  g_return_if_fail (vm_uuid != NULL && strchr (vm_uuid, '/') == NULL && vm_uuid[0] != '\0' &&
                    vm_uuid[0] != '.');

  dir = g_build_filename (g_get_user_data_dir (), "hangar", "snapshots", vm_uuid, NULL);
  listing = g_dir_open (dir, 0, NULL);
  if (listing == NULL)
    return;
  /* Only the pictures Hangar made there. */
  while ((file = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (file, ".png") || g_str_has_suffix (file, ".png.part"))
      {
        g_autofree char *path = g_build_filename (dir, file, NULL);

        if (g_unlink (path) < 0)
          g_debug ("Could not remove %s: %s", path, g_strerror (errno));
      }
  g_rmdir (dir);
}
