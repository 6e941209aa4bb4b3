"""Pointer read unit and sparse-matrix stream unit against Python models of their rules."""

import numpy as np
import pytest
from helpers import UNIT_CONFIG, simulate

from eie_hw.entry import entries_to_words, pack_entries
from eie_hw.rtl.pointer import PointerReadUnit
from eie_hw.rtl.stream_unit import SparseStreamUnit
from eie_hw.timing import BROADCAST_VALUE_LAG, MEMORY_LATENCY, POINTER_LATENCY


@pytest.mark.parametrize("width", [1, 2])
def test_pointer_read_unit(seed, rng, width):
    """Every broadcast column's pointers come out POINTER_LATENCY cycles later on its lane,
    with the value that followed its rows (BROADCAST_VALUE_LAG): a
    non-empty column on the lane's ``output``, an empty one as its ``drop``; nothing else
    ever leaves the unit. With two lanes, both banks' copies hold what the host wrote."""
    cfg = UNIT_CONFIG.replace(broadcast_width=width)
    dut = PointerReadUnit(cfg)
    pointers = np.sort(rng.integers(0, 2 ** cfg.ptr_width, size=cfg.ptr_depth))
    pointers[10:14] = pointers[10]                 # empty columns 10, 11, 12
    reads = list(rng.integers(0, cfg.ptr_depth - 1, size=80)) + [0, 1, 10, 11, 12,
                                                                    cfg.ptr_depth - 2]
    sent, got = {}, {}

    async def testbench(ctx):
        for a, p in enumerate(pointers):
            port = dut.odd_wr if a % 2 else dut.even_wr
            ctx.set(port.en, 1)
            ctx.set(port.addr, a // 2)
            ctx.set(port.data, int(p))
            await ctx.tick()
            ctx.set(port.en, 0)
        cycle, pending = 0, list(reads)
        while pending or cycle < max((t for t, _ in sent), default=0) + POINTER_LATENCY + 2:
            for lane in range(width):
                # A value follows its column's rows BROADCAST_VALUE_LAG cycles late; in other
                # cycles the field holds anything.
                due = sent.get((cycle - BROADCAST_VALUE_LAG, lane))
                ctx.set(dut.ctrl.bcast_value[lane], due[0] if due else
                        int(rng.integers(cfg.act_min, cfg.act_max + 1)))
                bcast = bool(pending) and rng.random() < 0.7
                ctx.set(dut.ctrl.bcast[lane], bcast)
                if bcast:
                    a = int(pending.pop(0))
                    value = int(rng.integers(cfg.act_min, cfg.act_max + 1))
                    ctx.set(dut.ctrl.bcast_even_row[lane], (a + 1) // 2)
                    ctx.set(dut.ctrl.bcast_odd_row[lane], a // 2)
                    ctx.set(dut.ctrl.bcast_odd[lane], a % 2)
                    sent[cycle, lane] = (value, int(pointers[a]), int(pointers[a + 1]))
                else:  # the banks read whatever the broadcast register holds
                    ctx.set(dut.ctrl.bcast_even_row[lane],
                            int(rng.integers(0, cfg.ptr_depth // 2)))
                out = ctx.get(dut.output[lane].payload)
                if ctx.get(dut.output[lane].valid):
                    got[cycle, lane] = (out.value, out.start, out.end)
                if ctx.get(dut.drop) >> lane & 1:
                    got[cycle, lane] = "drop"
            await ctx.tick()
            cycle += 1

    simulate(dut, testbench)
    want = {(t + POINTER_LATENCY, lane): item if item[1] != item[2] else "drop"
            for (t, lane), item in sent.items()}
    assert got == want, f"seed={seed}"
    assert "drop" in want.values(), f"seed={seed}: no empty column tested"


def stream_model(columns):
    """Per cycle: (issued entry address, first, value) or None, docs/microarchitecture.md step
    1, when every column is at the queue's head from the start."""
    trace, nxt, end, value = [], 0, 0, 0
    pending = list(columns)
    while pending or nxt < end:
        if nxt < end:
            trace.append((nxt, False, value))
            nxt += 1
        else:
            start, end, value = pending.pop(0)
            trace.append((start, True, value))
            nxt = start + 1
    return trace


def test_stream_unit(seed, rng):
    cfg = UNIT_CONFIG
    dut = SparseStreamUnit(cfg)
    n_entries = cfg.spmat_depth * cfg.entries_per_word // 2
    codes = pack_entries(cfg, rng.integers(0, cfg.codebook_size, size=n_entries),
                         rng.integers(0, cfg.max_zero_run + 1, size=n_entries))
    words = entries_to_words(cfg, codes)
    bounds = np.unique(rng.integers(0, n_entries, size=40))
    columns = [(int(a), int(b), int(rng.integers(cfg.act_min, cfg.act_max + 1)))
               for a, b in zip(bounds, bounds[1:], strict=False)]
    want = stream_model(columns)
    got = []

    async def testbench(ctx):
        for a, w in enumerate(words):
            ctx.set(dut.spmat_wr.en, 1)
            ctx.set(dut.spmat_wr.addr, a)
            ctx.set(dut.spmat_wr.data, w)
            await ctx.tick()
        ctx.set(dut.spmat_wr.en, 0)
        queue = list(columns)
        for _ in range(len(want) + MEMORY_LATENCY + 2):
            ctx.set(dut.head_valid, bool(queue))
            if queue:
                ctx.set(dut.head, {"start": queue[0][0], "end": queue[0][1],
                                   "value": queue[0][2]})
            if ctx.get(dut.pop):
                queue.pop(0)
            if ctx.get(dut.entry_valid):
                got.append((ctx.get(dut.entry_first), ctx.get(dut.entry_value),
                            int(ctx.get(dut.entry.as_value()))))
            await ctx.tick()

    simulate(dut, testbench)
    expected = [(first, value, int(codes[addr])) for addr, first, value in want]
    assert got == expected, f"seed={seed}"


@pytest.mark.parametrize("cls", [PointerReadUnit, SparseStreamUnit])
def test_validation(cls):
    with pytest.raises(TypeError, match="config"):
        cls("config")
