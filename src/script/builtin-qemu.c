/* SPDX-License-Identifier: ISC */
/*
 * builtin-qemu.c - verbs for the QEMU monitors: hmp, qmp, qmp-event and
 * qmp-drain.
 */
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "tether.h"
#include "value.h"

int	builtin_hmp(struct builtin_call *);
int	builtin_qmp(struct builtin_call *);
int	builtin_qmp_event(struct builtin_call *);
int	builtin_qmp_drain(struct builtin_call *);

/* Stores a monitor's JSON answer as the result, if it is not too deep. */
static int
builtin_json_result(struct builtin_call *c, const json_t *j, const char *what)
{
	struct value	*v;

	if ((v = value_from_json(j)) == NULL)
		return builtin_fail(c, TETHER_EPROTO, "%s: the answer is a "
		    VALUE_DEPTH_MSG, what);
	builtin_result(c, v);
	return 0;
}

/*
 * hmp NAME "COMMAND" [-> VAR] [timeout DUR] [error=ok]
 * QEMU refusing the command fails the statement, unless error=ok.
 */
int
builtin_hmp(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*cmd, *a;
	json_t			*j;
	char			*out = NULL, *why = NULL;
	int64_t			 ms = -1;
	int			 r, error_ok = 0;

	if ((a = builtin_opt(c, "error")) != NULL) {
		if (strcmp(builtin_str(a), "ok") != 0)
			return builtin_fail(c, TETHER_EFAIL, "error=%s: want "
			    "error=ok", builtin_str(a));
		error_ok = 1;
	}
	if (builtin_command(c, &s, &cmd, &ms) != 0)
		return -1;
	if (builtin_finish(c) != 0)
		return -1;
	r = tether_hmp_command(s, builtin_str(cmd), builtin_deadline(c, ms),
	    &out);
	if (r != 0) {
		free(out);
		return builtin_fail_lib(c, r, s, builtin_str(cmd));
	}
	if (!error_ok && (r = tether_hmp_error(builtin_str(cmd), out,
	    &why)) != 0) {
		free(out);
		if (r < 0)
			return builtin_fail(c, r, "out of memory");
		r = builtin_fail(c, TETHER_EREMOTE, "hmp %s: QEMU refused "
		    "\"%s\": %s", tether_session_name(s), builtin_str(cmd),
		    why);
		free(why);
		return r;
	}
	if ((j = tether_hmp_parse(builtin_str(cmd), out)) != NULL) {
		r = builtin_json_result(c, j, builtin_str(cmd));
		json_decref(j);
		free(out);
		return r;
	} else
		builtin_result(c, value_strz(out != NULL ? out : ""));
	free(out);
	return 0;
}

/* qmp NAME "COMMAND" [ARGS-MAP] [-> VAR] [timeout DUR] */
int
builtin_qmp(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*cmd, *args;
	json_t			*j = NULL, *res = NULL;
	int64_t			 ms = -1;
	int			 r;

	if (builtin_command(c, &s, &cmd, &ms) != 0)
		return -1;
	if ((args = builtin_next(c)) != NULL) {
		if (args->val->type == VAL_STR) {
			json_error_t	 err;

			j = json_loadb(args->val->s, args->val->len, 0, &err);
			if (j == NULL || !json_is_object(j)) {
				json_decref(j);
				return builtin_fail(c, TETHER_EFAIL,
				    "arguments must be a map or a JSON "
				    "object");
			}
		} else if (args->val->type == VAL_MAP)
			j = value_to_json(args->val);
		else
			return builtin_fail(c, TETHER_EFAIL,
			    "arguments must be a map");
	}
	if (builtin_finish(c) != 0) {
		json_decref(j);
		return -1;
	}
	r = tether_qmp_execute(s, builtin_str(cmd), j,
	    builtin_deadline(c, ms), &res);
	json_decref(j);
	if (r != 0)
		return builtin_fail_lib(c, r, s, builtin_str(cmd));
	r = builtin_json_result(c, res, builtin_str(cmd));
	json_decref(res);
	return r;
}

/* qmp-event NAME "EVENT" [within DUR] [-> VAR] */
int
builtin_qmp_event(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*a, *ev;
	json_t			*res = NULL;
	int64_t			 ms = -1;
	int			 r;

	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if (builtin_session(c, builtin_next(c), &s) != 0)
		return -1;
	ev = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	r = tether_qmp_event(s, ev != NULL ? builtin_str(ev) : NULL,
	    builtin_deadline(c, ms), &res);
	if (r != 0)
		return builtin_fail_lib(c, r, s, ev != NULL ?
		    builtin_str(ev) : "event");
	r = builtin_json_result(c, res, ev != NULL ? builtin_str(ev) :
	    "event");
	json_decref(res);
	return r;
}

/* qmp-drain NAME ["EVENT"] [-> LIST]: the events already there, no wait. */
int
builtin_qmp_drain(struct builtin_call *c)
{
	struct tether_session	*s;
	struct builtin_arg	*ev;
	json_t			*res = NULL;
	int			 r;

	if (builtin_session(c, builtin_next(c), &s) != 0)
		return -1;
	ev = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	r = tether_qmp_drain(s, ev != NULL ? builtin_str(ev) : NULL, &res);
	if (r != 0)
		return builtin_fail_lib(c, r, s, ev != NULL ?
		    builtin_str(ev) : "events");
	r = builtin_json_result(c, res, "qmp-drain");
	json_decref(res);
	return r;
}
