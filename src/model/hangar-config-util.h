/* hangar-config-util.h: what libvirt-gconfig has no setter for, done on its
 * XML tree with libxml2 (never by writing XML text). */
#pragma once

#include <libvirt-gconfig/libvirt-gconfig.h>

G_BEGIN_DECLS

/* A copy of @object (whose root element is @root_name) with a new child
 * element @child_name carrying the NULL-terminated name/value attributes. */
GVirConfigObject *hangar_config_with_child (GVirConfigObject  *object,
                                            const char        *root_name,
                                            const char        *child_name,
                                            ...) G_GNUC_NULL_TERMINATED;

/* The serialized element <@element xmlns="…"><@child @attr="@value"/></…>
 * for gvir_config_domain_set_custom_xml (), built with libxml2. */
char             *hangar_config_metadata_element (const char *element,
                                                  const char *child,
                                                  const char *attr,
                                                  const char *value);

G_END_DECLS
