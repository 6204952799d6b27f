/* hangar-domain-caps.c: libvirt's domain capabilities, read with libxml2. */
#include "config.h"

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <string.h>

#include "hangar-config-util.h"
#include "hangar-domain-caps.h"

struct _HangarDomainCaps
{
  xmlDocPtr doc;
};

HangarDomainCaps *
hangar_domain_caps_read (virDomainPtr handle)
{
  char *domain_xml = virDomainGetXMLDesc (handle, VIR_DOMAIN_XML_INACTIVE);
  xmlDocPtr domain = domain_xml != NULL ? xmlReadMemory (domain_xml, (int) strlen (domain_xml),
                                                         NULL, NULL, XML_PARSE_NONET) : NULL;
  xmlNodePtr root = domain != NULL ? xmlDocGetRootElement (domain) : NULL;
  g_autofree char *emulator = root != NULL ? hangar_xml_get (root, "devices/emulator") : NULL;
  g_autofree char *arch = root != NULL ? hangar_xml_get (root, "os/type@arch") : NULL;
  g_autofree char *machine = root != NULL ? hangar_xml_get (root, "os/type@machine") : NULL;
  g_autofree char *type = root != NULL ? hangar_xml_get (root, "@type") : NULL;
  char *xml;
  HangarDomainCaps *caps = NULL;

  free (domain_xml);
  if (domain != NULL)
    xmlFreeDoc (domain);
  xml = virConnectGetDomainCapabilities (virDomainGetConnect (handle), emulator, arch, machine,
                                         type, 0);
  if (xml == NULL)
    {
      virResetLastError ();
      return NULL;
    }
  caps = g_new0 (HangarDomainCaps, 1);
  caps->doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  free (xml);
  if (caps->doc == NULL)
    g_clear_pointer (&caps, g_free);
  return caps;
}

void
hangar_domain_caps_free (HangarDomainCaps *caps)
{
  if (caps == NULL)
    return;
  xmlFreeDoc (caps->doc);
  g_free (caps);
}

/* The text of each child element called @element of @node with @attr="@value"
 * (or every one when @attr is NULL). */
static GStrv
children_text (xmlNodePtr  node,
               const char *element,
               const char *attr,
               const char *value)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (xmlNodePtr n = node != NULL ? node->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *have = NULL;
      g_autofree char *text = NULL;

      if (n->type != XML_ELEMENT_NODE || !xmlStrEqual (n->name, BAD_CAST element))
        continue;
      have = attr != NULL ? hangar_xml_get (n, attr) : NULL;
      if (attr != NULL && g_strcmp0 (have, value) != 0)
        continue;
      text = hangar_xml_get (n, "");
      if (text != NULL && *text != '\0')
        g_strv_builder_add (builder, text);
    }
  return g_strv_builder_end (builder);
}

static xmlNodePtr
child_with (xmlNodePtr  node,
            const char *element,
            const char *attr,
            const char *value)
{
  for (xmlNodePtr n = node != NULL ? node->children : NULL; n != NULL; n = n->next)
    {
      g_autofree char *have = NULL;

      if (n->type != XML_ELEMENT_NODE || !xmlStrEqual (n->name, BAD_CAST element))
        continue;
      have = hangar_xml_get (n, attr);
      if (g_strcmp0 (have, value) == 0)
        return n;
    }
  return NULL;
}

GStrv
hangar_domain_caps_values (HangarDomainCaps *caps,
                           const char       *device,
                           const char       *name)
{
  xmlNodePtr devices, node, list;

  if (caps == NULL)
    return NULL;
  devices = hangar_xml_child (xmlDocGetRootElement (caps->doc), "devices", FALSE);
  node = devices != NULL ? hangar_xml_child (devices, device, FALSE) : NULL;
  list = child_with (node, "enum", "@name", name);
  return list != NULL ? children_text (list, "value", NULL, NULL) : NULL;
}

GStrv
hangar_domain_caps_cpu_models (HangarDomainCaps *caps)
{
  xmlNodePtr cpu, custom;

  if (caps == NULL)
    return g_new0 (char *, 1);
  cpu = hangar_xml_child (xmlDocGetRootElement (caps->doc), "cpu", FALSE);
  custom = child_with (cpu, "mode", "@name", "custom");
  return children_text (custom, "model", "@usable", "yes");
}
