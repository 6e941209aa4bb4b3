"""The host session on the native engine: :class:`NativeHostPort` and the batch function
:func:`simulate` (the ``"native"`` backend of :mod:`sim.verify.backends`).

The port's coroutines call the compiled harness and return when it has clocked the operation
through: they never suspend, so a session coroutine on this port runs to its end in one step
(:func:`complete`, without an event loop's cost per job; ``asyncio.run`` works as well) and
:class:`~eie_hw.host.session.HostSession` runs on it unchanged.
"""

from eie_hw.host.session import HostPort, HostSession, JobStatus
from sim.verify.scoreboard import JobFailure

from .build import build_native
from .encode import encode_reads, encode_writes
from .library import NativeArray, NativeTimeout

__all__ = ["NativeHostPort", "simulate", "complete", "DEFAULT_DONE_BUDGET"]

#: Cycles :meth:`NativeHostPort.wait` allows a job unless told otherwise (``done_budget``).
DEFAULT_DONE_BUDGET = 10_000_000


class NativeHostPort(HostPort):
    """A :class:`~eie_hw.host.session.HostPort` on one :class:`~.library.NativeArray`.

    Every operation is bounded: ``write`` by 8 cycles a word + 100, ``read`` by 16 cycles an
    answer + 100, ``wait`` by ``done_budget`` cycles (set it from the cycle model before a
    job, as the cocotb bench does). A bound that runs out raises
    :class:`~sim.verify.scoreboard.JobFailure` naming what was awaited.

    Parameters
    ----------
    array : NativeArray
        The array; nothing else may drive it while a session runs on the port.
    """

    def __init__(self, array):
        if not isinstance(array, NativeArray):
            raise TypeError(f"array must be a NativeArray, not {type(array).__name__}")
        self.array = array
        self.config = array.config
        self.done_budget = DEFAULT_DONE_BUDGET

    async def write(self, words):
        payloads = encode_writes(self.config, words)
        self._bounded(self.array.write, payloads, 8 * len(payloads) + 100)

    async def wait(self):
        self._bounded(self.array.wait_done, self.done_budget)
        s = self.array.status()
        return JobStatus(busy=s.busy, done=s.done, error=s.error, cycles=s.cycles,
                         broadcasts=s.broadcasts, stalls=s.stalls, **s.counters)

    async def read(self, requests):
        payloads = encode_reads(self.config, requests)
        return self._bounded(self.array.read, payloads, 16 * len(payloads) + 100)

    @staticmethod
    def _bounded(operation, *args):
        try:
            return operation(*args)
        except NativeTimeout as e:
            raise JobFailure(str(e)) from e


def complete(coroutine):
    """Run ``coroutine`` — a session coroutine on a :class:`NativeHostPort` — to its end; its
    result. Raises ``RuntimeError`` if it suspends (it awaited something other than the
    port)."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("the coroutine suspended: only session coroutines on a NativeHostPort "
                       "run to completion without an event loop")


def simulate(image, inputs, *, progress=None, log=print):
    """Every input of ``inputs`` (``(batch, n_in)`` or one ``(n_in,)``, fixed point, original
    order) through ``image`` on the native engine of ``image.config`` (built on first use,
    then cached), the image loaded once.

    ``progress(i)`` is called after input ``i``. Returns the
    :class:`~eie_hw.host.session.BatchResult` of what the RTL computed (unchecked, like
    :func:`sim.verify.amaranth_host.simulate`; the callers compare it with the models).
    Raises :class:`~sim.verify.scoreboard.JobFailure` if a job does not end within
    :data:`DEFAULT_DONE_BUDGET` cycles.
    """
    array = NativeArray(build_native(image.config, log=log))
    array.reset()
    session = HostSession(NativeHostPort(array))
    return complete(session.run_batch(inputs, image, progress=progress))
