/* SPDX-License-Identifier: ISC */
/*
 * test-vtstrip.c - escape sequence removal, whole and split at every byte;
 * the length caps that keep an unterminated sequence from hiding what
 * follows, and CAN/SUB aborting a sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vtstrip.h"

struct strip_case {
	const char	*in;
	const char	*out;
};

static const struct strip_case cases[] = {
	{ "plain text\r\n", "plain text\r\n" },
	{ "\033[1;32mgreen\033[0m", "green" },
	/* busybox ash asks for the cursor position after its prompt */
	{ "root@tether:~# \033[6n", "root@tether:~# " },
	/* QEMU's HMP redraws the line as each byte is echoed */
	{ "(qemu) i\033[K\033[Di\033[Kn", "(qemu) iin" },
	{ "\033[?2004h$ \033[?2004l", "$ " },		/* bracketed paste */
	{ "\033[200~pasted\033[201~", "pasted" },
	{ "\033]0;title\007after", "after" },		/* OSC with BEL */
	{ "\033]2;t\033\\after", "after" },		/* OSC with ST */
	{ "\033(Bascii\033)0", "ascii" },		/* charset */
	{ "\033Mup\033=\033>", "up" },			/* two-byte */
	{ "a\033[12;\r40Hb", "a\rb" },			/* C0 inside CSI */
	{ "\033Pdcs\033\\x", "x" },
	/* CAN and SUB abort a sequence and pass; elsewhere they just pass */
	{ "\033[1;3\030mX", "\030mX" },
	{ "\033]0;title\032after", "\032after" },
	{ "\033\030x", "\030x" },
	{ "\033(\030B", "\030B" },
	{ "\033Pdcs\033\030x", "\030x" },
	{ "\033_apc\032\033[0mok", "\032ok" },
	{ "a\030b\032c", "a\030b\032c" },
	{ "\033\033\033[1mX", "X" },			/* each ESC restarts */
	{ "nul\0byte", "nul\0byte" },
};

static void
check_split(const struct strip_case *c, size_t inlen, size_t outlen,
    size_t split)
{
	struct vtstrip	 vt;
	char		 buf[256];
	size_t		 n;

	vtstrip_init(&vt);
	memcpy(buf, c->in, inlen);
	n = vtstrip_feed(&vt, buf, split, buf);
	n += vtstrip_feed(&vt, c->in + split, inlen - split, buf + n);
	assert_int_equal(n, outlen);
	assert_memory_equal(buf, c->out, outlen);
}

static void
test_cases(void **state)
{
	size_t	i, split, inlen, outlen;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		inlen = strlen(cases[i].in);
		outlen = strlen(cases[i].out);
		if (i == sizeof cases / sizeof cases[0] - 1)
			inlen = outlen = 8;	/* the NUL case */
		for (split = 0; split <= inlen; split++)
			check_split(&cases[i], inlen, outlen, split);
	}
}

static void
test_byte_at_a_time(void **state)
{
	struct vtstrip	 vt;
	const char	*in = "\033[1mA\033[0m\033]0;x\007B\033[6nC";
	char		 out[64];
	size_t		 i, n = 0;

	vtstrip_init(&vt);
	for (i = 0; in[i] != '\0'; i++)
		n += vtstrip_feed(&vt, in + i, 1, out + n);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ABC", 3);
}

/* Strips in split at every byte and checks the output is want. */
static void
check_every_split(const char *in, size_t inlen, const char *want,
    size_t wantlen)
{
	struct vtstrip	 vt;
	char		*buf;
	size_t		 n, split;

	buf = malloc(inlen + 1);
	assert_non_null(buf);
	for (split = 0; split <= inlen; split++) {
		vtstrip_init(&vt);
		memcpy(buf, in, inlen);
		n = vtstrip_feed(&vt, buf, split, buf);
		n += vtstrip_feed(&vt, in + split, inlen - split, buf + n);
		if (n != wantlen || memcmp(buf, want, n) != 0)
			fail_msg("split at %zu: %zu bytes out, want %zu", split,
			    n, wantlen);
	}
	free(buf);
}

/*
 * Builds intro + fill x count + tail into a new buffer; its length goes
 * in *len.
 */
static char *
build(const char *intro, int fill, size_t count, const char *tail,
    size_t *len)
{
	size_t	 a = strlen(intro), b = strlen(tail);
	char	*p;

	*len = a + count + b;
	p = malloc(*len + 1);
	assert_non_null(p);
	memcpy(p, intro, a);
	memset(p + a, fill, count);
	memcpy(p + a + count, tail, b);
	p[*len] = '\0';
	return p;
}

/*
 * An unterminated OSC, DCS, SOS, PM or APC string used to hide all later
 * output: past VTSTRIP_STRING_MAX bytes (from its ESC) it is abandoned
 * and what follows is text again.
 */
static void
test_string_cap(void **state)
{
	static const char *const intros[] = {
		"\033]0;", "\033P1$", "\033X", "\033^", "\033_",
	};
	char	*in, *want;
	size_t	 i, inlen, wantlen, hidden;

	for (i = 0; i < sizeof intros / sizeof intros[0]; i++) {
		in = build(intros[i], 'a', 5000, "\r\nlogin: ", &inlen);
		hidden = VTSTRIP_STRING_MAX - strlen(intros[i]);
		want = build("", 'a', 5000 - hidden, "\r\nlogin: ", &wantlen);
		check_every_split(in, inlen, want, wantlen);
		free(in);
		free(want);
	}
	/* ESC inside the string counts too (ESC ESC ... is no ST) */
	in = build("\033]", 0x1b, 6000, "\\ok", &inlen);
	check_every_split(in, inlen, "ok", 2);
	free(in);
	/* a second unterminated string right after gets its own cap */
	in = build("\033]", 'a', 5000, "\033]", &inlen);
	want = build(in, 'b', 5000, "end", &wantlen);
	free(in);
	in = want;
	inlen = wantlen;
	want = malloc(2 * 5000 + 3);
	assert_non_null(want);
	wantlen = 5000 - (VTSTRIP_STRING_MAX - 2);
	memset(want, 'a', wantlen);
	memset(want + wantlen, 'b', wantlen);
	memcpy(want + 2 * wantlen, "end", 3);
	check_every_split(in, inlen, want, 2 * wantlen + 3);
	free(in);
	free(want);
	/* a string that ends within the cap is removed whole */
	in = build("\033]", 'a', VTSTRIP_STRING_MAX - 3, "\007after",
	    &inlen);
	check_every_split(in, inlen, "after", 5);
	free(in);
	in = build("\033P", 'a', VTSTRIP_STRING_MAX - 4, "\033\\after",
	    &inlen);
	check_every_split(in, inlen, "after", 5);
	free(in);
}

/* A CSI or ESC sequence past VTSTRIP_SEQ_MAX bytes is abandoned too. */
static void
test_seq_cap(void **state)
{
	char	*in, *want;
	size_t	 inlen, wantlen;

	in = build("\033[", '1', 300, "mtext", &inlen);
	want = build("", '1', 300 - (VTSTRIP_SEQ_MAX - 2), "mtext", &wantlen);
	check_every_split(in, inlen, want, wantlen);
	free(in);
	free(want);
	in = build("\033", ' ', 1000, "Btext", &inlen);
	want = build("", ' ', 1000 - (VTSTRIP_SEQ_MAX - 1), "Btext",
	    &wantlen);
	check_every_split(in, inlen, want, wantlen);
	free(in);
	free(want);
	/* within the cap, removed whole */
	in = build("\033[", '1', VTSTRIP_SEQ_MAX - 3, "mtext", &inlen);
	check_every_split(in, inlen, "text", 4);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_string_cap),
		cmocka_unit_test(test_seq_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
