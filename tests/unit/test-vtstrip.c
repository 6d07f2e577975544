/*
 * test-vtstrip.c - escape sequence removal, whole and split at every byte.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_byte_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
