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

/* Every edit: the object's XML as a libxml2 tree, changed, then read back
 * into a new object of the same type. */
static xmlDocPtr
read_tree (GVirConfigObject *object)
{
  g_autofree char *xml = gvir_config_object_to_xml (object);

  return xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
}

static GVirConfigObject *
rebuild (GVirConfigObject *object,
         const char       *root_name,
         xmlDocPtr         doc)
{
  g_autofree char *edited = dump_root (doc);
  g_autoptr (GError) error = NULL;
  GVirConfigObject *result;

  xmlFreeDoc (doc);
  result = gvir_config_object_new_from_xml (G_OBJECT_TYPE (object), root_name,
                                            gvir_config_object_get_schema (object), edited,
                                            &error);
  if (result == NULL)
    g_critical ("could not re-read <%s>: %s", root_name, error->message);
  return result;
}

/* The first child element of @parent called @name, made if there is none. */
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
hangar_config_with_child (GVirConfigObject *object,
                          const char       *root_name,
                          const char       *child_name,
                          ...)
{
  xmlDocPtr doc = read_tree (object);
  xmlNodePtr child;
  const char *name;
  va_list args;

  g_return_val_if_fail (doc != NULL, NULL);
  child = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST child_name, NULL);
  va_start (args, child_name);
  while ((name = va_arg (args, const char *)) != NULL)
    xmlNewProp (child, BAD_CAST name, BAD_CAST va_arg (args, const char *));
  va_end (args);
  return rebuild (object, root_name, doc);
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
  xmlDocPtr doc = read_tree (GVIR_CONFIG_OBJECT (domain));
  xmlNodePtr node;

  g_return_val_if_fail (doc != NULL, NULL);
  node = xmlNewChild (child_element (xmlDocGetRootElement (doc), "devices"), NULL,
                      BAD_CAST element, NULL);
  set_props (node, attrs);
  /* xmlNewTextChild escapes the text. */
  if (child != NULL)
    set_props (xmlNewTextChild (node, NULL, BAD_CAST child, BAD_CAST child_text), child_attrs);
  return GVIR_CONFIG_DOMAIN (rebuild (GVIR_CONFIG_OBJECT (domain), "domain", doc));
}

GVirConfigObject *
hangar_config_with_text (GVirConfigObject *object,
                         const char       *root_name,
                         const char       *outer,
                         const char       *inner,
                         const char       *text)
{
  xmlDocPtr doc = read_tree (object);
  xmlNodePtr node;
  xmlChar *encoded;

  g_return_val_if_fail (doc != NULL, NULL);
  node = child_element (child_element (xmlDocGetRootElement (doc), outer), inner);
  /* xmlNodeSetContent would read entities: encode the text first. */
  encoded = xmlEncodeSpecialChars (doc, BAD_CAST text);
  xmlNodeSetContent (node, encoded);
  xmlFree (encoded);
  return rebuild (object, root_name, doc);
}

GVirConfigObject *
hangar_config_without_child (GVirConfigObject *object,
                             const char       *root_name,
                             const char       *child_name)
{
  xmlDocPtr doc = read_tree (object);
  xmlNodePtr node, next;

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
  return rebuild (object, root_name, doc);
}
