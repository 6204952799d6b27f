/* hangar-ssh.h: how Hangar runs ssh for remote connections. libvirt's SSH
 * transport and every console tunnel go through one wrapper that shares a
 * single SSH connection per host (ControlMaster), so one authentication
 * (password, key passphrase, hardware key touch) serves them all, and that
 * asks for secrets in Hangar's askpass dialog rather than on a terminal. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The folder of Hangar's ssh files ($XDG_RUNTIME_DIR/hangar/ssh, 0700),
 * made if needed, with its wrapper script "ssh" written anew. */
char        *hangar_ssh_prepare        (GError      **error);

/* The URI libvirt should open for @uri: for qemu+ssh URIs the same with
 * command= pointing at the wrapper; other URIs unchanged. */
char        *hangar_ssh_libvirt_uri    (const char   *uri,
                                        GError      **error);

/* Runs `ssh -W TARGET` to the host of @uri (a qemu+ssh URI) through the
 * shared connection. TARGET is "127.0.0.1:PORT" or a UNIX socket path on the
 * remote host. Returns the local end of a socket pair connected to it (the
 * caller owns it) and the ssh process in @process (kill it to close). */
int          hangar_ssh_open_tunnel    (const char   *uri,
                                        const char   *target,
                                        GSubprocess **process,
                                        GError      **error);

/* Asks the shared SSH connection to @uri's host to end (ssh -O exit), so
 * that the next connection logs in anew instead of waiting on a link that
 * died. Does nothing for URIs that are not qemu+ssh. Never waits. */
void         hangar_ssh_drop_shared    (const char   *uri);

G_END_DECLS
