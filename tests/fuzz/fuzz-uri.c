/* fuzz-uri.c: libFuzzer target for hangar-uri. Whatever the input, parsing
 * must not crash, and anything it accepts must build back into a URI that
 * parses to the same fields and carries no character a shell or ssh would
 * read specially in its user or host. Without libFuzzer (gcc builds) the
 * same function replays the seed corpus (fuzz-uri-replay.c). */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "hangar-uri.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_plain (const char *text)
{
  if (text == NULL)
    return;
  g_assert_true (text[0] != '-');
  for (const char *p = text; *p != '\0'; p++)
    g_assert_true (g_ascii_isalnum (*p) || strchr ("._-:", *p) != NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  HangarUriSpec spec = { 0 };
  HangarUriSpec back = { 0 };
  g_autofree char *rebuilt = NULL;

  if (!hangar_uri_parse (text, &spec, NULL))
    {
      g_assert_null (spec.host);
      return 0;
    }
  check_plain (spec.user);
  check_plain (spec.host);

  rebuilt = hangar_uri_build (&spec, NULL);
  g_assert_nonnull (rebuilt);
  g_assert_true (hangar_uri_parse (rebuilt, &back, NULL));
  g_assert_cmpint (back.hypervisor, ==, spec.hypervisor);
  g_assert_cmpint (back.transport, ==, spec.transport);
  g_assert_cmpstr (back.host, ==, spec.host);
  g_assert_cmpstr (back.user, ==, spec.user);
  g_assert_cmpuint (back.port, ==, spec.port);
  g_assert_cmpstr (back.embed_root, ==, spec.embed_root);
  hangar_uri_spec_clear (&spec);
  hangar_uri_spec_clear (&back);
  return 0;
}
