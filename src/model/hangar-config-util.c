/* hangar-config-util.c: libxml2 edits of libvirt-gconfig objects. */
#include "config.h"

#include <libxml/tree.h>
#include <libxml/parser.h>
#include <string.h>

#include "hangar-config-util.h"

static char *
dump_root (xmlDocPtr doc)
{
  xmlBufferPtr buffer = xmlBufferCreate ();
  char *text;

  xmlNodeDump (buffer, doc, xmlDocGetRootElement (doc), 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return text;
}

GVirConfigObject *
hangar_config_with_child (GVirConfigObject *object,
                          const char       *root_name,
                          const char       *child_name,
                          ...)
{
  g_autofree char *xml = gvir_config_object_to_xml (object);
  g_autofree char *edited = NULL;
  g_autoptr (GError) error = NULL;
  GVirConfigObject *result;
  xmlDocPtr doc;
  xmlNodePtr child;
  const char *name;
  va_list args;

  doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  g_return_val_if_fail (doc != NULL, NULL);
  child = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST child_name, NULL);
  va_start (args, child_name);
  while ((name = va_arg (args, const char *)) != NULL)
    xmlNewProp (child, BAD_CAST name, BAD_CAST va_arg (args, const char *));
  va_end (args);
  edited = dump_root (doc);
  xmlFreeDoc (doc);

  result = gvir_config_object_new_from_xml (G_OBJECT_TYPE (object), root_name,
                                            gvir_config_object_get_schema (object), edited,
                                            &error);
  if (result == NULL)
    g_critical ("could not re-read <%s>: %s", root_name, error->message);
  return result;
}

char *
hangar_config_metadata_element (const char *element,
                                const char *child,
                                const char *attr,
                                const char *value)
{
  xmlDocPtr doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr root = xmlNewNode (NULL, BAD_CAST element);
  xmlNodePtr node;
  char *text;

  xmlDocSetRootElement (doc, root);
  node = xmlNewChild (root, NULL, BAD_CAST child, NULL);
  xmlNewProp (node, BAD_CAST attr, BAD_CAST value);
  text = dump_root (doc);
  xmlFreeDoc (doc);
  return text;
}

static void
set_props (xmlNodePtr         node,
           const char *const *attrs)
{
  for (guint i = 0; attrs != NULL && attrs[i] != NULL && attrs[i + 1] != NULL; i += 2)
    xmlNewProp (node, BAD_CAST attrs[i], BAD_CAST attrs[i + 1]);
}

GVirConfigDomain *
hangar_config_domain_with_device (GVirConfigDomain  *domain,
                                  const char        *element,
                                  const char *const *attrs,
                                  const char        *child,
                                  const char *const *child_attrs,
                                  const char        *child_text)
{
  g_autofree char *xml = gvir_config_object_to_xml (GVIR_CONFIG_OBJECT (domain));
  g_autofree char *edited = NULL;
  g_autoptr (GError) error = NULL;
  GVirConfigDomain *result;
  xmlNodePtr devices = NULL, node, sub;
  xmlDocPtr doc;

  doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  g_return_val_if_fail (doc != NULL, NULL);
  for (xmlNodePtr n = xmlDocGetRootElement (doc)->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST "devices"))
      devices = n;
  if (devices == NULL)
    devices = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST "devices", NULL);
  node = xmlNewChild (devices, NULL, BAD_CAST element, NULL);
  set_props (node, attrs);
  if (child != NULL)
    {
      /* xmlNewTextChild escapes the text. */
      sub = xmlNewTextChild (node, NULL, BAD_CAST child, BAD_CAST child_text);
      set_props (sub, child_attrs);
    }
  edited = dump_root (doc);
  xmlFreeDoc (doc);

  result = gvir_config_domain_new_from_xml (edited, &error);
  if (result == NULL)
    g_critical ("could not re-read the domain: %s", error->message);
  return result;
}

static xmlNodePtr
child_element (xmlNodePtr  parent,
               const char *name)
{
  for (xmlNodePtr n = parent->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST name))
      return n;
  return xmlNewChild (parent, NULL, BAD_CAST name, NULL);
}

GVirConfigObject *
hangar_config_with_text (GVirConfigObject *object,
                         const char       *root_name,
                         const char       *outer,
                         const char       *inner,
                         const char       *text)
{
  g_autofree char *xml = gvir_config_object_to_xml (object);
  g_autofree char *edited = NULL;
  g_autoptr (GError) error = NULL;
  GVirConfigObject *result;
  xmlNodePtr node;
  xmlDocPtr doc;

  doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  g_return_val_if_fail (doc != NULL, NULL);
  node = child_element (child_element (xmlDocGetRootElement (doc), outer), inner);
  /* xmlNodeSetContent would read entities: encode the text first. */
  {
    xmlChar *encoded = xmlEncodeSpecialChars (doc, BAD_CAST text);

    xmlNodeSetContent (node, encoded);
    xmlFree (encoded);
  }
  edited = dump_root (doc);
  xmlFreeDoc (doc);

  result = gvir_config_object_new_from_xml (G_OBJECT_TYPE (object), root_name,
                                            gvir_config_object_get_schema (object), edited,
                                            &error);
  if (result == NULL)
    g_critical ("could not re-read <%s>: %s", root_name, error->message);
  return result;
}

GVirConfigObject *
hangar_config_without_child (GVirConfigObject *object,
                             const char       *root_name,
                             const char       *child_name)
{
  g_autofree char *xml = gvir_config_object_to_xml (object);
  g_autofree char *edited = NULL;
  g_autoptr (GError) error = NULL;
  GVirConfigObject *result;
  xmlNodePtr node, next;
  xmlDocPtr doc;

  doc = xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
  g_return_val_if_fail (doc != NULL, NULL);
  for (node = xmlDocGetRootElement (doc)->children; node != NULL; node = next)
    {
      next = node->next;
      if (node->type == XML_ELEMENT_NODE && xmlStrEqual (node->name, BAD_CAST child_name))
        {
          xmlUnlinkNode (node);
          xmlFreeNode (node);
        }
    }
  edited = dump_root (doc);
  xmlFreeDoc (doc);

  result = gvir_config_object_new_from_xml (G_OBJECT_TYPE (object), root_name,
                                            gvir_config_object_get_schema (object), edited,
                                            &error);
  if (result == NULL)
    g_critical ("could not re-read <%s>: %s", root_name, error->message);
  return result;
}
