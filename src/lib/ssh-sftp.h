/* SPDX-License-Identifier: ISC */
/*
 * ssh-sftp.h - files over an ssh:// session's connection (ssh-sftp.c):
 * SFTP when the server offers it, else an exec channel running cat.
 * Both run on their own channel beside the session's shell, driven by
 * the loop (libssh2 non-blocking).
 */
#ifndef SSH_SFTP_H
#define SSH_SFTP_H

#include <stdint.h>

#include "tether.h"

/* Returns nonzero when s is an ssh:// session (its top transport). */
int	 ssh_xfer_is_ssh(struct tether_session *);
/*
 * Writes the size bytes read from fd to remote with permissions mode,
 * calling progress(arg, done, size) as it goes; *method gets "sftp" or
 * "exec".  Returns 0 or a TETHER_E* code with the errmsg set ("put on
 * NAME: ...").
 */
int	 ssh_xfer_put(struct tether_session *, int fd, uint64_t size,
	    const char *remote, int mode, int64_t deadline,
	    tether_progress_fn progress, void *arg, const char **method);
/*
 * Writes the file remote to fd; its size in *size.  Otherwise as
 * ssh_xfer_put.
 */
int	 ssh_xfer_get(struct tether_session *, const char *remote, int fd,
	    int64_t deadline, tether_progress_fn progress, void *arg,
	    uint64_t *size, const char **method);

#endif /* SSH_SFTP_H */
