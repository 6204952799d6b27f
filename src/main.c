/* main.c: start the application, nothing else. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <malloc.h>

#include "hangar-application.h"

int
main (int   argc,
      char *argv[])
{
  gint64 start_time = g_get_monotonic_time ();
  g_autoptr (HangarApplication) app = NULL;

  /* One malloc arena: every libvirt call runs in a GTask thread, and with an
   * arena per thread the memory one frees stays resident for its arena
   * alone. Measured by bench/list-scale: 118 -> 102 MiB peak at 5000 VMs,
   * no change in time. Before any thread starts. */
  mallopt (M_ARENA_MAX, 1);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* On X11, GTK 3 loads the OpenGL driver at start-up only to choose a
   * visual for GL widgets, and Hangar has none: that costs 50 MiB with
   * Mesa's software renderer (measured under Xvfb; bench/list-scale).
   * spice-gtk's GL scanout draws through EGL itself on X11, so it is not
   * affected. On Wayland (GtkGLArea) and when the user set GDK_GL, GTK's
   * own choice stands. */
  if (g_getenv ("WAYLAND_DISPLAY") == NULL)
    g_setenv ("GDK_GL", "disable", FALSE);

  app = hangar_application_new (start_time);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
