/* test-uri.c: hangar-uri builds the URIs the Add Connection dialog shows and
 * refuses names that could reach a shell or an ssh option. */
#include "config.h"

#include <gio/gio.h>

#include "hangar-uri.h"

static void
check_build (HangarHypervisor  hypervisor,
             HangarTransport   transport,
             const char       *user,
             const char       *host,
             guint             port,
             const char       *expected)
{
  HangarUriSpec spec = { .hypervisor = hypervisor, .transport = transport,
                         .user = (char *) user, .host = (char *) host, .port = port };
  HangarUriSpec back = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_uri_build (&spec, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, expected);

  /* And parsing gives the same fields back. */
  g_assert_true (hangar_uri_parse (uri, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back.hypervisor, ==, hypervisor);
  g_assert_cmpint (back.transport, ==, transport);
  g_assert_cmpstr (back.host, ==, host);
  g_assert_cmpstr (back.user, ==, user != NULL && *user != '\0' ? user : NULL);
  g_assert_cmpuint (back.port, ==, port);
  hangar_uri_spec_clear (&back);
}

static void
test_build (void)
{
  check_build (HANGAR_HYPERVISOR_QEMU_SYSTEM, HANGAR_TRANSPORT_LOCAL, NULL, NULL, 0,
               "qemu:///system");
  check_build (HANGAR_HYPERVISOR_QEMU_SESSION, HANGAR_TRANSPORT_LOCAL, NULL, NULL, 0,
               "qemu:///session");
  check_build (HANGAR_HYPERVISOR_QEMU_SYSTEM, HANGAR_TRANSPORT_SSH, "ada", "vmhost.example.org",
               0, "qemu+ssh://ada@vmhost.example.org/system");
  check_build (HANGAR_HYPERVISOR_QEMU_SESSION, HANGAR_TRANSPORT_SSH, "", "10.0.0.2", 2222,
               "qemu+ssh://10.0.0.2:2222/session");
  check_build (HANGAR_HYPERVISOR_QEMU_SYSTEM, HANGAR_TRANSPORT_TLS, NULL, "fe80::1", 0,
               "qemu+tls://[fe80::1]/system");
  check_build (HANGAR_HYPERVISOR_QEMU_SYSTEM, HANGAR_TRANSPORT_TCP, "root", "kvm-01", 16509,
               "qemu+tcp://root@kvm-01:16509/system");
}

static void
test_build_embedded (void)
{
  HangarUriSpec spec = { .hypervisor = HANGAR_HYPERVISOR_EMBEDDED,
                         .embed_root = (char *) "/home/ada/.local/share/hangar/libvirt" };
  HangarUriSpec back = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = hangar_uri_build (&spec, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "qemu:///embed?root=/home/ada/.local/share/hangar/libvirt");
  g_assert_true (hangar_uri_parse (uri, &back, &error));
  g_assert_cmpint (back.hypervisor, ==, HANGAR_HYPERVISOR_EMBEDDED);
  g_assert_cmpstr (back.embed_root, ==, spec.embed_root);
  hangar_uri_spec_clear (&back);

  spec.embed_root = (char *) "relative/path";
  g_assert_null (hangar_uri_build (&spec, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_refused_names (void)
{
  const char *hosts[] = {
    "host;rm -rf /", "-oProxyCommand=x", "host name", "host\nname", "a$(id)", "`id`",
    "host|cat", "host&", "h'o", "h\"o", "", "-", "host.", ".host", "-host.example.org",
    "ho_st", "999.1.1.1", "1.2.3", "fe80::1%eth0", "host/x", "user@host", "host:22",
  };
  const char *users[] = {
    "-oProxyCommand=x", "a b", "a;b", "a\nb", "$USER", "a@b", "a:b",
    "averyveryveryveryverylongusername1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      HangarUriSpec spec = { .hypervisor = HANGAR_HYPERVISOR_QEMU_SYSTEM,
                             .transport = HANGAR_TRANSPORT_SSH, .host = (char *) hosts[i] };
      g_autoptr (GError) error = NULL;
      g_autofree char *uri = hangar_uri_build (&spec, &error);

      g_test_message ("host %s", hosts[i]);
      g_assert_null (uri);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_false (hangar_uri_check_host (hosts[i], NULL));
    }
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      HangarUriSpec spec = { .hypervisor = HANGAR_HYPERVISOR_QEMU_SYSTEM,
                             .transport = HANGAR_TRANSPORT_SSH, .host = (char *) "vmhost",
                             .user = (char *) users[i] };
      g_autoptr (GError) error = NULL;
      g_autofree char *uri = hangar_uri_build (&spec, &error);

      g_test_message ("user %s", users[i]);
      g_assert_null (uri);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }
}

static void
test_parse_refused (void)
{
  const char *uris[] = {
    "qemu+ssh://-oProxyCommand=x/system",
    "qemu+ssh://host;rm%20-rf%20%2F/system",
    "qemu+ssh://%2DoProxyCommand%3Dx@host/system",
    "qemu+ssh://user@host/system?command=/bin/sh",
    "qemu+ssh://user@host/system?netcat=nc%3Bid",
    "qemu+ssh://user@host/system?proxy=x",
    "qemu+ssh://user:secret@host/system",
    "qemu+ssh://host/system#x",
    "qemu+ssh://host /system",
    "qemu+ssh://host\n/system",
    "qemu+ext://host/system",
    "xen:///system",
    "qemu+ssh://host/other",
    "qemu+ssh://host:0/system",
    "qemu+ssh:///system",
    "qemu:///embed",
    "qemu:///embed?root=relative",
    "qemu+ssh://host/embed?root=/x",
    "",
    "not a uri",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      HangarUriSpec spec = { 0 };
      g_autoptr (GError) error = NULL;

      g_test_message ("uri %s", uris[i]);
      g_assert_false (hangar_uri_parse (uris[i], &spec, &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (error->message);
      g_assert_null (spec.host);
    }
}

static void
test_parse_accepted (void)
{
  HangarUriSpec spec = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (hangar_uri_parse ("qemu+ssh://ada@vmhost:2222/session?keyfile=/home/ada/.ssh/id"
                                   "&known_hosts_verify=ignore", &spec, &error));
  g_assert_no_error (error);
  g_assert_cmpint (spec.transport, ==, HANGAR_TRANSPORT_SSH);
  g_assert_cmpint (spec.hypervisor, ==, HANGAR_HYPERVISOR_QEMU_SESSION);
  g_assert_cmpstr (spec.user, ==, "ada");
  g_assert_cmpstr (spec.host, ==, "vmhost");
  g_assert_cmpuint (spec.port, ==, 2222);

  /* libvirt reads qemu://host/system as TLS. */
  g_assert_true (hangar_uri_parse ("qemu://vmhost/system", &spec, &error));
  g_assert_cmpint (spec.transport, ==, HANGAR_TRANSPORT_TLS);

  g_assert_true (hangar_uri_parse ("qemu+unix:///system?socket=/run/libvirt/virtqemud-sock",
                                   &spec, &error));
  g_assert_cmpint (spec.transport, ==, HANGAR_TRANSPORT_LOCAL);

  /* A custom URI is built only when it parses. */
  {
    HangarUriSpec custom = { .hypervisor = HANGAR_HYPERVISOR_CUSTOM,
                             .custom_uri = (char *) "qemu+ssh://vmhost/system?no_verify=1" };
    g_autofree char *uri = hangar_uri_build (&custom, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (uri, ==, custom.custom_uri);
    custom.custom_uri = (char *) "qemu+ssh://vmhost/system?command=sh";
    g_assert_null (hangar_uri_build (&custom, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
  hangar_uri_spec_clear (&spec);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/uri/build", test_build);
  g_test_add_func ("/uri/build-embedded", test_build_embedded);
  g_test_add_func ("/uri/refused-names", test_refused_names);
  g_test_add_func ("/uri/parse-refused", test_parse_refused);
  g_test_add_func ("/uri/parse-accepted", test_parse_accepted);
  return g_test_run ();
}
