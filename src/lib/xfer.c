/* SPDX-License-Identifier: ISC */
/*
 * xfer.c - tether_put and tether_get: files into and out of a session's
 * machine, over ssh (ssh-sftp.c) or, on a console's shell, as base64
 * lines read by the guest's own decoder and back as its encoder's output,
 * checked with sha256sum (else md5sum) on both sides.
 *
 * On a console each chunk is one command, after tether's usual markers:
 * echo off, a ready marker, then `head -c LEN | { DECODER | cat >FILE;
 * ...; cat >/dev/null; }`, so that exactly LEN bytes are read from the
 * terminal whatever the decoder does: a failing decoder or a full disk
 * never leaves base64 text for the shell to run, and cat says why a
 * write failed.  Nothing is sent before the ready
 * marker, so the shell's line editor never sees data, and a chunk (64
 * KiB) stays far below what a tty buffers without flow control.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "login.h"
#include "loop.h"
#include "session.h"
#include "sha256.h"
#include "ssh-sftp.h"
#include "target.h"
#include "tether.h"

#define XFER_CHUNK	49152		/* raw bytes per console command */
#define XFER_COLS	1024		/* base64 line length (base64 -d) */
#define XFER_COLS_SHORT	64		/* openssl and uudecode */
#define XFER_PROMPT_MS	2000		/* the prompt after a command */
#define XFER_MSG_MAX	300		/* shell message quoted in errors */

/* Hashes the whole of fd from its start.  Returns 0 or -1 (errno). */
static int
xfer_fd_sha256(int fd, char hex[65])
{
	struct sha256	 c;
	char		 b[65536];
	ssize_t		 n;
	off_t		 off = 0;

	sha256_init(&c);
	while ((n = pread(fd, b, sizeof b, off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		sha256_update(&c, b, (size_t)n);
		off += n;
	}
	sha256_hex(&c, hex);
	return 0;
}

/*
 * MD5 (RFC 1321), for a shell with md5sum but no sha256sum.
 */
struct md5 {
	uint32_t	 h[4];
	uint64_t	 len;
	unsigned char	 blk[64];
	size_t		 n;
};

static void
md5_block(struct md5 *c, const unsigned char *p)
{
	static const uint32_t	k[64] = {
		0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf,
		0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af,
		0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e,
		0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
		0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6,
		0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
		0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
		0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
		0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
		0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97,
		0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
		0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
		0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
	};
	static const int	rot[16] = {
		7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21,
	};
	uint32_t	w[16], a, b, cc, d, f, t;
	int		i, g;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	a = c->h[0];
	b = c->h[1];
	cc = c->h[2];
	d = c->h[3];
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & cc) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & cc);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ cc ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = cc ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = a + f + k[i] + w[g];
		a = d;
		d = cc;
		cc = b;
		b += t << rot[i / 16 * 4 + i % 4] |
		    t >> (32 - rot[i / 16 * 4 + i % 4]);
	}
	c->h[0] += a;
	c->h[1] += b;
	c->h[2] += cc;
	c->h[3] += d;
}

static void
md5_update(struct md5 *c, const void *data, size_t n)
{
	const unsigned char	*p = data;
	size_t			 k;

	c->len += n;
	while (n > 0) {
		k = 64 - c->n < n ? 64 - c->n : n;
		memcpy(c->blk + c->n, p, k);
		c->n += k;
		p += k;
		n -= k;
		if (c->n == 64) {
			md5_block(c, c->blk);
			c->n = 0;
		}
	}
}

/* Hashes the whole of fd from its start into 32 hex digits and a NUL. */
static int
xfer_fd_md5(int fd, char hex[65])
{
	struct md5	 c = { { 0x67452301, 0xefcdab89, 0x98badcfe,
			    0x10325476 }, 0, { 0 }, 0 };
	unsigned char	 pad[72];
	char		 b[65536];
	uint64_t	 bits;
	ssize_t		 n;
	off_t		 off = 0;
	size_t		 k;
	int		 i;

	while ((n = pread(fd, b, sizeof b, off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		md5_update(&c, b, (size_t)n);
		off += n;
	}
	bits = c.len * 8;
	memset(pad, 0, sizeof pad);
	pad[0] = 0x80;
	k = (c.n < 56 ? 56 : 120) - c.n;
	for (i = 0; i < 8; i++)
		pad[k + i] = (unsigned char)(bits >> (8 * i));
	md5_update(&c, pad, k + 8);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x",
		    (unsigned)(c.h[i / 4] >> (8 * (i % 4))) & 0xff);
	return 0;
}

/*
 * Base64 (RFC 4648), lines of cols characters.
 */
static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 of n bytes at p to b, a newline after cols chars. */
static int
b64_encode(struct buf *b, const unsigned char *p, size_t n, size_t cols)
{
	char	q[4];
	size_t	i, col = 0;
	int	k, r = 0;

	for (i = 0; i < n && r == 0; i += 3) {
		q[0] = b64_chars[p[i] >> 2];
		q[1] = b64_chars[(p[i] & 3) << 4 |
		    (i + 1 < n ? p[i + 1] >> 4 : 0)];
		q[2] = i + 1 < n ? b64_chars[(p[i + 1] & 15) << 2 |
		    (i + 2 < n ? p[i + 2] >> 6 : 0)] : '=';
		q[3] = i + 2 < n ? b64_chars[p[i + 2] & 63] : '=';
		for (k = 0; k < 4 && r == 0; k++) {
			r = buf_putc(b, q[k]);
			if (++col == cols && r == 0) {
				r = buf_putc(b, '\n');
				col = 0;
			}
		}
	}
	if (col > 0 && r == 0)
		r = buf_putc(b, '\n');
	return r != 0 ? TETHER_ENOMEM : 0;
}

/* Returns the value of base64 digit c, or -1. */
static int
b64_value(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64_chars, c)) == NULL)
		return -1;
	return (int)(p - b64_chars);
}

/*
 * base64-text = *( 4b64-char / line-break ) [ final-quantum ] *line-break
 * (padding only in the last quantum; CR and LF anywhere between quanta).
 * Appends the bytes to out.  Returns 0, TETHER_EPROTO on anything else,
 * or TETHER_ENOMEM.
 */
static int
b64_decode(struct buf *out, const char *p, size_t n)
{
	int	q[4], k = 0, pad = 0, v;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\r')
			continue;
		if (pad && k == 0)
			return TETHER_EPROTO;	/* data after the padding */
		if (p[i] == '=') {
			if (k < 2)
				return TETHER_EPROTO;
			q[k++] = 0;
			pad++;
		} else if ((v = b64_value((unsigned char)p[i])) < 0 || pad)
			return TETHER_EPROTO;
		else
			q[k++] = v;
		if (k < 4)
			continue;
		if (buf_putc(out, q[0] << 2 | q[1] >> 4) != 0 ||
		    (pad < 2 && buf_putc(out, (q[1] & 15) << 4 |
		    q[2] >> 2) != 0) ||
		    (pad < 1 && buf_putc(out, (q[2] & 3) << 6 | q[3]) != 0))
			return TETHER_ENOMEM;
		k = 0;
	}
	return k == 0 ? 0 : TETHER_EPROTO;
}

/*
 * The console side.
 */

struct xcon {
	struct tether_session	*s;
	const char		*verb;		/* "put", "get" */
	const char		*remote;
	struct buf		 qpath;		/* remote, shell-quoted */
	int64_t			 deadline;
	unsigned		 seq;
	char			 dec[16];	/* b64, openssl, uu */
	char			 enc[16];
	char			 sum[16];	/* sha256sum, or "" */
};

/* What the shell has, in one run: see xcon_probe. */
#define XCON_PROBE \
	"if printf 'dGV0aGVy\\n' | base64 -d 2>/dev/null | grep -q tether; " \
	"then echo dec=b64; " \
	"elif printf 'dGV0aGVy\\n' | openssl base64 -d 2>/dev/null | " \
	"grep -q tether; then echo dec=openssl; " \
	"elif printf 'begin-base64 644 x\\ndGV0aGVy\\n====\\n' | " \
	"uudecode -o /dev/stdout 2>/dev/null | grep -q tether; " \
	"then echo dec=uu; fi; " \
	"if echo tether | base64 2>/dev/null | grep -q dGV0aGVy; " \
	"then echo enc=b64; " \
	"elif echo tether | openssl base64 2>/dev/null | grep -q dGV0aGVy; " \
	"then echo enc=openssl; " \
	"elif echo tether | uuencode -m x 2>/dev/null | grep -q dGV0aGVy; " \
	"then echo enc=uu; fi; " \
	"if command -v sha256sum >/dev/null 2>&1; then echo sum=sha256sum; " \
	"elif command -v md5sum >/dev/null 2>&1; then echo sum=md5sum; fi; " \
	"command -v head >/dev/null 2>&1 && echo head=yes; " \
	"command -v dd >/dev/null 2>&1 && echo dd=yes; true"

/* Fails the transfer x with a message. */
static int
xcon_fail(struct xcon *x, int r, const char *fmt, const char *detail)
{
	return tether_loop_seterr(x->s->loop, r, "%s on %s: %s: %s%s%s",
	    x->verb, x->s->name, x->remote, fmt, detail != NULL ? ": " : "",
	    detail != NULL ? detail : "");
}

/*
 * Returns a copy of the shell's message in len bytes at p (markers,
 * tether's prompt and control characters left out, lines joined by "; ",
 * at most XFER_MSG_MAX bytes), or NULL when out of memory.
 */
static char *
xcon_message(const char *p, size_t len)
{
	struct buf	 b;
	size_t		 i, plen = strlen(LOGIN_PROMPT);
	int		 nl = 0, in_marker = 0;

	buf_init(&b, 0);
	if (len > 4 * XFER_MSG_MAX) {
		p += len - 4 * XFER_MSG_MAX;
		len = 4 * XFER_MSG_MAX;
	}
	for (i = 0; i < len && b.len < XFER_MSG_MAX; i++) {
		if (p[i] == '\036')
			in_marker = 1;
		if (in_marker) {
			if (p[i] == '\037')
				in_marker = 0;
			continue;
		}
		if (len - i >= plen && memcmp(p + i, LOGIN_PROMPT, plen) == 0) {
			i += plen - 1;
			continue;
		}
		if (p[i] == '\r' || p[i] == '\n') {
			nl = b.len > 0;
			continue;
		}
		if ((nl && buf_puts(&b, "; ") != 0) ||
		    buf_putc(&b, (unsigned char)p[i] < 0x20 ||
		    p[i] == 0x7f ? '?' : p[i]) != 0) {
			buf_free(&b);
			return NULL;
		}
		nl = 0;
	}
	if (b.len == 0 && buf_puts(&b, "(no message)") != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Appends path to b in single quotes; control characters are refused. */
static int
xfer_quote(struct buf *b, const char *path)
{
	const unsigned char	*p;
	int			 r = 0;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return TETHER_EINVAL;
	}
	r |= buf_putc(b, '\'');
	for (p = (const unsigned char *)path; *p != '\0' && r == 0; p++) {
		if (*p == '\'')
			r |= buf_puts(b, "'\\''");
		else
			r |= buf_putc(b, *p);
	}
	r |= buf_putc(b, '\'');
	return r != 0 ? TETHER_ENOMEM : 0;
}

/* Runs cmd with tether_run.  Returns 0 with *out (caller frees) or r. */
static int
xcon_run(struct xcon *x, const char *cmd, char **out, int *status)
{
	return tether_run(x->s, cmd, x->deadline, out, status);
}

/* Copies the value of "key=" in the probe's output into v (vlen bytes). */
static void
xcon_value(const char *out, const char *key, char *v, size_t vlen)
{
	const char	*p = out;
	size_t		 klen = strlen(key), n;

	*v = '\0';
	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, "\r\n");
			if (n >= vlen)
				n = vlen - 1;
			memcpy(v, p, n);
			v[n] = '\0';
			return;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
}

/* Finds the shell's decoder, encoder and digest.  Returns 0 or r. */
static int
xcon_probe(struct xcon *x)
{
	char	*out = NULL, head[8], dd[8];
	int	 r, status;

	if ((r = xcon_run(x, XCON_PROBE, &out, &status)) != 0)
		return r;
	xcon_value(out, "dec", x->dec, sizeof x->dec);
	xcon_value(out, "enc", x->enc, sizeof x->enc);
	xcon_value(out, "sum", x->sum, sizeof x->sum);
	xcon_value(out, "head", head, sizeof head);
	xcon_value(out, "dd", dd, sizeof dd);
	free(out);
	if (strcmp(x->verb, "put") == 0 && (*x->dec == '\0' || *head == '\0'))
		return xcon_fail(x, TETHER_ENOTSUP, "the shell has no base64 "
		    "decoder (base64, openssl or uudecode) or no head", NULL);
	if (strcmp(x->verb, "get") == 0 && (*x->enc == '\0' || *dd == '\0'))
		return xcon_fail(x, TETHER_ENOTSUP, "the shell has no base64 "
		    "encoder (base64, openssl or uuencode) or no dd", NULL);
	return 0;
}

/*
 * Writes the digest of fd that the shell's tool gives (md5sum's or
 * sha256sum's) into hex; *name gets "md5" or "sha256".  Returns 0 or -1.
 */
static int
xcon_local_sum(struct xcon *x, int fd, char hex[65], const char **name)
{
	if (strcmp(x->sum, "md5sum") == 0) {
		*name = "md5";
		return xfer_fd_md5(fd, hex);
	}
	*name = "sha256";
	return xfer_fd_sha256(fd, hex);
}

/*
 * Gets the remote file's size and, when the shell has sha256sum (else
 * md5sum), its digest in hex (65 bytes), via the shell.
 */
static int
xcon_remote_sum(struct xcon *x, char hex[65], uint64_t *size)
{
	struct buf	 cmd;
	char		*out = NULL, *msg, *ep;
	const char	*p;
	size_t		 hlen;
	int		 r, status;

	buf_init(&cmd, 0);
	*hex = '\0';
	if (buf_puts(&cmd, "wc -c <") != 0 ||
	    buf_puts(&cmd, buf_str(&x->qpath)) != 0 ||
	    (*x->sum != '\0' && (buf_printf(&cmd, " && %s ", x->sum) != 0 ||
	    buf_puts(&cmd, buf_str(&x->qpath)) != 0))) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = xcon_run(x, buf_str(&cmd), &out, &status)) != 0)
		goto out;
	if (status != 0) {
		msg = xcon_message(out, strlen(out));
		r = xcon_fail(x, TETHER_EREMOTE, "cannot read it", msg);
		free(msg);
		goto out;
	}
	for (p = out; *p == ' ' || *p == '\t'; p++)
		;
	errno = 0;
	*size = strtoull(p, &ep, 10);
	if (ep == p || errno != 0 || (*ep != '\n' && *ep != '\0')) {
		r = xcon_fail(x, TETHER_EPROTO, "garbled size", out);
		goto out;
	}
	if (*x->sum != '\0') {
		p = ep + 1;
		hlen = strcmp(x->sum, "md5sum") == 0 ? 32 : 64;
		if (strspn(p, "0123456789abcdef") != hlen) {
			r = xcon_fail(x, TETHER_EPROTO, "garbled digest", p);
			goto out;
		}
		memcpy(hex, p, hlen);
		hex[hlen] = '\0';
	}
	r = 0;
out:
	free(out);
	buf_free(&cmd);
	return r;
}

/*
 * Types one command that reads len bytes of data from the terminal: the
 * command line between markers, then, once the ready marker is back,
 * the data.  *status gets the exit status ($s), *msg (caller frees) what
 * the shell said.  Returns 0 or a TETHER_E* code.
 */
static int
xcon_feed(struct xcon *x, const char *cmd, const char *data, size_t len,
    int *status, char **msg)
{
	struct tether_session	*s = x->s;
	struct tether_expect	*e = NULL;
	struct tether_match	*m = NULL;
	struct buf		 line;
	char			 nonce[40], ready[64], end[96];
	const char		*t;
	size_t			 n, k;
	int			 r, sent = 0;

	*status = -1;
	*msg = NULL;
	buf_init(&line, 0);
	snprintf(nonce, sizeof nonce, "x%x%x%x", (unsigned)getpid() & 0xfff,
	    (unsigned)(tether_now_ms() & 0xffff), ++x->seq);
	snprintf(ready, sizeof ready, "\\x1eR\\.%s\\x1f", nonce);
	snprintf(end, sizeof end, "\\x1eE\\.%s\\.(\\d+)\\x1f", nonce);
	if (buf_printf(&line, "printf '\\036%%s\\037\\n' S.%s; stty -echo "
	    "2>/dev/null; printf '\\036%%s\\037\\n' R.%s; %s; s=$?; stty "
	    "echo 2>/dev/null; printf '\\036%%s.%%s\\037\\n' E.%s \"$s\"",
	    nonce, nonce, cmd, nonce) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	login_set_busy(s, 1);
	if ((r = tether_session_sendline(s, buf_str(&line), 0,
	    x->deadline)) != 0)
		goto out;
	for (;;) {
		tether_expect_free(e);
		if ((e = tether_expect_new(s->loop)) == NULL) {
			r = TETHER_ENOMEM;
			goto out;
		}
		if ((!sent && (r = tether_expect_regex(e, s, ready, 0,
		    1)) != 0) || (r = tether_expect_regex(e, s, end, 0,
		    2)) != 0 || (r = tether_expect_eof(e, s, 3)) != 0)
			goto out;
		tether_match_free(m);
		m = NULL;
		if ((r = tether_expect_run(e, x->deadline, &m)) != 0)
			goto out;
		if (tether_match_outcome(m) == TETHER_MATCH_TIMEOUT) {
			r = xcon_fail(x, TETHER_ETIMEDOUT, sent ? "the shell "
			    "did not finish the chunk in time" :
			    "the shell did not start the command", NULL);
			goto out;
		}
		if (tether_match_outcome(m) != TETHER_MATCH_PATTERN) {
			r = xcon_fail(x, TETHER_EOF, "end of file on the "
			    "console", NULL);
			goto out;
		}
		if (tether_match_id(m) == 2)
			break;
		/* Ready: the command reads the terminal now. */
		sent = 1;
		if ((r = tether_session_send(s, data, len, 0,
		    x->deadline)) != 0)
			goto out;
	}
	login_set_busy(s, 0);
	t = tether_match_group(m, 1, &n);
	*status = n > 0 && n < 9 ? atoi(t) : -1;
	/* What the shell said: after the last marker, the echo before it. */
	t = tether_match_before(m, &n);
	for (k = n; k > 0 && t[k - 1] != '\037'; k--)
		;
	if ((*msg = xcon_message(t + k, n - k)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if (!sent && *status == 0)
		*status = -1;	/* no ready marker: cannot be */
	/* The prompt that follows, so the next command starts after it. */
	tether_expect_free(e);
	tether_match_free(m);
	m = NULL;
	if ((e = tether_expect_new(s->loop)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = tether_expect_literal(e, s, LOGIN_PROMPT,
	    strlen(LOGIN_PROMPT), 1)) != 0 ||
	    (r = tether_expect_run(e, tether_now_ms() + XFER_PROMPT_MS <
	    x->deadline || x->deadline == -1 ? tether_now_ms() +
	    XFER_PROMPT_MS : x->deadline, &m)) != 0)
		goto out;
	r = 0;
out:
	tether_match_free(m);
	tether_expect_free(e);
	buf_free(&line);
	if (r != 0) {
		free(*msg);
		*msg = NULL;
	}
	return r;
}

/* Returns the decoder command of x ("base64 -d"). */
static const char *
xcon_decoder(struct xcon *x)
{
	if (strcmp(x->dec, "openssl") == 0)
		return "openssl base64 -d";
	if (strcmp(x->dec, "uu") == 0)
		return "uudecode -o /dev/stdout";
	return "base64 -d";
}

static int
xcon_put(struct xcon *x, int fd, uint64_t size, int mode,
    tether_progress_fn progress, void *arg)
{
	struct buf	 data, cmd;
	unsigned char	*raw = NULL;
	char		 rsum[65], lsum[65], *msg = NULL, *out = NULL;
	const char	*dname;
	uint64_t	 off = 0, rsize;
	ssize_t		 n;
	size_t		 cols;
	int		 r, status;

	buf_init(&data, 0);
	buf_init(&cmd, 0);
	if ((r = xcon_probe(x)) != 0)
		goto out;
	cols = strcmp(x->dec, "b64") == 0 ? XFER_COLS : XFER_COLS_SHORT;
	if ((raw = malloc(XFER_CHUNK)) == NULL) {
		r = TETHER_ENOMEM;
		goto out;
	}
	do {
		if ((n = pread(fd, raw, XFER_CHUNK, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			r = tether_loop_seterr(x->s->loop, TETHER_EIO,
			    "put on %s: reading the local file: %s",
			    x->s->name, strerror(errno));
			goto out;
		}
		buf_reset(&data);
		buf_reset(&cmd);
		if ((strcmp(x->dec, "uu") == 0 &&
		    buf_puts(&data, "begin-base64 644 x\n") != 0) ||
		    b64_encode(&data, raw, (size_t)n, cols) != 0 ||
		    (strcmp(x->dec, "uu") == 0 &&
		    buf_puts(&data, "====\n") != 0) ||
		    buf_printf(&cmd, "head -c %zu | { %s | cat %s", data.len,
		    xcon_decoder(x), off == 0 ? ">" : ">>") != 0 ||
		    buf_puts(&cmd, buf_str(&x->qpath)) != 0 ||
		    buf_puts(&cmd, "; s=$?; cat >/dev/null; exit $s; }") != 0) {
			r = TETHER_ENOMEM;
			goto out;
		}
		if ((r = xcon_feed(x, buf_str(&cmd), data.data, data.len,
		    &status, &msg)) != 0)
			goto out;
		if (status != 0) {
			r = xcon_fail(x, TETHER_EREMOTE, "writing it failed",
			    msg);
			goto out;
		}
		free(msg);
		msg = NULL;
		off += (uint64_t)n;
		if (progress != NULL)
			progress(arg, off, size);
	} while (off < size);
	if ((r = xcon_remote_sum(x, rsum, &rsize)) != 0)
		goto out;
	if (rsize != size) {
		r = tether_loop_seterr(x->s->loop, TETHER_EFAIL, "put on %s: "
		    "%s: size mismatch: local %llu bytes, remote %llu",
		    x->s->name, x->remote, (unsigned long long)size,
		    (unsigned long long)rsize);
		goto out;
	}
	if (*rsum != '\0' && xcon_local_sum(x, fd, lsum, &dname) != 0) {
		r = tether_loop_seterr(x->s->loop, TETHER_EIO, "put on %s: "
		    "reading the local file: %s", x->s->name, strerror(errno));
		goto out;
	}
	if (*rsum != '\0' && strcmp(rsum, lsum) != 0) {
		r = tether_loop_seterr(x->s->loop, TETHER_EFAIL, "put on %s: "
		    "%s: %s mismatch: local %s, remote %s", x->s->name,
		    x->remote, dname, lsum, rsum);
		goto out;
	}
	buf_reset(&cmd);
	if (buf_printf(&cmd, "chmod %o ", mode) != 0 ||
	    buf_puts(&cmd, buf_str(&x->qpath)) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((r = xcon_run(x, buf_str(&cmd), &out, &status)) != 0)
		goto out;
	if (status != 0) {
		msg = xcon_message(out, strlen(out));
		r = xcon_fail(x, TETHER_EREMOTE, "chmod failed", msg);
		goto out;
	}
	r = 0;
out:
	free(raw);
	free(msg);
	free(out);
	buf_free(&data);
	buf_free(&cmd);
	return r;
}

/* Returns the encoder command of x reading stdin ("base64"). */
static const char *
xcon_encoder(struct xcon *x)
{
	if (strcmp(x->enc, "openssl") == 0)
		return "openssl base64";
	if (strcmp(x->enc, "uu") == 0)
		return "uuencode -m x";
	return "base64";
}

/* Drops uuencode's "begin-base64" and "====" lines from out (in place). */
static size_t
xcon_unframe(char *out, size_t len)
{
	char	*p, *nl;
	size_t	 n;

	if (strncmp(out, "begin-base64 ", 13) == 0 &&
	    (nl = memchr(out, '\n', len)) != NULL) {
		n = (size_t)(nl + 1 - out);
		memmove(out, nl + 1, len - n);
		len -= n;
	}
	if (len >= 4 && (p = memmem(out, len, "====", 4)) != NULL &&
	    (p == out || p[-1] == '\n'))
		len = (size_t)(p - out);
	return len;
}

static int
xcon_get(struct xcon *x, int fd, tether_progress_fn progress, void *arg,
    uint64_t *sizep, char *rsum)
{
	struct buf	 raw, cmd;
	char		*out = NULL, *msg = NULL;
	uint64_t	 size, off = 0, k;
	size_t		 len, want;
	ssize_t		 nw;
	int		 r, status;

	buf_init(&raw, 0);
	buf_init(&cmd, 0);
	if ((r = xcon_probe(x)) != 0 ||
	    (r = xcon_remote_sum(x, rsum, &size)) != 0)
		goto out;
	*sizep = size;
	for (k = 0; off < size; k++) {
		buf_reset(&cmd);
		buf_reset(&raw);
		if (buf_puts(&cmd, "dd if=") != 0 ||
		    buf_puts(&cmd, buf_str(&x->qpath)) != 0 ||
		    buf_printf(&cmd, " bs=%d skip=%llu count=1 2>/dev/null | "
		    "%s", XFER_CHUNK, (unsigned long long)k,
		    xcon_encoder(x)) != 0) {
			r = TETHER_ENOMEM;
			goto out;
		}
		free(out);
		out = NULL;
		if ((r = xcon_run(x, buf_str(&cmd), &out, &status)) != 0)
			goto out;
		len = strlen(out);
		if (status != 0) {
			msg = xcon_message(out, len);
			r = xcon_fail(x, TETHER_EREMOTE, "reading it failed",
			    msg);
			goto out;
		}
		if (strcmp(x->enc, "uu") == 0)
			len = xcon_unframe(out, len);
		want = size - off < XFER_CHUNK ? (size_t)(size - off) :
		    XFER_CHUNK;
		if ((r = b64_decode(&raw, out, len)) == TETHER_ENOMEM)
			goto out;
		if (r != 0 || raw.len != want) {
			r = tether_loop_seterr(x->s->loop, TETHER_EPROTO,
			    "get on %s: %s: garbled base64 from the console "
			    "at offset %llu (%zu bytes decoded, %zu wanted)",
			    x->s->name, x->remote, (unsigned long long)off,
			    r != 0 ? (size_t)0 : raw.len, want);
			goto out;
		}
		for (len = 0; len < raw.len; len += (size_t)nw) {
			if ((nw = write(fd, raw.data + len, raw.len - len)) <
			    0) {
				if (errno == EINTR) {
					nw = 0;
					continue;
				}
				r = tether_loop_seterr(x->s->loop, TETHER_EIO,
				    "get on %s: writing the local file: %s",
				    x->s->name, strerror(errno));
				goto out;
			}
		}
		off += raw.len;
		if (progress != NULL)
			progress(arg, off, size);
	}
	r = 0;
out:
	free(out);
	free(msg);
	buf_free(&raw);
	buf_free(&cmd);
	return r;
}

/*
 * The entry points.
 */

/* Checks that s can take a transfer.  Returns 0 or an error. */
static int
xfer_check(struct tether_session *s, const char *verb, const char *local,
    const char *remote)
{
	if (local == NULL || *local == '\0' || remote == NULL ||
	    *remote == '\0')
		return tether_loop_seterr(s->loop, TETHER_EINVAL,
		    "%s on %s: a local and a remote path are needed", verb,
		    s->name);
	if ((s->flags & TARGET_MONITOR) || !(s->flags & TARGET_SHELL))
		return tether_loop_seterr(s->loop, TETHER_ENOTSUP,
		    "%s on %s: not a shell or ssh:// session", verb, s->name);
	if (session_done(s))
		return tether_loop_seterr(s->loop, TETHER_EOF,
		    "%s on %s: the session has ended", verb, s->name);
	return 0;
}

static int
xfer_put(struct tether_session *s, const char *local, const char *remote,
    int mode, int64_t deadline, tether_progress_fn progress, void *arg,
    struct tether_xfer_info *info)
{
	struct xcon	 x;
	struct stat	 sb;
	char		 sum[65];
	const char	*method = "console";
	int64_t		 started = tether_now_ms();
	int		 fd = -1, r;

	memset(&x, 0, sizeof x);
	buf_init(&x.qpath, 0);
	if ((r = xfer_check(s, "put", local, remote)) != 0)
		goto out;
	if (mode < 0)
		mode = 0644;
	if ((fd = open(local, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "put on %s: %s: %s",
		    s->name, local, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		r = tether_loop_seterr(s->loop, TETHER_EINVAL, "put on %s: "
		    "%s: not a regular file", s->name, local);
		goto out;
	}
	if (xfer_fd_sha256(fd, sum) != 0) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "put on %s: %s: %s",
		    s->name, local, strerror(errno));
		goto out;
	}
	if (ssh_xfer_is_ssh(s))
		r = ssh_xfer_put(s, fd, (uint64_t)sb.st_size, remote, mode,
		    deadline, progress, arg, &method);
	else {
		x.s = s;
		x.verb = "put";
		x.remote = remote;
		x.deadline = deadline;
		if ((r = xfer_quote(&x.qpath, remote)) != 0) {
			r = tether_loop_seterr(s->loop, r, "put on %s: %s: "
			    "control characters in the remote path", s->name,
			    remote);
			goto out;
		}
		r = xcon_put(&x, fd, (uint64_t)sb.st_size, mode, progress,
		    arg);
	}
	if (r == 0 && info != NULL) {
		info->method = method;
		info->bytes = (uint64_t)sb.st_size;
		info->ms = tether_now_ms() - started;
		memcpy(info->sha256, sum, sizeof info->sha256);
	}
out:
	if (fd != -1)
		close(fd);
	buf_free(&x.qpath);
	return r;
}

static int
xfer_get(struct tether_session *s, const char *remote, const char *local,
    int64_t deadline, tether_progress_fn progress, void *arg,
    struct tether_xfer_info *info)
{
	struct xcon	 x;
	char		*tmp = NULL, rsum[65], sum[65], lsum[65];
	const char	*method = "console", *dname;
	uint64_t	 size = 0;
	int64_t		 started = tether_now_ms();
	mode_t		 um;
	int		 fd = -1, r;

	memset(&x, 0, sizeof x);
	buf_init(&x.qpath, 0);
	*rsum = '\0';
	if ((r = xfer_check(s, "get", local, remote)) != 0)
		goto out;
	if (asprintf(&tmp, "%s.tether-XXXXXX", local) == -1) {
		tmp = NULL;
		r = TETHER_ENOMEM;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "get on %s: %s: %s",
		    s->name, local, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (ssh_xfer_is_ssh(s))
		r = ssh_xfer_get(s, remote, fd, deadline, progress, arg,
		    &size, &method);
	else {
		x.s = s;
		x.verb = "get";
		x.remote = remote;
		x.deadline = deadline;
		if ((r = xfer_quote(&x.qpath, remote)) != 0) {
			r = tether_loop_seterr(s->loop, r, "get on %s: %s: "
			    "control characters in the remote path", s->name,
			    remote);
			goto out;
		}
		r = xcon_get(&x, fd, progress, arg, &size, rsum);
	}
	if (r != 0)
		goto out;
	if (xfer_fd_sha256(fd, sum) != 0) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "get on %s: %s: %s",
		    s->name, tmp, strerror(errno));
		goto out;
	}
	if (*rsum != '\0' && xcon_local_sum(&x, fd, lsum, &dname) != 0) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "get on %s: %s: %s",
		    s->name, tmp, strerror(errno));
		goto out;
	}
	if (*rsum != '\0' && strcmp(rsum, lsum) != 0) {
		r = tether_loop_seterr(s->loop, TETHER_EFAIL, "get on %s: %s: "
		    "%s mismatch: remote %s, local %s", s->name, remote,
		    dname, rsum, lsum);
		goto out;
	}
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) == -1 || fsync(fd) == -1 ||
	    rename(tmp, local) == -1) {
		r = tether_loop_seterr(s->loop, TETHER_EIO, "get on %s: %s: %s",
		    s->name, local, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (info != NULL) {
		info->method = method;
		info->bytes = size;
		info->ms = tether_now_ms() - started;
		memcpy(info->sha256, sum, sizeof info->sha256);
	}
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	buf_free(&x.qpath);
	return r;
}

int
tether_put(struct tether_session *s, const char *local, const char *remote,
    int mode, int64_t deadline, tether_progress_fn progress, void *arg,
    struct tether_xfer_info *info)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, xfer_put(s, local, remote, mode, deadline,
	    progress, arg, info));
}

int
tether_get(struct tether_session *s, const char *remote, const char *local,
    int64_t deadline, tether_progress_fn progress, void *arg,
    struct tether_xfer_info *info)
{
	loop_enter(s->loop);
	return loop_leave(s->loop, xfer_get(s, remote, local, deadline,
	    progress, arg, info));
}
