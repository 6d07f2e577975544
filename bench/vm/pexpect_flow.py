#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""pexpect_flow.py - the boot/login/network/teardown flow written the way
DTS (framework/qemu_kvm.py), CSIT (QemuUtils.py) and autotest (kvm_vm.py)
write it, to compare with tether's vm-driver / vm-boot-check.tether.

  pexpect_flow.py KERNEL INITRD ACCEL PORT [--style dts|lean] [--flow full|short]

--style dts  keeps DTS's fixed waits: 2 s after starting QEMU ("wait for
             qemu process ready"), 10 s for BIOS/grub, 5 s probes of an empty
             console, 10 s after "init 0" before killing what is left.
--style lean the same pexpect code with the fixed sleeps taken out (polls
             every 0.5 s instead): the best this structure gets.
--flow full  (default) boot, login, info cpus, network, verify, ssh port,
             poweroff: the flow of examples/vm-boot-check.tether
--flow short boot, login, "uname -a", poweroff: the flow of
             bench/vm/short.tether and labgrid_flow.py (PORT unused)
Prints one line per step with the elapsed time, then "lag: ..." (per wait,
ms from the read that brought the awaited bytes to the wait returning) and
"cpu: ..." (this process only, not QEMU or socat)."""
import os, re, resource, signal, subprocess, sys, tempfile, time
import pexpect

kernel, initrd, accel, port = sys.argv[1:5]
style = sys.argv[sys.argv.index("--style") + 1] if "--style" in sys.argv else "dts"
flow = sys.argv[sys.argv.index("--flow") + 1] if "--flow" in sys.argv else "full"
dts = style == "dts"
short = flow == "short"
t0 = time.time()

def step(what):
    print("[%7.3f] %s" % (time.time() - t0, what), flush=True)

# The lag: when the last read that returned data came back, and at the end
# of every matched expect how long ago that was.
last_rx = [t0]
lags = []
_read = pexpect.spawn.read_nonblocking
_expect = pexpect.spawn.expect

def timed_read(self, *args, **kwargs):
    b = _read(self, *args, **kwargs)
    if b:
        last_rx[0] = time.time()
    return b

def timed_expect(self, *args, **kwargs):
    i = _expect(self, *args, **kwargs)
    if self.after is not pexpect.TIMEOUT and self.after is not pexpect.EOF:
        lags.append(time.time() - last_rx[0])
    return i

pexpect.spawn.read_nonblocking = timed_read
pexpect.spawn.expect = timed_expect

tmp = tempfile.mkdtemp(prefix="pexpect-vm.")
serial, monitor, pidfile = (os.path.join(tmp, n) for n in ("serial.sock", "monitor.sock", "qemu.pid"))
cmd = ["qemu-system-x86_64", "-accel", accel, "-m", "256", "-smp", "2",
       "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 quiet",
       "-nic", "user" if short else "user,hostfwd=tcp:127.0.0.1:%s-:22" % port,
       "-display", "none",
       "-serial", "unix:%s,server=on,wait=off" % serial,
       "-monitor", "unix:%s,server=on,wait=off" % monitor,
       "-pidfile", pidfile, "-daemonize"]
subprocess.run(cmd, check=True)                    # DTS __send_qemu_cmd
if dts:
    time.sleep(2)                                  # "wait for qemu process ready"
    time.sleep(10)                                 # "sleep few seconds for bios/grub"
step("qemu started")

def monitor_cmd(c):                                # DTS __monitor_session: nc -U
    out = subprocess.run("echo '%s' | socat - UNIX-CONNECT:%s" % (c, monitor),
                         shell=True, capture_output=True, text=True).stdout
    return out

con = pexpect.spawn("socat", ["-", "UNIX-CONNECT:" + serial], encoding="latin-1", timeout=5)
# DTS connect_serial_port + __ping_vm: probe the console until it shows a
# login prompt or a shell, log in; retried until START_TIMEOUT.
deadline = time.time() + 180
logged_in = False
while time.time() < deadline and not logged_in:
    con.sendline("")
    i = con.expect(["login:", r"# ", pexpect.TIMEOUT], timeout=5 if dts else 0.5)
    if i == 0:
        con.sendline("root")
        con.expect("Password:", timeout=60)
        con.sendline(os.environ.get("GUEST_PASSWORD", "tether-guest-pw"))
        con.expect("# ", timeout=60)
        logged_in = True
    elif i == 1:
        logged_in = True
if not logged_in:
    sys.exit("login timeout")
con.sendline("stty -echo")                         # DTS control_command("ping")
con.expect("# ")
step("logged in")

def teardown():
    # DTS _stop_vm: "init 0", sleep 10, kill what is left (CSIT: kill -9 pidfile)
    pid = int(open(pidfile).read())
    con.sendline("poweroff")
    if dts:
        time.sleep(10)
    else:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    con.close()
    subprocess.run(["rm", "-rf", tmp])
    step("torn down")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("lag: waits=%d total=%.1f ms max=%.1f ms" %
          (len(lags), 1000 * sum(lags), 1000 * max(lags, default=0)))
    print("cpu: user %d ms, system %d ms" %
          (1000 * ru.ru_utime, 1000 * ru.ru_stime))

if short:
    con.sendline("uname -a")
    con.expect("# ")
    step("verify: " + " ".join(con.before.split()))
    teardown()
    sys.exit(0)

out = monitor_cmd("info cpus")
step("info cpus: %d vCPUs" % len(re.findall(r"CPU #\d+", out)))

# DTS __wait_vmnet_ready: ifconfig, look for 10.0.2, dhclient, retry after
# OPERATION_TIMEOUT; autotest wait_for(..., step=2).
while True:
    con.sendline("ifconfig eth0")
    con.expect("# ")
    if "10.0.2" in con.before:
        break
    time.sleep(2 if dts else 0.5)
step("network ready")

con.sendline("uname -r; grep -c ^processor /proc/cpuinfo")
con.expect("# ")
step("verify: " + " ".join(con.before.split()))

# autotest/DTS: ssh reachable - poll the hostfwd port
import socket
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(port)), 1)
        if s.recv(4).startswith(b"SSH-"):
            s.close(); break
        s.close()
    except OSError:
        pass
    time.sleep(1 if dts else 0.2)
step("ssh port answers")

teardown()
