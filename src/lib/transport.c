/* SPDX-License-Identifier: ISC */
/*
 * transport.c - calls through the transport table, chains, option helpers.
 */
#include <ctype.h>
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

int
transport_open(struct transport *t, struct transport_args *a)
{
	if (t->ops->open == NULL)
		return TETHER_ENOTSUP;
	return t->ops->open(t, a);
}

int
transport_connect(struct transport *t)
{
	if (t->ops->connect == NULL)
		return 0;
	return t->ops->connect(t);
}

int
transport_read(struct transport *t, void *p, size_t n, size_t *nread)
{
	*nread = 0;
	if (t->ops->read == NULL)
		return TETHER_ENOTSUP;
	return t->ops->read(t, p, n, nread);
}

int
transport_write(struct transport *t, const void *p, size_t n,
    size_t *nwritten)
{
	*nwritten = 0;
	if (t->ops->write == NULL)
		return TETHER_ENOTSUP;
	return t->ops->write(t, p, n, nwritten);
}

int
transport_flush(struct transport *t)
{
	if (t->ops->flush == NULL)
		return 0;
	return t->ops->flush(t);
}

int
transport_events(struct transport *t)
{
	if (t->ops->events == NULL)
		return POLLIN;
	return t->ops->events(t);
}

int
transport_winsize(struct transport *t, int rows, int cols)
{
	if (t->ops->winsize == NULL)
		return TETHER_ENOTSUP;
	return t->ops->winsize(t, rows, cols);
}

int
transport_wait(struct transport *t, int64_t deadline, int *status)
{
	if (t->ops->wait == NULL)
		return TETHER_ENOTSUP;
	return t->ops->wait(t, deadline, status);
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

int
transport_duration(const char *s, int64_t *ms)
{
	char		*ep;
	long long	 v;
	double		 d;

	if (s == NULL || !isdigit((unsigned char)*s))
		return TETHER_EINVAL;
	errno = 0;
	v = strtoll(s, &ep, 10);
	if (errno != 0)
		return TETHER_EINVAL;
	if (*ep == '.') {
		d = strtod(s, &ep);
		v = 0;
		if (strcmp(ep, "s") == 0 || *ep == '\0')
			*ms = (int64_t)(d * 1000);
		else if (strcmp(ep, "m") == 0)
			*ms = (int64_t)(d * 60000);
		else
			return TETHER_EINVAL;
		return 0;
	}
	if (strcmp(ep, "ms") == 0)
		*ms = v;
	else if (*ep == '\0' || strcmp(ep, "s") == 0)
		*ms = v * 1000;
	else if (strcmp(ep, "m") == 0)
		*ms = v * 60000;
	else if (strcmp(ep, "h") == 0)
		*ms = v * 3600000;
	else
		return TETHER_EINVAL;
	return 0;
}
