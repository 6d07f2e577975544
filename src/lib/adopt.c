/* SPDX-License-Identifier: ISC */
/*
 * adopt.c - taking over a QEMU started elsewhere: its endpoints read from
 * its command line become the sessions NAME.console, NAME.monitor,
 * NAME.qmp and NAME.agent, and the process joins the loop's VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "qemu-launch.h"
#include "target.h"
#include "tether.h"

#define ADOPT_CONNECT	"2s"	/* the sockets exist: QEMU runs */

/* Reads the pid in pidfile.  Returns it, or -1 with the errmsg set. */
static pid_t
adopt_pidfile(struct tether_loop *loop, const char *name, const char *path)
{
	char	 buf[64], *ep;
	ssize_t	 n;
	long	 pid;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: %s: %s",
		    name, path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	pid = strtol(buf, &ep, 10);
	if (pid <= 1 || (*ep != '\0' && *ep != '\n')) {
		tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: %s holds "
		    "no pid", name, path);
		return -1;
	}
	return (pid_t)pid;
}

/*
 * The first endpoint of list key with a URI that is one of the given
 * prefixes (NULL-terminated), or NULL.
 */
static const char *
adopt_uri(json_t *ep, const char *key, const char *const *prefixes)
{
	json_t		*e;
	const char	*uri;
	size_t		 i, k;

	json_array_foreach(json_object_get(ep, key), i, e) {
		if ((uri = json_string_value(json_object_get(e, "uri"))) ==
		    NULL)
			continue;
		for (k = 0; prefixes[k] != NULL; k++) {
			if (strncmp(uri, prefixes[k], strlen(prefixes[k])) == 0)
				return uri;
		}
	}
	return NULL;
}

/* The socket path of a unix URI ("hmp:unix:/x" -> "/x"), or NULL. */
static const char *
adopt_path(const char *uri)
{
	const char	*p;

	if (uri == NULL)
		return NULL;
	if ((p = strstr(uri, "unix:")) == NULL)
		return NULL;
	return p + 5;
}

/*
 * Opens NAME.suffix on uri, when there is one.  The agent is not waited
 * for (open-within=0): its first command synchronises with it.
 */
static int
adopt_open(struct tether_loop *loop, const char *name, const char *suffix,
    const char *uri)
{
	static const struct tether_opt	 opt = { "connect-within",
					    ADOPT_CONNECT };
	static const struct tether_opt	 lazy = { "open-within", "0" };
	struct tether_session		*s;
	char				 n[256];

	if (uri == NULL)
		return 0;
	snprintf(n, sizeof n, "%s.%s", name, suffix);
	/* connect-within would bound the agent's sync too: not given. */
	return tether_session_open(loop, n, uri, strcmp(suffix, "agent") == 0 ?
	    &lazy : &opt, 1, &s);
}

static void
adopt_close(struct tether_loop *loop, const char *name)
{
	static const char *const sfx[] = { "console", "monitor", "qmp",
	    "agent" };
	struct tether_session	*s;
	char			 n[256];
	size_t			 i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(n, sizeof n, "%s.%s", name, sfx[i]);
		if ((s = tether_loop_session(loop, n)) != NULL)
			tether_session_close(s);
	}
}

static int
vm_adopt(struct tether_loop *loop, const char *name, pid_t pid,
    const char *pidfile, json_t **info, struct tether_vm **out)
{
	static const char *const con_p[] = { "unix:", "telnet+unix:",
	    "telnet:", "tcp:", NULL };
	static const char *const hmp_p[] = { "hmp:", NULL };
	static const char *const qmp_p[] = { "qmp:", NULL };
	static const char *const qga_p[] = { "qga:", NULL };
	struct tether_vm	*vm = NULL;
	json_t			*ep = NULL, *ses;
	const char		*con, *mon, *qmp, *qga, *pf;
	char			 err[256], n[256];
	int			 r;

	*out = NULL;
	if (info != NULL)
		*info = NULL;
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL ||
	    strchr(name, '.') != NULL || strlen(name) > 64)
		return tether_loop_seterr(loop, TETHER_EINVAL, "adopt: bad VM "
		    "name \"%s\"", name != NULL ? name : "");
	if (pid <= 0 && pidfile == NULL)
		return tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: "
		    "give pid= or pidfile=", name);
	if (pid <= 0 && (pid = adopt_pidfile(loop, name, pidfile)) == -1)
		return TETHER_EINVAL;
	if ((r = tether_qemu_discover(pid, &ep, err, sizeof err)) != 0)
		return tether_loop_seterr(loop, r, "adopt %s: %s", name, err);
	con = adopt_uri(ep, "serial", con_p);
	mon = adopt_uri(ep, "monitor", hmp_p);
	qmp = adopt_uri(ep, "qmp", qmp_p);
	qga = adopt_uri(ep, "agent", qga_p);
	/* No qga: transport in this build: the agent is left unopened. */
	if (qga != NULL && target_find(qga, NULL, NULL) == NULL)
		qga = NULL;
	if (con == NULL && mon == NULL && qmp == NULL) {
		r = tether_loop_seterr(loop, TETHER_EINVAL, "adopt %s: QEMU "
		    "pid %ld has no console, monitor or QMP socket tether can "
		    "open", name, (long)pid);
		goto out;
	}
	if ((pf = pidfile) == NULL)
		pf = json_string_value(json_object_get(ep, "pidfile"));
	if ((r = vm_adopt_add(loop, name, pid, adopt_path(con),
	    adopt_path(mon), adopt_path(qmp), pf, &vm)) != 0)
		goto out;
	if ((r = adopt_open(loop, name, "console", con)) != 0 ||
	    (r = adopt_open(loop, name, "monitor", mon)) != 0 ||
	    (r = adopt_open(loop, name, "qmp", qmp)) != 0 ||
	    (r = adopt_open(loop, name, "agent", qga)) != 0) {
		adopt_close(loop, name);
		vm_free(vm);
		vm = NULL;
		goto out;
	}
	ses = json_object();
	if (con != NULL) {
		snprintf(n, sizeof n, "%s.console", name);
		json_object_set_new(ses, "console", json_string(n));
	}
	if (mon != NULL) {
		snprintf(n, sizeof n, "%s.monitor", name);
		json_object_set_new(ses, "monitor", json_string(n));
	}
	if (qmp != NULL) {
		snprintf(n, sizeof n, "%s.qmp", name);
		json_object_set_new(ses, "qmp", json_string(n));
	}
	if (qga != NULL) {
		snprintf(n, sizeof n, "%s.agent", name);
		json_object_set_new(ses, "agent", json_string(n));
	}
	json_object_set_new(ep, "sessions", ses);
	*out = vm;
	if (info != NULL) {
		*info = ep;
		ep = NULL;
	}
	r = 0;
out:
	json_decref(ep);
	return r;
}

int
tether_vm_adopt(struct tether_loop *loop, const char *name, pid_t pid,
    const char *pidfile, json_t **info, struct tether_vm **out)
{
	loop_enter(loop);
	return loop_leave(loop, vm_adopt(loop, name, pid, pidfile, info, out));
}
