"""cocotb tests of ``eie_top`` (run through :mod:`sim.verify.cocotb_bench.runner`; see
docs/verification.md).

Parameters come from the job file (:func:`sim.verify.cocotb_bench.runner.load_job`): ``seed``
(every test logs it), ``count`` for the regression, ``pauses`` (default on) for random stream
stalls.
Expected outputs and cycle counts always come from the golden and cycle models.
"""

import json
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from eie_hw.host.words import Write, encode_write, layer_table
from eie_hw.protocol import ERROR_LAYER_TABLE, ERROR_N_LAYERS, Space, pack_layer_entry
from sim.verify.cocotb_bench.runner import load_job
from sim.verify.cocotb_bench.stimulus import KINDS, alex7_job, fig2_job, random_job
from sim.verify.cocotb_bench.tb import TB, JobFailure


def _setup(dut):
    config, params = load_job()
    seed = int(params.get("seed", 1))
    tb = TB(dut, config)
    tb.log.info("seed=%d n_pes=%d fifo_depth=%d (%s)", seed, config.n_pes, config.fifo_depth,
                params.get("simulator"))
    return tb, params, seed


def _pauses(tb, params, rng):
    if params.get("pauses", True):
        p = tb.random_pauses(rng)
        tb.log.info("stall probabilities write/read_req/read_data: %.2f %.2f %.2f", *p)
    else:
        tb.set_pauses()


@cocotb.test()
@cocotb.parametrize(kind=KINDS)
async def test_random(dut, kind):
    """Random jobs of one kind, back to back on one array (no reset between them)."""
    tb, params, seed = _setup(dut)
    rng = np.random.default_rng([seed, KINDS.index(kind)])
    await tb.start()
    for i in range(int(params.get("jobs", 3))):
        job_seed = int(rng.integers(1 << 31))
        _pauses(tb, params, rng)
        job = random_job(tb.config, job_seed, kind)
        await tb.run_job(job, f"job {i} ({job.describe()})")
    await tb.check_quiescent()


@cocotb.test()
async def test_back_to_back(dut):
    """Jobs of every kind and several layer counts without reset; the second job of an image
    reuses it with a new input (only the input and the START word are sent again)."""
    tb, params, seed = _setup(dut)
    rng = np.random.default_rng(seed)
    await tb.start()
    for i, kind in enumerate(rng.permutation(KINDS)):
        _pauses(tb, params, rng)
        job = random_job(tb.config, int(rng.integers(1 << 31)), str(kind))
        await tb.run_job(job, f"job {i} ({job.describe()})")
        if rng.random() < 0.5:
            job.x = np.roll(job.x, 1)
            await tb.run_job(job, f"job {i} again, new input only", inputs_only=True)
    await tb.check_quiescent()


@cocotb.test()
@cocotb.parametrize(phase=["load", "compute", "read"])
async def test_reset_mid_job(dut, phase):
    """Reset during a job's load, compute or read-back phase, then a clean job must pass."""
    tb, params, seed = _setup(dut)
    rng = np.random.default_rng([seed, ["load", "compute", "read"].index(phase)])
    await tb.start()
    _pauses(tb, params, rng)
    first = random_job(tb.config, int(rng.integers(1 << 31)), "full")
    model_cycles = first.expected()[1].total
    task = cocotb.start_soon(tb.run_job(first))
    if phase == "load":
        await ClockCycles(dut.clk, int(rng.integers(1, 40)))
    elif phase == "compute":
        await RisingEdge(dut.host__busy)
        await ClockCycles(dut.clk, int(rng.integers(0, max(1, model_cycles - 1))))
    else:
        await RisingEdge(dut.host__done)
        await ClockCycles(dut.clk, int(rng.integers(1, 6)))
    assert not task.done(), f"the first job ended before the reset ({phase})"
    tb.log.info("reset during %s", phase)
    task.cancel()
    await tb.reset()
    await FallingEdge(dut.clk)
    await ReadOnly()
    assert not int(dut.host__busy.value) and not int(dut.host__done.value), \
        "busy/done survived reset"
    assert not int(dut.host__read_data__valid.value), "read_data valid survived reset"
    _pauses(tb, params, rng)
    await tb.run_job(random_job(tb.config, int(rng.integers(1 << 31))), "clean job")
    await tb.check_quiescent()


@cocotb.test()
async def test_errors(dut):
    """A ``START`` with 0 or too many layers, or a layer-table entry that does not fit, ends
    the job at once with ``done`` and its error flag; the next good job passes."""
    tb, params, seed = _setup(dut)
    cfg = tb.config
    rng = np.random.default_rng(seed)
    await tb.start()
    good = random_job(cfg, int(rng.integers(1 << 31)), "tiny")
    entry = layer_table(good.image)[0]
    bad_entries = [dict(entry, rows=0), dict(entry, n_in=0),
                   dict(entry, bias_base=cfg.bias_depth - entry["rows"] + 1)]
    cases = [([Write(Space.START, 0, 0, 0)], ERROR_N_LAYERS),
             ([Write(Space.START, 0, 0, cfg.max_layers + 1)], ERROR_N_LAYERS)]
    cases += [([Write(Space.LAYER, 0, 0, pack_layer_entry(cfg, **bad)),
                Write(Space.START, 0, 0, 1)], ERROR_LAYER_TABLE) for bad in bad_entries]
    for words, flag in cases:
        tb.write.send([encode_write(cfg, w) for w in words])
        await tb.within(tb.write.wait_idle(), 100, "write")
        await ClockCycles(dut.clk, 4)
        await ReadOnly()
        status = (int(dut.host__done.value), int(dut.host__busy.value),
                  int(dut.host__error.value))
        assert status == (1, 0, flag), f"{words}: (done, busy, error) = {status}, want {flag}"
        await FallingEdge(dut.clk)
    _pauses(tb, params, rng)
    await tb.run_job(good, "good job after errors")
    await tb.check_quiescent()


@cocotb.test()
async def test_fig2(dut):
    """The paper's Fig. 2 example on 4 PEs (needs n_pes=4)."""
    tb, params, seed = _setup(dut)
    job = fig2_job(tb.config, seed)
    assert job.features["pe0_entries"] == 13, "Fig. 3: PE 0 holds 13 entries"
    await tb.start()
    _pauses(tb, params, np.random.default_rng(seed))
    await tb.run_job(job)
    await tb.check_quiescent()


@cocotb.test()
async def test_alex7(dut):
    """Table III's Alex-7 on the whole array (benchmark; configuration from
    :func:`sim.verify.cocotb_bench.stimulus.alex7_config`). Writes ``alex7.json`` with the
    timings."""
    tb, params, seed = _setup(dut)
    t0 = time.perf_counter()
    job = alex7_job(tb.config, seed)
    t1 = time.perf_counter()
    await tb.start()
    tb.set_pauses()
    start = tb.cycles()
    rtl_cycles = (await tb.run_job(job)).cycles
    t2 = time.perf_counter()
    await tb.check_quiescent()
    sim_cycles = tb.cycles() - start
    result = {"seed": seed, "rtl_cycles": rtl_cycles, "sim_cycles": sim_cycles,
              "prepare_s": t1 - t0, "simulate_s": t2 - t1,
              "cycles_per_s": sim_cycles / (t2 - t1)}
    tb.log.info("alex7: %s", result)
    Path(params.get("out", "alex7.json")).write_text(json.dumps(result, indent=1))


@cocotb.test()
async def test_regress(dut):
    """``count`` random jobs with seeds ``seed … seed + count - 1`` on one array. A failing job
    is recorded, the array is reset and the run goes on; writes ``regress.json``."""
    tb, params, seed = _setup(dut)
    count = int(params.get("count", 10))
    await tb.start()
    cases = []
    start_cycles, start_time = tb.cycles(), time.perf_counter()
    for case_seed in range(seed, seed + count):
        rng = np.random.default_rng(case_seed)
        _pauses(tb, params, rng)
        t0, c0 = time.perf_counter(), tb.cycles()
        try:
            job = random_job(tb.config, case_seed)
            await tb.run_job(job, f"seed {case_seed} ({job.describe()})")
            case = {"seed": case_seed, "passed": True, "kind": job.label}
        except JobFailure as e:
            tb.log.error("%s", e)
            case = {"seed": case_seed, "passed": False, "message": str(e)[:2000]}
            await tb.reset()
        case.update(cycles=tb.cycles() - c0, wall_s=time.perf_counter() - t0)
        if case["passed"]:
            case["features"] = job.features
        cases.append(case)
    wall = time.perf_counter() - start_time
    summary = {"count": count, "passed": sum(c["passed"] for c in cases),
               "sim_cycles": tb.cycles() - start_cycles, "wall_s": wall, "cases": cases}
    Path(params.get("out", "regress.json")).write_text(json.dumps(summary, indent=1))
    failed = [c["seed"] for c in cases if not c["passed"]]
    assert not failed, f"failing seeds: {failed}"
    await tb.check_quiescent()


@cocotb.test()
async def test_batch(dut):
    """Every input of the ``inputs`` file (``.npy``, fixed point, original order) through the
    ``image`` file (``.eie``), loaded once; each job is checked by the scoreboard like any other
    and the RTL's own outputs (physical order) and cycle counts are written to ``out`` (``.npz``)
    for the caller (``eie demo``)."""
    from eie_hw.image import load_image
    from sim.verify.cocotb_bench.stimulus import Job

    tb, params, _ = _setup(dut)
    image, inputs = load_image(params["image"]), np.load(params["inputs"])
    received = []
    tb.set_pauses()
    await tb.start()
    cycles, progress = [], Path(params["out"]).with_suffix(".progress")
    for i, x in enumerate(inputs):
        job = Job(image, x, "batch", seed=i)
        result = await tb.run_job(job, f"input {i}", inputs_only=i > 0)
        received.append(result.physical)
        cycles.append(result.cycles)
        progress.write_text(str(i + 1))
    np.savez(params["out"], outputs=np.array(received).reshape(len(inputs), -1),
             cycles=np.array(cycles))
    await tb.check_quiescent()
