/* SPDX-License-Identifier: ISC */
/*
 * monitor-parse.h - pure text helpers for the QEMU human monitor: output
 * cleaning and the parsers behind tether_hmp_parse().
 */
#ifndef MONITOR_PARSE_H
#define MONITOR_PARSE_H

#include <stddef.h>

#include <jansson.h>

#define MONITOR_PROMPT	"(qemu) "

/*
 * Cleans len bytes of HMP output: removes escape sequences, carriage
 * returns, the echoed command line (when it ends with cmd; cmd NULL keeps
 * the first line) and a trailing "(qemu) " prompt.  Returns a new string
 * (caller frees), or NULL when out of memory.
 */
char	*monitor_clean(const char *raw, size_t len, const char *cmd);
/*
 * Normalises an HMP command line (blanks collapsed, trimmed) into dst of
 * size dstsz.  Returns dst.
 */
char	*monitor_normalize(const char *cmd, char *dst, size_t dstsz);
/* Returns nonzero when cmd ends the monitor ("quit", "q"). */
int	 monitor_is_quit(const char *cmd);

/*
 * Each returns a new JSON value (an array for pci and cpus, an object for
 * status and migrate), or NULL when text does not parse.
 */
json_t	*monitor_parse_pci(const char *text);
json_t	*monitor_parse_cpus(const char *text);
json_t	*monitor_parse_status(const char *text);
json_t	*monitor_parse_migrate(const char *text);

#endif /* MONITOR_PARSE_H */
