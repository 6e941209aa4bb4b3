"""The cocotb bench of ``eie_top``: TB class, stream driver and monitor, host driver, scoreboard.

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

from eie_hw.host.words import (
    encode_read,
    encode_write,
    load_transactions,
    output_requests,
    start_transaction,
)
from eie_hw.protocol import Space

__all__ = ["TB", "StreamSource", "StreamSink", "HostDriver", "Scoreboard", "no_pauses",
           "random_pauses", "JobFailure"]

PERIOD_NS = 10


class JobFailure(AssertionError):
    """A job's outputs, cycle count or status differ from the models."""


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


class Scoreboard:
    """Compares the read-back outputs with the golden model's, in order, bit for bit, and the
    RTL's ``cycles``/``error`` with the cycle model. Mismatches are collected, not raised in
    the monitor, so a job reports all of them (the first few in detail)."""

    def __init__(self, log):
        self.log = log
        self._expected = deque()
        self._drained = Event()
        self._drained.set()
        self.errors = []
        self.matched = 0
        self.resetting = False
        self.discarded = 0

    def expect(self, tag, values, places):
        for i, (value, place) in enumerate(zip(values, places, strict=True)):
            self._expected.append((tag, i, place, int(value)))
        if self._expected:
            self._drained.clear()

    def receive(self, value):
        if self.resetting:      # a beat taken on a reset edge belongs to the aborted job
            self.discarded += 1
            return
        if not self._expected:
            self.errors.append(f"unexpected output {value} (nothing was requested)")
            return
        tag, i, (pe, addr), want = self._expected.popleft()
        if value != want:
            self.errors.append(f"{tag}: output {i} (PE {pe} addr {addr}) is {value}, "
                               f"golden model {want}")
        else:
            self.matched += 1
        if not self._expected:
            self._drained.set()

    def check_status(self, tag, status, timing):
        """``status``: the RTL's outputs at ``done``; ``timing``: the cycle model's
        :class:`~sim.models.timing_result.JobTiming`."""
        if status["error"]:
            self.errors.append(f"{tag}: error flags {status['error']}")
        if status["busy"]:
            self.errors.append(f"{tag}: busy after done")
        model = {"cycles": timing.total,
                 "broadcasts": sum(layer.broadcasts for layer in timing.layers),
                 "stalls": sum(layer.broadcast_stalls for layer in timing.layers)}
        for name, want in model.items():
            if name in status and status[name] != want:
                self.errors.append(f"{tag}: RTL {name} = {status[name]}, cycle model {want}")

    @property
    def pending(self):
        return len(self._expected)

    async def wait_drained(self):
        await self._drained.wait()

    def clear(self):
        self._expected.clear()
        self._drained.set()

    def raise_errors(self, context=""):
        if self.errors:
            errors, self.errors = self.errors, []
            shown = "\n  ".join(errors[:12])
            more = f"\n  … and {len(errors) - 12} more" if len(errors) > 12 else ""
            raise JobFailure(f"{context}{len(errors)} mismatch(es):\n  {shown}{more}")


class HostDriver:
    """What a host does with the array: load an image and input, start, wait, read back."""

    def __init__(self, tb):
        self.tb = tb

    async def load_and_start(self, job, inputs_only=False):
        """Send the image and input (or, with ``inputs_only``, the input alone: the image is
        still in the memories from the previous job) and ``START``."""
        words = load_transactions(job.image, job.x)
        if inputs_only:
            words = [w for w in words if w.space == Space.ACT]
        words.append(start_transaction(job.image))
        self.tb.write.send([encode_write(self.tb.config, w) for w in words])
        await self.tb.within(self.tb.write.wait_idle(), 8 * len(words) + 100, "load")
        return len(words)

    async def wait_done(self, model_cycles):
        """Until ``done`` rises; returns the status outputs (the performance counters
        ``broadcasts`` and ``stalls`` too if the RTL has them)."""
        dut = self.tb.dut
        await self.tb.within(RisingEdge(dut.done), 2 * model_cycles + 100, "done")
        await ReadOnly()
        return {name: int(getattr(dut, name).value) for name in self.tb.status_ports}

    async def read_outputs(self, job, tag, expected):
        places = output_requests(job.image)
        self.tb.scoreboard.expect(tag, expected, places)
        self.tb.read_req.send([encode_read(self.tb.config, *p) for p in places])
        await self.tb.within(self.tb.scoreboard.wait_drained(), 16 * len(places) + 100,
                             "read-back")


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
        dut.read_req__valid.value = 0
        self.write = StreamSource(dut.clk, dut.write__valid, dut.write__ready,
                                  dut.write__payload, "write", registered_ready=True)
        self.read_req = StreamSource(dut.clk, dut.read_req__valid, dut.read_req__ready,
                                     dut.read_req__payload, "read_req")
        self.read_data = StreamSink(dut.clk, dut.read_data__valid, dut.read_data__ready,
                                    dut.read_data__payload, self.scoreboard.receive, "read_data")
        self.host = HostDriver(self)
        self.jobs = 0
        self.status_ports = [name for name in ("cycles", "error", "busy", "broadcasts", "stalls")
                             if hasattr(dut, name)]

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
        self.scoreboard.clear()
        self.scoreboard.resetting = True
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles, rising=False)
        self.dut.rst.value = 0
        self.scoreboard.resetting = False

    async def run_job(self, job, tag=None, *, inputs_only=False):
        """Load, start, wait and read back ``job``; every check goes to the scoreboard.
        Returns the RTL's cycle count. Raises :class:`JobFailure` on any mismatch."""
        tag = tag or f"job {self.jobs} ({job.describe()})"
        self.jobs += 1
        self.log.info("%s", tag)
        expected, timing = job.expected()
        await self.host.load_and_start(job, inputs_only)
        status = await self.host.wait_done(timing.total)
        self.scoreboard.check_status(tag, status, timing)
        await self.host.read_outputs(job, tag, expected)
        self.scoreboard.raise_errors(f"{tag}: ")
        return status["cycles"]

    async def check_quiescent(self, settle=16):
        """End of test: nothing queued, nothing in flight, no output unaccounted for."""
        await ClockCycles(self.dut.clk, settle, rising=False)
        await ReadOnly()
        problems = []
        for source in (self.write, self.read_req):
            if source.pending:
                problems.append(f"{source.name}: {source.pending} words never accepted")
        if self.scoreboard.pending:
            problems.append(f"{self.scoreboard.pending} requested outputs never arrived")
        if int(self.dut.read_data__valid.value):
            problems.append("read_data still valid")
        if int(self.dut.busy.value):
            problems.append("array still busy")
        problems += self.scoreboard.errors
        assert not problems, "not quiescent: " + "; ".join(problems)
