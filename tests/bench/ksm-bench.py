#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""KSM policies side by side on the real kernel, one timeline for all.

Waves of simulated VMs (simvm) are created, left idle, destroyed; each
policy in turn runs the same timeline while pages_sharing and ksmd's CPU
time are sampled.  Per wave: the time from the wave's first VM until
the merged pages of the live VMs (the sum of their ksm_merging_pages: exact,
unlike pages_sharing, which the kernel updates lazily after a VM goes)
reach 90 % of the best plateau any policy reached in that wave, and the
unmerged GiB*s against that plateau; over the run and over
the idle stretches: ksmd CPU seconds.  And what else kept the machine's
cores busy meanwhile (neither ksmd nor the benchmark's own processes), since
ksmd's cost per page rises with contention while the fixed maximum's CPU
stays capped at one core.  Prints a table, writes JSON.

The default timeline is two waves 200 s apart, the second replacing the
first: a host where VMs come and go every few minutes, with idle
stretches between.  `--waves 3 --wave-secs 45` is a churn-heavy one.

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
import time

KSM = "/sys/kernel/mm/ksm/"
LOCK = "/run/lock/ksm-throttler-tests.lock"
KNOBS = ["run", "pages_to_scan", "sleep_millisecs", "advisor_mode",
         "advisor_max_cpu", "advisor_min_pages_to_scan",
         "advisor_max_pages_to_scan", "advisor_target_scan_time"]
PAGE = 4096
SAMPLE_S = 0.1
# The timeline: waves of VMs, each followed by an idle stretch.  A wave
# may first destroy the VMs of an earlier wave (churn).
WAVE_S = 200            # from one wave to the next
IDLE_FROM_S = 25        # the idle stretch: from here to the next wave
VMS_PER_WAVE = 4
VM_MIB = 512
VM_GAP_S = 0.5          # between two VMs of a wave
FILL_MS = 3000
# Above this many cores kept busy by others, a policy's run is flagged.
BUSY_CORES = 0.1


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
        self.ksmd = self._find_ksmd()
        self.hz = os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _find_ksmd():
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
        with open(f"/proc/{self.ksmd}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.hz

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
    """One contender: set up before the timeline, told of VMs, torn down."""
    name = "?"
    events = True

    def start(self, tmp):
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
    """ksm-throttlerd, told of VMs through its inotify input (mkdir)."""

    def __init__(self, daemon, events):
        self.daemon, self.events = daemon, events
        self.name = "ksm-throttler" + ("" if events else " (no events)")

    def start(self, tmp):
        self.sbs = os.path.join(tmp, "sbs")
        os.makedirs(self.sbs, exist_ok=True)
        conf = os.path.join(tmp, "kt.json")
        with open(conf, "w") as f:
            json.dump({"inputs": {"inotify": {"dirs": [self.sbs]}}}, f)
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


def timeline(waves):
    """(time, action, wave, vmid): the same for every policy."""
    acts, live, n = [], [], 0
    for w in range(waves):
        t0 = w * WAVE_S
        if w == waves - 1 and w > 0:
            # The last wave churns: the first wave's VMs go first.
            for i, vmid in enumerate(live[:VMS_PER_WAVE]):
                acts.append((t0 - 2 + i * 0.1, "destroy", w, vmid))
            live = live[VMS_PER_WAVE:]
        for i in range(VMS_PER_WAVE):
            vmid = f"vm{n}"
            n += 1
            acts.append((t0 + i * VM_GAP_S, "create", w, vmid))
            live.append(vmid)
    end = waves * WAVE_S
    for vmid in live:
        acts.append((end, "destroy", waves, vmid))
    return sorted(acts, key=lambda a: a[0]), end + 3


def merged_pages(vms):
    total = 0
    for p in vms.values():
        try:
            with open(f"/proc/{p.pid}/ksm_merging_pages") as f:
                total += int(f.read())
        except (OSError, ValueError):
            pass
    return total


def run_policy(host, pol, simvm, waves, tmp):
    acts, end = timeline(waves)
    vms, samples = {}, []
    os.makedirs(os.path.join(tmp, "run"), exist_ok=True)
    pol.start(tmp)
    t0 = time.monotonic()
    c0 = host.cpu()
    busy0, own0 = host.busy(), own_cpu()
    i = 0
    while True:
        now = time.monotonic() - t0
        while i < len(acts) and acts[i][0] <= now:
            _, what, _, vmid = acts[i]
            if what == "create":
                vms[vmid] = subprocess.Popen(
                    [simvm, "-m", str(VM_MIB), "-f", str(FILL_MS),
                     "-i", vmid[2:]], stdout=subprocess.DEVNULL)
                pol.vm_created(vmid)
            else:
                vms[vmid].send_signal(signal.SIGTERM)
                vms.pop(vmid).wait()
                pol.vm_destroyed(vmid)
            i += 1
        samples.append((now, merged_pages(vms), host.cpu() - c0,
                        int(knob_read("pages_sharing"))))
        if now >= end:
            break
        time.sleep(SAMPLE_S)
    for p in vms.values():
        p.send_signal(signal.SIGTERM)
        p.wait()
    pol.stop()
    others = host.others(busy0, host.cpu() - c0, own0) / (now or 1)
    host.restore()
    knob_write("run", 0)
    time.sleep(2)
    return samples, others


def wave_window(w, waves):
    return w * WAVE_S, (w + 1) * WAVE_S if w < waves - 1 else waves * WAVE_S


def cpu_between(samples, a, b):
    inside = [s for s in samples if a <= s[0] < b]
    return inside[-1][2] - inside[0][2] if len(inside) > 1 else 0.0


def analyse(results, others, waves):
    """Per wave: the best plateau of any policy, then each one's figures."""
    out = {name: {"waves": [], "other_load_cores": round(others[name], 2)}
           for name in results}
    for w in range(waves):
        a, b = wave_window(w, waves)
        plateau = max(max((s[1] for s in smp if b - 10 <= s[0] < b),
                          default=0) for smp in results.values())
        for name, smp in results.items():
            inside = [s for s in smp if a <= s[0] < b]
            hit = next((s[0] - a for s in inside
                        if s[1] >= 0.9 * plateau), None)
            gibs = sum(max(plateau - s[1], 0) * PAGE / 2**30 * SAMPLE_S
                       for s in inside)
            out[name]["waves"].append({
                "plateau_pages": plateau,
                "latency_s": None if hit is None else round(hit, 2),
                "unmerged_gib_s": round(gibs, 1)})
    for name, smp in results.items():
        idle = sum(cpu_between(smp, w * WAVE_S + IDLE_FROM_S,
                               wave_window(w, waves)[1])
                   for w in range(waves))
        out[name]["ksmd_cpu_s"] = round(smp[-1][2], 2)
        out[name]["ksmd_idle_cpu_s"] = round(idle, 2)
    return out


def ratios(out, ref="fixed maximum"):
    if ref not in out:
        return
    r = out[ref]
    for name, o in out.items():
        o["vs_max"] = {
            "latency": [None if (x["latency_s"] is None or
                                 not y["latency_s"]) else
                        round(x["latency_s"] / y["latency_s"], 2)
                        for x, y in zip(o["waves"], r["waves"])],
            "unmerged": [round(x["unmerged_gib_s"] / y["unmerged_gib_s"], 2)
                         if y["unmerged_gib_s"] else None
                         for x, y in zip(o["waves"], r["waves"])],
            "cpu": round(o["ksmd_cpu_s"] / r["ksmd_cpu_s"], 3)
            if r["ksmd_cpu_s"] else None}


def table(out, waves):
    lat = " | ".join(f"wave {w + 1} 90% (s)" for w in range(waves))
    gib = " | ".join(f"wave {w + 1} GiB*s" for w in range(waves))
    lines = [f"| policy | {lat} | {gib} | ksmd CPU s | idle CPU s "
             "| other load |",
             "|---" * (2 * waves + 4) + "|"]
    for name, o in out.items():
        ls = " | ".join("-" if x["latency_s"] is None else
                        f'{x["latency_s"]:.1f}' for x in o["waves"])
        gs = " | ".join(f'{x["unmerged_gib_s"]:.0f}' for x in o["waves"])
        lines.append(f"| {name} | {ls} | {gs} | {o['ksmd_cpu_s']:.1f} | "
                     f"{o['ksmd_idle_cpu_s']:.2f} | "
                     f"{o['other_load_cores']:.2f} |")
    return "\n".join(lines)


def main():
    global WAVE_S
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--builddir", default="_build")
    ap.add_argument("--waves", type=int, default=2)
    ap.add_argument("--wave-secs", type=int, default=WAVE_S,
                    help="from one wave to the next; the idle stretch is "
                    f"what follows the first {IDLE_FROM_S} s")
    ap.add_argument("--only", help="comma-separated policy names")
    ap.add_argument("--json", default="bench.json")
    args = ap.parse_args()
    WAVE_S = args.wave_secs
    if os.geteuid() != 0 or not os.access(KSM + "run", os.W_OK):
        print("SKIP: needs root and a writable " + KSM)
        return 77
    simvm = os.path.join(args.builddir, "tests/bench/simvm")
    daemon = os.path.join(args.builddir, "src/ksm-throttlerd")
    pols = [Fixed("kernel default", 100, 20),
            Fixed("fixed maximum", 20000, 0)]
    if os.path.exists(KSM + "advisor_mode"):
        pols.append(Advisor())
    if os.access(Ksmtuned.BIN, os.X_OK):
        pols.append(Ksmtuned())
    else:
        print("ksmtuned not installed (apt-get install ksmtuned): skipped")
    pols += [Throttler(daemon, True), Throttler(daemon, False)]
    if args.only:
        keep = args.only.split(",")
        pols = [p for p in pols if p.name in keep]
    lock = open(LOCK, "w")
    results, others = {}, {}
    for p in pols:
        fcntl.flock(lock, fcntl.LOCK_EX)
        host = Host()
        tmp = tempfile.mkdtemp(prefix="kt-bench.")
        print(f"# {p.name} ...", flush=True)
        try:
            results[p.name], others[p.name] = run_policy(
                host, p, simvm, args.waves, tmp)
            if others[p.name] > BUSY_CORES:
                print(f"# {p.name}: the rest of the machine kept "
                      f"{others[p.name]:.2f} cores busy: compare ratios "
                      "with care", flush=True)
            log = os.path.join(tmp, "ksm-throttlerd.log")
            if os.path.exists(log):
                slug = re.sub(r"[^a-z0-9]+", "-", p.name.lower())
                shutil.copy(log, f"{args.json}.{slug.strip('-')}.log")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            host.restore()
            fcntl.flock(lock, fcntl.LOCK_UN)
        time.sleep(1)   # a waiting kernel test gets its turn
    out = analyse(results, others, args.waves)
    ratios(out)
    print(table(out, args.waves))
    with open(args.json, "w") as f:
        json.dump({"timeline": {"waves": args.waves, "wave_s": WAVE_S,
                                "idle_from_s": IDLE_FROM_S,
                                "vms_per_wave": VMS_PER_WAVE,
                                "vm_mib": VM_MIB, "fill_ms": FILL_MS},
                   "kernel": os.uname().release, "results": out,
                   "samples_columns": ["seconds", "merged_pages_of_live_vms",
                                       "ksmd_cpu_seconds", "pages_sharing"],
                   "samples": results}, f)
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
