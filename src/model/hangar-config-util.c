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
