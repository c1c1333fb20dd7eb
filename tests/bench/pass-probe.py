#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What a full pass costs ksmd, pass after pass, by the kind of page.

One wave of simulated guests (simvm: 4 x 512 MiB, filled over 3 s by
default) per content, written with ksmd stopped; then ksmd flat out
(20000 pages, sleep 0) for --passes full passes.  Per pass: the pages
it scanned (pages_scanned: pages smart_scan skips are not counted), its
CPU seconds, microseconds per page scanned, the pages merged by the
pass's end (pages_sharing) and the pages skipped (pages_skipped); passes
too short to be told apart share a row.  Pass 0 runs from ksmd's start
to the end of the pass its cursor was in: the first look at most pages.  Pass 1 merges what is the same; the rest go
over settled memory, where smart_scan skips unique pages on more and
more of the passes.  Contents (any number, in order):

  mix      simvm's default: 30 % zero pages, 40 % the same in every
           guest, 30 % unique
  unique   every page unique (-z 0 -s 0)
  shared   every page the same in every guest (-z 0 -s 100)
  zero     every page zero (-z 100 -s 0)

Root and a writable /sys/kernel/mm/ksm with pages_scanned; holds the
test lock and puts the knobs back however it ends.  Not part of make
check: the figures are in doc/benchmark.md, ratios within one run.

Usage: pass-probe.py [--builddir DIR] [--vms N] [--mib M] [--fill MS]
                     [--passes N] CONTENT...
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # nothing left in the source tree
from ksmd import KSM, guests, knob, probe_args, run_probe  # noqa: E402

CONTENTS = {"mix": [], "unique": ["-z", "0", "-s", "0"],
            "shared": ["-z", "0", "-s", "100"],
            "zero": ["-z", "100", "-s", "0"]}




def wait_pass(scans, limit_s=120):
    """Until full_scans passes SCANS; its new value."""
    end = time.monotonic() + limit_s
    while (n := knob("full_scans")) <= scans:
        if time.monotonic() > end:
            raise SystemExit("ksmd finished no pass in %d s" % limit_s)
        time.sleep(0.005)
    return n


def probe(args, ksmd, content):
    with guests(args, CONTENTS[content]) as procs:
        for p in procs:
            p.stdout.readline()
        # ksmd starts where its cursor was: pass 0 runs from there to the
        # end of the pass under way, the first look at most pages.
        # Passes too short to be told apart (a small set) share a row.
        start = scans = knob("full_scans")
        last = (ksmd.cpu(), knob("pages_scanned"), knob("pages_skipped"))
        knob("run", 1)
        while scans - start <= args.passes:
            first, scans = scans - start, wait_pass(scans)
            now = (ksmd.cpu(), knob("pages_scanned"), knob("pages_skipped"))
            cpu, pages = now[0] - last[0], now[1] - last[1]
            n = first if scans - start == first + 1 else \
                f"{first}-{scans - start - 1}"
            print(f"| {content} | {n} | {pages} | {cpu:.2f} | "
                  f"{cpu / pages * 1e6 if pages else 0:.2f} | "
                  f"{knob('pages_sharing')} | {now[2] - last[2]} |",
                  flush=True)
            last = now
        knob("run", 0)


def main():
    ap = probe_args(__doc__)
    ap.add_argument("--passes", type=int, default=8)
    ap.add_argument("contents", nargs="+")
    args = ap.parse_args()
    for c in args.contents:
        if c not in CONTENTS:
            ap.error(f"{c}: not one of {', '.join(CONTENTS)}")
    if not os.path.exists(KSM + "pages_scanned"):
        print("SKIP: this kernel has no " + KSM + "pages_scanned")
        return 77
    return run_probe(
        ("content", "pass", "pages scanned", "ksmd CPU s", "us a page",
         "pages_sharing after", "pages skipped"),
        args.contents, lambda ksmd, c: probe(args, ksmd, c))

if __name__ == "__main__":
    sys.exit(main())
