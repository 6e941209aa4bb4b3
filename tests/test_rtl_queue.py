"""The activation queue under random push/pop pressure, against a Python model."""

from collections import deque

import pytest
from helpers import simulate

from eie_hw.config import EIEConfig
from eie_hw.rtl.queue import ActivationQueue


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("push_rate, pop_rate", [(0.9, 0.3), (0.3, 0.9), (0.7, 0.7)])
def test_queue_pressure(seed, rng, depth, push_rate, pop_rate):
    cfg = EIEConfig(n_pes=4, fifo_depth=depth, act_depth=16)
    dut = ActivationQueue(cfg)
    model = deque()
    seen = {"full": 0, "empty": 0, "pushed": 0}

    async def testbench(ctx):
        for cycle in range(400):
            count = ctx.get(dut.count)
            where = f"seed={seed} depth={depth} cycle={cycle}"
            assert count == len(model), where
            assert ctx.get(dut.full) == (len(model) == depth), where
            assert ctx.get(dut.empty) == (not model), where
            if model:
                assert (ctx.get(dut.head_value), ctx.get(dut.head_column)) == model[0], where
            seen["full"] += len(model) == depth
            seen["empty"] += not model
            push = bool(rng.random() < push_rate)       # also tried when full: ignored
            pop = bool(rng.random() < pop_rate)         # also tried when empty: ignored
            item = (int(rng.integers(cfg.act_min, cfg.act_max + 1)), int(rng.integers(0, 64)))
            ctx.set(dut.push, push)
            ctx.set(dut.push_value, item[0])
            ctx.set(dut.push_column, item[1])
            ctx.set(dut.pop, pop)
            await ctx.tick()
            if pop and count > 0:
                model.popleft()
            if push and count < depth:
                model.append(item)
                seen["pushed"] += 1

    simulate(dut, testbench)
    assert seen["pushed"] > 50, f"seed={seed} {seen}"
    assert seen["full"] or push_rate < pop_rate, f"seed={seed} never full: {seen}"
    assert seen["empty"] or push_rate > pop_rate, f"seed={seed} never empty: {seen}"


def test_queue_depth_one_takes_every_other_cycle():
    """Pushing every cycle into a depth-1 queue that pops whenever it can: one item per two
    cycles (an item pushed in t is popped at t + 1 at the earliest)."""
    cfg = EIEConfig(n_pes=4, fifo_depth=1, act_depth=16)
    dut = ActivationQueue(cfg)
    accepted = []

    async def testbench(ctx):
        for cycle in range(20):
            full = ctx.get(dut.full)
            ctx.set(dut.push, not full)
            ctx.set(dut.push_column, cycle)
            ctx.set(dut.pop, not ctx.get(dut.empty))
            if not full:
                accepted.append(cycle)
            await ctx.tick()

    simulate(dut, testbench)
    assert accepted == list(range(0, 20, 2))


def test_queue_validation():
    with pytest.raises(TypeError, match="config"):
        ActivationQueue(8)
