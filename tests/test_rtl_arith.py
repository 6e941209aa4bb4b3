"""The arithmetic unit (codebook, row address, multiply, exact accumulate, bypass) against NumPy,
and the write-back arithmetic of the activation unit against eie_hw.fixedpoint."""

import numpy as np
import pytest
from helpers import UNIT_CONFIG, simulate

from eie_hw.fixedpoint import round_shift, saturate
from eie_hw.rtl.activation import ActivationUnit
from eie_hw.rtl.arith import ArithmeticUnit
from eie_hw.timing import ARITH_LATENCY, INIT_LATENCY, MEMORY_LATENCY, WRITEBACK_LATENCY


def random_columns(rng, config, n_columns, same_row):
    """Columns as lists of ``(row, index)``; with ``same_row`` every entry hits row 0 or 1
    (back-to-back updates of one row exercise the bypass)."""
    columns = []
    for _ in range(n_columns):
        if same_row:
            rows = [int(rng.integers(0, 2))]
        else:
            rows = np.cumsum(rng.integers(0, 4, size=int(rng.integers(1, 6))))
            rows = [int(r) for r in rows if r < config.act_depth] or [0]
            rows = sorted(set(rows))
        columns.append([(r, int(rng.integers(0, config.codebook_size))) for r in rows])
    return columns


async def read_rows(ctx, en, addr, data, n):
    """Rows ``0 .. n - 1`` through a read port whose registered data follows
    ``MEMORY_LATENCY`` cycles after the address."""
    values = []
    for row in range(n):
        ctx.set(en, 1)
        ctx.set(addr, row)
        await ctx.tick()
        ctx.set(en, 0)
        for _ in range(MEMORY_LATENCY - 1):
            await ctx.tick()
        values.append(ctx.get(data))
    return values


@pytest.mark.parametrize("same_row, gap_rate, big", [(False, 0.0, False), (False, 0.4, False),
                                                      (True, 0.0, False), (True, 0.3, True),
                                                      (False, 0.2, True)])
def test_arithmetic_unit(seed, rng, same_row, gap_rate, big):
    cfg = UNIT_CONFIG
    dut = ArithmeticUnit(cfg)
    layer = int(rng.integers(0, cfg.max_layers))
    lim = cfg.weight_max if big else 3000
    codebook = rng.integers(-lim, lim + 1, size=(cfg.max_layers, cfg.codebook_size))
    codebook[:, 0] = 0
    acc_lim = 1 << (cfg.acc_width - 3) if big else 10 ** 6
    acc = rng.integers(-acc_lim, acc_lim + 1, size=cfg.act_depth)
    columns = random_columns(rng, cfg, 60, same_row)
    values = rng.integers(cfg.act_min if big else -500, (cfg.act_max if big else 500) + 1,
                          size=len(columns))

    expected = acc.copy()
    for column, value in zip(columns, values, strict=True):
        for row, index in column:
            expected[row] += codebook[layer, index] * value
    assert np.abs(expected).max() <= cfg.acc_max, f"seed={seed}: test data overflows"
    busy_trace, result = [], []

    async def testbench(ctx):
        for l in range(cfg.max_layers):
            for i in range(cfg.codebook_size):
                ctx.set(dut.codebook_wr.en, 1)
                ctx.set(dut.codebook_wr.addr, l * cfg.codebook_size + i)
                ctx.set(dut.codebook_wr.data,
                        int(codebook[l, i]) & ((1 << cfg.weight_width) - 1))
                await ctx.tick()
        ctx.set(dut.codebook_wr.en, 0)
        for row in range(cfg.act_depth):
            ctx.set(dut.ext_wr_en, 1)
            ctx.set(dut.ext_wr_addr, row)
            ctx.set(dut.ext_wr_data, int(acc[row]))
            await ctx.tick()
        ctx.set(dut.ext_wr_en, 0)
        ctx.set(dut.layer, layer)
        for column, value in zip(columns, values, strict=True):
            previous = -1
            for k, (row, index) in enumerate(column):
                while rng.random() < gap_rate:
                    ctx.set(dut.in_valid, 0)
                    busy_trace.append((0, ctx.get(dut.busy)))
                    await ctx.tick()
                ctx.set(dut.in_valid, 1)
                ctx.set(dut.in_first, k == 0)
                ctx.set(dut.in_entry.weight_index, index)
                ctx.set(dut.in_entry.zero_run, row - previous - 1)
                ctx.set(dut.in_value, int(value))
                busy_trace.append((1, ctx.get(dut.busy)))
                previous = row
                await ctx.tick()
        ctx.set(dut.in_valid, 0)
        for _ in range(ARITH_LATENCY + 2):
            busy_trace.append((0, ctx.get(dut.busy)))
            await ctx.tick()
        result.extend(await read_rows(ctx, dut.ext_rd_sel, dut.ext_rd_addr, dut.acc_data,
                                      cfg.act_depth))

    simulate(dut, testbench)
    np.testing.assert_array_equal(result, expected, err_msg=f"seed={seed}")
    # busy: an entry entered stage 2 (MEMORY_LATENCY after its issue) in this cycle or one of
    # the cycles before its write (ARITH_LATENCY after the issue).
    window = ARITH_LATENCY - MEMORY_LATENCY + 1
    valid = [v for v, _ in busy_trace]
    for t, (_, busy) in enumerate(busy_trace):
        want = any(valid[max(0, t - window + 1):t + 1])
        assert busy == want, f"seed={seed} cycle {t}: busy={busy}"


@pytest.mark.parametrize("w_frac", [0, 1, 7, 15])
@pytest.mark.parametrize("relu", [False, True])
def test_writeback_arithmetic(seed, rng, w_frac, relu):
    """WRITEBACK of the activation unit: y = relu?(sat(round_shift(acc, w_frac))), where the
    accumulator word holds ``acc`` plus the rounding term 2^(w_frac - 1), which INIT put in
    it (test_init_adds_the_rounding_term)."""
    cfg = UNIT_CONFIG
    dut = ActivationUnit(cfg)
    rows = cfg.act_depth
    rounding = (1 << w_frac) >> 1
    acc = np.concatenate([
        [cfg.acc_min, cfg.acc_max - rounding, 0, -1, 1, rounding, -rounding],
        rng.integers(-(1 << (w_frac + 17)), 1 << (w_frac + 17), size=rows - 7)])
    expected = saturate(round_shift(acc, w_frac), cfg.act_width)
    words = acc + rounding
    if relu:
        expected = np.maximum(expected, 0)
    result = []

    async def testbench(ctx):
        ctx.set(dut.ctrl.wb, 1)
        ctx.set(dut.ctrl.rows, rows)
        ctx.set(dut.ctrl.w_frac, w_frac)
        ctx.set(dut.ctrl.relu, relu)
        ctx.set(dut.ctrl.layer, 1)               # source bank 1, destination bank 0
        # The arithmetic unit's registered accumulator word arrives MEMORY_LATENCY cycles
        # after the read of its row.
        for r in range(rows + MEMORY_LATENCY):
            ctx.set(dut.ctrl.r, r)
            if r < rows:
                assert ctx.get(dut.acc_rd_addr) == r
            if 0 <= r - MEMORY_LATENCY < rows:
                ctx.set(dut.acc_data, int(words[r - MEMORY_LATENCY]))
            await ctx.tick()
        for _ in range(WRITEBACK_LATENCY):
            await ctx.tick()
        ctx.set(dut.ctrl.wb, 0)
        ctx.set(dut.host_rd_bank, 0)
        result.extend(await read_rows(ctx, dut.host_rd_en, dut.host_rd_addr, dut.act_data, rows))

    simulate(dut, testbench)
    np.testing.assert_array_equal(result, expected, err_msg=f"seed={seed} w_frac={w_frac}")


@pytest.mark.parametrize("w_frac", [0, 1, 9, 15])
def test_init_adds_the_rounding_term(seed, rng, w_frac):
    """INIT writes acc[r] = (bias[base + r] << w_frac) + 2^(w_frac - 1) (0 for w_frac = 0):
    the write-back's rounding term, so that round_shift needs no adder there."""
    cfg = UNIT_CONFIG
    dut = ActivationUnit(cfg)
    rows, base = cfg.act_depth, int(rng.integers(0, cfg.bias_depth - cfg.act_depth + 1))
    lo, hi = -(1 << (cfg.act_width - 1)), 1 << (cfg.act_width - 1)
    bias = np.concatenate([[lo, hi - 1, 0, -1], rng.integers(lo, hi, size=cfg.bias_depth - 4)])
    expected = {r: int(bias[base + r]) * 2 ** w_frac + (2 ** w_frac) // 2 for r in range(rows)}
    written = {}

    async def testbench(ctx):
        for a, b in enumerate(bias):
            ctx.set(dut.bias_wr.en, 1)
            ctx.set(dut.bias_wr.addr, a)
            ctx.set(dut.bias_wr.data, int(b))
            await ctx.tick()
        ctx.set(dut.bias_wr.en, 0)
        ctx.set(dut.ctrl.init, 1)
        ctx.set(dut.ctrl.init_rows, rows)
        ctx.set(dut.ctrl.init_bias_base, base)
        ctx.set(dut.ctrl.init_w_frac, w_frac)
        for r in range(rows + INIT_LATENCY + 1):
            ctx.set(dut.ctrl.r, r)
            if ctx.get(dut.acc_wr_en):
                row = ctx.get(dut.acc_wr_addr)
                assert row not in written, f"seed={seed}: row {row} written twice"
                written[row] = ctx.get(dut.acc_wr_data)
            await ctx.tick()

    simulate(dut, testbench)
    assert written == expected, f"seed={seed} w_frac={w_frac} base={base}"


@pytest.mark.parametrize("cls", [ArithmeticUnit, ActivationUnit])
def test_validation(cls):
    with pytest.raises(TypeError, match="config"):
        cls(None)
