/* SPDX-License-Identifier: ISC */
/*
 * fuzz-knownhosts.c - libFuzzer harness for the known_hosts reader
 * (ssh_kh_parse in ssh-hostkey.c): the input is the text of a
 * known_hosts file (plain and hashed |1| names, [host]:port, @revoked and
 * @cert-authority markers, comments, CRLF, garbage).  The entries are
 * looked up for a few names, and one invariant is checked: whatever comes
 * before it, a last line "@revoked * TYPE KEY" revokes KEY.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libssh2.h>

#include "ssh-int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An ed25519 host key, as known_hosts writes it. */
static const char key64[] =
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
static const char revoke[] = "\n@revoked * ssh-ed25519 "
    "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    "\n";

static const char *const names[] = {
	"localhost", "[127.0.0.1]:2222", "example.org", "[::1]:22",
};

/* Looks the key up under every name; walks and writes every entry. */
static void
kh_exercise(LIBSSH2_KNOWNHOSTS *kh)
{
	struct libssh2_knownhost	*e = NULL, *prev = NULL;
	char				 line[4096];
	size_t				 i, outlen;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		(void)libssh2_knownhost_checkp(kh, names[i], -1, key64,
		    strlen(key64), LIBSSH2_KNOWNHOST_TYPE_PLAIN |
		    LIBSSH2_KNOWNHOST_KEYENC_BASE64 |
		    LIBSSH2_KNOWNHOST_KEY_ED25519, NULL);
	while (libssh2_knownhost_get(kh, &e, prev) == 0) {
		(void)libssh2_knownhost_writeline(kh, e, line, sizeof line,
		    &outlen, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
		prev = e;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static LIBSSH2_SESSION	*ss;
	LIBSSH2_KNOWNHOSTS	*kh;
	char			*text;

	if (ss == NULL) {
		if (libssh2_init(0) != 0 ||
		    (ss = libssh2_session_init()) == NULL)
			abort();
	}
	/* Exactly size bytes, no NUL after: an overread is seen. */
	if ((text = malloc(size + sizeof revoke)) == NULL)
		abort();
	memcpy(text, data, size);
	if ((kh = libssh2_knownhost_init(ss)) == NULL)
		abort();
	(void)ssh_kh_parse(kh, text, size, key64);
	kh_exercise(kh);
	libssh2_knownhost_free(kh);

	memcpy(text + size, revoke, sizeof revoke - 1);
	if ((kh = libssh2_knownhost_init(ss)) == NULL)
		abort();
	if (!ssh_kh_parse(kh, text, size + sizeof revoke - 1, key64))
		abort();	/* the last line revokes the key */
	libssh2_knownhost_free(kh);
	free(text);
	return 0;
}
