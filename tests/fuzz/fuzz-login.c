/* SPDX-License-Identifier: ISC */
/*
 * fuzz-login.c - libFuzzer harness for the login/run marker parsing of
 * login.c: what a shell printed after a run line (echo, start marker,
 * output, end marker, prompt) and the prompt-line helpers.  The first
 * byte picks the nonce's length (0-15 hex digits of a fixed nonce), the
 * rest is the shell's output.  Asserts that nothing is read out of
 * bounds (ASan), that the output extracted never holds a marker, that a
 * status is -1 or what its digits say, and that the shell's message is
 * one bounded line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "tether.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	nonces[] = "1a2b3c4d5e6f708";

/* Aborts unless the first len bytes of out hold no marker of nonce. */
static void
check_no_marker(const char *out, size_t len, const char *nonce)
{
	char	 m[32];
	size_t	 i, n;
	int	 k;

	for (k = 0; k < 2; k++) {
		n = (size_t)snprintf(m, sizeof m, "\036%c.%s%s", "SE"[k], nonce,
		    k == 0 ? "\037" : ".");
		for (i = 0; i + n <= len; i++) {
			if (memcmp(out + i, m, n) != 0)
				continue;
			/* An end marker counts only with digits and \037. */
			if (k == 1) {
				size_t	j = i + n;

				while (j < len && out[j] >= '0' &&
				    out[j] <= '9')
					j++;
				if (j == i + n || j >= len || out[j] != '\037')
					continue;
			}
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 nonce[16], *buf, *out = NULL, *msg = NULL;
	const char	*line;
	size_t		 len, n, i, olen = 0;
	int		 r, status;

	if (size == 0)
		return 0;
	n = data[0] % 16;
	memcpy(nonce, nonces, n);
	nonce[n] = '\0';
	len = size - 1;
	/* An exact-size copy: a read past the end is caught by ASan. */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);

	r = login_run_parse(buf, len, nonce, &out, &olen, &status);
	if (r == 1) {
		if (out == NULL || olen > len || out[olen] != '\0')
			abort();
		check_no_marker(out, olen, nonce);
		if (status < -1 || status > 999999999)
			abort();
		if (olen > 0 && out[olen - 1] == '\n')
			abort();
		for (i = 0; i + 1 < olen; i++) {
			if (out[i] == '\r' && out[i + 1] == '\n')
				abort();
		}
	} else if (r != 0 && r != TETHER_ENOMEM)
		abort();
	free(out);

	r = login_run_abandoned(buf, len, nonce, &msg);
	if (r == 1) {
		if (msg == NULL || strlen(msg) > LOGIN_MSG_MAX ||
		    strchr(msg, '\n') != NULL || strchr(msg, '\r') != NULL)
			abort();
	} else if (r != 0 && r != TETHER_ENOMEM)
		abort();
	free(msg);

	line = login_last_line(buf, len, &n);
	if (line < buf || line + n > buf + len ||
	    memchr(line, '\n', n) != NULL || memchr(line, '\r', n) != NULL ||
	    (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t')))
		abort();
	(void)login_blank(buf, len);
	free(buf);
	return 0;
}
