/*
 * report.h - what `tether run` tells the user: step lines and a live
 * status line on stderr, TAP or JSON lines on stdout, a JUnit XML file.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

struct report;

struct report_opts {
	const char	*playbook;	/* suite name */
	const char	*junit;		/* --junit FILE, or NULL */
	int		 tap;		/* --tap */
	int		 json;		/* --json */
	int		 quiet;		/* -q */
	int		 verbose;	/* -v */
};

/* Returns a new report (never NULL). */
struct report	*report_new(const struct report_opts *);
/* Frees the report (NULL is fine). */
void		 report_free(struct report *);
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
/* `print`: a line on stdout (a TAP comment with --tap). */
void		 report_print(struct report *, const char *text);
/* Sets the live line: what is awaited and the time left; NULL clears. */
void		 report_status(struct report *, const char *what,
		    int64_t left_ms);
/* The failure message on stderr, with the transcript tail. */
void		 report_failure(struct report *, const char *msg,
		    const char *tail);
/*
 * Ends the run with exit status status: TAP plan, JUnit file.  Returns
 * 0, or -1 when the JUnit file cannot be written (message printed).
 */
int		 report_finish(struct report *, int status);

#endif /* REPORT_H */
