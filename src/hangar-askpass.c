/* hangar-askpass.c: SSH_ASKPASS for Hangar's ssh wrapper. ssh runs it with
 * its prompt as the only argument and reads the answer from its standard
 * output: a password or passphrase (hidden entry), or "yes"/"no" for an
 * unknown host key, or nothing but OK for a notice ("Confirm user presence
 * for key …" with SSH_ASKPASS_PROMPT=none). Cancel exits with status 1,
 * which ssh takes as a refusal. The answer is never logged. */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
/* ssh runs this program with an environment libvirt filtered, without the
 * test command's ASAN_OPTIONS: leak reports at exit (GTK keeps its caches)
 * would turn every answer into a refusal in sanitizer builds. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "detect_leaks=0";
}
#endif

typedef enum
{
  KIND_SECRET,
  KIND_HOST_KEY,
  KIND_NOTICE,
} Kind;

static Kind
kind_of (const char *prompt)
{
  const char *hint = g_getenv ("SSH_ASKPASS_PROMPT");

  if (g_strcmp0 (hint, "none") == 0)
    return KIND_NOTICE;
  if (g_strcmp0 (hint, "confirm") == 0 || strstr (prompt, "(yes/no") != NULL)
    return KIND_HOST_KEY;
  return KIND_SECRET;
}

int
main (int   argc,
      char *argv[])
{
  const char *prompt = argc > 1 ? argv[1] : "";
  Kind kind = kind_of (prompt);
  GtkWidget *dialog, *area, *label, *entry = NULL;
  int response;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  if (!gtk_init_check (&argc, &argv))
    {
      fputs ("hangar-askpass: no display to ask on\n", stderr);
      return 1;
    }

  dialog = gtk_dialog_new ();
  gtk_window_set_title (GTK_WINDOW (dialog),
                        kind == KIND_HOST_KEY ? _("Unknown Host") : _("SSH Authentication"));
  gtk_window_set_keep_above (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_position (GTK_WINDOW (dialog), GTK_WIN_POS_CENTER);
  area = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  gtk_container_set_border_width (GTK_CONTAINER (area), 18);
  gtk_box_set_spacing (GTK_BOX (area), 12);

  label = gtk_label_new (prompt);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_container_add (GTK_CONTAINER (area), label);

  switch (kind)
    {
    case KIND_SECRET:
      entry = gtk_entry_new ();
      gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
      gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
      gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PASSWORD);
      atk_object_set_name (gtk_widget_get_accessible (entry), _("Password or passphrase"));
      gtk_container_add (GTK_CONTAINER (area), entry);
      gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL,
                              _("_OK"), GTK_RESPONSE_OK, NULL);
      break;
    case KIND_HOST_KEY:
      gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Reject"), GTK_RESPONSE_CANCEL,
                              _("_Trust This Host"), GTK_RESPONSE_OK, NULL);
      break;
    case KIND_NOTICE:
    default:
      gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_OK"), GTK_RESPONSE_OK, NULL);
      break;
    }
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  gtk_widget_show_all (dialog);

  response = gtk_dialog_run (GTK_DIALOG (dialog));
  if (response != GTK_RESPONSE_OK)
    return 1;
  if (kind == KIND_SECRET)
    {
      fputs (gtk_entry_get_text (GTK_ENTRY (entry)), stdout);
      fputc ('\n', stdout);
    }
  else if (kind == KIND_HOST_KEY)
    fputs ("yes\n", stdout);
  fflush (stdout);
  return 0;
}
