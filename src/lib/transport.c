/* SPDX-License-Identifier: ISC */
/*
 * transport.c - calls through the transport table, chains, option helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

struct transport *
transport_new(const struct transport_ops *ops, struct tether_loop *loop)
{
	struct transport	*t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->ops = ops;
	t->loop = loop;
	t->fd = -1;
	t->wake_at = -1;
	t->pid = -1;
	return t;
}

void
transport_free(struct transport *t)
{
	struct transport	*next;

	while (t != NULL) {
		next = t->next;
		if (t->ops->close != NULL)
			t->ops->close(t);
		free(t);
		t = next;
	}
}

/*
 * Moves t down the chain to the first transport that has member op: a
 * layer without it forwards the call to the one below.
 */
#define TRANSPORT_DOWN(t, op)						\
	while ((t)->ops->op == NULL && (t)->next != NULL)		\
		(t) = (t)->next

int
transport_open(struct transport *t, struct transport_args *a)
{
	TRANSPORT_DOWN(t, open);
	if (t->ops->open == NULL)
		return TETHER_ENOTSUP;
	return t->ops->open(t, a);
}

int
transport_connect(struct transport *t)
{
	TRANSPORT_DOWN(t, connect);
	if (t->ops->connect == NULL)
		return 0;
	return t->ops->connect(t);
}

int
transport_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	*nread = 0;
	TRANSPORT_DOWN(t, read);
	if (t->ops->read == NULL)
		return TETHER_ENOTSUP;
	return t->ops->read(t, p, n, nread);
}

int
transport_write(struct transport *t, const void *p, size_t n,
    size_t *nwritten)
{
	*nwritten = 0;
	TRANSPORT_DOWN(t, write);
	if (t->ops->write == NULL)
		return TETHER_ENOTSUP;
	return t->ops->write(t, p, n, nwritten);
}

int
transport_flush(struct transport *t)
{
	TRANSPORT_DOWN(t, flush);
	if (t->ops->flush == NULL)
		return 0;
	return t->ops->flush(t);
}

int
transport_events(struct transport *t)
{
	TRANSPORT_DOWN(t, events);
	if (t->ops->events == NULL)
		return POLLIN;
	return t->ops->events(t);
}

int
transport_winsize(struct transport *t, int rows, int cols)
{
	TRANSPORT_DOWN(t, winsize);
	if (t->ops->winsize == NULL)
		return TETHER_ENOTSUP;
	return t->ops->winsize(t, rows, cols);
}

int
transport_wait(struct transport *t, int64_t deadline, int *status)
{
	TRANSPORT_DOWN(t, wait);
	if (t->ops->wait == NULL)
		return TETHER_ENOTSUP;
	return t->ops->wait(t, deadline, status);
}

int
transport_redial(struct transport *t)
{
	TRANSPORT_DOWN(t, redial);
	if (t->ops->redial == NULL)
		return TETHER_ENOTSUP;
	return t->ops->redial(t);
}

int
transport_brk(struct transport *t, int on)
{
	for (; t != NULL; t = t->next) {
		if (t->ops->brk != NULL)
			return t->ops->brk(t, on);
	}
	return TETHER_ENOTSUP;
}

const char *
transport_line(struct transport *t)
{
	for (; t != NULL; t = t->next) {
		if (t->ops->line != NULL)
			return t->ops->line(t);
	}
	return NULL;
}

int
transport_fd(struct transport *t)
{
	for (; t != NULL; t = t->next) {
		if (t->fd != -1)
			return t->fd;
	}
	return -1;
}

int64_t
transport_wake_at(struct transport *t)
{
	int64_t	w = -1;

	for (; t != NULL; t = t->next) {
		if (t->wake_at != -1 && (w == -1 || t->wake_at < w))
			w = t->wake_at;
	}
	return w;
}

const char *
transport_opt(struct transport_args *a, const char *key)
{
	size_t		 i;
	const char	*v = NULL;

	for (i = 0; i < a->nopts; i++) {
		if (strcmp(a->opts[i].key, key) == 0) {
			a->used[i] = 1;
			v = a->opts[i].value;	/* the last one wins */
		}
	}
	return v;
}

int
transport_hostport(const char *s, char **host, int *port)
{
	const char	*colon, *h, *end;
	size_t		 hlen;
	char		*ep;
	long		 p;

	*host = NULL;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return TETHER_EINVAL;
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return TETHER_EINVAL;
		h = s;
		hlen = (size_t)(colon - s);
	}
	errno = 0;
	p = strtol(colon + 1, &ep, 10);
	if (hlen == 0 || colon[1] == '\0' || *ep != '\0' || errno != 0 ||
	    p <= 0 || p > 65535)
		return TETHER_EINVAL;
	if ((*host = strndup(h, hlen)) == NULL)
		return TETHER_ENOMEM;
	*port = (int)p;
	return 0;
}
