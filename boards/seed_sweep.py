"""A placement-seed sweep: the same build routed with several nextpnr seeds, the best kept.

nextpnr's result on a dense design depends on its placement seed as much as on a change of the
RTL (docs/boards.md: 58.0 to 70.9 MHz for one 16-PE ECP5 design), so a build that must meet a
clock is routed with several seeds and the best result kept. :func:`run_sweep` runs the
routes (each build in its own directory, ``jobs`` at a time: each is one tool process) and
reports each as it ends; :func:`best_result` picks the one to keep.
"""

from argparse import ArgumentTypeError
from concurrent.futures import ThreadPoolExecutor, as_completed

from .results import MET

__all__ = ["parse_seeds", "best_result", "run_sweep", "sweep_summary"]


def parse_seeds(text):
    """Seeds written as a comma-separated list of non-negative integers and ranges
    (``"2,3,4"``, ``"1-4"``, ``"1-3,7"``); a list of at least two distinct seeds, in the order
    given. An ``argparse`` ``type=`` converter."""
    seeds = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise ArgumentTypeError(f"must be seeds such as 1-4 or 2,3,7, not {text!r}") from None
        if first < 0 or last < first:
            raise ArgumentTypeError(f"must be non-negative seeds, ranges low-high, not {part!r}")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    if len(seeds) < 2:
        raise ArgumentTypeError(f"a sweep needs at least two seeds, not {text!r} (use --seed)")
    return seeds


def _rank(report):
    """Sort key, larger is better: a met clock before a missed one, then the higher Fmax;
    a build without an Fmax (it failed before routing) last."""
    fmax = report.get("fmax_mhz")
    return (fmax is not None, report.get("status") == MET, fmax or 0.0)


def best_result(reports):
    """The best of ``{seed: report}`` as ``(seed, report)``: among the builds that met their
    clock the highest Fmax, else the highest Fmax routed, else ``None`` (no build routed)."""
    if not reports:
        return None
    seed = max(reports, key=lambda s: _rank(reports[s]))
    return (seed, reports[seed]) if reports[seed].get("fmax_mhz") is not None else None


def run_sweep(routes, *, jobs, progress=print):
    """Run every seed's ``routes[seed]()`` (which returns that build's report), ``jobs`` of
    them at a time; ``progress`` gets a line when they start and as each ends. Returns
    ``{seed: report}`` in the order of ``routes``."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    seeds = list(routes)
    workers = min(jobs, len(seeds))
    reports = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(routes[seed]): seed for seed in seeds}
        progress(f"routing {len(seeds)} seeds ({', '.join(map(str, seeds))}), "
                 f"{workers} at a time")
        for done in as_completed(futures):
            seed = futures[done]
            reports[seed] = done.result()
            progress(f"seed {seed}: {_describe(reports[seed])} "
                     f"({len(reports)}/{len(seeds)} done)")
    return {seed: reports[seed] for seed in seeds}


def _describe(report):
    fmax = report.get("fmax_mhz")
    minutes = report.get("build_seconds", 0) / 60
    if fmax is None:
        error = (report.get("error") or "no report").splitlines()
        return f"failed before routing, {minutes:.1f} min: {error[0]}"
    return (f"{fmax:.2f} MHz, {report.get('status')} "
            f"({report.get('constraint_mhz', 0):g} MHz), {minutes:.1f} min")


def sweep_summary(reports):
    """What each seed gave, for the kept result's JSON: a list of ``{"seed", "fmax_mhz",
    "status", "build_seconds", "build_dir"}``."""
    return [{"seed": seed, "fmax_mhz": r.get("fmax_mhz"), "status": r.get("status"),
             "build_seconds": r.get("build_seconds"), "build_dir": r.get("build_dir")}
            for seed, r in reports.items()]
