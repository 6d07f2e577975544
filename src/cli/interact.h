/* SPDX-License-Identifier: ISC */
/*
 * interact.h - the interactive engine shared by tether attach, tether repl
 * and the interact statement: the terminal passed through to a session,
 * and a GNU readline prompt run from the event loop so that every session
 * keeps being read while the user types.
 *
 * Modes: pass-through (terminal raw, keys to the current session, its
 * output to the screen), prompt (readline editing; output of the current
 * session is held, not mixed into the line being edited) and running (a
 * command line runs; output is shown as it comes).  The escape key leaves
 * pass-through: to the prompt when there is one, else ia_run returns.
 */
#ifndef INTERACT_H
#define INTERACT_H

#include <stddef.h>

#include "tether.h"

#define IA_ESCAPE_DEFAULT	0x1d	/* ^] */

struct interact;

/* Runs one command line (NULL: ^D at the prompt); see ia_next_*. */
typedef void (*ia_command_fn)(struct interact *, char *line, void *arg);
/* ^C at the prompt dropped the line being edited. */
typedef void (*ia_cancel_fn)(struct interact *, void *arg);
/* Returns the prompt to show now. */
typedef const char *(*ia_prompt_fn)(struct interact *, void *arg);

/* Returns a new engine on loop with escape byte esc (-1: none). */
struct interact *ia_new(struct tether_loop *, int esc);
/* Frees the engine; the sessions' output callbacks are removed. */
void	 ia_free(struct interact *);
/*
 * Adds a session to show and type to; the first becomes current.  A
 * session known already (a new one where a closed one was) starts
 * afresh.  Returns 0 or TETHER_ENOMEM.
 */
int	 ia_add(struct interact *, struct tether_session *);
/*
 * Forgets the sessions the loop has closed (a playbook's close), calling
 * gone (may be NULL) with the name of each.  Returns how many.
 */
size_t	 ia_sync(struct interact *, void (*gone)(const char *, void *),
	    void *arg);
/*
 * What passes through the engine, shown to an observer (tether record):
 * the keys typed to a session just before they are sent, and every
 * chunk a session receives (also while it is muted).
 */
struct ia_tap {
	void	(*keys)(void *arg, struct tether_session *, const char *,
		    size_t);
	void	(*output)(void *arg, struct tether_session *, const void *,
		    size_t);
	void	 *arg;
};
/* Sets the observer (NULL: none); tap must outlive the engine's use. */
void	 ia_set_tap(struct interact *, const struct ia_tap *);
/* Returns the current session, or NULL. */
struct tether_session *ia_current(struct interact *);
/*
 * Makes s the current session: the output it received in the background
 * is shown when pass-through resumes.  Returns 0, or -1 when s is unknown.
 */
int	 ia_switch(struct interact *, struct tether_session *);
/*
 * Redraws s's screen when pass-through resumes on it: its last line (the
 * prompt) again, unless it has output received in the background to
 * show.  Returns 0, or -1 when s is unknown.
 */
int	 ia_redraw(struct interact *, struct tether_session *);
/* Returns the number of sessions and the i-th one. */
size_t	 ia_count(struct interact *);
struct tether_session *ia_session(struct interact *, size_t i);
/* Nonzero: s's output is not shown (while a command parses it). */
void	 ia_mute(struct interact *, struct tether_session *, int);
/*
 * Sets the command prompt the escape key opens.  With start_at_prompt,
 * ia_run starts there and an empty line does not leave it (repl).
 */
void	 ia_set_prompt(struct interact *, ia_prompt_fn, ia_command_fn,
	    void *arg, int start_at_prompt);
/* Sets what ^C at the prompt also tells the command runner. */
void	 ia_set_cancel(struct interact *, ia_cancel_fn);
/* Uses history file path (NULL: none): loaded now, appended per line. */
void	 ia_history(struct interact *, const char *path);
/* After a command: go back to pass-through (default: stay at prompt). */
void	 ia_next_pass(struct interact *);
/* Ends ia_run with status (a TETHER_E* code or 0). */
void	 ia_done(struct interact *, int status);
/*
 * Runs until ia_done, the escape key without a prompt (0), the end of
 * every session (TETHER_EOF), a terminating signal (TETHER_EINTR) or a
 * loop failure.  The terminal must be open (term_open).
 */
int	 ia_run(struct interact *);
/* Writes bytes to the terminal, whatever the mode. */
void	 ia_write(const void *, size_t);
/* Ends the line on the terminal unless the cursor is at its start. */
void	 ia_newline(void);
/* Prints "[tether: ...]" on a line of its own, whatever the mode. */
void	 ia_notice(struct interact *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the text of escape byte c: "^]", "^A", "x". */
const char *ia_key_name(int c);
/* Parses "^]", "^A", "0x1d", "x" or "none" (-1).  Returns 0 or -1. */
int	 ia_key_parse(const char *, int *c);
/* Returns $TETHER_HISTORY, else ~/.tether_history (caller frees), or NULL. */
char	*ia_history_path(void);

#endif /* INTERACT_H */
