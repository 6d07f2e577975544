#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# guest-boot.sh - integration test of the QEMU test guest itself (independent
# of tether's binary): build it with scripts/mkguest, boot it, check that the
# serial console offers "login:", that root can log in and gets the shell
# prompt, that DHCP gives eth0 10.0.2.15, that SSH (dropbear) accepts the
# password when an ssh client is available, and that `poweroff` ends QEMU.
#
# Exit status: 0 pass, 1 fail, 77 skip (no QEMU, expect or guest build tools).
# Environment: TETHER_GUEST_DIR (guest directory, default build/guest),
#              KEEP_LOG=1 keeps the console transcript.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTDIR=${TETHER_GUEST_DIR:-$ROOT/build/guest}
QEMU=${QEMU:-qemu-system-x86_64}

skip() { echo "SKIP: $*"; exit 77; }
command -v "$QEMU" >/dev/null 2>&1 || skip "$QEMU not installed"
command -v expect >/dev/null 2>&1 || skip "expect not installed"
command -v apt-get >/dev/null 2>&1 || [[ -s $OUTDIR/guest.env ]] || skip "no apt-get to build the guest"

# 1. Build (a no-op when up to date); 77: not buildable here (offline).
rc=0
"$ROOT/scripts/mkguest" "$OUTDIR" >/dev/null || rc=$?
[[ $rc == 77 ]] && skip "scripts/mkguest cannot build the guest here (offline?)"
[[ $rc == 0 ]] || exit 1
# shellcheck source=/dev/null
source "$OUTDIR/guest.env"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
LOG=$TMP/console.log

# A free host port for the SSH forward (the kernel picks it), when possible.
PORT=
if command -v ssh >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
NIC=user${PORT:+,hostfwd=tcp:127.0.0.1:$PORT-:22}

# 2. Boot and drive the serial console (QEMU's stdio) with expect.
cat >"$TMP/boot.exp" <<'EOF'
lassign $argv qemu kernel initrd append accel nic user password port log
log_user 0
log_file -a $log
proc now {} { expr {[clock milliseconds] / 1000.0} }
proc fail {msg} {
    global qpid
    puts "FAIL: $msg"
    catch {exec kill $qpid}
    catch {wait}
    exit 1
}
set t0 [now]
spawn $qemu -m 256 -smp 2 -nographic -accel $accel \
    -kernel $kernel -initrd $initrd -append $append -nic $nic
set con $spawn_id
set qpid [exp_pid]

# login prompt, password prompt, shell prompt
set timeout 120
expect {
    "login: " {}
    eof     { fail "QEMU exited before the login prompt" }
    timeout { fail "no login prompt within 120 s" }
}
set tlogin [expr {[now] - $t0}]
send "$user\r"
set timeout 30
expect {
    "Password: " {}
    timeout { fail "no password prompt" }
}
send "$password\r"
expect {
    -re "$user@\[^ ]+:~\[#$] " {}
    "Login incorrect" { fail "login refused" }
    timeout { fail "no shell prompt after login" }
}

# network: DHCP on eth0 (polled; the NIC driver and DHCP run in the background)
set tnet -1
set deadline [expr {[now] + 60}]
while {[now] < $deadline} {
    # ==EN''D== in the command so that its echo does not match ==END==
    send "ip -4 -o addr show dev eth0; echo ==EN''D==\r"
    expect {
        -re "inet 10\\.0\\.2\\.15/24" {
            set tnet [expr {[now] - $t0}]
            expect "==END=="
            expect "# "
            break
        }
        "==END==" { expect "# "; after 250 }
        timeout { fail "shell stopped answering" }
    }
}
if {$tnet < 0} { fail "eth0 did not get 10.0.2.15 within 60 s" }

# SSH with the password (dropbear), if the host has an ssh client
if {$port ne ""} {
    set deadline [expr {[now] + 30}]
    set ok 0
    while {!$ok && [now] < $deadline} {
        spawn ssh -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o LogLevel=ERROR -o ConnectTimeout=10 -o PubkeyAuthentication=no \
            $user@127.0.0.1 "echo ssh-ok-\$((6 * 7))"
        expect {
            "assword:"  { send "$password\r"; exp_continue }
            "ssh-ok-42" { set ok 1 }
            timeout {}
            eof {}
        }
        catch {close}
        catch {wait}
        if {!$ok} { after 1000 }
    }
    if {!$ok} { fail "ssh to the guest failed" }
    set spawn_id $con
}

# poweroff must end QEMU
send "poweroff\r"
set t1 [now]
set timeout 30
expect {
    eof {}
    timeout { fail "QEMU still running 30 s after poweroff" }
}
lassign [wait] pid sid oserr status
if {$oserr != 0 || $status != 0} { puts "FAIL: QEMU exit status $status"; exit 1 }
puts [format "ok: login prompt %.1f s, network %.1f s, poweroff %.1f s (accel %s)" \
    $tlogin $tnet [expr {[now] - $t1}] $accel]
EOF

if expect "$TMP/boot.exp" "$QEMU" "$GUEST_KERNEL" "$GUEST_INITRD" "$GUEST_APPEND" \
        "$GUEST_ACCEL" "$NIC" "$GUEST_USER" "$GUEST_PASSWORD" "$PORT" "$LOG"; then
    [[ -z ${KEEP_LOG:-} ]] || cp "$LOG" "$OUTDIR/guest-boot.log"
    exit 0
fi
echo "--- last console output ---"
tail -c 3000 "$LOG" | tr -d '\r' || true
echo
exit 1
