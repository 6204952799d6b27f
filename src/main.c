/* main.c: start the application, nothing else. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "hangar-application.h"

int
main (int   argc,
      char *argv[])
{
  gint64 start_time = g_get_monotonic_time ();
  g_autoptr (HangarApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = hangar_application_new (start_time);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
