/* SPDX-License-Identifier: ISC */
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

static size_t
ast_hash(const char *s)
{
	size_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The name and the chain link of an entry of a def or source index. */
static const char *
index_name(const struct ast_index *ix, const struct ast_program *prog,
    void *e)
{
	if (ix == &prog->defindex)
		return ((struct ast_def *)e)->name;
	return ((struct ast_source *)e)->path;
}

static void **
index_link(const struct ast_index *ix, const struct ast_program *prog,
    void *e)
{
	if (ix == &prog->defindex)
		return (void **)&((struct ast_def *)e)->hnext;
	return (void **)&((struct ast_source *)e)->hnext;
}

static void
index_add(struct ast_program *prog, struct ast_index *ix, void *e)
{
	void	**b, *n, *next;
	size_t	  nb, i, h;

	if (ix->count >= ix->nbuckets) {
		nb = ix->nbuckets == 0 ? 64 : ix->nbuckets * 2;
		b = arena_alloc(&prog->arena, nb * sizeof *b);
		for (i = 0; i < ix->nbuckets; i++) {
			for (n = ix->buckets[i]; n != NULL; n = next) {
				next = *index_link(ix, prog, n);
				h = ast_hash(index_name(ix, prog, n)) &
				    (nb - 1);
				*index_link(ix, prog, n) = b[h];
				b[h] = n;
			}
		}
		ix->buckets = b;
		ix->nbuckets = nb;
	}
	h = ast_hash(index_name(ix, prog, e)) & (ix->nbuckets - 1);
	*index_link(ix, prog, e) = ix->buckets[h];
	ix->buckets[h] = e;
	ix->count++;
}

static void *
index_find(struct ast_program *prog, struct ast_index *ix, const char *name)
{
	void	*n;

	if (ix->nbuckets == 0)
		return NULL;
	n = ix->buckets[ast_hash(name) & (ix->nbuckets - 1)];
	for (; n != NULL; n = *index_link(ix, prog, n)) {
		if (strcmp(index_name(ix, prog, n), name) == 0)
			return n;
	}
	return NULL;
}

void
ast_def_add(struct ast_program *prog, struct ast_def *d)
{
	d->next = prog->defs;
	prog->defs = d;
	index_add(prog, &prog->defindex, d);
}

struct ast_def *
ast_def_find(struct ast_program *prog, const char *name)
{
	return index_find(prog, &prog->defindex, name);
}

struct ast_source *
ast_source_add(struct ast_program *prog, const char *path, const char *text,
    size_t len)
{
	struct ast_source	*src;

	src = arena_alloc(&prog->arena, sizeof *src);
	src->path = arena_strndup(&prog->arena, path, strlen(path));
	src->text = arena_strndup(&prog->arena, text, len);
	src->len = len;
	src->next = prog->sources;
	prog->sources = src;
	index_add(prog, &prog->srcindex, src);
	return src;
}

/* Builds the index of the starts of src's lines. */
static void
source_index(struct ast_program *prog, struct ast_source *src)
{
	const char	*p = src->text, *end = src->text + src->len;
	size_t		 n = 1;

	while ((p = memchr(p, '\n', end - p)) != NULL) {
		n++;
		p++;
	}
	src->lines = arena_alloc(&prog->arena, n * sizeof *src->lines);
	src->lines[0] = 0;
	src->nlines = 1;
	p = src->text;
	while ((p = memchr(p, '\n', end - p)) != NULL) {
		p++;
		src->lines[src->nlines++] = p - src->text;
	}
}

const char *
ast_source_line(struct ast_program *prog, const char *file, int line,
    size_t *len)
{
	struct ast_source	*src;
	const char		*p, *end, *nl;

	if ((src = index_find(prog, &prog->srcindex, file)) == NULL)
		return NULL;
	if (src->lines == NULL)
		source_index(prog, src);
	if (line < 1 || (size_t)line > src->nlines)
		return NULL;
	p = src->text + src->lines[line - 1];
	end = src->text + src->len;
	nl = memchr(p, '\n', end - p);
	*len = (nl != NULL ? nl : end) - p;
	return p;
}
