/* SPDX-License-Identifier: ISC */
/*
 * builtin.c - the table of verbs and the helpers verbs use to read their
 * words, resolve sessions and record failures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"
#include "xmalloc.h"

/* builtin-shell.c */
int	builtin_login(struct builtin_call *);
int	builtin_run(struct builtin_call *);
/* builtin-qemu.c */
int	builtin_hmp(struct builtin_call *);
int	builtin_qmp(struct builtin_call *);
int	builtin_qmp_event(struct builtin_call *);
int	builtin_qmp_drain(struct builtin_call *);	/* issue 12: monitor */
/* builtin-qga.c */
int	builtin_qga(struct builtin_call *);
int	builtin_qga_exec(struct builtin_call *);
/* builtin-serial.c */
int	builtin_send_break(struct builtin_call *);

/* builtin-pin.c: pin, adopt, discover (issue 12) */
int	builtin_pin(struct builtin_call *);
int	builtin_adopt(struct builtin_call *);
int	builtin_discover(struct builtin_call *);

/* builtin-migrate.c: live migration (issue 12) */
int	builtin_migrate(struct builtin_call *);

/* builtin-xfer.c: put and get (issue 12) */
int	builtin_put(struct builtin_call *);
int	builtin_get(struct builtin_call *);

/* builtin-vm.c: the VM life cycle */
int	builtin_launch(struct builtin_call *);
int	builtin_teardown(struct builtin_call *);
int	builtin_wait_net(struct builtin_call *);
int	builtin_wait_port(struct builtin_call *);

/* builtin-lang.c: the language's own verbs (issue 12: lang) */
int	builtin_wait(struct builtin_call *);

/* interact NAME: hands the terminal over through the interpreter's hook. */
static int
builtin_interact(struct builtin_call *c)
{
	struct tether_session	*s;
	interp_interact_fn	 fn;
	int			 r;

	if (builtin_session(c, builtin_next(c), &s) != 0 ||
	    builtin_finish(c) != 0)
		return -1;
	if ((fn = interp_interact_hook(c->ip)) == NULL)
		return builtin_unavailable(c);
	if ((r = fn(s, -1)) != 0)
		return builtin_fail_lib(c, r, s, NULL);
	return 0;
}

static const char *const launch_opens[] = {
	".console", ".monitor", ".qmp", ".agent", NULL
};
static const char *const teardown_keys[] = { "console", "monitor", NULL };
static const char *const adopt_opens[] = {
	".console", ".monitor", ".qmp", ".agent", NULL
};
static const char *const pin_keys[] = { "monitor", NULL };

/* One line per verb, sorted. */
static const struct builtin builtins[] = {
	{ "adopt", builtin_adopt, "adopt NAME pid=PID | adopt NAME "
	    "pidfile=PATH [-> VAR]", -1, adopt_opens, NULL },
	{ "discover", builtin_discover, "discover PID [-> VAR]", -1, NULL,
	    NULL },
	{ "get", builtin_get, "get NAME REMOTE LOCAL [timeout DUR] [-> VAR]",
	    0, NULL, NULL },
	{ "hmp", builtin_hmp, "hmp NAME \"COMMAND\" [-> VAR] [timeout DUR] "
	    "[error=ok]", 0, NULL, NULL },
	{ "interact", builtin_interact, "interact NAME", 0, NULL, NULL },
	{ "launch", builtin_launch, "launch NAME [serial=unix|telnet] "
	    "[agent=isa-serial|virtio] [incoming=unix|tcp] "
	    "[within=DUR] QEMU-ARGV... [-> VAR]", -1,
	    launch_opens, NULL },
	{ "login", builtin_login, "login NAME user=U password=P [prompt=RE] "
	    "[login-prompt=RE] [password-prompt=RE] [timeout=DUR]", 0, NULL,
	    NULL },
	{ "migrate", builtin_migrate, "migrate SRC to=DST [within DUR] "
	    "[-> VAR]", -1, NULL, NULL },
	{ "pin", builtin_pin, "pin VM|monitor=SESSION cpus=[CPUS] [vcpu=N] "
	    "[policy=fifo|rr|other] [priority=N] [emulator=[CPUS]] [-> VAR]",
	    -1, NULL, pin_keys },
	{ "put", builtin_put, "put NAME LOCAL REMOTE [mode=0644] "
	    "[timeout DUR] [-> VAR]", 0, NULL, NULL },
	{ "qga", builtin_qga, "qga NAME \"COMMAND\" [ARGS-MAP] [-> VAR] "
	    "[timeout DUR]", 0, NULL, NULL },
	{ "qga-exec", builtin_qga_exec, "qga-exec NAME \"SHELL COMMAND\" "
	    "[-> VAR] [timeout DUR]", 0, NULL, NULL },
	{ "qmp", builtin_qmp, "qmp NAME \"COMMAND\" [ARGS-MAP] [-> VAR] "
	    "[timeout DUR]", 0, NULL, NULL },
	{ "qmp-drain", builtin_qmp_drain, "qmp-drain NAME [\"EVENT\"] "
	    "[-> LIST]", 0, NULL, NULL },
	{ "qmp-event", builtin_qmp_event, "qmp-event NAME [\"EVENT\"] "
	    "[within DUR] [-> VAR]", 0, NULL, NULL },
	{ "run", builtin_run, "run NAME \"COMMAND\" [-> VAR] [timeout DUR]",
	    0, NULL, NULL },
	{ "send-break", builtin_send_break, "send-break NAME [DUR]", 0, NULL,
	    NULL },
	{ "teardown", builtin_teardown, "teardown NAME [within DUR] [-> VAR] | teardown console=S "
	    "monitor=S pidfile=PATH [within DUR] [-> VAR]", -1,
	    NULL, teardown_keys },
	{ "wait", builtin_wait, "wait NAME [within DUR] [-> VAR]", 0, NULL,
	    NULL },
	{ "wait-net", builtin_wait_net, "wait-net NAME [iface=IF] "
	    "[match=RE] [within DUR] [dhcp=auto|no] [-> VAR]", 0, NULL, NULL },
	{ "wait-port", builtin_wait_port, "wait-port HOST:PORT "
	    "[banner=RE] [within DUR]", -1, NULL, NULL },
	{ NULL, NULL, NULL, -1, NULL, NULL },
};

/* The front end's verbs (builtin_register), or NULL. */
static const struct builtin	*builtin_extra;

const struct builtin *
builtin_table(void)
{
	return builtins;
}

void
builtin_register(const struct builtin *table)
{
	builtin_extra = table;
}

const struct builtin *
builtin_find(const char *name)
{
	const struct builtin	*b;

	for (b = builtins; b->name != NULL; b++) {
		if (strcmp(b->name, name) == 0)
			return b;
	}
	for (b = builtin_extra; b != NULL && b->name != NULL; b++) {
		if (strcmp(b->name, name) == 0)
			return b;
	}
	return NULL;
}

int
builtin_command(struct builtin_call *c, struct tether_session **s,
    struct builtin_arg **cmd, int64_t *ms)
{
	struct builtin_arg	*a;

	*ms = -1;
	if ((a = builtin_keyword(c, "timeout")) != NULL &&
	    builtin_duration(c, a, ms) != 0)
		return -1;
	if (builtin_session(c, builtin_next(c), s) != 0)
		return -1;
	if ((*cmd = builtin_next(c)) == NULL)
		return builtin_fail(c, TETHER_EFAIL, "missing command");
	return 0;
}

struct builtin_arg *
builtin_next(struct builtin_call *c)
{
	size_t	i;

	for (i = 0; i < c->nargs; i++) {
		if (!c->args[i].used && c->args[i].key == NULL) {
			c->args[i].used = 1;
			return &c->args[i];
		}
	}
	return NULL;
}

struct builtin_arg *
builtin_opt(struct builtin_call *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->nargs; i++) {
		if (!c->args[i].used && c->args[i].key != NULL &&
		    strcmp(c->args[i].key, key) == 0) {
			c->args[i].used = 1;
			return &c->args[i];
		}
	}
	return NULL;
}

struct builtin_arg *
builtin_keyword(struct builtin_call *c, const char *kw)
{
	size_t	i;

	for (i = 0; i + 1 < c->nargs; i++) {
		if (!c->args[i].used && c->args[i].key == NULL &&
		    c->args[i].bare != NULL &&
		    strcmp(c->args[i].bare, kw) == 0 &&
		    !c->args[i + 1].used && c->args[i + 1].key == NULL) {
			c->args[i].used = 1;
			c->args[i + 1].used = 1;
			return &c->args[i + 1];
		}
	}
	return NULL;
}

const char *
builtin_str(struct builtin_arg *a)
{
	char	*s;

	if (a->val->type == VAL_STR || a->val->type == VAL_REGEX)
		return a->val->s;
	/* Keep a printed copy with the value so that it lives as long. */
	if (a->val->keys == NULL && a->val->s == NULL) {
		s = value_to_string(a->val, NULL);
		a->val->s = s;
	}
	return a->val->s;
}

int
builtin_fail(struct builtin_call *c, int r, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	interp_fail(c->ip, &c->st->loc, r, "%s: %s", c->st->bi->name,
	    msg != NULL ? msg : "failed");
	free(msg);
	return -1;
}

int
builtin_fail_lib(struct builtin_call *c, int r, struct tether_session *s,
    const char *what)
{
	const char	*detail = tether_loop_errmsg(interp_loop(c->ip));

	if (*detail == '\0')
		detail = tether_strerror(r);
	interp_fail(c->ip, &c->st->loc, r, "%s%s%s%s%s: %s", c->st->bi->name,
	    s != NULL ? " on " : "", s != NULL ? tether_session_name(s) : "",
	    what != NULL ? " " : "", what != NULL ? what : "", detail);
	if (s != NULL)
		interp_fail_tail(c->ip, s);
	return -1;
}

int
builtin_session(struct builtin_call *c, struct builtin_arg *a,
    struct tether_session **sp)
{
	*sp = NULL;
	if (a == NULL)
		return builtin_fail(c, TETHER_EFAIL, "missing session name "
		    "(usage: %s)", c->st->bi->usage);
	if ((*sp = interp_session(c->ip, &a->loc, builtin_str(a))) == NULL)
		return -1;
	return 0;
}

int
builtin_duration(struct builtin_call *c, struct builtin_arg *a, int64_t *ms)
{
	if (a == NULL || value_as_duration(a->val, ms) != 0 || *ms < 0) {
		interp_fail(c->ip, a != NULL ? &a->loc : &c->st->loc,
		    TETHER_EFAIL, "%s: expected a duration (like 30s)",
		    c->st->bi->name);
		return -1;
	}
	return 0;
}

int
builtin_finish(struct builtin_call *c)
{
	size_t	i;

	for (i = 0; i < c->nargs; i++) {
		if (c->args[i].used)
			continue;
		if (c->args[i].key != NULL)
			interp_fail(c->ip, &c->args[i].loc, TETHER_EFAIL,
			    "%s: unknown option %s= (usage: %s)",
			    c->st->bi->name, c->args[i].key, c->st->bi->usage);
		else
			interp_fail(c->ip, &c->args[i].loc, TETHER_EFAIL,
			    "%s: unexpected word (usage: %s)",
			    c->st->bi->name, c->st->bi->usage);
		return -1;
	}
	return 0;
}

int64_t
builtin_deadline(struct builtin_call *c, int64_t ms)
{
	return tether_now_ms() + (ms >= 0 ? ms : interp_timeout(c->ip));
}

void
builtin_setvar(struct builtin_call *c, const char *name, struct value *v)
{
	interp_setvar(c->ip, name, v);
}

void
builtin_result(struct builtin_call *c, struct value *v)
{
	if (c->result != NULL)
		interp_setvar(c->ip, c->result, v);
	else
		value_unref(v);
}

void
builtin_secret(struct builtin_call *c, struct tether_session *s,
    const char *secret)
{
	interp_add_secret(c->ip, secret);
	if (s != NULL)
		tether_session_add_secret(s, secret);
}

int
builtin_unavailable(struct builtin_call *c)
{
	return builtin_fail(c, TETHER_ENOTSUP,
	    "not available in this build of tether");
}
