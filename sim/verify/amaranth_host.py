"""Run many inputs through one loaded image on the RTL in the Amaranth simulator.

The image's memories and layer table are written once; each input then costs only its
bank-0 activation words, ``START`` and the output reads (docs/protocol.md). Use this for
batches (the demo's test set); :func:`eie_hw.host.words.simulate` reloads everything per job.
"""

import numpy as np

from eie_hw.host.words import (
    Write,
    encode_read,
    encode_write,
    input_words,
    load_transactions,
    output_requests,
    start_transaction,
)
from eie_hw.protocol import Space

__all__ = ["simulate_batch", "run_job", "simulate"]


async def _write_all(ctx, dut, config, words):
    ctx.set(dut.write.valid, 1)
    for word in words:
        ctx.set(dut.write.payload.as_value(), encode_write(config, word))
        await ctx.tick().until(dut.write.ready)
    ctx.set(dut.write.valid, 0)


def _input_writes(config, x):
    mask = (1 << config.act_width) - 1
    acts = input_words(config, x)
    return [Write(Space.ACT, k, a, int(v) & mask) for k in range(config.n_pes)
            for a, v in enumerate(acts[k])]


def simulate_batch(image, inputs, *, progress=None):
    """Outputs (physical order, ``(batch, n_out)``), cycle counts and error flags of every
    input, from one :class:`eie_hw.rtl.top.EIETop` in the Amaranth simulator. ``progress`` is
    called after each input with its index."""
    from amaranth.sim import Simulator

    from eie_hw.rtl.top import EIETop

    config = image.config
    dut = EIETop(config)
    inputs = np.atleast_2d(np.asarray(inputs))
    outputs = np.zeros((len(inputs), image.n_outputs), dtype=np.int64)
    cycles = np.zeros(len(inputs), dtype=np.int64)
    errors = np.zeros(len(inputs), dtype=np.int64)
    static = [w for w in load_transactions(image, inputs[0]) if w.space != Space.ACT]

    async def testbench(ctx):
        await _write_all(ctx, dut, config, static)
        ctx.set(dut.read_data.ready, 1)
        for i, x in enumerate(inputs):
            await _write_all(ctx, dut, config, _input_writes(config, x)
                             + [start_transaction(image)])
            await ctx.tick().until(dut.done)
            cycles[i], errors[i] = ctx.get(dut.cycles), ctx.get(dut.error)
            for j, (pe, addr) in enumerate(output_requests(image)):
                ctx.set(dut.read_req.payload.as_value(), encode_read(config, pe, addr))
                ctx.set(dut.read_req.valid, 1)
                await ctx.tick().until(dut.read_req.ready)
                ctx.set(dut.read_req.valid, 0)
                value, = await ctx.tick().sample(dut.read_data.payload).until(
                    dut.read_data.valid)
                outputs[i, j] = int(value)
            if progress:
                progress(i)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return outputs, cycles, errors


async def run_job(ctx, dut, image, x):
    """Amaranth testbench helper: load, start, wait for ``done`` and read the outputs.

    Returns ``(outputs, cycles, error)``: the physical-order outputs (``int64`` array), the
    cycle counter and the error flags. Assumes ``dut.read_data.ready`` is driven by this
    helper only.
    """
    cfg = image.config
    words = load_transactions(image, x) + [start_transaction(image)]
    ctx.set(dut.write.valid, 1)
    for word in words:
        ctx.set(dut.write.payload.as_value(), encode_write(cfg, word))
        await ctx.tick().until(dut.write.ready)
    ctx.set(dut.write.valid, 0)
    await ctx.tick().until(dut.done)
    cycles, error = ctx.get(dut.cycles), ctx.get(dut.error)
    outputs = []
    ctx.set(dut.read_data.ready, 1)
    for pe, addr in output_requests(image):
        ctx.set(dut.read_req.payload.as_value(), encode_read(cfg, pe, addr))
        ctx.set(dut.read_req.valid, 1)
        await ctx.tick().until(dut.read_req.ready)
        ctx.set(dut.read_req.valid, 0)
        payload, = await ctx.tick().sample(dut.read_data.payload).until(dut.read_data.valid)
        outputs.append(int(payload))
    ctx.set(dut.read_data.ready, 0)
    return np.array(outputs, dtype=np.int64), cycles, error


def simulate(image, inputs, *, dut=None):
    """Run each input of ``inputs`` through ``image`` on one :class:`eie_hw.rtl.top.EIETop` in the
    Amaranth simulator (memories reloaded for every job). Returns a list of
    ``(outputs, cycles, error)`` as :func:`run_job`."""
    from amaranth.sim import Simulator

    from eie_hw.rtl.top import EIETop

    dut = dut or EIETop(image.config)
    results = []

    async def testbench(ctx):
        for x in inputs:
            results.append(await run_job(ctx, dut, image, x))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return results
