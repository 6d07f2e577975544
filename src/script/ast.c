/*
 * ast.c - the arena the syntax tree lives in, and lookups on the tree.
 */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "xmalloc.h"

#define ARENA_CHUNK	(32 * 1024)

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 used;
	size_t			 size;
	max_align_t		 data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c = a->head;
	size_t			 size;
	void			*p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->size - c->used < n) {
		size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = xmalloc(sizeof *c + size);
		c->used = 0;
		c->size = size;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	p = arena_alloc(a, n + 1);
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk	*c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

struct ast_def *
ast_def_find(struct ast_program *prog, const char *name)
{
	struct ast_def	*d;

	for (d = prog->defs; d != NULL; d = d->next) {
		if (strcmp(d->name, name) == 0)
			return d;
	}
	return NULL;
}

const char *
ast_source_line(struct ast_program *prog, const char *file, int line,
    size_t *len)
{
	struct ast_source	*src;
	const char		*p, *end, *nl;
	int			 n;

	for (src = prog->sources; src != NULL; src = src->next) {
		if (strcmp(src->path, file) == 0)
			break;
	}
	if (src == NULL)
		return NULL;
	p = src->text;
	end = src->text + src->len;
	for (n = 1; n < line && p < end; n++) {
		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', end - p);
	*len = (nl != NULL ? nl : end) - p;
	return p;
}
