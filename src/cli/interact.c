/* SPDX-License-Identifier: ISC */
/*
 * interact.c - the interactive engine: the terminal passed through to
 * sessions, a GNU readline prompt driven by the event loop, and
 * cli_interact for the interact statement of playbooks.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "buf.h"
#include "cli.h"
#include "interact.h"
#include "loop.h"
#include "term.h"
#include "tether.h"

#define IA_BACKLOG_MAX	(64 * 1024)	/* kept per background session */
#define IA_HELD_MAX	(1024 * 1024)	/* kept while the prompt is up */
#define IA_SEND_WITHIN	10000		/* ms to hand keys to a session */
#define IA_HISTORY_MAX	1000
#define IA_READ		4096

enum ia_mode {
	IA_PASS,		/* terminal raw, keys to the session */
	IA_PROMPT,		/* readline editing a command line */
	IA_RUNNING,		/* a command line runs */
};

struct ia_sess {
	struct interact		*ia;
	struct tether_session	*s;
	char			*name;		/* s's, for when it is gone */
	struct buf		 backlog;	/* output while not current */
	uint64_t		 dropped;	/* bytes cut from its front */
	int			 mute;
	int			 ended;		/* end of file noticed */
};

struct interact {
	struct tether_loop	*loop;
	struct ia_sess		**sess;
	size_t			 nsess;
	struct ia_sess		*cur;
	int			 esc;
	enum ia_mode		 mode;
	struct loop_watch	*in_w;
	struct loop_watch	*sig_w;
	int			 rl_on;		/* handler installed */
	int			 done;
	int			 status;
	struct buf		 held;		/* cur's output while editing */
	uint64_t		 held_dropped;
	struct buf		 keys;		/* typed, not yet sent */
	int			 winch;
	ia_prompt_fn		 prompt;
	ia_command_fn		 command;
	ia_cancel_fn		 cancel;
	void			*arg;
	int			 prompt_only;
	int			 next_pass;
	char			*line;		/* accepted, not yet run */
	int			 have_line;
	int			 rl_escape;	/* escape key at the prompt */
	char			*hist;
	const struct ia_tap	*tap;
};

/* The engine readline calls back into (readline state is global). */
static struct interact	*ia_rl;
/* Whether the last byte written to the terminal ended a line. */
static int		 ia_col0 = 1;

void
ia_write(const void *p, size_t n)
{
	const char	*c = p;
	struct pollfd	 pfd;
	ssize_t		 w;

	fflush(stdout);
	if (n > 0)
		ia_col0 = c[n - 1] == '\n';
	while (n > 0) {
		w = write(STDOUT_FILENO, c, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				pfd.fd = STDOUT_FILENO;
				pfd.events = POLLOUT;
				poll(&pfd, 1, 1000);
				continue;
			}
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

void
ia_newline(void)
{
	fflush(stdout);
	if (!ia_col0)
		ia_write("\r\n", 2);
}

void
ia_notice(struct interact *ia, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	int	 editing = ia != NULL && ia->rl_on;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (editing)
		rl_clear_visible_line();
	if (!ia_col0)
		ia_write("\r\n", 2);
	ia_write("[tether: ", 9);
	ia_write(msg, strlen(msg));
	ia_write("]\r\n", 3);
	if (editing) {
		rl_on_new_line();
		rl_redisplay();
	}
}

const char *
ia_key_name(int c)
{
	static char	name[8];

	if (c < 0)
		return "none";
	if (c == 0x7f)
		return "^?";
	if (c < 0x20)
		snprintf(name, sizeof name, "^%c", c + '@');
	else
		snprintf(name, sizeof name, "%c", c);
	return name;
}

int
ia_key_parse(const char *s, int *c)
{
	char		*ep;
	unsigned long	 v;
	int		 k;

	if (strcmp(s, "none") == 0) {
		*c = -1;
		return 0;
	}
	if ((s[0] == '^' && s[1] != '\0' && s[2] == '\0') ||
	    (s[0] == 'C' && s[1] == '-' && s[2] != '\0' && s[3] == '\0')) {
		k = (unsigned char)s[s[0] == '^' ? 1 : 2];
		if (k == '?') {
			*c = 0x7f;
			return 0;
		}
		if (k >= 'a' && k <= 'z')
			k -= 'a' - 'A';
		if (k < '@' || k > '_')
			return -1;
		*c = k - '@';
		return 0;
	}
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "\\x", 2) == 0) {
		v = strtoul(s + 2, &ep, 16);
		if (*ep != '\0' || ep == s + 2 || v > 0x7f)
			return -1;
		*c = (int)v;
		return 0;
	}
	if (s[0] != '\0' && s[1] == '\0' && (unsigned char)s[0] < 0x80) {
		*c = (unsigned char)s[0];
		return 0;
	}
	return -1;
}

char *
ia_history_path(void)
{
	const char	*env, *home;
	struct passwd	*pw;
	char		*p;

	if ((env = getenv("TETHER_HISTORY")) != NULL)
		return *env != '\0' ? strdup(env) : NULL;
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	if (asprintf(&p, "%s/.tether_history", home) == -1)
		return NULL;
	return p;
}

/* Keeps the last max bytes of what goes through b. */
static void
ia_keep(struct buf *b, uint64_t *dropped, const void *p, size_t n,
    size_t max)
{
	const char	*c = p;

	if (n >= max) {
		*dropped += b->len + (n - max);
		buf_reset(b);
		c += n - max;
		n = max;
	} else if (b->len + n > max) {
		*dropped += b->len + n - max;
		buf_consume(b, b->len + n - max);
	}
	if (buf_append(b, c, n) != 0)
		*dropped += n;
}

static void
ia_output(void *arg, const void *p, size_t n)
{
	struct ia_sess	*is = arg;
	struct interact	*ia = is->ia;

	if (ia->tap != NULL && ia->tap->output != NULL)
		ia->tap->output(ia->tap->arg, is->s, p, n);
	if (is->mute)
		return;
	if (is != ia->cur)
		ia_keep(&is->backlog, &is->dropped, p, n, IA_BACKLOG_MAX);
	else if (ia->mode == IA_PROMPT)
		ia_keep(&ia->held, &ia->held_dropped, p, n, IA_HELD_MAX);
	else
		ia_write(p, n);
}

/* Shows what the current session received while the prompt was up. */
static void
ia_flush_held(struct interact *ia)
{
	if (ia->held_dropped > 0)
		ia_notice(ia, "%llu bytes not shown (see the transcript)",
		    (unsigned long long)ia->held_dropped);
	ia_write(ia->held.data, ia->held.len);
	buf_reset(&ia->held);
	ia->held_dropped = 0;
}

/* Shows what the current session received in the background. */
static void
ia_flush_backlog(struct interact *ia)
{
	struct ia_sess	*is = ia->cur;

	if (is == NULL)
		return;
	if (is->dropped > 0)
		ia_notice(ia, "%s: %llu earlier bytes not shown (see the "
		    "transcript)", tether_session_name(is->s),
		    (unsigned long long)is->dropped);
	ia_write(is->backlog.data, is->backlog.len);
	buf_reset(&is->backlog);
	is->dropped = 0;
}

struct interact *
ia_new(struct tether_loop *loop, int esc)
{
	struct interact	*ia;

	if ((ia = calloc(1, sizeof *ia)) == NULL)
		return NULL;
	ia->loop = loop;
	ia->esc = esc;
	ia->mode = IA_PASS;
	buf_init(&ia->held, 0);
	buf_init(&ia->keys, 0);
	return ia;
}

void
ia_free(struct interact *ia)
{
	size_t	i;

	if (ia == NULL)
		return;
	for (i = 0; i < ia->nsess; i++) {
		tether_session_set_output(ia->sess[i]->s, NULL, NULL);
		buf_free(&ia->sess[i]->backlog);
		free(ia->sess[i]->name);
		free(ia->sess[i]);
	}
	free(ia->sess);
	if (ia->rl_on)
		rl_callback_handler_remove();
	loop_watch_del(ia->in_w);
	loop_watch_del(ia->sig_w);
	buf_free(&ia->held);
	if (ia->keys.data != NULL)
		explicit_bzero(ia->keys.data, ia->keys.len);
	buf_free(&ia->keys);
	free(ia->line);
	if (ia->hist != NULL)
		history_truncate_file(ia->hist, IA_HISTORY_MAX);
	free(ia->hist);
	if (ia_rl == ia)
		ia_rl = NULL;
	free(ia);
}

static struct ia_sess *
ia_find(struct interact *ia, struct tether_session *s)
{
	size_t	i;

	for (i = 0; i < ia->nsess; i++) {
		if (ia->sess[i]->s == s)
			return ia->sess[i];
	}
	return NULL;
}

int
ia_add(struct interact *ia, struct tether_session *s)
{
	struct ia_sess	**ns, *is;
	char		 *name;

	if ((name = strdup(tether_session_name(s))) == NULL)
		return TETHER_ENOMEM;
	if ((is = ia_find(ia, s)) != NULL) {
		/* A new session where a closed one was: start afresh. */
		free(is->name);
		buf_reset(&is->backlog);
		is->dropped = 0;
		is->mute = is->ended = 0;
		is->name = name;
		tether_session_set_output(s, ia_output, is);
		return 0;
	}
	if ((is = calloc(1, sizeof *is)) == NULL) {
		free(name);
		return TETHER_ENOMEM;
	}
	if ((ns = reallocarray(ia->sess, ia->nsess + 1, sizeof *ns)) ==
	    NULL) {
		free(name);
		free(is);
		return TETHER_ENOMEM;
	}
	ia->sess = ns;
	is->ia = ia;
	is->s = s;
	is->name = name;
	buf_init(&is->backlog, 0);
	ia->sess[ia->nsess++] = is;
	if (ia->cur == NULL)
		ia->cur = is;
	tether_session_set_output(s, ia_output, is);
	return 0;
}

/* Drops is, whose session the loop has closed, from ia's list. */
static void
ia_drop(struct interact *ia, struct ia_sess *is)
{
	size_t	i;

	for (i = 0; i < ia->nsess; i++) {
		if (ia->sess[i] == is) {
			memmove(ia->sess + i, ia->sess + i + 1,
			    (ia->nsess - i - 1) * sizeof *ia->sess);
			ia->nsess--;
			break;
		}
	}
	if (ia->cur == is)
		ia->cur = ia->nsess > 0 ? ia->sess[0] : NULL;
	buf_free(&is->backlog);
	free(is->name);
	free(is);
}

/* The open sessions of a loop, gathered by ia_sync. */
struct ia_live {
	struct tether_session	**s;
	size_t			  n;
	int			  failed;
};

static void
ia_live_add(struct tether_session *s, void *arg)
{
	struct ia_live		 *l = arg;
	struct tether_session	**ns;

	if ((ns = reallocarray(l->s, l->n + 1, sizeof *ns)) == NULL) {
		l->failed = 1;
		return;
	}
	l->s = ns;
	l->s[l->n++] = s;
}

size_t
ia_sync(struct interact *ia, void (*gone)(const char *, void *), void *arg)
{
	struct ia_live	 l;
	size_t		 i, k, n = 0;

	memset(&l, 0, sizeof l);
	tether_loop_foreach(ia->loop, ia_live_add, &l);
	for (i = 0; !l.failed && i < ia->nsess; ) {
		for (k = 0; k < l.n && l.s[k] != ia->sess[i]->s; k++)
			;
		if (k < l.n) {
			i++;
			continue;
		}
		if (gone != NULL)
			gone(ia->sess[i]->name, arg);
		ia_drop(ia, ia->sess[i]);
		n++;
	}
	free(l.s);
	return n;
}

void
ia_set_tap(struct interact *ia, const struct ia_tap *tap)
{
	ia->tap = tap;
}

struct tether_session *
ia_current(struct interact *ia)
{
	return ia->cur != NULL ? ia->cur->s : NULL;
}

int
ia_switch(struct interact *ia, struct tether_session *s)
{
	struct ia_sess	*is;

	if ((is = ia_find(ia, s)) == NULL)
		return -1;
	if (is != ia->cur && ia->cur != NULL && ia->held.len > 0) {
		/* what the one left received at the prompt stays its own */
		ia_keep(&ia->cur->backlog, &ia->cur->dropped, ia->held.data,
		    ia->held.len, IA_BACKLOG_MAX);
		ia->cur->dropped += ia->held_dropped;
		buf_reset(&ia->held);
		ia->held_dropped = 0;
	}
	ia->cur = is;
	return 0;
}

int
ia_redraw(struct interact *ia, struct tether_session *s)
{
	struct ia_sess	*is;
	char		*tail;

	if ((is = ia_find(ia, s)) == NULL)
		return -1;
	if (is->backlog.len > 0 || (is == ia->cur && ia->held.len > 0) ||
	    tether_session_eof(s))
		return 0;
	if ((tail = tether_session_tail(s, 1)) == NULL)
		return 0;
	ia_keep(&is->backlog, &is->dropped, tail, strlen(tail),
	    IA_BACKLOG_MAX);
	free(tail);
	return 0;
}

size_t
ia_count(struct interact *ia)
{
	return ia->nsess;
}

struct tether_session *
ia_session(struct interact *ia, size_t i)
{
	return i < ia->nsess ? ia->sess[i]->s : NULL;
}

void
ia_mute(struct interact *ia, struct tether_session *s, int mute)
{
	struct ia_sess	*is;

	if ((is = ia_find(ia, s)) != NULL)
		is->mute = mute;
}

void
ia_set_prompt(struct interact *ia, ia_prompt_fn prompt, ia_command_fn cmd,
    void *arg, int start_at_prompt)
{
	ia->prompt = prompt;
	ia->command = cmd;
	ia->arg = arg;
	ia->prompt_only = start_at_prompt;
}

void
ia_set_cancel(struct interact *ia, ia_cancel_fn fn)
{
	ia->cancel = fn;
}

void
ia_history(struct interact *ia, const char *path)
{
	free(ia->hist);
	ia->hist = NULL;
	using_history();
	stifle_history(IA_HISTORY_MAX);
	if (path == NULL)
		return;
	ia->hist = strdup(path);
	read_history(path);
}

void
ia_next_pass(struct interact *ia)
{
	ia->next_pass = 1;
}

void
ia_done(struct interact *ia, int status)
{
	ia->done = 1;
	ia->status = status;
}

/* Records a line in the history unless it is blank or starts blank. */
static void
ia_history_add(struct interact *ia, const char *line)
{
	HIST_ENTRY	*last;
	char		*copy;
	size_t		 len;

	if (line == NULL || *line == '\0' || *line == ' ' || *line == '\t')
		return;
	/* Completion leaves a blank after the last word. */
	len = strlen(line);
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if ((copy = strndup(line, len)) == NULL)
		return;
	last = history_length > 0 ? history_get(history_base +
	    history_length - 1) : NULL;
	if (last == NULL || strcmp(last->line, copy) != 0) {
		add_history(copy);
		if (ia->hist != NULL && append_history(1, ia->hist) != 0)
			write_history(ia->hist);
	}
	free(copy);
}

static void ia_stdin(int, int, void *);

static void
ia_watch_stdin(struct interact *ia, int on)
{
	if (on && ia->in_w == NULL)
		ia->in_w = loop_watch_add(ia->loop, STDIN_FILENO, EPOLLIN,
		    ia_stdin, ia);
	else if (!on && ia->in_w != NULL) {
		loop_watch_del(ia->in_w);
		ia->in_w = NULL;
	}
}

/* Readline's line handler: the line runs after the loop returns. */
static void
ia_rl_line(char *line)
{
	struct interact	*ia = ia_rl;

	rl_callback_handler_remove();
	if (ia == NULL) {
		free(line);
		return;
	}
	ia->rl_on = 0;
	ia->mode = IA_RUNNING;
	ia_watch_stdin(ia, 0);
	free(ia->line);
	ia->line = line;
	ia->have_line = 1;
}

/* Readline's terminal setup, without signal keys: ^C edits the line. */
static void
ia_rl_prep(int meta)
{
	struct termios	t;

	rl_prep_terminal(meta);
	if (tcgetattr(STDIN_FILENO, &t) == 0) {
		t.c_lflag &= ~ISIG;
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
	}
}

/* ^C at the prompt: drop the line being edited. */
static int
ia_rl_cancel(int count, int key)
{
	struct interact	*ia = ia_rl;

	rl_point = rl_end;
	rl_redisplay();
	fputs("^C", rl_outstream);
	rl_crlf();
	rl_replace_line("", 0);
	rl_point = 0;
	if (ia != NULL && ia->cancel != NULL) {
		ia->cancel(ia, ia->arg);
		rl_set_prompt(ia->prompt(ia, ia->arg));
	}
	rl_on_new_line();
	return 0;
}

/* The escape key at the prompt: send it to the session and go back. */
static int
ia_rl_escape(int count, int key)
{
	struct interact	*ia = ia_rl;

	if (ia == NULL || ia->cur == NULL || ia->prompt_only)
		return rl_ding();
	ia->rl_escape = 1;
	rl_replace_line("", 0);
	return rl_newline(1, '\n');
}

static void
ia_enter_prompt(struct interact *ia)
{
	static int	bound;

	if (ia->mode == IA_PASS && !ia_col0)
		ia_write("\r\n", 2);
	fflush(stdout);
	term_cooked(0);
	ia->mode = IA_PROMPT;
	ia_watch_stdin(ia, 1);
	ia_rl = ia;
	if (!bound) {
		rl_catch_signals = 0;
		rl_catch_sigwinch = 0;
		rl_prep_term_function = ia_rl_prep;
		rl_bind_key(0x03, ia_rl_cancel);
		bound = 1;
	}
	if (ia->esc >= 0 && ia->esc != 0x03)
		rl_bind_key(ia->esc, ia_rl_escape);
	rl_callback_handler_install(ia->prompt(ia, ia->arg), ia_rl_line);
	ia->rl_on = 1;
}

static void
ia_enter_pass(struct interact *ia)
{
	if (ia->rl_on) {
		rl_callback_handler_remove();
		ia->rl_on = 0;
	}
	fflush(stdout);
	term_raw();
	ia->mode = IA_PASS;
	ia_watch_stdin(ia, 1);
	ia_flush_held(ia);
	ia_flush_backlog(ia);
}

static void
ia_stdin(int fd, int revents, void *arg)
{
	struct interact	*ia = arg;
	char		 b[IA_READ], *e;
	ssize_t		 n;
	size_t		 i, before;

	if (ia->mode == IA_PROMPT) {
		if (revents & EPOLLIN)
			rl_callback_read_char();
		else if (revents & (EPOLLHUP | EPOLLERR)) {
			ia_watch_stdin(ia, 0);
			ia_done(ia, TETHER_EOF);
		}
		return;
	}
	if (ia->mode != IA_PASS)
		return;
	n = read(STDIN_FILENO, b, sizeof b);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* The terminal went away. */
		ia_watch_stdin(ia, 0);
		ia_done(ia, TETHER_EOF);
		return;
	}
	e = ia->esc >= 0 ? memchr(b, ia->esc, (size_t)n) : NULL;
	before = e != NULL ? (size_t)(e - b) : (size_t)n;
	if (ia->cur != NULL && before > 0 &&
	    buf_append(&ia->keys, b, before) != 0)
		ia_notice(ia, "out of memory: keys dropped");
	if (e == NULL)
		return;
	if (ia->command == NULL) {
		ia_done(ia, 0);
		return;
	}
	ia_enter_prompt(ia);
	for (i = before + 1; i < (size_t)n; i++)
		rl_stuff_char((unsigned char)b[i]);
	if (before + 1 < (size_t)n)
		rl_callback_read_char();
}

static void
ia_signals(int fd, int revents, void *arg)
{
	struct interact	*ia = arg;
	int		 sig;

	while ((sig = term_signal_next()) != 0) {
		if (sig == SIGWINCH)
			ia->winch = 1;
		else if (sig == SIGCONT) {
			if (ia->mode == IA_PASS)
				term_raw();
			else if (ia->mode == IA_PROMPT) {
				term_cooked(1);
				rl_forced_update_display();
			}
		}
	}
}

/* Propagates the terminal's size to every session. */
static void
ia_winsize(struct interact *ia)
{
	int	rows, cols;
	size_t	i;

	ia->winch = 0;
	if (term_size(&rows, &cols) != 0)
		return;
	for (i = 0; i < ia->nsess; i++) {
		if (!tether_session_eof(ia->sess[i]->s))
			tether_session_set_winsize(ia->sess[i]->s, rows, cols);
	}
	if (ia->rl_on)
		rl_resize_terminal();
}

/* Hands the typed keys to the current session. */
static void
ia_send_keys(struct interact *ia)
{
	struct tether_session	*s;
	char			*k;
	size_t			 n;
	int			 r;

	if (ia->keys.len == 0)
		return;
	if (ia->cur == NULL || tether_session_eof(ia->cur->s)) {
		buf_reset(&ia->keys);
		return;
	}
	s = ia->cur->s;
	n = ia->keys.len;
	if ((k = buf_steal(&ia->keys)) == NULL)
		return;
	if (ia->tap != NULL && ia->tap->keys != NULL)
		ia->tap->keys(ia->tap->arg, s, k, n);
	/* expect at the prompt looks at what came after the last key. */
	tether_session_flush(s);
	r = tether_session_send(s, k, n, 0, tether_now_ms() + IA_SEND_WITHIN);
	explicit_bzero(k, n);
	free(k);
	if (r != 0 && r != TETHER_EINTR && !tether_session_eof(s))
		ia_notice(ia, "%s", tether_loop_errmsg(ia->loop));
}

/* Notices sessions that ended; leaves the current one if it did. */
static void
ia_check_eof(struct interact *ia)
{
	struct ia_sess	*is;
	size_t		 i;
	int		 st, left = 0;

	for (i = 0; i < ia->nsess; i++) {
		is = ia->sess[i];
		if (!is->ended && tether_session_eof(is->s)) {
			is->ended = 1;
			if (is->mute)
				continue;
			if (tether_session_pid(is->s) != -1 &&
			    tether_session_wait(is->s, tether_now_ms() + 1000,
			    &st) == 0)
				ia_notice(ia, "%s: program exited with "
				    "status %d", tether_session_name(is->s), st);
			else
				ia_notice(ia, "%s: connection closed",
				    tether_session_name(is->s));
		}
		if (!is->ended)
			left++;
	}
	if (ia->cur == NULL || !ia->cur->ended || ia->mode != IA_PASS ||
	    ia->prompt_only)
		return;
	if (ia->command == NULL || left == 0) {
		ia_done(ia, TETHER_EOF);
		return;
	}
	ia_notice(ia, "%d other session%s open: switch or quit", left,
	    left == 1 ? "" : "s");
	ia_enter_prompt(ia);
}

/* Runs the line readline accepted, then goes back to a mode. */
static void
ia_run_line(struct interact *ia)
{
	char	*line = ia->line;

	ia->line = NULL;
	ia->have_line = 0;
	if (ia->rl_escape) {
		ia->rl_escape = 0;
		free(line);
		if (buf_putc(&ia->keys, ia->esc) != 0)
			return;
		ia_enter_pass(ia);
		return;
	}
	ia_history_add(ia, line);
	ia_col0 = 1;		/* readline ended the line */
	term_cooked(1);
	ia_flush_held(ia);
	ia->next_pass = 0;
	/* An interact statement run by the command watches on its own. */
	loop_watch_del(ia->sig_w);
	ia->sig_w = NULL;
	ia->command(ia, line, ia->arg);
	free(line);
	fflush(stdout);
	if (term_sigfd() != -1)
		ia->sig_w = loop_watch_add(ia->loop, term_sigfd(), EPOLLIN,
		    ia_signals, ia);
	if (ia->done)
		return;
	if (ia->next_pass && ia->cur != NULL && !ia->cur->ended &&
	    !ia->prompt_only)
		ia_enter_pass(ia);
	else
		ia_enter_prompt(ia);
}

int
ia_run(struct interact *ia)
{
	int	r;

	ia->done = 0;
	ia->status = 0;
	if (term_sigfd() != -1 && ia->sig_w == NULL)
		ia->sig_w = loop_watch_add(ia->loop, term_sigfd(), EPOLLIN,
		    ia_signals, ia);
	ia_winsize(ia);
	if (ia->prompt_only || (ia->cur == NULL && ia->command != NULL))
		ia_enter_prompt(ia);
	else
		ia_enter_pass(ia);
	while (!ia->done) {
		r = tether_loop_once(ia->loop, -1);
		if (r == TETHER_EINTR) {
			ia_done(ia, TETHER_EINTR);
			break;
		}
		if (r < 0 && r != TETHER_ETIMEDOUT) {
			ia_done(ia, r);
			break;
		}
		if (ia->winch)
			ia_winsize(ia);
		ia_send_keys(ia);
		if (ia->have_line)
			ia_run_line(ia);
		else
			ia_check_eof(ia);
	}
	if (ia->rl_on) {
		rl_callback_handler_remove();
		ia->rl_on = 0;
	}
	ia_watch_stdin(ia, 0);
	loop_watch_del(ia->sig_w);
	ia->sig_w = NULL;
	fflush(stdout);
	term_cooked(0);
	if (!ia_col0)
		ia_write("\n", 1);
	ia->mode = IA_PASS;
	return ia->status;
}

int
cli_interact(struct tether_session *s, int escape_char)
{
	struct tether_loop	*loop = tether_session_loop(s);
	struct interact		*ia = NULL;
	const char		*name = tether_session_name(s);
	char			*tail;
	int			 r;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "interact %s: "
		    "no terminal to hand over (standard input and output "
		    "are not a terminal)", name);
	if (tether_session_eof(s))
		return tether_loop_seterr(loop, TETHER_EOF, "interact %s: "
		    "the session has ended", name);
	if (escape_char < 0 || escape_char > 0x7f)
		escape_char = IA_ESCAPE_DEFAULT;
	if (term_open(STDIN_FILENO, loop) != 0)
		return tether_loop_seterr(loop, TETHER_ENOTSUP, "interact %s: "
		    "cannot set up the terminal", name);
	if ((ia = ia_new(loop, escape_char)) == NULL ||
	    ia_add(ia, s) != 0) {
		r = TETHER_ENOMEM;
		goto out;
	}
	ia_notice(ia, "interact %s: %s returns to the playbook", name,
	    ia_key_name(escape_char));
	if ((tail = tether_session_tail(s, 1)) != NULL) {
		ia_write(tail, strlen(tail));
		free(tail);
	}
	r = ia_run(ia);
	if (r == TETHER_EOF)
		r = tether_loop_seterr(loop, r, "interact %s: the session "
		    "ended", name);
	else if (r == TETHER_EINTR)
		r = tether_loop_seterr(loop, r, "interact %s: interrupted",
		    name);
	else if (r < 0)
		r = tether_loop_seterr(loop, r, "interact %s: %s", name,
		    tether_strerror(r));
out:
	ia_free(ia);
	term_close();
	return r;
}
