"""The host session on :class:`eie_hw.rtl.top.EIETop` in the Amaranth simulator.

:class:`AmaranthHostPort` drives the array's host port (:class:`eie_hw.protocol.HostSignature`)
from an async testbench; :func:`simulate` runs a batch of inputs through one image with it
(the image loaded once, then each input, ``START`` and the read-back).
"""

from eie_hw.host.session import HostPort, HostSession, JobStatus
from eie_hw.host.words import encode_read, encode_write
from eie_hw.protocol import COUNTED_ACTIONS

__all__ = ["AmaranthHostPort", "simulate"]


class AmaranthHostPort(HostPort):
    """A :class:`~eie_hw.host.session.HostPort` on the host interface ``host`` of an
    ``EIETop`` (``dut.host``), for one Amaranth testbench context ``ctx``.

    The port drives ``write``, ``read_req`` and ``read_data.ready``; nothing else may drive
    them while it runs. ``read_data.ready`` is high only while a read waits for its answer.
    """

    def __init__(self, ctx, host, config):
        self._ctx, self._host = ctx, host
        self.config = config

    async def write(self, words):
        ctx, stream = self._ctx, self._host.write
        ctx.set(stream.valid, 1)
        for word in words:
            ctx.set(stream.payload.as_value(), encode_write(self.config, word))
            await ctx.tick().until(stream.ready)
        ctx.set(stream.valid, 0)

    async def wait(self):
        ctx, host = self._ctx, self._host
        await ctx.tick().until(host.done)
        return JobStatus(busy=bool(ctx.get(host.busy)), done=True, error=ctx.get(host.error),
                         cycles=ctx.get(host.cycles), broadcasts=ctx.get(host.broadcasts),
                         stalls=ctx.get(host.stalls),
                         **{name: ctx.get(getattr(host, name)) for name in COUNTED_ACTIONS})

    async def read(self, requests):
        ctx, req, data = self._ctx, self._host.read_req, self._host.read_data
        values = []
        ctx.set(data.ready, 1)
        for pe, addr in requests:
            ctx.set(req.payload.as_value(), encode_read(self.config, pe, addr))
            ctx.set(req.valid, 1)
            await ctx.tick().until(req.ready)
            ctx.set(req.valid, 0)
            value, = await ctx.tick().sample(data.payload).until(data.valid)
            values.append(int(value))
        ctx.set(data.ready, 0)
        return values


def simulate(image, inputs, *, reload=False, progress=None, dut=None):
    """Every input of ``inputs`` (``(batch, n_in)`` or one ``(n_in,)``, fixed point, original
    order) through ``image`` on one ``EIETop`` in the Amaranth simulator.

    The image is loaded once (with ``reload``, again before every input). ``progress(i)`` is
    called after input ``i``. Returns a :class:`~eie_hw.host.session.BatchResult`.
    """
    from amaranth.sim import Simulator

    from eie_hw.rtl.top import EIETop

    dut = dut or EIETop(image.config)
    result = []

    async def testbench(ctx):
        session = HostSession(AmaranthHostPort(ctx, dut.host, image.config))
        result.append(await session.run_batch(inputs, image, reload=reload, progress=progress))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    return result[0]

