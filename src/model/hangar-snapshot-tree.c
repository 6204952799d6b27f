/* hangar-snapshot-tree.c: a VM's snapshots (listed through libvirt-gobject,
 * read and written with libvirt-gconfig) and the operations on them.
 *
 * Every operation runs in a GTask thread, checks everything it can before it
 * changes anything, and reads the snapshot list again before it finishes, so
 * that the tree is current when the caller's callback runs. One operation at
 * a time per tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>

#include "hangar-error.h"
#include "hangar-config-util.h"
#include "hangar-snapshot-tree.h"

/* The longest side of a stored screen picture. */
#define THUMBNAIL_MAX 480
#define NAME_MAX_CHARS 100

/* libvirt-glib 4.0 declares no autoptr cleanups. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainSnapshot, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainSnapshotDisk, g_object_unref)

struct _HangarSnapshotTree
{
  GObject         parent_instance;

  HangarVm       *vm;
  GPtrArray      *snapshots;  /* flat, of HangarSnapshot */
  GPtrArray      *roots;
  gint64          fetched_at;  /* of the list shown */
  gboolean        busy;
};

enum
{
  PROP_0,
  PROP_VM,
  PROP_BUSY,
  N_PROPS
};

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HangarSnapshotTree, hangar_snapshot_tree, G_TYPE_OBJECT)

/* ------------------------------------------------------------------ */
/* Plans                                                               */

void
hangar_snapshot_plan_free (HangarSnapshotPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->suggested_name);
  g_free (plan->not_qcow2_disk);
  g_free (plan);
}

HangarSnapshotKind
hangar_snapshot_plan_get_kind (const HangarSnapshotPlan *plan,
                               gboolean                  include_memory)
{
  g_return_val_if_fail (plan != NULL, HANGAR_SNAPSHOT_KIND_INTERNAL);

  if (plan->n_disks == 0)
    return HANGAR_SNAPSHOT_KIND_INTERNAL;
  if (!plan->all_qcow2)
    return HANGAR_SNAPSHOT_KIND_EXTERNAL;
  if (!plan->vm_active)
    return HANGAR_SNAPSHOT_KIND_INTERNAL;
  /* QEMU takes internal snapshots of a running VM only with its memory,
   * and libvirt 9 not at all with pflash firmware. */
  return include_memory && plan->memory_possible ? HANGAR_SNAPSHOT_KIND_INTERNAL
                                                 : HANGAR_SNAPSHOT_KIND_EXTERNAL;
}

char *
hangar_snapshot_plan_explain (const HangarSnapshotPlan *plan,
                              gboolean                  include_memory)
{
  g_return_val_if_fail (plan != NULL, NULL);

  if (plan->impossible)
    return g_strdup (_("This VM has no disk image: QEMU keeps a running VM’s memory state in a "
                       "qcow2 disk image, so there is nowhere to store a snapshot while it runs. "
                       "Shut the VM down to take one."));
  if (hangar_snapshot_plan_get_kind (plan, include_memory) == HANGAR_SNAPSHOT_KIND_INTERNAL)
    {
      if (plan->n_disks == 0)
        return g_strdup (_("Internal snapshot: this VM has no disks, so only its state is "
                           "recorded."));
      if (plan->vm_active)
        return g_strdup (_("Internal snapshot: the disks and the memory state are stored "
                           "inside the VM’s qcow2 disk images."));
      return g_strdup (_("Internal snapshot: stored inside the VM’s qcow2 disk images."));
    }

  if (!plan->all_qcow2)
    return g_strdup_printf (_("External snapshot: the disk “%s” is not a qcow2 image, so the "
                              "snapshot keeps it unchanged and new writes go to an overlay "
                              "file next to it. Reverting to it needs the VM shut off."),
                            plan->not_qcow2_disk != NULL ? plan->not_qcow2_disk : "");
  if (plan->pflash)
    return g_strdup (_("External snapshot of the disks only: this VM uses UEFI firmware, and "
                       "while it runs libvirt cannot store its memory state. Shut the VM down "
                       "for an internal snapshot. Reverting to it needs the VM shut off."));
  return g_strdup (_("External snapshot of the disks only: without the memory state, a running "
                     "VM’s disks are captured by putting overlay files on top of them. "
                     "Reverting to it needs the VM shut off."));
}

/* ------------------------------------------------------------------ */
/* libvirt helpers (worker threads)                                    */

static virDomainPtr
dup_handle (GVirDomain *domain)
{
  virDomainPtr handle = NULL;

  g_object_get (domain, "handle", &handle, NULL);
  return handle;
}

static gboolean
domain_is_active (virDomainPtr handle)
{
  int state = 0, reason = 0;

  if (virDomainGetState (handle, &state, &reason, 0) < 0)
    {
      virResetLastError ();
      return FALSE;
    }
  return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_PAUSED ||
         state == VIR_DOMAIN_BLOCKED || state == VIR_DOMAIN_SHUTDOWN ||
         state == VIR_DOMAIN_PMSUSPENDED;
}

static GVirConfigDomain *
read_domain_config (virDomainPtr   handle,
                    guint          flags,
                    GError       **error)
{
  char *xml = virDomainGetXMLDesc (handle, flags);
  GVirConfigDomain *config;
  GError *local_error = NULL;

  if (xml == NULL)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return NULL;
    }
  config = gvir_config_domain_new_from_xml (xml, &local_error);
  free (xml);
  if (config == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Could not read the VM’s configuration: %s"), local_error->message);
      g_clear_error (&local_error);
    }
  return config;
}

static gboolean
disk_is_snapshottable (GVirConfigDomainDisk *disk)
{
  return gvir_config_domain_disk_get_guest_device_type (disk) ==
         GVIR_CONFIG_DOMAIN_DISK_GUEST_DEVICE_DISK;
}

static const char *
disk_format_name (GVirConfigDomainDisk *disk)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (GVIR_CONFIG_TYPE_DOMAIN_DISK_FORMAT);
  GVirConfigDomainDiskDriver *driver = gvir_config_domain_disk_get_driver (disk);
  GEnumValue *value;
  GVirConfigDomainDiskFormat format;

  if (driver == NULL)
    return "raw";
  format = gvir_config_domain_disk_driver_get_format (driver);
  g_object_unref (driver);
  value = g_enum_get_value (klass, format);
  return value != NULL ? value->value_nick : "raw";
}

/* Whether the firmware is loaded as pflash (UEFI with NVRAM): libvirt-gconfig
 * has no getter for the loader, so ask the XML itself. */
static gboolean
xml_has_pflash (const char *xml)
{
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr context;
  xmlXPathObjectPtr found;
  gboolean pflash = FALSE;

  if (doc == NULL)
    return FALSE;
  context = xmlXPathNewContext (doc);
  found = xmlXPathEvalExpression ((const xmlChar *)
                                  "/domain/os[@firmware='efi'] | /domain/os/loader[@type='pflash']",
                                  context);
  pflash = found != NULL && found->nodesetval != NULL && found->nodesetval->nodeNr > 0;
  xmlXPathFreeObject (found);
  xmlXPathFreeContext (context);
  xmlFreeDoc (doc);
  return pflash;
}


/* libvirt-gconfig 4.0 writes and reads a snapshot disk's name as a <name>
 * child, where libvirt has a name attribute. These two work on the XML tree
 * with libxml2 instead. */

/* Moves each /domainsnapshot/disks/disk/name child into a name attribute. */
static char *
fix_disk_names (const char *xml)
{
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), "snapshot.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr context;
  xmlXPathObjectPtr found;
  xmlChar *out = NULL;
  int out_len = 0;
  char *result;

  if (doc == NULL)
    return g_strdup (xml);
  context = xmlXPathNewContext (doc);
  found = xmlXPathEvalExpression ((const xmlChar *) "/domainsnapshot/disks/disk/name", context);
  for (int i = 0; found != NULL && found->nodesetval != NULL && i < found->nodesetval->nodeNr; i++)
    {
      xmlNodePtr name = found->nodesetval->nodeTab[i];
      xmlChar *value = xmlNodeGetContent (name);

      xmlSetProp (name->parent, (const xmlChar *) "name", value);
      xmlFree (value);
      xmlUnlinkNode (name);
      xmlFreeNode (name);
    }
  xmlXPathFreeObject (found);
  xmlXPathFreeContext (context);
  xmlDocDumpMemory (doc, &out, &out_len);
  result = g_strndup ((const char *) out, (gsize) out_len);
  xmlFree (out);
  xmlFreeDoc (doc);
  return result;
}

typedef struct
{
  char *target;   /* the disk's target (vda) */
  char *overlay;  /* the overlay file libvirt made, if known */
} ExternalDisk;

static void
external_disk_free (ExternalDisk *disk)
{
  g_free (disk->target);
  g_free (disk->overlay);
  g_free (disk);
}

/* The disks a snapshot keeps externally. */
static GPtrArray *
external_disks (GVirConfigDomainSnapshot *config)
{
  g_autofree char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  GPtrArray *disks = g_ptr_array_new_with_free_func ((GDestroyNotify) external_disk_free);
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), "snapshot.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlXPathContextPtr context;
  xmlXPathObjectPtr found;

  if (doc == NULL)
    return disks;
  context = xmlXPathNewContext (doc);
  found = xmlXPathEvalExpression ((const xmlChar *)
                                  "/domainsnapshot/disks/disk[@snapshot='external']", context);
  for (int i = 0; found != NULL && found->nodesetval != NULL && i < found->nodesetval->nodeNr; i++)
    {
      xmlNodePtr node = found->nodesetval->nodeTab[i];
      xmlChar *name = xmlGetProp (node, (const xmlChar *) "name");
      ExternalDisk *disk;

      if (name == NULL)
        continue;
      disk = g_new0 (ExternalDisk, 1);
      disk->target = g_strdup ((const char *) name);
      xmlFree (name);
      for (xmlNodePtr child = node->children; child != NULL; child = child->next)
        if (child->type == XML_ELEMENT_NODE && xmlStrEqual (child->name, (const xmlChar *) "source"))
          {
            xmlChar *file = xmlGetProp (child, (const xmlChar *) "file");

            if (file != NULL)
              disk->overlay = g_strdup ((const char *) file);
            xmlFree (file);
          }
      g_ptr_array_add (disks, disk);
    }
  xmlXPathFreeObject (found);
  xmlXPathFreeContext (context);
  xmlFreeDoc (doc);
  return disks;
}

/* The VM's configuration when the snapshot was taken, as an object of its
 * own: gvir_config_domain_snapshot_get_domain () shares the snapshot's XML
 * document without holding it, and freeing both frees it twice. */
static GVirConfigDomain *
snapshot_domain_config (GVirConfigDomainSnapshot *config)
{
  g_autofree char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), "snapshot.xml", NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  GVirConfigDomain *domain = NULL;

  if (doc == NULL)
    return NULL;
  for (xmlNodePtr child = xmlDocGetRootElement (doc)->children; child != NULL; child = child->next)
    if (child->type == XML_ELEMENT_NODE && xmlStrEqual (child->name, (const xmlChar *) "domain"))
      {
        xmlBufferPtr buffer = xmlBufferCreate ();

        xmlNodeDump (buffer, doc, child, 0, 0);
        domain = gvir_config_domain_new_from_xml ((const char *) xmlBufferContent (buffer), NULL);
        xmlBufferFree (buffer);
        break;
      }
  xmlFreeDoc (doc);
  return domain;
}

static HangarSnapshotPlan *
make_plan (virDomainPtr   handle,
           GError       **error)
{
  g_autoptr (GVirConfigDomain) config = NULL;
  g_autofree char *xml = NULL;
  HangarSnapshotPlan *plan;
  GList *devices;
  char *raw_xml;

  raw_xml = virDomainGetXMLDesc (handle, 0);
  if (raw_xml == NULL)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not read the VM’s configuration")));
      return NULL;
    }
  xml = g_strdup (raw_xml);
  free (raw_xml);
  config = gvir_config_domain_new_from_xml (xml, error);
  if (config == NULL)
    return NULL;

  plan = g_new0 (HangarSnapshotPlan, 1);
  plan->vm_active = domain_is_active (handle);
  plan->pflash = xml_has_pflash (xml);
  plan->all_qcow2 = TRUE;

  devices = gvir_config_domain_get_devices (config);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      GVirConfigDomainDisk *disk;

      if (!GVIR_CONFIG_IS_DOMAIN_DISK (l->data))
        continue;
      disk = l->data;
      if (!disk_is_snapshottable (disk))
        continue;
      plan->n_disks++;
      if (g_strcmp0 (disk_format_name (disk), "qcow2") != 0 && plan->all_qcow2)
        {
          const char *source = gvir_config_domain_disk_get_source (disk);

          plan->all_qcow2 = FALSE;
          plan->not_qcow2_disk = g_strdup (source != NULL ? source
                                                          : gvir_config_domain_disk_get_target_dev (disk));
        }
    }
  g_list_free_full (devices, g_object_unref);

  /* libvirt's test driver keeps snapshots as metadata only, all internal. */
  if (g_strcmp0 (virConnectGetType (virDomainGetConnect (handle)), "TEST") == 0)
    {
      plan->all_qcow2 = TRUE;
      plan->pflash = FALSE;
      g_clear_pointer (&plan->not_qcow2_disk, g_free);
    }
  else if (plan->vm_active && plan->n_disks == 0)
    plan->impossible = TRUE;

  plan->memory_possible = plan->vm_active && plan->all_qcow2 && !plan->pflash &&
                          !plan->impossible;
  return plan;
}

/* The snapshot list, read in a worker thread. */
static GPtrArray *
fetch_snapshots (GVirDomain  *domain,
                 GError     **error)
{
  GPtrArray *snapshots;
  GList *list;
  GError *local_error = NULL;

  if (!gvir_domain_fetch_snapshots (domain, GVIR_DOMAIN_SNAPSHOT_LIST_ALL, NULL, &local_error))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                   _("Could not list the VM’s snapshots: %s"), local_error->message);
      g_clear_error (&local_error);
      return NULL;
    }

  snapshots = g_ptr_array_new_with_free_func (g_object_unref);
  list = gvir_domain_get_snapshots (domain);
  for (GList *l = list; l != NULL; l = l->next)
    {
      GVirDomainSnapshot *snapshot = l->data;
      g_autoptr (GVirConfigDomainSnapshot) config = NULL;
      gboolean is_current = FALSE;

      config = gvir_domain_snapshot_get_config (snapshot, VIR_DOMAIN_SNAPSHOT_XML_SECURE,
                                                &local_error);
      if (config == NULL)
        {
          /* Deleted meanwhile (by another tool): leave it out. */
          g_debug ("Skipping snapshot %s: %s", gvir_domain_snapshot_get_name (snapshot),
                   local_error->message);
          g_clear_error (&local_error);
          continue;
        }
      if (!gvir_domain_snapshot_get_is_current (snapshot, 0, &is_current, &local_error))
        g_clear_error (&local_error);
      g_ptr_array_add (snapshots, hangar_snapshot_new_from_config (config, is_current));
    }
  g_list_free_full (list, g_object_unref);
  return snapshots;
}

static virDomainSnapshotPtr
lookup_snapshot (virDomainPtr   handle,
                 const char    *name,
                 GError       **error)
{
  virDomainSnapshotPtr snapshot = virDomainSnapshotLookupByName (handle, name, 0);

  if (snapshot == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("There is no snapshot “%s”"), name);

      g_propagate_error (error, hangar_error_from_libvirt (what));
    }
  return snapshot;
}

static GVirConfigDomainSnapshot *
read_snapshot_config (virDomainSnapshotPtr   snapshot,
                      GError               **error)
{
  char *xml = virDomainSnapshotGetXMLDesc (snapshot, VIR_DOMAIN_SNAPSHOT_XML_SECURE);
  GVirConfigDomainSnapshot *config;

  if (xml == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Could not read the snapshot “%s”"),
                                               virDomainSnapshotGetName (snapshot));

      g_propagate_error (error, hangar_error_from_libvirt (what));
      return NULL;
    }
  config = gvir_config_domain_snapshot_new_from_xml (xml, error);
  free (xml);
  return config;
}

static gboolean
snapshot_is_external (GVirConfigDomainSnapshot *config)
{
  g_autoptr (HangarSnapshot) snapshot = hangar_snapshot_new_from_config (config, FALSE);

  return hangar_snapshot_get_kind (snapshot) == HANGAR_SNAPSHOT_KIND_EXTERNAL;
}

/* Redefines a snapshot's metadata (e.g. a new description), keeping it the
 * current one when it was. */
static gboolean
redefine_snapshot (virDomainPtr               handle,
                   GVirConfigDomainSnapshot  *config,
                   gboolean                   make_current,
                   GError                   **error)
{
  g_autofree char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  guint flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE;
  virDomainSnapshotPtr snapshot;

  if (make_current)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
  snapshot = virDomainSnapshotCreateXML (handle, xml, flags);
  if (snapshot == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Could not change the snapshot “%s”"),
                                               gvir_config_domain_snapshot_get_name (config));

      g_propagate_error (error, hangar_error_from_libvirt (what));
      return FALSE;
    }
  virDomainSnapshotFree (snapshot);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Names and thumbnails                                                */

static gboolean
check_name_syntax (const char  *name,
                   GError     **error)
{
  {
    g_autofree char *stripped = g_strstrip (g_strdup (name != NULL ? name : ""));

    if (*stripped == '\0')
      {
        g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                             _("Give the snapshot a name."));
        return FALSE;
      }
    if (g_strcmp0 (stripped, name) != 0)
      {
        g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                             _("A snapshot name cannot begin or end with spaces."));
        return FALSE;
      }
  }
  if (!g_utf8_validate (name, -1, NULL) || g_utf8_strlen (name, -1) > NAME_MAX_CHARS)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("A snapshot name can have at most %d characters."), NAME_MAX_CHARS);
      return FALSE;
    }
  if (strchr (name, '/') != NULL || name[0] == '.')
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                           _("A snapshot name cannot contain “/” or begin with “.”: it also "
                             "names files on disk."));
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                             _("A snapshot name cannot contain control characters."));
        return FALSE;
      }
  return TRUE;
}

static gboolean
remove_thumbnail (const char *uuid,
                  const char *name)
{
  g_autofree char *path = hangar_snapshot_thumbnail_path (uuid, name);

  if (path == NULL)
    return TRUE;
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      g_warning ("Could not remove %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static int
append_to_bytes (virStreamPtr  stream,
                 const char   *data,
                 size_t        nbytes,
                 void         *opaque)
{
  g_byte_array_append (opaque, (const guint8 *) data, (guint) nbytes);
  return (int) nbytes;
}

/* The VM's screen as a PNG no larger than THUMBNAIL_MAX, written to @path.
 * Failing is not fatal for a snapshot: it just has no picture. */
static gboolean
save_screenshot (virDomainPtr   handle,
                 const char    *path,
                 GError       **error)
{
  virStreamPtr stream = virStreamNew (virDomainGetConnect (handle), 0);
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GdkPixbuf) scaled = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  GdkPixbuf *pixbuf;
  char *mime;
  int width, height;
  double scale;

  if (stream == NULL)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not take a screenshot")));
      return FALSE;
    }
  mime = virDomainScreenshot (handle, stream, 0, 0);
  if (mime == NULL || virStreamRecvAll (stream, append_to_bytes, bytes) < 0 ||
      virStreamFinish (stream) < 0)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not take a screenshot")));
      virStreamAbort (stream);
      virStreamFree (stream);
      free (mime);
      return FALSE;
    }
  virStreamFree (stream);

  loader = gdk_pixbuf_loader_new_with_mime_type (mime, error);
  free (mime);
  if (loader == NULL)
    return FALSE;
  if (!gdk_pixbuf_loader_write (loader, bytes->data, bytes->len, error) ||
      !gdk_pixbuf_loader_close (loader, error))
    return FALSE;
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  scale = MIN (1.0, (double) THUMBNAIL_MAX / MAX (width, height));
  scaled = gdk_pixbuf_scale_simple (pixbuf, MAX (1, (int) (width * scale)),
                                    MAX (1, (int) (height * scale)), GDK_INTERP_BILINEAR);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO, _("Could not create the folder %s: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }
  return gdk_pixbuf_save (scaled, path, "png", error, NULL);
}

/* ------------------------------------------------------------------ */
/* Operations (worker threads)                                         */

typedef enum
{
  OP_RELOAD,
  OP_PLAN,
  OP_CREATE,
  OP_REVERT,
  OP_DELETE,
  OP_DESCRIBE,
  OP_RENAME,
} OpKind;

typedef struct
{
  OpKind                    kind;
  GVirDomain               *domain;
  char                     *uuid;
  char                     *vm_name;
  char                     *name;
  char                     *description;
  char                     *new_name;
  gboolean                  include_memory;
  HangarSnapshotDeleteMode  mode;

  /* results */
  GError                   *error;
  GPtrArray                *snapshots;
  gint64                    fetched_at;  /* monotonic time of the list */
  HangarSnapshotPlan       *plan;
} OpData;

static void
op_data_free (OpData *data)
{
  g_clear_object (&data->domain);
  g_free (data->uuid);
  g_free (data->vm_name);
  g_free (data->name);
  g_free (data->description);
  g_free (data->new_name);
  g_clear_error (&data->error);
  g_clear_pointer (&data->snapshots, g_ptr_array_unref);
  g_clear_pointer (&data->plan, hangar_snapshot_plan_free);
  g_free (data);
}

static char *
suggest_name (virDomainPtr handle)
{
  for (guint i = (guint) MAX (0, virDomainSnapshotNum (handle, 0)) + 1;; i++)
    {
      char *name = g_strdup_printf (_("Snapshot %u"), i);
      virDomainSnapshotPtr existing = virDomainSnapshotLookupByName (handle, name, 0);

      if (existing == NULL)
        {
          virResetLastError ();
          return name;
        }
      virDomainSnapshotFree (existing);
      g_free (name);
    }
}

static gboolean
run_create (OpData        *data,
            virDomainPtr   handle,
            GError       **error)
{
  g_autoptr (HangarSnapshotPlan) plan = NULL;
  g_autoptr (GVirConfigDomain) domain_config = NULL;
  g_autoptr (GVirConfigDomainSnapshot) config = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *thumbnail = NULL;
  g_autofree char *thumbnail_tmp = NULL;
  virDomainSnapshotPtr existing, snapshot;
  HangarSnapshotKind kind;
  guint flags = 0;
  GList *devices;

  if (!check_name_syntax (data->name, error))
    return FALSE;
  existing = virDomainSnapshotLookupByName (handle, data->name, 0);
  if (existing != NULL)
    {
      virDomainSnapshotFree (existing);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("“%s” already has a snapshot named “%s”. Choose another name."),
                   data->vm_name, data->name);
      return FALSE;
    }
  virResetLastError ();

  plan = make_plan (handle, error);
  if (plan == NULL)
    return FALSE;
  if (plan->impossible)
    {
      g_autofree char *why = hangar_snapshot_plan_explain (plan, data->include_memory);

      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE, why);
      return FALSE;
    }
  kind = hangar_snapshot_plan_get_kind (plan, data->include_memory);
  domain_config = read_domain_config (handle, 0, error);
  if (domain_config == NULL)
    return FALSE;

  config = gvir_config_domain_snapshot_new ();
  gvir_config_domain_snapshot_set_name (config, data->name);
  if (data->description != NULL && *data->description != '\0')
    gvir_config_domain_snapshot_set_description (config, data->description);

  /* Say for every disk what to do, so that libvirt does not guess. */
  devices = gvir_config_domain_get_devices (domain_config);
  for (GList *l = devices; l != NULL; l = l->next)
    {
      GVirConfigDomainDisk *disk;
      g_autoptr (GVirConfigDomainSnapshotDisk) snap_disk = NULL;
      const char *target;

      if (!GVIR_CONFIG_IS_DOMAIN_DISK (l->data))
        continue;
      disk = l->data;
      target = gvir_config_domain_disk_get_target_dev (disk);
      if (target == NULL)
        continue;
      snap_disk = gvir_config_domain_snapshot_disk_new ();
      gvir_config_domain_snapshot_disk_set_name (snap_disk, target);
      if (!disk_is_snapshottable (disk) || gvir_config_domain_disk_get_source (disk) == NULL)
        gvir_config_domain_snapshot_disk_set_snapshot_type (snap_disk,
                                                            GVIR_CONFIG_DOMAIN_DISK_SNAPSHOT_NO);
      else if (kind == HANGAR_SNAPSHOT_KIND_EXTERNAL)
        {
          gvir_config_domain_snapshot_disk_set_snapshot_type (snap_disk,
                                                              GVIR_CONFIG_DOMAIN_DISK_SNAPSHOT_EXTERNAL);
          gvir_config_domain_snapshot_disk_set_driver_format (snap_disk,
                                                              GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
        }
      else
        gvir_config_domain_snapshot_disk_set_snapshot_type (snap_disk,
                                                            GVIR_CONFIG_DOMAIN_DISK_SNAPSHOT_INTERNAL);
      gvir_config_domain_snapshot_add_disk (config, snap_disk);
    }
  g_list_free_full (devices, g_object_unref);

  /* No memory state for external snapshots (libvirt cannot revert to it).
   * Not set_memory_state (NONE): that writes snapshot='none', which libvirt
   * rejects; the disk-only flag says it. */
  if (kind == HANGAR_SNAPSHOT_KIND_EXTERNAL)
    flags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
  else if (plan->vm_active && plan->n_disks > 0)
    gvir_config_domain_snapshot_set_memory_state (config,
                                                  GVIR_CONFIG_DOMAIN_SNAPSHOT_MEMORY_STATE_INTERNAL);

  /* The picture first: it is the screen at the moment of the snapshot. */
  if (plan->vm_active)
    {
      g_autoptr (GError) shot_error = NULL;

      thumbnail = hangar_snapshot_thumbnail_path (data->uuid, data->name);
      thumbnail_tmp = g_strconcat (thumbnail, ".part", NULL);
      if (!save_screenshot (handle, thumbnail_tmp, &shot_error))
        {
          g_debug ("%s: no picture for snapshot %s: %s", data->vm_name, data->name,
                   shot_error->message);
          g_unlink (thumbnail_tmp);
          g_clear_pointer (&thumbnail_tmp, g_free);
        }
    }

  {
    g_autofree char *gconfig_xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));

    xml = fix_disk_names (gconfig_xml);
  }
  snapshot = virDomainSnapshotCreateXML (handle, xml, flags);
  if (snapshot == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Could not take the snapshot “%s” of “%s”"),
                                               data->name, data->vm_name);

      g_propagate_error (error, hangar_error_from_libvirt (what));
      if (thumbnail_tmp != NULL)
        g_unlink (thumbnail_tmp);
      return FALSE;
    }
  virDomainSnapshotFree (snapshot);

  if (thumbnail_tmp != NULL && g_rename (thumbnail_tmp, thumbnail) < 0)
    {
      g_warning ("Could not store %s: %s", thumbnail, g_strerror (errno));
      g_unlink (thumbnail_tmp);
    }
  return TRUE;
}

/* A new file next to @base that did not exist before, made by us. */
static char *
claim_overlay_path (const char  *base,
                    const char  *snapshot_name,
                    GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (base);
  g_autofree char *file = g_path_get_basename (base);

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *candidate_file = g_strdup_printf ("%s.%s-revert-%u", file, snapshot_name, i);
      char *candidate = g_build_filename (dir, candidate_file, NULL);
      int fd = g_open (candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

      if (fd >= 0)
        {
          g_close (fd, NULL);
          return candidate;
        }
      if (errno != EEXIST)
        {
          int saved_errno = errno;

          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                       _("Could not create a new overlay next to “%s”: %s"), base,
                       g_strerror (saved_errno));
          g_free (candidate);
          return NULL;
        }
      g_free (candidate);
    }
  g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
               _("Could not find a free file name next to “%s”."), base);
  return NULL;
}

static gboolean
create_overlay (const char  *path,
                const char  *backing,
                const char  *backing_format,
                GError     **error)
{
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", backing,
                         "-F", backing_format, path, NULL };
  g_autofree char *err_text = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err_text, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_IO,
                   _("Could not create an overlay on “%s”: %s"), backing,
                   err_text != NULL ? g_strstrip (err_text) : "");
      return FALSE;
    }
  return TRUE;
}

/* libvirt 9 cannot revert to external snapshots: point each disk of the
 * shut-off VM at a new overlay on the image the disk had when the snapshot
 * was taken. Nothing is deleted or overwritten. */
static gboolean
revert_external (OpData                    *data,
                 virDomainPtr               handle,
                 GVirConfigDomainSnapshot  *snap_config,
                 GError                   **error)
{
  g_autoptr (GVirConfigDomain) then = snapshot_domain_config (snap_config);
  g_autoptr (GVirConfigDomain) now = NULL;
  g_autoptr (GPtrArray) created = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) new_source = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *xml = NULL;
  g_autoptr (GPtrArray) snap_disks = NULL;
  GList *then_devices, *now_devices;
  gboolean ok = TRUE;
  virDomainPtr defined;

  if (domain_is_active (handle))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_STATE,
                   _("“%s” is an external snapshot: shut “%s” down before reverting to it. "
                     "Nothing was changed."), data->name, data->vm_name);
      return FALSE;
    }
  if (then == NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("The snapshot “%s” does not record the VM’s disks; it cannot be reverted "
                     "to. Nothing was changed."), data->name);
      return FALSE;
    }
  now = read_domain_config (handle, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, error);
  if (now == NULL)
    return FALSE;

  snap_disks = external_disks (snap_config);
  then_devices = gvir_config_domain_get_devices (then);
  /* Check every disk first, then create every overlay, then redefine. */
  for (guint i = 0; i < snap_disks->len && ok; i++)
    {
      ExternalDisk *snap_disk = g_ptr_array_index (snap_disks, i);
      const char *target = snap_disk->target;
      const char *base = NULL, *format = "raw";

      for (GList *d = then_devices; d != NULL; d = d->next)
        if (GVIR_CONFIG_IS_DOMAIN_DISK (d->data) &&
            g_strcmp0 (gvir_config_domain_disk_get_target_dev (d->data), target) == 0)
          {
            base = gvir_config_domain_disk_get_source (d->data);
            format = disk_format_name (d->data);
          }
      if (base == NULL || !g_file_test (base, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                       _("The image of disk %s at the time of “%s” (%s) is missing. "
                         "Nothing was changed."), target, data->name, base != NULL ? base : "?");
          ok = FALSE;
          break;
        }
      g_hash_table_insert (new_source, g_strdup (target), g_strdup (base));
      g_hash_table_insert (new_source, g_strconcat (target, "#format", NULL), g_strdup (format));
    }

  if (ok)
    {
      GHashTableIter iter;
      gpointer key, value;
      g_autoptr (GHashTable) overlays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

      g_hash_table_iter_init (&iter, new_source);
      while (ok && g_hash_table_iter_next (&iter, &key, &value))
        {
          g_autofree char *format_key = NULL;
          char *path;

          if (g_str_has_suffix (key, "#format"))
            continue;
          format_key = g_strconcat (key, "#format", NULL);
          path = claim_overlay_path (value, data->name, error);
          if (path == NULL)
            {
              ok = FALSE;
              break;
            }
          g_ptr_array_add (created, path);
          ok = create_overlay (path, value, g_hash_table_lookup (new_source, format_key), error);
          if (ok)
            g_hash_table_insert (overlays, g_strdup (key), g_strdup (path));
        }

      if (ok)
        {
          now_devices = gvir_config_domain_get_devices (now);
          for (GList *d = now_devices; d != NULL; d = d->next)
            {
              const char *path;
              GVirConfigDomainDiskDriver *driver;

              if (!GVIR_CONFIG_IS_DOMAIN_DISK (d->data))
                continue;
              path = g_hash_table_lookup (overlays,
                                          gvir_config_domain_disk_get_target_dev (d->data));
              if (path == NULL)
                continue;
              gvir_config_domain_disk_set_source (d->data, path);
              /* The driver object shares the disk's XML node: change it in
               * place; setting it back would free the node it is made of. */
              driver = gvir_config_domain_disk_get_driver (d->data);
              if (driver != NULL)
                gvir_config_domain_disk_driver_set_format (driver,
                                                           GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
              else
                {
                  driver = gvir_config_domain_disk_driver_new ();
                  gvir_config_domain_disk_driver_set_name (driver, "qemu");
                  gvir_config_domain_disk_driver_set_format (driver,
                                                             GVIR_CONFIG_DOMAIN_DISK_FORMAT_QCOW2);
                  gvir_config_domain_disk_set_driver (d->data, driver);
                }
              g_object_unref (driver);
            }
          g_list_free_full (now_devices, g_object_unref);

          xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (now));
          defined = virDomainDefineXML (virDomainGetConnect (handle), xml);
          if (defined == NULL)
            {
              g_autofree char *what = g_strdup_printf (_("Could not point “%s” at the snapshot’s "
                                                         "images"), data->vm_name);

              g_propagate_error (error, hangar_error_from_libvirt (what));
              ok = FALSE;
            }
          else
            virDomainFree (defined);
        }
    }

  if (!ok)
    {
      /* Only the empty or new overlays this call made: nothing refers to them. */
      for (guint i = 0; i < created->len; i++)
        g_unlink (g_ptr_array_index (created, i));
    }
  else
    {
      g_autoptr (GError) current_error = NULL;

      if (!redefine_snapshot (handle, snap_config, TRUE, &current_error))
        g_debug ("%s: could not mark %s current: %s", data->vm_name, data->name,
                 current_error->message);
    }

  g_list_free_full (then_devices, g_object_unref);
  return ok;
}

static gboolean
run_revert (OpData        *data,
            virDomainPtr   handle,
            GError       **error)
{
  virDomainSnapshotPtr snapshot = lookup_snapshot (handle, data->name, error);
  g_autoptr (GVirConfigDomainSnapshot) config = NULL;
  gboolean ok;

  if (snapshot == NULL)
    return FALSE;
  config = read_snapshot_config (snapshot, error);
  if (config == NULL)
    {
      virDomainSnapshotFree (snapshot);
      return FALSE;
    }

  if (snapshot_is_external (config))
    ok = revert_external (data, handle, config, error);
  else
    {
      ok = virDomainRevertToSnapshot (snapshot, 0) == 0;
      if (!ok)
        {
          g_autofree char *what = g_strdup_printf (_("Could not revert “%s” to “%s”"),
                                                   data->vm_name, data->name);

          g_propagate_error (error, hangar_error_from_libvirt (what));
        }
    }
  virDomainSnapshotFree (snapshot);
  return ok;
}

/* The disk sources the VM uses now, by target. */
static GHashTable *
current_disk_sources (virDomainPtr   handle,
                      GError       **error)
{
  g_autoptr (GVirConfigDomain) config = read_domain_config (handle, 0, error);
  GHashTable *sources;
  GList *devices;

  if (config == NULL)
    return NULL;
  sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  devices = gvir_config_domain_get_devices (config);
  for (GList *d = devices; d != NULL; d = d->next)
    if (GVIR_CONFIG_IS_DOMAIN_DISK (d->data) &&
        gvir_config_domain_disk_get_target_dev (d->data) != NULL &&
        gvir_config_domain_disk_get_source (d->data) != NULL)
      g_hash_table_insert (sources, g_strdup (gvir_config_domain_disk_get_target_dev (d->data)),
                           g_strdup (gvir_config_domain_disk_get_source (d->data)));
  g_list_free_full (devices, g_object_unref);
  return sources;
}

/* Whether libvirt can merge the external snapshot @config back: only when it
 * is a leaf whose overlays are what the VM's disks use now and all exist. */
static gboolean
check_external_deletable (OpData                    *data,
                          virDomainPtr               handle,
                          virDomainSnapshotPtr       snapshot,
                          GVirConfigDomainSnapshot  *config,
                          GError                   **error)
{
  const char *name = gvir_config_domain_snapshot_get_name (config);
  g_autoptr (GHashTable) sources = NULL;
  g_autoptr (GPtrArray) disks = NULL;
  gboolean ok = TRUE;

  if (virDomainSnapshotNumChildren (snapshot, 0) != 0)
    {
      virResetLastError ();
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("“%s” is an external snapshot with snapshots after it; Hangar can only "
                     "merge the newest external snapshot back into its disk images. Delete the "
                     "later ones first. Nothing was changed."), name);
      return FALSE;
    }
  sources = current_disk_sources (handle, error);
  if (sources == NULL)
    return FALSE;

  disks = external_disks (config);
  for (guint i = 0; i < disks->len && ok; i++)
    {
      ExternalDisk *disk = g_ptr_array_index (disks, i);
      const char *target = disk->target;
      const char *overlay = disk->overlay;

      if (overlay == NULL || !g_file_test (overlay, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                       _("The overlay image “%s” of the snapshot “%s” is missing, so it cannot "
                         "be merged back. Nothing was changed."),
                       overlay != NULL ? overlay : "?", name);
          ok = FALSE;
        }
      else if (g_strcmp0 (g_hash_table_lookup (sources, target), overlay) != 0)
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                       _("The disk %s of “%s” no longer uses the overlay of the external "
                         "snapshot “%s” (the VM was reverted since), so it cannot be merged "
                         "back safely. Nothing was changed."), target, data->vm_name, name);
          ok = FALSE;
        }
    }
  return ok;
}

static gboolean
is_test_driver (virDomainPtr handle)
{
  return g_strcmp0 (virConnectGetType (virDomainGetConnect (handle)), "TEST") == 0;
}

/* An internal snapshot lives inside its disk images: when one was removed
 * by hand, say so rather than pass on qemu-img's complaint. (The test driver
 * keeps metadata only and has no files.) */
static gboolean
check_internal_images (virDomainPtr               handle,
                       GVirConfigDomainSnapshot  *config,
                       GError                   **error)
{
  g_autoptr (GVirConfigDomain) then = NULL;
  GList *devices;
  gboolean ok = TRUE;

  if (is_test_driver (handle))
    return TRUE;
  then = snapshot_domain_config (config);
  if (then == NULL)
    return TRUE;
  devices = gvir_config_domain_get_devices (then);
  for (GList *d = devices; d != NULL && ok; d = d->next)
    {
      const char *source;

      if (!GVIR_CONFIG_IS_DOMAIN_DISK (d->data) || !disk_is_snapshottable (d->data))
        continue;
      source = gvir_config_domain_disk_get_source (d->data);
      if (source != NULL && !g_file_test (source, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                       _("The disk image “%s”, which holds the snapshot “%s”, is missing. Put it "
                         "back to delete the snapshot. Nothing was changed."), source,
                       gvir_config_domain_snapshot_get_name (config));
          ok = FALSE;
        }
    }
  g_list_free_full (devices, g_object_unref);
  return ok;
}

static gboolean
run_delete (OpData        *data,
            virDomainPtr   handle,
            GError       **error)
{
  virDomainSnapshotPtr snapshot = lookup_snapshot (handle, data->name, error);
  virDomainSnapshotPtr *descendants = NULL;
  g_autoptr (GPtrArray) doomed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GVirConfigDomainSnapshot) config = NULL;
  int n_descendants;
  guint flags = 0;
  gboolean ok = TRUE;

  if (snapshot == NULL)
    return FALSE;

  n_descendants = virDomainSnapshotListAllChildren (snapshot, &descendants,
                                                    VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS);
  if (n_descendants < 0)
    {
      g_propagate_error (error, hangar_error_from_libvirt (_("Could not list the snapshot’s "
                                                             "children")));
      virDomainSnapshotFree (snapshot);
      return FALSE;
    }

  /* Check everything that will go before anything goes. */
  if (data->mode != HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY)
    {
      config = read_snapshot_config (snapshot, error);
      ok = config != NULL;
      if (ok && !snapshot_is_external (config))
        ok = check_internal_images (handle, config, error);
      if (ok && snapshot_is_external (config))
        {
          if (data->mode == HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN && n_descendants > 0)
            {
              g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("“%s” is an external snapshot; Hangar merges external snapshots "
                             "back one at a time, newest first. Delete its children first. "
                             "Nothing was changed."), data->name);
              ok = FALSE;
            }
          else
            ok = check_external_deletable (data, handle, snapshot, config, error);
        }
      if (ok)
        g_ptr_array_add (doomed, g_strdup (data->name));
    }
  if (data->mode != HANGAR_SNAPSHOT_DELETE_THIS)
    for (int i = 0; ok && i < n_descendants; i++)
      {
        g_autoptr (GVirConfigDomainSnapshot) child = read_snapshot_config (descendants[i], error);

        ok = child != NULL;
        if (ok && !snapshot_is_external (child))
          ok = check_internal_images (handle, child, error);
        if (ok && snapshot_is_external (child))
          {
            g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                         _("“%s” is an external snapshot; Hangar merges external snapshots back "
                           "one at a time, newest first. Delete it on its own. Nothing was "
                           "changed."), gvir_config_domain_snapshot_get_name (child));
            ok = FALSE;
          }
        if (ok)
          g_ptr_array_add (doomed, g_strdup (virDomainSnapshotGetName (descendants[i])));
      }
  for (int i = 0; i < n_descendants; i++)
    virDomainSnapshotFree (descendants[i]);
  free (descendants);

  if (ok && doomed->len == 0)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The snapshot “%s” has no children to delete."), data->name);
      ok = FALSE;
    }

  if (ok)
    {
      if (data->mode == HANGAR_SNAPSHOT_DELETE_WITH_CHILDREN)
        flags = VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN;
      else if (data->mode == HANGAR_SNAPSHOT_DELETE_CHILDREN_ONLY)
        flags = VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY;
      if (virDomainSnapshotDelete (snapshot, flags) < 0)
        {
          g_autofree char *what = g_strdup_printf (_("Could not delete the snapshot “%s”"),
                                                   data->name);

          g_propagate_error (error, hangar_error_from_libvirt (what));
          ok = FALSE;
        }
    }
  virDomainSnapshotFree (snapshot);

  if (ok)
    for (guint i = 0; i < doomed->len; i++)
      remove_thumbnail (data->uuid, g_ptr_array_index (doomed, i));
  return ok;
}

static gboolean
run_describe (OpData        *data,
              virDomainPtr   handle,
              GError       **error)
{
  virDomainSnapshotPtr snapshot = lookup_snapshot (handle, data->name, error);
  g_autoptr (GVirConfigDomainSnapshot) config = NULL;
  int is_current;
  gboolean ok;

  if (snapshot == NULL)
    return FALSE;
  config = read_snapshot_config (snapshot, error);
  is_current = virDomainSnapshotIsCurrent (snapshot, 0);
  virResetLastError ();
  virDomainSnapshotFree (snapshot);
  if (config == NULL)
    return FALSE;

  gvir_config_domain_snapshot_set_description (config,
                                               data->description != NULL &&
                                               *data->description != '\0' ? data->description
                                                                          : NULL);
  ok = redefine_snapshot (handle, config, is_current == 1, error);
  return ok;
}

/* Renames where the name is only libvirt's record: external snapshots, and
 * drivers (libvirt's test driver) that keep nothing under the name. QEMU
 * names an internal snapshot inside the qcow2 image itself. Order: the new
 * record first, children moved to it, the old record last; a failure on
 * the way removes what was added. */
static gboolean
run_rename (OpData        *data,
            virDomainPtr   handle,
            GError       **error)
{
  virDomainSnapshotPtr snapshot = lookup_snapshot (handle, data->name, error);
  virDomainSnapshotPtr *children = NULL;
  g_autoptr (GVirConfigDomainSnapshot) config = NULL;
  g_autoptr (GPtrArray) moved = g_ptr_array_new_with_free_func (g_object_unref);
  const char *driver;
  int is_current, n_children;
  gboolean ok = TRUE, test_driver;
  unsigned int record_only;

  if (snapshot == NULL)
    return FALSE;
  config = read_snapshot_config (snapshot, error);
  is_current = virDomainSnapshotIsCurrent (snapshot, 0);
  virResetLastError ();
  if (config == NULL)
    {
      virDomainSnapshotFree (snapshot);
      return FALSE;
    }
  driver = virConnectGetType (virDomainGetConnect (handle));
  /* The test driver keeps only records, and has no metadata-only delete. */
  test_driver = driver != NULL && g_ascii_strcasecmp (driver, "test") == 0;
  record_only = test_driver ? 0 : VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY;
  if (!test_driver && !snapshot_is_external (config))
    {
      virDomainSnapshotFree (snapshot);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                   _("“%s” is an internal snapshot: QEMU keeps it under this name inside the "
                     "disk image, so renaming it would break revert and delete. Its "
                     "description can be changed."), data->name);
      return FALSE;
    }
  if (virDomainSnapshotLookupByName (handle, data->new_name, 0) != NULL)
    {
      virDomainSnapshotFree (snapshot);
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("There is already a snapshot named “%s”."), data->new_name);
      return FALSE;
    }
  virResetLastError ();

  gvir_config_domain_snapshot_set_name (config, data->new_name);
  if (!redefine_snapshot (handle, config, is_current == 1, error))
    {
      virDomainSnapshotFree (snapshot);
      return FALSE;
    }

  n_children = virDomainSnapshotListAllChildren (snapshot, &children, 0);
  for (int i = 0; ok && i < n_children; i++)
    {
      g_autoptr (GVirConfigDomainSnapshot) child = read_snapshot_config (children[i], error);
      g_autoptr (GVirConfigDomainSnapshot) reparented = NULL;
      int child_current = virDomainSnapshotIsCurrent (children[i], 0);

      virResetLastError ();
      if (child == NULL)
        {
          ok = FALSE;
          break;
        }
      reparented = GVIR_CONFIG_DOMAIN_SNAPSHOT (hangar_config_with_text (GVIR_CONFIG_OBJECT (child),
                                                                         "domainsnapshot",
                                                                         "parent", "name",
                                                                         data->new_name));
      ok = reparented != NULL && redefine_snapshot (handle, reparented, child_current == 1, error);
      if (ok)
        g_ptr_array_add (moved, g_steal_pointer (&child));
    }
  for (int i = 0; i < n_children; i++)
    virDomainSnapshotFree (children[i]);
  free (children);

  if (ok && virDomainSnapshotDelete (snapshot, record_only) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("Could not rename the snapshot “%s”"),
                                               data->name);

      g_propagate_error (error, hangar_error_from_libvirt (what));
      ok = FALSE;
    }
  if (!ok)
    {
      /* Back as it was: children under the old name, the new record gone. */
      virDomainSnapshotPtr added;

      for (guint i = 0; i < moved->len; i++)
        redefine_snapshot (handle, g_ptr_array_index (moved, i), FALSE, NULL);
      added = virDomainSnapshotLookupByName (handle, data->new_name, 0);
      if (added != NULL)
        {
          virDomainSnapshotDelete (added, record_only);
          virDomainSnapshotFree (added);
        }
      virResetLastError ();
    }
  virDomainSnapshotFree (snapshot);

  if (ok)
    {
      g_autofree char *from = hangar_snapshot_thumbnail_path (data->uuid, data->name);
      g_autofree char *to = hangar_snapshot_thumbnail_path (data->uuid, data->new_name);

      if (from != NULL && to != NULL && g_file_test (from, G_FILE_TEST_EXISTS))
        g_rename (from, to);
    }
  return ok;
}

static void
op_thread (GTask        *task,
           gpointer      source_object,
           gpointer      task_data,
           GCancellable *cancellable)
{
  OpData *data = task_data;
  virDomainPtr handle = dup_handle (data->domain);
  GError *error = NULL;

  if (handle == NULL)
    {
      data->error = g_error_new (HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("“%s” is gone."),
                                 data->vm_name);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    data->error = error;
  else
    {
      switch (data->kind)
        {
        case OP_RELOAD:
          break;
        case OP_PLAN:
          data->plan = make_plan (handle, &error);
          if (data->plan != NULL)
            data->plan->suggested_name = suggest_name (handle);
          break;
        case OP_CREATE:
          run_create (data, handle, &error);
          break;
        case OP_REVERT:
          run_revert (data, handle, &error);
          break;
        case OP_RENAME:
          run_rename (data, handle, &error);
          break;
        case OP_DELETE:
          run_delete (data, handle, &error);
          break;
        case OP_DESCRIBE:
          run_describe (data, handle, &error);
          break;
        default:
          g_assert_not_reached ();
        }
      data->error = error;
      error = NULL;
    }

  /* Whatever happened, the tree shows what libvirt has now. */
  if (data->kind != OP_PLAN)
    {
      data->fetched_at = g_get_monotonic_time ();
      data->snapshots = fetch_snapshots (data->domain, &error);
      if (data->error == NULL)
        data->error = error;
      else
        g_clear_error (&error);
    }
  virDomainFree (handle);
  g_task_return_boolean (task, TRUE);
}

/* ------------------------------------------------------------------ */
/* The object                                                          */

static void
set_busy (HangarSnapshotTree *self,
          gboolean            busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
apply_snapshots (HangarSnapshotTree *self,
                 GPtrArray          *snapshots)
{
  g_clear_pointer (&self->roots, g_ptr_array_unref);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  self->snapshots = g_ptr_array_ref (snapshots);
  self->roots = hangar_snapshot_link_tree (snapshots);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
op_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HangarSnapshotTree *self = HANGAR_SNAPSHOT_TREE (source);
  g_autoptr (GTask) outer = user_data;
  OpData *data = g_task_get_task_data (G_TASK (result));

  if (data->kind != OP_PLAN && data->kind != OP_RELOAD)
    set_busy (self, FALSE);
  /* A reload overlapping a change may finish last with an older list. */
  if (data->snapshots != NULL && data->fetched_at >= self->fetched_at)
    {
      self->fetched_at = data->fetched_at;
      apply_snapshots (self, data->snapshots);
    }
  /* The VM's state may have changed (revert): ask libvirt. */
  if (data->kind == OP_REVERT || data->kind == OP_CREATE)
    hangar_vm_refresh_state (self->vm);

  if (data->error != NULL)
    g_task_return_error (outer, g_steal_pointer (&data->error));
  else if (data->kind == OP_PLAN)
    g_task_return_pointer (outer, g_steal_pointer (&data->plan),
                           (GDestroyNotify) hangar_snapshot_plan_free);
  else
    g_task_return_boolean (outer, TRUE);
}

static void
start_op (HangarSnapshotTree  *self,
          OpData              *data,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr (GTask) outer = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GTask) inner = NULL;

  g_task_set_source_tag (outer, source_tag);
  data->domain = g_object_ref (hangar_vm_get_domain (self->vm));
  data->uuid = g_strdup (hangar_vm_get_uuid (self->vm));
  data->vm_name = g_strdup (hangar_vm_get_name (self->vm));

  /* Reading (reload, plan) may overlap anything; changes go one at a time. */
  if (data->kind != OP_RELOAD && data->kind != OP_PLAN)
    {
      if (self->busy)
        {
          g_task_return_new_error (outer, HANGAR_ERROR, HANGAR_ERROR_BUSY,
                                   _("Another snapshot operation on “%s” is still under way."),
                                   data->vm_name);
          op_data_free (data);
          return;
        }
      if (hangar_vm_get_busy (self->vm) ||
          hangar_vm_get_state (self->vm) == HANGAR_VM_STATE_SHUTTING_DOWN ||
          hangar_vm_get_state (self->vm) == HANGAR_VM_STATE_SAVING)
        {
          g_task_return_new_error (outer, HANGAR_ERROR, HANGAR_ERROR_BUSY,
                                   _("“%s” is busy (starting, shutting down or being changed). "
                                     "Try again when it has finished."), data->vm_name);
          op_data_free (data);
          return;
        }
      set_busy (self, TRUE);
    }

  inner = g_task_new (self, cancellable, op_done, g_steal_pointer (&outer));
  g_task_set_task_data (inner, data, (GDestroyNotify) op_data_free);
  g_task_run_in_thread (inner, op_thread);
}

static void
hangar_snapshot_tree_dispose (GObject *object)
{
  HangarSnapshotTree *self = HANGAR_SNAPSHOT_TREE (object);

  g_clear_pointer (&self->roots, g_ptr_array_unref);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  g_clear_object (&self->vm);

  G_OBJECT_CLASS (hangar_snapshot_tree_parent_class)->dispose (object);
}

static void
hangar_snapshot_tree_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  HangarSnapshotTree *self = HANGAR_SNAPSHOT_TREE (object);

  switch (prop_id)
    {
    case PROP_VM:
      g_value_set_object (value, self->vm);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_snapshot_tree_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  HangarSnapshotTree *self = HANGAR_SNAPSHOT_TREE (object);

  switch (prop_id)
    {
    case PROP_VM:
      self->vm = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hangar_snapshot_tree_class_init (HangarSnapshotTreeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hangar_snapshot_tree_dispose;
  object_class->get_property = hangar_snapshot_tree_get_property;
  object_class->set_property = hangar_snapshot_tree_set_property;

  properties[PROP_VM] =
    g_param_spec_object ("vm", NULL, NULL, HANGAR_TYPE_VM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The list was read again: rebuild views from the roots. */
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hangar_snapshot_tree_init (HangarSnapshotTree *self)
{
  self->snapshots = g_ptr_array_new_with_free_func (g_object_unref);
  self->roots = g_ptr_array_new_with_free_func (g_object_unref);
}

HangarSnapshotTree *
hangar_snapshot_tree_new (HangarVm *vm)
{
  g_return_val_if_fail (HANGAR_IS_VM (vm), NULL);
  return g_object_new (HANGAR_TYPE_SNAPSHOT_TREE, "vm", vm, NULL);
}

HangarVm *
hangar_snapshot_tree_get_vm (HangarSnapshotTree *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);
  return self->vm;
}

GPtrArray *
hangar_snapshot_tree_get_roots (HangarSnapshotTree *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);
  return self->roots;
}

guint
hangar_snapshot_tree_get_n_snapshots (HangarSnapshotTree *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), 0);
  return self->snapshots->len;
}

HangarSnapshot *
hangar_snapshot_tree_lookup (HangarSnapshotTree *self,
                             const char         *name)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);

  for (guint i = 0; i < self->snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);

      if (g_strcmp0 (hangar_snapshot_get_name (snapshot), name) == 0)
        return snapshot;
    }
  return NULL;
}

HangarSnapshot *
hangar_snapshot_tree_get_current (HangarSnapshotTree *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);

  for (guint i = 0; i < self->snapshots->len; i++)
    if (hangar_snapshot_get_is_current (g_ptr_array_index (self->snapshots, i)))
      return g_ptr_array_index (self->snapshots, i);
  return NULL;
}

HangarSnapshot *
hangar_snapshot_tree_get_newest (HangarSnapshotTree *self)
{
  HangarSnapshot *newest = NULL;

  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);

  for (guint i = 0; i < self->snapshots->len; i++)
    {
      HangarSnapshot *snapshot = g_ptr_array_index (self->snapshots, i);

      gint64 t = hangar_snapshot_get_creation_time (snapshot);

      /* Times have whole seconds: on a tie, the current one is the newest. */
      if (newest == NULL || t > hangar_snapshot_get_creation_time (newest) ||
          (t == hangar_snapshot_get_creation_time (newest) &&
           hangar_snapshot_get_is_current (snapshot)))
        newest = snapshot;
    }
  return newest;
}

gboolean
hangar_snapshot_tree_get_busy (HangarSnapshotTree *self)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), FALSE);
  return self->busy;
}

gboolean
hangar_snapshot_tree_check_name (HangarSnapshotTree  *self,
                                 const char          *name,
                                 GError             **error)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), FALSE);

  if (!check_name_syntax (name, error))
    return FALSE;
  if (hangar_snapshot_tree_lookup (self, name) != NULL)
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("“%s” already has a snapshot named “%s”. Choose another name."),
                   hangar_vm_get_name (self->vm), name);
      return FALSE;
    }
  return TRUE;
}

char *
hangar_snapshot_tree_thumbnail_path (HangarSnapshotTree *self,
                                     const char         *name)
{
  g_return_val_if_fail (HANGAR_IS_SNAPSHOT_TREE (self), NULL);
  return hangar_snapshot_thumbnail_path (hangar_vm_get_uuid (self->vm), name);
}

static OpData *
op_data_new (OpKind kind)
{
  OpData *data = g_new0 (OpData, 1);

  data->kind = kind;
  return data;
}

static gboolean
op_finish (HangarSnapshotTree  *self,
           GAsyncResult        *result,
           gpointer             source_tag,
           GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hangar_snapshot_tree_reload_async (HangarSnapshotTree  *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  start_op (self, op_data_new (OP_RELOAD), hangar_snapshot_tree_reload_async, cancellable,
            callback, user_data);
}

gboolean
hangar_snapshot_tree_reload_finish (HangarSnapshotTree  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_reload_async, error);
}

void
hangar_snapshot_tree_plan_async (HangarSnapshotTree  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  start_op (self, op_data_new (OP_PLAN), hangar_snapshot_tree_plan_async, cancellable,
            callback, user_data);
}

HangarSnapshotPlan *
hangar_snapshot_tree_plan_finish (HangarSnapshotTree  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
hangar_snapshot_tree_create_async (HangarSnapshotTree  *self,
                                   const char          *name,
                                   const char          *description,
                                   gboolean             include_memory,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  OpData *data;

  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  data = op_data_new (OP_CREATE);
  data->name = g_strdup (name);
  data->description = g_strdup (description);
  data->include_memory = include_memory;
  start_op (self, data, hangar_snapshot_tree_create_async, cancellable, callback, user_data);
}

gboolean
hangar_snapshot_tree_create_finish (HangarSnapshotTree  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_create_async, error);
}

void
hangar_snapshot_tree_revert_async (HangarSnapshotTree  *self,
                                   const char          *name,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  OpData *data;

  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  data = op_data_new (OP_REVERT);
  data->name = g_strdup (name);
  start_op (self, data, hangar_snapshot_tree_revert_async, cancellable, callback, user_data);
}

gboolean
hangar_snapshot_tree_revert_finish (HangarSnapshotTree  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_revert_async, error);
}

void
hangar_snapshot_tree_delete_async (HangarSnapshotTree       *self,
                                   const char               *name,
                                   HangarSnapshotDeleteMode  mode,
                                   GCancellable             *cancellable,
                                   GAsyncReadyCallback       callback,
                                   gpointer                  user_data)
{
  OpData *data;

  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  data = op_data_new (OP_DELETE);
  data->name = g_strdup (name);
  data->mode = mode;
  start_op (self, data, hangar_snapshot_tree_delete_async, cancellable, callback, user_data);
}

gboolean
hangar_snapshot_tree_delete_finish (HangarSnapshotTree  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_delete_async, error);
}

void
hangar_snapshot_tree_set_description_async (HangarSnapshotTree  *self,
                                            const char          *name,
                                            const char          *description,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  OpData *data;

  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));
  data = op_data_new (OP_DESCRIBE);
  data->name = g_strdup (name);
  data->description = g_strdup (description);
  start_op (self, data, hangar_snapshot_tree_set_description_async, cancellable, callback,
            user_data);
}

gboolean
hangar_snapshot_tree_set_description_finish (HangarSnapshotTree  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_set_description_async, error);
}

void
hangar_snapshot_tree_rename_async (HangarSnapshotTree  *self,
                                   const char          *name,
                                   const char          *new_name,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GError) error = NULL;
  OpData *data;

  g_return_if_fail (HANGAR_IS_SNAPSHOT_TREE (self));

  if (!hangar_snapshot_tree_check_name (self, new_name, &error))
    {
      g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, hangar_snapshot_tree_rename_async);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data = op_data_new (OP_RENAME);
  data->name = g_strdup (name);
  data->new_name = g_strdup (new_name);
  start_op (self, data, hangar_snapshot_tree_rename_async, cancellable, callback, user_data);
}

gboolean
hangar_snapshot_tree_rename_finish (HangarSnapshotTree  *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  return op_finish (self, result, hangar_snapshot_tree_rename_async, error);
}
