/* hangar-config-util.h: what libvirt-gconfig has no setter for, done on its
 * XML tree with libxml2 (never by writing XML text). */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* A copy of @object (whose root element is @root_name) with a new child
 * element @child_name carrying the NULL-terminated name/value attributes. */
GVirConfigObject *hangar_config_with_child (GVirConfigObject  *object,
                                            const char        *root_name,
                                            const char        *child_name,
                                            ...) G_GNUC_NULL_TERMINATED;

/* A copy of @object without its child elements named @child_name (e.g. an
 * empty CD-ROM drive: a disk without <source>). */
GVirConfigObject *hangar_config_without_child (GVirConfigObject *object,
                                               const char       *root_name,
                                               const char       *child_name);

/* The serialized element <@element xmlns="…"><@child @attr="@value"/></…>
 * for gvir_config_domain_set_custom_xml (), built with libxml2. */
char             *hangar_config_metadata_element (const char *element,
                                                  const char *child,
                                                  const char *attr,
                                                  const char *value);

/* A copy of @object with the text of <@outer><@inner> under its root set
 * to @text (elements made if missing), e.g. a snapshot's <parent><name>. */
GVirConfigObject *hangar_config_with_text (GVirConfigObject  *object,
                                           const char        *root_name,
                                           const char        *outer,
                                           const char        *inner,
                                           const char        *text);

/* A copy of @domain with one more device under <devices>:
 * <@element @attrs…><@child @child_attrs…>@child_text</@child></@element>,
 * for devices libvirt-gconfig has no class for (rng, tpm). The attribute
 * arrays are NULL-terminated name, value, name, value, … lists. */
GVirConfigDomain *hangar_config_domain_with_device (GVirConfigDomain   *domain,
                                                    const char         *element,
                                                    const char *const  *attrs,
                                                    const char         *child,
                                                    const char *const  *child_attrs,
                                                    const char         *child_text);

/* Edits on a libxml2 tree: @object's XML read into a document, and a new
 * object of @object's type made from the edited document (which it frees). */
xmlDocPtr         hangar_config_read_tree (GVirConfigObject *object);
GVirConfigObject *hangar_config_rebuild   (GVirConfigObject *object,
                                           const char       *root_name,
                                           xmlDocPtr         doc);

/* Paths below an element: "target@bus" is an attribute of a child element,
 * "@type" one of @node itself, "serial" a child's text, "?readonly" whether
 * a child exists ("yes"/"no"); "a/b@c" goes deeper. */
char             *hangar_xml_get        (xmlNodePtr  node,
                                         const char *path);
/* Sets what @path names; NULL or "" removes the attribute or element ("no"
 * for a "?" path), and elements left empty by that go too. */
void              hangar_xml_set        (xmlNodePtr  node,
                                         const char *path,
                                         const char *value);
/* The first child element called @name, made when @create and missing. */
xmlNodePtr        hangar_xml_child      (xmlNodePtr  parent,
                                         const char *name,
                                         gboolean    create);
void              hangar_xml_remove_children (xmlNodePtr  parent,
                                              const char *name);
/* @node serialized (no declaration). */
char             *hangar_xml_dump       (xmlNodePtr  node);

G_END_DECLS
