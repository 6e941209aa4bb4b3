"""The cocotb bench of ``eie_top``: TB class, stream driver and monitor, host port, scoreboard.

Timing discipline (the same in Icarus and Verilator): every input is driven just after a
falling clock edge and every handshake is sampled in the ``ReadOnly`` phase of the same cycle,
so ``valid & ready`` seen there is the transfer of the next rising edge. (Sampling right after a
rising edge would see pre-edge values in Icarus and post-edge values in Verilator.) Idle drivers
and the monitor sleep on events and signal edges instead of polling, and the host waits for a
job on a rising edge of ``done``: the Python work per simulated cycle is a few handle accesses
while streams move and nothing while the array computes.
"""

import itertools
import logging
import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import (
    ClockCycles,
    Event,
    FallingEdge,
    ReadOnly,
    RisingEdge,
    with_timeout,
)

from eie_hw.host.session import HostPort, HostSession, JobStatus
from eie_hw.host.words import encode_read, encode_write, output_requests
from eie_hw.protocol import COUNTED_ACTIONS
from sim.verify.scoreboard import JobFailure, Scoreboard

__all__ = ["TB", "StreamSource", "StreamSink", "CocotbHostPort", "Scoreboard", "no_pauses",
           "random_pauses", "JobFailure"]

PERIOD_NS = 10


def no_pauses():
    return itertools.repeat(False)


def random_pauses(seed, probability, length=1009):
    """A repeating seeded pattern of pauses (``True`` = idle / not ready) of the given density
    (cycled like ``itertools.cycle([1, 1, 1, 0])``, but irregular)."""
    rnd = random.Random(seed)
    return itertools.cycle([rnd.random() < probability for _ in range(length)])


class StreamSource:
    """Drives ``valid``/``payload`` of a stream from a queue of integer payloads, idling on the
    cycles a pause generator says ``True``.

    ``registered_ready``: the sink's ``ready`` depends on its registers only (not on this
    cycle's inputs), so its value after the falling edge is the one the next rising edge sees
    and one trigger per cycle suffices (docs/protocol.md: ``write`` is ready while no job
    runs). Otherwise ``ready`` is sampled in the ``ReadOnly`` phase after all inputs settled.
    """

    def __init__(self, clk, valid, ready, payload, name, *, registered_ready=False):
        self._clk, self._valid, self._ready, self._payload = clk, valid, ready, payload
        self.name = name
        self._registered = registered_ready
        self._queue = deque()
        self._pause = no_pauses()
        self._wake = Event()
        self._idle = Event()
        self._idle.set()
        self._driving = False
        self.sent = 0
        self._valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def set_pause(self, generator):
        self._pause = generator or no_pauses()

    def send(self, payloads):
        self._queue.extend(payloads)
        if self._queue:
            self._idle.clear()
            self._wake.set()

    @property
    def pending(self):
        return len(self._queue)

    async def wait_idle(self):
        """Until every queued payload has been transferred."""
        await self._idle.wait()

    def clear(self):
        """Drop queued payloads (call just after a falling edge, e.g. from :meth:`TB.reset`)."""
        self._queue.clear()
        self._valid.value = 0
        self._driving = False
        self._idle.set()

    async def _run(self):
        falling, sample = FallingEdge(self._clk), ReadOnly()
        last = None
        while True:
            await falling
            if not self._queue:
                if self._driving:
                    self._valid.value = 0
                    self._driving = False
                self._idle.set()
                await self._wake.wait()
                self._wake.clear()
                continue
            if next(self._pause):
                if self._driving:
                    self._valid.value = 0
                    self._driving = False
                if self._registered:
                    continue
            else:
                word = self._queue[0]
                if word is not last:
                    self._payload.value = word
                    last = word
                if not self._driving:
                    self._valid.value = 1
                    self._driving = True
                if self._registered:
                    if self._ready.value:
                        self._queue.popleft()
                        self.sent += 1
                    continue
            await sample
            if self._driving and self._queue and self._ready.value:
                self._queue.popleft()
                self.sent += 1


class StreamSink:
    """Monitor of a stream: drives ``ready`` with back-pressure from a pause generator and
    hands every transferred payload to ``callback``. Sleeps until ``valid`` rises when the
    stream is empty, so a spurious or duplicated transfer is still seen."""

    def __init__(self, clk, valid, ready, payload, callback, name, *, signed=True):
        self._clk, self._valid, self._ready, self._payload = clk, valid, ready, payload
        self._callback, self.name, self._signed = callback, name, signed
        self._pause = no_pauses()
        self.received = 0
        self._ready.value = 1
        self._task = cocotb.start_soon(self._run())

    def set_pause(self, generator):
        self._pause = generator or no_pauses()

    async def _run(self):
        falling, sample, rising_valid = FallingEdge(self._clk), ReadOnly(), RisingEdge(self._valid)
        ready = True
        while True:
            await falling
            want = not next(self._pause)
            if want != ready:
                self._ready.value = int(want)
                ready = want
            await sample
            if not self._valid.value:
                await rising_valid
                continue
            if ready:
                value = self._payload.value
                self.received += 1
                self._callback(value.to_signed() if self._signed else value.to_unsigned())


class CocotbHostPort(HostPort):
    """The :class:`~eie_hw.host.session.HostPort` of the cocotb bench: words go out through
    the TB's ``write`` source, read requests through its ``read_req`` source, and the
    ``read_data`` monitor hands every answer to :meth:`receive`. Every wait is bounded
    (:meth:`TB.within`): a hung stream fails the job instead of the simulation.

    ``done_budget`` is the number of cycles :meth:`wait` allows for a job (the TB sets it
    from the cycle model before each job)."""

    def __init__(self, tb):
        self.tb = tb
        self.config = tb.config
        self.done_budget = 100_000
        self._answers = deque()
        self._wanted = 0
        self._arrived = Event()
        self.resetting = False
        self.discarded = 0

    async def write(self, words):
        self.tb.write.send([encode_write(self.config, w) for w in words])
        await self.tb.within(self.tb.write.wait_idle(), 8 * len(words) + 100, "write")

    async def wait(self):
        dut = self.tb.dut
        await self.tb.within(RisingEdge(dut.host__done), self.done_budget, "done")
        await ReadOnly()
        value = {name: int(getattr(dut, f"host__{name}").value)
                 for name in ("busy", "error", "cycles", "broadcasts", "stalls",
                              *COUNTED_ACTIONS)}
        return JobStatus(done=True, **{**value, "busy": bool(value["busy"])})

    async def read(self, requests):
        self._answers.clear()
        self._wanted = len(requests)
        self._arrived.clear()
        self.tb.read_req.send([encode_read(self.config, *p) for p in requests])
        if requests:
            await self.tb.within(self._arrived.wait(), 16 * len(requests) + 100, "read-back")
        values, self._wanted = list(self._answers), 0
        self._answers.clear()
        return values

    def receive(self, value):
        """The ``read_data`` monitor's callback."""
        if self.resetting:      # a beat taken on a reset edge belongs to the aborted job
            self.discarded += 1
        elif len(self._answers) >= self._wanted:
            self.tb.scoreboard.unexpected(value)
        else:
            self._answers.append(value)
            if len(self._answers) == self._wanted:
                self._arrived.set()

    @property
    def pending(self):
        """Answers asked for and not (yet) received."""
        return self._wanted - len(self._answers)

    def clear(self):
        self._answers.clear()
        self._wanted = 0
        self._arrived.set()


class TB:
    """Owns the clock, reset, the three stream agents, the host driver and the scoreboard of
    one ``eie_top`` instance."""

    def __init__(self, dut, config):
        self.dut, self.config = dut, config
        self.log = logging.getLogger("cocotb.eie")
        self.log.setLevel(logging.INFO)
        self.scoreboard = Scoreboard(self.log)
        self.clock = Clock(dut.clk, PERIOD_NS, unit="ns")
        dut.rst.value = 1
        dut.host__read_req__valid.value = 0
        self.port = CocotbHostPort(self)
        self.write = StreamSource(dut.clk, dut.host__write__valid, dut.host__write__ready,
                                  dut.host__write__payload, "write", registered_ready=True)
        self.read_req = StreamSource(dut.clk, dut.host__read_req__valid,
                                     dut.host__read_req__ready, dut.host__read_req__payload,
                                     "read_req")
        self.read_data = StreamSink(dut.clk, dut.host__read_data__valid,
                                    dut.host__read_data__ready, dut.host__read_data__payload,
                                    self.port.receive, "read_data")
        self.session = HostSession(self.port)
        self.jobs = 0

    async def start(self):
        self.clock.start()
        await self.reset()

    def cycles(self):
        """Clock cycles simulated so far."""
        from cocotb.simtime import get_sim_time
        return int(get_sim_time(unit="ns") // PERIOD_NS)

    def set_pauses(self, seed=None, write=0.0, read_req=0.0, read_data=0.0):
        """Idle probability of the write and read-request streams and back-pressure
        probability of read_data (0 = none); patterns seeded from ``seed``."""
        def gen(offset, p):
            return random_pauses(seed * 7 + offset, p) if p > 0 else no_pauses()
        self.write.set_pause(gen(1, write))
        self.read_req.set_pause(gen(2, read_req))
        self.read_data.set_pause(gen(3, read_data))

    def random_pauses(self, rng):
        """Random stream stalls of random density (0–60 %) on every stream."""
        probabilities = [float(p) if rng.random() < 0.8 else 0.0
                         for p in rng.uniform(0, 0.6, 3)]
        self.set_pauses(int(rng.integers(1 << 30)), *probabilities)
        return probabilities

    async def within(self, awaitable, cycles, what):
        try:
            return await with_timeout(awaitable, cycles * PERIOD_NS, "ns")
        except TimeoutError as e:   # cocotb's SimTimeoutError is a TimeoutError
            raise JobFailure(f"timeout after {cycles} cycles waiting for {what}") from e

    async def reset(self, cycles=3):
        """Synchronous reset; drops whatever the agents and the scoreboard still hold."""
        await FallingEdge(self.dut.clk)
        self.write.clear()
        self.read_req.clear()
        self.port.clear()
        self.port.resetting = True
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles, rising=False)
        self.dut.rst.value = 0
        self.port.resetting = False

    async def run_job(self, job, tag=None, *, inputs_only=False):
        """Load (with ``inputs_only``, only the input: the image is still in the memories from
        the previous job), start, wait and read back ``job`` through the host session; the
        scoreboard checks outputs and status against the models. Returns the
        :class:`~eie_hw.host.session.JobResult`. Raises :class:`JobFailure` on any mismatch."""
        tag = tag or f"job {self.jobs} ({job.describe()})"
        self.jobs += 1
        self.log.info("%s", tag)
        expected, timing = job.expected()
        self.port.done_budget = 2 * timing.total + 100
        if not inputs_only:
            await self.session.load(job.image)
        result = await self.session.run(job.x, job.image)
        self.scoreboard.check_status(tag, result.status, timing)
        self.scoreboard.check_outputs(tag, result.physical, expected,
                                      output_requests(job.image))
        self.scoreboard.raise_errors(f"{tag}: ")
        return result

    async def check_quiescent(self, settle=16):
        """End of test: nothing queued, nothing in flight, no output unaccounted for."""
        await ClockCycles(self.dut.clk, settle, rising=False)
        await ReadOnly()
        problems = []
        for source in (self.write, self.read_req):
            if source.pending:
                problems.append(f"{source.name}: {source.pending} words never accepted")
        if self.port.pending:
            problems.append(f"{self.port.pending} requested outputs never arrived")
        if int(self.dut.host__read_data__valid.value):
            problems.append("read_data still valid")
        if int(self.dut.host__busy.value):
            problems.append("array still busy")
        problems += self.scoreboard.errors
        assert not problems, "not quiescent: " + "; ".join(problems)
