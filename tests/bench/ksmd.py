# SPDX-License-Identifier: Apache-2.0
"""ksmd, the kernel thread: found once by name, its CPU time read from
/proc; and what the probes share: its knobs, the test lock, the knobs
put back however a probe ends.  Shared by the benchmark and its
probes."""
import argparse
import contextlib
import fcntl
import os
import subprocess
import time

KSM = "/sys/kernel/mm/ksm/"
LOCK = "/run/lock/ksm-throttler-tests.lock"


class Ksmd:
    def __init__(self):
        self.pid = self._find()
        self.hz = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _find():
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/comm") as f:
                        if f.read().strip() == "ksmd":
                            return p
                except OSError:
                    pass
        raise SystemExit("ksmd not found")

    def cpu(self):
        """ksmd's CPU seconds, user and system, since it started."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.hz


def knob(name, value=None):
    """Read a KSM file (0 where this kernel has none), or write one."""
    if value is None:
        try:
            with open(KSM + name) as f:
                return int(f.read().split()[0])
        except FileNotFoundError:
            return 0
    with open(KSM + name, "w") as f:
        f.write(str(value))
    return None


@contextlib.contextmanager
def driving(knobs=("run", "pages_to_scan", "sleep_millisecs")):
    """The test lock held, and KNOBS put back however it ends."""
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = {k: knob(k) for k in knobs}
        try:
            yield
        finally:
            knob("run", 0)
            for k in knobs:
                if k != "run":
                    knob(k, saved[k])
            knob("run", saved["run"])


def run_probe(columns, items, probe):
    """A probe's main: skip (77) without root and a writable KSM; else,
    the lock held and the knobs put back however it ends, a table of
    COLUMNS whose rows PROBE(ksmd, item) prints, for each of ITEMS."""
    if os.geteuid() != 0 or not os.access(KSM + "run", os.W_OK):
        print("SKIP: needs root and a writable " + KSM)
        return 77
    with driving():
        ksmd = Ksmd()
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for item in items:
            probe(ksmd, item)
    return 0


@contextlib.contextmanager
def guests(args, extra=(), gap_s=0, before=None):
    """A wave of args.vms simvms (args.mib MiB, filled over args.fill ms,
    GAP_S apart, EXTRA options), after ksmd has gone over what the last
    wave left and BEFORE() ran; terminated however it ends."""
    knob("pages_to_scan", 20000)
    knob("sleep_millisecs", 0)
    knob("run", 1)
    time.sleep(1)
    knob("run", 0)
    if before is not None:
        before()
    simvm = os.path.join(args.builddir, "tests/bench/simvm")
    procs = []
    try:
        for i in range(args.vms):
            procs.append(subprocess.Popen(
                [simvm, "-m", str(args.mib), "-f", str(args.fill),
                 "-i", str(i)] + list(extra),
                stdout=subprocess.PIPE, text=True))
            time.sleep(gap_s)
        yield procs
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


def probe_args(doc):
    """A probe's options: its description from DOC, and the wave's."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--builddir", default="_build")
    ap.add_argument("--vms", type=int, default=4)
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--fill", type=int, default=3000)
    return ap
