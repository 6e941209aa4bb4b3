"""The native engine (sim/verify/native): the Verilated design with the clock in C++, driven by
the host session through NativeHostPort and checked by the scoreboard against the golden and
cycle models. One build per configuration (cached under build/native/)."""

import json
import shutil
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import timing_with_extra_action

from eie_hw.host.session import HostSession
from eie_hw.host.words import Write, encode_read, encode_write, image_writes, input_writes
from eie_hw.protocol import COUNTED_ACTIONS, ERROR_N_LAYERS, Space, write_layout
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.cocotb_bench.stimulus import KINDS, random_job
from sim.verify.configs import small_config
from sim.verify.scoreboard import JobFailure

pytestmark = pytest.mark.skipif(shutil.which("g++") is None or shutil.which("make") is None,
                                reason="the native engine needs g++ and make")

#: The arrays, by name: PE count, and the broadcast width where it is not 1.
CONFIGS = {1: small_config(1, 1), 4: small_config(4, 8), 16: small_config(16, 8),
           "16-k2": small_config(16, 8, broadcast_width=2)}
_builds = {}


def _build(n_pes):
    from sim.verify.native import build_native

    if n_pes not in _builds:
        _builds[n_pes] = build_native(CONFIGS[n_pes])
    return _builds[n_pes]


def _bench(n_pes):
    from sim.verify.native import NativeBench

    return NativeBench(_build(n_pes))


@pytest.mark.parametrize("n_pes", list(CONFIGS))
@pytest.mark.parametrize("kind", KINDS)
def test_random_jobs_match_the_models(n_pes, kind, rng):
    """Three back-to-back random jobs of ``kind``: outputs bit for bit, cycles, broadcasts,
    stalls and error flags as the models say (the scoreboard raises otherwise)."""
    bench = _bench(n_pes)
    for i in range(3):
        job = random_job(bench.config, int(rng.integers(1 << 31)), kind)
        expected, timing = job.expected()
        result = bench.run_job(job, f"job {i} ({job.describe()})")
        assert result.physical.tolist() == [int(v) for v in expected]
        assert result.cycles == timing.total and result.error == 0
    assert bench.scoreboard.matched > 0 or kind == "empty"


class _CountingPort:
    """Wraps a NativeHostPort's write to count the words sent."""

    def __init__(self, port):
        self.words = 0
        self._write = port.write

        async def write(words):
            words = list(words)
            self.words += len(words)
            await self._write(words)
        port.write = write


def test_batch_loads_the_image_once(rng):
    from sim.verify.native import NativeArray, NativeHostPort, complete

    config = CONFIGS[4]
    job = random_job(config, int(rng.integers(1 << 31)), "multi")
    inputs = np.stack([np.roll(job.x, k) for k in range(5)])
    array = NativeArray(_build(4))
    array.reset()
    port = NativeHostPort(array)
    counter = _CountingPort(port)
    batch = complete(HostSession(port).run_batch(inputs, job.image))
    golden = GoldenModel(job.image)
    for x, physical, cycles in zip(inputs, batch.physical, batch.cycles, strict=True):
        assert physical.tolist() == [int(v) for v in golden.layer_outputs(x)[-1]]
        assert cycles == job_timing(job.image, x, golden).total
    per_input = len(input_writes(config, job.x)) + 1
    assert counter.words == len(image_writes(job.image)) + len(inputs) * per_input


def test_simulate_backend_equals_amaranth_shape(rng):
    from sim.verify.backends import BACKENDS, simulate_rtl

    assert "native" in BACKENDS
    job = random_job(CONFIGS[4], int(rng.integers(1 << 31)), "mixed")
    result = simulate_rtl(job.image, job.x, "native")
    expected, timing = job.expected()
    assert result.physical.shape == (1, len(expected))
    assert result.physical[0].tolist() == [int(v) for v in expected]
    assert result.outputs[0].tolist() == job.image.restore_outputs(expected).tolist()
    assert result.cycles.tolist() == [timing.total] and result.errors.tolist() == [0]


@pytest.mark.parametrize("layers", [0, "too_many"])
def test_start_with_a_bad_layer_count_sets_the_error_flag(layers, rng):
    """START with 0 (or more than max_layers) layers: done at once with ERROR_N_LAYERS through
    the port; a good job afterwards passes."""
    from sim.verify.native.port import complete

    bench = _bench(4)
    count = 0 if layers == 0 else bench.config.max_layers + 1
    complete(bench.port.write([Write(Space.START, 0, 0, count)]))
    status = complete(bench.port.wait())
    assert (status.done, status.busy, status.error) == (True, False, ERROR_N_LAYERS)
    bench.run_job(random_job(bench.config, int(rng.integers(1 << 31)), "tiny"))


def test_a_wrong_expected_cycle_count_fails_the_job(rng):
    bench = _bench(4)
    job = random_job(bench.config, int(rng.integers(1 << 31)), "mixed")
    model = job.expected()[1]
    wrong = SimpleNamespace(total=model.total + 1, layers=model.layers)
    with pytest.raises(JobFailure, match=rf"RTL cycles = {model.total}, cycle model "
                                         rf"{model.total + 1}"):
        bench.run_job(job, timing=wrong)
    bench.run_job(job)          # the same job with the model's count passes


@pytest.mark.parametrize("name", COUNTED_ACTIONS)
def test_a_wrong_expected_action_count_fails_the_job(rng, name):
    bench = _bench(4)
    job = random_job(bench.config, int(rng.integers(1 << 31)), "mixed")
    model = job.expected()[1]
    count = sum(int(layer.actions[name].sum()) for layer in model.layers)
    with pytest.raises(JobFailure, match=rf"RTL {name} = {count}, cycle model {count + 1}"):
        bench.run_job(job, timing=timing_with_extra_action(model, name))
    bench.run_job(job)          # the same job with the model's counts passes


def test_a_job_that_does_not_end_in_its_budget_fails(rng):
    from sim.verify.native import complete

    bench = _bench(4)
    job = random_job(bench.config, int(rng.integers(1 << 31)), "full")
    bench.port.done_budget = 2
    with pytest.raises(JobFailure, match="timeout after 2 cycles waiting for done"):
        complete(bench.session.run(job.x, job.image))


def test_batch_encoding_equals_the_protocol(rng):
    from sim.verify.native.encode import encode_reads, encode_writes

    for config in (CONFIGS[1], CONFIGS[16]):
        widths = {name: f.width for name, f in write_layout(config)}
        words = [Write(Space(int(rng.integers(8))), int(rng.integers(config.n_pes)),
                       int(rng.integers(1 << widths["addr"])),
                       int(rng.integers(0, 1 << 62)) << int(rng.integers(3)))
                 for _ in range(300)] + [Write(Space.BIAS, 0, 1, -5)]
        packed = encode_writes(config, words)
        for word, row in zip(words, packed, strict=True):
            assert sum(int(v) << (32 * i) for i, v in enumerate(row)) == \
                encode_write(config, word)
        requests = [(int(rng.integers(config.n_pes)), int(rng.integers(32))) for _ in range(50)]
        for (pe, addr), row in zip(requests, encode_reads(config, requests), strict=True):
            assert sum(int(v) << (32 * i) for i, v in enumerate(row)) == \
                encode_read(config, pe, addr)
        with pytest.raises(ValueError, match="field data=.* does not fit"):
            encode_writes(config, [Write(Space.BIAS, 0, 0, 1 << widths["data"])])


def test_regress_cli_passes(tmp_path):
    from sim.apps.cli import main

    out = tmp_path / "r.json"
    assert main(["regress", "--engine", "native", "--count", "20", "--pes", "4",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert (report["engine"], report["workers"], report["count"], report["passed"],
            report["failed"]) == ("native", 1, 20, 20, 0)
    assert report["sim_cycles"] == sum(c["cycles"] for c in report["cases"]) > 0
    assert [c["seed"] for c in report["cases"]] == list(range(1, 21))


def test_regress_cli_at_broadcast_width_2(tmp_path):
    """``eie regress --broadcast-width 2``: the jobs of a two-lane array pass."""
    from sim.apps.cli import main

    out = tmp_path / "r.json"
    assert main(["regress", "--count", "20", "--pes", "16", "--broadcast-width", "2",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["config"] == CONFIGS["16-k2"].to_dict()
    assert (report["broadcast_width"], report["passed"], report["failed"]) == (2, 20, 0)


def _behaviour(summary):
    from sim.verify.native.regress import TIMING_FIELDS

    def strip(d):
        return {k: v for k, v in d.items() if k not in TIMING_FIELDS}
    return {**strip(summary), "cases": [strip(c) for c in summary["cases"]]}


def test_two_workers_merge_to_one_workers_report(seed):
    from sim.verify.native.regress import run_seeds

    seeds = range(seed % 1000, seed % 1000 + 12)
    one, _ = run_seeds(CONFIGS[4], seeds, workers=1)
    two, _ = run_seeds(CONFIGS[4], seeds, workers=2)
    assert one["passed"] == 12
    assert _behaviour(two) == _behaviour(one)


def test_a_local_dask_cluster_merges_to_one_workers_report(seed):
    """The shards on a two-worker local Dask cluster give one worker's report."""
    from sim.verify.native.regress import run_seeds

    seeds = range(seed % 1000, seed % 1000 + 12)
    one, _ = run_seeds(CONFIGS[4], seeds, workers=1)
    cluster, _ = run_seeds(CONFIGS[4], seeds, workers=2, scheduler="local",
                           log=lambda message: None)
    assert one["passed"] == 12
    assert _behaviour(cluster) == _behaviour(one)


def test_a_scheduler_address_reaches_its_workers(seed):
    """``scheduler`` as an address: a running two-worker cluster on the loopback interface."""
    from distributed import LocalCluster

    from sim.verify.native.regress import run_seeds

    seeds = range(seed % 1000, seed % 1000 + 6)
    one, _ = run_seeds(CONFIGS[4], seeds, workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote, _ = run_seeds(CONFIGS[4], seeds, scheduler=cluster.scheduler_address,
                              log=lambda message: None)
    assert _behaviour(remote) == _behaviour(one)


def test_a_missing_tool_is_named(monkeypatch):
    from sim.verify.native import NativeBuildError, build, verilated

    real = shutil.which
    monkeypatch.setattr(verilated.shutil, "which", lambda name: None if name == "g++" else
                        real(name))
    with pytest.raises(NativeBuildError, match="the native engine needs g\\+\\+, which is not "
                                               "on PATH"):
        build.build_native(CONFIGS[1])


class _Suspend:
    def __await__(self):
        yield


def test_complete_refuses_a_coroutine_that_suspends():
    from sim.verify.native import complete

    async def suspends():
        await _Suspend()
        return 1

    async def runs_through():
        return 2

    assert complete(runs_through()) == 2
    with pytest.raises(RuntimeError, match="the coroutine suspended"):
        complete(suspends())


def test_regression_few_hundred(seed):
    """A few hundred constrained-random jobs of every kind on one 16-PE build, as `eie regress`
    runs them (seeds ``seed … seed + 299``); any mismatch fails with its seed. (The cocotb
    bench's own tests keep the random stream pauses and resets in the middle of a job.)"""
    from sim.verify.native.regress import run_seeds

    first = seed % 100_000
    summary, _ = run_seeds(CONFIGS[16], range(first, first + 300), log=lambda message: None)
    failed = [case for case in summary["cases"] if not case["passed"]]
    assert not failed, f"{len(failed)} of 300 failed; first: {failed[0]['message']}"
    assert {case["kind"] for case in summary["cases"]} == {f"random-{k}" for k in KINDS}
    print(f"300 jobs, {summary['sim_cycles']} cycles in {summary['wall_s']:.1f} s")
