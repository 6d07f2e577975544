/* SPDX-License-Identifier: ISC */
/*
 * migrate.c - live migration of a launched VM into one waiting with
 * -incoming defer, driven over both QMP sessions and awaited through the
 * MIGRATION events each side sends (no polling of query-migrate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "login.h"
#include "loop.h"
#include "qemu-launch.h"
#include "qemu-proc.h"
#include "session.h"
#include "tether.h"

#define MIGRATE_GRACE		5000	/* ms for a cancel or a side to end */
#define MIGRATE_LOGIN_STATE	"login"	/* login.c's session state key */

/* One migration under way. */
struct migrate {
	struct tether_loop	*loop;
	struct tether_vm	*src, *dst;
	struct tether_session	*sq, *dq;	/* their qmp: sessions */
	char			 what[160];	/* "migrate SRC to DST" */
	char			*uri;		/* what src migrates to */
};

/* Returns now + MIGRATE_GRACE, or deadline when that comes earlier. */
static int64_t
migrate_grace(int64_t deadline)
{
	int64_t	g = tether_now_ms() + MIGRATE_GRACE;

	return deadline != -1 && deadline > g ? deadline : g;
}

/* Returns the "status" of a MIGRATION event or query-migrate, or "". */
static const char *
migrate_status(json_t *j)
{
	const char	*st;

	if (json_object_get(j, "event") != NULL)
		j = json_object_get(j, "data");
	st = json_string_value(json_object_get(j, "status"));
	return st != NULL ? st : "";
}

/* Returns nonzero for a status a migration ends in. */
static int
migrate_final(const char *st)
{
	return strcmp(st, "completed") == 0 || strcmp(st, "failed") == 0 ||
	    strcmp(st, "cancelled") == 0;
}

/* Drops the MIGRATION events queued on s (from an earlier migration). */
static void
migrate_drain(struct tether_session *s)
{
	json_t	*ev;

	while (tether_qmp_event(s, "MIGRATION", 0, &ev) == 0)
		json_decref(ev);
}

/*
 * Waits on s for a MIGRATION event with a final status, copied to st.
 * Returns 0, TETHER_ETIMEDOUT, TETHER_EOF (QEMU went away) or another
 * code.
 */
static int
migrate_wait(struct tether_session *s, int64_t deadline, char *st,
    size_t len)
{
	json_t	*ev;
	int	 r;

	for (;;) {
		if ((r = tether_qmp_event(s, "MIGRATION", deadline, &ev)) != 0)
			return r;
		snprintf(st, len, "%s", migrate_status(ev));
		json_decref(ev);
		if (migrate_final(st))
			return 0;
	}
}

/* Executes cmd on s; *res (may be NULL) gets the answer. */
static int
migrate_qmp(struct tether_session *s, const char *cmd, json_t *args,
    int64_t deadline, json_t **res)
{
	json_t	*r0 = NULL;
	int	 r;

	r = tether_qmp_execute(s, cmd, args, deadline, &r0);
	json_decref(args);
	if (res != NULL)
		*res = r0;
	else
		json_decref(r0);
	return r;
}

/* Turns on the MIGRATION events on s. */
static int
migrate_events(struct tether_session *s, int64_t deadline)
{
	return migrate_qmp(s, "migrate-set-capabilities",
	    json_pack("{s:[{s:s, s:b}]}", "capabilities", "capability",
	    "events", "state", 1), deadline, NULL);
}

/*
 * Fails the migration with QEMU's refusal, which the failed command left
 * in the loop's errmsg ("qmp NAME.qmp: CMD: DESC (CLASS)").
 */
static int
migrate_refused(struct migrate *m, int r, const char *who)
{
	char	*msg;

	if ((msg = strdup(tether_loop_errmsg(m->loop))) == NULL)
		return TETHER_ENOMEM;
	r = tether_loop_seterr(m->loop, r, "%s: %s refused: %s", m->what,
	    who, msg);
	free(msg);
	return r;
}

/*
 * Sets dst listening: a unix socket in its run directory, or a port of
 * 127.0.0.1 QEMU picks (read back from query-migrate), and m->uri.
 */
static int
migrate_listen(struct migrate *m, int64_t deadline)
{
	struct tether_vm	*dst = m->dst;
	json_t			*res = NULL, *sa;
	const char		*port;
	char			*uri = NULL;
	int			 r, tcp;

	tcp = dst->incoming == TETHER_VM_INCOMING_TCP || dst->rundir == NULL;
	if (!tcp) {
		if (dst->migsock == NULL && asprintf(&dst->migsock,
		    "%s/migrate.sock", dst->rundir) == -1) {
			dst->migsock = NULL;
			return TETHER_ENOMEM;
		}
		unlink(dst->migsock);
		if (asprintf(&uri, "unix:%s", dst->migsock) == -1)
			return TETHER_ENOMEM;
	} else if ((uri = strdup("tcp:127.0.0.1:0")) == NULL)
		return TETHER_ENOMEM;
	r = migrate_qmp(m->dq, "migrate-incoming", json_pack("{s:s}", "uri",
	    uri), deadline, NULL);
	if (r != 0) {
		free(uri);
		return migrate_refused(m, r, dst->name);
	}
	if (!tcp) {
		m->uri = uri;
		return 0;
	}
	free(uri);
	if ((r = migrate_qmp(m->dq, "query-migrate", NULL, deadline,
	    &res)) != 0)
		return r;
	sa = json_array_get(json_object_get(res, "socket-address"), 0);
	if ((port = json_string_value(json_object_get(sa, "port"))) == NULL) {
		json_decref(res);
		return tether_loop_seterr(m->loop, TETHER_EPROTO, "%s: %s "
		    "listens, but query-migrate names no port", m->what,
		    dst->name);
	}
	r = asprintf(&m->uri, "tcp:127.0.0.1:%s", port);
	json_decref(res);
	if (r == -1) {
		m->uri = NULL;
		return TETHER_ENOMEM;
	}
	return 0;
}

/*
 * The side of vm ended otherwise than completed: says why in buf, from
 * query-migrate's error-desc, or QEMU's stderr when it exited.
 */
static void
migrate_why(struct tether_vm *vm, struct tether_session *q, const char *st,
    char *buf, size_t len)
{
	json_t		*res = NULL;
	const char	*desc = NULL;
	char		*log, how[64];

	/* A destination QEMU exits once its incoming side failed. */
	if (proc_wait(&vm->proc, tether_now_ms() + (q == NULL ||
	    session_done(q) || (vm->incoming && strcmp(st, "failed") == 0) ?
	    PROC_EXIT_GRACE : 0))) {
		log = vm_log_tail(vm->log);
		snprintf(buf, len, "%s: QEMU %s: %s", vm->name,
		    proc_status(&vm->proc, how, sizeof how),
		    log != NULL && *log != '\0' ? log : "(no message)");
		free(log);
		return;
	}
	if (q != NULL && migrate_qmp(q, "query-migrate", NULL,
	    migrate_grace(-1), &res) == 0)
		desc = json_string_value(json_object_get(res, "error-desc"));
	snprintf(buf, len, "%s: %s%s%s", vm->name, *st != '\0' ? st :
	    "no answer", desc != NULL ? ": " : "", desc != NULL ? desc : "");
	json_decref(res);
}

/*
 * src ended in status st (failed, cancelled): fails with both sides'
 * reasons.  dst (whose incoming side fails too, and QEMU 7 exits on it)
 * is given a grace to say why.
 */
static int
migrate_failed(struct migrate *m, const char *st)
{
	char	sw[512], dw[1024], dst_st[32] = "";

	migrate_why(m->src, m->sq, st, sw, sizeof sw);
	if (migrate_wait(m->dq, migrate_grace(-1), dst_st,
	    sizeof dst_st) != 0 && !session_done(m->dq))
		snprintf(dst_st, sizeof dst_st, "still waiting");
	migrate_why(m->dst, m->dq, dst_st, dw, sizeof dw);
	return tether_loop_seterr(m->loop, TETHER_EREMOTE, "%s: migration "
	    "%s (%s; %s)", m->what, st, sw, dw);
}

/* Past the deadline: migrate_cancel, and wait for it to land. */
static int
migrate_cancel(struct migrate *m, int64_t started)
{
	json_t		*res = NULL;
	json_int_t	 bytes = 0;
	char		 st[32] = "";
	int64_t		 until = migrate_grace(-1);

	if (migrate_qmp(m->sq, "query-migrate", NULL, until, &res) == 0)
		bytes = json_integer_value(json_object_get(json_object_get(res,
		    "ram"), "transferred"));
	json_decref(res);
	if (migrate_qmp(m->sq, "migrate_cancel", NULL, until, NULL) != 0 ||
	    migrate_wait(m->sq, until, st, sizeof st) != 0)
		snprintf(st, sizeof st, "not confirmed");
	return tether_loop_seterr(m->loop, TETHER_ETIMEDOUT, "%s: not "
	    "completed within %lld ms (%lld bytes sent): cancelled with "
	    "migrate_cancel (%s)", m->what,
	    (long long)(tether_now_ms() - started), (long long)bytes, st);
}

/* Builds {status, total_time_ms, downtime_ms, transferred_bytes}. */
static int
migrate_info(struct migrate *m, int64_t deadline, json_t **info)
{
	json_t	*res = NULL;
	int	 r;

	if ((r = migrate_qmp(m->sq, "query-migrate", NULL, deadline,
	    &res)) != 0)
		return r;
	*info = json_pack("{s:s, s:I, s:I, s:I}", "status",
	    migrate_status(res), "total_time_ms",
	    json_integer_value(json_object_get(res, "total-time")),
	    "downtime_ms", json_integer_value(json_object_get(res,
	    "downtime")), "transferred_bytes",
	    json_integer_value(json_object_get(json_object_get(res, "ram"),
	    "transferred")));
	json_decref(res);
	return *info != NULL ? 0 : TETHER_ENOMEM;
}

/*
 * The guest's shell moved with it: a console logged in on src is at the
 * same prompt on dst.  Sets tether's prompt there (which checks it) and
 * takes the login state from src, whose guest is gone.
 */
static int
migrate_shell(struct migrate *m, int64_t deadline)
{
	struct tether_session	*sc, *dc;
	int			 r;

	sc = vm_session(m->src, "console");
	dc = vm_session(m->dst, "console");
	if (sc == NULL || dc == NULL || !login_is_shell(sc))
		return 0;
	if ((r = login_setup(dc, "migrate", deadline)) != 0)
		return r;
	return session_state_set(sc, MIGRATE_LOGIN_STATE, NULL, NULL);
}

static int
migrate_run(struct tether_vm *src, struct tether_vm *dst, int64_t deadline,
    json_t **info)
{
	struct migrate	 m;
	json_t		*res = NULL;
	char		 st[32] = "";
	const char	*run;
	int64_t		 started = tether_now_ms();
	int		 r;

	memset(&m, 0, sizeof m);
	m.loop = src->loop;
	m.src = src;
	m.dst = dst;
	snprintf(m.what, sizeof m.what, "migrate %s to %s", src->name,
	    dst->name);
	if (src == dst || src->loop != dst->loop)
		return tether_loop_seterr(m.loop, TETHER_EINVAL, "%s: want "
		    "two VMs of one loop", m.what);
	if (proc_check(&src->proc))
		return vm_died(src, "migrate");
	if (proc_check(&dst->proc))
		return vm_died(dst, "migrate to");
	if ((m.sq = vm_session(src, "qmp")) == NULL ||
	    (m.dq = vm_session(dst, "qmp")) == NULL)
		return tether_loop_seterr(m.loop, TETHER_ENOTSUP, "%s: "
		    "%s.qmp is closed", m.what, m.sq == NULL ? src->name :
		    dst->name);
	migrate_drain(m.sq);
	migrate_drain(m.dq);
	if ((r = migrate_events(m.dq, deadline)) != 0)
		return migrate_refused(&m, r, dst->name);
	if ((r = migrate_events(m.sq, deadline)) != 0)
		return migrate_refused(&m, r, src->name);
	if ((r = migrate_listen(&m, deadline)) != 0)
		goto out;
	r = migrate_qmp(m.sq, "migrate", json_pack("{s:s}", "uri", m.uri),
	    deadline, NULL);
	if (r != 0) {
		r = migrate_refused(&m, r, src->name);
		goto out;
	}
	r = migrate_wait(m.sq, deadline, st, sizeof st);
	if (r == TETHER_ETIMEDOUT) {
		r = migrate_cancel(&m, started);
		goto out;
	}
	if (r == TETHER_EOF) {
		r = proc_wait(&src->proc, migrate_grace(-1)) ?
		    vm_died(src, "migrate") : r;
		goto out;
	}
	if (r != 0)
		goto out;
	if (strcmp(st, "completed") != 0) {
		r = migrate_failed(&m, st);
		goto out;
	}
	*st = '\0';
	if ((r = migrate_wait(m.dq, deadline, st, sizeof st)) != 0 ||
	    strcmp(st, "completed") != 0) {
		char	dw[1024];

		migrate_why(dst, m.dq, st, dw, sizeof dw);
		r = tether_loop_seterr(m.loop, TETHER_EREMOTE, "%s: %s "
		    "completed, %s did not (%s)", m.what, src->name,
		    dst->name, dw);
		goto out;
	}
	if ((r = migrate_qmp(m.dq, "query-status", NULL, deadline,
	    &res)) != 0)
		goto out;
	if ((run = migrate_status(res)) == NULL || strcmp(run,
	    "running") != 0) {
		r = tether_loop_seterr(m.loop, TETHER_EFAIL, "%s: %s is "
		    "%s after the migration, not running", m.what, dst->name,
		    run);
		goto out;
	}
	if ((r = migrate_shell(&m, deadline)) != 0)
		goto out;
	if (info != NULL)
		r = migrate_info(&m, deadline, info);
out:
	json_decref(res);
	if (dst->migsock != NULL) {
		unlink(dst->migsock);
		free(dst->migsock);
		dst->migsock = NULL;
	}
	free(m.uri);
	return r;
}

int
tether_vm_migrate(struct tether_vm *src, struct tether_vm *dst,
    int64_t deadline, json_t **info)
{
	if (info != NULL)
		*info = NULL;
	loop_enter(src->loop);
	return loop_leave(src->loop, migrate_run(src, dst, deadline, info));
}
