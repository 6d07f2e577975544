/* SPDX-License-Identifier: ISC */
/*
 * test-knownhosts.c - the known_hosts reader (ssh_kh_parse in
 * ssh-hostkey.c): lines libssh2 cannot read (@cert-authority, unknown key
 * types, malformed hashed names) are skipped and every later entry still
 * counts; [host]:port names are kept apart from the plain host; CRLF and
 * a last line without a newline are read; @revoked is found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libssh2.h>

#include "ssh-int.h"

/* Two ed25519 host keys, as known_hosts writes them. */
#define KEY	"AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9ok" \
		"Wi0dh2l9GKJl"
#define OTHER	"AAAAC3NzaC1lZDI1NTE5AAAAIBq3hWlK5pV3pk1Xj7WbJpXlXh8wE3sK" \
		"Qm9uRk7mB1dQ"

static LIBSSH2_SESSION	*session;

/* Returns libssh2's check of KEY under name. */
static int
kh_check(LIBSSH2_KNOWNHOSTS *kh, const char *name)
{
	return libssh2_knownhost_checkp(kh, name, -1, KEY, strlen(KEY),
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
	    LIBSSH2_KNOWNHOST_KEY_ED25519, NULL);
}

/* Parses text into a fresh list; *revoked gets ssh_kh_parse's answer. */
static LIBSSH2_KNOWNHOSTS *
kh_read(const char *text, int *revoked)
{
	LIBSSH2_KNOWNHOSTS	*kh;

	kh = libssh2_knownhost_init(session);
	assert_non_null(kh);
	*revoked = ssh_kh_parse(kh, text, strlen(text), KEY);
	return kh;
}

static void
test_skips_unreadable(void **state)
{
	static const char	 text[] =
	    "# a comment\n"
	    "\n"
	    "@cert-authority *.example ssh-ed25519 " OTHER "\n"
	    "odd.example ssh-unknown-type AAAAB3Nza\n"
	    "|1|not-base64|junk ssh-ed25519 " KEY "\n"
	    "   \t\n"
	    "later.example ssh-ed25519 " KEY " comment\n";
	LIBSSH2_KNOWNHOSTS	*kh;
	int			 revoked;

	(void)state;
	kh = kh_read(text, &revoked);
	assert_int_equal(revoked, 0);
	assert_int_equal(kh_check(kh, "later.example"),
	    LIBSSH2_KNOWNHOST_CHECK_MATCH);
	assert_int_equal(kh_check(kh, "odd.example"),
	    LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
	libssh2_knownhost_free(kh);
}

static void
test_ports_and_crlf(void **state)
{
	static const char	 text[] =
	    "[127.0.0.1]:2222 ssh-ed25519 " KEY "\r\n"
	    "plain.example ssh-ed25519 " OTHER "\r\n"
	    "last.example,alias.example ssh-ed25519 " KEY;
	LIBSSH2_KNOWNHOSTS	*kh;
	int			 revoked;

	(void)state;
	kh = kh_read(text, &revoked);
	assert_int_equal(revoked, 0);
	assert_int_equal(kh_check(kh, "[127.0.0.1]:2222"),
	    LIBSSH2_KNOWNHOST_CHECK_MATCH);
	assert_int_equal(kh_check(kh, "127.0.0.1"),
	    LIBSSH2_KNOWNHOST_CHECK_NOTFOUND);
	assert_int_equal(kh_check(kh, "plain.example"),
	    LIBSSH2_KNOWNHOST_CHECK_MISMATCH);
	assert_int_equal(kh_check(kh, "alias.example"),
	    LIBSSH2_KNOWNHOST_CHECK_MATCH);
	libssh2_knownhost_free(kh);
}

static void
test_revoked(void **state)
{
	LIBSSH2_KNOWNHOSTS	*kh;
	int			 revoked;

	(void)state;
	kh = kh_read("@revoked * ssh-ed25519 " OTHER "\n", &revoked);
	assert_int_equal(revoked, 0);
	libssh2_knownhost_free(kh);
	kh = kh_read("x.example ssh-ed25519 " KEY "\n"
	    "@revoked   *\tssh-ed25519  " KEY "\r\n", &revoked);
	assert_int_not_equal(revoked, 0);
	libssh2_knownhost_free(kh);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_skips_unreadable),
		cmocka_unit_test(test_ports_and_crlf),
		cmocka_unit_test(test_revoked),
	};
	int			r;

	if (libssh2_init(0) != 0 || (session = libssh2_session_init()) == NULL)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	libssh2_session_free(session);
	libssh2_exit();
	return r;
}
