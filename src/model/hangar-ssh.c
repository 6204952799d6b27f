/* hangar-ssh.c: the ssh wrapper, the URIs that use it, and console tunnels.
 * Nothing here goes through a shell with user text: the wrapper script holds
 * only paths Hangar chose, and tunnels are spawned from an argv whose host
 * and user were checked by hangar-uri. */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hangar-ssh.h"
#include "hangar-uri.h"

#define CONTROL_PERSIST_SECONDS 120

/* What hangar-askpass needs from Hangar's environment. */
static const char *const desktop_vars[] = {
  "DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
  "AT_SPI_BUS_ADDRESS", "GDK_BACKEND", "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES",
  "GSETTINGS_BACKEND", "XDG_DATA_DIRS",
};

static char *
askpass_path (void)
{
  const char *env = g_getenv ("HANGAR_ASKPASS");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (HANGAR_LIBEXECDIR, "hangar-askpass", NULL);
}

static void
on_tunnel_reaped (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_object_unref (source);
}

char *
hangar_ssh_prepare (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "hangar", "ssh", NULL);
  g_autofree char *wrapper = g_build_filename (dir, "ssh", NULL);
  g_autofree char *askpass = askpass_path ();
  g_autofree char *control = g_build_filename (dir, "%C", NULL);
  g_autofree char *q_control = g_shell_quote (control);
  g_autofree char *q_askpass = g_shell_quote (askpass);
  g_autofree char *script = NULL;
  g_autoptr (GString) env = NULL;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not make the folder %s: %s"), dir, g_strerror (saved));
      return NULL;
    }
  g_chmod (dir, 0700);

  /* libvirt passes few variables to ssh: the wrapper sets what the askpass
   * dialog needs to appear on this desktop and to be accessible (the
   * session bus carries AT-SPI's address). */
  env = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (desktop_vars); i++)
    {
      const char *value = g_getenv (desktop_vars[i]);
      g_autofree char *quoted = NULL;

      if (value == NULL)
        continue;
      quoted = g_shell_quote (value);
      g_string_append_printf (env, "%s=%s; export %s\n", desktop_vars[i], quoted,
                              desktop_vars[i]);
    }
  script = g_strdup_printf ("#!/bin/sh\n"
                            "# Written by Hangar: ssh with one shared connection per host.\n"
                            "%s"
                            "SSH_ASKPASS=%s\n"
                            "SSH_ASKPASS_REQUIRE=prefer\n"
                            "export SSH_ASKPASS SSH_ASKPASS_REQUIRE\n"
                            "exec ssh -o ControlMaster=auto -o ControlPath=%s "
                            "-o ControlPersist=%d -o ServerAliveInterval=5 "
                            "-o ServerAliveCountMax=3 \"$@\"\n",
                            env->str, q_askpass, q_control, CONTROL_PERSIST_SECONDS);
  /* Every connection and console tunnel asks for it: write only when it
   * changed (a new start, another askpass). */
  {
    g_autofree char *current = NULL;

    if (g_file_get_contents (wrapper, &current, NULL, NULL) && g_str_equal (current, script) &&
        g_access (wrapper, X_OK) == 0)
      return g_steal_pointer (&dir);
  }
  if (!g_file_set_contents_full (wrapper, script, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0700,
                                 error))
    return NULL;
  return g_steal_pointer (&dir);
}

/* Adds -p PORT and -l USER for @spec to @argv (which borrows them); returns
 * the port string for the caller to free. */
static char *
add_login_args (GPtrArray           *argv,
                const HangarUriSpec *spec)
{
  char *port = NULL;

  if (spec->port != 0)
    {
      port = g_strdup_printf ("%u", spec->port);
      g_ptr_array_add (argv, (char *) "-p");
      g_ptr_array_add (argv, port);
    }
  if (spec->user != NULL)
    {
      g_ptr_array_add (argv, (char *) "-l");
      g_ptr_array_add (argv, spec->user);
    }
  return port;
}

char *
hangar_ssh_libvirt_uri (const char  *uri,
                        GError     **error)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *wrapper = NULL;
  g_autofree char *escaped = NULL;
  const char *query;

  if (parsed == NULL || g_ascii_strcasecmp (g_uri_get_scheme (parsed), "qemu+ssh") != 0)
    return g_strdup (uri);
  dir = hangar_ssh_prepare (error);
  if (dir == NULL)
    return NULL;
  wrapper = g_build_filename (dir, "ssh", NULL);
  escaped = g_uri_escape_string (wrapper, "/", FALSE);
  query = g_uri_get_query (parsed);
  if (query != NULL && *query != '\0')
    return g_strdup_printf ("%s&command=%s", uri, escaped);
  return g_strdup_printf ("%s%scommand=%s", uri, strchr (uri, '?') ? "" : "?", escaped);
}

int
hangar_ssh_open_tunnel (const char   *uri,
                        const char   *target,
                        GSubprocess **process,
                        GError      **error)
{
  HangarUriSpec spec = { 0 };
  g_autofree char *dir = NULL;
  g_autofree char *wrapper = NULL;
  g_autofree char *port = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *keyfile = NULL;
  int pair[2];

  g_return_val_if_fail (process != NULL && *process == NULL, -1);

  if (!hangar_uri_parse (uri, &spec, error))
    return -1;
  if (spec.transport != HANGAR_TRANSPORT_SSH)
    {
      hangar_uri_spec_clear (&spec);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Consoles of remote hosts are reached through SSH; this connection "
                     "does not use it."));
      return -1;
    }
  for (const char *p = target; *p != '\0'; p++)
    if (g_ascii_iscntrl (*p) || *p == ' ')
      {
        hangar_uri_spec_clear (&spec);
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     _("The display’s address on the host is not usable: %s"), target);
        return -1;
      }

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed != NULL && g_uri_get_query (parsed) != NULL)
    params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params != NULL)
    keyfile = g_hash_table_lookup (params, "keyfile");

  dir = hangar_ssh_prepare (error);
  if (dir == NULL)
    {
      hangar_uri_spec_clear (&spec);
      return -1;
    }
  wrapper = g_build_filename (dir, "ssh", NULL);
  g_ptr_array_add (argv, wrapper);
  g_ptr_array_add (argv, (char *) "-T");
  port = add_login_args (argv, &spec);
  if (keyfile != NULL)
    {
      g_ptr_array_add (argv, (char *) "-i");
      g_ptr_array_add (argv, (char *) keyfile);
    }
  if (params != NULL && g_hash_table_contains (params, "no_verify"))
    {
      g_ptr_array_add (argv, (char *) "-o");
      g_ptr_array_add (argv, (char *) "StrictHostKeyChecking=no");
    }
  g_ptr_array_add (argv, (char *) "-W");
  g_ptr_array_add (argv, (char *) target);
  g_ptr_array_add (argv, (char *) "--");
  g_ptr_array_add (argv, spec.host);
  g_ptr_array_add (argv, NULL);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    {
      int saved = errno;

      hangar_uri_spec_clear (&spec);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s",
                   g_strerror (saved));
      return -1;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_take_stdin_fd (launcher, dup (pair[1]));
  g_subprocess_launcher_take_stdout_fd (launcher, pair[1]);
  *process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
  hangar_uri_spec_clear (&spec);
  if (*process == NULL)
    {
      close (pair[0]);
      return -1;
    }
  return pair[0];
}

void
hangar_ssh_drop_shared (const char *uri)
{
  HangarUriSpec spec = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *wrapper = NULL;
  g_autofree char *port = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;

  if (!hangar_uri_parse (uri, &spec, NULL) || spec.transport != HANGAR_TRANSPORT_SSH)
    {
      hangar_uri_spec_clear (&spec);
      return;
    }
  dir = hangar_ssh_prepare (&error);
  if (dir != NULL)
    {
      wrapper = g_build_filename (dir, "ssh", NULL);
      g_ptr_array_add (argv, wrapper);
      g_ptr_array_add (argv, (char *) "-O");
      g_ptr_array_add (argv, (char *) "exit");
      port = add_login_args (argv, &spec);
      g_ptr_array_add (argv, (char *) "--");
      g_ptr_array_add (argv, spec.host);
      g_ptr_array_add (argv, NULL);
      process = g_subprocess_newv ((const char *const *) argv->pdata,
                                   G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                   G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
      if (process != NULL)
        g_subprocess_wait_async (g_object_ref (process), NULL, on_tunnel_reaped, NULL);
    }
  hangar_uri_spec_clear (&spec);
}
