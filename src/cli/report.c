/* SPDX-License-Identifier: ISC */
/*
 * report.c - progress on stderr, TAP or JSON lines on stdout and a JUnit
 * XML file for the steps of a playbook run.
 *
 * Session and playbook text reaches an output only through report_text(),
 * which redacts it with the hook and then encodes it for its format; the
 * bytes are written only through report_write() and report_junit(), which
 * keep the first error of each stream for report_finish().
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "report.h"
#include "tether.h"
#include "utf8.h"

#define REPORT_STATUS_MAX	100	/* bytes of the live line */
#define REPORT_OUT_MAX		(1024 * 1024) /* print text kept */
#define REPORT_FFFD		"\xef\xbf\xbd" /* U+FFFD */

enum report_status {
	REPORT_PASS,
	REPORT_FAIL,
	REPORT_SKIP,
};

/* How a text is written (report_text). */
enum report_enc {
	ENC_RAW,	/* as it is: stderr lines, a plain print */
	ENC_STATUS,	/* one terminal line, control characters visible */
	ENC_UTF8,	/* valid UTF-8; JSON escapes the rest */
	ENC_TAP_NAME,	/* one line, '#' and '\' escaped */
	ENC_TAP_NOTE,	/* "# " before every line */
	ENC_YAML,	/* lines of a YAML block scalar */
	ENC_XML_ATTR,	/* an XML attribute value */
	ENC_XML_TEXT,	/* XML character data */
};

enum report_sinkid {
	SINK_OUT,
	SINK_ERR,
};

struct report_sink {
	FILE		*f;
	const char	*name;
	int		 err;		/* first errno, 0 when none */
};

/* What a step printed, for its JUnit system-out. */
struct report_out {
	struct buf	 b;
	size_t		 dropped;	/* bytes past REPORT_OUT_MAX */
};

struct report_step {
	char			*name;
	enum report_status	 status;
	int64_t			 ms;
	char			*msg;
	char			*tail;
	struct report_out	 out;
};

struct report_open {
	char			*name;
	struct report_out	 out;
};

struct report {
	struct report_opts	 o;
	struct reporter		 rr;	/* report_reporter() */
	int64_t			 start;
	time_t			 started_at;
	int			 live;	/* stderr is a terminal */
	int			 drawn;	/* a status line is shown */
	int			 tap_header;
	int			 tap_n;
	struct report_sink	 sink[2];
	int			 junit_fd;
	int			 junit_created;
	struct report_step	*steps;
	size_t			 nsteps;
	struct report_open	*open;	/* begun, innermost last */
	size_t			 nopen;
	struct report_out	 top_out; /* printed outside the steps */
	size_t			 out_kept; /* bytes in all report_out */
	char			*fail_msg; /* the first failure */
	char			*fail_tail;
	int			 fail_in_step; /* it is a step's */
	int			 syntax; /* it is report_error's */
};

static void
report_oom(void)
{
	fputs("tether: out of memory\n", stderr);
	exit(TETHER_EXIT_FAIL);
}

static void *
report_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		report_oom();
	return p;
}

static void *
report_reallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		report_oom();
	return p;
}

static char *
report_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		report_oom();
	return p;
}

static void
rb_add(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) != 0)
		report_oom();
}

static void
rb_puts(struct buf *b, const char *s)
{
	rb_add(b, s, strlen(s));
}

static void
rb_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (r != 0)
		report_oom();
}

struct report *
report_new(const struct report_opts *o)
{
	struct report	*r;

	r = report_calloc(1, sizeof *r);
	r->o = *o;
	r->start = tether_now_ms();
	r->started_at = time(NULL);
	r->live = !o->quiet && isatty(STDERR_FILENO) &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
	r->sink[SINK_OUT].f = stdout;
	r->sink[SINK_OUT].name = "standard output";
	r->sink[SINK_ERR].f = stderr;
	r->sink[SINK_ERR].name = "standard error";
	r->junit_fd = -1;
	buf_init(&r->top_out.b, 0);
	return r;
}

void
report_free(struct report *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsteps; i++) {
		free(r->steps[i].name);
		free(r->steps[i].msg);
		free(r->steps[i].tail);
		buf_free(&r->steps[i].out.b);
	}
	for (i = 0; i < r->nopen; i++) {
		free(r->open[i].name);
		buf_free(&r->open[i].out.b);
	}
	if (r->junit_fd != -1) {
		/* Opened, never written: leave no empty file behind. */
		close(r->junit_fd);
		if (r->junit_created)
			unlink(r->o.junit);
	}
	buf_free(&r->top_out.b);
	free(r->open);
	free(r->steps);
	free(r->fail_msg);
	free(r->fail_tail);
	free(r);
}

char *
report_redact_loop(void *ctx, const char *s, size_t len, size_t *outlen)
{
	return tether_loop_redact(ctx, s, len, outlen);
}

int
report_open(struct report *r)
{
	if (r->o.junit == NULL)
		return 0;
	r->junit_fd = open(r->o.junit, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0666);
	if (r->junit_fd != -1)
		r->junit_created = 1;
	else if (errno == EEXIST)
		r->junit_fd = open(r->o.junit, O_WRONLY | O_CREAT | O_CLOEXEC,
		    0666);
	if (r->junit_fd == -1) {
		fprintf(stderr, "tether: --junit %s: cannot create: %s\n",
		    r->o.junit, strerror(errno));
		return -1;
	}
	return 0;
}

int
report_live(struct report *r)
{
	return r != NULL && r->live;
}

/* Appends control character c as ^@ .. ^_, DEL as ^?. */
static void
rb_caret(struct buf *b, unsigned char c)
{
	char	v[2] = { '^', c == 0x7f ? '?' : (char)(c + '@') };

	rb_add(b, v, 2);
}

/* Appends ASCII byte c encoded as enc (line breaks aside). */
static void
report_enc_ascii(struct buf *b, enum report_enc enc, unsigned char c)
{
	int	ctl = (c < 0x20 && c != '\t') || c == 0x7f;

	switch (enc) {
	case ENC_RAW:
	case ENC_UTF8:
		break;
	case ENC_STATUS:
		if (c == '\t' || c == '\n' || c == '\r') {
			rb_puts(b, " ");
			return;
		}
		if (ctl) {
			rb_caret(b, c);
			return;
		}
		break;
	case ENC_TAP_NAME:
		if (c == '\n' || c == '\r') {
			rb_puts(b, " ");
			return;
		}
		if (c == '#' || c == '\\') {
			rb_puts(b, c == '#' ? "\\#" : "\\\\");
			return;
		}
		if (ctl) {
			rb_caret(b, c);
			return;
		}
		break;
	case ENC_TAP_NOTE:
	case ENC_YAML:
		if (ctl) {
			rb_caret(b, c);
			return;
		}
		break;
	case ENC_XML_ATTR:
	case ENC_XML_TEXT:
		switch (c) {
		case '&':
			rb_puts(b, "&amp;");
			return;
		case '<':
			rb_puts(b, "&lt;");
			return;
		case '>':
			rb_puts(b, "&gt;");
			return;
		case '\r':
			rb_puts(b, "&#13;");
			return;
		case '"':
			if (enc == ENC_XML_ATTR) {
				rb_puts(b, "&quot;");
				return;
			}
			break;
		case '\n':
		case '\t':
			if (enc == ENC_XML_ATTR) {
				rb_puts(b, c == '\n' ? "&#10;" : "&#9;");
				return;
			}
			break;
		default:
			/* XML 1.0 has no C0 controls, not even as &#N;. */
			if (c < 0x20) {
				rb_caret(b, c);
				return;
			}
		}
		break;
	}
	rb_add(b, &c, 1);
}

/*
 * Appends p[0..n) to b encoded as enc: every encoding but ENC_RAW gives
 * valid UTF-8, an invalid sequence becoming U+FFFD; ENC_TAP_NOTE and
 * ENC_YAML prefix every line (CR LF, LF and CR end one) and end the last.
 */
static void
report_encode(struct buf *b, enum report_enc enc, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	const char		*prefix = NULL;
	size_t			 i = 0, l, bad;
	unsigned		 cp;
	int			 bol = 1;

	if (enc == ENC_RAW) {
		rb_add(b, s, n);
		return;
	}
	if (enc == ENC_TAP_NOTE)
		prefix = "# ";
	else if (enc == ENC_YAML)
		prefix = "    ";
	while (i < n || (prefix != NULL && bol && i == 0)) {
		if (prefix != NULL && bol) {
			rb_puts(b, prefix);
			bol = 0;
		}
		if (i == n)
			break;
		if (prefix != NULL && (p[i] == '\n' || p[i] == '\r')) {
			i += p[i] == '\r' && i + 1 < n && p[i + 1] == '\n' ?
			    2 : 1;
			rb_puts(b, "\n");
			bol = 1;
			continue;
		}
		if (p[i] < 0x80) {
			report_enc_ascii(b, enc, p[i++]);
			continue;
		}
		if ((l = utf8_seq(p + i, n - i, &bad, &cp)) == 0) {
			rb_puts(b, REPORT_FFFD);
			i += bad;
			continue;
		}
		/* Valid UTF-8 that XML 1.0 does not allow. */
		if ((enc == ENC_XML_ATTR || enc == ENC_XML_TEXT) &&
		    (cp == 0xfffe || cp == 0xffff))
			rb_puts(b, REPORT_FFFD);
		else
			rb_add(b, p + i, l);
		i += l;
	}
	if (prefix != NULL && !bol)
		rb_puts(b, "\n");
}

/*
 * The one way session or playbook text gets into an output: len bytes
 * of s, redacted by the hook, then encoded as enc and appended to b.
 */
static void
report_text(struct report *r, struct buf *b, enum report_enc enc,
    const char *s, size_t len)
{
	char	*red = NULL;
	size_t	 rlen = 0;

	if (s == NULL)
		s = "";
	if (r != NULL && r->o.redact != NULL) {
		if ((red = r->o.redact(r->o.redact_ctx, s, len, &rlen)) ==
		    NULL) {
			/* Out of memory: nothing rather than a secret. */
			report_encode(b, enc, TETHER_MASK,
			    strlen(TETHER_MASK));
			return;
		}
		s = red;
		len = rlen;
	}
	report_encode(b, enc, s, len);
	free(red);
}

static void
report_textz(struct report *r, struct buf *b, enum report_enc enc,
    const char *s)
{
	report_text(r, b, enc, s, s != NULL ? strlen(s) : 0);
}

/* Writes b to stdout or stderr; the first error is kept for the end. */
static void
report_write(struct report *r, enum report_sinkid id, const struct buf *b)
{
	struct report_sink	*k = &r->sink[id];

	errno = 0;
	if (b->len > 0 && fwrite(b->data, 1, b->len, k->f) != b->len &&
	    k->err == 0)
		k->err = errno != 0 ? errno : EIO;
	errno = 0;
	if (fflush(k->f) != 0 && k->err == 0)
		k->err = errno != 0 ? errno : EIO;
}

/* Ends the live line (before another stderr line, or for good). */
static void
report_clear(struct report *r, struct buf *b)
{
	if (r->drawn) {
		rb_puts(b, "\r\033[K");
		r->drawn = 0;
	}
}

/* Starts a stderr line with the time since the start. */
static void
report_stamp(struct report *r, struct buf *b)
{
	int64_t	ms = tether_now_ms() - r->start;

	report_clear(r, b);
	rb_printf(b, "[%4lld.%03lld] ", (long long)(ms / 1000),
	    (long long)(ms % 1000));
}

static void
report_tap_header(struct report *r, struct buf *b)
{
	if (r->o.tap && !r->tap_header) {
		rb_puts(b, "TAP version 13\n");
		r->tap_header = 1;
	}
}

/* Returns a JSON string of the text, redacted and made valid UTF-8. */
static json_t *
report_json_text(struct report *r, const char *s, size_t len)
{
	struct buf	 b;
	json_t		*j;

	buf_init(&b, 0);
	report_text(r, &b, ENC_UTF8, s, len);
	j = json_stringn(buf_str(&b), b.len);
	buf_free(&b);
	if (j == NULL)
		report_oom();
	return j;
}

static void
report_json_set(struct report *r, json_t *j, const char *key, const char *s)
{
	if (s != NULL && json_object_set_new(j, key,
	    report_json_text(r, s, strlen(s))) != 0)
		report_oom();
}

/* Writes one JSON object on its own line to stdout, and frees it. */
static void
report_json_line(struct report *r, json_t *j)
{
	struct buf	 b;
	char		*txt;

	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT)) == NULL)
		report_oom();
	buf_init(&b, 0);
	rb_puts(&b, txt);
	rb_puts(&b, "\n");
	report_write(r, SINK_OUT, &b);
	buf_free(&b);
	free(txt);
	json_decref(j);
}

/* A YAML key with text as a block scalar, in a TAP diagnostic. */
static void
report_yaml(struct report *r, struct buf *b, const char *key,
    const char *text)
{
	rb_printf(b, "  %s: |\n", key);
	report_textz(r, b, ENC_YAML, text);
}

static void
report_emit(struct report *r, struct report_step *s)
{
	struct buf	 b;
	json_t		*j;

	if (r->o.tap) {
		buf_init(&b, 0);
		report_tap_header(r, &b);
		rb_printf(&b, "%s %d - ", s->status == REPORT_FAIL ?
		    "not ok" : "ok", ++r->tap_n);
		report_textz(r, &b, ENC_TAP_NAME, s->name);
		if (s->status == REPORT_SKIP)
			rb_puts(&b, " # SKIP not reached");
		rb_puts(&b, "\n");
		if (s->status == REPORT_FAIL) {
			rb_printf(&b, "  ---\n  duration_ms: %lld\n",
			    (long long)s->ms);
			if (s->msg != NULL)
				report_yaml(r, &b, "message", s->msg);
			if (s->tail != NULL)
				report_yaml(r, &b, "tail", s->tail);
			rb_puts(&b, "  ...\n");
		}
		report_write(r, SINK_OUT, &b);
		buf_free(&b);
	}
	if (r->o.json) {
		if ((j = json_object()) == NULL)
			report_oom();
		json_object_set_new(j, "type", json_string("step"));
		report_json_set(r, j, "name", s->name);
		json_object_set_new(j, "status", json_string(
		    s->status == REPORT_PASS ? "pass" :
		    s->status == REPORT_FAIL ? "fail" : "skip"));
		json_object_set_new(j, "elapsed_ms",
		    json_integer((json_int_t)s->ms));
		report_json_set(r, j, "message", s->msg);
		report_json_set(r, j, "tail", s->tail);
		report_json_line(r, j);
	}
}

static struct report_step *
report_add(struct report *r, const char *name, enum report_status status,
    int64_t ms, const char *msg, const char *tail)
{
	struct report_step	*s;

	r->steps = report_reallocarray(r->steps, r->nsteps + 1,
	    sizeof *r->steps);
	s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof *s);
	s->name = report_strdup(name != NULL ? name : "");
	s->status = status;
	s->ms = ms;
	s->msg = msg != NULL ? report_strdup(msg) : NULL;
	s->tail = tail != NULL ? report_strdup(tail) : NULL;
	buf_init(&s->out.b, 0);
	return s;
}

/* Writes a stderr line: the stamp, pre, the text, post. */
static void
report_line(struct report *r, const char *pre, const char *text,
    const char *post)
{
	struct buf	b;

	buf_init(&b, 0);
	report_stamp(r, &b);
	rb_puts(&b, pre);
	report_textz(r, &b, ENC_RAW, text);
	rb_puts(&b, post);
	rb_puts(&b, "\n");
	report_write(r, SINK_ERR, &b);
	buf_free(&b);
}

void
report_step_begin(struct report *r, const char *name)
{
	struct report_open	*o;

	if (r == NULL)
		return;
	r->open = report_reallocarray(r->open, r->nopen + 1, sizeof *r->open);
	o = &r->open[r->nopen++];
	memset(o, 0, sizeof *o);
	o->name = report_strdup(name != NULL ? name : "");
	buf_init(&o->out.b, 0);
	if (r->o.verbose)
		report_line(r, "step ", name, "");
}

void
report_step_end(struct report *r, const char *name, int ok, int64_t ms,
    const char *msg, const char *tail)
{
	struct report_step	*s;
	char			 t[64];
	size_t			 i;

	if (r == NULL)
		return;
	s = report_add(r, name, ok ? REPORT_PASS : REPORT_FAIL, ms, msg,
	    tail);
	/* Its output: the innermost open step of that name. */
	for (i = r->nopen; i > 0; i--) {
		if (strcmp(r->open[i - 1].name, s->name) == 0)
			break;
	}
	if (i > 0) {
		buf_free(&s->out.b);
		s->out = r->open[i - 1].out;
		free(r->open[i - 1].name);
		memmove(&r->open[i - 1], &r->open[i],
		    (r->nopen - i) * sizeof *r->open);
		r->nopen--;
	}
	if (!r->o.quiet) {
		snprintf(t, sizeof t, " (%lld.%03llds)", (long long)(ms / 1000),
		    (long long)(ms % 1000));
		report_line(r, ok ? "ok   " : "FAIL ", name, t);
	}
	report_emit(r, s);
}

void
report_step_skip(struct report *r, const char *name)
{
	struct report_step	*s;

	if (r == NULL)
		return;
	s = report_add(r, name, REPORT_SKIP, 0, NULL, NULL);
	if (!r->o.quiet)
		report_line(r, "skip ", name, "");
	report_emit(r, s);
}

void
report_log(struct report *r, const char *text)
{
	if (r == NULL || r->o.quiet)
		return;
	report_line(r, "", text, "");
}

void
report_trace(struct report *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	if (r == NULL || !r->o.verbose)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		report_oom();
	report_line(r, "+ ", text, "");
	free(text);
}

/* Keeps len bytes of print text for the JUnit system-out. */
static void
report_keep(struct report *r, const char *text, size_t len)
{
	struct report_out	*o;
	size_t			 n = len + 1;

	if (r->o.junit == NULL)
		return;
	o = r->nopen > 0 ? &r->open[r->nopen - 1].out : &r->top_out;
	if (r->out_kept + n > REPORT_OUT_MAX) {
		o->dropped += n;
		return;
	}
	rb_add(&o->b, text, len);
	rb_puts(&o->b, "\n");
	r->out_kept += n;
}

void
report_print_len(struct report *r, const char *text, size_t len)
{
	struct buf	 b;
	json_t		*j;

	if (r == NULL) {
		fwrite(text, 1, len, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	report_keep(r, text, len);
	if (r->o.json) {
		if ((j = json_object()) == NULL)
			report_oom();
		json_object_set_new(j, "type", json_string("print"));
		if (json_object_set_new(j, "text",
		    report_json_text(r, text, len)) != 0)
			report_oom();
		report_json_line(r, j);
		return;
	}
	buf_init(&b, 0);
	if (r->o.tap) {
		report_tap_header(r, &b);
		report_text(r, &b, ENC_TAP_NOTE, text, len);
	} else {
		report_text(r, &b, ENC_RAW, text, len);
		rb_puts(&b, "\n");
	}
	report_write(r, SINK_OUT, &b);
	buf_free(&b);
}

void
report_print(struct report *r, const char *text)
{
	report_print_len(r, text, text != NULL ? strlen(text) : 0);
}

void
report_status(struct report *r, const char *what, int64_t left_ms)
{
	struct buf	b, t;
	size_t		n;

	if (r == NULL || !r->live)
		return;
	buf_init(&b, 0);
	if (what == NULL) {
		report_clear(r, &b);
		report_write(r, SINK_ERR, &b);
		buf_free(&b);
		return;
	}
	if (left_ms < 0)
		left_ms = 0;
	buf_init(&t, 0);
	report_textz(r, &t, ENC_STATUS, what);
	/* Cut on a character boundary: ENC_STATUS gave valid UTF-8. */
	if ((n = t.len) > REPORT_STATUS_MAX) {
		n = REPORT_STATUS_MAX;
		while (n > 0 && ((unsigned char)t.data[n] & 0xc0) == 0x80)
			n--;
	}
	rb_puts(&b, "\r\033[K");
	rb_add(&b, t.data, n);
	rb_printf(&b, " (%lld.%llds left)", (long long)(left_ms / 1000),
	    (long long)(left_ms % 1000 / 100));
	report_write(r, SINK_ERR, &b);
	buf_free(&t);
	buf_free(&b);
	r->drawn = 1;
}

/* Writes "tether: msg" and the tail, indented, to stderr. */
static void
report_message(struct report *r, const char *msg, const char *tail)
{
	struct buf	 b;
	const char	*p, *nl;

	buf_init(&b, 0);
	report_clear(r, &b);
	rb_puts(&b, "tether: ");
	report_textz(r, &b, ENC_RAW, msg != NULL ? msg : "failed");
	rb_puts(&b, "\n");
	for (p = tail; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		rb_puts(&b, "  ");
		report_text(r, &b, ENC_RAW, p, (size_t)(nl - p));
		rb_puts(&b, "\n");
		if (*nl == '\0')
			break;
	}
	report_write(r, SINK_ERR, &b);
	buf_free(&b);
}

void
report_failure(struct report *r, const char *msg, const char *tail)
{
	struct report_step	*last = NULL;
	size_t			 i;

	if (r == NULL) {
		fprintf(stderr, "tether: %s\n", msg != NULL ? msg : "failed");
		return;
	}
	if (r->fail_msg == NULL) {
		r->fail_msg = report_strdup(msg != NULL ? msg : "failed");
		r->fail_tail = tail != NULL ? report_strdup(tail) : NULL;
		/* The failure of the step that just failed, or its own? */
		for (i = r->nsteps; i > 0 && last == NULL; i--) {
			if (r->steps[i - 1].status == REPORT_FAIL)
				last = &r->steps[i - 1];
		}
		r->fail_in_step = last != NULL && last->msg != NULL &&
		    strcmp(last->msg, r->fail_msg) == 0;
	}
	report_message(r, msg, tail);
}

void
report_error(struct report *r, const char *msg)
{
	struct buf	b;

	if (r->fail_msg == NULL) {
		r->fail_msg = report_strdup(msg);
		r->syntax = 1;
	}
	buf_init(&b, 0);
	report_clear(r, &b);
	report_textz(r, &b, ENC_RAW, msg);
	rb_puts(&b, "\n");
	report_write(r, SINK_ERR, &b);
	buf_free(&b);
}

void
report_note(struct report *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		report_oom();
	report_message(r, text, NULL);
	free(text);
}

/* Appends one <testcase> element. */
static void
report_junit_case(struct report *r, struct buf *b, const char *name,
    double secs, const char *elem, const char *type, const char *msg,
    const char *tail, const struct report_out *out)
{
	const char	*suite = r->o.playbook != NULL ? r->o.playbook :
			    "playbook";

	rb_puts(b, "  <testcase name=\"");
	report_textz(r, b, ENC_XML_ATTR, name);
	rb_puts(b, "\" classname=\"");
	report_textz(r, b, ENC_XML_ATTR, suite);
	rb_printf(b, "\" time=\"%.3f\"", secs);
	if (elem == NULL && (out == NULL || out->b.len + out->dropped == 0)) {
		rb_puts(b, "/>\n");
		return;
	}
	rb_puts(b, ">\n");
	if (elem != NULL && strcmp(elem, "skipped") == 0)
		rb_puts(b, "    <skipped message=\"not reached\"/>\n");
	else if (elem != NULL) {
		rb_printf(b, "    <%s message=\"", elem);
		/* Its first line: "FILE:LINE:COL: what"; all of it below. */
		report_text(r, b, ENC_XML_ATTR, msg, strcspn(msg, "\n"));
		rb_printf(b, "\" type=\"%s\">", type);
		report_textz(r, b, ENC_XML_TEXT, msg);
		if (tail != NULL) {
			rb_puts(b, "\n");
			report_textz(r, b, ENC_XML_TEXT, tail);
		}
		rb_printf(b, "</%s>\n", elem);
	}
	if (out != NULL && out->b.len + out->dropped > 0) {
		rb_puts(b, "    <system-out>");
		report_text(r, b, ENC_XML_TEXT, buf_str(&out->b), out->b.len);
		if (out->dropped > 0)
			rb_printf(b, "[tether: %zu more bytes not kept]\n",
			    out->dropped);
		rb_puts(b, "</system-out>\n");
	}
	rb_puts(b, "  </testcase>\n");
}

/* Builds the JUnit document (valid for junit-10.xsd and Surefire's). */
static void
report_junit_doc(struct report *r, struct buf *b, int64_t total)
{
	const struct report_step *s;
	const char	*suite = r->o.playbook != NULL ? r->o.playbook :
			    "playbook";
	struct tm	 tm;
	char		 ts[32];
	size_t		 i, failures = 0, skipped = 0, tests;
	int		 outside, extra;

	for (i = 0; i < r->nsteps; i++) {
		failures += r->steps[i].status == REPORT_FAIL;
		skipped += r->steps[i].status == REPORT_SKIP;
	}
	/* A failure outside every step is an error of the playbook. */
	outside = r->fail_msg != NULL && !r->fail_in_step;
	extra = outside || r->nsteps == 0;
	tests = r->nsteps + extra;
	gmtime_r(&r->started_at, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rb_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	rb_puts(b, "<testsuite name=\"");
	report_textz(r, b, ENC_XML_ATTR, suite);
	rb_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" "
	    "skipped=\"%zu\" time=\"%.3f\">\n", tests, failures, outside,
	    skipped, total / 1000.0);
	rb_printf(b, "  <properties>\n"
	    "    <property name=\"timestamp\" value=\"%s\"/>\n"
	    "  </properties>\n", ts);
	for (i = 0; i < r->nsteps; i++) {
		s = &r->steps[i];
		report_junit_case(r, b, s->name, s->ms / 1000.0,
		    s->status == REPORT_PASS ? NULL :
		    s->status == REPORT_SKIP ? "skipped" : "failure",
		    "failure", s->msg != NULL ? s->msg : "failed", s->tail,
		    &s->out);
	}
	if (extra)
		report_junit_case(r, b, suite, total / 1000.0,
		    outside ? "error" : NULL, r->syntax ? "syntax" : "error",
		    r->fail_msg, r->fail_tail, &r->top_out);
	rb_puts(b, "</testsuite>\n");
}

/* Writes the JUnit file.  Returns 0, or -1 (message printed). */
static int
report_junit(struct report *r, int64_t total)
{
	struct buf	 b;
	struct stat	 st;
	FILE		*f = NULL;
	int		 err = 0;

	if (r->junit_fd == -1 && report_open(r) != 0)
		return -1;
	buf_init(&b, 0);
	report_junit_doc(r, &b, total);
	if (fstat(r->junit_fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ftruncate(r->junit_fd, 0) == -1)
		err = errno;
	else if ((f = fdopen(r->junit_fd, "w")) == NULL)
		err = errno;
	else {
		errno = 0;
		if (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0)
			err = errno != 0 ? errno : EIO;
		if (fclose(f) != 0 && err == 0)
			err = errno != 0 ? errno : EIO;
	}
	if (f == NULL)
		close(r->junit_fd);
	r->junit_fd = -1;
	buf_free(&b);
	if (err != 0) {
		fprintf(stderr, "tether: --junit %s: cannot write: %s\n",
		    r->o.junit, strerror(err));
		return -1;
	}
	return 0;
}

int
report_finish(struct report *r, int status)
{
	int64_t	 total = tether_now_ms() - r->start;
	struct buf b;
	json_t	*j;
	int	 ret = 0, outside;

	buf_init(&b, 0);
	report_clear(r, &b);
	report_write(r, SINK_ERR, &b);
	buf_reset(&b);
	if (r->o.junit != NULL && report_junit(r, total) != 0) {
		ret = -1;
		if (status == 0)
			status = TETHER_EXIT_FAIL;
	}
	outside = r->fail_msg != NULL && !r->fail_in_step;
	if (r->o.tap) {
		report_tap_header(r, &b);
		if (outside) {
			rb_printf(&b, "not ok %d - ", ++r->tap_n);
			report_textz(r, &b, ENC_TAP_NAME,
			    r->o.playbook != NULL ? r->o.playbook :
			    "playbook");
			rb_puts(&b, "\n  ---\n");
			report_yaml(r, &b, "message", r->fail_msg);
			if (r->fail_tail != NULL)
				report_yaml(r, &b, "tail", r->fail_tail);
			rb_puts(&b, "  ...\n");
		}
		rb_printf(&b, "1..%d\n", r->tap_n);
		report_write(r, SINK_OUT, &b);
	}
	if (r->o.json) {
		if ((j = json_object()) == NULL)
			report_oom();
		json_object_set_new(j, "type", json_string("result"));
		json_object_set_new(j, "status", json_integer(status));
		json_object_set_new(j, "elapsed_ms",
		    json_integer((json_int_t)total));
		report_json_set(r, j, "message", r->fail_msg);
		if (outside)
			report_json_set(r, j, "tail", r->fail_tail);
		report_json_line(r, j);
	}
	buf_free(&b);
	errno = 0;
	if (fflush(stdout) != 0 && r->sink[SINK_OUT].err == 0)
		r->sink[SINK_OUT].err = errno != 0 ? errno : EIO;
	if (r->sink[SINK_OUT].err != 0) {
		fprintf(stderr, "tether: cannot write %s: %s\n",
		    r->sink[SINK_OUT].name, strerror(r->sink[SINK_OUT].err));
		ret = -1;
	}
	/* Nowhere left to say it: the exit status does. */
	if (fflush(stderr) != 0 || r->sink[SINK_ERR].err != 0)
		ret = -1;
	return ret;
}

/*
 * The reporter interface of the language, over these functions.
 */

static void
rr_step_begin(void *ctx, const char *name)
{
	report_step_begin(ctx, name);
}

static void
rr_step_end(void *ctx, const char *name, int ok, int64_t ms,
    const char *msg, const char *tail)
{
	report_step_end(ctx, name, ok, ms, msg, tail);
}

static void
rr_step_skip(void *ctx, const char *name)
{
	report_step_skip(ctx, name);
}

static void
rr_log(void *ctx, const char *text)
{
	report_log(ctx, text);
}

static void
rr_print(void *ctx, const char *text, size_t len)
{
	report_print_len(ctx, text, len);
}

static void
rr_trace(void *ctx, const char *text)
{
	report_trace(ctx, "%s", text);
}

static void
rr_status(void *ctx, const char *what, int64_t left_ms)
{
	report_status(ctx, what, left_ms);
}

static void
rr_failure(void *ctx, const char *msg, const char *tail)
{
	report_failure(ctx, msg, tail);
}

const struct reporter *
report_reporter(struct report *r)
{
	memset(&r->rr, 0, sizeof r->rr);
	r->rr.ctx = r;
	r->rr.step_begin = rr_step_begin;
	r->rr.step_end = rr_step_end;
	r->rr.step_skip = rr_step_skip;
	r->rr.log = rr_log;
	r->rr.print = rr_print;
	if (r->o.verbose)
		r->rr.trace = rr_trace;
	if (r->live)
		r->rr.status = rr_status;
	r->rr.failure = rr_failure;
	return &r->rr;
}
