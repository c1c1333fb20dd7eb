#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Seeds for fuzz-control: real frames of the control protocol.

    capture-control.py BUILDDIR OUTDIR

Starts ksm-throttlerd on a fake root (tests/lib/fake-root.sh) and a private
socket, puts a recording relay in front of it, and sends it what clients
send: every ksm-throttlerctl command, and a runtime's register, events
and kick (hand-made by tests/lib/frames.sh, sent by tests/lib/ktraw).  Each
request frame is written to OUTDIR as a daemon-side seed (first byte 0),
each reply as a client-side seed (first byte 1); one more seed holds a
runtime's requests as one stream.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
ctl = os.path.join(build, "src/ksm-throttlerctl")
frames = []          # (name, request bytes, reply bytes)


def read_frame(s):
    hdr = b""
    while len(hdr) < 4:
        b = s.recv(4 - len(hdr))
        if not b:
            return None
        hdr += b
    n = int.from_bytes(hdr, "big")
    body = b""
    while len(body) < n:
        b = s.recv(n - len(body))
        if not b:
            return None
        body += b
    return hdr + body


def relay(listener, daemon_sock, name_of):
    """One frame each way per request, in order; name_of names them."""
    while True:
        c, _ = listener.accept()
        d = socket.socket(socket.AF_UNIX)
        d.connect(daemon_sock)
        while True:
            req = read_frame(c)
            if req is None:
                break
            d.sendall(req)
            rep = read_frame(d)
            frames.append((name_of.pop(0) if len(name_of) > 1 else name_of[0], req, rep))
            if rep is None:
                break
            c.sendall(rep)
        c.close()
        d.close()


def main():
    tmp = tempfile.mkdtemp(prefix="kt-capture.")
    root, run = os.path.join(tmp, "root"), os.path.join(tmp, "run")
    os.makedirs(root)
    os.makedirs(run)
    subprocess.run(["sh", os.path.join(top, "tests/lib/fake-root.sh"), root], check=True)
    daemon_sock, relay_sock = os.path.join(run, "ksm-throttler.sock"), os.path.join(tmp, "relay.sock")
    log = open(os.path.join(tmp, "daemon.log"), "w")
    daemon = subprocess.Popen([os.path.join(build, "src/ksm-throttlerd"), "-f", "--root", root,
                               "--socket", daemon_sock], stdout=log, stderr=log)
    try:
        for _ in range(100):
            if os.path.exists(daemon_sock):
                break
            time.sleep(0.1)
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(relay_sock)
        listener.listen(8)
        name_of = [""]
        threading.Thread(target=relay, args=(listener, daemon_sock, name_of), daemon=True).start()

        def run_ctl(name, *args):
            name_of[0] = name
            subprocess.run([ctl, "-s", relay_sock] + list(args), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            time.sleep(0.2)

        run_ctl("status", "status", "--json")
        run_ctl("config", "config")
        run_ctl("kick", "kick")
        run_ctl("event-creating", "event", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "creating", "--pid", "4242", "--cgroup", "/machine.slice/kata-vm1.scope",
                "--class", "gold", "--memory", "4294967296")
        run_ctl("event-created", "event", "vm-1", "created", "--pid", "4242")
        run_ctl("event-destroying", "event", "vm-1", "destroying")
        run_ctl("event-destroyed", "event", "vm-1", "destroyed")
        run_ctl("event-bad-cgroup", "event", "vm-2", "created", "--cgroup", "relative/path")
        run_ctl("ksm-set", "ksm-set", '{"boost_cpu_percent": 80, "settle_scans": 3}')
        run_ctl("memcg-set", "memcg-set", '{"period_secs": 60, "cgroups": ["/machine.slice/*"],'
                ' "classes": [{"name": "gold", "swap": true}]}')
        run_ctl("compact-set", "compact-set", '{"compact_order": 7}')
        run_ctl("ksm-set-bad", "ksm-set", '{"boost_cpu_percent": "lots"}')

        # A runtime: register, then events and a kick, on one connection.
        shell = ('. "$1/tests/lib/frames.sh"; '
                 'frame "$(req_register kata-runtime)"; '
                 'frame "$(req_event sandbox-7 0)"; frame "$(req_event sandbox-7 1)"; '
                 'frame "$(req_kick)"; frame "$(req_status 2)"; '
                 'frame "$(pb_int 1 1; pb_bytes 7 "$(pb_int 1 1; pb_str 2 "{}")")"')
        stream = subprocess.run(["bash", "-c", shell, "sh", top], env=dict(os.environ, top_builddir=build),
                                capture_output=True, check=True).stdout
        name_of[:] = ["runtime-register", "runtime-event-creating", "runtime-event-created",
                      "runtime-kick", "runtime-status-v2", "runtime-config-set-empty"]
        subprocess.run([os.path.join(build, "tests/lib/ktraw"), "-n", "6", relay_sock], input=stream,
                       stdout=subprocess.DEVNULL, check=True)
        time.sleep(0.2)
    finally:
        daemon.terminate()
        daemon.wait()
        shutil.rmtree(tmp)

    os.makedirs(out, exist_ok=True)
    seeds, n = {}, {}
    for name, req, rep in frames:
        n[name] = n.get(name, 0) + 1
        tag = name if n[name] == 1 else "%s-%d" % (name, n[name])
        seeds.setdefault(b"\0" + req, "req-" + tag)
        if rep is not None:
            seeds.setdefault(b"\1" + rep, "reply-" + tag)
    seeds.setdefault(b"\0" + stream, "stream-runtime")
    for data, name in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds from %d requests in %s" % (len(seeds), len(frames), out))


main()
