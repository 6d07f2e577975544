/* SPDX-License-Identifier: ISC */
/*
 * pin.c - pinning a QEMU's vCPU threads (ids from its monitor) and its
 * other threads onto host CPUs, with their scheduling policy.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "tether.h"

#define PIN_ONLINE	"/sys/devices/system/cpu/online"

/*
 * Reads the host's online CPUs into set, and their list ("0-3,6") into
 * text.  Returns 0, or -1 when the list cannot be read.
 *   list = range { "," range } ;  range = N [ "-" N ]
 */
static int
pin_online(cpu_set_t *set, char *text, size_t len)
{
	FILE	*f;
	char	*p, *ep;
	long	 a, b;

	CPU_ZERO(set);
	if ((f = fopen(PIN_ONLINE, "re")) == NULL)
		return -1;
	if (fgets(text, (int)len, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	text[strcspn(text, "\n")] = '\0';
	for (p = text; *p != '\0'; p = *ep == ',' ? ep + 1 : ep) {
		a = b = strtol(p, &ep, 10);
		if (ep == p)
			return -1;
		if (*ep == '-') {
			p = ep + 1;
			b = strtol(p, &ep, 10);
			if (ep == p)
				return -1;
		}
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET((int)a, set);
		if (*ep != ',' && *ep != '\0')
			return -1;
	}
	return 0;
}

/* Checks that the host has every CPU of the list. */
static int
pin_check_cpus(struct tether_loop *loop, const char *what, const int *cpus,
    size_t n)
{
	cpu_set_t	online;
	char		text[256];
	size_t		i;
	int		have;

	if (n == 0)
		return tether_loop_seterr(loop, TETHER_EINVAL, "pin: %s: no "
		    "host CPU given", what);
	have = pin_online(&online, text, sizeof text) == 0;
	for (i = 0; i < n; i++) {
		if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE ||
		    (have && !CPU_ISSET(cpus[i], &online)))
			return tether_loop_seterr(loop, TETHER_EINVAL, "pin: "
			    "%s: the host has no CPU %d (online: %s)", what,
			    cpus[i], have ? text : "unknown");
	}
	return 0;
}

/*
 * Sets thread tid's affinity to the CPUs of the list.  Returns 0, or
 * -1 with errno set.
 */
static int
pin_mask(pid_t tid, const int *cpus, size_t n)
{
	cpu_set_t	set;
	size_t		i;

	CPU_ZERO(&set);
	for (i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	return sched_setaffinity(tid, sizeof set, &set);
}

/* The same, failing with the reason. */
static int
pin_affinity(struct tether_loop *loop, pid_t tid, const int *cpus, size_t n)
{
	if (pin_mask(tid, cpus, n) == -1)
		return tether_loop_seterr(loop, TETHER_EFAIL, "pin: "
		    "sched_setaffinity of thread %ld: %s", (long)tid,
		    strerror(errno));
	return 0;
}

static const char *
pin_policy_name(int policy)
{
	switch (policy) {
	case TETHER_SCHED_FIFO:
		return "SCHED_FIFO";
	case TETHER_SCHED_RR:
		return "SCHED_RR";
	default:
		return "SCHED_OTHER";
	}
}

/* Sets thread tid's scheduling policy and priority. */
static int
pin_sched(struct tether_loop *loop, pid_t tid, int policy, int prio)
{
	struct sched_param	sp;
	int			p;

	memset(&sp, 0, sizeof sp);
	switch (policy) {
	case TETHER_SCHED_FIFO:
		p = SCHED_FIFO;
		break;
	case TETHER_SCHED_RR:
		p = SCHED_RR;
		break;
	default:
		p = SCHED_OTHER;
		prio = 0;
		break;
	}
	sp.sched_priority = prio;
	if (sched_setscheduler(tid, p, &sp) == -1)
		return tether_loop_seterr(loop, TETHER_EFAIL, "pin: "
		    "sched_setscheduler(%s, priority %d) of thread %ld: %s%s",
		    pin_policy_name(policy), prio, (long)tid, strerror(errno),
		    errno == EPERM ? " (needs CAP_SYS_NICE, and real-time "
		    "runtime in the cgroup)" : "");
	return 0;
}

/* Returns the process (thread group) of thread tid, or -1. */
static pid_t
pin_tgid(pid_t tid)
{
	FILE	*f;
	char	 path[64], line[128];
	long	 tgid = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)tid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "Tgid:", 5) == 0) {
			tgid = strtol(line + 5, NULL, 10);
			break;
		}
	}
	fclose(f);
	return tgid > 0 ? (pid_t)tgid : -1;
}

/*
 * The vCPU threads, from query-cpus-fast on a qmp: session or "info cpus"
 * on an hmp: one, as a new array of {vcpu, thread_id}.
 */
static int
pin_vcpus(struct tether_session *mon, int64_t deadline, json_t **out)
{
	struct tether_loop	*loop = tether_session_loop(mon);
	const char		*uri = tether_session_uri(mon);
	json_t			*res = NULL, *list = NULL, *e;
	char			*text = NULL;
	size_t			 i;
	int			 r, qmp;
	json_int_t		 idx, tid;

	*out = NULL;
	qmp = strncmp(uri, "qmp:", 4) == 0;
	if (qmp) {
		if ((r = tether_qmp_execute(mon, "query-cpus-fast", NULL,
		    deadline, &res)) != 0)
			return r;
	} else if (strncmp(uri, "hmp:", 4) == 0) {
		if ((r = tether_hmp_command(mon, "info cpus", deadline,
		    &text)) != 0) {
			free(text);
			return r;
		}
		res = tether_hmp_parse("info cpus", text);
		free(text);
	} else
		return tether_loop_seterr(loop, TETHER_EINVAL, "pin: %s is "
		    "no QEMU monitor (want an hmp: or qmp: session)",
		    tether_session_name(mon));
	if (!json_is_array(res) || json_array_size(res) == 0) {
		json_decref(res);
		return tether_loop_seterr(loop, TETHER_EPROTO, "pin: %s lists "
		    "no vCPU", qmp ? "query-cpus-fast" : "info cpus");
	}
	list = json_array();
	json_array_foreach(res, i, e) {
		idx = json_integer_value(json_object_get(e, qmp ?
		    "cpu-index" : "cpu"));
		tid = json_integer_value(json_object_get(e, qmp ?
		    "thread-id" : "thread_id"));
		if (tid <= 0) {
			json_decref(res);
			json_decref(list);
			return tether_loop_seterr(loop, TETHER_EPROTO, "pin: "
			    "vCPU %lld has no thread id", (long long)idx);
		}
		json_array_append_new(list, json_pack("{sIsI}", "vcpu", idx,
		    "thread_id", tid));
	}
	json_decref(res);
	*out = list;
	return 0;
}

static json_t *
pin_cpu_list(const int *cpus, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(cpus[i]));
	return a;
}

/* Returns nonzero when tid is one of the vCPU threads. */
static int
pin_is_vcpu(json_t *vcpus, long tid)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(vcpus, i, e) {
		if (json_integer_value(json_object_get(e, "thread_id")) == tid)
			return 1;
	}
	return 0;
}

/* Pins every thread of pid but the vCPU threads onto cpus. */
static int
pin_emulator(struct tether_loop *loop, pid_t pid, json_t *vcpus,
    const int *cpus, size_t n)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[64], *ep;
	long		 tid;
	int		 r = 0;

	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return tether_loop_seterr(loop, TETHER_EIO, "pin: %s: %s",
		    path, strerror(errno));
	while (r == 0 && (de = readdir(d)) != NULL) {
		tid = strtol(de->d_name, &ep, 10);
		if (*ep != '\0' || tid <= 0 || pin_is_vcpu(vcpus, tid))
			continue;
		/* A thread that ended meanwhile needs no pinning. */
		if (pin_mask((pid_t)tid, cpus, n) == -1 && errno != ESRCH)
			r = tether_loop_seterr(loop, TETHER_EFAIL, "pin: "
			    "sched_setaffinity of emulator thread %ld: %s",
			    tid, strerror(errno));
	}
	closedir(d);
	return r;
}

static int
pin_qemu(struct tether_session *mon, const struct tether_pin_opts *o,
    int64_t deadline, json_t **result)
{
	struct tether_loop	*loop = tether_session_loop(mon);
	json_t			*vcpus = NULL, *out = NULL, *e;
	size_t			 i, k = 0;
	pid_t			 tid, pid = -1;
	int			 r, found = 0;

	if (result != NULL)
		*result = NULL;
	if (o->ncpus > 0 || o->vcpu >= 0) {
		if ((r = pin_check_cpus(loop, "cpus", o->cpus, o->ncpus)) != 0)
			return r;
	}
	if (o->emulator != NULL && (r = pin_check_cpus(loop, "emulator",
	    o->emulator, o->nemulator)) != 0)
		return r;
	if ((o->policy == TETHER_SCHED_FIFO || o->policy == TETHER_SCHED_RR) &&
	    (o->priority < sched_get_priority_min(SCHED_FIFO) ||
	    o->priority > sched_get_priority_max(SCHED_FIFO)))
		return tether_loop_seterr(loop, TETHER_EINVAL, "pin: "
		    "priority %d: want %d to %d for %s", o->priority,
		    sched_get_priority_min(SCHED_FIFO),
		    sched_get_priority_max(SCHED_FIFO),
		    pin_policy_name(o->policy));
	if ((r = pin_vcpus(mon, deadline, &vcpus)) != 0)
		return r;
	out = json_array();
	json_array_foreach(vcpus, i, e) {
		int	vcpu = (int)json_integer_value(json_object_get(e,
			    "vcpu"));
		json_t	*cl;

		tid = (pid_t)json_integer_value(json_object_get(e,
		    "thread_id"));
		if (pid == -1)
			pid = pin_tgid(tid);
		if (o->vcpu >= 0 && vcpu != o->vcpu)
			continue;
		found = 1;
		if (o->ncpus > 0 && o->vcpu >= 0) {
			/* One vCPU: onto every CPU of the list. */
			if ((r = pin_affinity(loop, tid, o->cpus,
			    o->ncpus)) != 0)
				goto out;
			cl = pin_cpu_list(o->cpus, o->ncpus);
		} else if (o->ncpus > 0) {
			/* Round-robin: vCPU k onto cpus[k % n]. */
			if ((r = pin_affinity(loop, tid, &o->cpus[k % o->ncpus],
			    1)) != 0)
				goto out;
			cl = pin_cpu_list(&o->cpus[k % o->ncpus], 1);
		} else
			cl = json_null();
		k++;
		if (o->policy != TETHER_SCHED_KEEP &&
		    (r = pin_sched(loop, tid, o->policy, o->priority)) != 0) {
			json_decref(cl);
			goto out;
		}
		json_array_append_new(out, json_pack("{sisIso}", "vcpu", vcpu,
		    "thread_id", (json_int_t)tid, "cpus", cl));
	}
	if (!found) {
		r = tether_loop_seterr(loop, TETHER_EINVAL, "pin: no vCPU %d "
		    "(the VM has %zu)", o->vcpu, json_array_size(vcpus));
		goto out;
	}
	if (o->emulator != NULL) {
		if (pid == -1) {
			r = tether_loop_seterr(loop, TETHER_EINVAL, "pin: the "
			    "vCPU threads are not visible here (QEMU in "
			    "another pid namespace?)");
			goto out;
		}
		if ((r = pin_emulator(loop, pid, vcpus, o->emulator,
		    o->nemulator)) != 0)
			goto out;
	}
	if (result != NULL) {
		*result = out;
		out = NULL;
	}
	r = 0;
out:
	json_decref(out);
	json_decref(vcpus);
	return r;
}

int
tether_qemu_pin(struct tether_session *mon, const struct tether_pin_opts *o,
    int64_t deadline, json_t **result)
{
	struct tether_loop	*loop = tether_session_loop(mon);

	loop_enter(loop);
	return loop_leave(loop, pin_qemu(mon, o, deadline, result));
}
