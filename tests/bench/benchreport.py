# SPDX-License-Identifier: Apache-2.0
"""The figures of ksm-bench.py: from each policy's samples of a timeline,
per-wave latency, unmerged GiB*s, ksmd CPU and the guests' fill time, the
ratios to the fixed maximum, to the oracle and to KSM off, the targets
met or not, and the tables."""

PAGE = 4096
# The interference baseline's name, as ksm-bench.py calls it.
KSM_OFF = "KSM off"


def wave_window(w, tl):
    a = w * tl["wave_s"]
    return a, a + tl["wave_s"]


def cpu_between(samples, a, b):
    inside = [s for s in samples if a <= s[0] < b]
    return inside[-1][2] - inside[0][2] if len(inside) > 1 else 0.0


def unmerged_gib_s(inside, plateau):
    return sum(max(plateau - s[1], 0) * PAGE / 2**30 * (t[0] - s[0])
               for s, t in zip(inside, inside[1:]))


def late_latency(smp, writes, w, tl):
    """Seconds from the last late block of wave w written until the merged
    pages grow by 90 % of the late blocks (every guest's pages count: it
    is what ksm_merging_pages counts), from what they were just before the
    first was written: the first guests' blocks may merge before the last
    is written."""
    a, b = wave_window(w, tl)
    ts = [t for t, _, what in writes if what == "late" and a <= t < b]
    if len(ts) < tl["vms"]:
        return None
    first, late = min(ts), max(ts)
    before = max((s[1] for s in smp if first - 1 <= s[0] < first),
                 default=0)
    goal = before + 0.9 * tl["vms"] * tl["late_mib"] * 2**20 / PAGE
    return next((round(s[0] - late, 2) for s in smp
                 if late <= s[0] < b and s[1] >= goal), None)


def best(res, a, b):
    """The most pages any policy had merged between a and b."""
    return max(max((s[1] for s in smp if a <= s[0] < b), default=0)
               for smp, *_ in res.values())


def stages(res, w, tl):
    """Wave w as (from, to, plateau): the best any policy reached in the
    last 10 s of the stage.  With a late block, the boot stage ends where
    the first guest writes it; the merge latency is the boot stage's."""
    a, b = wave_window(w, tl)
    cut = min((t for _, writes, _ in res.values() for t, _, what in writes
               if what == "late" and a <= t < b), default=b)
    marks = [a, cut, b] if cut < b else [a, b]
    return [(x, y, best(res, y - 10, y)) for x, y in zip(marks, marks[1:])]


def mean_fill(fills, a, b):
    """Mean seconds the guests that finished their fill between a and b
    took to write their memory, by their own clocks; None if none did."""
    secs = [f for t, _, f in fills if a <= t < b]
    return round(sum(secs) / len(secs), 4) if secs else None


def analyse(res, others, tl):
    """Per wave: the best plateau of any policy, then each one's figures.
    res: policy name -> (samples, writes, fills)."""
    out = {name: {"waves": [], "other_load_cores": round(others[name], 2)}
           for name in res}
    for w in range(tl["waves"]):
        a, b = wave_window(w, tl)
        st = stages(res, w, tl)
        plateau = st[0][2]
        for name, (smp, writes, fills) in res.items():
            inside = [s for s in smp if a <= s[0] < b]
            hit = None if plateau == 0 else next(
                (s[0] - a for s in inside if s[1] >= 0.9 * plateau), None)
            gibs = sum(unmerged_gib_s([s for s in smp if x <= s[0] < y], p)
                       for x, y, p in st)
            wave = {"plateau_pages": plateau,
                    "latency_s": None if hit is None else round(hit, 2),
                    "unmerged_gib_s": round(gibs, 1),
                    "ksmd_cpu_s": round(cpu_between(smp, a, b), 2),
                    "fill_s": mean_fill(fills, a, b)}
            if tl["late_s"] is not None:
                wave["late_latency_s"] = late_latency(smp, writes, w, tl)
            out[name]["waves"].append(wave)
    for name, (smp, *_) in res.items():
        idle = sum(cpu_between(smp, wave_window(w, tl)[0] + tl["idle_from"],
                               wave_window(w, tl)[1])
                   for w in range(tl["waves"]))
        out[name]["ksmd_cpu_s"] = round(smp[-1][2], 2)
        out[name]["ksmd_idle_cpu_s"] = round(idle, 2)
    return out


def ratio(x, y, nd=2):
    return None if x is None or not y else round(x / y, nd)


def ratios(out):
    """Against the fixed maximum (latency, unmerged, CPU), the oracle
    (ksmd CPU per wave) and KSM off (fill time per wave), where they ran."""
    r, o = out.get("fixed maximum"), out.get("oracle")
    k = out.get(KSM_OFF)
    for name, res in out.items():
        if r is not None:
            res["vs_max"] = {
                "latency": [ratio(x["latency_s"], y["latency_s"])
                            for x, y in zip(res["waves"], r["waves"])],
                "unmerged": [ratio(x["unmerged_gib_s"], y["unmerged_gib_s"])
                             for x, y in zip(res["waves"], r["waves"])],
                "cpu": ratio(res["ksmd_cpu_s"], r["ksmd_cpu_s"], 3)}
            if "late_latency_s" in res["waves"][0]:
                mine = [x["late_latency_s"] for x in res["waves"]]
                ref = [y["late_latency_s"] for y in r["waves"]]
                res["vs_max"]["late_latency"] = [
                    ratio(x, y) for x, y in zip(mine, ref)]
                res["vs_max"]["late_latency_mean"] = (
                    None if None in mine + ref else
                    ratio(sum(mine), sum(ref)))
        if o is not None:
            res["vs_oracle"] = {"cpu_per_wave": [
                ratio(x["ksmd_cpu_s"], y["ksmd_cpu_s"])
                for x, y in zip(res["waves"], o["waves"])]}
        if k is not None:
            res["vs_ksm_off"] = {"fill": [
                ratio(x["fill_s"], y["fill_s"])
                for x, y in zip(res["waves"], k["waves"])]}


def fmt(v, f="{:.2f}"):
    return "-" if v is None else f.format(v)


def met(values, limit):
    """True if every value is known and at most limit; None if none known."""
    if not values or any(v is None for v in values):
        return None
    return all(v <= limit for v in values)


def targets(out, tl, name):
    """(target, value, met: True, False or None when it cannot be told)
    for one policy, from the project's goals."""
    o, rows = out[name], []
    vm, vo = o.get("vs_max", {}), o.get("vs_oracle", {})
    mergeable = any(w["plateau_pages"] for w in o["waves"])
    if mergeable:
        lat = vm.get("latency")
        rows.append(("merge latency <= 1.15x the fixed maximum's, "
                     "every wave", ", ".join(fmt(v) for v in lat or []) or "-",
                     met(lat, 1.15)))
    cpu = vo.get("cpu_per_wave")
    rows.append((("unmergeable " if not mergeable else "") +
                 "ksmd CPU per wave <= 1.3x the oracle's",
                 ", ".join(fmt(v) for v in cpu or []) or "-", met(cpu, 1.3)))
    rivals = [r for r in ("ksmtuned", "fixed maximum") if r in out]
    rows.append(("total ksmd CPU below " + (" and ".join(rivals) or
                 "ksmtuned, fixed maximum"),
                 f"{o['ksmd_cpu_s']:.1f} s against " + (", ".join(
                     f"{out[r]['ksmd_cpu_s']:.1f}" for r in rivals) or "-"),
                 all(o["ksmd_cpu_s"] < out[r]["ksmd_cpu_s"] for r in rivals)
                 if rivals else None))
    d = out.get("kernel default")
    rows.append(("idle-stretch ksmd CPU <= the kernel default's",
                 f"{o['ksmd_idle_cpu_s']:.2f} s against " +
                 fmt(d and d["ksmd_idle_cpu_s"]),
                 None if d is None else
                 o["ksmd_idle_cpu_s"] <= d["ksmd_idle_cpu_s"]))
    if mergeable and "fixed maximum" in out:
        mine = sum(w["unmerged_gib_s"] for w in o["waves"])
        ref = sum(w["unmerged_gib_s"] for w in out["fixed maximum"]["waves"])
        rows.append(("unmerged GiB*s <= 1.2x the fixed maximum's",
                     fmt(ratio(mine, ref)), met([ratio(mine, ref)], 1.2)))
    fill = o.get("vs_ksm_off", {}).get("fill")
    if fill is not None:
        rows.append(("interference (fill time) <= 1.10x KSM off, every wave",
                     ", ".join(fmt(v) for v in fill), met(fill, 1.10)))
    if "late_latency" in vm:
        # On the mean over the waves: one late block's latency depends on
        # where it lands in ksmd's pass, for every policy alike.
        mean = vm.get("late_latency_mean")
        rows.append(("late duplicates 90 % merged within 3x the fixed "
                     "maximum's time, mean over the waves",
                     fmt(mean) + " (" + ", ".join(
                         fmt(v) for v in vm["late_latency"]) + ")",
                     met([mean], 3)))
    return rows


def table(out, tl):
    n = tl["waves"]
    late = tl["late_s"] is not None
    off = KSM_OFF in out
    head = ([f"wave {w + 1} 90% (s)" for w in range(n)] +
            ([f"wave {w + 1} late 90% (s)" for w in range(n)] if late
             else []) +
            [f"wave {w + 1} GiB*s" for w in range(n)] +
            ["ksmd CPU s", "CPU/wave vs oracle", "CPU vs max", "idle CPU s",
             "fill ms/wave"] +
            (["fill time vs KSM off"] if off else []) +
            ["other load"])
    lines = ["| policy | " + " | ".join(head) + " |",
             "|---" * (len(head) + 1) + "|"]
    for name, o in out.items():
        ws = o["waves"]
        cells = ([fmt(x["latency_s"], "{:.1f}") for x in ws] +
                 ([fmt(x["late_latency_s"], "{:.1f}") for x in ws] if late
                  else []) +
                 [f'{x["unmerged_gib_s"]:.0f}' for x in ws] +
                 [f'{o["ksmd_cpu_s"]:.1f}',
                  ", ".join(fmt(v) for v in
                            o.get("vs_oracle", {}).get("cpu_per_wave", [])) or
                  "-",
                  fmt(o.get("vs_max", {}).get("cpu"), "{:.3f}"),
                  f'{o["ksmd_idle_cpu_s"]:.2f}',
                  ", ".join(fmt(x["fill_s"] and x["fill_s"] * 1000,
                                "{:.0f}") for x in ws)] +
                 ([", ".join(fmt(v) for v in
                             o.get("vs_ksm_off", {}).get("fill", []))]
                  if off else []) +
                 [f'{o["other_load_cores"]:.2f}'])
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_table(out, tl):
    mine = [n for n in out if n.startswith("ksm-throttler")]
    if not mine:
        return ""
    rows = {n: targets(out, tl, n) for n in mine}
    verdict = {True: "met", False: "NOT MET", None: "n/a"}
    lines = ["| target | " + " | ".join(f"{n} | met" for n in mine) + " |",
             "|---" * (2 * len(mine) + 1) + "|"]
    for i, (what, _, _) in enumerate(rows[mine[0]]):
        lines.append(f"| {what} | " + " | ".join(
            f"{rows[n][i][1]} | {verdict[rows[n][i][2]]}" for n in mine) +
            " |")
    return "\n".join(lines)
