/* SPDX-License-Identifier: ISC */
/*
 * attach.h - what the files of tether attach share: the state of one
 * attach, the prompt that runs its lines through the playbook parser and
 * interpreter (attach-prompt.c) and the attach-only verbs (attach-verbs.c).
 */
#ifndef ATTACH_H
#define ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "buf.h"
#include "builtin.h"
#include "interact.h"
#include "interp.h"
#include "tether.h"

struct loop_timer;
struct rec;

/* The HMP command names of a monitor session, for completion. */
struct att_hmp {
	char			*name;		/* the session's */
	char			**cmds;
	size_t			 ncmds;
	char			**info;
	size_t			 ninfo;
};

struct att {
	struct tether_loop	*loop;
	struct interact		*ia;
	struct interp		*ip;
	const char		*log_dir;
	int			 esc;
	struct att_hmp		*hmp;
	size_t			 nhmp;
	struct ast_program	*empty;		/* the interpreter's at rest */
	struct ast_program	**progs;	/* every line's: defs, watches */
	size_t			 nprogs;
	char			*opened;	/* first session a line opened */
	struct buf		 opened_all;	/* "\nNAME\n" of each */
	char			*fail_msg;	/* the line's failure */
	char			*fail_tail;
	int64_t			 t0;		/* when the line started */
	char			 prompt[256];
	struct rec		*rec;		/* tether record's, or NULL */
	int			 no_record;	/* the line: no statement */
	struct loop_timer	*silent;	/* looks for silent sessions */
	struct buf		 told_silent;	/* "\nNAME\n" of each told */
};

/* A connection that received nothing this long is told (ms). */
#define ATT_SILENT_MS	2000

/*
 * cmd-attach.c
 */

/*
 * tether attach, and tether record (cmd "record": the first word is the
 * playbook to write).  Returns a tether(1) exit status.
 */
int	 att_main(int argc, char **argv, const char *cmd);
/*
 * Returns nonzero when s is a connection that has received nothing
 * ATT_SILENT_MS after its open (another client may hold the console).
 */
int	 att_silent(struct tether_session *);

/*
 * attach-prompt.c
 */

/*
 * Sets up the interpreter of a's prompt and registers the attach verbs.
 * Returns 0, or -1 after a message.
 */
int	 att_prompt_init(struct att *);
/* Frees what att_prompt_init and the lines made. */
void	 att_prompt_free(struct att *);
/* Runs one line typed at the prompt (an ia_command_fn). */
void	 att_command(struct interact *, char *line, void *arg);
/* Returns the prompt (an ia_prompt_fn). */
const char *att_prompt(struct interact *, void *arg);
/* Readline's completion of a prompt line. */
char	**att_complete(const char *text, int start, int end);
/* Sets the attach that completion and interact work on (NULL: none). */
void	 att_complete_on(struct att *);
/* Frees the candidates of the last completion. */
void	 att_complete_reset(void);

/*
 * attach-verbs.c
 */

/* Returns the attach-only verbs, terminated by a NULL name. */
const struct builtin *att_verbs(void);
/* Returns the prompt's hmp: the playbook's, printing the monitor's text. */
const struct builtin *att_hmp_verb(void);
/* Prints the prompt's commands, or the one named name (may be NULL). */
void	 att_help(struct att *, const char *name);
/* Returns the name of the i-th command help lists, NULL past the last. */
const char *att_doc_name(size_t i);
/* Returns the attached session named name (or numbered, from 1). */
struct tether_session *att_find(struct att *, const char *name);
/* Returns nonzero when s is an hmp: session. */
int	 att_is_hmp(struct tether_session *);
/* Returns the hmp: session a command without a name means, or NULL. */
struct tether_session *att_default_hmp(struct att *);
/* Makes s the session the terminal talks to, and says so. */
void	 att_go(struct att *, struct tether_session *);
/* Reads the command names of an HMP session for completion, once. */
void	 att_hmp_learn(struct att *, struct tether_session *);
/* Forgets the HMP command names of the session named name. */
void	 att_hmp_forget(struct att *, const char *name);
/* Returns the HMP command names of s, or NULL. */
struct att_hmp *att_hmp_of(struct att *, struct tether_session *);
/* Returns the names to offer when a monitor's help is unknown. */
const char *const *att_hmp_fallback_names(int info);
/* Prints len bytes of s with control characters made visible. */
void	 att_print_visible(const char *s, size_t len);

#endif /* ATTACH_H */
