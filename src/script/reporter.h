/* SPDX-License-Identifier: ISC */
/*
 * reporter.h - how the interpreter tells what happens: a table of
 * callbacks with a context pointer, implemented by the front end (tether
 * run's reports in cli/report.c).  The interpreter hands over every text
 * as it is; the reporter redacts and encodes it.
 */
#ifndef REPORTER_H
#define REPORTER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Each callback gets ctx first and may be NULL: then print writes the
 * text and a newline on stdout, failure "tether: MSG" on stderr, and the
 * others do nothing.
 */
struct reporter {
	void	*ctx;
	/* A step starts. */
	void	(*step_begin)(void *ctx, const char *name);
	/* A step ends: ok, or failed with msg and the transcript tail. */
	void	(*step_end)(void *ctx, const char *name, int ok, int64_t ms,
		    const char *msg, const char *tail);
	/* A top-level step that a failure kept from running. */
	void	(*step_skip)(void *ctx, const char *name);
	/* `log TEXT`. */
	void	(*log)(void *ctx, const char *text);
	/* `print TEXT`: len bytes, any byte (NUL too). */
	void	(*print)(void *ctx, const char *text, size_t len);
	/* A trace line; NULL when nobody reads them (no -v). */
	void	(*trace)(void *ctx, const char *text);
	/*
	 * The live line: what is awaited and the time left, NULL what
	 * clears it; NULL when there is no live line (not a terminal).
	 */
	void	(*status)(void *ctx, const char *what, int64_t left_ms);
	/* The run failed (or a finally block did): msg and the tail. */
	void	(*failure)(void *ctx, const char *msg, const char *tail);
};

#endif /* REPORTER_H */
