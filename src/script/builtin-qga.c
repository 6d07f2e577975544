/* SPDX-License-Identifier: ISC */
/*
 * builtin-qga.c - verbs for the QEMU guest agent: qga and qga-exec.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

int	builtin_qga(struct builtin_call *);
int	builtin_qga_exec(struct builtin_call *);

/*
 * Records the failure of a tether_qga* call (status r) on s.  The
 * library says "qga NAME: ...": that prefix becomes "VERB on NAME:".
 * Returns -1.
 */
static int
qga_fail(struct builtin_call *c, int r, struct tether_session *s)
{
	const char	*detail = tether_loop_errmsg(interp_loop(c->ip));
	const char	*name = tether_session_name(s);
	size_t		 nn = strlen(name);

	if (strncmp(detail, "qga ", 4) != 0 ||
	    strncmp(detail + 4, name, nn) != 0 ||
	    strncmp(detail + 4 + nn, ": ", 2) != 0)
		return builtin_fail_lib(c, r, s, NULL);
	interp_fail(c->ip, &c->st->loc, r, "%s on %s: %s", c->st->bi->name,
	    name, detail + 4 + nn + 2);
	return -1;
}

/* Takes the optional ARGS word: a map or a JSON object text. */
static int
qga_args(struct builtin_call *c, json_t **j)
{
	struct builtin_arg	*a;
	json_error_t		 err;

	*j = NULL;
	if ((a = builtin_next(c)) == NULL)
		return 0;
	if (a->val->type == VAL_MAP) {
		if ((*j = value_to_json(a->val)) == NULL)
			return builtin_fail(c, TETHER_ENOMEM, "out of memory");
		return 0;
	}
	if (a->val->type == VAL_STR &&
	    (*j = json_loadb(a->val->s, a->val->len, 0, &err)) != NULL &&
	    json_is_object(*j))
		return 0;
	json_decref(*j);
	*j = NULL;
	return builtin_fail(c, TETHER_EFAIL, "arguments must be a map or a "
	    "JSON object");
}

/* qga NAME "COMMAND" [ARGS-MAP] [-> VAR] [timeout DUR] */
int
builtin_qga(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*cmd;
	struct value		*v;
	json_t			*args, *res = NULL;
	int64_t			 ms = -1;
	int			 r;

	if (builtin_command(c, &s, &cmd, &ms) != 0 ||
	    qga_args(c, &args) != 0)
		return -1;
	if (builtin_finish(c) != 0) {
		json_decref(args);
		return -1;
	}
	tether_loop_seterr(interp_loop(c->ip), 0, "%s", "");
	r = tether_qga(s, builtin_str(cmd), args, builtin_deadline(c, ms),
	    &res);
	json_decref(args);
	if (r != 0)
		return qga_fail(c, r, s);
	v = res != NULL ? value_from_json(res) : value_null();
	json_decref(res);
	if (v == NULL)
		return builtin_fail(c, TETHER_EPROTO, "%s: the answer is a "
		    VALUE_DEPTH_MSG, builtin_str(cmd));
	builtin_result(c, v);
	return 0;
}

/* qga-exec NAME "SHELL COMMAND" [-> VAR] [timeout DUR] */
int
builtin_qga_exec(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*cmd;
	char			*out = NULL, *err = NULL;
	size_t			 outlen = 0, errlen = 0;
	int64_t			 ms = -1;
	int			 r, status = -1;

	if (builtin_command(c, &s, &cmd, &ms) != 0 ||
	    builtin_finish(c) != 0)
		return -1;
	tether_loop_seterr(interp_loop(c->ip), 0, "%s", "");
	r = tether_qga_exec(s, builtin_str(cmd), builtin_deadline(c, ms),
	    &out, &outlen, &err, &errlen, &status);
	if (r != 0)
		return qga_fail(c, r, s);
	builtin_setvar(c, "status", value_int(status));
	builtin_setvar(c, "stderr", value_str_own(err, errlen));
	builtin_result(c, value_str_own(out, outlen));
	return 0;
}
