/* SPDX-License-Identifier: ISC */
/*
 * builtin-vm.c - verbs for the VM lifecycle: launch, teardown, wait-net
 * and wait-port.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

#define VM_LAUNCH_WITHIN	30000
#define VM_TEARDOWN_WITHIN	20000
#define VM_WAIT_WITHIN		60000

int	builtin_launch(struct builtin_call *);
int	builtin_teardown(struct builtin_call *);
int	builtin_wait_net(struct builtin_call *);
int	builtin_wait_port(struct builtin_call *);

/* Appends s to the argv being built. */
static int
vm_argv_push(char ***av, size_t *n, const char *s)
{
	char	**nav;

	if ((nav = realloc(*av, (*n + 2) * sizeof *nav)) == NULL)
		return -1;
	*av = nav;
	if ((nav[*n] = strdup(s)) == NULL)
		return -1;
	nav[++*n] = NULL;
	return 0;
}

static void
vm_argv_free(char **av, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(av[i]);
	free(av);
}

/* Adds one word of the QEMU command line: lists are flattened. */
static int
vm_argv_word(char ***av, size_t *n, struct builtin_arg *a)
{
	struct value	*v = a->val;
	char		*s;
	size_t		 i;
	int		 r;

	if (a->key != NULL) {
		char	*kv;

		if ((s = value_to_string(v, NULL)) == NULL)
			return -1;
		r = asprintf(&kv, "%s=%s", a->key, s);
		free(s);
		if (r == -1)
			return -1;
		r = vm_argv_push(av, n, kv);
		free(kv);
		return r;
	}
	if (v->type == VAL_LIST) {
		for (i = 0; i < v->n; i++) {
			if ((s = value_to_string(v->items[i], NULL)) == NULL)
				return -1;
			r = vm_argv_push(av, n, s);
			free(s);
			if (r != 0)
				return -1;
		}
		return 0;
	}
	return vm_argv_push(av, n, builtin_str(a));
}

/* The launch options that are flags (issue 12: agent=, incoming=). */
static const struct {
	const char	*key, *val;
	int		 flag;
} vm_launch_flags[] = {
	{ "agent", "isa-serial", TETHER_VM_AGENT_ISA },
	{ "agent", "virtio", TETHER_VM_AGENT_VIRTIO },
	{ "incoming", "unix", TETHER_VM_INCOMING_UNIX },
	{ "incoming", "tcp", TETHER_VM_INCOMING_TCP },
};

/*
 * Takes launch option a when it is agent= or incoming=.  Returns 1 (taken,
 * *flags updated), 0 (another word) or -1 (bad value, failure recorded).
 */
static int
vm_launch_flag(struct builtin_call *c, struct builtin_arg *a, int *flags)
{
	size_t	i, n = sizeof vm_launch_flags / sizeof vm_launch_flags[0];
	int	known = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(a->key, vm_launch_flags[i].key) != 0)
			continue;
		known = 1;
		if (strcmp(builtin_str(a), vm_launch_flags[i].val) == 0) {
			*flags |= vm_launch_flags[i].flag;
			return 1;
		}
	}
	if (!known)
		return 0;
	return builtin_fail(c, TETHER_EFAIL, "%s=%s: want %s", a->key,
	    builtin_str(a), strcmp(a->key, "agent") == 0 ?
	    "isa-serial or virtio" : "unix or tcp");
}

/*
 * launch NAME [serial=unix|telnet] [agent=isa-serial|virtio]
 *     [incoming=unix|tcp] [within=DUR] QEMU-ARGV... [-> VAR]
 * Options for launch itself come before the QEMU program.
 */
int
builtin_launch(struct builtin_call *c)
{
	struct tether_vm	*vm;
	struct builtin_arg	*a, *name;
	struct value		*info;
	char			**av = NULL, msg[512];
	size_t			 n = 0, i;
	int64_t			 ms = VM_LAUNCH_WITHIN, t0 = tether_now_ms();
	int			 r, flags = 0, prog = 0;

	if ((name = builtin_next(c)) == NULL)
		return builtin_fail(c, TETHER_EFAIL, "missing VM name "
		    "(usage: %s)", c->st->bi->usage);
	for (i = 0; i < c->nargs; i++) {
		a = &c->args[i];
		if (a->used)
			continue;
		a->used = 1;
		if (!prog && a->key != NULL && strcmp(a->key, "serial") == 0) {
			if (strcmp(builtin_str(a), "telnet") == 0)
				flags |= TETHER_VM_TELNET;
			else if (strcmp(builtin_str(a), "unix") != 0) {
				vm_argv_free(av, n);
				return builtin_fail(c, TETHER_EFAIL,
				    "serial=%s: want unix or telnet",
				    builtin_str(a));
			}
			continue;
		}
		if (!prog && a->key != NULL && (r = vm_launch_flag(c, a,
		    &flags)) != 0) {
			if (r < 0) {
				vm_argv_free(av, n);
				return -1;
			}
			continue;
		}
		if (!prog && a->key != NULL && strcmp(a->key, "within") == 0) {
			if (builtin_duration(c, a, &ms) != 0) {
				vm_argv_free(av, n);
				return -1;
			}
			continue;
		}
		prog = 1;
		if (vm_argv_word(&av, &n, a) != 0) {
			vm_argv_free(av, n);
			return builtin_fail(c, TETHER_ENOMEM, "out of memory");
		}
	}
	if (n == 0)
		return builtin_fail(c, TETHER_EFAIL, "no QEMU command line "
		    "(usage: %s)", c->st->bi->usage);
	r = tether_vm_launch(interp_loop(c->ip), builtin_str(name), av, flags,
	    tether_now_ms() + ms, &vm);
	vm_argv_free(av, n);
	if (r != 0)
		return builtin_fail_lib(c, r, NULL, builtin_str(name));
	snprintf(msg, sizeof msg, "launch %s: QEMU pid %ld running in %lld ms "
	    "(sessions %s.console, %s.monitor, %s.qmp)", builtin_str(name),
	    (long)tether_vm_pid(vm), (long long)(tether_now_ms() - t0),
	    builtin_str(name), builtin_str(name), builtin_str(name));
	interp_trace(c->ip, "%s", msg);
	info = value_map();
	value_map_set(info, "pid", value_int(tether_vm_pid(vm)));
	value_map_set(info, "rundir", value_strz(tether_vm_rundir(vm)));
	builtin_result(c, info);
	return 0;
}

/*
 * teardown NAME [within DUR]
 * teardown console=S monitor=S pidfile=PATH [within DUR]
 */
int
builtin_teardown(struct builtin_call *c)
{
	struct tether_session	*con = NULL, *mon = NULL;
	struct tether_vm	*vm;
	struct builtin_arg	*a, *cs, *ms_, *pf, *name;
	const char		*how = "exited";
	char			 msg[512];
	int64_t			 ms = VM_TEARDOWN_WITHIN, t0 = tether_now_ms();
	int			 r;

	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	cs = builtin_opt(c, "console");
	ms_ = builtin_opt(c, "monitor");
	pf = builtin_opt(c, "pidfile");
	name = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if (name != NULL) {
		if (cs != NULL || ms_ != NULL || pf != NULL)
			return builtin_fail(c, TETHER_EFAIL, "give a VM name "
			    "or console=/monitor=/pidfile=, not both");
		if ((vm = tether_vm_find(interp_loop(c->ip),
		    builtin_str(name))) == NULL)
			return builtin_fail(c, TETHER_EFAIL, "no VM launched "
			    "as %s (already torn down?)", builtin_str(name));
		r = tether_vm_teardown(vm, tether_now_ms() + ms, &how);
		if (r != 0)
			return builtin_fail_lib(c, r, NULL, builtin_str(name));
		snprintf(msg, sizeof msg, "teardown %s: QEMU ended by %s in "
		    "%lld ms", builtin_str(name), how,
		    (long long)(tether_now_ms() - t0));
	} else {
		if (pf == NULL)
			return builtin_fail(c, TETHER_EFAIL, "missing VM name "
			    "or pidfile= (usage: %s)", c->st->bi->usage);
		if (cs != NULL && builtin_session(c, cs, &con) != 0)
			return -1;
		if (ms_ != NULL && builtin_session(c, ms_, &mon) != 0)
			return -1;
		r = tether_vm_teardown_pidfile(interp_loop(c->ip), con, mon,
		    builtin_str(pf), tether_now_ms() + ms, &how);
		if (r != 0)
			return builtin_fail_lib(c, r, NULL, builtin_str(pf));
		snprintf(msg, sizeof msg, "teardown %s: QEMU ended by %s in "
		    "%lld ms", builtin_str(pf), how,
		    (long long)(tether_now_ms() - t0));
	}
	interp_trace(c->ip, "%s", msg);
	builtin_result(c, value_strz(how));
	return 0;
}

/* wait-net NAME [iface=IF] [match=RE] [within DUR] [dhcp=auto|no] */
int
builtin_wait_net(struct builtin_call *c)
{
	struct tether_waitnet_opts	 o;
	struct tether_session		*s;
	struct builtin_arg		*a;
	char				*addr = NULL, *re = NULL;
	int64_t				 ms = VM_WAIT_WITHIN;
	int				 r;

	memset(&o, 0, sizeof o);
	o.dhcp = 1;
	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if ((a = builtin_opt(c, "iface")) != NULL)
		o.iface = builtin_str(a);
	if ((a = builtin_opt(c, "match")) != NULL) {
		if (a->val->type == VAL_REGEX &&
		    (a->val->flags & TETHER_RE_CASELESS)) {
			if (asprintf(&re, "(?i)%s", a->val->s) == -1)
				return builtin_fail(c, TETHER_ENOMEM,
				    "out of memory");
			o.match = re;
		} else
			o.match = builtin_str(a);
	}
	if ((a = builtin_opt(c, "dhcp")) != NULL) {
		if (strcmp(builtin_str(a), "no") == 0)
			o.dhcp = 0;
		else if (strcmp(builtin_str(a), "auto") != 0) {
			free(re);
			return builtin_fail(c, TETHER_EFAIL, "dhcp=%s: want "
			    "auto or no", builtin_str(a));
		}
	}
	if (builtin_session(c, builtin_next(c), &s) != 0 ||
	    builtin_finish(c) != 0) {
		free(re);
		return -1;
	}
	r = tether_wait_net(s, &o, tether_now_ms() + ms, &addr);
	free(re);
	if (r != 0)
		return builtin_fail_lib(c, r, s, NULL);
	builtin_setvar(c, "addr", value_strz(addr));
	builtin_result(c, value_strz(addr));
	free(addr);
	return 0;
}

/* wait-port HOST:PORT [within DUR] [banner=RE] */
int
builtin_wait_port(struct builtin_call *c)
{
	struct builtin_arg	*a, *hp;
	const char		*banner = NULL, *colon;
	char			*host = NULL, *ep;
	int64_t			 ms = VM_WAIT_WITHIN;
	long			 port;
	int			 r;

	if ((a = builtin_keyword(c, "within")) != NULL &&
	    builtin_duration(c, a, &ms) != 0)
		return -1;
	if ((a = builtin_opt(c, "banner")) != NULL)
		banner = builtin_str(a);
	if ((hp = builtin_next(c)) == NULL)
		return builtin_fail(c, TETHER_EFAIL, "missing HOST:PORT");
	if (builtin_finish(c) != 0)
		return -1;
	if ((colon = strrchr(builtin_str(hp), ':')) == NULL)
		return builtin_fail(c, TETHER_EFAIL, "%s: want HOST:PORT",
		    builtin_str(hp));
	port = strtol(colon + 1, &ep, 10);
	if (*ep != '\0' || port <= 0 || port > 65535)
		return builtin_fail(c, TETHER_EFAIL, "%s: bad port",
		    builtin_str(hp));
	host = strndup(builtin_str(hp), (size_t)(colon - builtin_str(hp)));
	if (host == NULL)
		return builtin_fail(c, TETHER_ENOMEM, "out of memory");
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	r = tether_wait_port(interp_loop(c->ip), *host != '\0' ? host :
	    "127.0.0.1", (int)port, banner, tether_now_ms() + ms);
	free(host);
	if (r != 0)
		return builtin_fail_lib(c, r, NULL, builtin_str(hp));
	return 0;
}
