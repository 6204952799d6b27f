/* hangar-config-util.c: libxml2 edits of libvirt-gconfig objects. */
#include "config.h"

#include <libxml/tree.h>
#include <libxml/parser.h>
#include <string.h>

#include "hangar-config-util.h"

char *
hangar_xml_dump (xmlNodePtr node)
{
  xmlBufferPtr buffer = xmlBufferCreate ();
  char *text;

  xmlNodeDump (buffer, node->doc, node, 0, 0);
  text = g_strdup ((const char *) xmlBufferContent (buffer));
  xmlBufferFree (buffer);
  return text;
}

static char *
dump_root (xmlDocPtr doc)
{
  return hangar_xml_dump (xmlDocGetRootElement (doc));
}

/* Every edit: the object's XML as a libxml2 tree, changed, then read back
 * into a new object of the same type. */
xmlDocPtr
hangar_config_read_tree (GVirConfigObject *object)
{
  g_autofree char *xml = gvir_config_object_to_xml (object);

  return xmlReadMemory (xml, (int) strlen (xml), NULL, NULL, XML_PARSE_NONET);
}

GVirConfigObject *
hangar_config_rebuild (GVirConfigObject *object,
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

xmlNodePtr
hangar_xml_child (xmlNodePtr  parent,
                  const char *name,
                  gboolean    create)
{
  for (xmlNodePtr n = parent->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST name))
      return n;
  return create ? xmlNewChild (parent, NULL, BAD_CAST name, NULL) : NULL;
}

static xmlNodePtr
child_element (xmlNodePtr  parent,
               const char *name)
{
  return hangar_xml_child (parent, name, TRUE);
}

void
hangar_xml_remove_children (xmlNodePtr  parent,
                            const char *name)
{
  xmlNodePtr next;

  for (xmlNodePtr n = parent->children; n != NULL; n = next)
    {
      next = n->next;
      if (n->type == XML_ELEMENT_NODE && xmlStrEqual (n->name, BAD_CAST name))
        {
          xmlUnlinkNode (n);
          xmlFreeNode (n);
        }
    }
}

/* Splits "a/b@c" into the element path "a/b" and the attribute "c". */
static xmlNodePtr
walk_path (xmlNodePtr   node,
           const char  *path,
           gboolean     create,
           const char **attr,
           gboolean    *presence)
{
  g_autofree char *elements = NULL;
  const char *at;
  g_auto (GStrv) parts = NULL;

  *presence = path[0] == '?';
  if (*presence)
    path++;
  at = strchr (path, '@');
  *attr = at != NULL ? at + 1 : NULL;
  elements = at != NULL ? g_strndup (path, (gsize) (at - path)) : g_strdup (path);
  if (*elements == '\0')
    return node;
  parts = g_strsplit (elements, "/", -1);
  for (guint i = 0; parts[i] != NULL && node != NULL; i++)
    {
      /* A presence test does not make its element. */
      gboolean make = create && !(*presence && parts[i + 1] == NULL);

      node = hangar_xml_child (node, parts[i], make);
    }
  return node;
}

char *
hangar_xml_get (xmlNodePtr  node,
                const char *path)
{
  const char *attr;
  gboolean presence;
  xmlChar *value;
  char *result;

  node = walk_path (node, path, FALSE, &attr, &presence);
  if (presence)
    return g_strdup (node != NULL ? "yes" : "no");
  if (node == NULL)
    return NULL;
  value = attr != NULL ? xmlGetProp (node, BAD_CAST attr) : xmlNodeGetContent (node);
  if (value == NULL)
    return NULL;
  result = g_strdup ((const char *) value);
  xmlFree (value);
  if (attr == NULL)
    g_strstrip (result);
  return result;
}

static gboolean
is_empty_element (xmlNodePtr node)
{
  if (node->properties != NULL)
    return FALSE;
  for (xmlNodePtr n = node->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE || (n->type == XML_TEXT_NODE && !xmlIsBlankNode (n)))
      return FALSE;
  return TRUE;
}

void
hangar_xml_set (xmlNodePtr  node,
                const char *path,
                const char *value)
{
  gboolean unset = value == NULL || *value == '\0' || (path[0] == '?' && g_strcmp0 (value, "no") == 0);
  const char *attr;
  gboolean presence;
  xmlNodePtr target = walk_path (node, path, !unset, &attr, &presence);

  if (presence)
    {
      if (unset && target != NULL)
        {
          xmlUnlinkNode (target);
          xmlFreeNode (target);
        }
      else if (!unset && target == NULL)
        {
          g_autofree char *parent_path = g_strdup (path + 1);
          char *slash = strrchr (parent_path, '/');
          const char *unused;
          gboolean p;
          xmlNodePtr parent = node;

          if (slash != NULL)
            {
              *slash = '\0';
              parent = walk_path (node, parent_path, TRUE, &unused, &p);
            }
          xmlNewChild (parent, NULL, BAD_CAST (slash != NULL ? slash + 1 : parent_path), NULL);
        }
      return;
    }
  if (target == NULL)
    return;
  if (unset)
    {
      if (attr != NULL)
        xmlUnsetProp (target, BAD_CAST attr);
      else
        xmlNodeSetContent (target, NULL);
      /* Drop the elements the path made empty, up to @node. */
      while (target != node && is_empty_element (target))
        {
          xmlNodePtr parent = target->parent;

          xmlUnlinkNode (target);
          xmlFreeNode (target);
          target = parent;
        }
      return;
    }
  if (attr != NULL)
    xmlSetProp (target, BAD_CAST attr, BAD_CAST value);
  else
    {
      xmlChar *encoded = xmlEncodeSpecialChars (target->doc, BAD_CAST value);

      xmlNodeSetContent (target, encoded);
      xmlFree (encoded);
    }
}

GVirConfigObject *
hangar_config_with_child (GVirConfigObject *object,
                          const char       *root_name,
                          const char       *child_name,
                          ...)
{
  xmlDocPtr doc = hangar_config_read_tree (object);
  xmlNodePtr child;
  const char *name;
  va_list args;

  g_return_val_if_fail (doc != NULL, NULL);
  child = xmlNewChild (xmlDocGetRootElement (doc), NULL, BAD_CAST child_name, NULL);
  va_start (args, child_name);
  while ((name = va_arg (args, const char *)) != NULL)
    xmlNewProp (child, BAD_CAST name, BAD_CAST va_arg (args, const char *));
  va_end (args);
  return hangar_config_rebuild (object, root_name, doc);
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
  xmlDocPtr doc = hangar_config_read_tree (GVIR_CONFIG_OBJECT (domain));
  xmlNodePtr node;

  g_return_val_if_fail (doc != NULL, NULL);
  node = xmlNewChild (child_element (xmlDocGetRootElement (doc), "devices"), NULL,
                      BAD_CAST element, NULL);
  set_props (node, attrs);
  /* xmlNewTextChild escapes the text. */
  if (child != NULL)
    set_props (xmlNewTextChild (node, NULL, BAD_CAST child, BAD_CAST child_text), child_attrs);
  return GVIR_CONFIG_DOMAIN (hangar_config_rebuild (GVIR_CONFIG_OBJECT (domain), "domain", doc));
}

GVirConfigObject *
hangar_config_with_text (GVirConfigObject *object,
                         const char       *root_name,
                         const char       *outer,
                         const char       *inner,
                         const char       *text)
{
  xmlDocPtr doc = hangar_config_read_tree (object);
  xmlNodePtr node;
  xmlChar *encoded;

  g_return_val_if_fail (doc != NULL, NULL);
  node = child_element (child_element (xmlDocGetRootElement (doc), outer), inner);
  /* xmlNodeSetContent would read entities: encode the text first. */
  encoded = xmlEncodeSpecialChars (doc, BAD_CAST text);
  xmlNodeSetContent (node, encoded);
  xmlFree (encoded);
  return hangar_config_rebuild (object, root_name, doc);
}

GVirConfigObject *
hangar_config_without_child (GVirConfigObject *object,
                             const char       *root_name,
                             const char       *child_name)
{
  xmlDocPtr doc = hangar_config_read_tree (object);
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
  return hangar_config_rebuild (object, root_name, doc);
}
