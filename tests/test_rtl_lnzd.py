"""The LNZD quadtree: lowest set flag for every power-of-two width."""

import numpy as np
import pytest
from helpers import simulate

from eie_hw.rtl.lnzd import LNZD


def expected(flags):
    return (True, flags.index(1)) if 1 in flags else (False, None)


def run_patterns(n, patterns):
    dut = LNZD(n)
    results = []

    async def testbench(ctx):
        for flags in patterns:
            ctx.set(dut.flags, sum(int(bit) << i for i, bit in enumerate(flags)))
            results.append((ctx.get(dut.valid), ctx.get(dut.index)))

    simulate(dut, testbench, clock=None)
    return results


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64, 128, 256])
def test_lnzd(seed, rng, n):
    patterns = [[0] * n]
    patterns += [[int(i == k) for i in range(n)] for k in range(n)]
    for density in (0.05, 0.3, 0.8):
        patterns += [list((rng.random(n) < density).astype(int)) for _ in range(20)]
    patterns.append([1] * n)
    patterns = [[int(b) for b in p] for p in patterns]
    for flags, (valid, index) in zip(patterns, run_patterns(n, patterns), strict=True):
        want_valid, want_index = expected(flags)
        assert bool(valid) == want_valid, f"seed={seed} n={n} flags={flags}"
        if want_valid:
            assert index == want_index, f"seed={seed} n={n} flags={np.flatnonzero(flags)}"


@pytest.mark.parametrize("bad, error", [(3, ValueError), (0, ValueError), (512, ValueError),
                                         (4.0, TypeError), ("4", TypeError), (True, TypeError)])
def test_lnzd_validation(bad, error):
    with pytest.raises(error, match="n"):
        LNZD(bad)
