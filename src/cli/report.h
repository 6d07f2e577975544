/* SPDX-License-Identifier: ISC */
/*
 * report.h - what `tether run` tells the user: step lines and a live
 * status line on stderr, TAP or JSON lines on stdout, a JUnit XML file.
 *
 * Every text given to these functions (step names, messages, tails,
 * print, log and trace text, the status line) is passed through the
 * redact hook before anything is written, and is then encoded for where
 * it goes: as is on stderr and for a plain print, valid UTF-8 in TAP,
 * JSON and JUnit (see tether(1), REPORTS).
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "reporter.h"

struct report;

struct report_opts {
	const char	*playbook;	/* suite name */
	const char	*junit;		/* --junit FILE, or NULL */
	int		 tap;		/* --tap */
	int		 json;		/* --json */
	int		 quiet;		/* -q */
	int		 verbose;	/* -v */
	/*
	 * Returns a malloc'd copy of len bytes of s with the secrets
	 * masked, its length in *outlen; NULL when out of memory (the text
	 * is then shown as ********).  A NULL hook: no redaction.
	 */
	char		*(*redact)(void *ctx, const char *s, size_t len,
			    size_t *outlen);
	void		*redact_ctx;
};

/* Returns a new report (never NULL). */
struct report	*report_new(const struct report_opts *);
/* Frees the report (NULL is fine). */
void		 report_free(struct report *);
/*
 * A redact hook over tether_loop_redact(): ctx is the struct tether_loop.
 * Returns what tether_loop_redact() returns.
 */
char		*report_redact_loop(void *ctx, const char *s, size_t len,
		    size_t *outlen);
/*
 * Opens the --junit file before the run, so that a path that cannot be
 * written is known at once.  Returns 0, or -1 (message printed).
 */
int		 report_open(struct report *);
/*
 * Returns the reporter interface over r for the interpreter (valid while
 * r is): every callback is the report_* function of the same name; no
 * trace without -v, no status without a live line.
 */
const struct reporter *report_reporter(struct report *);
/* Returns nonzero when a live status line is drawn (stderr is a tty). */
int		 report_live(struct report *);
/* A step starts. */
void		 report_step_begin(struct report *, const char *name);
/* A step ends: ok, or failed with msg and the transcript tail. */
void		 report_step_end(struct report *, const char *name, int ok,
		    int64_t ms, const char *msg, const char *tail);
/* A step that was not reached (after a failure). */
void		 report_step_skip(struct report *, const char *name);
/* `log`: a timestamped line on stderr (not with -q). */
void		 report_log(struct report *, const char *text);
/* A trace line, shown with -v only. */
void		 report_trace(struct report *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * `print`: len bytes of text and a newline on stdout, byte for byte; a
 * TAP comment per line with --tap, a JSON object with --json; kept for
 * the JUnit system-out of the step that prints it.
 */
void		 report_print_len(struct report *, const char *text,
		    size_t len);
/* report_print_len() of a NUL-terminated text. */
void		 report_print(struct report *, const char *text);
/* Sets the live line: what is awaited and the time left; NULL clears. */
void		 report_status(struct report *, const char *what,
		    int64_t left_ms);
/* The failure message on stderr, with the transcript tail. */
void		 report_failure(struct report *, const char *msg,
		    const char *tail);
/*
 * The playbook cannot run (a syntax error): msg on stderr as it is, and
 * the outcome of every report is this error.
 */
void		 report_error(struct report *, const char *msg);
/* "tether: " and the message on stderr; not a failure of the run. */
void		 report_note(struct report *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * Ends the run with exit status status: JUnit file, TAP plan or JSON
 * result.  Returns 0, or -1 when a report or a stream could not be
 * written in full (message printed, with the path and the error).
 */
int		 report_finish(struct report *, int status);

#endif /* REPORT_H */
