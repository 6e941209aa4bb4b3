"""Pointer read unit and sparse-matrix stream unit against Python models of their rules."""

import numpy as np
import pytest
from helpers import UNIT_CONFIG, simulate

from eie_hw.entry import entries_to_words, pack_entries
from eie_hw.rtl.pointer import PointerReadUnit
from eie_hw.rtl.stream_unit import SparseStreamUnit


def test_pointer_read_unit(seed, rng):
    cfg = UNIT_CONFIG
    dut = PointerReadUnit(cfg)
    pointers = np.sort(rng.integers(0, 2 ** cfg.ptr_width, size=cfg.ptr_depth))
    reads = list(rng.integers(0, cfg.ptr_depth - 1, size=80)) + [0, 1, cfg.ptr_depth - 2]
    got = []

    async def testbench(ctx):
        for a, p in enumerate(pointers):
            ctx.set(dut.wr_en, 1)
            ctx.set(dut.wr_odd, a % 2)
            ctx.set(dut.wr_addr, a // 2)
            ctx.set(dut.wr_data, int(p))
            await ctx.tick()
        ctx.set(dut.wr_en, 0)
        for a in reads:
            ctx.set(dut.rd_en, 1)
            ctx.set(dut.rd_addr, int(a))
            await ctx.tick()
            ctx.set(dut.rd_en, 0)
            got.append((ctx.get(dut.start), ctx.get(dut.end)))
            # Held while no read is enabled, whatever the (always-read) banks see meanwhile.
            for _ in range(int(rng.integers(1, 4))):
                ctx.set(dut.rd_addr, int(rng.integers(0, cfg.ptr_depth - 1)))
                await ctx.tick()
                assert got[-1] == (ctx.get(dut.start), ctx.get(dut.end)), f"seed={seed}"

    simulate(dut, testbench)
    want = [(int(pointers[a]), int(pointers[a + 1])) for a in reads]
    assert got == want, f"seed={seed}"


def stream_model(columns):
    """Per cycle: (issued entry address or None, first, value) of docs/microarchitecture.md
    steps 1-2, when the pointer register is refilled the cycle after it is consumed."""
    trace, nxt, end, value, k, pt = [], 0, 0, 0, 0, None
    while k < len(columns) or pt is not None or nxt < end:
        if pt is None and k < len(columns):
            pt = columns[k]
            k += 1
        issue = None
        consumed_now = False
        if nxt < end:
            issue = (nxt, False, value)
            nxt += 1
        elif pt is not None and pt[0] < pt[1]:
            issue = (pt[0], True, pt[2])
            nxt, end, value = pt[0] + 1, pt[1], pt[2]
            consumed_now = True
        if pt is not None and pt[0] == pt[1]:
            consumed_now = True
        trace.append(issue)
        if consumed_now:
            pt = None
    return trace


@pytest.mark.parametrize("empty_rate", [0.0, 0.5])
def test_stream_unit(seed, rng, empty_rate):
    cfg = UNIT_CONFIG
    dut = SparseStreamUnit(cfg)
    n_entries = cfg.spmat_depth * cfg.entries_per_word // 2
    codes = pack_entries(cfg, rng.integers(0, cfg.codebook_size, size=n_entries),
                         rng.integers(0, cfg.max_zero_run + 1, size=n_entries))
    words = entries_to_words(cfg, codes)
    bounds = np.sort(rng.integers(0, n_entries, size=40))
    columns = [(int(a), int(b) if rng.random() > empty_rate else int(a),
                int(rng.integers(cfg.act_min, cfg.act_max + 1)))
               for a, b in zip(bounds, bounds[1:], strict=False)]
    want = stream_model(columns)
    got = []

    async def testbench(ctx):
        for a, w in enumerate(words):
            ctx.set(dut.wr_en, 1)
            ctx.set(dut.wr_addr, a)
            ctx.set(dut.wr_data, w)
            await ctx.tick()
        ctx.set(dut.wr_en, 0)
        k, pt = 0, None
        for _ in range(len(want) + 2):
            if pt is None and k < len(columns):
                pt = columns[k]
                k += 1
            ctx.set(dut.pt_valid, pt is not None)
            if pt is not None:
                ctx.set(dut.pt_start, pt[0])
                ctx.set(dut.pt_end, pt[1])
                ctx.set(dut.pt_value, pt[2])
            consumed = ctx.get(dut.pt_consumed)
            issued = ctx.get(dut.issue)
            await ctx.tick()
            if consumed:
                pt = None
            got.append((ctx.get(dut.entry_first), ctx.get(dut.entry_value),
                        int(ctx.get(dut.entry.as_value()))) if issued else None)
            assert ctx.get(dut.entry_valid) == issued, f"seed={seed}"

    simulate(dut, testbench)
    expected = [None if e is None else (e[1], e[2], int(codes[e[0]])) for e in want]
    assert got[:len(expected)] == expected, f"seed={seed}"
    assert got[len(expected):] == [None, None], f"seed={seed}"


@pytest.mark.parametrize("cls", [PointerReadUnit, SparseStreamUnit])
def test_validation(cls):
    with pytest.raises(TypeError, match="config"):
        cls("config")
