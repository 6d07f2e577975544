/* SPDX-License-Identifier: ISC */
/*
 * builtin-migrate.c - the migrate verb: live migration of a launched VM
 * into one launched with incoming=unix|tcp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

#define MIGRATE_WITHIN	300000	/* ms a migration may take by default */

int	builtin_migrate(struct builtin_call *);

/* Returns the VM launched as a's name, or NULL with the failure recorded. */
static struct tether_vm *
migrate_vm(struct builtin_call *c, struct builtin_arg *a)
{
	struct tether_vm	*vm;

	if ((vm = tether_vm_find(interp_loop(c->ip), builtin_str(a))) == NULL)
		builtin_fail(c, TETHER_EFAIL, "no VM launched as %s",
		    builtin_str(a));
	return vm;
}

/* migrate SRC to=DST [within DUR] [-> VAR] */
int
builtin_migrate(struct builtin_call *c)
{
	struct tether_vm	*src, *dst;
	struct builtin_arg	*a, *to, *name;
	struct value		*v;
	const char		*msg;
	json_t			*info = NULL;
	int64_t			 ms = MIGRATE_WITHIN, t0 = tether_now_ms();
	int			 r;

	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	to = builtin_opt(c, "to");
	name = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if (name == NULL || to == NULL)
		return builtin_fail(c, TETHER_EFAIL, "missing %s (usage: %s)",
		    name == NULL ? "source VM" : "to=DST", c->st->bi->usage);
	if ((src = migrate_vm(c, name)) == NULL ||
	    (dst = migrate_vm(c, to)) == NULL)
		return -1;
	r = tether_vm_migrate(src, dst, tether_now_ms() + ms, &info);
	if (r != 0) {
		/* The library's message names both VMs: "migrate A to B: " */
		msg = tether_loop_errmsg(interp_loop(c->ip));
		interp_fail(c->ip, &c->st->loc, r, "%s", *msg != '\0' ? msg :
		    tether_strerror(r));
		return -1;
	}
	interp_trace(c->ip, "migrate %s to %s: completed in %lld ms (QEMU: "
	    "%lld ms, downtime %lld ms, %lld bytes)", builtin_str(name),
	    builtin_str(to), (long long)(tether_now_ms() - t0),
	    (long long)json_integer_value(json_object_get(info,
	    "total_time_ms")),
	    (long long)json_integer_value(json_object_get(info,
	    "downtime_ms")),
	    (long long)json_integer_value(json_object_get(info,
	    "transferred_bytes")));
	v = value_from_json(info);
	json_decref(info);
	if (v == NULL)
		return builtin_fail(c, TETHER_ENOMEM, "out of memory");
	builtin_result(c, v);
	return 0;
}
