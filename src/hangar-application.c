/* hangar-application.c: Hangar's GtkApplication. Registers libvirt-glib's
 * event loop before any connection opens, owns the connection list (the
 * embedded connection first, detected local daemons, saved and --connect
 * URIs), parses the command line (also for a second `hangar` invocation,
 * which is forwarded here) and provides the app.* actions. */
#include "config.h"

#include <glib/gi18n.h>
#include <libvirt-gobject/libvirt-gobject.h>

#include "hangar-application.h"
#include "hangar-connection-list.h"
#include "hangar-resources.h"
#include "hangar-window.h"

struct _HangarApplication
{
  GtkApplication        parent_instance;

  gint64                start_time;
  GSettings            *settings;
  HangarConnectionList *connections;
  char                 *embedded_notice;
  char                 *embedded_error;
  gboolean              defaults_added;

  GQueue                pending;        /* of Invocation, waiting for the first window */
  guint                 pending_timeout_id;
};

/* How long the first window waits for local connections to load. */
#define FIRST_WINDOW_WAIT_MS 1500

G_DEFINE_FINAL_TYPE (HangarApplication, hangar_application, GTK_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "connect", 'c', 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Open the libvirt connection URI (repeatable), e.g. qemu:///system"), N_("URI") },
  { "select", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Select the virtual machine called NAME"), N_("NAME") },
  { "console", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Open the console of the virtual machine called NAME (starts nothing)"), N_("NAME") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, NULL, NULL, N_("[FILE…]") },
  { NULL }
};

HangarApplication *
hangar_application_new (gint64 start_time)
{
  HangarApplication *self;

  hangar_register_resource ();
  self = g_object_new (HANGAR_TYPE_APPLICATION,
                                          "application-id", APP_ID,
                                          "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                                          NULL);

  self->start_time = start_time;
  return self;
}

static void add_default_connections (HangarApplication  *self,
                                     const char        **uris);

static HangarWindow *
get_window (HangarApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (hangar_window_new (GTK_APPLICATION (self), self->connections));
      if (self->embedded_notice != NULL)
        hangar_window_show_notice (HANGAR_WINDOW (window), GTK_MESSAGE_WARNING,
                                   self->embedded_notice);
      if (self->embedded_error != NULL)
        hangar_window_show_notice (HANGAR_WINDOW (window), GTK_MESSAGE_ERROR,
                                   self->embedded_error);
    }
  return HANGAR_WINDOW (window);
}

static void
hangar_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (get_window (HANGAR_APPLICATION (application))));
}

/* What one command line asked of the window. */
typedef struct
{
  GApplicationCommandLine *command_line;
  GPtrArray               *asked;    /* HangarConnection */
  GPtrArray               *notices;  /* char *, errors to show */
  char                    *select;
  char                    *console;
  char                    *new_vm_path;
  gboolean                 report_ready;
} Invocation;

static void
invocation_free (Invocation *inv)
{
  g_clear_object (&inv->command_line);
  g_ptr_array_unref (inv->asked);
  g_ptr_array_unref (inv->notices);
  g_free (inv->select);
  g_free (inv->console);
  g_free (inv->new_vm_path);
  g_free (inv);
}

static void
run_invocation (HangarApplication *self,
                Invocation        *inv)
{
  HangarWindow *window = get_window (self);

  for (guint i = 0; i < inv->notices->len; i++)
    hangar_window_show_notice (window, GTK_MESSAGE_ERROR, g_ptr_array_index (inv->notices, i));

  if (inv->console != NULL)
    hangar_window_select_vm_by_name (window, inv->console, TRUE);
  else if (inv->select != NULL)
    hangar_window_select_vm_by_name (window, inv->select, FALSE);

  if (inv->report_ready)
    {
      /* Without --connect, wait for every connection known now. */
      if (inv->asked->len == 0)
        {
          GListModel *model = hangar_connection_list_get_model (self->connections);

          for (guint i = 0; i < g_list_model_get_n_items (model); i++)
            g_ptr_array_add (inv->asked, g_list_model_get_item (model, i));
        }
      hangar_window_report_ready (window, inv->asked, self->start_time);
    }

  gtk_window_present (GTK_WINDOW (window));
  /* After the window, so that the wizard is above it. */
  if (inv->new_vm_path != NULL)
    hangar_window_new_vm (window, inv->new_vm_path);
}

/* The local daemons and test files answer at once or say why; a remote host
 * may take its time. Hangar's own embedded connection is not waited for: it
 * holds the VMs made in Hangar, and its open re-attaches to the running ones
 * (about 0.1 s), which would delay every start and every `--console`. */
static gboolean
local_connection_loading (HangarApplication *self)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);
      HangarConnectionKind kind = hangar_connection_get_kind (c);

      if (hangar_connection_get_state (c) == HANGAR_CONNECTION_STATE_CONNECTING &&
          (kind == HANGAR_CONNECTION_KIND_TEST || kind == HANGAR_CONNECTION_KIND_SESSION ||
           kind == HANGAR_CONNECTION_KIND_SYSTEM))
        return TRUE;
    }
  return FALSE;
}

static void on_connection_state (HangarApplication *self);

static void
run_pending (HangarApplication *self)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);
  Invocation *inv;

  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);

      g_signal_handlers_disconnect_by_func (c, on_connection_state, self);
    }
  while ((inv = g_queue_pop_head (&self->pending)) != NULL)
    {
      run_invocation (self, inv);
      invocation_free (inv);
    }
  g_application_release (G_APPLICATION (self));
}

static void
on_connection_state (HangarApplication *self)
{
  if (!local_connection_loading (self))
    run_pending (self);
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  HangarApplication *self = user_data;

  self->pending_timeout_id = 0;
  run_pending (self);
  return G_SOURCE_REMOVE;
}

/* The first window waits (at most FIRST_WINDOW_WAIT_MS) until the local
 * connections have listed their VMs. Then it shows them at once instead of
 * an empty list filling up, and the memory libvirt used to load a large
 * host (its parser's tree, returned to the system when the open ends) is
 * gone before the window takes its own: the peak is lower by that much
 * (12 MiB with 5000 test-driver VMs). */
static void
wait_for_first_window (HangarApplication *self,
                       Invocation        *inv)
{
  GListModel *model = hangar_connection_list_get_model (self->connections);

  g_queue_push_tail (&self->pending, inv);
  if (self->pending.length > 1)
    return;

  g_application_hold (G_APPLICATION (self));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HangarConnection) c = g_list_model_get_item (model, i);

      g_signal_connect_object (c, "notify::state", G_CALLBACK (on_connection_state), self,
                               G_CONNECT_SWAPPED);
    }
  self->pending_timeout_id = g_timeout_add (FIRST_WINDOW_WAIT_MS, on_pending_timeout, self);
}

static int
hangar_application_command_line (GApplication            *application,
                                 GApplicationCommandLine *command_line)
{
  HangarApplication *self = HANGAR_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **uris = NULL;
  g_autofree const char **files = NULL;
  const char *select = NULL;
  const char *console = NULL;
  Invocation *inv;

  if (g_variant_dict_contains (options, "version"))
    {
      g_application_command_line_print (command_line, "hangar %s\n", PACKAGE_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "connect", "^a&s", &uris);
  g_variant_dict_lookup (options, "select", "&s", &select);
  g_variant_dict_lookup (options, "console", "&s", &console);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&ay", &files);

  if (!self->defaults_added)
    {
      add_default_connections (self, uris);
      self->defaults_added = TRUE;
    }

  inv = g_new0 (Invocation, 1);
  inv->command_line = g_object_ref (command_line);
  inv->asked = g_ptr_array_new_with_free_func (g_object_unref);
  inv->notices = g_ptr_array_new_with_free_func (g_free);
  inv->select = g_strdup (select);
  inv->console = g_strdup (console);
  for (gsize i = 0; uris != NULL && uris[i] != NULL; i++)
    {
      HangarConnection *c = hangar_connection_list_find (self->connections, uris[i]);

      if (c == NULL && hangar_connection_kind_for_uri (uris[i]) == HANGAR_CONNECTION_KIND_EMBEDDED)
        {
          g_ptr_array_add (inv->notices,
                           g_strdup_printf (_("Hangar can open only one embedded connection at a "
                                              "time; quit Hangar to open “%s”."), uris[i]));
          continue;
        }
      if (c == NULL)
        c = hangar_connection_list_add (self->connections, uris[i]);
      g_ptr_array_add (inv->asked, g_object_ref (c));
    }
  /* The invoking process's environment, also when it is a second instance. */
  inv->report_ready =
    g_strcmp0 (g_application_command_line_getenv (command_line, "HANGAR_REPORT_READY"), "1") == 0;
  if (files != NULL && files[0] != NULL)
    {
      /* Relative to where the command ran (it may be a second instance). */
      g_autoptr (GFile) file = g_application_command_line_create_file_for_arg (command_line,
                                                                               files[0]);

      inv->new_vm_path = g_file_get_path (file);
    }

  if (self->pending.length > 0 ||
      (gtk_application_get_active_window (GTK_APPLICATION (self)) == NULL &&
       local_connection_loading (self)))
    wait_for_first_window (self, inv);
  else
    {
      run_invocation (self, inv);
      invocation_free (inv);
    }
  return 0;
}

static int
hangar_application_handle_local_options (GApplication *application,
                                         GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("hangar %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

/* ------------------------------------------------------------------ */
/* app.* actions                                                       */

static void
on_quit (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  HangarApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* VMs keep running: closing a connection does not stop its guests. A
   * window may ask first (unsaved hardware edits): it closes, and the
   * application ends with its last window, once the user answered. */
  for (; windows != NULL; windows = windows->next)
    gtk_window_close (GTK_WINDOW (windows->data));
}

static void
on_about (GSimpleAction *action,
          GVariant      *parameter,
          gpointer       user_data)
{
  GtkApplication *app = user_data;
  static const char *authors[] = { "The Hangar developers", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", _("Hangar"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Create, run and watch virtual machines"),
                         "website", "https://github.com/hangarvm/hangar",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         NULL);
}

static void
on_help (GSimpleAction *action,
         GVariant      *parameter,
         gpointer       user_data)
{
  GtkApplication *app = user_data;
  g_autoptr (GError) error = NULL;
  GtkWindow *window = gtk_application_get_active_window (app);

  if (!gtk_show_uri_on_window (window, "help:hangar", GDK_CURRENT_TIME, &error) &&
      HANGAR_IS_WINDOW (window))
    {
      g_autofree char *message = g_strdup_printf (_("Could not open the help: %s"), error->message);

      hangar_window_show_notice (HANGAR_WINDOW (window), GTK_MESSAGE_ERROR, message);
    }
}

static const GActionEntry app_entries[] = {
  { "quit", on_quit },
  { "about", on_about },
  { "help", on_help },
};

/* ------------------------------------------------------------------ */

static void
hangar_application_startup (GApplication *application)
{
  HangarApplication *self = HANGAR_APPLICATION (application);
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *find_accels[] = { "<Control>f", NULL };
  static const char *new_vm_accels[] = { "<Control>n", NULL };
  static const char *help_accels[] = { "F1", NULL };
  static const char *snapshot_accels[] = { "<Primary><Shift>s", NULL };

  G_APPLICATION_CLASS (hangar_application_parent_class)->startup (application);

  /* libvirt-glib's event loop must be in place before any connection opens. */
  if (!gvir_init_object_check (NULL, NULL, &error))
    g_warning ("Could not initialise libvirt-glib: %s", error->message);
  g_clear_error (&error);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_entries,
                                   G_N_ELEMENTS (app_entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.find", find_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.new-vm", new_vm_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.help", help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "vm.snapshot", snapshot_accels);

  gtk_css_provider_load_from_resource (css, "/io/github/hangarvm/Hangar/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  self->settings = g_settings_new (APP_ID);
  self->connections = hangar_connection_list_new ();
  /* A toggle in the main menu: the Hardware view's XML page becomes editable. */
  {
    g_autoptr (GAction) xml_editor = g_settings_create_action (self->settings,
                                                               "show-xml-editor");

    g_action_map_add_action (G_ACTION_MAP (self), xml_editor);
  }

}

/* libvirt runs one embedded driver per process: a --connect to another
 * embedded root takes the place of the default one, on the first call. */
static char *
embedded_root_of (const char *uri)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *query;

  if (hangar_connection_kind_for_uri (uri) != HANGAR_CONNECTION_KIND_EMBEDDED)
    return NULL;
  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  query = parsed != NULL ? g_uri_get_query (parsed) : NULL;
  if (query == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  return params != NULL ? g_strdup (g_hash_table_lookup (params, "root")) : NULL;
}

static void
add_default_connections (HangarApplication  *self,
                         const char        **uris)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  g_auto (GStrv) saved = NULL;
  g_auto (GStrv) autoconnect = NULL;

  for (gsize i = 0; uris != NULL && uris[i] != NULL && root == NULL; i++)
    root = embedded_root_of (uris[i]);

  if (hangar_connection_list_add_embedded (self->connections, root,
                                           &self->embedded_notice, &error) == NULL)
    self->embedded_error = g_strdup_printf (_("Hangar’s own connection could not be set up: %s"),
                                            error->message);
  hangar_connection_list_detect_local (self->connections);

  saved = g_settings_get_strv (self->settings, "saved-connections");
  autoconnect = g_settings_get_strv (self->settings, "autoconnect-connections");
  for (gsize i = 0; saved[i] != NULL; i++)
    {
      if (hangar_connection_kind_for_uri (saved[i]) == HANGAR_CONNECTION_KIND_EMBEDDED)
        continue;
      if (g_strv_contains ((const char *const *) autoconnect, saved[i]))
        hangar_connection_list_add (self->connections, saved[i]);
      else
        hangar_connection_list_add_closed (self->connections, saved[i]);
    }
}

static void
hangar_application_shutdown (GApplication *application)
{
  HangarApplication *self = HANGAR_APPLICATION (application);

  if (self->connections != NULL)
    hangar_connection_list_close_all (self->connections);

  G_APPLICATION_CLASS (hangar_application_parent_class)->shutdown (application);
}

static void
hangar_application_dispose (GObject *object)
{
  HangarApplication *self = HANGAR_APPLICATION (object);

  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  g_queue_clear_full (&self->pending, (GDestroyNotify) invocation_free);
  g_clear_object (&self->connections);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->embedded_notice, g_free);
  g_clear_pointer (&self->embedded_error, g_free);

  G_OBJECT_CLASS (hangar_application_parent_class)->dispose (object);
}

static void
hangar_application_class_init (HangarApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = hangar_application_dispose;
  app_class->startup = hangar_application_startup;
  app_class->shutdown = hangar_application_shutdown;
  app_class->activate = hangar_application_activate;
  app_class->command_line = hangar_application_command_line;
  app_class->handle_local_options = hangar_application_handle_local_options;
}

static void
hangar_application_init (HangarApplication *self)
{
  g_queue_init (&self->pending);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Create, run and watch virtual machines."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("Without options, Hangar opens its own embedded "
                                                  "connection and the local libvirt daemons that "
                                                  "answer."));
}
