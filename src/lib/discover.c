/* SPDX-License-Identifier: ISC */
/*
 * discover.c - the endpoints of a QEMU started elsewhere, read from its
 * command line: serial consoles, monitors, QMP, guest agent, pidfile and
 * hostfwd ports as tether URIs.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-proc.h"
#include "tether.h"

/*
 * Value of key in a QEMU option string, into out ("on" for a bare key).
 *   opts = item { "," item } ;  item = key [ "=" value ]
 */
static int
opt_value(const char *opts, const char *key, char *out, size_t len)
{
	const char	*p = opts, *e;
	size_t		 kl = strlen(key), vl;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ',');
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			vl = e != NULL ? (size_t)(e - p - kl - 1) :
			    strlen(p + kl + 1);
			if (vl >= len)
				vl = len - 1;
			memcpy(out, p + kl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		if (strncmp(p, key, kl) == 0 && (p[kl] == ',' ||
		    p[kl] == '\0')) {
			snprintf(out, len, "on");
			return 1;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return 0;
}

static int
opt_on(const char *opts, const char *key)
{
	char	v[16];

	return opt_value(opts, key, v, sizeof v) && (strcmp(v, "on") == 0 ||
	    strcmp(v, "yes") == 0 || strcmp(v, "true") == 0);
}

/* The host to connect to for a listening address. */
static const char *
conn_host(const char *h)
{
	if (*h == '\0' || strcmp(h, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(h, "::") == 0)
		return "::1";
	return h;
}

/*
 * Turns a character device spec ("unix:PATH,server", "telnet::4444,server",
 * "tcp:HOST:PORT,...") into a tether URI for proto ("" serial, "hmp:",
 * "qmp:").  Returns a new string or NULL when not attachable.
 */
static char *
spec_uri(const char *spec, const char *proto)
{
	const char	*rest, *comma, *opts;
	char		 addr[PATH_MAX], *uri = NULL, *colon;
	size_t		 len;
	int		 telnet = 0;

	if (strncmp(spec, "mon:", 4) == 0)
		spec += 4;
	comma = strchr(spec, ',');
	opts = comma != NULL ? comma + 1 : "";
	if (strncmp(spec, "unix:", 5) == 0) {
		rest = spec + 5;
		telnet = opt_on(opts, "telnet");
	} else if (strncmp(spec, "telnet:", 7) == 0) {
		rest = spec + 7;
		telnet = 1;
	} else if (strncmp(spec, "tcp:", 4) == 0) {
		rest = spec + 4;
		telnet = opt_on(opts, "telnet");
	} else
		return NULL;
	len = comma != NULL ? (size_t)(comma - rest) : strlen(rest);
	if (len == 0 || len >= sizeof addr)
		return NULL;
	memcpy(addr, rest, len);
	addr[len] = '\0';
	if (strncmp(spec, "unix:", 5) == 0) {
		if (asprintf(&uri, "%s%s%s", proto, telnet && *proto == '\0' ?
		    "telnet+unix:" : "unix:", addr) == -1)
			return NULL;
		return uri;
	}
	if ((colon = strrchr(addr, ':')) == NULL)
		return NULL;
	*colon = '\0';
	if (asprintf(&uri, "%s%s%s:%s", proto, telnet && *proto == '\0' ?
	    "telnet:" : "tcp:", conn_host(addr), colon + 1) == -1)
		return NULL;
	return uri;
}

/* Turns "-chardev socket,id=X,path=P|host=H,port=N,..." into a spec. */
static char *
chardev_spec(const char *cd)
{
	char	 path[PATH_MAX], host[256], port[16], *spec = NULL;
	int	 telnet = opt_on(cd, "telnet");

	if (strncmp(cd, "socket,", 7) != 0)
		return NULL;
	if (opt_value(cd, "path", path, sizeof path)) {
		if (asprintf(&spec, "unix:%s%s", path, telnet ?
		    ",telnet=on" : "") == -1)
			return NULL;
	} else if (opt_value(cd, "port", port, sizeof port)) {
		if (!opt_value(cd, "host", host, sizeof host))
			host[0] = '\0';
		if (asprintf(&spec, "tcp:%s:%s%s", host, port, telnet ?
		    ",telnet=on" : "") == -1)
			return NULL;
	}
	return spec;
}

/* Finds -chardev ...,id=ID in argv; returns its spec (new) or NULL. */
static char *
chardev_find(int argc, char *const argv[], const char *id)
{
	char	 v[256];
	int	 i;

	for (i = 1; i + 1 < argc; i++) {
		const char *o = proc_optname(argv[i]);

		if (o == NULL || strcmp(o, "chardev") != 0)
			continue;
		if (opt_value(argv[i + 1], "id", v, sizeof v) &&
		    strcmp(v, id) == 0)
			return chardev_spec(argv[i + 1]);
	}
	return NULL;
}

/*
 * Returns nonzero when chardev ID carries a guest agent by its name: the
 * id or the socket path says "qga" or "guest_agent" (CSIT's second
 * isa-serial, "-chardev socket,path=/run/qga_1.sock,...,id=qga0").
 */
static int
chardev_is_agent(int argc, char *const argv[], const char *id)
{
	char	 v[256], path[PATH_MAX];
	int	 i;

	if (strstr(id, "qga") != NULL || strstr(id, "guest_agent") != NULL)
		return 1;
	for (i = 1; i + 1 < argc; i++) {
		const char *o = proc_optname(argv[i]);

		if (o == NULL || strcmp(o, "chardev") != 0 ||
		    !opt_value(argv[i + 1], "id", v, sizeof v) ||
		    strcmp(v, id) != 0)
			continue;
		if (!opt_value(argv[i + 1], "path", path, sizeof path))
			return 0;
		return strstr(path, "qga") != NULL ||
		    strstr(path, "guest_agent") != NULL ||
		    strstr(path, "guest-agent") != NULL;
	}
	return 0;
}

/* Appends {uri, spec} to list a. */
static void
ep_add(json_t *a, const char *uri, const char *spec)
{
	json_t	*o = json_object();

	json_object_set_new(o, "uri", uri != NULL ? json_string(uri) :
	    json_null());
	json_object_set_new(o, "spec", json_string(spec));
	json_array_append_new(a, o);
}

/* Adds the endpoint of spec (or chardev:ID) to list a for proto. */
static void
ep_spec(json_t *a, int argc, char *const argv[], const char *spec,
    const char *proto)
{
	char	*cs = NULL, *uri;

	if (strncmp(spec, "chardev:", 8) == 0) {
		if ((cs = chardev_find(argc, argv, spec + 8)) == NULL) {
			ep_add(a, NULL, spec);
			return;
		}
		uri = spec_uri(cs, proto);
	} else
		uri = spec_uri(spec, proto);
	ep_add(a, uri, spec);
	free(uri);
	free(cs);
}

/*
 * Adds every hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
 * of a -nic/-netdev/-net option string.
 */
static void
ep_hostfwd(json_t *a, const char *opts)
{
	const char	*p = opts;
	char		 f[512], *proto, *haddr, *hport, *gport, *dash, *c;
	char		*uri;
	json_t		*o;
	size_t		 len;

	while ((p = strstr(p, "hostfwd=")) != NULL) {
		p += 8;
		len = strcspn(p, ",");
		if (len >= sizeof f)
			continue;
		memcpy(f, p, len);
		f[len] = '\0';
		if ((dash = strchr(f, '-')) == NULL)
			continue;
		*dash = '\0';
		gport = (c = strrchr(dash + 1, ':')) != NULL ? c + 1 :
		    dash + 1;
		/* f is now PROTO:HADDR:HPORT */
		if ((c = strchr(f, ':')) == NULL)
			continue;
		*c = '\0';
		proto = *f != '\0' ? f : "tcp";
		haddr = c + 1;
		if ((c = strrchr(haddr, ':')) == NULL)
			continue;
		*c = '\0';
		hport = c + 1;
		if (atoi(hport) <= 0 || atoi(gport) <= 0)
			continue;
		o = json_object();
		json_object_set_new(o, "proto", json_string(proto));
		json_object_set_new(o, "host",
		    json_string(conn_host(haddr)));
		json_object_set_new(o, "port", json_integer(atoi(hport)));
		json_object_set_new(o, "guest_port",
		    json_integer(atoi(gport)));
		if (asprintf(&uri, "%s:%s:%s", strcmp(proto, "udp") == 0 ?
		    "udp" : "tcp", conn_host(haddr), hport) != -1) {
			json_object_set_new(o, "uri", json_string(uri));
			free(uri);
		}
		if (atoi(gport) == 22 && strcmp(proto, "tcp") == 0 &&
		    asprintf(&uri, "ssh://%s:%s", conn_host(haddr),
		    hport) != -1) {
			json_object_set_new(o, "ssh", json_string(uri));
			free(uri);
		}
		json_array_append_new(a, o);
	}
}

json_t *
tether_qemu_endpoints(int argc, char *const argv[])
{
	json_t		*j, *serial, *mon, *qmp, *fwd, *agent;
	const char	*o, *v;
	char		 id[256], mode[32], *cs;
	int		 i, agent_dev;

	j = json_object();
	serial = json_array();
	mon = json_array();
	qmp = json_array();
	fwd = json_array();
	agent = json_array();
	json_object_set_new(j, "program", json_string(argc > 0 ?
	    argv[0] : ""));
	for (i = 1; i < argc; i++) {
		if ((o = proc_optname(argv[i])) == NULL || i + 1 >= argc)
			continue;
		v = argv[i + 1];
		if (strcmp(o, "serial") == 0 &&
		    strncmp(v, "chardev:", 8) == 0 &&
		    chardev_is_agent(argc, argv, v + 8))
			ep_spec(agent, argc, argv, v, "qga:");
		else if (strcmp(o, "serial") == 0)
			ep_spec(serial, argc, argv, v, "");
		else if (strcmp(o, "monitor") == 0)
			ep_spec(mon, argc, argv, v, "hmp:");
		else if (strcmp(o, "qmp") == 0 || strcmp(o, "qmp-pretty") == 0)
			ep_spec(qmp, argc, argv, v, "qmp:");
		else if (strcmp(o, "mon") == 0 &&
		    opt_value(v, "chardev", id, sizeof id)) {
			if (!opt_value(v, "mode", mode, sizeof mode))
				strcpy(mode, "readline");
			if ((cs = chardev_find(argc, argv, id)) == NULL)
				continue;
			ep_spec(strcmp(mode, "control") == 0 ? qmp : mon,
			    argc, argv, cs, strcmp(mode, "control") == 0 ?
			    "qmp:" : "hmp:");
			free(cs);
		} else if (strcmp(o, "device") == 0 &&
		    (strncmp(v, "isa-serial,", 11) == 0 ||
		    strncmp(v, "pci-serial,", 11) == 0 ||
		    strncmp(v, "virtconsole,", 12) == 0) &&
		    opt_value(v, "chardev", id, sizeof id)) {
			agent_dev = chardev_is_agent(argc, argv, id);
			if ((cs = chardev_find(argc, argv, id)) != NULL) {
				ep_spec(agent_dev ? agent : serial, argc, argv,
				    cs, agent_dev ? "qga:" : "");
				free(cs);
			}
		} else if (strcmp(o, "device") == 0 &&
		    strncmp(v, "virtserialport,", 15) == 0 &&
		    opt_value(v, "name", id, sizeof id) &&
		    strcmp(id, "org.qemu.guest_agent.0") == 0 &&
		    opt_value(v, "chardev", id, sizeof id)) {
			/* The agent's port: the guest's qemu-ga opens it. */
			if ((cs = chardev_find(argc, argv, id)) != NULL) {
				ep_spec(agent, argc, argv, cs, "qga:");
				free(cs);
			}
		} else if (strcmp(o, "nic") == 0 || strcmp(o, "netdev") == 0 ||
		    strcmp(o, "net") == 0)
			ep_hostfwd(fwd, v);
		else if (strcmp(o, "pidfile") == 0)
			json_object_set_new(j, "pidfile", json_string(v));
		else if (strcmp(o, "name") == 0) {
			if (!opt_value(v, "guest", id, sizeof id))
				snprintf(id, sizeof id, "%.*s",
				    (int)strcspn(v, ","), v);
			json_object_set_new(j, "name", json_string(id));
		} else
			continue;
		i++;
	}
	json_object_set_new(j, "serial", serial);
	json_object_set_new(j, "monitor", mon);
	json_object_set_new(j, "qmp", qmp);
	json_object_set_new(j, "agent", agent);
	json_object_set_new(j, "hostfwd", fwd);
	return j;
}

int
tether_qemu_discover(pid_t pid, json_t **out, char *err, size_t errlen)
{
	char	*buf = NULL, **argv = NULL;
	int	 argc;

	*out = NULL;
	if (proc_cmdline(pid, &buf, &argv, &argc) != 0) {
		snprintf(err, errlen, "pid %ld: no such process (or no "
		    "access to its command line)", (long)pid);
		return TETHER_EINVAL;
	}
	if (!proc_is_qemu(argv[0])) {
		snprintf(err, errlen, "pid %ld is %s, not a QEMU", (long)pid,
		    argv[0]);
		free(buf);
		free(argv);
		return TETHER_EINVAL;
	}
	*out = tether_qemu_endpoints(argc, argv);
	json_object_set_new(*out, "pid", json_integer(pid));
	free(buf);
	free(argv);
	return 0;
}
