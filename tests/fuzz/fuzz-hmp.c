/* SPDX-License-Identifier: ISC */
/*
 * fuzz-hmp.c - differential libFuzzer harness for the HMP prompt logic:
 * a monitor's greeting and its answers to commands (segments of the
 * input separated by 0x01; the first byte of each answer picks the
 * command) go in random chunks through the escape stripper into a
 * session's match view, with the expect set hmp_arm() arms and
 * hmp_reply() turning its outcome into the command's output, as hmp.c
 * does on a socket.  Each reply must be what the whole answer gives: the
 * text before the first "(qemu) " at the start of a line, cleaned of the
 * echo and escapes, or the QMP error, or at the end the end of file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "expect-int.h"
#include "hmp.h"
#include "monitor-parse.h"
#include "session.h"
#include "tether.h"
#include "vtstrip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const cmds[] = {
	"info status", "info pci", "info cpus", "info migrate",
	"info version", "help info", "nosuch", "x /4x 0", "  info  status ",
	"quit", "q",
};

static pcre2_code		*qmp_re;	/* as hmp.c's HMP_QMP_RE */
static pcre2_match_data		*qmp_md;

/* Returns the next random number. */
static uint32_t
rnd(uint32_t *rng)
{
	*rng = *rng * 1103515245 + 12345;
	return *rng >> 16;
}

/* Returns where the first prompt at the start of a line is, or len. */
static size_t
find_prompt(const char *p, size_t len)
{
	const char	*q = p;

	while ((q = memmem(q, len - (size_t)(q - p), MONITOR_PROMPT,
	    strlen(MONITOR_PROMPT))) != NULL) {
		if (q == p || q[-1] == '\n')
			return (size_t)(q - p);
		q++;
	}
	return len;
}

/* Returns where the first QMP greeting starts, or len. */
static size_t
find_qmp(const char *p, size_t len)
{
	if (pcre2_match(qmp_re, (PCRE2_SPTR)p, len, 0, 0, qmp_md, NULL) < 0)
		return len;
	return pcre2_get_ovector_pointer(qmp_md)[0];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tether_loop	*loop;
	static char			 name[] = "mon", uri[] = "hmp:fuzz";
	struct tether_session		 s;
	struct tether_expect		*e = NULL;
	struct tether_match		*m;
	struct vtstrip			 ref;
	const uint8_t			*seg, *sep;
	const char			*cmd;
	char				*chunk = NULL, *whole = NULL;
	char				*out, *want;
	size_t				 seglen, off, k, n, wn, at, qat;
	uint32_t			 rng;
	int				 maxchunk, r, wr, last, first = 1;
	int				 ec;
	PCRE2_SIZE			 eo;

	if (loop == NULL) {
		if ((loop = tether_loop_new()) == NULL)
			abort();
		qmp_re = pcre2_compile((PCRE2_SPTR)"\\{\\s*\"QMP\"\\s*:",
		    PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
		if (qmp_re == NULL || (qmp_md =
		    pcre2_match_data_create_from_pattern(qmp_re, NULL)) == NULL)
			abort();
	}
	if (size < 2)
		return 0;
	rng = data[0];
	maxchunk = 1 + (data[1] & 0x7f);
	data += 2;
	size -= 2;
	memset(&s, 0, sizeof s);
	s.name = name;
	s.uri = uri;
	s.loop = loop;
	s.state = SESSION_OPEN;
	s.match_max = 1024 * 1024;
	buf_init(&s.view, 0);
	vtstrip_init(&s.strip);
	vtstrip_init(&ref);
	if ((chunk = malloc(size + 1)) == NULL ||
	    (whole = malloc(size + 1)) == NULL)
		abort();

	while (size > 0 || first) {
		/* The next answer, and the command it answers. */
		cmd = NULL;
		if (!first) {
			cmd = cmds[data[0] % (sizeof cmds / sizeof cmds[0])];
			data++;
			size--;
		}
		seg = data;
		if ((sep = memchr(data, 0x01, size)) != NULL)
			seglen = (size_t)(sep - data);
		else
			seglen = size;
		last = sep == NULL;
		data += seglen + (sep != NULL);
		size -= seglen + (sep != NULL);
		first = 0;

		/* What the whole answer gives. */
		memcpy(whole, seg, seglen);
		wn = vtstrip_feed(&ref, whole, seglen, whole);
		at = find_prompt(whole, wn);
		qat = cmd == NULL ? find_qmp(whole, wn) : wn;

		/* The answer in chunks, as hmp_wait reads it. */
		if ((e = tether_expect_new(loop)) == NULL)
			abort();
		if (hmp_arm(e, &s, cmd == NULL) != 0)
			abort();
		if (cmd != NULL)
			tether_session_flush(&s);
		expect_reset(e);
		expect_feed(e, &s);
		for (off = 0; off < seglen; off += k) {
			k = 1 + rnd(&rng) % (unsigned)maxchunk;
			if (k > seglen - off)
				k = seglen - off;
			memcpy(chunk, seg + off, k);
			n = vtstrip_feed(&s.strip, chunk, k, chunk);
			if (buf_append(&s.view, chunk, n) != 0)
				abort();
			s.rx_bytes += k;
			expect_feed(e, &s);
		}
		if (last) {
			s.state = SESSION_EOF;
			expect_feed(e, &s);
		}
		if ((m = expect_take(e)) == NULL) {
			/* no prompt yet: a timeout, the end of this run */
			if (at < wn || qat < wn || last)
				abort();
			break;
		}
		r = hmp_reply(&s, m, cmd, &out);
		tether_match_free(m);
		tether_expect_free(e);
		e = NULL;

		if (qat < wn && qat < at) {
			wr = TETHER_EPROTO;
			want = NULL;
		} else if (at < wn) {
			wr = 0;
			want = monitor_clean(whole, at, cmd);
		} else {
			wr = cmd != NULL && monitor_is_quit(cmd) ? 0 :
			    TETHER_EOF;
			want = wr == 0 ? monitor_clean(whole, wn, cmd) : NULL;
		}
		if (r != wr || (want == NULL) != (out == NULL) ||
		    (want != NULL && strcmp(want, out) != 0)) {
			fprintf(stderr, "fuzz-hmp: after %s%s%s: got %d "
			    "\"%s\", want %d \"%s\"\n", cmd != NULL ? "\"" : "",
			    cmd != NULL ? cmd : "the greeting",
			    cmd != NULL ? "\"" : "", r, out != NULL ? out : "",
			    wr, want != NULL ? want : "");
			abort();
		}
		if (out != NULL && memchr(out, 0x1b, strlen(out)) != NULL)
			abort();
		free(out);
		free(want);
		if (r != 0 || last)
			break;
	}
	tether_expect_free(e);
	buf_free(&s.view);
	free(chunk);
	free(whole);
	return 0;
}
