/* SPDX-License-Identifier: ISC */
/*
 * builtin-pin.c - verbs for QEMUs on this host: pin (vCPU threads onto
 * host CPUs), adopt (a QEMU started elsewhere) and discover.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "interp.h"
#include "tether.h"
#include "value.h"

#define PIN_CPUS_MAX		1024

int	builtin_pin(struct builtin_call *);
int	builtin_adopt(struct builtin_call *);
int	builtin_discover(struct builtin_call *);

/* Stores a JSON value as the result of the call. */
static int
pin_json_result(struct builtin_call *c, const json_t *j)
{
	struct value	*v;

	if ((v = value_from_json(j)) == NULL)
		return builtin_fail(c, TETHER_EPROTO, "the answer is a "
		    VALUE_DEPTH_MSG);
	builtin_result(c, v);
	return 0;
}

/*
 * Reads a CPU list word: a list of integers, or one integer.  Returns the
 * count (>= 1), or -1 with the failure recorded.
 */
static int
pin_cpu_word(struct builtin_call *c, struct builtin_arg *a, int *cpus)
{
	const struct value	*v = a->val;
	int64_t			 n;
	size_t			 i, cnt;

	if (v->type != VAL_LIST) {
		if (value_as_int(v, &n) != 0 || n < 0 || n >= PIN_CPUS_MAX)
			goto bad;
		cpus[0] = (int)n;
		return 1;
	}
	if ((cnt = v->n) == 0 || cnt > PIN_CPUS_MAX)
		goto bad;
	for (i = 0; i < cnt; i++) {
		if (value_as_int(v->items[i], &n) != 0 || n < 0 ||
		    n >= PIN_CPUS_MAX)
			goto bad;
		cpus[i] = (int)n;
	}
	return (int)cnt;
bad:
	builtin_fail(c, TETHER_EFAIL, "%s=%s: want a list of host CPU "
	    "numbers like [0,1]", a->key, builtin_str(a));
	return -1;
}

/* The monitor of VM name: NAME.qmp, else NAME.monitor. */
static struct tether_session *
pin_vm_monitor(struct builtin_call *c, const char *name)
{
	struct tether_loop	*loop = interp_loop(c->ip);
	struct tether_session	*s;
	char			 n[256];

	snprintf(n, sizeof n, "%s.qmp", name);
	if ((s = tether_loop_session(loop, n)) != NULL)
		return s;
	snprintf(n, sizeof n, "%s.monitor", name);
	return tether_loop_session(loop, n);
}

/*
 * pin VM cpus=[..] [vcpu=N] [policy=fifo|rr|other] [priority=N]
 *     [emulator=[..]] [-> VAR]
 * pin monitor=SESSION ...
 */
int
builtin_pin(struct builtin_call *c)
{
	static int		 cpus[PIN_CPUS_MAX], emu[PIN_CPUS_MAX];
	struct tether_pin_opts	 o;
	struct tether_session	*mon = NULL;
	struct builtin_arg	*a, *vm, *ma;
	json_t			*res = NULL;
	int64_t			 n;
	int			 k, r;

	memset(&o, 0, sizeof o);
	o.vcpu = -1;
	o.policy = TETHER_SCHED_KEEP;
	if ((a = builtin_opt(c, "cpus")) != NULL) {
		if ((k = pin_cpu_word(c, a, cpus)) < 0)
			return -1;
		o.cpus = cpus;
		o.ncpus = (size_t)k;
	}
	if ((a = builtin_opt(c, "emulator")) != NULL) {
		if ((k = pin_cpu_word(c, a, emu)) < 0)
			return -1;
		o.emulator = emu;
		o.nemulator = (size_t)k;
	}
	if ((a = builtin_opt(c, "vcpu")) != NULL) {
		if (value_as_int(a->val, &n) != 0 || n < 0 || n > 4096)
			return builtin_fail(c, TETHER_EFAIL, "vcpu=%s: want a "
			    "vCPU index", builtin_str(a));
		o.vcpu = (int)n;
	}
	if ((a = builtin_opt(c, "policy")) != NULL) {
		if (strcmp(builtin_str(a), "fifo") == 0)
			o.policy = TETHER_SCHED_FIFO;
		else if (strcmp(builtin_str(a), "rr") == 0)
			o.policy = TETHER_SCHED_RR;
		else if (strcmp(builtin_str(a), "other") == 0)
			o.policy = TETHER_SCHED_OTHER;
		else
			return builtin_fail(c, TETHER_EFAIL, "policy=%s: want "
			    "fifo, rr or other", builtin_str(a));
		o.priority = o.policy == TETHER_SCHED_OTHER ? 0 : 1;
	}
	if ((a = builtin_opt(c, "priority")) != NULL) {
		if (value_as_int(a->val, &n) != 0 || n < 0 || n > 99)
			return builtin_fail(c, TETHER_EFAIL, "priority=%s: "
			    "want 1 to 99", builtin_str(a));
		if (o.policy == TETHER_SCHED_KEEP)
			return builtin_fail(c, TETHER_EFAIL, "priority= needs "
			    "policy=fifo or policy=rr");
		o.priority = (int)n;
	}
	ma = builtin_opt(c, "monitor");
	vm = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if ((vm == NULL) == (ma == NULL))
		return builtin_fail(c, TETHER_EFAIL, "give a VM name or "
		    "monitor=SESSION (usage: %s)", c->st->bi->usage);
	if (o.ncpus == 0 && o.policy == TETHER_SCHED_KEEP &&
	    o.emulator == NULL)
		return builtin_fail(c, TETHER_EFAIL, "nothing to do: give "
		    "cpus=, policy= or emulator= (usage: %s)",
		    c->st->bi->usage);
	if (ma != NULL) {
		if (builtin_session(c, ma, &mon) != 0)
			return -1;
	} else if ((mon = pin_vm_monitor(c, builtin_str(vm))) == NULL)
		return builtin_fail(c, TETHER_EFAIL, "no VM %s (no session "
		    "%s.qmp or %s.monitor): launch or adopt it, or give "
		    "monitor=SESSION", builtin_str(vm), builtin_str(vm),
		    builtin_str(vm));
	r = tether_qemu_pin(mon, &o, builtin_deadline(c, -1), &res);
	if (r != 0)
		return builtin_fail_lib(c, r, mon, NULL);
	r = pin_json_result(c, res);
	interp_trace(c->ip, "pin: %zu vCPU thread(s) of %s",
	    json_array_size(res), tether_session_name(mon));
	json_decref(res);
	return r;
}

/* adopt NAME pid=PID | pidfile=PATH [-> VAR] */
int
builtin_adopt(struct builtin_call *c)
{
	struct tether_vm	*vm;
	struct builtin_arg	*pa, *pf, *name;
	json_t			*info = NULL;
	int64_t			 pid = 0;
	int			 r;

	pa = builtin_opt(c, "pid");
	pf = builtin_opt(c, "pidfile");
	name = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if (name == NULL || (pa == NULL) == (pf == NULL))
		return builtin_fail(c, TETHER_EFAIL, "usage: %s",
		    c->st->bi->usage);
	if (pa != NULL && (value_as_int(pa->val, &pid) != 0 || pid <= 0 ||
	    pid > 0x7fffffff))
		return builtin_fail(c, TETHER_EFAIL, "pid=%s: want a process "
		    "id", builtin_str(pa));
	r = tether_vm_adopt(interp_loop(c->ip), builtin_str(name),
	    (pid_t)pid, pf != NULL ? builtin_str(pf) : NULL, &info, &vm);
	if (r != 0)
		return builtin_fail_lib(c, r, NULL, builtin_str(name));
	interp_trace(c->ip, "adopt %s: QEMU pid %ld", builtin_str(name),
	    (long)tether_vm_pid(vm));
	r = pin_json_result(c, info);
	json_decref(info);
	return r;
}

/* discover PID [-> VAR] */
int
builtin_discover(struct builtin_call *c)
{
	struct builtin_arg	*a;
	json_t			*j = NULL;
	char			 err[256];
	int64_t			 pid;
	int			 r;

	a = builtin_next(c);
	if (builtin_finish(c) != 0)
		return -1;
	if (a == NULL || value_as_int(a->val, &pid) != 0 || pid <= 0 ||
	    pid > 0x7fffffff)
		return builtin_fail(c, TETHER_EFAIL, "want a pid (usage: %s)",
		    c->st->bi->usage);
	if ((r = tether_qemu_discover((pid_t)pid, &j, err, sizeof err)) != 0)
		return builtin_fail(c, r, "%s", err);
	r = pin_json_result(c, j);
	json_decref(j);
	return r;
}
