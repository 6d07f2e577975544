/* SPDX-License-Identifier: ISC */
/*
 * monitor-parse.c - turns QEMU human monitor text into clean text and,
 * for "info pci", "info cpus", "info status" and "info migrate", into
 * JSON values.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor-parse.h"
#include "tether.h"

/* One line of a copied text; the parsers walk them in order. */
struct lines {
	char	*copy;
	char	*next;
};

static void
lines_init(struct lines *l, char *copy)
{
	l->copy = copy;
	l->next = copy;
}

/* Returns the next line (NUL-terminated, trailing blanks cut) or NULL. */
static char *
lines_next(struct lines *l)
{
	char	*line, *nl;
	size_t	 n;

	if (l->next == NULL || *l->next == '\0')
		return NULL;
	line = l->next;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		l->next = nl + 1;
	} else
		l->next = NULL;
	n = strlen(line);
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		line[--n] = '\0';
	return line;
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Matches lit at *p; a blank in lit matches any run of blanks (none too).
 * Advances *p and returns 1 on a match, else 0.
 */
static int
scan_lit(const char **p, const char *lit)
{
	const char	*s = *p;

	for (; *lit != '\0'; lit++) {
		if (*lit == ' ') {
			s = skip_blanks(s);
			continue;
		}
		if (*s != *lit)
			return 0;
		s++;
	}
	*p = s;
	return 1;
}

/* Parses an unsigned number in base (0: C prefixes) at *p. */
static int
scan_num(const char **p, int base, unsigned long long *v)
{
	const char	*s = *p;
	char		*end;

	if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s) ||
	    (base == 10 && !isdigit((unsigned char)*s)))
		return 0;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno != 0 || end == s)
		return 0;
	*p = end;
	return 1;
}

static int
blank_text(const char *text)
{
	for (; *text != '\0'; text++)
		if (!isspace((unsigned char)*text))
			return 0;
	return 1;
}

static json_t *
json_uint(unsigned long long v)
{
	return json_integer((json_int_t)v);
}

/* Returns a JSON string of n bytes; bytes that are not UTF-8 become '?'. */
static json_t *
json_text(const char *s, size_t n)
{
	json_t	*v;
	char	*copy;
	size_t	 i;

	if ((v = json_stringn(s, n)) != NULL)
		return v;
	if ((copy = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		copy[i] = (unsigned char)s[i] < 0x80 && s[i] != '\0' ?
		    s[i] : '?';
	copy[n] = '\0';
	v = json_stringn(copy, n);
	free(copy);
	return v;
}

char *
monitor_normalize(const char *cmd, char *dst, size_t dstsz)
{
	size_t	n = 0;
	int	blank = 0;

	if (dstsz == 0)
		return dst;
	for (; *cmd != '\0'; cmd++) {
		if (isspace((unsigned char)*cmd)) {
			blank = n > 0;
			continue;
		}
		if (blank && n + 1 < dstsz)
			dst[n++] = ' ';
		blank = 0;
		if (n + 1 < dstsz)
			dst[n++] = *cmd;
	}
	dst[n] = '\0';
	return dst;
}

int
monitor_is_quit(const char *cmd)
{
	char	n[16];

	monitor_normalize(cmd, n, sizeof n);
	return strcmp(n, "quit") == 0 || strcmp(n, "q") == 0;
}

/*
 * Escape sequences: ESC [ params intermediates final, ESC ] ... BEL or
 * ESC \, and ESC followed by one byte; BEL, NUL and CR are dropped.
 */
static size_t
clean_escapes(const char *raw, size_t len, char *out)
{
	size_t	i = 0, n = 0;
	int	c;

	while (i < len) {
		c = (unsigned char)raw[i++];
		if (c == 0x1b) {
			if (i >= len)
				break;
			c = (unsigned char)raw[i++];
			if (c == '[') {
				while (i < len &&
				    (unsigned char)raw[i] >= 0x20 &&
				    (unsigned char)raw[i] <= 0x3f)
					i++;
				if (i < len && (unsigned char)raw[i] >= 0x40 &&
				    (unsigned char)raw[i] <= 0x7e)
					i++;
			} else if (c == ']') {
				while (i < len && raw[i] != '\a') {
					if (raw[i] == 0x1b && i + 1 < len &&
					    raw[i + 1] == '\\') {
						i++;
						break;
					}
					i++;
				}
				if (i < len)
					i++;
			}
			continue;
		}
		if (c == '\r' || c == '\a' || c == '\0')
			continue;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

char *
monitor_clean(const char *raw, size_t len, const char *cmd)
{
	char		*out, *nl, *start;
	const char	*c;
	size_t		 n, clen, plen = strlen(MONITOR_PROMPT), linelen;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	n = clean_escapes(raw, len, out);
	start = out;
	if (n >= plen && strncmp(start, MONITOR_PROMPT, plen) == 0) {
		start += plen;
		n -= plen;
	}
	if (cmd != NULL) {
		c = skip_blanks(cmd);
		clen = strlen(c);
		while (clen > 0 && isspace((unsigned char)c[clen - 1]))
			clen--;
		nl = memchr(start, '\n', n);
		linelen = nl != NULL ? (size_t)(nl - start) : n;
		while (linelen > 0 && start[linelen - 1] == ' ')
			linelen--;
		if (clen > 0 && linelen >= clen &&
		    memcmp(start + linelen - clen, c, clen) == 0) {
			if (nl != NULL) {
				n -= (size_t)(nl + 1 - start);
				start = nl + 1;
			} else {
				start += n;
				n = 0;
			}
		}
	}
	if (n >= plen && memcmp(start + n - plen, MONITOR_PROMPT, plen) == 0)
		n -= plen;
	memmove(out, start, n);
	out[n] = '\0';
	return out;
}

/*
 * bar := "BAR" N ":" ( "I/O" | N "bit" ["prefetchable"] "memory" )
 *        "at" HEX "[" HEX "]" "."
 */
static json_t *
parse_bar(const char *p)
{
	unsigned long long	 idx, bits = 0, addr, end;
	json_t			*bar;
	const char		*type;
	int			 prefetch = 0;

	if (!scan_lit(&p, "BAR") || !scan_num(&p, 10, &idx) ||
	    !scan_lit(&p, ": "))
		return NULL;
	if (scan_lit(&p, "I/O ")) {
		type = "io";
	} else {
		if (!scan_num(&p, 10, &bits) || !scan_lit(&p, " bit "))
			return NULL;
		if (scan_lit(&p, "prefetchable "))
			prefetch = 1;
		if (!scan_lit(&p, "memory "))
			return NULL;
		type = "memory";
	}
	if (!scan_lit(&p, "at ") || !scan_num(&p, 16, &addr) ||
	    !scan_lit(&p, " [") || !scan_num(&p, 16, &end) ||
	    !scan_lit(&p, "]"))
		return NULL;
	if ((bar = json_object()) == NULL)
		return NULL;
	json_object_set_new(bar, "bar", json_uint(idx));
	json_object_set_new(bar, "type", json_string(type));
	if (bits != 0)
		json_object_set_new(bar, "bits", json_uint(bits));
	json_object_set_new(bar, "prefetch", json_boolean(prefetch));
	/* An unassigned BAR is at all-ones: -1, as query-pci says. */
	json_object_set_new(bar, "address", json_integer((json_int_t)addr));
	json_object_set_new(bar, "size", json_uint(end - addr + 1));
	return bar;
}

/* Sets key to the JSON string between the first and the last '"'. */
static void
set_quoted(json_t *obj, const char *key, const char *p)
{
	const char	*q, *e;
	json_t		*v;

	if ((q = strchr(p, '"')) == NULL || (e = strrchr(q + 1, '"')) == NULL)
		return;
	if ((v = json_text(q + 1, (size_t)(e - q - 1))) != NULL)
		json_object_set_new(obj, key, v);
}

static json_t *
pci_device_new(unsigned long long bus, unsigned long long dev,
    unsigned long long fn)
{
	json_t	*d;

	if ((d = json_object()) == NULL)
		return NULL;
	json_object_set_new(d, "bus", json_uint(bus));
	json_object_set_new(d, "device", json_uint(dev));
	json_object_set_new(d, "function", json_uint(fn));
	json_object_set_new(d, "class", json_string(""));
	json_object_set_new(d, "vendor", json_integer(0));
	json_object_set_new(d, "device_id", json_integer(0));
	json_object_set_new(d, "id", json_string(""));
	json_object_set_new(d, "bars", json_array());
	return d;
}

/*
 * info pci := { device }
 * device := "Bus" N "," "device" N "," "function" N ":"
 *           CLASS ":" "PCI device" HEX ":" HEX
 *           { "PCI subsystem" HEX ":" HEX | "IRQ" N ... | bar
 *             | "secondary bus" N | "subordinate bus" N | "id" QUOTED
 *             | other line }
 */
json_t *
monitor_parse_pci(const char *text)
{
	struct lines		 l;
	char			*copy = NULL, *line, *cls;
	const char		*p;
	json_t			*arr = NULL, *d = NULL, *bar;
	unsigned long long	 a, b, c;

	if ((copy = strdup(text)) == NULL || (arr = json_array()) == NULL)
		goto fail;
	lines_init(&l, copy);
	while ((line = lines_next(&l)) != NULL) {
		p = skip_blanks(line);
		if (scan_lit(&p, "Bus ")) {
			if (!scan_num(&p, 10, &a) ||
			    !scan_lit(&p, ", device ") ||
			    !scan_num(&p, 10, &b) ||
			    !scan_lit(&p, ", function ") ||
			    !scan_num(&p, 10, &c)) {
				d = NULL;
				continue;
			}
			if ((d = pci_device_new(a, b, c)) == NULL ||
			    json_array_append_new(arr, d) != 0)
				goto fail;
			continue;
		}
		if (d == NULL)
			continue;
		if ((cls = strstr(p, ": PCI device ")) != NULL) {
			json_object_set_new(d, "class",
			    json_text(p, (size_t)(cls - p)));
			p = cls + strlen(": PCI device ");
			if (scan_num(&p, 16, &a) && scan_lit(&p, ":") &&
			    scan_num(&p, 16, &b)) {
				json_object_set_new(d, "vendor", json_uint(a));
				json_object_set_new(d, "device_id",
				    json_uint(b));
			}
		} else if (scan_lit(&p, "PCI subsystem ")) {
			if (scan_num(&p, 16, &a) && scan_lit(&p, ":") &&
			    scan_num(&p, 16, &b)) {
				json_object_set_new(d, "subsystem_vendor",
				    json_uint(a));
				json_object_set_new(d, "subsystem_id",
				    json_uint(b));
			}
		} else if (scan_lit(&p, "IRQ ")) {
			if (scan_num(&p, 10, &a))
				json_object_set_new(d, "irq", json_uint(a));
		} else if (strncmp(p, "BAR", 3) == 0) {
			if ((bar = parse_bar(p)) != NULL)
				json_array_append_new(json_object_get(d,
				    "bars"), bar);
		} else if (scan_lit(&p, "secondary bus ")) {
			if (scan_num(&p, 10, &a))
				json_object_set_new(d, "secondary_bus",
				    json_uint(a));
		} else if (scan_lit(&p, "subordinate bus ")) {
			if (scan_num(&p, 10, &a))
				json_object_set_new(d, "subordinate_bus",
				    json_uint(a));
		} else if (scan_lit(&p, "id \""))
			set_quoted(d, "id", p - 1);
	}
	if (json_array_size(arr) == 0 && !blank_text(text))
		goto fail;
	free(copy);
	return arr;
fail:
	free(copy);
	json_decref(arr);
	return NULL;
}

/*
 * info cpus := { ["*"] "CPU #" N ":" { KEY "=" VALUE | "(halted)" } }
 * pc is taken from pc=, nip= or PC=; absent (QEMU >= 2.12) gives null.
 */
json_t *
monitor_parse_cpus(const char *text)
{
	struct lines		 l;
	char			*copy = NULL, *line, *tok, *save;
	const char		*p, *v;
	json_t			*arr = NULL, *cpu;
	unsigned long long	 n;
	int			 current;

	if ((copy = strdup(text)) == NULL || (arr = json_array()) == NULL)
		goto fail;
	lines_init(&l, copy);
	while ((line = lines_next(&l)) != NULL) {
		p = skip_blanks(line);
		current = *p == '*';
		if (current)
			p = skip_blanks(p + 1);
		if (!scan_lit(&p, "CPU #") || !scan_num(&p, 10, &n) ||
		    !scan_lit(&p, ":"))
			continue;
		if ((cpu = json_object()) == NULL ||
		    json_array_append_new(arr, cpu) != 0)
			goto fail;
		json_object_set_new(cpu, "cpu", json_uint(n));
		json_object_set_new(cpu, "current", json_boolean(current));
		json_object_set_new(cpu, "pc", json_null());
		json_object_set_new(cpu, "halted", json_false());
		json_object_set_new(cpu, "thread_id", json_null());
		for (tok = strtok_r((char *)p, " \t", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t", &save)) {
			if (strcmp(tok, "(halted)") == 0) {
				json_object_set_new(cpu, "halted", json_true());
				continue;
			}
			v = tok;
			if (scan_lit(&v, "pc=") || scan_lit(&v, "nip=") ||
			    scan_lit(&v, "PC=")) {
				if (scan_num(&v, 16, &n))
					json_object_set_new(cpu, "pc",
					    json_uint(n));
			} else if (scan_lit(&v, "thread_id=")) {
				if (scan_num(&v, 10, &n))
					json_object_set_new(cpu, "thread_id",
					    json_uint(n));
			}
		}
	}
	if (json_array_size(arr) == 0 && !blank_text(text))
		goto fail;
	free(copy);
	return arr;
fail:
	free(copy);
	json_decref(arr);
	return NULL;
}

/*
 * info status := "VM status:" ("running" | "paused")
 *                ["(single step mode)"] ["(" RUNSTATE ")"]
 * state is the run state as query-status names it.
 */
json_t *
monitor_parse_status(const char *text)
{
	struct lines	 l;
	char		*copy = NULL, *line, *q, *e;
	const char	*p;
	json_t		*obj = NULL;
	int		 running, singlestep = 0;
	const char	*state;

	if ((copy = strdup(text)) == NULL)
		goto out;
	lines_init(&l, copy);
	while ((line = lines_next(&l)) != NULL) {
		p = skip_blanks(line);
		if (scan_lit(&p, "VM status: "))
			break;
	}
	if (line == NULL)
		goto out;
	if (scan_lit(&p, "running"))
		running = 1;
	else if (scan_lit(&p, "paused"))
		running = 0;
	else
		goto out;
	state = running ? "running" : "paused";
	while ((q = strchr(p, '(')) != NULL && (e = strchr(q, ')')) != NULL) {
		*e = '\0';
		if (strcmp(q + 1, "single step mode") == 0)
			singlestep = 1;
		else if (q[1] != '\0')
			state = q + 1;
		p = e + 1;
	}
	if ((obj = json_object()) == NULL)
		goto out;
	json_object_set_new(obj, "running", json_boolean(running));
	json_object_set_new(obj, "state", json_text(state, strlen(state)));
	json_object_set_new(obj, "singlestep", json_boolean(singlestep));
out:
	free(copy);
	return obj;
}

/* Keys: lower case, blanks and '-' as '_'; "Migration status" is status. */
static void
migrate_key(char *k)
{
	for (; *k != '\0'; k++) {
		if (*k == ' ' || *k == '-' || *k == '\t')
			*k = '_';
		else
			*k = (char)tolower((unsigned char)*k);
	}
}

static json_t *
migrate_value(const char *v)
{
	const char	*p = v;
	char		*end;
	long long	 n;

	if (*p == '-')
		p++;
	if (*p != '\0' && isdigit((unsigned char)*p)) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(n);
	}
	return json_text(v, strlen(v));
}

/*
 * info migrate := { KEY ":" [VALUE] }
 * "Migration status: STATUS [(ERROR)]" gives status and error; a KEY
 * with no value (a section header such as "globals:") is skipped.
 */
json_t *
monitor_parse_migrate(const char *text)
{
	struct lines	 l;
	char		*copy = NULL, *line, *colon, *v, *e;
	json_t		*obj = NULL;
	int		 pairs = 0;

	if ((copy = strdup(text)) == NULL || (obj = json_object()) == NULL)
		goto fail;
	lines_init(&l, copy);
	while ((line = lines_next(&l)) != NULL) {
		line = (char *)skip_blanks(line);
		if ((colon = strchr(line, ':')) == NULL || colon == line)
			continue;
		*colon = '\0';
		v = (char *)skip_blanks(colon + 1);
		if (*v == '\0')
			continue;
		pairs++;
		if (strcmp(line, "Migration status") == 0) {
			if ((e = strchr(v, ' ')) != NULL) {
				*e++ = '\0';
				e = (char *)skip_blanks(e);
				if (*e == '(') {
					e++;
					if (*e != '\0' && e[strlen(e) - 1] ==
					    ')')
						e[strlen(e) - 1] = '\0';
				}
				json_object_set_new(obj, "error",
				    json_text(e, strlen(e)));
			}
			json_object_set_new(obj, "status",
			    json_text(v, strlen(v)));
			continue;
		}
		migrate_key(line);
		json_object_set_new(obj, line, migrate_value(v));
	}
	if (pairs == 0 && !blank_text(text))
		goto fail;
	if (json_object_get(obj, "status") == NULL)
		json_object_set_new(obj, "status", json_string("none"));
	free(copy);
	return obj;
fail:
	free(copy);
	json_decref(obj);
	return NULL;
}

json_t *
tether_hmp_parse(const char *cmd, const char *text)
{
	char	n[64];

	if (cmd == NULL || text == NULL)
		return NULL;
	monitor_normalize(cmd, n, sizeof n);
	if (strcmp(n, "info pci") == 0)
		return monitor_parse_pci(text);
	if (strcmp(n, "info cpus") == 0)
		return monitor_parse_cpus(text);
	if (strcmp(n, "info status") == 0)
		return monitor_parse_status(text);
	if (strcmp(n, "info migrate") == 0)
		return monitor_parse_migrate(text);
	return NULL;
}
