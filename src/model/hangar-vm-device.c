/* hangar-vm-device.c: the hardware editor's devices. Each kind of device has
 * a table of fields; a field says where it lives in the device's element
 * (hangar_xml_get/set paths) or has its own reader and writer when one value
 * touches several places (a disk's bus also renames its target). Every change
 * is made on the saved configuration's tree, read back through
 * libvirt-gconfig and defined with libvirt's schema validation; nothing is
 * saved when libvirt refuses it. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libvirt-gobject/libvirt-gobject.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <string.h>

#include "hangar-config-util.h"
#include "hangar-disk-image.h"
#include "hangar-domain-caps.h"
#include "hangar-connection.h"
#include "hangar-error.h"
#include "hangar-vm-builder.h"
#include "hangar-vm-device.h"
#include "hangar-vm-private.h"

/* ------------------------------------------------------------------ */
/* Choices                                                             */

typedef struct
{
  const char *value;
  const char *label;  /* N_ () */
} Choice;

static const Choice disk_buses[] = {
  { "virtio", N_("VirtIO") }, { "sata", N_("SATA") }, { "scsi", N_("SCSI") },
  { "usb", N_("USB") }, { NULL, NULL } };
static const Choice cdrom_buses[] = {
  { "sata", N_("SATA") }, { "scsi", N_("SCSI") }, { "usb", N_("USB") }, { NULL, NULL } };
static const Choice cache_modes[] = {
  { "", N_("Hypervisor default") }, { "none", N_("None") },
  { "writethrough", N_("Write-through") }, { "writeback", N_("Write-back") },
  { "directsync", N_("Direct sync") }, { "unsafe", N_("Unsafe") }, { NULL, NULL } };
static const Choice io_modes[] = {
  { "", N_("Hypervisor default") }, { "native", N_("Native") }, { "threads", N_("Threads") },
  { "io_uring", N_("io_uring") }, { NULL, NULL } };
static const Choice discard_modes[] = {
  { "", N_("Hypervisor default") }, { "unmap", N_("Pass discards to the image") },
  { "ignore", N_("Ignore discards") }, { NULL, NULL } };
static const Choice storage_kinds[] = {
  { "new", N_("Create a new disk image") }, { "existing", N_("Use an existing image") },
  { NULL, NULL } };
static const Choice nic_sources[] = {
  { "user", N_("User-mode networking") }, { "network", N_("Virtual network") },
  { "bridge", N_("Host bridge") }, { "direct", N_("Host interface (macvtap)") },
  { NULL, NULL } };
static const Choice nic_models[] = {
  { "virtio", N_("VirtIO") }, { "e1000e", N_("Intel e1000e") },
  { "rtl8139", N_("Realtek RTL8139") }, { NULL, NULL } };
static const Choice link_states[] = {
  { "up", N_("Up (cable plugged in)") }, { "down", N_("Down (cable unplugged)") },
  { NULL, NULL } };
static const Choice graphics_types[] = {
  { "spice", N_("SPICE") }, { "vnc", N_("VNC") }, { NULL, NULL } };
static const Choice listen_kinds[] = {
  { "none", N_("Nothing (reached through libvirt)") },
  { "localhost", N_("This computer only (127.0.0.1)") }, { "address", N_("An address") },
  { NULL, NULL } };
static const Choice video_models[] = {
  { "virtio", N_("Virtio GPU") }, { "qxl", N_("QXL") }, { "vga", N_("VGA") },
  { "bochs", N_("Bochs") }, { "none", N_("None") }, { NULL, NULL } };
static const Choice sound_models[] = {
  { "ich9", N_("Intel HDA (ICH9)") }, { "ich6", N_("Intel HDA (ICH6)") },
  { "ac97", N_("AC97") }, { "usb", N_("USB audio") }, { NULL, NULL } };
static const Choice input_types[] = {
  { "tablet", N_("Tablet") }, { "mouse", N_("Mouse") }, { "keyboard", N_("Keyboard") },
  { NULL, NULL } };
static const Choice input_buses[] = {
  { "usb", N_("USB") }, { "virtio", N_("VirtIO") }, { NULL, NULL } };
static const Choice channel_names[] = {
  { "org.qemu.guest_agent.0", N_("QEMU guest agent") },
  { "com.redhat.spice.0", N_("SPICE agent (clipboard, resolution)") }, { NULL, NULL } };
static const Choice tpm_models[] = {
  { "tpm-crb", N_("CRB") }, { "tpm-tis", N_("TIS") }, { NULL, NULL } };
static const Choice rng_sources[] = {
  { "/dev/urandom", N_("/dev/urandom") }, { "/dev/random", N_("/dev/random") },
  { NULL, NULL } };
static const Choice watchdog_models[] = {
  { "i6300esb", N_("Intel 6300ESB") }, { "itco", N_("Intel iTCO") }, { NULL, NULL } };
static const Choice watchdog_actions[] = {
  { "reset", N_("Reset the VM") }, { "poweroff", N_("Power off the VM") },
  { "shutdown", N_("Shut down the VM") }, { "pause", N_("Pause the VM") },
  { "inject-nmi", N_("Send an NMI") }, { "none", N_("Nothing") }, { NULL, NULL } };

/* ------------------------------------------------------------------ */
/* Field tables                                                        */

typedef struct _FieldSpec FieldSpec;

/* What a field's reader and writer may need besides the device element. */
typedef struct
{
  HangarConnectionKind connection;
  xmlNodePtr           devices;   /* the domain's <devices> */
  GHashTable          *values;    /* every value of the form */
  char                *vm_name;
  char                *created;   /* a disk image made for this change */
  GPtrArray           *host_devices; /* "usb:vvvv:pppp" / "pci:…" and labels */
  HangarDomainCaps    *caps;      /* NULL: offer every choice */
} Context;

typedef char    *(*ReadFunc)  (const FieldSpec *spec, xmlNodePtr dev);
typedef gboolean (*WriteFunc) (const FieldSpec *spec, xmlNodePtr dev, const char *value,
                               Context *ctx, GError **error);
typedef gboolean (*CheckFunc) (const char *value, GHashTable *values, gboolean adding,
                               GError **error);

enum
{
  F_LIVE     = 1 << 0,  /* applies to the running VM too */
  F_NO_ADD   = 1 << 1,  /* not asked when adding */
  F_ADD_ONLY = 1 << 2,  /* only asked when adding */
};

struct _FieldSpec
{
  const char     *key;
  const char     *label;  /* N_ () */
  HangarFieldType type;
  const char     *path;
  const Choice   *choices;
  guint           flags;
  ReadFunc        read;
  WriteFunc       write;
  CheckFunc       check;
  const char     *add_default;
  const char     *hint;   /* N_ () */
};

static gboolean
fail (GError    **error,
      const char *message)
{
  g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT, message);
  return FALSE;
}

static gboolean
only_chars (const char *value,
            const char *extra)
{
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

static const char *
value_of (GHashTable *values,
          const char *key)
{
  return values != NULL ? g_hash_table_lookup (values, key) : NULL;
}

static gboolean
parse_number (const char *value,
              guint64     min,
              guint64     max,
              guint64    *out)
{
  return g_ascii_string_to_unsigned (value, 10, min, max, out, NULL);
}

/* Disks */

static char *
read_disk_source (const FieldSpec *spec,
                  xmlNodePtr       dev)
{
  static const char *const attrs[] = { "source@file", "source@dev", "source@dir",
                                       "source@volume", "source@name", NULL };

  for (guint i = 0; attrs[i] != NULL; i++)
    {
      char *value = hangar_xml_get (dev, attrs[i]);

      if (value != NULL)
        return value;
    }
  return NULL;
}

static gboolean
target_taken (xmlNodePtr  devices,
              const char *name)
{
  for (xmlNodePtr n = devices->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "disk"))
      {
        g_autofree char *dev = hangar_xml_get (n, "target@dev");

        if (g_strcmp0 (dev, name) == 0)
          return TRUE;
      }
  return FALSE;
}

/* The first free target name for @bus: vda… for virtio, sda… otherwise. */
static char *
free_target (xmlNodePtr  devices,
             const char *bus)
{
  const char *prefix = g_strcmp0 (bus, "virtio") == 0 ? "vd" : "sd";

  for (char letter = 'a'; letter <= 'z'; letter++)
    {
      char *name = g_strdup_printf ("%s%c", prefix, letter);

      if (!target_taken (devices, name))
        return name;
      g_free (name);
    }
  return NULL;
}

static gboolean
write_disk_bus (const FieldSpec *spec,
                xmlNodePtr       dev,
                const char      *value,
                Context         *ctx,
                GError         **error)
{
  g_autofree char *target = NULL;

  /* The target name follows the bus; the old address does not fit. */
  hangar_xml_set (dev, "target@dev", NULL);
  target = free_target (ctx->devices, value);
  if (target == NULL)
    return fail (error, _("This VM has no free disk name left on that bus."));
  hangar_xml_set (dev, "target@dev", target);
  hangar_xml_set (dev, "target@bus", value);
  hangar_xml_remove_children (dev, "address");
  return TRUE;
}

static gboolean
check_serial (const char *value,
              GHashTable *values,
              gboolean    adding,
              GError    **error)
{
  if (strlen (value) > 20 || !only_chars (value, "_.+- "))
    return fail (error, _("A disk serial has at most 20 letters, digits, spaces and “_ . + -”."));
  return TRUE;
}

static gboolean
check_disk_size (const char *value,
                 GHashTable *values,
                 gboolean    adding,
                 GError    **error)
{
  guint64 gib;

  if (g_strcmp0 (value_of (values, "storage"), "new") != 0)
    return TRUE;
  if (!parse_number (value, 1, 65536, &gib))
    return fail (error, _("The new disk’s size is a whole number of GiB from 1 to 65536."));
  return TRUE;
}

static gboolean
check_image_path (const char *value,
                  GHashTable *values,
                  gboolean    adding,
                  GError    **error)
{
  if (g_strcmp0 (value_of (values, "storage"), "new") == 0)
    return TRUE;
  if (!g_path_is_absolute (value))
    return fail (error, _("Choose the disk image to use."));
  return TRUE;
}

static gboolean
check_iso_path (const char *value,
                GHashTable *values,
                gboolean    adding,
                GError    **error)
{
  if (*value != '\0' && !g_path_is_absolute (value))
    return fail (error, _("Choose an ISO image, or leave the drive empty."));
  return TRUE;
}

/* Disk images: made here for a new disk, format read for an existing one. */
static gboolean
write_disk_storage (const FieldSpec *spec,
                    xmlNodePtr       dev,
                    const char      *value,
                    Context         *ctx,
                    GError         **error)
{
  g_autofree char *path = NULL;
  g_autofree char *format = NULL;

  if (g_strcmp0 (value, "new") == 0)
    {
      g_autofree char *dir = hangar_vm_images_dir ();
      g_autofree char *target = hangar_xml_get (dev, "target@dev");
      g_autofree char *file = g_strdup_printf ("%s-%s.qcow2", ctx->vm_name, target);
      guint64 gib = 0;

      if (ctx->connection != HANGAR_CONNECTION_KIND_EMBEDDED &&
          ctx->connection != HANGAR_CONNECTION_KIND_TEST)
        {
          g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                               _("New disk images on this connection need its storage "
                                 "pools, which this dialog does not use yet: choose an "
                                 "existing image."));
          return FALSE;
        }
      parse_number (value_of (ctx->values, "size"), 1, 65536, &gib);
      path = g_build_filename (dir, file, NULL);
      if (!hangar_disk_image_create (path, gib, error))
        return FALSE;
      ctx->created = g_strdup (path);
      format = g_strdup ("qcow2");
    }
  else
    {
      path = g_strdup (value_of (ctx->values, "path"));
      if (ctx->connection == HANGAR_CONNECTION_KIND_REMOTE)
        format = g_strdup ("raw");
      else if ((format = hangar_disk_image_format (path, error)) == NULL)
        return FALSE;
    }
  hangar_xml_set (dev, "driver@name", "qemu");
  hangar_xml_set (dev, "driver@type", format);
  hangar_xml_set (dev, "source@file", path);
  return TRUE;
}

static gboolean
write_cdrom_path (const FieldSpec *spec,
                  xmlNodePtr       dev,
                  const char      *value,
                  Context         *ctx,
                  GError         **error)
{
  if (value != NULL && *value != '\0' && ctx->connection != HANGAR_CONNECTION_KIND_REMOTE &&
      !g_file_test (value, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT, _("%s is not a file."), value);
      return FALSE;
    }
  hangar_xml_set (dev, "source@file", value);
  return TRUE;
}

/* Network interfaces */

static char *
read_nic_source (const FieldSpec *spec,
                 xmlNodePtr       dev)
{
  g_autofree char *type = hangar_xml_get (dev, "@type");

  if (g_strcmp0 (type, "network") == 0)
    return hangar_xml_get (dev, "source@network");
  if (g_strcmp0 (type, "bridge") == 0)
    return hangar_xml_get (dev, "source@bridge");
  if (g_strcmp0 (type, "direct") == 0)
    return hangar_xml_get (dev, "source@dev");
  return NULL;
}

static gboolean
write_nic_source (const FieldSpec *spec,
                  xmlNodePtr       dev,
                  const char      *value,
                  Context         *ctx,
                  GError         **error)
{
  g_autofree char *type = g_strdup (value_of (ctx->values, "type"));

  if (type == NULL)
    type = hangar_xml_get (dev, "@type");
  hangar_xml_remove_children (dev, "source");
  if (g_strcmp0 (type, "network") == 0)
    hangar_xml_set (dev, "source@network", value);
  else if (g_strcmp0 (type, "bridge") == 0)
    hangar_xml_set (dev, "source@bridge", value);
  else if (g_strcmp0 (type, "direct") == 0)
    {
      hangar_xml_set (dev, "source@dev", value);
      hangar_xml_set (dev, "source@mode", "bridge");
    }
  return TRUE;
}

static gboolean
write_nic_type (const FieldSpec *spec,
                xmlNodePtr       dev,
                const char      *value,
                Context         *ctx,
                GError         **error)
{
  if (ctx->connection == HANGAR_CONNECTION_KIND_EMBEDDED && g_strcmp0 (value, "user") != 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_UNSUPPORTED,
                           _("Hangar’s own connection has only user-mode networking."));
      return FALSE;
    }
  hangar_xml_set (dev, "@type", value);
  return write_nic_source (spec, dev, value_of (ctx->values, "source"), ctx, error);
}

static gboolean
check_nic_source (const char *value,
                  GHashTable *values,
                  gboolean    adding,
                  GError    **error)
{
  const char *type = value_of (values, "type");

  if (g_strcmp0 (type, "user") == 0 || type == NULL)
    return TRUE;
  if (*value == '\0')
    return fail (error, g_strcmp0 (type, "network") == 0
                        ? _("Name the virtual network to connect to.")
                        : _("Name the host interface to connect to."));
  if (g_strcmp0 (type, "network") != 0 && strlen (value) > 15)
    return fail (error, _("A host interface name has at most 15 characters."));
  if (!only_chars (value, "_.-"))
    return fail (error, _("A network or interface name has only letters, digits and “_ . -”."));
  return TRUE;
}

static gboolean
check_mac (const char *value,
           GHashTable *values,
           gboolean    adding,
           GError    **error)
{
  guint64 first;
  char octet[3] = { 0 };

  if (*value == '\0' && adding)
    return TRUE;
  if (strlen (value) != 17)
    return fail (error, _("A MAC address is six pairs of hexadecimal digits separated by colons, "
                          "like 52:54:00:12:34:56."));
  for (guint i = 0; i < 17; i++)
    if ((i % 3 == 2 && value[i] != ':') || (i % 3 != 2 && !g_ascii_isxdigit (value[i])))
      return fail (error, _("A MAC address is six pairs of hexadecimal digits separated by "
                            "colons, like 52:54:00:12:34:56."));
  memcpy (octet, value, 2);
  first = g_ascii_strtoull (octet, NULL, 16);
  if (first & 1)
    return fail (error, _("That is a multicast address: a network card needs a unicast MAC "
                          "address (its first byte is even)."));
  if (g_str_equal (value, "00:00:00:00:00:00"))
    return fail (error, _("00:00:00:00:00:00 is not a usable MAC address."));
  return TRUE;
}

/* Graphics */

static char *
read_listen (const FieldSpec *spec,
             xmlNodePtr       dev)
{
  g_autofree char *type = hangar_xml_get (dev, "listen@type");
  g_autofree char *address = hangar_xml_get (dev, "listen@address");

  if (g_strcmp0 (type, "none") == 0)
    return g_strdup ("none");
  if (address == NULL)
    address = hangar_xml_get (dev, "@listen");
  if (g_strcmp0 (type, "socket") == 0)
    return g_strdup ("none");
  if (address == NULL || g_strcmp0 (address, "127.0.0.1") == 0 ||
      g_strcmp0 (address, "localhost") == 0 || g_strcmp0 (address, "::1") == 0)
    return g_strdup ("localhost");
  return g_strdup ("address");
}

static char *
read_listen_address (const FieldSpec *spec,
                     xmlNodePtr       dev)
{
  g_autofree char *listen = read_listen (spec, dev);
  char *address;

  if (g_strcmp0 (listen, "address") != 0)
    return NULL;
  address = hangar_xml_get (dev, "listen@address");
  return address != NULL ? address : hangar_xml_get (dev, "@listen");
}

static gboolean
write_listen (const FieldSpec *spec,
              xmlNodePtr       dev,
              const char      *value,
              Context         *ctx,
              GError         **error)
{
  const char *kind = value_of (ctx->values, "listen");
  g_autofree char *old = NULL;
  xmlNodePtr listen;

  if (kind == NULL)
    kind = old = read_listen (spec, dev);
  hangar_xml_remove_children (dev, "listen");
  xmlUnsetProp (dev, BAD_CAST "listen");
  listen = xmlNewChild (dev, NULL, BAD_CAST "listen", NULL);
  if (g_strcmp0 (kind, "none") == 0)
    {
      xmlSetProp (listen, BAD_CAST "type", BAD_CAST "none");
      xmlUnsetProp (dev, BAD_CAST "port");
      xmlUnsetProp (dev, BAD_CAST "autoport");
      return TRUE;
    }
  xmlSetProp (listen, BAD_CAST "type", BAD_CAST "address");
  xmlSetProp (listen, BAD_CAST "address",
              BAD_CAST (g_strcmp0 (kind, "address") == 0
                        ? value_of (ctx->values, "address") : "127.0.0.1"));
  return TRUE;
}

static gboolean
write_graphics_type (const FieldSpec *spec,
                     xmlNodePtr       dev,
                     const char      *value,
                     Context         *ctx,
                     GError         **error)
{
  static const char *const kept[] = { "type", "port", "autoport", "passwd", "listen", NULL };
  xmlAttrPtr next_attr;
  xmlNodePtr next;

  /* What one protocol has (SPICE channels, image compression) the other
   * does not: keep only the listen address, port and password. */
  for (xmlNodePtr n = dev->children; n != NULL; n = next)
    {
      next = n->next;
      if (!(n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "listen")))
        {
          xmlUnlinkNode (n);
          xmlFreeNode (n);
        }
    }
  for (xmlAttrPtr a = dev->properties; a != NULL; a = next_attr)
    {
      next_attr = a->next;
      if (!g_strv_contains (kept, (const char *) a->name))
        xmlRemoveProp (a);
    }
  hangar_xml_set (dev, "@type", value);
  return TRUE;
}

static char *
read_port (const FieldSpec *spec,
           xmlNodePtr       dev)
{
  g_autofree char *autoport = hangar_xml_get (dev, "@autoport");
  g_autofree char *port = hangar_xml_get (dev, "@port");

  if (g_strcmp0 (autoport, "yes") == 0 || port == NULL || g_str_equal (port, "-1"))
    return g_strdup ("auto");
  return g_steal_pointer (&port);
}

static gboolean
write_port (const FieldSpec *spec,
            xmlNodePtr       dev,
            const char      *value,
            Context         *ctx,
            GError         **error)
{
  g_autofree char *listen = read_listen (spec, dev);

  xmlUnsetProp (dev, BAD_CAST "port");
  xmlUnsetProp (dev, BAD_CAST "autoport");
  if (g_strcmp0 (listen, "none") == 0)
    return TRUE;
  if (value == NULL || *value == '\0' || g_str_equal (value, "auto"))
    hangar_xml_set (dev, "@autoport", "yes");
  else
    {
      hangar_xml_set (dev, "@port", value);
      hangar_xml_set (dev, "@autoport", "no");
    }
  return TRUE;
}

static gboolean
check_port (const char *value,
            GHashTable *values,
            gboolean    adding,
            GError    **error)
{
  guint64 port;

  if (*value == '\0' || g_str_equal (value, "auto"))
    return TRUE;
  if (g_strcmp0 (value_of (values, "listen"), "none") == 0)
    return fail (error, _("A display that listens on nothing has no port: choose “auto”."));
  if (!parse_number (value, 5900, 65535, &port))
    return fail (error, _("The port is “auto” or a number from 5900 to 65535."));
  return TRUE;
}

static gboolean
check_listen_address (const char *value,
                      GHashTable *values,
                      gboolean    adding,
                      GError    **error)
{
  g_autoptr (GInetAddress) address = NULL;

  if (g_strcmp0 (value_of (values, "listen"), "address") != 0)
    return TRUE;
  address = g_inet_address_new_from_string (value);
  if (address == NULL)
    return fail (error, _("The listen address is an IPv4 or IPv6 address, like 192.168.1.10."));
  return TRUE;
}

static gboolean
check_password (const char *value,
                GHashTable *values,
                gboolean    adding,
                GError    **error)
{
  if (g_strcmp0 (value_of (values, "type"), "vnc") == 0 && strlen (value) > 8)
    return fail (error, _("VNC passwords have at most 8 characters."));
  return TRUE;
}

/* Video */

static gboolean
write_video_model (const FieldSpec *spec,
                   xmlNodePtr       dev,
                   const char      *value,
                   Context         *ctx,
                   GError         **error)
{
  xmlNodePtr model = hangar_xml_child (dev, "model", TRUE);

  /* QXL's memory sizes mean nothing to the others. */
  for (const char *const *a = (const char *const[]) { "ram", "vgamem", "vram64", NULL };
       *a != NULL; a++)
    xmlUnsetProp (model, BAD_CAST *a);
  if (g_strcmp0 (value, "virtio") != 0)
    hangar_xml_remove_children (model, "acceleration");
  hangar_xml_set (dev, "model@type", value);
  return TRUE;
}

static gboolean
check_vram (const char *value,
            GHashTable *values,
            gboolean    adding,
            GError    **error)
{
  guint64 kib;

  if (*value == '\0')
    return TRUE;
  if (!parse_number (value, 1024, 1048576, &kib))
    return fail (error, _("Video memory is a number of KiB from 1024 to 1048576, or empty for "
                          "the default."));
  return TRUE;
}

static gboolean
check_accel3d (const char *value,
               GHashTable *values,
               gboolean    adding,
               GError    **error)
{
  if (g_strcmp0 (value, "yes") == 0 && g_strcmp0 (value_of (values, "model"), "virtio") != 0)
    return fail (error, _("3D acceleration needs the Virtio GPU model."));
  return TRUE;
}

/* Channels, filesystems, host devices */

static gboolean
write_channel_name (const FieldSpec *spec,
                    xmlNodePtr       dev,
                    const char      *value,
                    Context         *ctx,
                    GError         **error)
{
  gboolean spice = g_strcmp0 (value, "com.redhat.spice.0") == 0;

  hangar_xml_set (dev, "@type", spice ? "spicevmc" : "unix");
  hangar_xml_set (dev, "target@type", "virtio");
  hangar_xml_set (dev, "target@name", value);
  return TRUE;
}

static gboolean
check_folder (const char *value,
              GHashTable *values,
              gboolean    adding,
              GError    **error)
{
  if (!g_path_is_absolute (value))
    return fail (error, _("Choose the folder to share."));
  return TRUE;
}

static gboolean
check_tag (const char *value,
           GHashTable *values,
           gboolean    adding,
           GError    **error)
{
  if (*value == '\0' || strlen (value) > 36 || !only_chars (value, "_.-"))
    return fail (error, _("The mount tag has 1 to 36 letters, digits and “_ . -”; the guest "
                          "mounts the folder by it."));
  return TRUE;
}

/* virtiofs needs the guest's memory shared with the virtiofsd process. */
static gboolean
write_fs_source (const FieldSpec *spec,
                 xmlNodePtr       dev,
                 const char      *value,
                 Context         *ctx,
                 GError         **error)
{
  xmlNodePtr domain = ctx->devices->parent;

  if (ctx->connection != HANGAR_CONNECTION_KIND_REMOTE && !g_file_test (value, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("%s is not a folder."), value);
      return FALSE;
    }
  hangar_xml_set (dev, "source@dir", value);
  hangar_xml_set (domain, "memoryBacking/source@type", "memfd");
  hangar_xml_set (domain, "memoryBacking/access@mode", "shared");
  return TRUE;
}

static char *
read_hostdev (const FieldSpec *spec,
              xmlNodePtr       dev)
{
  g_autofree char *type = hangar_xml_get (dev, "@type");

  if (g_strcmp0 (type, "usb") == 0)
    {
      g_autofree char *vendor = hangar_xml_get (dev, "source/vendor@id");
      g_autofree char *product = hangar_xml_get (dev, "source/product@id");

      return g_strdup_printf ("USB %s:%s", vendor != NULL ? vendor : "?",
                              product != NULL ? product : "?");
    }
  if (g_strcmp0 (type, "pci") == 0)
    {
      g_autofree char *bus = hangar_xml_get (dev, "source/address@bus");
      g_autofree char *slot = hangar_xml_get (dev, "source/address@slot");
      g_autofree char *function = hangar_xml_get (dev, "source/address@function");

      return g_strdup_printf ("PCI %s:%s.%s", bus, slot, function);
    }
  return g_strdup (type);
}

/* "usb:VVVV:PPPP" or "pci:DDDD:BB:SS.F", as listed from the node devices. */
static gboolean
write_hostdev (const FieldSpec *spec,
               xmlNodePtr       dev,
               const char      *value,
               Context         *ctx,
               GError         **error)
{
  g_auto (GStrv) parts = g_strsplit (value != NULL ? value : "", ":", -1);

  if (g_strv_length (parts) == 3 && g_str_equal (parts[0], "usb"))
    {
      g_autofree char *vendor = g_strdup_printf ("0x%s", parts[1]);
      g_autofree char *product = g_strdup_printf ("0x%s", parts[2]);

      hangar_xml_set (dev, "@type", "usb");
      hangar_xml_set (dev, "source/vendor@id", vendor);
      hangar_xml_set (dev, "source/product@id", product);
      return TRUE;
    }
  if (g_strv_length (parts) == 4 && g_str_equal (parts[0], "pci"))
    {
      g_auto (GStrv) slot = g_strsplit (parts[3], ".", 2);
      g_autofree char *domain = g_strdup_printf ("0x%s", parts[1]);
      g_autofree char *bus = g_strdup_printf ("0x%s", parts[2]);
      g_autofree char *s = g_strdup_printf ("0x%s", slot[0]);
      g_autofree char *f = g_strdup_printf ("0x%s", slot[1] != NULL ? slot[1] : "0");

      hangar_xml_set (dev, "@type", "pci");
      hangar_xml_set (dev, "source/address@domain", domain);
      hangar_xml_set (dev, "source/address@bus", bus);
      hangar_xml_set (dev, "source/address@slot", s);
      hangar_xml_set (dev, "source/address@function", f);
      return TRUE;
    }
  return fail (error, _("Choose a host device."));
}

#define END { NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL }

static const FieldSpec disk_fields[] = {
  { "storage", N_("Storage"), HANGAR_FIELD_CHOICE, NULL, storage_kinds, F_ADD_ONLY,
    NULL, NULL, NULL, "new", NULL },
  { "size", N_("Size in GiB"), HANGAR_FIELD_TEXT, NULL, NULL, F_ADD_ONLY,
    NULL, NULL, check_disk_size, "20", NULL },
  { "path", N_("Existing image"), HANGAR_FIELD_FILE, NULL, NULL, F_ADD_ONLY,
    NULL, NULL, check_image_path, NULL, NULL },
  { "source", N_("Image"), HANGAR_FIELD_INFO, NULL, NULL, 0, read_disk_source, NULL, NULL, NULL,
    NULL },
  { "format", N_("Format"), HANGAR_FIELD_INFO, "driver@type", NULL, 0, NULL, NULL, NULL, NULL,
    NULL },
  { "bus", N_("Bus"), HANGAR_FIELD_CHOICE, "target@bus", disk_buses, 0,
    NULL, write_disk_bus, NULL, "virtio",
    N_("VirtIO is fastest; guests without VirtIO drivers (Windows before they are installed) "
       "need SATA.") },
  { "cache", N_("Cache mode"), HANGAR_FIELD_CHOICE, "driver@cache", cache_modes, 0,
    NULL, NULL, NULL, "", NULL },
  { "io", N_("I/O mode"), HANGAR_FIELD_CHOICE, "driver@io", io_modes, 0,
    NULL, NULL, NULL, "", NULL },
  { "discard", N_("Discard"), HANGAR_FIELD_CHOICE, "driver@discard", discard_modes, 0,
    NULL, NULL, NULL, "unmap",
    N_("Passing discards lets the image shrink when the guest frees space.") },
  { "readonly", N_("Read-only"), HANGAR_FIELD_BOOL, "?readonly", NULL, 0,
    NULL, NULL, NULL, "no", NULL },
  { "shareable", N_("Shareable with other VMs"), HANGAR_FIELD_BOOL, "?shareable", NULL, 0,
    NULL, NULL, NULL, "no", NULL },
  { "serial", N_("Serial number"), HANGAR_FIELD_TEXT, "serial", NULL, 0,
    NULL, NULL, check_serial, "", NULL },
  /* Written last: the bus above has named the target the image is named after. */
  { "storage-file", NULL, HANGAR_FIELD_INFO, NULL, NULL, F_ADD_ONLY,
    NULL, NULL, NULL, NULL, NULL },
  END
};

static const FieldSpec cdrom_fields[] = {
  { "media", N_("Medium"), HANGAR_FIELD_FILE, "source@file", NULL, F_ADD_ONLY,
    NULL, write_cdrom_path, check_iso_path, "", NULL },
  { "source", N_("Medium"), HANGAR_FIELD_INFO, "source@file", NULL, 0, NULL, NULL, NULL, NULL,
    NULL },
  { "bus", N_("Bus"), HANGAR_FIELD_CHOICE, "target@bus", cdrom_buses, 0,
    NULL, write_disk_bus, NULL, "sata", NULL },
  END
};

static const FieldSpec nic_fields[] = {
  { "type", N_("Network source"), HANGAR_FIELD_CHOICE, "@type", nic_sources, 0,
    NULL, write_nic_type, NULL, "user",
    N_("User-mode networking needs no set-up; a virtual network or bridge puts the VM on a "
       "network other machines can reach.") },
  { "source", N_("Network or interface name"), HANGAR_FIELD_TEXT, NULL, NULL, 0,
    read_nic_source, write_nic_source, check_nic_source, "", NULL },
  { "model", N_("Device model"), HANGAR_FIELD_CHOICE, "model@type", nic_models, 0,
    NULL, NULL, NULL, "virtio", NULL },
  { "mac", N_("MAC address"), HANGAR_FIELD_TEXT, "mac@address", NULL, 0,
    NULL, NULL, check_mac, "", N_("Leave empty when adding to get a new one.") },
  { "link", N_("Link state"), HANGAR_FIELD_CHOICE, "link@state", link_states, F_LIVE | F_NO_ADD,
    NULL, NULL, NULL, "up", NULL },
  END
};

static const FieldSpec graphics_fields[] = {
  { "type", N_("Protocol"), HANGAR_FIELD_CHOICE, "@type", graphics_types, 0,
    NULL, write_graphics_type, NULL, "spice", NULL },
  { "listen", N_("Listen on"), HANGAR_FIELD_CHOICE, NULL, listen_kinds, 0,
    read_listen, write_listen, NULL, "none",
    N_("Hangar reaches the display through libvirt; listening on a network address lets "
       "other computers connect to it.") },
  { "address", N_("Listen address"), HANGAR_FIELD_TEXT, NULL, NULL, 0,
    read_listen_address, write_listen, check_listen_address, "", NULL },
  { "port", N_("Port"), HANGAR_FIELD_TEXT, NULL, NULL, 0,
    read_port, write_port, check_port, "auto", NULL },
  { "password", N_("Password"), HANGAR_FIELD_SECRET, "@passwd", NULL, 0,
    NULL, NULL, check_password, "", NULL },
  END
};

static const FieldSpec video_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_CHOICE, "model@type", video_models, 0,
    NULL, write_video_model, NULL, "virtio", NULL },
  { "vram", N_("Video memory in KiB"), HANGAR_FIELD_TEXT, "model@vram", NULL, 0,
    NULL, NULL, check_vram, "", NULL },
  { "accel3d", N_("3D acceleration"), HANGAR_FIELD_BOOL, "model/acceleration@accel3d", NULL, 0,
    NULL, NULL, check_accel3d, "no", NULL },
  END
};

static const FieldSpec sound_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_CHOICE, "@model", sound_models, 0,
    NULL, NULL, NULL, "ich9", NULL },
  END
};

static const FieldSpec input_fields[] = {
  { "type", N_("Type"), HANGAR_FIELD_CHOICE, "@type", input_types, 0, NULL, NULL, NULL,
    "tablet", NULL },
  { "bus", N_("Bus"), HANGAR_FIELD_CHOICE, "@bus", input_buses, 0, NULL, NULL, NULL, "usb",
    NULL },
  END
};

static const FieldSpec serial_fields[] = {
  { "kind", N_("Connected to"), HANGAR_FIELD_INFO, "@type", NULL, 0, NULL, NULL, NULL, NULL,
    NULL },
  { "target", N_("Guest side"), HANGAR_FIELD_INFO, "target@type", NULL, 0, NULL, NULL, NULL,
    NULL, NULL },
  /* Adding: a pseudo-terminal, which the serial console view opens. */
  { "pty", NULL, HANGAR_FIELD_INFO, "@type", NULL, F_ADD_ONLY, NULL, NULL, NULL, "pty", NULL },
  END
};

static const FieldSpec channel_fields[] = {
  { "name", N_("Channel"), HANGAR_FIELD_CHOICE, "target@name", channel_names, 0,
    NULL, write_channel_name, NULL, "org.qemu.guest_agent.0", NULL },
  END
};

static const FieldSpec redirdev_fields[] = {
  { "bus", N_("Bus"), HANGAR_FIELD_INFO, "@bus", NULL, 0, NULL, NULL, NULL, "usb", NULL },
  { "kind", N_("Through"), HANGAR_FIELD_INFO, "@type", NULL, 0, NULL, NULL, NULL, "spicevmc",
    NULL },
  END
};

static const FieldSpec controller_fields[] = {
  { "type", N_("Type"), HANGAR_FIELD_INFO, "@type", NULL, 0, NULL, NULL, NULL, NULL, NULL },
  { "model", N_("Model"), HANGAR_FIELD_INFO, "@model", NULL, 0, NULL, NULL, NULL, NULL, NULL },
  { "index", N_("Index"), HANGAR_FIELD_INFO, "@index", NULL, 0, NULL, NULL, NULL, NULL, NULL },
  END
};

static const FieldSpec tpm_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_CHOICE, "@model", tpm_models, 0, NULL, NULL, NULL,
    "tpm-crb", NULL },
  { "backend", N_("Backend"), HANGAR_FIELD_INFO, "backend@type", NULL, 0, NULL, NULL, NULL,
    "emulator", NULL },
  { "version", N_("Version"), HANGAR_FIELD_INFO, "backend@version", NULL, 0, NULL, NULL, NULL,
    "2.0", NULL },
  END
};

static const FieldSpec rng_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_INFO, "@model", NULL, 0, NULL, NULL, NULL, "virtio",
    NULL },
  { "backend-model", NULL, HANGAR_FIELD_INFO, "backend@model", NULL, F_ADD_ONLY, NULL, NULL,
    NULL, "random", NULL },
  { "source", N_("Host source"), HANGAR_FIELD_CHOICE, "backend", rng_sources, 0, NULL, NULL,
    NULL, "/dev/urandom", NULL },
  END
};

static const FieldSpec watchdog_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_CHOICE, "@model", watchdog_models, 0, NULL, NULL, NULL,
    "i6300esb", NULL },
  { "action", N_("When it fires"), HANGAR_FIELD_CHOICE, "@action", watchdog_actions, 0, NULL,
    NULL, NULL, "reset", NULL },
  END
};

static const FieldSpec filesystem_fields[] = {
  { "driver", N_("Driver"), HANGAR_FIELD_INFO, "driver@type", NULL, 0, NULL, NULL, NULL,
    "virtiofs", NULL },
  { "source", N_("Host folder"), HANGAR_FIELD_FOLDER, "source@dir", NULL, 0, NULL,
    write_fs_source, check_folder, NULL,
    N_("Sharing a folder also shares the VM’s memory with the host’s virtiofsd.") },
  { "tag", N_("Mount tag"), HANGAR_FIELD_TEXT, "target@dir", NULL, 0, NULL, NULL, check_tag,
    "shared", NULL },
  { "readonly", N_("Read-only"), HANGAR_FIELD_BOOL, "?readonly", NULL, 0, NULL, NULL, NULL,
    "no", NULL },
  END
};

static const FieldSpec hostdev_fields[] = {
  { "device", N_("Host device"), HANGAR_FIELD_CHOICE, NULL, NULL, F_ADD_ONLY, NULL,
    write_hostdev, NULL, NULL, NULL },
  { "summary", N_("Device"), HANGAR_FIELD_INFO, NULL, NULL, 0, read_hostdev, NULL, NULL, NULL,
    NULL },
  END
};

static const FieldSpec memballoon_fields[] = {
  { "model", N_("Model"), HANGAR_FIELD_INFO, "@model", NULL, 0, NULL, NULL, NULL, NULL, NULL },
  END
};

static const FieldSpec no_fields[] = { END };

/* ------------------------------------------------------------------ */
/* Kinds                                                               */

typedef struct
{
  const char      *element;
  const char      *label;      /* N_ () */
  const FieldSpec *fields;
  gboolean         removable;
  gboolean         addable;
  gboolean         hotplug;    /* attached to and detached from a running VM too */
  const char      *attrs[7];   /* a new element's attributes: name, value, … */
} KindInfo;

static const KindInfo kinds[HANGAR_DEVICE_N_KINDS] = {
  [HANGAR_DEVICE_DISK] = { "disk", N_("Disk"), disk_fields, TRUE, TRUE, TRUE,
                           { "type", "file", "device", "disk", NULL } },
  [HANGAR_DEVICE_CDROM] = { "disk", N_("CD-ROM"), cdrom_fields, TRUE, TRUE, TRUE,
                            { "type", "file", "device", "cdrom", NULL } },
  [HANGAR_DEVICE_NIC] = { "interface", N_("Network interface"), nic_fields, TRUE, TRUE, TRUE,
                          { "type", "user", NULL } },
  [HANGAR_DEVICE_GRAPHICS] = { "graphics", N_("Display"), graphics_fields, TRUE, TRUE, FALSE,
                               { "type", "spice", NULL } },
  [HANGAR_DEVICE_VIDEO] = { "video", N_("Video"), video_fields, TRUE, TRUE, FALSE, { NULL } },
  [HANGAR_DEVICE_SOUND] = { "sound", N_("Sound"), sound_fields, TRUE, TRUE, FALSE, { NULL } },
  [HANGAR_DEVICE_INPUT] = { "input", N_("Input"), input_fields, TRUE, TRUE, FALSE, { NULL } },
  [HANGAR_DEVICE_SERIAL] = { "serial", N_("Serial port"), serial_fields, TRUE, TRUE, FALSE,
                             { NULL } },
  [HANGAR_DEVICE_CONSOLE] = { "console", N_("Console"), serial_fields, FALSE, FALSE, FALSE,
                              { NULL } },
  [HANGAR_DEVICE_CHANNEL] = { "channel", N_("Channel"), channel_fields, TRUE, TRUE, FALSE,
                              { NULL } },
  [HANGAR_DEVICE_REDIRDEV] = { "redirdev", N_("USB redirection"), redirdev_fields, TRUE, TRUE,
                               FALSE, { "bus", "usb", "type", "spicevmc", NULL } },
  [HANGAR_DEVICE_CONTROLLER] = { "controller", N_("Controller"), controller_fields, FALSE,
                                 FALSE, FALSE, { NULL } },
  [HANGAR_DEVICE_TPM] = { "tpm", N_("TPM"), tpm_fields, TRUE, TRUE, FALSE, { NULL } },
  [HANGAR_DEVICE_RNG] = { "rng", N_("Random number generator"), rng_fields, TRUE, TRUE, FALSE,
                          { "model", "virtio", NULL } },
  [HANGAR_DEVICE_WATCHDOG] = { "watchdog", N_("Watchdog"), watchdog_fields, TRUE, TRUE, FALSE,
                               { NULL } },
  [HANGAR_DEVICE_FILESYSTEM] = { "filesystem", N_("Shared folder"), filesystem_fields, TRUE,
                                 TRUE, FALSE,
                                 { "type", "mount", "accessmode", "passthrough", NULL } },
  [HANGAR_DEVICE_HOSTDEV] = { "hostdev", N_("Host device"), hostdev_fields, TRUE, TRUE, FALSE,
                              { "mode", "subsystem", "managed", "yes", NULL } },
  [HANGAR_DEVICE_MEMBALLOON] = { "memballoon", N_("Memory balloon"), memballoon_fields, FALSE,
                                 FALSE, FALSE, { NULL } },
  [HANGAR_DEVICE_OTHER] = { NULL, N_("Other device"), no_fields, TRUE, FALSE, FALSE, { NULL } },
};

const char *
hangar_device_kind_to_label (HangarDeviceKind kind)
{
  g_return_val_if_fail (kind < HANGAR_DEVICE_N_KINDS, NULL);

  return _(kinds[kind].label);
}

gboolean
hangar_device_kind_is_addable (HangarDeviceKind kind)
{
  return kind < HANGAR_DEVICE_N_KINDS && kinds[kind].addable;
}

static HangarDeviceKind
kind_of (xmlNodePtr node)
{
  g_autofree char *device = NULL;

  if (xmlStrEqual (node->name, BAD_CAST "disk"))
    {
      device = hangar_xml_get (node, "@device");
      return g_strcmp0 (device, "cdrom") == 0 ? HANGAR_DEVICE_CDROM : HANGAR_DEVICE_DISK;
    }
  for (guint k = 0; k < HANGAR_DEVICE_N_KINDS; k++)
    if (kinds[k].element != NULL && k != HANGAR_DEVICE_CDROM &&
        xmlStrEqual (node->name, BAD_CAST kinds[k].element))
      return k;
  return HANGAR_DEVICE_OTHER;
}

/* What identifies a device in the saved config between reading and writing. */
static char *
key_of (xmlNodePtr node)
{
  g_autofree char *extra = NULL;

  if (xmlStrEqual (node->name, BAD_CAST "disk"))
    extra = hangar_xml_get (node, "target@dev");
  else if (xmlStrEqual (node->name, BAD_CAST "interface"))
    extra = hangar_xml_get (node, "mac@address");
  else if (xmlStrEqual (node->name, BAD_CAST "controller"))
    extra = hangar_xml_get (node, "@type");
  return g_strdup_printf ("%s:%s", (const char *) node->name, extra != NULL ? extra : "");
}

static char *
title_of (HangarDeviceKind kind,
          xmlNodePtr       node)
{
  g_autofree char *detail = NULL;
  const char *label = _(kinds[kind].label);

  switch (kind)
    {
    case HANGAR_DEVICE_DISK:
    case HANGAR_DEVICE_CDROM:
      detail = hangar_xml_get (node, "target@dev");
      break;
    case HANGAR_DEVICE_NIC:
      detail = hangar_xml_get (node, "mac@address");
      break;
    case HANGAR_DEVICE_GRAPHICS:
      {
        g_autofree char *type = hangar_xml_get (node, "@type");

        detail = g_ascii_strup (type != NULL ? type : "", -1);
      }
      break;
    case HANGAR_DEVICE_VIDEO:
      detail = hangar_xml_get (node, "model@type");
      break;
    case HANGAR_DEVICE_INPUT:
    case HANGAR_DEVICE_CONTROLLER:
      {
        g_autofree char *type = hangar_xml_get (node, "@type");
        g_autofree char *sub = hangar_xml_get (node, kind == HANGAR_DEVICE_INPUT ? "@bus" : "@index");

        detail = g_strdup_printf ("%s %s", type != NULL ? type : "", sub != NULL ? sub : "");
      }
      break;
    case HANGAR_DEVICE_CHANNEL:
      detail = hangar_xml_get (node, "target@name");
      break;
    case HANGAR_DEVICE_FILESYSTEM:
      detail = hangar_xml_get (node, "target@dir");
      break;
    case HANGAR_DEVICE_OTHER:
      return g_strdup ((const char *) node->name);
    default:
      break;
    }
  if (detail == NULL || *g_strstrip (detail) == '\0')
    return g_strdup (label);
  /* Translators: a kind of device and what tells it apart: "Disk vda" */
  return g_strdup_printf (C_("device title", "%s %s"), label, detail);
}

static void
field_free (HangarDeviceField *field)
{
  g_strfreev (field->choices);
  g_strfreev (field->choice_labels);
  g_free (field->value);
  g_free (field);
}

void
hangar_device_free (HangarDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->key);
  g_free (device->title);
  g_free (device->xml);
  g_clear_pointer (&device->fields, g_ptr_array_unref);
  g_free (device);
}

HangarDeviceField *
hangar_device_get_field (HangarDevice *device,
                         const char   *key)
{
  for (guint i = 0; i < device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (device->fields, i);

      if (g_str_equal (field->key, key))
        return field;
    }
  return NULL;
}

gboolean
hangar_device_field_applies (HangarDevice *device,
                             const char   *key,
                             GHashTable   *values)
{
  const char *type = value_of (values, "type");
  const char *listen = value_of (values, "listen");
  const char *storage = value_of (values, "storage");
  const char *model = value_of (values, "model");

  switch (device->kind)
    {
    case HANGAR_DEVICE_NIC:
      return !g_str_equal (key, "source") || g_strcmp0 (type, "user") != 0;
    case HANGAR_DEVICE_GRAPHICS:
      if (g_str_equal (key, "address"))
        return g_strcmp0 (listen, "address") == 0;
      return !g_str_equal (key, "port") || g_strcmp0 (listen, "none") != 0;
    case HANGAR_DEVICE_DISK:
      if (g_str_equal (key, "size"))
        return g_strcmp0 (storage, "new") == 0;
      return !g_str_equal (key, "path") || g_strcmp0 (storage, "existing") == 0;
    case HANGAR_DEVICE_VIDEO:
      if (g_str_equal (key, "vram"))
        return g_strcmp0 (model, "virtio") != 0 && g_strcmp0 (model, "none") != 0;
      return !g_str_equal (key, "accel3d") || g_strcmp0 (model, "virtio") == 0;
    default:
      return TRUE;
    }
}

static char *
read_field (const FieldSpec *spec,
            xmlNodePtr       node)
{
  if (spec->read != NULL)
    return spec->read (spec, node);
  return spec->path != NULL ? hangar_xml_get (node, spec->path) : NULL;
}

/* Which enum of the domain capabilities limits a choice list. */
static GStrv
offered (const Choice *choices,
         Context      *ctx)
{
  if (ctx->caps == NULL)
    return NULL;
  if (choices == disk_buses || choices == cdrom_buses)
    return hangar_domain_caps_values (ctx->caps, "disk", "bus");
  if (choices == video_models)
    return hangar_domain_caps_values (ctx->caps, "video", "modelType");
  if (choices == graphics_types)
    return hangar_domain_caps_values (ctx->caps, "graphics", "type");
  if (choices == tpm_models)
    return hangar_domain_caps_values (ctx->caps, "tpm", "model");
  return NULL;
}

/* The choices a connection offers for a field. */
static void
set_choices (HangarDeviceField *field,
             const FieldSpec   *spec,
             Context           *ctx)
{
  GPtrArray *values = g_ptr_array_new ();
  GPtrArray *labels = g_ptr_array_new ();
  g_auto (GStrv) allowed = spec->choices != NULL ? offered (spec->choices, ctx) : NULL;

  /* Not set in the XML: the hypervisor decides, and the form says so. */
  if ((field->value == NULL || *field->value == '\0') && spec->choices != NULL &&
      spec->choices[0].value != NULL && *spec->choices[0].value != '\0' &&
      !g_str_equal (spec->key, "device"))
    {
      g_ptr_array_add (values, g_strdup (""));
      g_ptr_array_add (labels, g_strdup (_("Hypervisor default")));
      g_free (field->value);
      field->value = g_strdup ("");
    }

  if (spec->choices != NULL)
    for (const Choice *c = spec->choices; c->value != NULL; c++)
      {
        /* What this hypervisor lacks is not offered ("none" is no device). */
        if (allowed != NULL && *c->value != '\0' && !g_str_equal (c->value, "none") &&
            !g_strv_contains ((const char *const *) allowed, c->value) &&
            g_strcmp0 (field->value, c->value) != 0)
          continue;
        /* Hangar's own connection has no virtual networks, bridges or node devices. */
        if (spec->choices == nic_sources && ctx->connection == HANGAR_CONNECTION_KIND_EMBEDDED &&
            !g_str_equal (c->value, "user") && g_strcmp0 (field->value, c->value) != 0)
          continue;
        g_ptr_array_add (values, g_strdup (c->value));
        g_ptr_array_add (labels, g_strdup (_(c->label)));
      }
  else if (g_str_equal (spec->key, "device") && ctx->host_devices != NULL)
    for (guint i = 0; i + 1 < ctx->host_devices->len; i += 2)
      {
        g_ptr_array_add (values, g_strdup (g_ptr_array_index (ctx->host_devices, i)));
        g_ptr_array_add (labels, g_strdup (g_ptr_array_index (ctx->host_devices, i + 1)));
      }
  /* A value the list does not know (set with another tool) stays choosable. */
  if (field->value != NULL && !g_ptr_array_find_with_equal_func (values, field->value,
                                                                 g_str_equal, NULL))
    {
      g_ptr_array_add (values, g_strdup (field->value));
      g_ptr_array_add (labels, g_strdup (field->value));
    }
  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, NULL);
  field->choices = (GStrv) g_ptr_array_free (values, FALSE);
  field->choice_labels = (GStrv) g_ptr_array_free (labels, FALSE);
}

static HangarDevice *
device_new (HangarDeviceKind kind,
            xmlNodePtr       node,
            guint            position,
            Context         *ctx)
{
  HangarDevice *device = g_new0 (HangarDevice, 1);
  gboolean adding = node == NULL;

  device->kind = kind;
  device->position = position;
  device->removable = kinds[kind].removable;
  device->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  if (!adding)
    {
      xmlNodePtr copy = xmlCopyNode (node, 1);

      device->key = key_of (node);
      device->title = title_of (kind, node);
      /* Never a password on screen or in a log. */
      if (xmlHasProp (copy, BAD_CAST "passwd") != NULL)
        xmlSetProp (copy, BAD_CAST "passwd", BAD_CAST "********");
      xmlSetTreeDoc (copy, node->doc);
      device->xml = hangar_xml_dump (copy);
      xmlFreeNode (copy);
    }
  else
    device->title = g_strdup (_(kinds[kind].label));

  for (const FieldSpec *spec = kinds[kind].fields; spec->key != NULL; spec++)
    {
      HangarDeviceField *field;

      if (spec->label == NULL || (adding && (spec->flags & F_NO_ADD)) ||
          (adding && spec->type == HANGAR_FIELD_INFO) || (!adding && (spec->flags & F_ADD_ONLY)))
        continue;
      field = g_new0 (HangarDeviceField, 1);
      field->key = spec->key;
      field->label = _(spec->label);
      field->hint = spec->hint != NULL ? _(spec->hint) : NULL;
      field->type = spec->type;
      field->live = (spec->flags & F_LIVE) != 0;
      field->value = adding ? g_strdup (spec->add_default) : read_field (spec, node);
      /* A NIC without <link> has its cable plugged in. */
      if (!adding && field->value == NULL && g_str_equal (spec->key, "link") &&
          kind == HANGAR_DEVICE_NIC)
        field->value = g_strdup ("up");
      if (spec->type == HANGAR_FIELD_BOOL && field->value == NULL)
        field->value = g_strdup ("no");
      if (spec->type == HANGAR_FIELD_CHOICE)
        set_choices (field, spec, ctx);
      if (adding && g_str_equal (spec->key, "device") && field->choices[0] != NULL)
        {
          g_free (field->value);
          field->value = g_strdup (field->choices[0]);
        }
      g_ptr_array_add (device->fields, field);
    }
  return device;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

static gboolean
check_values (HangarDeviceKind kind,
              GHashTable      *values,
              gboolean         adding,
              GError         **error)
{
  for (const FieldSpec *spec = kinds[kind].fields; spec->key != NULL; spec++)
    {
      const char *value = value_of (values, spec->key);

      if (value == NULL || spec->type == HANGAR_FIELD_INFO)
        continue;
      if (spec->check != NULL && !spec->check (value, values, adding, error))
        return FALSE;
    }
  if (kind == HANGAR_DEVICE_HOSTDEV && adding && value_of (values, "device") == NULL)
    return fail (error, _("This connection lists no host devices to pass through."));
  return TRUE;
}

gboolean
hangar_device_check (HangarDevice  *device,
                     GHashTable    *values,
                     GError       **error)
{
  g_autoptr (GHashTable) all = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer k, v;

  g_return_val_if_fail (device != NULL, FALSE);

  /* Checks see the whole form: what changed over what was there. */
  for (guint i = 0; i < device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (device->fields, i);

      g_hash_table_insert (all, (gpointer) field->key, field->value != NULL ? field->value : "");
    }
  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (all, k, v);
  return check_values (device->kind, all, device->key == NULL, error);
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */

typedef struct
{
  GVirDomain      *domain;
  HangarDeviceKind kind;
  guint            position;
  char            *key;
  GHashTable      *values;   /* the whole form */
  GHashTable      *changed;  /* what differs from the device as read */
  char            *xml;
  gboolean         secure;
  gboolean         pending;
} DeviceData;

static void
device_data_free (DeviceData *data)
{
  g_object_unref (data->domain);
  g_free (data->key);
  g_clear_pointer (&data->values, g_hash_table_unref);
  g_clear_pointer (&data->changed, g_hash_table_unref);
  g_free (data->xml);
  g_free (data);
}

static DeviceData *
device_data_new (HangarVm *vm)
{
  DeviceData *data = g_new0 (DeviceData, 1);

  data->domain = g_object_ref (hangar_vm_get_domain (vm));
  return data;
}

static GTask *
device_task_new (HangarVm            *vm,
                 DeviceData          *data,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (vm, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) device_data_free);
  return task;
}

/* The saved config with secrets (so that redefining it keeps passwords),
 * and what the thread needs to know about the VM. */
typedef struct
{
  virDomainPtr         handle;
  xmlDocPtr            doc;
  xmlNodePtr           devices;
  gboolean             active;
  Context              ctx;
} Session;

static void
session_clear (Session *s)
{
  if (s->handle != NULL)
    virDomainFree (s->handle);
  if (s->doc != NULL)
    xmlFreeDoc (s->doc);
  g_free (s->ctx.vm_name);
  g_free (s->ctx.created);
  g_clear_pointer (&s->ctx.host_devices, g_ptr_array_unref);
  g_clear_pointer (&s->ctx.caps, hangar_domain_caps_free);
}

static gboolean
session_open (Session    *s,
              GVirDomain *domain,
              GError    **error)
{
  char *xml;
  virConnectPtr conn;
  char *uri;

  memset (s, 0, sizeof *s);
  g_object_get (domain, "handle", &s->handle, NULL);
  if (s->handle == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("The VM is gone."));
      return FALSE;
    }
  s->active = virDomainIsActive (s->handle) == 1;
  xml = virDomainGetXMLDesc (s->handle, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
  if (xml == NULL)
    {
      *error = hangar_error_from_libvirt (_("Could not read the VM’s configuration"));
      return FALSE;
    }
  s->doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  free (xml);
  if (s->doc == NULL)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_FAILED,
                           _("Could not read the VM’s configuration"));
      return FALSE;
    }
  s->devices = hangar_xml_child (xmlDocGetRootElement (s->doc), "devices", TRUE);
  s->ctx.devices = s->devices;
  s->ctx.vm_name = hangar_xml_get (xmlDocGetRootElement (s->doc), "name");
  conn = virDomainGetConnect (s->handle);
  uri = conn != NULL ? virConnectGetURI (conn) : NULL;
  s->ctx.connection = uri != NULL ? hangar_connection_kind_for_uri (uri)
                                  : HANGAR_CONNECTION_KIND_OTHER;
  free (uri);
  return TRUE;
}

/* The device elements under <devices>, in order (<emulator> is not one). */
static GPtrArray *
device_nodes (xmlNodePtr devices)
{
  GPtrArray *nodes = g_ptr_array_new ();

  for (xmlNodePtr n = devices->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && !xmlStrEqual (n->name, BAD_CAST "emulator"))
      g_ptr_array_add (nodes, n);
  return nodes;
}

static xmlNodePtr
find_node (Session    *s,
           guint       position,
           const char *key,
           GError    **error)
{
  g_autoptr (GPtrArray) nodes = device_nodes (s->devices);
  g_autofree char *found = NULL;

  if (position < nodes->len)
    found = key_of (g_ptr_array_index (nodes, position));
  if (g_strcmp0 (found, key) != 0)
    {
      g_set_error_literal (error, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND,
                           _("The VM’s hardware was changed by someone else meanwhile: look "
                             "at it again (Revert) and redo the change."));
      return NULL;
    }
  return g_ptr_array_index (nodes, position);
}

/* Saves the edited document: read back through libvirt-gconfig, then
 * defined with libvirt's schema validation, so that an invalid value
 * leaves the saved configuration as it was. */
static gboolean
session_save (Session *s,
              GError **error)
{
  g_autofree char *xml = hangar_xml_dump (xmlDocGetRootElement (s->doc));
  GVirConfigDomain *config = gvir_config_domain_new_from_xml (xml, error);
  g_autofree char *checked = NULL;
  virDomainPtr defined;

  if (config == NULL)
    return FALSE;
  checked = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (config));
  g_object_unref (config);
  defined = virDomainDefineXMLFlags (virDomainGetConnect (s->handle), checked,
                                     VIR_DOMAIN_DEFINE_VALIDATE);
  if (defined == NULL)
    {
      *error = hangar_error_from_libvirt (_("libvirt refused the change"));
      return FALSE;
    }
  virDomainFree (defined);
  return TRUE;
}

static void
list_host_devices (Context      *ctx,
                   virConnectPtr conn)
{
  virNodeDevicePtr *devices = NULL;
  int n;

  ctx->host_devices = g_ptr_array_new_with_free_func (g_free);
  if (ctx->connection == HANGAR_CONNECTION_KIND_EMBEDDED)
    return;
  /* Every device, sorted out below by its capability: not every driver
   * takes the capability flags (the test driver refuses them). */
  n = virConnectListAllNodeDevices (conn, &devices, 0);
  if (n < 0)
    {
      virResetLastError ();
      return;
    }
  for (int i = 0; i < n; i++)
    {
      char *xml = virNodeDeviceGetXMLDesc (devices[i], 0);
      xmlDocPtr doc = xml != NULL ? xmlReadMemory (xml, (int) strlen (xml), NULL, NULL,
                                                   XML_PARSE_NONET) : NULL;
      xmlNodePtr cap = doc != NULL ? hangar_xml_child (xmlDocGetRootElement (doc), "capability",
                                                       FALSE) : NULL;
      g_autofree char *type = cap != NULL ? hangar_xml_get (cap, "@type") : NULL;
      g_autofree char *vendor = cap != NULL ? hangar_xml_get (cap, "vendor@id") : NULL;
      g_autofree char *product = cap != NULL ? hangar_xml_get (cap, "product@id") : NULL;
      g_autofree char *vendor_name = cap != NULL ? hangar_xml_get (cap, "vendor") : NULL;
      g_autofree char *product_name = cap != NULL ? hangar_xml_get (cap, "product") : NULL;

      if (vendor != NULL && product != NULL && g_strcmp0 (type, "usb_device") == 0)
        {
          g_ptr_array_add (ctx->host_devices, g_strdup_printf ("usb:%s:%s", vendor + 2,
                                                               product + 2));
          g_ptr_array_add (ctx->host_devices,
                           g_strdup_printf ("USB %s %s (%s:%s)", vendor_name ?: "",
                                            product_name ?: "", vendor + 2, product + 2));
        }
      else if (g_strcmp0 (type, "pci") == 0)
        {
          g_autofree char *dom = hangar_xml_get (cap, "domain");
          g_autofree char *bus = hangar_xml_get (cap, "bus");
          g_autofree char *slot = hangar_xml_get (cap, "slot");
          g_autofree char *function = hangar_xml_get (cap, "function");
          guint64 d = 0, b = 0, s = 0, f = 0;

          g_ascii_string_to_unsigned (dom ?: "0", 10, 0, 65535, &d, NULL);
          g_ascii_string_to_unsigned (bus ?: "0", 10, 0, 255, &b, NULL);
          g_ascii_string_to_unsigned (slot ?: "0", 10, 0, 31, &s, NULL);
          g_ascii_string_to_unsigned (function ?: "0", 10, 0, 7, &f, NULL);
          g_ptr_array_add (ctx->host_devices,
                           g_strdup_printf ("pci:%04x:%02x:%02x.%x", (guint) d, (guint) b,
                                            (guint) s, (guint) f));
          g_ptr_array_add (ctx->host_devices,
                           g_strdup_printf ("PCI %02x:%02x.%x %s %s", (guint) b, (guint) s,
                                            (guint) f, vendor_name ?: "", product_name ?: ""));
        }
      if (doc != NULL)
        xmlFreeDoc (doc);
      free (xml);
      virNodeDeviceFree (devices[i]);
    }
  free (devices);
}

static void
add_disk_sizes (HangarDevice *device,
                virDomainPtr  handle,
                xmlNodePtr    node)
{
  g_autofree char *target = hangar_xml_get (node, "target@dev");
  virDomainBlockInfo info;
  HangarDeviceField *field;

  if (target == NULL || virDomainGetBlockInfo (handle, target, &info, 0) < 0)
    {
      virResetLastError ();
      return;
    }
  field = g_new0 (HangarDeviceField, 1);
  field->key = "capacity";
  field->label = _("Capacity");
  field->type = HANGAR_FIELD_INFO;
  {
    g_autofree char *capacity = g_format_size (info.capacity);
    g_autofree char *allocation = g_format_size (info.allocation);

    /* Translators: a disk's size and how much of it the image file uses */
    field->value = g_strdup_printf (_("%s (%s used on the host)"), capacity, allocation);
  }
  g_ptr_array_insert (device->fields, 2, field);
}

static void
list_devices_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) nodes = NULL;
  GPtrArray *devices;
  Session s;

  if (!session_open (&s, data->domain, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  s.ctx.caps = hangar_domain_caps_read (s.handle);
  nodes = device_nodes (s.devices);
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify) hangar_device_free);
  for (guint i = 0; i < nodes->len; i++)
    {
      xmlNodePtr node = g_ptr_array_index (nodes, i);
      HangarDevice *device = device_new (kind_of (node), node, i, &s.ctx);

      if (device->kind == HANGAR_DEVICE_DISK)
        add_disk_sizes (device, s.handle, node);
      g_ptr_array_add (devices, device);
    }
  session_clear (&s);
  g_task_return_pointer (task, devices, (GDestroyNotify) g_ptr_array_unref);
}

void
hangar_vm_list_devices_async (HangarVm            *vm,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = device_task_new (vm, device_data_new (vm),
                                            hangar_vm_list_devices_async,
                                            cancellable, callback, user_data);

  g_task_run_in_thread (task, list_devices_thread);
}

GPtrArray *
hangar_vm_list_devices_finish (HangarVm      *vm,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
new_device_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  HangarDevice *device;
  Session s;

  if (!session_open (&s, data->domain, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->kind == HANGAR_DEVICE_HOSTDEV)
    list_host_devices (&s.ctx, virDomainGetConnect (s.handle));
  s.ctx.caps = hangar_domain_caps_read (s.handle);
  device = device_new (data->kind, NULL, 0, &s.ctx);
  session_clear (&s);
  g_task_return_pointer (task, device, (GDestroyNotify) hangar_device_free);
}

void
hangar_vm_new_device_async (HangarVm            *vm,
                            HangarDeviceKind     kind,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_new_device_async, cancellable,
                                            callback, user_data);

  g_return_if_fail (hangar_device_kind_is_addable (kind));
  data->kind = kind;
  g_task_run_in_thread (task, new_device_thread);
}

HangarDevice *
hangar_vm_new_device_finish (HangarVm      *vm,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Runs the writers of the fields in @values over @node, in table order. */
static gboolean
write_fields (HangarDeviceKind kind,
              xmlNodePtr       node,
              GHashTable      *values,
              Context         *ctx,
              gboolean         adding,
              gboolean        *needs_restart,
              GError         **error)
{
  for (const FieldSpec *spec = kinds[kind].fields; spec->key != NULL; spec++)
    {
      const char *value = value_of (values, spec->key);

      if (g_str_equal (spec->key, "storage-file"))
        {
          value = value_of (ctx->values, "storage");
          if (adding && value != NULL && !write_disk_storage (spec, node, value, ctx, error))
            return FALSE;
          continue;
        }
      if (value == NULL || g_str_equal (spec->key, "storage"))
        continue;
      /* A bool that is off is an absent attribute, not "no". */
      if (spec->type == HANGAR_FIELD_BOOL && g_str_equal (value, "no"))
        value = NULL;
      if (spec->type == HANGAR_FIELD_INFO)
        {
          /* Fixed parts of a new device: the TPM's backend, the RNG's source… */
          if (adding && spec->path != NULL && value != NULL)
            hangar_xml_set (node, spec->path, value);
          continue;
        }
      if (spec->write != NULL)
        {
          if (!spec->write (spec, node, value, ctx, error))
            return FALSE;
        }
      else if (spec->path != NULL)
        hangar_xml_set (node, spec->path, value);
      if (needs_restart != NULL && !(spec->flags & F_LIVE))
        *needs_restart = TRUE;
    }
  return TRUE;
}

static int
live_change (virDomainPtr handle,
             xmlNodePtr   node,
             int        (*func) (virDomainPtr, const char *, unsigned int))
{
  g_autofree char *xml = hangar_xml_dump (node);
  int result = func (handle, xml, VIR_DOMAIN_AFFECT_LIVE);

  if (result < 0)
    {
      g_debug ("live device change refused: %s", virGetLastErrorMessage ());
      virResetLastError ();
    }
  return result;
}

static void
apply_device_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  gboolean restart = FALSE;
  xmlNodePtr node;
  Session s;

  if (!session_open (&s, data->domain, &error) ||
      (node = find_node (&s, data->position, data->key, &error)) == NULL)
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  s.ctx.values = data->values;
  if (!write_fields (data->kind, node, data->changed, &s.ctx, FALSE, &restart, &error) ||
      !session_save (&s, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (s.active)
    {
      /* A NIC's link goes up or down at once; the rest waits for a restart. */
      if (g_hash_table_contains (data->changed, "link") &&
          live_change (s.handle, node, virDomainUpdateDeviceFlags) < 0)
        restart = TRUE;
      data->pending = restart;
    }
  session_clear (&s);
  g_task_return_boolean (task, TRUE);
}

static GHashTable *
copy_values (GHashTable *values)
{
  GHashTable *copy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer k, v;

  if (values == NULL)
    return copy;
  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_hash_table_insert (copy, g_strdup (k), g_strdup (v != NULL ? v : ""));
  return copy;
}

void
hangar_vm_apply_device_async (HangarVm            *vm,
                              HangarDevice        *device,
                              GHashTable          *values,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_apply_device_async, cancellable,
                                            callback, user_data);
  g_autoptr (GError) error = NULL;

  data->kind = device->kind;
  data->position = device->position;
  data->key = g_strdup (device->key);
  data->changed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  data->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < device->fields->len; i++)
    {
      HangarDeviceField *field = g_ptr_array_index (device->fields, i);
      const char *value = value_of (values, field->key);

      if (value != NULL && g_strcmp0 (value, field->value != NULL ? field->value : "") != 0)
        g_hash_table_insert (data->changed, g_strdup (field->key), g_strdup (value));
      g_hash_table_insert (data->values, g_strdup (field->key),
                           g_strdup (value != NULL ? value : field->value ?: ""));
    }
  if (!hangar_device_check (device, data->changed, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_run_in_thread (task, apply_device_thread);
}

static gboolean
finish_with_pending (HangarVm      *vm,
                     GAsyncResult  *result,
                     gboolean      *pending,
                     GError       **error)
{
  DeviceData *data;

  g_return_val_if_fail (g_task_is_valid (result, vm), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (pending != NULL)
    *pending = data->pending;
  return TRUE;
}

gboolean
hangar_vm_apply_device_finish (HangarVm      *vm,
                               GAsyncResult  *result,
                               gboolean      *pending,
                               GError       **error)
{
  return finish_with_pending (vm, result, pending, error);
}

static void
add_device_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  DeviceData *data = task_data;
  const KindInfo *info = &kinds[data->kind];
  g_autoptr (GError) error = NULL;
  xmlNodePtr node;
  Session s;

  if (!session_open (&s, data->domain, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  s.ctx.values = data->values;
  node = xmlNewChild (s.devices, NULL, BAD_CAST info->element, NULL);
  for (guint i = 0; info->attrs[i] != NULL; i += 2)
    xmlSetProp (node, BAD_CAST info->attrs[i], BAD_CAST info->attrs[i + 1]);
  if (data->kind == HANGAR_DEVICE_CDROM)
    {
      hangar_xml_set (node, "driver@name", "qemu");
      hangar_xml_set (node, "driver@type", "raw");
      hangar_xml_set (node, "?readonly", "yes");
    }
  if (!write_fields (data->kind, node, data->values, &s.ctx, TRUE, NULL, &error) ||
      !session_save (&s, &error))
    {
      /* Only an image made for this disk goes again; a chosen one stays. */
      if (s.ctx.created != NULL)
        g_unlink (s.ctx.created);
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (s.active)
    data->pending = !info->hotplug ||
                    live_change (s.handle, node, virDomainAttachDeviceFlags) < 0;
  session_clear (&s);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_add_device_async (HangarVm            *vm,
                            HangarDevice        *blank,
                            GHashTable          *values,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_add_device_async, cancellable,
                                            callback, user_data);
  g_autoptr (GError) error = NULL;

  data->kind = blank->kind;
  data->values = copy_values (values);
  /* Fields a form does not show keep their defaults (the RNG's backend model…). */
  for (const FieldSpec *spec = kinds[blank->kind].fields; spec->key != NULL; spec++)
    if (spec->add_default != NULL && !g_hash_table_contains (data->values, spec->key) &&
        !(spec->flags & F_NO_ADD))
      g_hash_table_insert (data->values, g_strdup (spec->key), g_strdup (spec->add_default));
  if (!hangar_device_check (blank, data->values, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_run_in_thread (task, add_device_thread);
}

gboolean
hangar_vm_add_device_finish (HangarVm      *vm,
                             GAsyncResult  *result,
                             gboolean      *pending,
                             GError       **error)
{
  return finish_with_pending (vm, result, pending, error);
}

static void
remove_device_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  xmlNodePtr node;
  Session s;

  if (!session_open (&s, data->domain, &error) ||
      (node = find_node (&s, data->position, data->key, &error)) == NULL)
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  xml = hangar_xml_dump (node);
  xmlUnlinkNode (node);
  xmlFreeNode (node);
  if (!session_save (&s, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (s.active)
    {
      data->pending = TRUE;
      if (kinds[data->kind].hotplug)
        {
          if (virDomainDetachDeviceFlags (s.handle, xml, VIR_DOMAIN_AFFECT_LIVE) == 0)
            data->pending = FALSE;
          else
            virResetLastError ();
        }
    }
  session_clear (&s);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_remove_device_async (HangarVm            *vm,
                               HangarDevice        *device,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_remove_device_async, cancellable,
                                            callback, user_data);

  data->kind = device->kind;
  data->position = device->position;
  data->key = g_strdup (device->key);
  if (!device->removable)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                               _("This device cannot be removed."));
      return;
    }
  g_task_run_in_thread (task, remove_device_thread);
}

gboolean
hangar_vm_remove_device_finish (HangarVm      *vm,
                                GAsyncResult  *result,
                                gboolean      *pending,
                                GError       **error)
{
  return finish_with_pending (vm, result, pending, error);
}

static xmlDocPtr
parse_xml (const char  *xml,
           GError     **error)
{
  xmlDocPtr doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL,
                                 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  if (doc == NULL)
    {
      const xmlError *x = xmlGetLastError ();
      g_autofree char *message = g_strdup (x != NULL && x->message != NULL ? x->message : "");

      g_set_error (error, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                   _("The XML is not well-formed (line %d: %s)."), x != NULL ? x->line : 0,
                   g_strstrip (message));
    }
  return doc;
}

static void
define_device_xml_thread (GTask        *task,
                          gpointer      source_object,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  xmlDocPtr doc = parse_xml (data->xml, &error);
  xmlNodePtr node, edited;
  Session s;

  if (doc == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!session_open (&s, data->domain, &error) ||
      (node = find_node (&s, data->position, data->key, &error)) == NULL)
    {
      xmlFreeDoc (doc);
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!xmlStrEqual (xmlDocGetRootElement (doc)->name, node->name))
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                               _("This device’s XML is a <%s> element; add other devices with "
                                 "Add Hardware."), (const char *) node->name);
      xmlFreeDoc (doc);
      session_clear (&s);
      return;
    }
  edited = xmlDocCopyNode (xmlDocGetRootElement (doc), s.doc, 1);
  xmlFreeDoc (doc);
  /* The XML shown masks a display password: a mask kept is the old one. */
  {
    g_autofree char *mask = hangar_xml_get (edited, "@passwd");
    g_autofree char *old = hangar_xml_get (node, "@passwd");

    if (g_strcmp0 (mask, "********") == 0)
      hangar_xml_set (edited, "@passwd", old);
  }
  xmlReplaceNode (node, edited);
  xmlFreeNode (node);
  if (!session_save (&s, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->pending = s.active;
  session_clear (&s);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_define_device_xml_async (HangarVm            *vm,
                                   HangarDevice        *device,
                                   const char          *xml,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_define_device_xml_async,
                                            cancellable, callback, user_data);

  data->kind = device->kind;
  data->position = device->position;
  data->key = g_strdup (device->key);
  data->xml = g_strdup (xml);
  g_task_run_in_thread (task, define_device_xml_thread);
}

gboolean
hangar_vm_define_device_xml_finish (HangarVm      *vm,
                                    GAsyncResult  *result,
                                    gboolean      *pending,
                                    GError       **error)
{
  return finish_with_pending (vm, result, pending, error);
}

/* ------------------------------------------------------------------ */
/* The whole XML                                                       */

static void
get_xml_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  DeviceData *data = task_data;
  virDomainPtr handle = NULL;
  char *xml;
  char *result;

  g_object_get (data->domain, "handle", &handle, NULL);
  if (handle == NULL)
    {
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_NOT_FOUND, _("The VM is gone."));
      return;
    }
  xml = virDomainGetXMLDesc (handle, VIR_DOMAIN_XML_INACTIVE |
                                     (data->secure ? VIR_DOMAIN_XML_SECURE : 0));
  virDomainFree (handle);
  if (xml == NULL)
    {
      g_task_return_error (task, hangar_error_from_libvirt (_("Could not read the VM’s "
                                                              "configuration")));
      return;
    }
  result = g_strdup (xml);
  free (xml);
  g_task_return_pointer (task, result, g_free);
}

void
hangar_vm_get_xml_async (HangarVm            *vm,
                         gboolean             secure,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_get_xml_async, cancellable,
                                            callback, user_data);

  data->secure = secure;
  g_task_run_in_thread (task, get_xml_thread);
}

char *
hangar_vm_get_xml_finish (HangarVm      *vm,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
define_xml_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  DeviceData *data = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *old_uuid = NULL;
  g_autofree char *old_name = NULL;
  g_autofree char *new_uuid = NULL;
  g_autofree char *new_name = NULL;
  xmlDocPtr doc;
  xmlNodePtr root;
  Session s;

  doc = parse_xml (data->xml, &error);
  if (doc == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  root = xmlDocGetRootElement (doc);
  new_uuid = hangar_xml_get (root, "uuid");
  new_name = hangar_xml_get (root, "name");
  if (!xmlStrEqual (root->name, BAD_CAST "domain"))
    {
      xmlFreeDoc (doc);
      g_task_return_new_error (task, HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                               _("A VM’s XML is a <domain> element."));
      return;
    }
  if (!session_open (&s, data->domain, &error))
    {
      xmlFreeDoc (doc);
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  old_uuid = hangar_xml_get (xmlDocGetRootElement (s.doc), "uuid");
  old_name = hangar_xml_get (xmlDocGetRootElement (s.doc), "name");
  if (g_ascii_strcasecmp (old_uuid ?: "", new_uuid ?: "") != 0)
    error = g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                                 _("The UUID cannot change: it is what makes this XML this VM."));
  else if (g_strcmp0 (old_name, new_name) != 0)
    error = g_error_new_literal (HANGAR_ERROR, HANGAR_ERROR_INVALID_INPUT,
                                 _("Rename the VM on the Overview page, not in its XML."));
  if (error != NULL)
    {
      xmlFreeDoc (doc);
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  xmlFreeDoc (s.doc);
  s.doc = doc;
  if (!session_save (&s, &error))
    {
      session_clear (&s);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data->pending = s.active;
  session_clear (&s);
  g_task_return_boolean (task, TRUE);
}

void
hangar_vm_define_xml_async (HangarVm            *vm,
                            const char          *xml,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  DeviceData *data = device_data_new (vm);
  g_autoptr (GTask) task = device_task_new (vm, data, hangar_vm_define_xml_async, cancellable,
                                            callback, user_data);

  data->xml = g_strdup (xml);
  g_task_run_in_thread (task, define_xml_thread);
}

gboolean
hangar_vm_define_xml_finish (HangarVm      *vm,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vm), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
