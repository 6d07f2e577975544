#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh - the same VM flows on the test guest through several tools, wall
# times and each tool's overhead beyond guest time side by side.
#
#   bench/vm/run.sh TETHER VM-DRIVER [GUEST_DIR]
#
# full flow  (boot, login, devices, network, ssh port, teardown):
#   tether    examples/vm-boot-check.tether
#   dts       pexpect_flow.py --style dts: pexpect with DTS's fixed waits
#   lean      pexpect_flow.py --style lean: the same without the sleeps
# short flow (boot, login, "uname -a", teardown by guest poweroff):
#   tether    bench/vm/short.tether
#   dts, lean pexpect_flow.py --flow short
#   labgrid   labgrid_flow.py: Debian's python3-labgrid, QEMUDriver +
#             ShellDriver from labgrid-env.yaml (skipped when missing)
# driver flow:
#   tether    VM-DRIVER flow: the full flow through the C API, which prints
#             the lag per wait (the playbook rows cannot)
#
# Overhead beyond guest time, per wait: milliseconds from the read that
# brought the bytes a wait was waiting for to the wait returning (tether:
# vm-driver, now - tether_session_last_rx(); pexpect and labgrid: the same
# measured around pexpect's read_nonblocking()/expect(), for labgrid from
# select() saying the console is readable, since QEMUDriver sleeps 10 ms
# before it reads).  A playbook cannot report it, so the tether rows of
# the playbooks show the C driver's figure on its own line.  Fixed sleeps
# and polls show as wall time, not as lag.  cpu is the tool's own process
# (not QEMU, not socat).
#
# BENCH_RUNS (default 1) runs everything that many times, one flow at a
# time, the order of the tools rotating from run to run, then prints the
# medians.  BENCH_VM_FLOWS (default "full short driver") picks the flows;
# BENCH_VM_LOG=DIR keeps each tool's output there as RUN-FLOW-TOOL.out.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
tether=$1 driver=$2 guest=${3:-$top/build/guest}
test -x "$tether" && test -x "$driver" ||
    { echo "usage: run.sh TETHER VM-DRIVER [GUEST_DIR]" >&2; exit 2; }
. "$guest/guest.env"
accel=$("$top/scripts/guest-accel" "$guest" 2>/dev/null || echo "$GUEST_ACCEL")
export GUEST_PASSWORD
export LG_GUEST_KERNEL="$GUEST_KERNEL" LG_GUEST_INITRD="$GUEST_INITRD" \
    LG_GUEST_ACCEL="$accel" LG_GUEST_PASSWORD="$GUEST_PASSWORD"
runs=${BENCH_RUNS:-1}
flows=${BENCH_VM_FLOWS:-full short driver}
log=${BENCH_VM_LOG:-}
test -z "$log" || mkdir -p "$log"
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/bench-vm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
haslg=no
$py -c 'import labgrid' 2>/dev/null && haslg=yes

free_port() {
	$py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# measure RUN FLOW TOOL: runs one tool, prints a row and appends
# "FLOW TOOL WALL LAGTOTAL LAGMAX" to $tmp/rows.
measure() {
	run=$1 flow=$2 tool=$3 port=$(free_port)
	case $flow.$tool in
	full.tether) set -- "$tether" run "$top/examples/vm-boot-check.tether" \
	    --var GUEST_KERNEL="$GUEST_KERNEL" --var GUEST_INITRD="$GUEST_INITRD" \
	    --var GUEST_ACCEL="$accel" --var GUEST_PASSWORD="$GUEST_PASSWORD" \
	    --var SSH_PORT="$port" ;;
	short.tether) set -- "$tether" run "$top/bench/vm/short.tether" \
	    --var GUEST_KERNEL="$GUEST_KERNEL" --var GUEST_INITRD="$GUEST_INITRD" \
	    --var GUEST_ACCEL="$accel" --var GUEST_PASSWORD="$GUEST_PASSWORD" ;;
	*.dts|*.lean) set -- $py "$top/bench/vm/pexpect_flow.py" \
	    "$GUEST_KERNEL" "$GUEST_INITRD" "$accel" "$port" \
	    --style "$tool" --flow "$flow" ;;
	short.labgrid) set -- $py "$top/bench/vm/labgrid_flow.py" ;;
	driver.tether) set -- "$driver" flow "$GUEST_KERNEL" "$GUEST_INITRD" \
	    "$accel" unix "$port" ;;
	esac
	s=$(date +%s%3N)
	rc=0
	"$@" >"$tmp/out" 2>&1 || rc=$?
	wall=$(( $(date +%s%3N) - s ))
	test -z "$log" || cp "$tmp/out" "$log/$run-$flow-$tool.out"
	if test "$rc" != 0; then
		echo "run $run  $flow $tool: FAILED (exit $rc)"
		sed 's/^/    /' "$tmp/out" | tail -15
		return 0
	fi
	if test "$flow" = driver; then
		lag=$(sed -n 's/.*(lag \([0-9]*\) ms).*/\1/p' "$tmp/out" |
		    awk '{ n++; t += $1; if ($1 > m) m = $1 }
			END { printf "%d %.1f %.1f", n, t, m }')
		cpu=$(sed -n 's/^tether cpu: user \([0-9]*\) ms, system \([0-9]*\) ms/\1+\2/p' \
		    "$tmp/out")
	elif test "$tool" = tether; then
		lag="- - -" cpu=-
	else
		lag=$(sed -n 's/^lag: waits=\([0-9]*\) total=\([0-9.]*\) ms max=\([0-9.]*\) ms/\1 \2 \3/p' \
		    "$tmp/out")
		cpu=$(sed -n 's/^cpu: user \([0-9]*\) ms, system \([0-9]*\) ms/\1+\2/p' \
		    "$tmp/out")
	fi
	set -- $lag
	printf 'run %s  %-5s %-8s wall %6d ms  lag waits %2s total %6s ms max %5s ms  cpu %s ms\n' \
	    "$run" "$flow" "$tool" "$wall" "$1" "$2" "$3" "$cpu"
	echo "$flow $tool $wall $2 $3" >>"$tmp/rows"
}

# Tools of a flow, rotated by the run number.
tools() {
	n=$2
	case $1 in
	full) set -- tether dts lean ;;
	short) if test "$haslg" = yes; then set -- tether dts lean labgrid
	       else set -- tether dts lean; fi ;;
	driver) set -- tether ;;
	*) echo "run.sh: unknown flow $1" >&2; exit 2 ;;
	esac
	n=$(( (n - 1) % $# ))
	while test "$n" -gt 0; do
		t=$1; shift; set -- "$@" "$t"; n=$((n - 1))
	done
	echo "$@"
}

test "$haslg" = yes || echo "labgrid: skipped (no python3-labgrid: apt-get install python3-labgrid)"
echo "guest: $GUEST_KERNEL_VERSION, accel $accel; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$tmp/rows"
r=1
while test "$r" -le "$runs"; do
	for f in $flows; do
		for t in $(tools "$f" "$r"); do
			measure "$r" "$f" "$t"
		done
	done
	r=$((r + 1))
done

# Medians (and min-max) per flow and tool over the runs.
echo "medians over $runs run(s), load $(cut -d' ' -f1-3 /proc/loadavg):"
for f in $flows; do
	for t in tether dts lean labgrid; do
		awk -v f="$f" -v t="$t" '
		function med(a, n,   i, j, x) {
			for (i = 2; i <= n; i++) {
				x = a[i]
				for (j = i - 1; j >= 1 && a[j] > x; j--)
					a[j + 1] = a[j]
				a[j + 1] = x
			}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 == f && $2 == t {
			n++; w[n] = $3; lt[n] = $4; lm[n] = $5
			if (n == 1 || $3 < lo) lo = $3
			if ($3 > hi) hi = $3
		}
		END {
			if (n == 0) exit
			lag = lt[1] == "-" ? "  (lag: see driver)" : \
			    sprintf("  lag total %.1f ms, max %.1f ms", med(lt, n), med(lm, n))
			printf "  %-6s %-8s wall %6d ms (%d-%d)%s\n", f, t, med(w, n), lo, hi, lag
		}' "$tmp/rows"
	done
done
