#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""KSM policies side by side on the real kernel, the same timelines for all.

Waves of simulated VMs (simvm) are created, left idle, destroyed; each
policy in turn runs the same timeline while the merged pages of the live
VMs (the sum of their ksm_merging_pages: exact, unlike pages_sharing,
which the kernel updates lazily after a VM goes) and ksmd's CPU time are
sampled.  Per wave: the time from the wave's first VM until the merged
pages reach 90 % of the best plateau any policy reached in that wave, the
unmerged GiB*s against that plateau, ksmd's CPU seconds; over the run and
over the idle stretches: ksmd CPU seconds.  And what else kept the
machine's cores busy meanwhile (neither ksmd nor the benchmark's own
processes), since ksmd's cost per page rises with contention while the
fixed maximum's CPU stays capped at one core.

The floor is the oracle, a policy no one can run: the benchmark tells it
when each guest of a wave has written its memory (simvm prints a line),
and it runs ksmd at full speed from then until merging stops growing,
stopped otherwise.  Every policy's ksmd CPU per wave is reported as a
ratio to the oracle's, beside the ratios to the fixed maximum, and each
timeline's targets are shown met or not for ksm-throttler.

Interference, how much a policy slows guests that write their memory as
fast as they can: each simvm says how long its fill took, and a wave's
mean fill time is set against that of KSM off (ksmd stopped the whole
run), a reference policy that runs where a timeline asks for it
(fast-fill) or where --only names it.

Timelines (--timeline, --list; doc/benchmark-timelines.md): default,
churn, slow-boot, mixed-boot, scale, unmergeable, late-dup, fast-fill.
--quick shrinks any of them to a smoke run of a minute or two per policy.
Prints tables, writes JSON.

Needs root and a writable /sys/kernel/mm/ksm.  Holds the test lock while
each policy runs (kernel tests waiting for it run between two policies)
and puts the host's knobs back however it ends.
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True   # nothing left in the source tree
from benchreport import (  # noqa: E402
    KSM_OFF, analyse, ratios, table, target_table, targets)
from ksmd import Ksmd  # noqa: E402

KSM = "/sys/kernel/mm/ksm/"
LOCK = "/run/lock/ksm-throttler-tests.lock"
KNOBS = ["run", "pages_to_scan", "sleep_millisecs", "use_zero_pages",
         "advisor_mode",
         "advisor_max_cpu", "advisor_min_pages_to_scan",
         "advisor_max_pages_to_scan", "advisor_target_scan_time"]
SAMPLE_S = 0.1
# A wave's VMs are created this far apart; from its second wave on, a
# timeline destroys the wave before first (churn), 0.1 s apart.
VM_GAP_S = 0.5
# The timelines.  waves: how many, wave_s apart; vms of vm_mib each (0:
# as many as fit in half of MemTotal), filled over fill_ms (the last of
# each wave over last_fill_ms where that is set); idle_from:
# the idle stretch, from there to the next wave; args: more simvm options;
# late_s: when each guest writes a late block of late_mib, the same in all;
# ksm_off: whether the KSM off reference runs, for the interference figures.
BASE = dict(waves=2, wave_s=200, vms=4, vm_mib=512, fill_ms=3000,
            last_fill_ms=None, idle_from=25, args=[], late_s=None,
            late_mib=64, ksm_off=False)
TIMELINES = {
    # VMs come and go every few minutes, idle stretches between.
    "default": {},
    # VMs replaced every 45 s.
    "churn": dict(waves=4, wave_s=45),
    # Guests that write their memory over 40 s.
    "slow-boot": dict(waves=1, wave_s=180, fill_ms=40000, idle_from=70),
    # Guests of one wave that do not boot alike: three write their memory
    # in 3 s, the last over 40 s.
    "mixed-boot": dict(waves=1, wave_s=120, last_fill_ms=40000,
                       idle_from=70),
    # As many guests as fit in half the host's memory.
    "scale": dict(waves=1, wave_s=200, vms=0, idle_from=60),
    # Random contents (encrypted guests): nothing to win.
    "unmergeable": dict(waves=1, wave_s=150, args=["-z", "0", "-s", "0"]),
    # 64 MiB the same in every guest, written 30 s after boot, unannounced.
    # Four waves: where a late block lands in smart_scan's cycle of long
    # and short passes moves its latency 2-3x, even at full speed.
    "late-dup": dict(waves=4, wave_s=60, idle_from=45, late_s=30),
    # Guests that write 1 GiB as fast as they can, while policies boost:
    # their fill times against KSM off's.
    "fast-fill": dict(waves=2, wave_s=60, vm_mib=1024, fill_ms=0,
                      ksm_off=True),
}
# fast-fill is left out: with it, make bench would take over an hour.
DEFAULT_SET = ["default"]
# Policies in a run: 7, and KSM off where the timeline asks for it.
POLICIES = 7
# --quick: a smoke run, a minute or two per policy and timeline.
QUICK = dict(vms=2, vm_mib=128, wave_s=30, idle_from=20)
# Above this many cores kept busy by others, a policy's run is flagged.
BUSY_CORES = 0.1
# The oracle counts a full scan as growth when merging grew by more.
GROWTH_PAGES = 16


def mem_total_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return 0


def make_timeline(name, quick=False, waves=None, wave_s=None):
    """A timeline's parameters, --quick and overrides applied."""
    tl = dict(BASE, **TIMELINES[name], name=name)
    tl["args"] = list(tl["args"])
    if quick:
        tl["waves"] = min(tl["waves"], 2)
        tl["fill_ms"] = min(tl["fill_ms"], 10000)
        if tl["last_fill_ms"] is not None:
            tl["last_fill_ms"] = min(tl["last_fill_ms"], 10000)
        tl["idle_from"] = min(tl["idle_from"], QUICK["idle_from"])
        tl.update(wave_s=QUICK["wave_s"], vm_mib=QUICK["vm_mib"],
                  vms=QUICK["vms"] if tl["vms"] else 0)
        if tl["late_s"] is not None:
            tl.update(late_s=10, late_mib=16)
    if waves:
        tl["waves"] = waves
    if wave_s:
        tl["wave_s"] = wave_s
    if tl["vms"] == 0:
        tl["vms"] = max(mem_total_mib() // 2 // tl["vm_mib"], 1)
        if quick:
            tl["vms"] = min(tl["vms"], 4)
    return tl


def run_secs(tl):
    """One policy's run of a timeline, with what comes around it."""
    return tl["waves"] * tl["wave_s"] + 3 + 5


def own_cpu():
    """CPU seconds of this process and its children that were waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def knob_read(name):
    with open(KSM + name) as f:
        v = f.read().strip()
    if "[" in v:
        v = v[v.index("[") + 1:v.index("]")]
    return v


def pages_scanned():
    """ksmd's pages scanned since boot, or None where the kernel does not
    say."""
    try:
        return int(knob_read("pages_scanned"))
    except OSError:
        return None


def knob_write(name, value):
    try:
        with open(KSM + name, "w") as f:
            f.write(str(value))
    except OSError as e:
        print(f"warning: {name}={value}: {e}", file=sys.stderr)


class Host:
    """The host's KSM knobs, saved and put back; ksmd's CPU time."""

    def __init__(self):
        self.saved = {k: knob_read(k) for k in KNOBS
                      if os.path.exists(KSM + k)}
        self.ksmd = Ksmd()
        self.hz = os.sysconf("SC_CLK_TCK")

    def cpu(self):
        return self.ksmd.cpu()

    def busy(self):
        """CPU seconds every core spent busy, from /proc/stat."""
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: not idle, iowait
        return (sum(v[:8]) - v[3] - v[4]) / self.hz

    def others(self, busy0, ksmd_s, own0):
        """Busy CPU seconds since busy0 of all but ksmd and this benchmark
        (itself and its children: simulated VMs, ksm-throttlerd; ksmtuned
        daemonizes, so it is among the others)."""
        own = own_cpu() - own0
        return max(self.busy() - busy0 - ksmd_s - own, 0.0)

    def restore(self):
        if "advisor_mode" in self.saved:
            knob_write("advisor_mode", "none")
        for k, v in self.saved.items():
            if k not in ("run", "advisor_mode"):
                knob_write(k, v)
        if "advisor_mode" in self.saved:
            knob_write("advisor_mode", self.saved["advisor_mode"])
        knob_write("run", self.saved["run"])


class Policy:
    """One contender: set up before the timeline, told of VMs, torn down.
    Only the oracle hears when a guest has written its memory."""
    name = "?"
    events = True

    def slug(self):
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def start(self, tmp):
        pass

    def vm_written(self, vmid, what):
        pass

    def vm_created(self, vmid):
        pass

    def vm_destroyed(self, vmid):
        pass

    def stop(self):
        pass


class Fixed(Policy):
    def __init__(self, name, pages, sleep_ms):
        self.name, self.pages, self.sleep_ms = name, pages, sleep_ms

    def start(self, tmp):
        if os.path.exists(KSM + "advisor_mode"):
            knob_write("advisor_mode", "none")
        knob_write("pages_to_scan", self.pages)
        knob_write("sleep_millisecs", self.sleep_ms)
        knob_write("run", 1)


class KsmOff(Policy):
    """The interference baseline: ksmd stopped the whole run.  Runs only
    in timelines that ask for it, unless --only names it."""
    name = KSM_OFF
    everywhere = False

    def start(self, tmp):
        knob_write("run", 0)


class Advisor(Policy):
    name = "kernel advisor"

    def start(self, tmp):
        knob_write("sleep_millisecs", 20)
        knob_write("advisor_mode", "scan-time")
        knob_write("run", 1)


class Ksmtuned(Policy):
    """Debian's ksmtuned forced on; SIGUSR1 on each VM, as it asks."""
    name = "ksmtuned"
    BIN = "/usr/sbin/ksmtuned"

    def start(self, tmp):
        self.pidfile = os.path.join(tmp, "ksmtuned.pid")
        env = dict(os.environ, KSM_THRES_COEF="100",
                   KSM_MONITOR_INTERVAL="10", PIDFILE=self.pidfile)
        subprocess.run([self.BIN], env=env, check=True)
        with open(self.pidfile) as f:
            self.pid = int(f.read())

    def vm_created(self, vmid):
        os.kill(self.pid, signal.SIGUSR1)

    vm_destroyed = vm_created

    def stop(self):
        subprocess.run(["pkill", "-TERM", "-P", str(self.pid)])
        os.kill(self.pid, signal.SIGTERM)


class Throttler(Policy):
    """ksm-throttlerd, told of VMs through its inotify input (mkdir); a
    variant (--variant) runs with more configuration merged in."""

    def __init__(self, daemon, events, label=None, extra=None):
        self.daemon, self.events, self.extra = daemon, events, extra or {}
        self.name = "ksm-throttler" + ("" if events else " (no events)")
        if label:
            self.name += f" ({label})"

    def start(self, tmp):
        self.sbs = os.path.join(tmp, "sbs")
        os.makedirs(self.sbs, exist_ok=True)
        conf = os.path.join(tmp, "kt.json")
        with open(conf, "w") as f:
            json.dump(merged({"inputs": {"inotify": {"dirs": [self.sbs]}}},
                             self.extra), f)
        self.log = open(os.path.join(tmp, "ksm-throttlerd.log"), "w")
        self.proc = subprocess.Popen(
            [self.daemon, "-f", "-v", "-c", conf, "--socket",
             os.path.join(tmp, "run", "kt.sock")],
            stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(1)

    def vm_created(self, vmid):
        if self.events:
            os.mkdir(os.path.join(self.sbs, vmid))

    def vm_destroyed(self, vmid):
        if self.events:
            os.rmdir(os.path.join(self.sbs, vmid))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        self.log.close()


class Oracle(Policy):
    """The floor: ksmd stopped until every guest of a wave has written its
    memory (or its late block), then at full speed until two full scans
    in a row merge nothing more and at least three have run, then
    stopped.  It watches full_scans in a thread of its own, every 20 ms,
    so that a short scan is not missed between two samples."""
    name = "oracle"

    def __init__(self):
        self.merged = None      # the live VMs' merged pages: run_policy's
        self.lock = threading.Lock()

    def plan(self, waves, late):
        """waves: each wave's VM ids; late: whether they write a late block.
        Before each timeline: what is left of the last one goes."""
        self.left, self.wave_of, self.scan = {}, {}, None
        self.quit = threading.Event()
        for w, vmids in enumerate(waves):
            self.left[("filled", w)] = set(vmids)
            if late:
                self.left[("late", w)] = set(vmids)
            self.wave_of.update((v, w) for v in vmids)

    def start(self, tmp):
        if os.path.exists(KSM + "advisor_mode"):
            knob_write("advisor_mode", "none")
        knob_write("run", 0)
        knob_write("pages_to_scan", 20000)
        knob_write("sleep_millisecs", 0)
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def vm_written(self, vmid, what):
        left = self.left.get((what, self.wave_of.get(vmid)))
        if left is None or vmid not in left:
            return
        left.discard(vmid)
        if not left:
            with self.lock:
                fs = int(knob_read("full_scans"))
                # first scan, last seen, last that grew, most merged
                self.scan = [fs, fs, fs, self.merged()]
                knob_write("run", 1)
                print(f"# oracle: {what}: ksmd on, full_scans {fs}",
                      flush=True)

    def _step(self):
        first, seen, grew, most = self.scan
        fs = int(knob_read("full_scans"))
        if fs == seen:
            return
        m = self.merged()
        if m > most + GROWTH_PAGES:
            grew, most = fs, m
        self.scan = [first, fs, grew, max(most, m)]
        if fs - first >= 3 and fs - grew >= 2:
            knob_write("run", 0)
            self.scan = None
            print(f"# oracle: ksmd off, full_scans {fs}, {m} pages merged",
                  flush=True)

    def _watch(self):
        warned = False
        while not self.quit.wait(0.02):
            with self.lock:
                if self.scan is not None:
                    self._step()
                elif not warned and knob_read("run") != "0":
                    # Only a process that ignores the test lock does it.
                    print("# oracle: something else turned ksmd on: "
                          "its figures are void", flush=True)
                    warned = True

    def stop(self):
        self.quit.set()
        self.thread.join()
        knob_write("run", 0)


def timeline(tl):
    """(time, action, vmid) for every policy, and each wave's VM ids.
    From the second wave on, a wave replaces the one before."""
    acts, waves, n = [], [], 0
    for w in range(tl["waves"]):
        t0 = w * tl["wave_s"]
        for i, vmid in enumerate(waves[-1] if waves else []):
            acts.append((t0 - 2 + i * 0.1, "destroy", vmid))
        waves.append([f"vm{n + i}" for i in range(tl["vms"])])
        n += tl["vms"]
        acts += [(t0 + i * VM_GAP_S, "create", vmid)
                 for i, vmid in enumerate(waves[-1])]
    end = tl["waves"] * tl["wave_s"]
    acts += [(end, "destroy", vmid) for vmid in waves[-1]]
    return sorted(acts, key=lambda a: a[0]), waves, end + 3


def proc_merged(pid):
    """A process's pages merged: with others, and with the zero page
    (use_zero_pages), which ksm_merging_pages leaves out."""
    got = {}
    try:
        with open(f"/proc/{pid}/ksm_stat") as f:
            for line in f:
                k, _, v = line.partition(" ")
                got[k.rstrip(":")] = v
        if "ksm_merging_pages" in got:
            return (int(got["ksm_merging_pages"]) +
                    int(got.get("ksm_zero_pages", 0)))
        with open(f"/proc/{pid}/ksm_merging_pages") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def merged_pages(vms):
    # the oracle's thread reads it too
    return sum(proc_merged(p.pid) for p in list(vms.values()))


def late_args(tl):
    if tl["late_s"] is None:
        return []
    return ["-l", str(tl["late_s"]), "-b", str(tl["late_mib"])]


def fill_ms(tl, n):
    """The fill time of a timeline's n-th guest (counted from 0)."""
    last = n % tl["vms"] == tl["vms"] - 1
    return (tl["last_fill_ms"] if last and tl["last_fill_ms"] is not None
            else tl["fill_ms"])


def fill_text(tl):
    """The fill times, as the tables' headings give them."""
    if tl["last_fill_ms"] is None:
        return str(tl["fill_ms"])
    return f"{tl['fill_ms']} (the last {tl['last_fill_ms']})"


def spawn(simvm, tl, vmid):
    n = vmid[2:]
    p = subprocess.Popen(
        [simvm, "-m", str(tl["vm_mib"]), "-f", str(fill_ms(tl, int(n))),
         "-i", n] + tl["args"] + late_args(tl),
        stdout=subprocess.PIPE)
    os.set_blocking(p.stdout.fileno(), False)
    p.buf = b""
    return p


def written(p):
    """What a simvm says it has written since last asked, as (filled or
    late, its fill's seconds or None): "simvm N: filled M MiB in S s"."""
    try:
        p.buf += os.read(p.stdout.fileno(), 4096) or b""
    except BlockingIOError:
        pass
    *lines, p.buf = p.buf.split(b"\n")
    out = []
    for w in (line.decode().split() for line in lines):
        if len(w) >= 3:
            secs = float(w[6]) if w[2] == "filled" and len(w) >= 8 else None
            out.append((w[2], secs))
    return out


def reap(p):
    p.send_signal(signal.SIGTERM)
    p.wait()
    p.stdout.close()


def run_policy(host, pol, simvm, tl, tmp):
    """Samples (seconds, merged pages, ksmd CPU s, pages_sharing, pages
    ksmd scanned since the start, or None where the kernel has no
    pages_scanned), the
    guests' writes (seconds, vmid, filled or late), their fills (seconds,
    vmid, the fill's seconds by simvm's clock) and the others' load."""
    acts, waves, end = timeline(tl)
    vms, samples, writes, fills = {}, [], [], []
    os.makedirs(os.path.join(tmp, "run"), exist_ok=True)
    if isinstance(pol, Oracle):
        pol.merged = lambda: merged_pages(vms)
        pol.plan(waves, tl["late_s"] is not None)
    pol.start(tmp)
    t0 = time.monotonic()
    c0 = host.cpu()
    busy0, own0 = host.busy(), own_cpu()
    scanned0 = pages_scanned()
    i = 0
    try:
        while True:
            now = time.monotonic() - t0
            while i < len(acts) and acts[i][0] <= now:
                _, what, vmid = acts[i]
                if what == "create":
                    vms[vmid] = spawn(simvm, tl, vmid)
                    pol.vm_created(vmid)
                else:
                    reap(vms.pop(vmid))
                    pol.vm_destroyed(vmid)
                i += 1
            for vmid, p in list(vms.items()):
                for what, secs in written(p):
                    writes.append((round(now, 2), vmid, what))
                    if secs is not None:
                        fills.append((round(now, 2), vmid, secs))
                    pol.vm_written(vmid, what)
            scanned = pages_scanned()
            samples.append((now, merged_pages(vms), host.cpu() - c0,
                            int(knob_read("pages_sharing")),
                            None if scanned is None else scanned - scanned0))
            if now >= end:
                break
            time.sleep(SAMPLE_S)
    finally:
        for p in vms.values():
            reap(p)
        pol.stop()
    others = host.others(busy0, host.cpu() - c0, own0) / (now or 1)
    host.restore()
    knob_write("run", 0)
    time.sleep(2)
    return samples, writes, fills, others


def merged(a, b):
    """Configuration a with b's keys laid over it, section by section."""
    out = dict(a)
    for k, v in b.items():
        out[k] = (merged(out[k], v) if isinstance(v, dict) and
                  isinstance(out.get(k), dict) else v)
    return out


def variant(arg):
    """--variant LABEL=JSON: (label, configuration)."""
    label, sep, text = arg.partition("=")
    try:
        conf = json.loads(text) if sep else None
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{arg}: {e}")
    if not label or not isinstance(conf, dict):
        raise argparse.ArgumentTypeError(
            f"{arg}: want LABEL={{JSON object}}")
    return label, conf


def policies(daemon, variants=(), baseline=None):
    pols = [KsmOff(), Oracle(), Fixed("kernel default", 100, 20),
            Fixed("fixed maximum", 20000, 0)]
    if os.path.exists(KSM + "advisor_mode"):
        pols.append(Advisor())
    if os.access(Ksmtuned.BIN, os.X_OK):
        pols.append(Ksmtuned())
    else:
        print("ksmtuned not installed (apt-get install ksmtuned): skipped")
    pols += [Throttler(daemon, True), Throttler(daemon, False)]
    if baseline:
        pols.append(Throttler(baseline, True, "baseline"))
    return pols + [Throttler(daemon, True, label, conf)
                   for label, conf in variants]


def run_timeline(tl, pols, simvm, json_path, lock):
    """Every policy through one timeline, the lock held for each."""
    res, others = {}, {}
    for p in runs_in(pols, tl):
        fcntl.flock(lock, fcntl.LOCK_EX)
        host = Host()
        tmp = tempfile.mkdtemp(prefix="kt-bench.")
        print(f"# {tl['name']}: {p.name} ...", flush=True)
        try:
            smp, writes, fills, others[p.name] = run_policy(
                host, p, simvm, tl, tmp)
            res[p.name] = (smp, writes, fills)
            if others[p.name] > BUSY_CORES:
                print(f"# {p.name}: the rest of the machine kept "
                      f"{others[p.name]:.2f} cores busy: compare ratios "
                      "with care", flush=True)
            log = os.path.join(tmp, "ksm-throttlerd.log")
            if os.path.exists(log):
                shutil.copy(log, f"{json_path}.{tl['name']}.{p.slug()}.log")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            host.restore()
            fcntl.flock(lock, fcntl.LOCK_UN)
        time.sleep(1)   # a waiting kernel test gets its turn
    out = report(res, others, tl)
    return {"timeline": tl, "results": out,
            "targets": {n: [dict(zip(("target", "value", "met"), r))
                            for r in targets(out, tl, n)]
                        for n in out if n.startswith("ksm-throttler")},
            "samples_columns": ["seconds", "merged_pages_of_live_vms",
                                "ksmd_cpu_seconds", "pages_sharing",
                                "pages_scanned"],
            "samples": {n: r[0] for n, r in res.items()},
            "writes": {n: r[1] for n, r in res.items()},
            "fills_columns": ["seconds", "vmid", "fill_seconds"],
            "fills": {n: r[2] for n, r in res.items()}}


def report(res, others, tl):
    """One timeline's figures from its samples, printed as tables."""
    out = analyse(res, others, tl)
    ratios(out)
    print(f"\n## {tl['name']}: {tl['waves']} wave(s) {tl['wave_s']} s apart, "
          f"{tl['vms']} x {tl['vm_mib']} MiB, fill {fill_text(tl)} ms\n")
    print(table(out, tl))
    tt = target_table(out, tl)
    if tt:
        print("\n" + tt)
    print(flush=True)
    return out


def report_again(path):
    """The tables of a run written earlier, figured anew."""
    with open(path) as f:
        doc = json.load(f)
    for t in doc["timelines"].values():
        res = {n: (t["samples"][n], t["writes"][n], t["fills"][n])
               for n in t["samples"]}
        report(res, {n: r["other_load_cores"]
                     for n, r in t["results"].items()}, t["timeline"])
    return 0


def runs_in(pols, tl):
    """The policies that run in a timeline: KSM off only where it asks."""
    return [p for p in pols if not isinstance(p, KsmOff) or
            tl["ksm_off"] or p.everywhere]


def policy_count(tl):
    return POLICIES + tl["ksm_off"]


def pick(names):
    """Timelines and policies asked for; policies by name or slug."""
    want = [t for n in names or DEFAULT_SET for t in n.split(",")]
    if "all" in want:
        want = list(TIMELINES)
    bad = [t for t in want if t not in TIMELINES]
    if bad:
        raise SystemExit(f"unknown timeline(s): {', '.join(bad)}; "
                         f"known: {', '.join(TIMELINES)}")
    return want


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--builddir", default="_build")
    ap.add_argument("--timeline", action="append", metavar="NAME[,NAME]",
                    help="timelines to run, or all (default: "
                    f"{','.join(DEFAULT_SET)}); repeatable")
    ap.add_argument("--list", action="store_true",
                    help="print the timelines and their run times, and exit")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 2 small VMs, waves 30 s apart")
    ap.add_argument("--waves", type=int, help="override the timelines' waves")
    ap.add_argument("--wave-secs", type=int,
                    help="override the time from one wave to the next")
    ap.add_argument("--only", help="comma-separated policy names or slugs "
                    "(ksm-off, oracle, kernel-default, fixed-maximum, "
                    "kernel-advisor, ksmtuned, ksm-throttler, "
                    "ksm-throttler-no-events); ksm-off runs where a "
                    "timeline asks for it, or where named here")
    ap.add_argument("--variant", action="append", type=variant, default=[],
                    metavar="LABEL=JSON",
                    help="also run ksm-throttler with this configuration "
                    "merged into its own, as 'ksm-throttler (LABEL)', e.g. "
                    "'pace 4={\"ksm\": {\"pace_factor\": 4}}' (for "
                    "--only: ksm-throttler-pace-4); repeatable")
    ap.add_argument("--baseline", metavar="DAEMON",
                    help="also run this ksm-throttlerd (a build of another "
                    "version) as 'ksm-throttler (baseline)', to compare a "
                    "change within one run (for --only: "
                    "ksm-throttler-baseline)")
    ap.add_argument("--json", default="bench.json")
    ap.add_argument("--report", metavar="JSON",
                    help="print the tables of a run written earlier, "
                    "figured by this version, and exit")
    args = ap.parse_args()
    if args.baseline and not os.access(args.baseline, os.X_OK):
        ap.error(f"--baseline {args.baseline}: not an executable")
    if args.report:
        return report_again(args.report)
    # SIGTERM unwinds as an exception would: the guests and the daemon
    # are stopped and the host's knobs put back on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    names = pick(args.timeline)
    tls = [make_timeline(n, args.quick, args.waves, args.wave_secs)
           for n in names]
    if args.list:
        for n in TIMELINES:
            tl = make_timeline(n, args.quick, args.waves, args.wave_secs)
            print(f"{n:12} {tl['waves']} x {tl['wave_s']} s, {tl['vms']} x "
                  f"{tl['vm_mib']} MiB, fill {fill_text(tl)} ms "
                  f"{' '.join(tl['args'] + late_args(tl))}: "
                  f"{run_secs(tl)} s per policy, {policy_count(tl)} "
                  "policies")
        print(f"{', '.join(names)}: about "
              f"{sum(run_secs(t) * policy_count(t) for t in tls) / 60:.0f} "
              "minutes for every policy")
        return 0
    if os.geteuid() != 0 or not os.access(KSM + "run", os.W_OK):
        print("SKIP: needs root and a writable " + KSM)
        return 77
    simvm = os.path.join(args.builddir, "tests/bench/simvm")
    pols = policies(os.path.join(args.builddir, "src/ksm-throttlerd"),
                    args.variant, args.baseline)
    if args.only:
        keep = args.only.split(",")
        pols = [p for p in pols if p.name in keep or p.slug() in keep]
        for p in pols:
            if isinstance(p, KsmOff):
                p.everywhere = True
    est = sum(run_secs(tl) * len(runs_in(pols, tl)) for tl in tls)
    print(f"# {', '.join(names)}: {len(pols)} policies, about "
          f"{est / 60:.0f} minutes", flush=True)
    lock = open(LOCK, "w")
    doc = {"kernel": os.uname().release, "quick": args.quick,
           "timelines": {}}
    for tl in tls:
        doc["timelines"][tl["name"]] = run_timeline(tl, pols, simvm,
                                                    args.json, lock)
        with open(args.json, "w") as f:
            json.dump(doc, f)
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
