/*
 * report.c - progress on stderr, TAP or JSON lines on stdout and a JUnit
 * XML file for the steps of a playbook run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "report.h"
#include "tether.h"
#include "xmalloc.h"

struct report_step {
	char	*name;
	int	 status;	/* 0 ok, 1 failed, 2 skipped */
	int64_t	 ms;
	char	*msg;
	char	*tail;
};

struct report {
	struct report_opts	 o;
	int64_t			 start;
	time_t			 started_at;
	int			 live;		/* stderr is a terminal */
	int			 drawn;		/* a status line is shown */
	int			 tap_header;
	int			 tap_n;
	struct report_step	*steps;
	size_t			 nsteps;
	int			 step_failed;
	char			*fail_msg;	/* first failure */
	char			*fail_tail;
};

struct report *
report_new(const struct report_opts *o)
{
	struct report	*r;

	r = xcalloc(1, sizeof *r);
	r->o = *o;
	r->start = tether_now_ms();
	r->started_at = time(NULL);
	r->live = !o->quiet && isatty(STDERR_FILENO) &&
	    getenv("TERM") != NULL && strcmp(getenv("TERM"), "dumb") != 0;
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
	}
	free(r->steps);
	free(r->fail_msg);
	free(r->fail_tail);
	free(r);
}

int
report_live(struct report *r)
{
	return r != NULL && r->live;
}

static void
report_clear(struct report *r)
{
	if (r->drawn) {
		fputs("\r\033[K", stderr);
		r->drawn = 0;
	}
}

/* Starts a stderr line with the time since the start. */
static void
report_stamp(struct report *r)
{
	int64_t	ms = tether_now_ms() - r->start;

	report_clear(r);
	fprintf(stderr, "[%4lld.%03lld] ", (long long)(ms / 1000),
	    (long long)(ms % 1000));
}

static void
report_tap_header(struct report *r)
{
	if (r->o.tap && !r->tap_header) {
		printf("TAP version 13\n");
		r->tap_header = 1;
	}
}

/* Writes text as a YAML block scalar at indent. */
static void
report_yaml_block(FILE *f, const char *key, const char *text)
{
	const char	*p, *nl;

	fprintf(f, "  %s: |\n", key);
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p) - 1;
		fprintf(f, "    %.*s\n", (int)(nl - p + (*nl != '\n')), p);
		if (nl[1] == '\0' || nl[0] == '\0')
			break;
	}
}

static void
report_emit(struct report *r, struct report_step *s)
{
	json_t	*j;
	char	*txt;

	if (r->o.tap) {
		report_tap_header(r);
		r->tap_n++;
		if (s->status == 2)
			printf("ok %d - %s # SKIP not reached\n", r->tap_n,
			    s->name);
		else
			printf("%s %d - %s\n", s->status == 0 ? "ok" : "not ok",
			    r->tap_n, s->name);
		if (s->status == 1) {
			printf("  ---\n");
			printf("  duration_ms: %lld\n", (long long)s->ms);
			if (s->msg != NULL)
				report_yaml_block(stdout, "message", s->msg);
			if (s->tail != NULL)
				report_yaml_block(stdout, "tail", s->tail);
			printf("  ...\n");
		}
	}
	if (r->o.json) {
		j = json_pack("{s:s, s:s, s:s, s:I}", "type", "step", "name",
		    s->name, "status", s->status == 0 ? "pass" :
		    s->status == 1 ? "fail" : "skip", "elapsed_ms",
		    (json_int_t)s->ms);
		if (j != NULL && s->msg != NULL)
			json_object_set_new(j, "message", json_string(s->msg));
		if (j != NULL && s->tail != NULL)
			json_object_set_new(j, "tail", json_string(s->tail));
		if (j != NULL &&
		    (txt = json_dumps(j, JSON_COMPACT)) != NULL) {
			printf("%s\n", txt);
			free(txt);
		}
		json_decref(j);
	}
	fflush(stdout);
}

static struct report_step *
report_add(struct report *r, const char *name, int status, int64_t ms,
    const char *msg, const char *tail)
{
	struct report_step	*s;

	r->steps = xreallocarray(r->steps, r->nsteps + 1, sizeof *r->steps);
	s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->status = status;
	s->ms = ms;
	s->msg = msg != NULL ? xstrdup(msg) : NULL;
	s->tail = tail != NULL ? xstrdup(tail) : NULL;
	return s;
}

void
report_step_begin(struct report *r, const char *name)
{
	if (r == NULL)
		return;
	if (r->o.verbose) {
		report_stamp(r);
		fprintf(stderr, "step %s\n", name);
	}
}

void
report_step_end(struct report *r, const char *name, int ok, int64_t ms,
    const char *msg, const char *tail)
{
	struct report_step	*s;

	if (r == NULL)
		return;
	s = report_add(r, name, ok ? 0 : 1, ms, msg, tail);
	if (!ok)
		r->step_failed = 1;
	if (!r->o.quiet) {
		report_stamp(r);
		fprintf(stderr, "%s %s (%lld.%03llds)\n", ok ? "ok  " : "FAIL",
		    name, (long long)(ms / 1000), (long long)(ms % 1000));
	}
	report_emit(r, s);
}

void
report_step_skip(struct report *r, const char *name)
{
	struct report_step	*s;

	if (r == NULL)
		return;
	s = report_add(r, name, 2, 0, NULL, NULL);
	if (!r->o.quiet) {
		report_stamp(r);
		fprintf(stderr, "skip %s\n", name);
	}
	report_emit(r, s);
}

void
report_log(struct report *r, const char *text)
{
	if (r == NULL || r->o.quiet)
		return;
	report_stamp(r);
	fprintf(stderr, "%s\n", text);
}

void
report_trace(struct report *r, const char *fmt, ...)
{
	va_list	ap;

	if (r == NULL || !r->o.verbose)
		return;
	report_stamp(r);
	fputs("+ ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
report_print(struct report *r, const char *text)
{
	json_t	*j;
	char	*s;

	if (r != NULL && r->o.json) {
		j = json_pack("{s:s, s:s}", "type", "print", "text", text);
		if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(j);
	} else if (r != NULL && r->o.tap) {
		report_tap_header(r);
		printf("# %s\n", text);
	} else
		printf("%s\n", text);
	fflush(stdout);
}

void
report_status(struct report *r, const char *what, int64_t left_ms)
{
	if (r == NULL || !r->live)
		return;
	if (what == NULL) {
		report_clear(r);
		return;
	}
	if (left_ms < 0)
		left_ms = 0;
	fprintf(stderr, "\r\033[K%.*s (%lld.%llds left)", 100, what,
	    (long long)(left_ms / 1000), (long long)(left_ms % 1000 / 100));
	fflush(stderr);
	r->drawn = 1;
}

void
report_failure(struct report *r, const char *msg, const char *tail)
{
	const char	*p, *nl;

	if (r != NULL) {
		report_clear(r);
		if (r->fail_msg == NULL && msg != NULL) {
			r->fail_msg = xstrdup(msg);
			r->fail_tail = tail != NULL ? xstrdup(tail) : NULL;
		}
	}
	fprintf(stderr, "tether: %s\n", msg != NULL ? msg : "failed");
	if (tail == NULL)
		return;
	for (p = tail; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			fprintf(stderr, "  %s\n", p);
			break;
		}
		fprintf(stderr, "  %.*s\n", (int)(nl - p), p);
	}
}

/* Writes s escaped for XML text or attributes. */
static void
xml_escape(FILE *f, const char *s)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\n':
		case '\t':
			fputc(*p, f);
			break;
		case '\r':
			fputs("&#13;", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
}

static int
report_junit(struct report *r, int64_t total)
{
	FILE		*f;
	struct tm	 tm;
	char		 ts[32];
	size_t		 i, failures = 0, skipped = 0, tests;
	const char	*suite = r->o.playbook != NULL ? r->o.playbook :
			    "playbook";
	int		 extra;

	if ((f = fopen(r->o.junit, "w")) == NULL) {
		fprintf(stderr, "tether: %s: cannot write: ", r->o.junit);
		perror(NULL);
		return -1;
	}
	for (i = 0; i < r->nsteps; i++) {
		failures += r->steps[i].status == 1;
		skipped += r->steps[i].status == 2;
	}
	/* A failure outside every step, or a playbook without steps. */
	extra = (r->fail_msg != NULL && !r->step_failed) || r->nsteps == 0;
	tests = r->nsteps + extra;
	if (extra && r->fail_msg != NULL)
		failures++;
	gmtime_r(&r->started_at, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"tether\" tests=\"%zu\" failures=\"%zu\""
	    " errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", tests, failures,
	    skipped, total / 1000.0);
	fprintf(f, "  <testsuite name=\"");
	xml_escape(f, suite);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n", tests,
	    failures, skipped, total / 1000.0, ts);
	for (i = 0; i < r->nsteps; i++) {
		fprintf(f, "    <testcase name=\"");
		xml_escape(f, r->steps[i].name);
		fprintf(f, "\" classname=\"");
		xml_escape(f, suite);
		fprintf(f, "\" time=\"%.3f\"", r->steps[i].ms / 1000.0);
		if (r->steps[i].status == 0) {
			fprintf(f, "/>\n");
			continue;
		}
		fprintf(f, ">\n");
		if (r->steps[i].status == 2)
			fprintf(f, "      <skipped "
			    "message=\"not reached\"/>\n");
		else {
			fprintf(f, "      <failure message=\"");
			xml_escape(f, r->steps[i].msg != NULL ?
			    r->steps[i].msg : "failed");
			fprintf(f, "\" type=\"failure\">");
			xml_escape(f, r->steps[i].msg != NULL ?
			    r->steps[i].msg : "failed");
			if (r->steps[i].tail != NULL) {
				fputc('\n', f);
				xml_escape(f, r->steps[i].tail);
			}
			fprintf(f, "</failure>\n");
		}
		fprintf(f, "    </testcase>\n");
	}
	if (extra) {
		fprintf(f, "    <testcase name=\"");
		xml_escape(f, suite);
		fprintf(f, "\" classname=\"");
		xml_escape(f, suite);
		fprintf(f, "\" time=\"%.3f\"", total / 1000.0);
		if (r->fail_msg == NULL)
			fprintf(f, "/>\n");
		else {
			fprintf(f, ">\n      <failure message=\"");
			xml_escape(f, r->fail_msg);
			fprintf(f, "\" type=\"failure\">");
			xml_escape(f, r->fail_msg);
			if (r->fail_tail != NULL) {
				fputc('\n', f);
				xml_escape(f, r->fail_tail);
			}
			fprintf(f, "</failure>\n    </testcase>\n");
		}
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "tether: %s: cannot write\n", r->o.junit);
		return -1;
	}
	return 0;
}

int
report_finish(struct report *r, int status)
{
	int64_t	total = tether_now_ms() - r->start;
	json_t	*j;
	char	*s;
	int	 ret = 0;

	report_clear(r);
	if (r->o.tap) {
		report_tap_header(r);
		if (r->fail_msg != NULL && !r->step_failed) {
			r->tap_n++;
			printf("not ok %d - %s\n  ---\n", r->tap_n,
			    r->o.playbook != NULL ? r->o.playbook :
			    "playbook");
			report_yaml_block(stdout, "message", r->fail_msg);
			printf("  ...\n");
		}
		printf("1..%d\n", r->tap_n);
	}
	if (r->o.json) {
		j = json_pack("{s:s, s:i, s:I}", "type", "result", "status",
		    status, "elapsed_ms", (json_int_t)total);
		if (j != NULL && r->fail_msg != NULL)
			json_object_set_new(j, "message",
			    json_string(r->fail_msg));
		if (j != NULL && (s = json_dumps(j, JSON_COMPACT)) != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(j);
	}
	fflush(stdout);
	if (r->o.junit != NULL && report_junit(r, total) != 0)
		ret = -1;
	return ret;
}
