#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""labgrid_flow.py - boot -> login -> run -> teardown on the test guest with
Debian's labgrid (python3-labgrid: QEMUDriver + ShellDriver, configured by
bench/vm/labgrid-env.yaml), the peer of bench/vm/short.tether and
pexpect_flow.py --flow short.

  LG_GUEST_KERNEL=... LG_GUEST_INITRD=... LG_GUEST_ACCEL=tcg \\
  LG_GUEST_PASSWORD=... labgrid_flow.py [--env FILE] [--teardown poweroff|quit]

--teardown poweroff  (default) "poweroff" in the guest, then wait for QEMU
                     to exit, as tether's teardown and pexpect_flow.py do
--teardown quit      labgrid's own QEMUDriver.off(): QMP "quit", no guest
                     shutdown

Prints one line per step with the elapsed time, then the same summary lines
as pexpect_flow.py: "lag: ..." (per wait, ms from the console becoming
readable with the awaited bytes to the wait returning; labgrid sleeps 10 ms
after every select() before it reads) and "cpu: ..." (this process only,
not QEMU)."""
import os, resource, select, sys, time
t0 = time.time()

import pexpect
from labgrid import Environment
import labgrid.driver.qemudriver as qemudriver
from labgrid.util.expect import PtxExpect


def step(what):
    print("[%7.3f] %s" % (time.time() - t0, what), flush=True)


# The lag: QEMUDriver._read() does select(), sleeps 10 ms, recv(4096);
# record when select() says the console is readable, and at the end of
# every matched expect how long ago that was.
ready = [t0]
lags = []


class TimedSelect:
    @staticmethod
    def select(r, w, x, timeout=None):
        res = select.select(r, w, x, timeout)
        if res[0]:
            ready[0] = time.time()
        return res


qemudriver.select = TimedSelect
_expect = PtxExpect.expect


def timed_expect(self, *args, **kwargs):
    i = _expect(self, *args, **kwargs)
    if self.after is not pexpect.TIMEOUT and self.after is not pexpect.EOF:
        lags.append(time.time() - ready[0])
    return i


PtxExpect.expect = timed_expect

args = sys.argv[1:]
envfile = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "labgrid-env.yaml")
teardown = "poweroff"
while args:
    a = args.pop(0)
    if a == "--env" and args:
        envfile = args.pop(0)
    elif a == "--teardown" and args and args[0] in ("poweroff", "quit"):
        teardown = args.pop(0)
    else:
        sys.exit(__doc__)

env = Environment(envfile)
target = env.get_target("main")
qemu = target.get_driver("QEMUDriver")     # activates: builds the command
qemu.on()                                  # Popen, accept serial, QMP cont
step("qemu started")

shell = target.get_driver("ShellDriver")   # activates: _await_login
step("logged in")

out, _, rc = shell.run("uname -a")
step("verify: rc %d %s" % (rc, " ".join(out)))

if teardown == "quit":
    target.deactivate(qemu)                # QEMUDriver.off(): QMP quit
else:
    # QEMUDriver has no guest-side power off: type it and wait for QEMU,
    # then tell the driver its child is gone so deactivate does not send
    # "quit" to a closed QMP pipe.
    shell.console.sendline("poweroff")
    rc = qemu._child.wait()
    qemu._child = None
    qemu.status = 0
    target.deactivate(qemu)
step("torn down")

ru = resource.getrusage(resource.RUSAGE_SELF)
print("lag: waits=%d total=%.1f ms max=%.1f ms" %
      (len(lags), 1000 * sum(lags), 1000 * max(lags, default=0)))
print("cpu: user %d ms, system %d ms" %
      (1000 * ru.ru_utime, 1000 * ru.ru_stime))
