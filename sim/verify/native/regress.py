"""The random regression on the native engine: the jobs of ``random_job(config, seed)`` for
a list of seeds on one build, each through the host session and checked by the scoreboard,
on one process, sharded over local processes, or over the workers of a Dask cluster.

The summary is the one the cocotb bench's ``test_regress`` writes (``count``, ``passed``,
``sim_cycles``, ``wall_s``, ``cases``) plus ``engine_s``, the time spent inside the compiled
harness. Every field but the times depends only on the configuration and the seeds: a job
loads its whole image and the driver never stalls a stream, so a job's cycles do not depend
on the jobs before it, and the merged summary of several workers equals one worker's.
"""

import time
from concurrent.futures import ProcessPoolExecutor

from eie_hw.config import EIEConfig
from sim.verify.cocotb_bench.stimulus import random_job
from sim.verify.scoreboard import JobFailure

from .bench import NativeBench
from .build import build_native

__all__ = ["run_case", "run_seeds", "TIMING_FIELDS"]

#: The fields of a summary (and of its cases) that measure time, not behaviour.
TIMING_FIELDS = ("wall_s", "engine_s")


def run_case(bench, seed):
    """Job ``random_job(bench.config, seed)`` on ``bench``: its case record. A failing job is
    recorded with its message and the array is reset, so the next job starts clean."""
    t0, c0 = time.perf_counter(), bench.cycles
    try:
        job = random_job(bench.config, seed)
        bench.run_job(job, f"seed {seed} ({job.describe()})")
        case = {"seed": seed, "passed": True, "kind": job.label}
    except JobFailure as e:
        case = {"seed": seed, "passed": False, "message": str(e)[:2000]}
        bench.reset()
    case.update(cycles=bench.cycles - c0, wall_s=time.perf_counter() - t0)
    if case["passed"]:
        case["features"] = job.features
    return case


def _summary(cases, wall_s, engine_s):
    cases = sorted(cases, key=lambda c: c["seed"])
    return {"count": len(cases), "passed": sum(c["passed"] for c in cases),
            "sim_cycles": sum(c["cycles"] for c in cases), "wall_s": wall_s,
            "engine_s": engine_s, "cases": cases}


def _run_shard(config_dict, seeds):
    """One worker: the seeds ``seeds`` on a fresh array of the (already built) engine."""
    config = EIEConfig.from_dict(config_dict)
    bench = NativeBench(build_native(config, log=lambda message: None))
    start = time.perf_counter()
    cases = [run_case(bench, seed) for seed in seeds]
    return _summary(cases, time.perf_counter() - start, bench.array.seconds)


def run_seeds(config, seeds, *, workers=1, scheduler=None, log=print):
    """The regression of ``seeds`` on the native engine of ``config``: a summary (see the
    module's docstring). The engine is built (or found in the cache) once, here; with
    ``workers > 1`` the seeds are dealt round-robin to that many processes, each running its
    share on its own array of the same build, and the summaries merged (cases in seed order,
    ``engine_s`` summed, ``wall_s`` the elapsed time of the whole run).

    With ``scheduler`` the shards run on a Dask cluster instead (:func:`_run_on_dask`):
    ``"local"`` starts a local cluster of ``workers`` processes; any other value is the address
    of a running scheduler (``tcp://host:8786``), whose workers each need the project and its
    build tools (they build the engine of ``config`` once per machine, from the same cache).

    Returns ``(summary, build)``.

    Raises
    ------
    ValueError
        ``workers`` is not a positive integer, or ``seeds`` holds a seed twice.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, not {workers!r}")
    seeds = [int(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError("every seed may appear only once")
    built = build_native(config, log=log)
    start = time.perf_counter()
    if scheduler is not None:
        shards = _run_on_dask(scheduler, workers, config.to_dict(), seeds, log)
    elif workers == 1 or len(seeds) <= 1:
        shards = [_run_shard(config.to_dict(), seeds)]
    else:
        parts = [seeds[i::workers] for i in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            shards = list(pool.map(_run_shard, [config.to_dict()] * workers, parts))
    wall = time.perf_counter() - start
    cases = [case for shard in shards for case in shard["cases"]]
    return _summary(cases, wall, sum(shard["engine_s"] for shard in shards)), built


def _run_on_dask(scheduler, workers, config_dict, seeds, log):
    """The shard summaries of ``seeds`` on a Dask cluster: ``"local"`` (a ``LocalCluster`` of
    ``workers`` single-threaded processes, closed afterwards) or a scheduler's address; the
    seeds are dealt round-robin to as many shards as the cluster has workers."""
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout=30)
    try:
        n = max(1, len(client.scheduler_info()["workers"]))
        log(f"dask: {n} worker(s) at {client.scheduler.address}")
        parts = [part for part in (seeds[i::n] for i in range(n)) if part]
        futures = client.map(_run_shard, [config_dict] * len(parts), parts, pure=False)
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
