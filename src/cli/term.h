/* SPDX-License-Identifier: ISC */
/*
 * term.h - the local terminal for interactive mode: raw and saved modes,
 * window size, and a terminal that is put back however we leave (exit,
 * SIGTERM, SIGHUP, SIGINT, a crash).
 *
 * Signals are turned into bytes on a pipe (term_sigfd) that the event
 * loop watches; a terminating signal also restores the terminal at once
 * in the handler and interrupts the loop given to term_open.
 */
#ifndef TERM_H
#define TERM_H

#include "tether.h"

/*
 * Saves the state of the terminal on fd and installs the restoring exit
 * and signal handlers; loop (may be NULL) is interrupted by a terminating
 * signal.  Returns 0, or -1 when fd is not a terminal or on failure.
 * Nested calls only count; the last term_close undoes the first open.
 */
int	term_open(int fd, struct tether_loop *loop);
/* Restores the saved state and the previous signal handlers. */
void	term_close(void);
/* Puts the terminal in raw mode.  Returns 0 or -1. */
int	term_raw(void);
/*
 * Puts the terminal back in its saved state; with noisig, without
 * signal keys and echo (commands running under the prompt).
 * Returns 0 or -1.
 */
int	term_cooked(int noisig);
/* Returns nonzero while the terminal is in raw mode. */
int	term_is_raw(void);
/* Gets the window size.  Returns 0, or -1 when unknown. */
int	term_size(int *rows, int *cols);
/* Returns the read end of the signal pipe, or -1 when not open. */
int	term_sigfd(void);
/* Returns the next signal from the pipe (drains one), 0 when none. */
int	term_signal_next(void);
/* Returns the terminating signal received (SIGTERM...), or 0. */
int	term_fatal(void);
/*
 * After cleaning up: dies of the terminating signal received, with its
 * default action, so the parent sees it.  Returns when there was none.
 */
void	term_reraise(void);

#endif /* TERM_H */
