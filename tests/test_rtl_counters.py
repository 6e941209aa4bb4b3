"""The RTL's action counters (eie_hw/rtl/counters.py, the host port's ``spmat_word_reads``,
``pointer_reads``, ``multiplies``, ``acc_writes``): the adder tree against a sum of its
inputs, a job against a hand derivation from the cycle contract, the scoreboard's check."""

from dataclasses import fields, replace

import numpy as np
import pytest
from helpers import simulate, timing_with_extra_action

from eie_hw.host.session import HostSession, JobStatus
from eie_hw.image.layer import QuantizedLayer
from eie_hw.image.network import encode_network
from eie_hw.protocol import COUNTED_ACTIONS
from eie_hw.rtl.counters import ActionCounters
from eie_hw.rtl.top import EIETop
from eie_hw.timing import COUNTER_SLACK, counter_latency
from sim.models.actions import PE_ACTIONS
from sim.models.cycle_model import job_timing
from sim.verify.amaranth_host import AmaranthHostPort
from sim.verify.amaranth_host import simulate as simulate_rtl
from sim.verify.configs import small_config
from sim.verify.scoreboard import JobFailure, Scoreboard, model_status


def test_the_counted_actions_are_the_models_and_the_status_has_them():
    assert set(COUNTED_ACTIONS) <= set(PE_ACTIONS)
    assert set(COUNTED_ACTIONS) <= {f.name for f in fields(JobStatus)}
    # The largest array's tree is final before done (ActionCounters refuses otherwise).
    assert counter_latency(256) <= COUNTER_SLACK


@pytest.mark.parametrize("n_pes", [1, 2, 8, 16])
def test_the_tree_sums_every_event_after_its_latency(seed, rng, n_pes):
    """Random event registers for 60 cycles, ``clear`` twice: in every cycle each counter is
    the number of events of the registers from two cycles after the last ``clear`` up to
    ``counter_latency`` cycles ago."""
    cfg = small_config(n_pes)
    dut = ActionCounters(cfg)
    latency = counter_latency(n_pes)
    cycles = 60
    events = rng.random((cycles, len(COUNTED_ACTIONS), n_pes)) < 0.5
    clears = (3, 31)
    seen = []

    async def testbench(ctx):
        for t in range(cycles):
            for k in range(n_pes):
                for a, name in enumerate(COUNTED_ACTIONS):
                    ctx.set(dut.events[k][name], int(events[t, a, k]))
            ctx.set(dut.clear, int(t in clears))
            seen.append([ctx.get(getattr(dut, name)) for name in COUNTED_ACTIONS])
            await ctx.tick()

    simulate(dut, testbench)
    for t in range(clears[0] + 1, cycles):
        last_clear = max(c for c in clears if c < t)
        first, last = last_clear + 2, t - latency
        want = events[first:last + 1].sum(axis=(0, 2)) if last >= first else [0] * 4
        assert seen[t] == list(want), f"seed={seed} n_pes={n_pes} cycle {t}"


def test_one_column_on_one_pe_counts_as_derived(seed, rng):
    """Two columns whose entries all lie in PE ``k``; only column 1 (``n`` entries after
    column 0's ``m``) has a non-zero input. From the contract (docs/microarchitecture.md,
    sim/models/actions.py): one broadcast, so every PE reads its pointers once; ``n``
    multiplies; ``n`` entry writes and one bias write per row of every PE at INIT;
    a word read for each memory word that entries ``m … m + n - 1`` touch. The counters are
    final when ``done`` rises and stay so."""
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    n_pes = cfg.n_pes
    k = int(rng.integers(n_pes))
    rows = cfg.act_depth
    m, n = int(rng.integers(0, rows + 1)), int(rng.integers(1, rows + 1))
    n_out = rows * n_pes
    index = np.zeros((n_out, 2), dtype=np.int64)
    index[k + n_pes * np.arange(m), 0] = rng.integers(1, cfg.codebook_size, size=m)
    index[k + n_pes * np.arange(n), 1] = rng.integers(1, cfg.codebook_size, size=n)
    codebook = rng.integers(-2000, 2001, size=cfg.codebook_size)
    codebook[0] = 0
    layer = QuantizedLayer(index, codebook, 8, rng.integers(-500, 501, size=n_out), relu=False)
    image = encode_network(cfg, [layer])
    x = np.array([0, int(rng.integers(1, 300))])
    words = len({a // cfg.entries_per_word for a in range(m, m + n)})
    derived = {"spmat_word_reads": words, "pointer_reads": n_pes, "multiplies": n,
               "acc_writes": n + rows * n_pes}
    dut = EIETop(cfg)
    got = {}

    async def testbench(ctx):
        status = await HostSession(AmaranthHostPort(ctx, dut.host, cfg)).run(x, image)
        got["done"] = status.status.counters
        await ctx.tick().repeat(4 * COUNTER_SLACK)
        got["later"] = {name: ctx.get(getattr(dut.host, name)) for name in COUNTED_ACTIONS}

    simulate(dut, testbench)
    where = f"seed={seed} k={k} m={m} n={n}"
    assert got["done"] == derived, where
    assert got["later"] == derived, where
    model = model_status(job_timing(image, x))
    assert {name: model[name] for name in COUNTED_ACTIONS} == derived, where


@pytest.mark.parametrize("name", COUNTED_ACTIONS)
def test_the_scoreboard_catches_a_wrong_counter_and_skips_an_absent_one(seed, rng, name):
    """A status read from the RTL passes; the model with one action more fails it, naming the
    counter; a status without that counter (a port that cannot read it) is not compared."""
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    codebook = np.arange(cfg.codebook_size) * 7
    index = rng.integers(0, cfg.codebook_size, size=(12, 9))
    image = encode_network(cfg, [QuantizedLayer(index, codebook, 4, np.zeros(12, int))])
    x = rng.integers(-100, 101, size=9)
    status = simulate_rtl(image, x).statuses[0]
    timing = job_timing(image, x)
    board = Scoreboard()
    board.check_status("job", status, timing)
    board.raise_errors()
    wrong = timing_with_extra_action(timing, name)
    board.check_status("job", status, wrong)
    got = getattr(status, name)
    with pytest.raises(JobFailure, match=rf"job: RTL {name} = {got}, cycle model {got + 1}"):
        board.raise_errors()
    board.check_status("job", replace(status, **{name: None}), wrong)
    board.raise_errors()
