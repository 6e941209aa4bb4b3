"""The activation queue under random push/pop pressure, against a Python model."""

from collections import deque

import pytest
from helpers import simulate

from eie_hw.config import EIEConfig
from eie_hw.rtl.queue import ActivationQueue


@pytest.mark.parametrize("depth", [1, 2, 3, 8])
@pytest.mark.parametrize("push_rate, pop_rate", [(0.9, 0.3), (0.3, 0.9), (0.7, 0.7)])
def test_queue_pressure(seed, rng, depth, push_rate, pop_rate):
    """Items leave in the order they came; ``count`` and ``empty`` follow the model. The PE
    never writes a full queue, so neither does this test."""
    cfg = EIEConfig(n_pes=4, fifo_depth=depth, act_depth=16)
    dut = ActivationQueue(cfg)
    model = deque()
    seen = {"full": 0, "empty": 0, "pushed": 0}

    async def testbench(ctx):
        for cycle in range(400):
            count = ctx.get(dut.count)
            where = f"seed={seed} depth={depth} cycle={cycle}"
            assert count == len(model), where
            assert ctx.get(dut.empty) == (not model), where
            if model:
                head = ctx.get(dut.head)
                assert (head.value, head.start, head.end) == model[0], where
            seen["full"] += len(model) == depth
            seen["empty"] += not model
            pop = bool(rng.random() < pop_rate)         # also tried when empty: ignored
            push = bool(rng.random() < push_rate) and count < depth
            item = (int(rng.integers(cfg.act_min, cfg.act_max + 1)),
                    int(rng.integers(0, 1 << cfg.ptr_width)),
                    int(rng.integers(0, 1 << cfg.ptr_width)))
            ctx.set(dut.input.valid, push)
            ctx.set(dut.input.payload, {"value": item[0], "start": item[1], "end": item[2]})
            ctx.set(dut.pop, pop)
            await ctx.tick()
            if pop and count > 0:
                model.popleft()
            if push:
                model.append(item)
                seen["pushed"] += 1

    simulate(dut, testbench)
    assert seen["pushed"] > 50, f"seed={seed} {seen}"
    assert seen["full"] or push_rate < pop_rate, f"seed={seed} never full: {seen}"
    assert seen["empty"] or push_rate > pop_rate, f"seed={seed} never empty: {seen}"


def test_item_is_the_head_the_next_cycle():
    """An item written in cycle t is the head from t + 1 (and not in t)."""
    cfg = EIEConfig(n_pes=4, fifo_depth=2, act_depth=16)
    dut = ActivationQueue(cfg)

    async def testbench(ctx):
        ctx.set(dut.input.valid, 1)
        ctx.set(dut.input.payload, {"value": -7, "start": 3, "end": 9})
        assert ctx.get(dut.empty)
        await ctx.tick()
        ctx.set(dut.input.valid, 0)
        assert not ctx.get(dut.empty)
        head = ctx.get(dut.head)
        assert (head.value, head.start, head.end) == (-7, 3, 9)

    simulate(dut, testbench)


def test_queue_validation():
    with pytest.raises(TypeError, match="config"):
        ActivationQueue(8)
