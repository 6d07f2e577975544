/* SPDX-License-Identifier: ISC */
/*
 * cmd-hmp.c - tether hmp: runs one QEMU human monitor command and prints
 * its cleaned output, or its structured value as JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cmd-monitor.h"
#include "tether.h"
#include "text.h"

#define MONITOR_TIMEOUT	"10s"

/* The options of tether hmp and tether qmp. */
enum {
	MONITOR_JSON = 256,
	MONITOR_TIMEOUT_OPT,
	MONITOR_WITHIN,
	MONITOR_OPEN_WITHIN,
};
#define MONITOR_SHORTOPTS	":h"
static const struct option monitor_longopts[] = {
	{ "connect-within",	required_argument,	NULL, MONITOR_WITHIN },
	{ "help",		no_argument,		NULL, 'h' },
	{ "json",		no_argument,		NULL, MONITOR_JSON },
	{ "open-within",	required_argument,	NULL,
	    MONITOR_OPEN_WITHIN },
	{ "timeout",		required_argument,	NULL,
	    MONITOR_TIMEOUT_OPT },
	{ NULL,			0,			NULL, 0 }
};

/* Reports the unknown option getopt_long just refused, with a hint. */
static void
monitor_unknown(const char *scheme, char **argv)
{
	char	 opt[3] = { '-', (char)optopt, '\0' };

	cli_error("%s: unknown option %s (a command word that starts with - "
	    "goes after --)", scheme, optopt == 0 ? argv[optind - 1] : opt);
	cli_usage(scheme);
}

int
cli_monitor_args(int argc, char **argv, const char *scheme,
    struct cli_monitor *m)
{
	int	ch, i;

	memset(m, 0, sizeof *m);
	m->timeout = MONITOR_TIMEOUT;
	/* Options anywhere (getopt_long permutes), -- ends them. */
	while ((ch = getopt_long(argc, argv, MONITOR_SHORTOPTS,
	    monitor_longopts, NULL)) != -1) {
		switch (ch) {
		case MONITOR_JSON:
			m->json = 1;
			break;
		case MONITOR_TIMEOUT_OPT:
			m->timeout = optarg;
			break;
		case MONITOR_WITHIN:
			m->within = optarg;
			break;
		case MONITOR_OPEN_WITHIN:
			m->open_within = optarg;
			break;
		case 'h':
			cli_help(scheme);
			return 1;
		case '?':
			if (optopt == 0 || (optopt < 256 &&
			    strchr(MONITOR_SHORTOPTS, optopt) == NULL)) {
				monitor_unknown(scheme, argv);
				return -1;
			}
			/* FALLTHROUGH */
		default:
			cli_bad_option(scheme, ch, argv, MONITOR_SHORTOPTS);
			return -1;
		}
	}
	for (i = optind; i < argc; i++) {
		if (m->uri == NULL)
			m->uri = argv[i];
		else if (m->nwords < CLI_MONITOR_WORDS)
			m->words[m->nwords++] = argv[i];
		else {
			cli_error("%s: too many words", scheme);
			return -1;
		}
	}
	if (m->uri == NULL || m->nwords == 0) {
		cli_usage(scheme);
		return -1;
	}
	if (text_duration(m->timeout, &m->timeout_ms) != 0) {
		cli_error("bad duration %s", m->timeout);
		return -1;
	}
	if (m->within != NULL && text_duration(m->within,
	    &m->within_ms) != 0) {
		cli_error("bad duration %s", m->within);
		return -1;
	}
	if (m->open_within != NULL && text_duration(m->open_within,
	    &m->open_ms) != 0) {
		cli_error("bad duration %s", m->open_within);
		return -1;
	}
	/* "unix:/path" and "hmp:unix:/path" are the same target. */
	if (strncmp(m->uri, "hmp:", 4) == 0 ||
	    strncmp(m->uri, "qmp:", 4) == 0) {
		if (strncmp(m->uri, scheme, 3) != 0) {
			cli_error("%s is not a %s target", m->uri, scheme);
			return -1;
		}
		m->target = strdup(m->uri);
	} else if (asprintf(&m->target, "%s:%s", scheme, m->uri) == -1)
		m->target = NULL;
	if (m->target == NULL) {
		cli_error("out of memory");
		return -1;
	}
	return 0;
}

/*
 * The greeting waits --open-within, else what is left of --timeout,
 * which bounds the whole call once connected (--connect-within).
 */
int
cli_monitor_open(struct cli_monitor *m, const char *name)
{
	struct tether_opt	opt[2];
	int64_t			t0 = tether_now_ms();
	size_t			n = 0;
	int			r;

	if ((m->loop = tether_loop_new()) == NULL) {
		cli_error("out of memory");
		return TETHER_ENOMEM;
	}
	if (m->within != NULL) {
		opt[n].key = "connect-within";
		opt[n++].value = m->within;
	}
	opt[n].key = "open-within";
	opt[n++].value = m->open_within != NULL ? m->open_within : m->timeout;
	r = tether_session_open(m->loop, name, m->target, opt, n, &m->s);
	if (r != 0)
		cli_monitor_fail(m, r);
	if (m->open_within != NULL)
		m->deadline = tether_now_ms() + m->timeout_ms;
	else
		m->deadline = t0 + m->within_ms + m->timeout_ms;
	return r;
}

void
cli_monitor_fail(struct cli_monitor *m, int r)
{
	const char	*msg = tether_loop_errmsg(m->loop);
	char		*tail = NULL;

	cli_error("%s", *msg != '\0' ? msg : tether_strerror(r));
	if (r != TETHER_EREMOTE && m->s != NULL &&
	    (tail = tether_session_tail(m->s, 5)) != NULL && *tail != '\0')
		fprintf(stderr, "last output of %s:\n%s%s",
		    tether_session_name(m->s), tail,
		    tail[strlen(tail) - 1] == '\n' ? "" : "\n");
	free(tail);
}

void
cli_monitor_close(struct cli_monitor *m)
{
	tether_session_close(m->s);
	tether_loop_free(m->loop);
	free(m->target);
}

int
cli_print_json(json_t *v)
{
	char	*text;

	if ((text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY)) == NULL)
		return -1;
	printf("%s\n", text);
	free(text);
	return 0;
}

int
cmd_hmp(int argc, char **argv)
{
	struct cli_monitor	 m;
	char			*cmd = NULL, *text = NULL, *why = NULL;
	json_t			*v = NULL;
	size_t			 len = 0;
	int			 i, r, ex = TETHER_EXIT_OK;

	if ((r = cli_monitor_args(argc, argv, "hmp", &m)) != 0)
		return r == 1 ? TETHER_EXIT_OK : TETHER_EXIT_USAGE;
	for (i = 0; i < m.nwords; i++)
		len += strlen(m.words[i]) + 1;
	if ((cmd = calloc(1, len)) == NULL) {
		cli_error("out of memory");
		ex = TETHER_EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < m.nwords; i++) {
		if (i > 0)
			strcat(cmd, " ");
		strcat(cmd, m.words[i]);
	}
	if ((r = cli_monitor_open(&m, "monitor")) != 0) {
		ex = tether_exit_code(r);
		goto out;
	}
	r = tether_hmp_command(m.s, cmd, m.deadline, &text);
	if (r != 0) {
		cli_monitor_fail(&m, r);
		ex = tether_exit_code(r);
		goto out;
	}
	if (m.json) {
		if ((v = tether_hmp_parse(cmd, text)) == NULL)
			v = json_string(text);
		if (v == NULL || cli_print_json(v) != 0) {
			cli_error("cannot print the output of %s as JSON", cmd);
			ex = TETHER_EXIT_FAIL;
			goto out;
		}
	} else
		fputs(text, stdout);
	/* The text is printed (as always); QEMU refusing it fails. */
	if ((r = tether_hmp_error(cmd, text, &why)) != 0) {
		cli_error("hmp %s: QEMU refused \"%s\": %s", m.uri, cmd,
		    r > 0 ? why : "(out of memory)");
		ex = TETHER_EXIT_FAIL;
	}
out:
	free(why);
	json_decref(v);
	free(text);
	free(cmd);
	cli_monitor_close(&m);
	if (fflush(stdout) != 0 && ex == TETHER_EXIT_OK)
		ex = TETHER_EXIT_FAIL;
	return ex;
}
