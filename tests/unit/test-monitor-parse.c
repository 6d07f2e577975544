/* SPDX-License-Identifier: ISC */
/*
 * test-monitor-parse.c - HMP output cleaning and the info parsers, run on
 * output captured from Debian 12's QEMU 7.2 (tests/unit/data/README).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "monitor-parse.h"
#include "tether.h"

static char *
data_path(const char *name)
{
	const char	*dir;
	static char	 path[4096];

	if ((dir = getenv("TETHER_SRCDIR")) != NULL)
		snprintf(path, sizeof path, "%s/tests/unit/data/%s", dir, name);
	else
		snprintf(path, sizeof path, "%s/%s", TEST_DATADIR, name);
	return path;
}

/* Returns the file's bytes (NUL-terminated) and their number in *len. */
static char *
slurp(const char *name, size_t *len)
{
	FILE	*f;
	char	*data;
	long	 n;

	f = fopen(data_path(name), "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return data;
}

static json_t *
parse_file(const char *cmd, const char *name)
{
	char	*text;
	json_t	*v;

	text = slurp(name, NULL);
	v = tether_hmp_parse(cmd, text);
	free(text);
	assert_non_null(v);
	return v;
}

static json_int_t
int_of(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
str_of(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static int
bool_of(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	assert_non_null(v);
	assert_true(json_is_boolean(v));
	return json_is_true(v);
}

static const struct {
	const char	*file;
	const char	*cmd;
} captures[] = {
	{ "hmp-info-pci", "info pci" },
	{ "hmp-info-pci-running", "info pci" },
	{ "hmp-info-cpus", "info cpus" },
	{ "hmp-info-cpus-running", "info cpus" },
	{ "hmp-info-status", "info status" },
	{ "hmp-info-status-running", "info status" },
	{ "hmp-info-status-paused", "info status" },
	{ "hmp-info-status-postmigrate", "info status" },
	{ "hmp-info-migrate", "info migrate" },
	{ "hmp-info-migrate-completed", "info migrate" },
};
#define NCAPTURES (sizeof captures / sizeof captures[0])

/* The raw bytes QEMU sent, echo and all, clean to the expected text. */
static void
test_clean_captures(void **state)
{
	char	 name[256], *raw, *want, *got;
	size_t	 i, len;

	for (i = 0; i < NCAPTURES; i++) {
		snprintf(name, sizeof name, "%s.raw", captures[i].file);
		raw = slurp(name, &len);
		snprintf(name, sizeof name, "%s.txt", captures[i].file);
		want = slurp(name, NULL);
		got = monitor_clean(raw, len, captures[i].cmd);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(got);
		free(raw);
		free(want);
	}
}

static void
test_clean_greeting(void **state)
{
	char	*raw, *got;
	size_t	 len;

	raw = slurp("hmp-greet.raw", &len);
	got = monitor_clean(raw, len, NULL);
	assert_string_equal(got,
	    "QEMU 7.2.22 monitor - type 'help' for more information\n");
	free(got);
	free(raw);
}

static void
test_clean_edges(void **state)
{
	char	*got;

	/* A command with no output: only the echo and the prompt. */
	got = monitor_clean("s\x1b[K\x1b[Dst\x1b[K\x1b[D\x1b[Dsto"
	    "\x1b[K\x1b[D\x1b[D\x1b[Dstop\x1b[K\r\n(qemu) ", 42, "stop");
	assert_string_equal(got, "");
	free(got);
	/* Echo already stripped by the session's view, no CR. */
	got = monitor_clean("iininfo\nVM status: running\n(qemu) ", 34,
	    "info");
	assert_string_equal(got, "VM status: running\n");
	free(got);
	/* No echo: the first line is kept. */
	got = monitor_clean("VM status: running\r\n", 20, "info status");
	assert_string_equal(got, "VM status: running\n");
	free(got);
	/* Truncated escape sequences at the end do not overrun. */
	got = monitor_clean("abc\x1b", 4, NULL);
	assert_string_equal(got, "abc");
	free(got);
	got = monitor_clean("abc\x1b[12", 7, NULL);
	assert_string_equal(got, "abc");
	free(got);
	got = monitor_clean("a\x1b]0;title\ab", 12, NULL);
	assert_string_equal(got, "ab");
	free(got);
}

static json_t *
find_pci(json_t *arr, json_int_t bus, json_int_t dev, json_int_t fn)
{
	size_t	 i;
	json_t	*d;

	json_array_foreach(arr, i, d) {
		if (int_of(d, "bus") == bus && int_of(d, "device") == dev &&
		    int_of(d, "function") == fn)
			return d;
	}
	return NULL;
}

static void
test_pci_running(void **state)
{
	json_t	*arr, *d, *bars, *b;

	arr = parse_file("info pci", "hmp-info-pci-running.txt");
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 9);

	/* virtio-net behind the pci-bridge. */
	d = find_pci(arr, 1, 3, 0);
	assert_non_null(d);
	assert_string_equal(str_of(d, "class"), "Ethernet controller");
	assert_int_equal(int_of(d, "vendor"), 0x1af4);
	assert_int_equal(int_of(d, "device_id"), 0x1000);
	assert_string_equal(str_of(d, "id"), "net1");
	assert_int_equal(int_of(d, "irq"), 10);
	bars = json_object_get(d, "bars");
	assert_int_equal(json_array_size(bars), 4);
	b = json_array_get(bars, 0);
	assert_int_equal(int_of(b, "bar"), 0);
	assert_string_equal(str_of(b, "type"), "io");
	assert_int_equal(int_of(b, "address"), 0xc000);
	assert_int_equal(int_of(b, "size"), 0x20);
	b = json_array_get(bars, 2);
	assert_int_equal(int_of(b, "bar"), 4);
	assert_string_equal(str_of(b, "type"), "memory");
	assert_int_equal(int_of(b, "bits"), 64);
	assert_true(bool_of(b, "prefetch"));
	assert_int_equal(int_of(b, "size"), 0x4000);
	/* The ROM BAR is unassigned: address -1, size still right. */
	b = json_array_get(bars, 3);
	assert_int_equal(int_of(b, "address"), -1);
	assert_int_equal(int_of(b, "size"), 0x40000);

	/* The bridge itself. */
	d = find_pci(arr, 0, 2, 0);
	assert_string_equal(str_of(d, "class"), "PCI bridge");
	assert_string_equal(str_of(d, "id"), "br0");
	assert_int_equal(int_of(d, "secondary_bus"), 1);
	assert_int_equal(int_of(d, "subordinate_bus"), 1);

	/* e1000 with no id=. */
	d = find_pci(arr, 0, 4, 0);
	assert_int_equal(int_of(d, "vendor"), 0x8086);
	assert_int_equal(int_of(d, "device_id"), 0x100e);
	assert_string_equal(str_of(d, "id"), "");
	assert_int_equal(int_of(d, "subsystem_vendor"), 0x1af4);
	assert_int_equal(int_of(d, "subsystem_id"), 0x1100);

	/* virtio-blk. */
	d = find_pci(arr, 0, 5, 0);
	assert_string_equal(str_of(d, "class"), "SCSI controller");
	assert_string_equal(str_of(d, "id"), "blk0");
	json_decref(arr);
}

/* Checks every device of a query-pci bus list against the parsed list. */
static size_t
check_qmp_bus(json_t *parsed, json_t *devices, json_int_t bus)
{
	size_t	 i, j, n = 0;
	json_t	*q, *d, *qid, *br, *qbars, *pbars, *qb, *pb;
	const char *qdev;

	json_array_foreach(devices, i, q) {
		d = find_pci(parsed, bus, int_of(q, "slot"),
		    int_of(q, "function"));
		assert_non_null(d);
		qid = json_object_get(q, "id");
		assert_int_equal(int_of(d, "vendor"), int_of(qid, "vendor"));
		assert_int_equal(int_of(d, "device_id"),
		    int_of(qid, "device"));
		qdev = str_of(q, "qdev_id");
		assert_string_equal(str_of(d, "id"), qdev);
		qbars = json_object_get(q, "regions");
		pbars = json_object_get(d, "bars");
		assert_int_equal(json_array_size(qbars),
		    json_array_size(pbars));
		json_array_foreach(qbars, j, qb) {
			pb = json_array_get(pbars, j);
			assert_int_equal(int_of(pb, "bar"), int_of(qb, "bar"));
			assert_int_equal(int_of(pb, "address"),
			    int_of(qb, "address"));
			assert_int_equal(int_of(pb, "size"),
			    int_of(qb, "size"));
			assert_string_equal(str_of(pb, "type"),
			    str_of(qb, "type"));
		}
		n++;
		br = json_object_get(q, "pci_bridge");
		if (br != NULL && json_object_get(br, "devices") != NULL)
			n += check_qmp_bus(parsed,
			    json_object_get(br, "devices"),
			    int_of(json_object_get(br, "bus"), "secondary"));
	}
	return n;
}

/* The same VM's query-pci, captured right after the HMP output. */
static void
test_pci_agrees_with_qmp(void **state)
{
	json_t		*arr, *qmp, *bus;
	json_error_t	 err;
	size_t		 i, n = 0;

	arr = parse_file("info pci", "hmp-info-pci-running.txt");
	qmp = json_load_file(data_path("qmp-query-pci-running.json"), 0,
	    &err);
	assert_non_null(qmp);
	json_array_foreach(qmp, i, bus)
		n += check_qmp_bus(arr, json_object_get(bus, "devices"),
		    int_of(bus, "bus"));
	assert_int_equal(n, json_array_size(arr));
	json_decref(qmp);
	json_decref(arr);
}

static void
test_pci_prelaunch(void **state)
{
	json_t	*arr, *d, *b;

	/* Before the firmware ran: bridge not numbered, BARs unassigned. */
	arr = parse_file("info pci", "hmp-info-pci.txt");
	assert_int_equal(json_array_size(arr), 8);
	d = find_pci(arr, 0, 3, 0);
	assert_string_equal(str_of(d, "id"), "net0");
	b = json_array_get(json_object_get(d, "bars"), 0);
	assert_int_equal(int_of(b, "address"), -1);
	assert_int_equal(int_of(b, "size"), 0x20);
	d = find_pci(arr, 0, 1, 3);
	assert_string_equal(str_of(d, "class"), "Bridge");
	assert_int_equal(json_array_size(json_object_get(d, "bars")), 0);
	json_decref(arr);
}

static void
test_cpus_72(void **state)
{
	json_t		*arr, *qmp, *c, *q;
	json_error_t	 err;
	size_t		 i;

	arr = parse_file("info cpus", "hmp-info-cpus-running.txt");
	assert_int_equal(json_array_size(arr), 4);
	qmp = json_load_file(data_path("qmp-query-cpus-fast.json"), 0, &err);
	assert_non_null(qmp);
	json_array_foreach(arr, i, c) {
		assert_int_equal(int_of(c, "cpu"), (json_int_t)i);
		assert_int_equal(bool_of(c, "current"), i == 0);
		assert_false(bool_of(c, "halted"));
		assert_true(json_is_null(json_object_get(c, "pc")));
		q = json_array_get(qmp, i);
		assert_int_equal(int_of(q, "cpu-index"), (json_int_t)i);
		assert_int_equal(int_of(c, "thread_id"),
		    int_of(q, "thread-id"));
	}
	json_decref(qmp);
	json_decref(arr);
	arr = parse_file("info cpus", "hmp-info-cpus.txt");
	assert_int_equal(json_array_size(arr), 4);
	json_decref(arr);
}

static void
test_cpus_old(void **state)
{
	json_t	*arr, *c;

	arr = parse_file("info cpus", "hmp-info-cpus-old.txt");
	assert_int_equal(json_array_size(arr), 4);
	c = json_array_get(arr, 0);
	assert_true(bool_of(c, "current"));
	assert_true(bool_of(c, "halted"));
	assert_int_equal(int_of(c, "pc"), (json_int_t)0xffffffff81051c02ULL);
	assert_int_equal(int_of(c, "thread_id"), 5132);
	c = json_array_get(arr, 3);
	assert_false(bool_of(c, "current"));
	assert_false(bool_of(c, "halted"));
	assert_int_equal(int_of(c, "pc"), 0xf0c4a);
	assert_int_equal(int_of(c, "cpu"), 3);
	json_decref(arr);
}

static void
test_status(void **state)
{
	static const struct {
		const char	*file;
		int		 running;
		const char	*state;
	} cases[] = {
		{ "hmp-info-status.txt", 0, "prelaunch" },
		{ "hmp-info-status-running.txt", 1, "running" },
		{ "hmp-info-status-paused.txt", 0, "paused" },
		{ "hmp-info-status-postmigrate.txt", 0, "postmigrate" },
	};
	json_t	*v;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = parse_file("info status", cases[i].file);
		assert_int_equal(bool_of(v, "running"), cases[i].running);
		assert_string_equal(str_of(v, "state"), cases[i].state);
		assert_false(bool_of(v, "singlestep"));
		json_decref(v);
	}
	v = tether_hmp_parse("info status",
	    "VM status: running (single step mode)\n");
	assert_true(bool_of(v, "singlestep"));
	assert_string_equal(str_of(v, "state"), "running");
	json_decref(v);
}

static void
test_migrate(void **state)
{
	json_t	*v;

	v = parse_file("info migrate", "hmp-info-migrate.txt");
	assert_string_equal(str_of(v, "status"), "none");
	assert_string_equal(str_of(v, "store_global_state"), "on");
	assert_int_equal(int_of(v, "clear_bitmap_shift"), 18);
	assert_null(json_object_get(v, "globals"));
	json_decref(v);

	v = parse_file("info migrate", "hmp-info-migrate-completed.txt");
	assert_string_equal(str_of(v, "status"), "completed");
	assert_string_equal(str_of(v, "total_time"), "9 ms");
	assert_int_equal(int_of(v, "dirty_sync_count"), 2);
	assert_int_equal(int_of(v, "pages_per_second"), 0);
	assert_null(json_object_get(v, "error"));
	json_decref(v);

	v = tether_hmp_parse("info migrate",
	    "Migration status: failed (Unable to write to socket)\n");
	assert_string_equal(str_of(v, "status"), "failed");
	assert_string_equal(str_of(v, "error"), "Unable to write to socket");
	json_decref(v);
}

static void
test_dispatch(void **state)
{
	json_t	*v;

	assert_null(tether_hmp_parse("info version", "7.2.22\n"));
	assert_null(tether_hmp_parse("info pci", "Error: no such thing\n"));
	assert_null(tether_hmp_parse("info cpus", "garbage\n"));
	assert_null(tether_hmp_parse("info status", "\n"));
	assert_null(tether_hmp_parse(NULL, ""));
	v = tether_hmp_parse("  info   pci ", "");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
	assert_true(monitor_is_quit(" quit "));
	assert_true(monitor_is_quit("q"));
	assert_false(monitor_is_quit("quitx"));
}

/* Every prefix of every capture parses or is refused, never crashes. */
static void
test_prefixes(void **state)
{
	char	 name[256], *text, *copy;
	size_t	 i, n, len;
	json_t	*v;

	for (i = 0; i < NCAPTURES; i++) {
		snprintf(name, sizeof name, "%s.txt", captures[i].file);
		text = slurp(name, &len);
		for (n = 0; n <= len; n++) {
			copy = strndup(text, n);
			v = tether_hmp_parse(captures[i].cmd, copy);
			json_decref(v);
			free(copy);
		}
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_captures),
		cmocka_unit_test(test_clean_greeting),
		cmocka_unit_test(test_clean_edges),
		cmocka_unit_test(test_pci_running),
		cmocka_unit_test(test_pci_agrees_with_qmp),
		cmocka_unit_test(test_pci_prelaunch),
		cmocka_unit_test(test_cpus_72),
		cmocka_unit_test(test_cpus_old),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
