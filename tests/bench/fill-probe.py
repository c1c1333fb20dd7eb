#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What scanning while guests write their memory buys, measured.

One wave of simulated guests (simvm: 4 x 512 MiB, filled over 3 s, 0.5 s
apart by default) per mode; ksmd is driven by hand while they write,
then flat out (or at --sprint PAGES/MS) from the moment the last one is
done.  Per mode: ksmd's CPU seconds while they wrote, the pages merged
and scanned by then, the seconds from the last guest done until 90 % and
99.5 % of what was merged 45 s later, and ksmd's CPU seconds until the
99.5 %.  Modes (any number, run in order):

  wait            ksmd stopped while they write (the oracle's way)
  full            flat out while they write (20000 pages, sleep 0)
  pace:PAGES      PAGES every 20 ms while they write

Root and a writable /sys/kernel/mm/ksm; holds the test lock and puts
the knobs back however it ends.  Not part of make check: the figures
are in doc/benchmark.md, ratios within one run.

Usage: fill-probe.py [--builddir DIR] [--vms N] [--mib M] [--fill MS]
                     [--sprint PAGES/MS] MODE...
"""
import sys
import time

sys.dont_write_bytecode = True   # nothing left in the source tree
from ksmd import guests, knob, probe_args, run_probe  # noqa: E402





def merged(procs):
    """The guests' merged pages: the sum of their ksm_merging_pages."""
    total = 0
    for p in procs:
        try:
            with open(f"/proc/{p.pid}/ksm_stat") as f:
                for line in f:
                    if line.startswith("ksm_merging_pages"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def drive(mode):
    """The knobs while the guests write."""
    if mode == "wait":
        return
    if mode == "full":
        knob("pages_to_scan", 20000)
        knob("sleep_millisecs", 0)
    else:
        knob("pages_to_scan", int(mode.split(":", 1)[1]))
        knob("sleep_millisecs", 20)
    knob("run", 1)


def probe(args, ksmd, mode):
    c0 = s0 = 0

    def begin():
        nonlocal c0, s0
        drive(mode)
        c0, s0 = ksmd.cpu(), knob("pages_scanned")

    with guests(args, gap_s=0.5, before=begin) as procs:
        for p in procs:
            p.stdout.readline()
        t_done, c_done = time.monotonic(), ksmd.cpu()
        m_done, s_done = merged(procs), knob("pages_scanned")
        pages, ms = args.sprint
        knob("pages_to_scan", pages)
        knob("sleep_millisecs", ms)
        knob("run", 1)
        hist = []
        while time.monotonic() - t_done < 45:
            hist.append((time.monotonic() - t_done, merged(procs),
                         ksmd.cpu() - c0))
            time.sleep(0.1)
        knob("run", 0)
    top = hist[-1][1]
    t90 = next(t for t, m, _ in hist if m >= 0.9 * top)
    t995, c995 = next((t, c) for t, m, c in hist if m >= 0.995 * top)
    print(f"| {mode} | {c_done - c0:.2f} | {m_done} | {s_done - s0} | "
          f"{t90:.2f} | {t995:.2f} | {c995:.2f} | {top} |", flush=True)


def main():
    ap = probe_args(__doc__)
    ap.add_argument("--sprint", default="20000/0",
                    help="pages_to_scan/sleep_millisecs once all are done")
    ap.add_argument("modes", nargs="+")
    args = ap.parse_args()
    try:
        p, m = args.sprint.split("/")
        args.sprint = (int(p), int(m))
    except ValueError:
        ap.error(f"--sprint {args.sprint}: PAGES/MS")
    for mode in args.modes:
        if mode not in ("wait", "full") and not (
                mode.startswith("pace:") and mode[5:].isdigit()):
            ap.error(f"{mode}: not wait, full or pace:PAGES")
    return run_probe(
        ("while they write", "ksmd CPU s then", "merged then", "scanned then",
         "90 % after the last (s)", "99.5 % after (s)",
         "ksmd CPU s to 99.5 %", "merged pages"),
        args.modes, lambda ksmd, mode: probe(args, ksmd, mode))

if __name__ == "__main__":
    sys.exit(main())
