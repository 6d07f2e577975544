/* SPDX-License-Identifier: ISC */
/*
 * util.c - status codes, exit statuses, the clock and the version.
 */
#include <time.h>

#include "tether.h"

const char *
tether_strerror(int r)
{
	switch (r) {
	case TETHER_OK:
		return "success";
	case TETHER_EAGAIN:
		return "operation would block";
	case TETHER_ENOMEM:
		return "out of memory";
	case TETHER_EINVAL:
		return "invalid argument";
	case TETHER_EIO:
		return "input/output error";
	case TETHER_EOF:
		return "end of file";
	case TETHER_ETIMEDOUT:
		return "timed out";
	case TETHER_ECONNECT:
		return "cannot connect";
	case TETHER_EAUTH:
		return "authentication failed";
	case TETHER_EHOSTKEY:
		return "host key verification failed";
	case TETHER_EPROTO:
		return "protocol error";
	case TETHER_ENOTSUP:
		return "not supported by this session";
	case TETHER_ESPAWN:
		return "cannot start program";
	case TETHER_EREMOTE:
		return "the peer reported an error";
	case TETHER_EFAIL:
		return "failed";
	case TETHER_EINTR:
		return "interrupted";
	}
	return "unknown error";
}

int
tether_exit_code(int r)
{
	switch (r) {
	case TETHER_OK:
	case TETHER_EAGAIN:
		return TETHER_EXIT_OK;
	case TETHER_EINVAL:
		return TETHER_EXIT_USAGE;
	case TETHER_ETIMEDOUT:
		return TETHER_EXIT_TIMEOUT;
	case TETHER_EOF:
		return TETHER_EXIT_EOF;
	case TETHER_EAUTH:
	case TETHER_EHOSTKEY:
		return TETHER_EXIT_AUTH;
	case TETHER_ECONNECT:
		return TETHER_EXIT_CONNECT;
	}
	return TETHER_EXIT_FAIL;
}

int64_t
tether_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
tether_version(void)
{
	return TETHER_VERSION;
}
