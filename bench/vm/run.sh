#!/bin/sh
# SPDX-License-Identifier: ISC
# run.sh - the same boot/login/network/ssh/teardown flow three ways, wall
# times side by side: tether (examples/vm-boot-check.tether), pexpect with
# DTS's fixed waits, pexpect without them.  Also prints tether's own lag
# per wait (vm-driver: ms from reading the awaited byte to returning it).
#
#   bench/vm/run.sh TETHER VM-DRIVER [GUEST_DIR]
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
tether=$1 driver=$2 guest=${3:-$top/build/guest}
. "$guest/guest.env"
export GUEST_PASSWORD
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
wall() { s=$(date +%s%3N); "$@" >/dev/null 2>&1; echo $(( $(date +%s%3N) - s )); }
echo "tether playbook:   $(wall "$tether" run "$top/examples/vm-boot-check.tether" \
    --var GUEST_KERNEL="$GUEST_KERNEL" --var GUEST_INITRD="$GUEST_INITRD" \
    --var GUEST_ACCEL="$GUEST_ACCEL" --var GUEST_PASSWORD="$GUEST_PASSWORD" \
    --var SSH_PORT="$port") ms"
echo "pexpect, DTS:      $(wall /usr/bin/python3 "$top/bench/vm/pexpect_flow.py" "$GUEST_KERNEL" "$GUEST_INITRD" "$GUEST_ACCEL" "$port" --style dts) ms"
echo "pexpect, lean:     $(wall /usr/bin/python3 "$top/bench/vm/pexpect_flow.py" "$GUEST_KERNEL" "$GUEST_INITRD" "$GUEST_ACCEL" "$port" --style lean) ms"
echo "tether lag per wait (vm-driver):"
"$driver" flow "$GUEST_KERNEL" "$GUEST_INITRD" "$GUEST_ACCEL" unix "$port" 2>&1 |
    grep -E 'lag|cpu'
