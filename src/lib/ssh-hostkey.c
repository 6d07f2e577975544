/* SPDX-License-Identifier: ISC */
/*
 * ssh-hostkey.c - the server's host key against known_hosts, read line
 * by line as OpenSSH reads it (hashed names, [host]:port, @revoked), and
 * recorded there under host-key=accept-new.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "buf.h"
#include "ssh-int.h"
#include "tether.h"
#include "transport.h"

#define SSH_KNOWN_HOSTS_GLOBAL "/etc/ssh/ssh_known_hosts"

/* Base64 without padding, as OpenSSH prints fingerprints. */
static void
ssh_base64(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char	 b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, o = 0;
	uint32_t		 v;

	for (i = 0; i < n && o + 4 < outlen; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

/* Padded base64, as key blobs are written in known_hosts. */
static char *
ssh_base64_padded(const unsigned char *p, size_t n)
{
	char	*out;
	size_t	 len, o;

	len = (n + 2) / 3 * 4;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	ssh_base64(p, n, out, len + 1);
	for (o = strlen(out); o < len; o++)
		out[o] = '=';
	out[len] = '\0';
	return out;
}

/* Returns the known_hosts key type bits and a name for a host key type. */
static int
ssh_keytype(int type, const char **name)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA:
		*name = "RSA";
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS:
		*name = "DSA";
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
		*name = "ECDSA";
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519:
		*name = "ED25519";
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	}
	*name = "unknown";
	return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
}

/* Returns nonzero when s[0..n) is base64 for exactly 20 bytes. */
static int
ssh_kh_b64_20(const char *s, size_t n)
{
	size_t	i;

	if (n != 28 || s[27] != '=')
		return 0;
	for (i = 0; i < 27; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/')
			return 0;
	}
	return 1;
}

/*
 * Returns nonzero for a usable hashed name, as OpenSSH takes it:
 * hashed = "|1|" SALT "|" HASH, each base64 for 20 bytes (SHA-1).
 * libssh2 leaks on any other, and could never match it anyway.
 */
static int
ssh_kh_hashed_ok(const char *p)
{
	const char	*bar;
	size_t		 n;

	p += 3;
	if ((bar = strchr(p, '|')) == NULL ||
	    !ssh_kh_b64_20(p, (size_t)(bar - p)))
		return 0;
	n = strcspn(bar + 1, " \t");
	return ssh_kh_b64_20(bar + 1, n);
}

/*
 * One known_hosts line, NUL-terminated, modified in place.  Returns
 * nonzero when it marks key64 @revoked.
 * line = [ "@revoked" | "@cert-authority" ] HOSTS TYPE KEY [ COMMENT ]
 *      | "#" COMMENT | blank
 * HOSTS = hashed | NAME { "," NAME }
 */
static int
ssh_kh_line(LIBSSH2_KNOWNHOSTS *kh, char *p, const char *key64)
{
	char	*fields[4];
	int	 i;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "@revoked", 8) == 0) {
		/* "@revoked HOSTS TYPE KEY": the key must never do. */
		for (i = 0; i < 4; i++) {
			fields[i] = strsep(&p, " \t");
			while (p != NULL && (*p == ' ' || *p == '\t'))
				p++;
		}
		return fields[3] != NULL && strcmp(fields[3], key64) == 0;
	}
	if (*p == '@')
		return 0;	/* @cert-authority: not for host keys */
	if (strncmp(p, "|1|", 3) == 0 && !ssh_kh_hashed_ok(p))
		return 0;
	/* Lines libssh2 cannot parse are skipped, not fatal. */
	(void)libssh2_knownhost_readline(kh, p, strlen(p),
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH);
	return 0;
}

/*
 * Reads known_hosts text line by line: libssh2's readfile stops at the
 * first line it does not understand (@cert-authority, unknown key types),
 * and loses every later entry.  Revoked keys are compared here.
 * known_hosts = { line ( "\n" | "\r\n" ) } [ line ]
 */
int
ssh_kh_parse(LIBSSH2_KNOWNHOSTS *kh, const char *text, size_t len,
    const char *key64)
{
	const char	*nl;
	char		*line = NULL, *nb;
	size_t		 n, cap = 0;
	int		 revoked = 0;

	while (len > 0) {
		if ((nl = memchr(text, '\n', len)) != NULL)
			n = (size_t)(nl - text);
		else
			n = len;
		if (n + 1 > cap) {
			if ((nb = realloc(line, n + 1)) == NULL)
				break;
			line = nb;
			cap = n + 1;
		}
		memcpy(line, text, n);
		line[n] = '\0';
		while (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		revoked |= ssh_kh_line(kh, line, key64);
		n = nl != NULL ? (size_t)(nl - text) + 1 : len;
		text += n;
		len -= n;
	}
	free(line);
	return revoked;
}

/*
 * Reads the known_hosts file at path (a missing one is empty).  Returns
 * nonzero when key64 is marked @revoked.
 */
static int
ssh_kh_load(LIBSSH2_KNOWNHOSTS *kh, const char *path, const char *key64)
{
	struct buf	 b;
	char		 chunk[8192];
	size_t		 n;
	FILE		*f;
	int		 revoked = 0;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (buf_append(&b, chunk, n) != 0)
			break;
	}
	fclose(f);
	revoked = ssh_kh_parse(kh, buf_str(&b), b.len, key64);
	buf_free(&b);
	return revoked;
}

/* Creates the directory of path (mode 0700) when it is ~/.ssh. */
static void
ssh_kh_mkdir(const char *path)
{
	char	*dir, *slash;

	if ((dir = strdup(path)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (strlen(dir) >= 5 &&
		    strcmp(dir + strlen(dir) - 5, "/.ssh") == 0)
			(void)mkdir(dir, 0700);
	}
	free(dir);
}

/* Appends the server's key to the known_hosts file, as OpenSSH does. */
static int
ssh_kh_record(struct transport *t, LIBSSH2_KNOWNHOSTS *kh, const char *key,
    size_t keylen, int kt)
{
	struct ssh			*s = t->priv;
	struct libssh2_knownhost	*entry = NULL;
	char				 line[16384], last;
	size_t				 outlen = 0;
	int				 fd, r = 0;
	off_t				 end;

	if (libssh2_knownhost_addc(kh, s->khname, NULL, key, keylen, NULL, 0,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
	    &entry) != 0 ||
	    libssh2_knownhost_writeline(kh, entry, line, sizeof line, &outlen,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot format the host key for %s: %s", s->desc,
		    s->known_hosts, ssh_liberr(s));
	if (!s->known_hosts_given)
		ssh_kh_mkdir(s->known_hosts);
	fd = open(s->known_hosts, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot record the host key in %s: %s", s->desc,
		    s->known_hosts, strerror(errno));
	/* Never glue the entry to a last line without a newline. */
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n' &&
	    write(fd, "\n", 1) != 1)
		r = -1;
	if (r == 0 && write(fd, line, outlen) != (ssize_t)outlen)
		r = -1;
	if (close(fd) == -1 || r == -1)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot record the host key in %s: %s", s->desc,
		    s->known_hosts, strerror(errno));
	return 0;
}

/*
 * Checks the server's host key against known_hosts.  The name looked up
 * is the one OpenSSH writes: "host" on port 22, "[host]:port" elsewhere,
 * so libssh2 is given port -1 (its checkp with a port would also accept
 * a plain "host" entry for any port).
 */
int
ssh_hostkey_check(struct transport *t)
{
	struct ssh		*s = t->priv;
	LIBSSH2_KNOWNHOSTS	*kh = NULL;
	const char		*key, *hash, *kname;
	char			 fp[64], *key64 = NULL;
	size_t			 keylen;
	int			 type, kt, r, revoked;

	key = libssh2_session_hostkey(s->session, &keylen, &type);
	hash = libssh2_hostkey_hash(s->session, LIBSSH2_HOSTKEY_HASH_SHA256);
	if (key == NULL || hash == NULL)
		return tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: the server sent no host key", s->desc);
	ssh_base64((const unsigned char *)hash, 32, fp, sizeof fp);
	kt = ssh_keytype(type, &kname);
	if ((key64 = ssh_base64_padded((const unsigned char *)key,
	    keylen)) == NULL ||
	    (kh = libssh2_knownhost_init(s->session)) == NULL) {
		r = tether_loop_seterr(t->loop, TETHER_ENOMEM,
		    "ssh: out of memory");
		goto out;
	}
	revoked = ssh_kh_load(kh, s->known_hosts, key64);
	if (!s->known_hosts_given)
		revoked |= ssh_kh_load(kh, SSH_KNOWN_HOSTS_GLOBAL, key64);
	if (revoked) {
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: the %s host key SHA256:%s is marked @revoked in "
		    "known_hosts", s->desc, kname, fp);
		goto out;
	}
	switch (libssh2_knownhost_checkp(kh, s->khname, -1, key, keylen,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kt,
	    NULL)) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		r = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: HOST KEY MISMATCH for %s: the server sent %s key "
		    "SHA256:%s, which differs from the one in %s%s; it may "
		    "have been reinstalled, or someone may be intercepting "
		    "the connection", s->desc, s->khname, kname, fp,
		    s->known_hosts, s->known_hosts_given ? "" :
		    " or " SSH_KNOWN_HOSTS_GLOBAL);
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		if (s->accept_new) {
			r = ssh_kh_record(t, kh, key, keylen, kt);
			break;
		}
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: host key for %s is not known: %s key SHA256:%s; "
		    "add it to %s or open with host-key=accept-new", s->desc,
		    s->khname, kname, fp, s->known_hosts);
		break;
	default:
		r = tether_loop_seterr(t->loop, TETHER_EHOSTKEY,
		    "ssh %s: cannot check the host key (%s key SHA256:%s): "
		    "%s", s->desc, kname, fp, ssh_liberr(s));
		break;
	}
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	free(key64);
	return r;
}

int
ssh_hostkey_options(struct transport *t, struct transport_args *a)
{
	struct ssh	*s = t->priv;
	const char	*v, *home = ssh_home();
	char		 path[PATH_MAX];

	if ((v = transport_opt(a, "known-hosts")) != NULL) {
		s->known_hosts_given = 1;
		s->known_hosts = ssh_expand(v);
	} else if (home != NULL) {
		snprintf(path, sizeof path, "%s/.ssh/known_hosts", home);
		s->known_hosts = strdup(path);
	} else
		s->known_hosts = strdup("/dev/null");
	if (s->known_hosts == NULL)
		return TETHER_ENOMEM;
	if ((v = transport_opt(a, "host-key")) != NULL) {
		if (strcmp(v, "accept-new") == 0)
			s->accept_new = 1;
		else if (strcmp(v, "strict") != 0 && strcmp(v, "yes") != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: host-key=%s: want strict or accept-new", v);
	}
	return 0;
}
