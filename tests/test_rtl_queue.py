"""The activation queue under random push/pop pressure, against a Python model."""

from collections import deque

import pytest
from helpers import simulate

from eie_hw.config import EIEConfig
from eie_hw.rtl.queue import ActivationQueue


@pytest.mark.parametrize("width, depth", [(1, 1), (1, 2), (1, 3), (1, 8), (2, 2), (2, 6),
                                          (4, 4), (4, 8)])
@pytest.mark.parametrize("push_rate, pop_rate", [(0.9, 0.3), (0.3, 0.9), (0.7, 0.7)])
def test_queue_pressure(seed, rng, width, depth, push_rate, pop_rate):
    """Items leave in the order they came (a cycle's inputs lowest first, any of them valid);
    ``count`` and ``empty`` follow the model. The PE never writes beyond the queue's depth,
    so neither does this test."""
    cfg = EIEConfig(n_pes=4, fifo_depth=depth, act_depth=16, broadcast_width=width)
    dut = ActivationQueue(cfg)
    model = deque()
    seen = {"full": 0, "empty": 0, "pushed": 0, "several": 0}

    async def testbench(ctx):
        for cycle in range(400):
            count = ctx.get(dut.count)
            where = f"seed={seed} width={width} depth={depth} cycle={cycle}"
            assert count == len(model), where
            assert ctx.get(dut.empty) == (not model), where
            if model:
                head = ctx.get(dut.head)
                assert (head.value, head.start, head.end) == model[0], where
            seen["full"] += len(model) == depth
            seen["empty"] += not model
            pop = bool(rng.random() < pop_rate)         # also tried when empty: ignored
            lanes = [bool(rng.random() < push_rate / width * 2) for _ in range(width)]
            while sum(lanes) > depth - count:
                lanes[lanes.index(True)] = False
            items = []
            for lane, valid in enumerate(lanes):
                item = (int(rng.integers(cfg.act_min, cfg.act_max + 1)),
                        int(rng.integers(0, 1 << cfg.ptr_width)),
                        int(rng.integers(0, 1 << cfg.ptr_width)))
                ctx.set(dut.input[lane].valid, valid)
                ctx.set(dut.input[lane].payload,
                        {"value": item[0], "start": item[1], "end": item[2]})
                if valid:
                    items.append(item)
            ctx.set(dut.pop, pop)
            await ctx.tick()
            if pop and count > 0:
                model.popleft()
            model.extend(items)
            seen["pushed"] += len(items)
            seen["several"] += len(items) > 1

    simulate(dut, testbench)
    assert seen["pushed"] > 50, f"seed={seed} {seen}"
    assert seen["several"] or width == 1 or depth == 1, f"seed={seed} {seen}"
    assert seen["full"] or push_rate < pop_rate, f"seed={seed} never full: {seen}"
    assert seen["empty"] or push_rate > pop_rate, f"seed={seed} never empty: {seen}"


def test_item_is_the_head_the_next_cycle():
    """An item written in cycle t is the head from t + 1 (and not in t)."""
    cfg = EIEConfig(n_pes=4, fifo_depth=2, act_depth=16)
    dut = ActivationQueue(cfg)

    async def testbench(ctx):
        ctx.set(dut.input[0].valid, 1)
        ctx.set(dut.input[0].payload, {"value": -7, "start": 3, "end": 9})
        assert ctx.get(dut.empty)
        await ctx.tick()
        ctx.set(dut.input[0].valid, 0)
        assert not ctx.get(dut.empty)
        head = ctx.get(dut.head)
        assert (head.value, head.start, head.end) == (-7, 3, 9)

    simulate(dut, testbench)


def test_queue_validation():
    with pytest.raises(TypeError, match="config"):
        ActivationQueue(8)
