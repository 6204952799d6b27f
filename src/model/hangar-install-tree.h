/* hangar-install-tree.h: network installs. An install tree (a URL such as
 * http://deb.debian.org/debian/dists/bookworm/main/installer-amd64) is
 * identified with libosinfo: its .treeinfo when the tree has one, else the
 * tree URLs osinfo-db lists for each OS; its kernel and initrd are fetched
 * over HTTP(S) for a direct kernel boot. */
#pragma once

#include <gio/gio.h>
#include <osinfo/osinfo.h>

#include "hangar-os-db.h"

G_BEGIN_DECLS

typedef struct
{
  char     *url;          /* as given, without a trailing "/" */
  OsinfoOs *os;           /* what libosinfo says the tree holds */
  char     *kernel_path;  /* relative to url */
  char     *initrd_path;
} HangarInstallTree;

void               hangar_install_tree_free (HangarInstallTree *tree);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HangarInstallTree, hangar_install_tree_free)

/* FALSE with the reason unless @url is an http, https or ftp URL. */
gboolean           hangar_install_tree_check_url (const char  *url,
                                                  GError     **error);

/* Identifies the tree at @url (HANGAR_ERROR_NOT_FOUND when libosinfo knows
 * no OS for it). Network I/O runs in a thread. */
void               hangar_install_tree_identify_async  (HangarOsDb          *db,
                                                        const char          *url,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
HangarInstallTree *hangar_install_tree_identify_finish (HangarOsDb    *db,
                                                        GAsyncResult  *result,
                                                        GError       **error);

/* Blocking (threads only): fetches @url/@path into @dest. */
gboolean           hangar_install_tree_fetch (const char    *url,
                                              const char    *path,
                                              const char    *dest,
                                              GCancellable  *cancellable,
                                              GError       **error);

G_END_DECLS
