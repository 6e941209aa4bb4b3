"""EIETop's host protocol: errors, back-pressure on the read stream, validation."""

import numpy as np
import pytest
from helpers import RTL_LAYER, random_input, simulate

from eie_hw.host.session import HostSession
from eie_hw.host.words import (
    Write,
    encode_read,
    input_writes,
    load_transactions,
    output_requests,
    start_write,
)
from eie_hw.image.network import encode_network
from eie_hw.protocol import (
    ERROR_LAYER_TABLE,
    ERROR_N_LAYERS,
    START_COUNT_BITS,
    Space,
    layer_layout,
    pack,
    pack_layer_entry,
    read_req_layout,
    write_layout,
)
from eie_hw.rtl.top import EIETop
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.amaranth_host import AmaranthHostPort
from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer


async def send(ctx, dut, words):
    await AmaranthHostPort(ctx, dut.host, dut.config).write(words)


def session(ctx, dut):
    return HostSession(AmaranthHostPort(ctx, dut.host, dut.config))


def good_entry(cfg):
    return dict(n_in=8, rows=2, ptr_base=0, bias_base=0, w_frac=4, relu=True)


@pytest.mark.parametrize("bad, flag", [
    (dict(n_layers=0), ERROR_N_LAYERS),
    (dict(n_layers=5), ERROR_N_LAYERS),                      # max_layers is 4
    (dict(n_layers=(1 << START_COUNT_BITS) + 1), ERROR_N_LAYERS),  # not truncated to 1
    (dict(n_in=0), ERROR_LAYER_TABLE),
    (dict(n_in=4 * 16 + 1), ERROR_LAYER_TABLE),              # more than n_pes * act_depth
    (dict(rows=0), ERROR_LAYER_TABLE),
    (dict(rows=17), ERROR_LAYER_TABLE),                      # more than act_depth
    (dict(ptr_base=256 - 8), ERROR_LAYER_TABLE),             # pointers past ptr_depth
    (dict(bias_base=63), ERROR_LAYER_TABLE),                 # biases past bias_depth
])
def test_errors(bad, flag):
    """A bad START or layer-table entry stops the job with an error; the next job runs."""
    cfg = small_config(n_pes=4, act_depth=16)
    dut = EIETop(cfg)
    status = {}

    async def testbench(ctx):
        entry = {**good_entry(cfg), **{k: v for k, v in bad.items() if k != "n_layers"}}
        words = [Write(Space.LAYER, 0, 0, pack_layer_entry(cfg, **good_entry(cfg))),
                 Write(Space.LAYER, 0, 1, pack_layer_entry(cfg, **entry)),
                 Write(Space.START, 0, 0, bad.get("n_layers", 2))]
        await send(ctx, dut, words)
        await ctx.tick().until(dut.host.done)
        status["bad"] = (ctx.get(dut.host.error), ctx.get(dut.host.busy))
        await send(ctx, dut, [Write(Space.START, 0, 0, 1)])
        await ctx.tick().until(dut.host.done)
        status["good"] = ctx.get(dut.host.error)

    simulate(dut, testbench)
    assert status["bad"] == (flag, 0)
    assert status["good"] == 0


def test_read_stream_backpressure(seed, rng):
    """Outputs come back in order while the consumer randomly withholds ready."""
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    image = encode_network(cfg, [random_layer(rng, cfg, 30, 20, 0.3, **RTL_LAYER)])
    x = random_input(rng, cfg, 20)
    dut = EIETop(cfg)
    got = []

    async def producer(ctx):
        await send(ctx, dut, load_transactions(image, x) + [start_write(image)])
        await ctx.tick().until(dut.host.done)
        ctx.set(dut.host.read_req.valid, 1)
        for pe, addr in output_requests(image):
            ctx.set(dut.host.read_req.payload.as_value(), encode_read(cfg, pe, addr))
            await ctx.tick().until(dut.host.read_req.ready)
        ctx.set(dut.host.read_req.valid, 0)

    async def consumer(ctx):
        while len(got) < image.n_outputs:
            ready = bool(rng.random() < 0.5)
            ctx.set(dut.host.read_data.ready, ready)
            _, _, valid, payload = await ctx.tick().sample(dut.host.read_data.valid,
                                                           dut.host.read_data.payload)
            if valid and ready:
                got.append(payload)

    simulate(dut, producer, consumer)
    np.testing.assert_array_equal(got, GoldenModel(image).layer_outputs(x)[-1],
                                  err_msg=f"seed={seed}")


def test_result_bank_after_odd_and_even_jobs(seed, rng):
    """One- and two-layer images on the same array: outputs come from bank L % 2."""
    cfg = small_config(n_pes=2, fifo_depth=1, act_depth=16)
    dut = EIETop(cfg)
    one = encode_network(cfg, [random_layer(rng, cfg, 7, 9, 0.3, **RTL_LAYER)])
    two = encode_network(cfg, [random_layer(rng, cfg, 7, 9, 0.3, **RTL_LAYER),
                               random_layer(rng, cfg, 5, 7, 0.3, **RTL_LAYER)])
    jobs = [(one, random_input(rng, cfg, 9)), (two, random_input(rng, cfg, 9)),
            (one, random_input(rng, cfg, 9))]
    results = []

    async def testbench(ctx):
        host = session(ctx, dut)
        for image, x in jobs:
            results.append(await host.run(x, image))

    simulate(dut, testbench)
    for (image, x), result in zip(jobs, results, strict=True):
        np.testing.assert_array_equal(result.physical, GoldenModel(image).layer_outputs(x)[-1],
                                      err_msg=f"seed={seed}")
        assert result.cycles == job_timing(image, x).total and result.error == 0, f"seed={seed}"


def test_layouts_fit_and_validation():
    cfg = small_config(n_pes=4, act_depth=16)
    assert write_layout(cfg).size <= 128 and read_req_layout(cfg).size <= 32
    with pytest.raises(TypeError, match="config"):
        EIETop(4)


def test_pending_answer_survives_a_job(seed, rng):
    """An answer left waiting on ``read_data`` keeps its value while the next job runs."""
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    image = encode_network(cfg, [random_layer(rng, cfg, 6, 10, 0.8, **RTL_LAYER)])
    x1, x2 = random_input(rng, cfg, 10, zeros=0.0), random_input(rng, cfg, 10, zeros=0.0)
    golden = GoldenModel(image)
    dut = EIETop(cfg)
    got = {}

    async def testbench(ctx):
        host = session(ctx, dut)
        await host.run(x1, image)
        ctx.set(dut.host.read_data.ready, 0)
        ctx.set(dut.host.read_req.payload.as_value(), encode_read(cfg, 0, 0))
        ctx.set(dut.host.read_req.valid, 1)
        await ctx.tick().until(dut.host.read_req.ready)
        ctx.set(dut.host.read_req.valid, 0)
        await send(ctx, dut, input_writes(cfg, x2) + [start_write(image)])
        await ctx.tick().until(dut.host.done)
        got["pending"] = ctx.get(dut.host.read_data.payload)
        got["second"] = (await host.run(x2)).physical

    simulate(dut, testbench)
    first, second = golden.layer_outputs(x1)[-1], golden.layer_outputs(x2)[-1]
    assert got["pending"] == first[0], f"seed={seed}"
    np.testing.assert_array_equal(got["second"], second, err_msg=f"seed={seed}")


def test_pack_matches_amaranth_layouts(seed, rng):
    cfg = small_config(n_pes=8, act_depth=16)
    for layout in (write_layout(cfg), read_req_layout(cfg), layer_layout(cfg)):
        fields = {}
        for name, field in layout:
            width = field.width
            fields[name] = int(rng.integers(0, 1 << min(width, 62)))
            if name == "space":
                fields[name] = Space(fields[name] % 8)
        assert pack(layout, **fields) == layout.const(fields).as_bits(), f"seed={seed}"
    with pytest.raises(ValueError, match="rows"):
        pack(layer_layout(cfg), rows=1 << 20)
    with pytest.raises(ValueError, match="nonsense"):
        pack(layer_layout(cfg), nonsense=1)


@pytest.mark.parametrize("n_pes", [4, 8, 16])
def test_a_read_sees_the_write_just_before_it(seed, rng, n_pes):
    """Activation words written one at a time, each read back in the first cycle the read
    stream takes a request (bank 0, the result bank before any job): at more than
    HOST_GROUP_PES PEs writes and reads go through the groups' registers, and the read must
    still come after the write. Every PE, twice per address (the second value overwrites)."""
    cfg = small_config(n_pes=n_pes, act_depth=16)
    dut = EIETop(cfg)
    mask, half = (1 << cfg.act_width) - 1, 1 << (cfg.act_width - 1)
    values = rng.integers(-half, half, size=(2, n_pes, 3))
    got = np.zeros_like(values)

    async def testbench(ctx):
        port = AmaranthHostPort(ctx, dut.host, cfg)
        for rnd in range(2):
            for pe in range(n_pes):
                for addr in range(3):
                    await port.write([Write(Space.ACT, pe, addr,
                                            int(values[rnd, pe, addr]) & mask)])
                    (got[rnd, pe, addr],) = await port.read([(pe, addr)])

    simulate(dut, testbench)
    np.testing.assert_array_equal(got, values, err_msg=f"seed={seed} N={n_pes}")
