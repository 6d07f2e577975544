/* SPDX-License-Identifier: ISC */
/*
 * ssh-auth.c - who the ssh:// session logs in as and how: identity
 * files, the agent's keys, keyboard-interactive and password, only those
 * the server offers, with a message saying what was tried.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "buf.h"
#include "ssh-int.h"
#include "tether.h"
#include "transport.h"

/*
 * LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC: answers every prompt that does
 * not echo with the password, the others with nothing.
 */
static void
ssh_kbdint(const char *name, int namelen, const char *instr, int instrlen,
    int nprompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
    LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract)
{
	struct ssh	*s = *abstract;
	const char	*answer;
	int		 i;

	for (i = 0; i < nprompts; i++) {
		answer = "";
		if (!prompts[i].echo && s->password != NULL) {
			answer = s->password;
			s->kbd_answered++;
		}
		responses[i].text = strdup(answer);
		responses[i].length = responses[i].text == NULL ? 0 :
		    (unsigned int)strlen(answer);
	}
}

/* Appends one "method (result)" to the list of what authentication tried. */
static void
ssh_tried(struct ssh *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
ssh_tried(struct ssh *s, const char *fmt, ...)
{
	va_list	ap;

	if (s->tried.len > 0 && buf_puts(&s->tried, ", ") != 0)
		return;
	va_start(ap, fmt);
	if (buf_vprintf(&s->tried, fmt, ap) != 0) {
		/* The message is only shortened. */
	}
	va_end(ap);
}

/* Returns nonzero when the server offers authentication method m. */
static int
ssh_offers(struct ssh *s, const char *m)
{
	const char	*p = s->methods;
	size_t		 n = strlen(m);

	while (p != NULL && *p != '\0') {
		if (strncmp(p, m, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, ',')) != NULL)
			p++;
	}
	return 0;
}

/* Returns why a publickey, password or keyboard-interactive try failed. */
static const char *
ssh_auth_why(struct ssh *s, int rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_AUTHENTICATION_FAILED:
	case LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED:
		return "rejected";
	case LIBSSH2_ERROR_FILE:
		return s->passphrase == NULL ?
		    "cannot load the key; encrypted without passphrase=?" :
		    "cannot load the key; wrong passphrase?";
	case LIBSSH2_ERROR_PASSWORD_EXPIRED:
		return "password expired";
	case LIBSSH2_ERROR_METHOD_NOT_SUPPORTED:
		return "key type not supported";
	}
	return ssh_liberr(s);
}

/* Fails authentication, saying what was tried and what was offered. */
static int
ssh_auth_failed(struct transport *t, const char *why)
{
	struct ssh	*s = t->priv;

	s->state = SSH_ST_DONE;
	return tether_loop_seterr(t->loop, TETHER_EAUTH,
	    "ssh %s: authentication as %s failed%s%s; tried: %s; "
	    "the server offers: %s", s->desc, s->user,
	    why != NULL ? ": " : "", why != NULL ? why : "",
	    s->tried.len > 0 ? buf_str(&s->tried) : "nothing (no identity "
	    "file, agent or password= to use)",
	    s->methods != NULL ? s->methods : "?");
}

/* An authentication call failed with rc: fatal when the link is gone. */
static int
ssh_auth_gone(struct transport *t, int rc)
{
	struct ssh	*s = t->priv;

	if (!ssh_is_gone(rc))
		return 0;
	if (s->disconnect != NULL)
		return ssh_auth_failed(t, s->disconnect);
	return ssh_lost(t, "authenticating");
}

/*
 * Tries the next authentication method: identity files, the agent's
 * keys, keyboard-interactive, then password; only those the server
 * offers.  Returns 0 when authenticated, TETHER_EAGAIN, or an error.
 */
static int
ssh_auth_step(struct transport *t)
{
	struct ssh	*s = t->priv;
	unsigned int	 ulen = (unsigned int)strlen(s->user);
	int		 rc, r;

	for (;;) {
		if (libssh2_userauth_authenticated(s->session))
			return 0;
		switch (s->auth) {
		case SSH_AUTH_FILE:
			if (!ssh_offers(s, "publickey") || s->id_cur >= s->nids)
				break;
			rc = libssh2_userauth_publickey_fromfile_ex(s->session,
			    s->user, ulen, NULL, s->ids[s->id_cur],
			    s->passphrase);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "publickey %s (%s)", s->ids[s->id_cur],
			    ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			s->id_cur++;
			continue;
		case SSH_AUTH_AGENT:
			if (!ssh_offers(s, "publickey") || s->agent == 0)
				break;
			if (s->agent_h == NULL) {
				if (s->agent == -1 &&
				    getenv("SSH_AUTH_SOCK") == NULL)
					break;
				s->agent_h = libssh2_agent_init(s->session);
				if (s->agent_h == NULL ||
				    libssh2_agent_connect(s->agent_h) != 0 ||
				    libssh2_agent_list_identities(s->agent_h)
				    != 0) {
					ssh_tried(s, "publickey agent "
					    "(unavailable: %s)",
					    ssh_liberr(s));
					break;
				}
			}
			if (s->agent_cur == NULL) {
				rc = libssh2_agent_get_identity(s->agent_h,
				    &s->agent_cur, s->agent_prev);
				if (rc != 0) {
					s->agent_cur = NULL;
					if (s->agent_keys == 0)
						ssh_tried(s, "publickey agent "
						    "(no keys)");
					else
						ssh_tried(s, "publickey agent "
						    "(%d key%s rejected)",
						    s->agent_keys,
						    s->agent_keys == 1 ? "" :
						    "s");
					break;
				}
			}
			rc = libssh2_agent_userauth(s->agent_h, s->user,
			    s->agent_cur);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			s->agent_keys++;
			if (ssh_is_gone(rc)) {
				ssh_tried(s, "publickey agent (%d key%s "
				    "rejected)", s->agent_keys,
				    s->agent_keys == 1 ? "" : "s");
				return ssh_auth_gone(t, rc);
			}
			s->agent_prev = s->agent_cur;
			s->agent_cur = NULL;
			continue;
		case SSH_AUTH_KBDINT:
			if (!ssh_offers(s, "keyboard-interactive") ||
			    s->password == NULL)
				break;
			rc = libssh2_userauth_keyboard_interactive_ex(
			    s->session, s->user, ulen, ssh_kbdint);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "keyboard-interactive (%s)",
			    s->kbd_answered == 0 && !ssh_is_gone(rc) ?
			    "no password prompt" : ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			break;
		case SSH_AUTH_PASSWORD:
			if (!ssh_offers(s, "password") || s->password == NULL)
				break;
			rc = libssh2_userauth_password_ex(s->session, s->user,
			    ulen, s->password,
			    (unsigned int)strlen(s->password), NULL);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (rc == 0)
				return 0;
			ssh_tried(s, "password (%s)", ssh_auth_why(s, rc));
			if ((r = ssh_auth_gone(t, rc)) != 0)
				return r;
			break;
		case SSH_AUTH_END:
			return ssh_auth_failed(t, NULL);
		}
		s->auth++;
	}
}

int
ssh_auth(struct transport *t)
{
	struct ssh	*s = t->priv;
	char		*list;
	int		 rc;

	if (s->methods == NULL) {
		list = libssh2_userauth_list(s->session, s->user,
		    (unsigned int)strlen(s->user));
		if (list == NULL) {
			if (libssh2_userauth_authenticated(s->session))
				return 0;	/* "none" was accepted */
			rc = ssh_lasterr(s);
			if (rc == LIBSSH2_ERROR_EAGAIN)
				return TETHER_EAGAIN;
			if (ssh_is_gone(rc))
				return ssh_lost(t, "authenticating");
			s->state = SSH_ST_DONE;
			return tether_loop_seterr(t->loop, TETHER_EAUTH,
			    "ssh %s: cannot list authentication methods: %s",
			    s->desc, ssh_liberr(s));
		}
		if ((s->methods = strdup(list)) == NULL)
			return TETHER_ENOMEM;
	}
	return ssh_auth_step(t);
}

/* Adds an identity file to try (a copy, "~/" expanded). */
static int
ssh_add_id(struct ssh *s, const char *path)
{
	char	**ids;

	ids = reallocarray(s->ids, s->nids + 1, sizeof *s->ids);
	if (ids == NULL)
		return TETHER_ENOMEM;
	s->ids = ids;
	if ((s->ids[s->nids] = ssh_expand(path)) == NULL)
		return TETHER_ENOMEM;
	s->nids++;
	return 0;
}

int
ssh_auth_options(struct transport *t, struct transport_args *a)
{
	static const char *const defids[] = {
		"id_ed25519", "id_ecdsa", "id_rsa",
	};
	struct ssh	*s = t->priv;
	const char	*v, *home = ssh_home();
	char		 path[PATH_MAX];
	struct passwd	*pw;
	size_t		 i;

	if ((v = transport_opt(a, "user")) != NULL) {
		if (s->user != NULL && strcmp(s->user, v) != 0)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: user=%s contradicts the user %s in the "
			    "address", v, s->user);
		if (s->user == NULL && (s->user = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	if (s->user == NULL) {
		if ((pw = getpwuid(getuid())) != NULL)
			v = pw->pw_name;
		else
			v = getenv("USER");
		if (v == NULL)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: who am I? give user=");
		if ((s->user = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	/* Secrets of the whole run: an echo on any session is redacted. */
	if ((v = transport_opt(a, "password")) != NULL) {
		tether_loop_add_secret(t->loop, v);
		if ((s->password = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}
	if ((v = transport_opt(a, "passphrase")) != NULL) {
		tether_loop_add_secret(t->loop, v);
		if ((s->passphrase = strdup(v)) == NULL)
			return TETHER_ENOMEM;
	}

	if ((v = transport_opt(a, "identity")) != NULL) {
		if (ssh_add_id(s, v) != 0)
			return TETHER_ENOMEM;
		if (access(s->ids[0], R_OK) == -1)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: cannot read identity=%s: %s", v,
			    strerror(errno));
	} else if (home != NULL) {
		for (i = 0; i < sizeof defids / sizeof defids[0]; i++) {
			snprintf(path, sizeof path, "%s/.ssh/%s", home,
			    defids[i]);
			if (access(path, R_OK) == 0 &&
			    ssh_add_id(s, path) != 0)
				return TETHER_ENOMEM;
		}
	}
	s->agent = -1;
	if ((v = transport_opt(a, "agent")) != NULL) {
		if ((s->agent = ssh_yesno(v)) == -1)
			return tether_loop_seterr(t->loop, TETHER_EINVAL,
			    "ssh: agent=%s: want yes or no", v);
	}
	return 0;
}

void
ssh_auth_free(struct ssh *s)
{
	size_t	i;

	if (s->agent_h != NULL) {
		libssh2_agent_disconnect(s->agent_h);
		libssh2_agent_free(s->agent_h);
		s->agent_h = NULL;
	}
	if (s->password != NULL)
		explicit_bzero(s->password, strlen(s->password));
	if (s->passphrase != NULL)
		explicit_bzero(s->passphrase, strlen(s->passphrase));
	free(s->password);
	free(s->passphrase);
	s->password = s->passphrase = NULL;
	for (i = 0; i < s->nids; i++)
		free(s->ids[i]);
	free(s->ids);
	s->ids = NULL;
	s->nids = 0;
	free(s->methods);
	s->methods = NULL;
	buf_free(&s->tried);
}
