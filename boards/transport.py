"""Byte transports for :class:`boards.host.EIEDevice`: a serial port, or the board's gateware
in the Amaranth simulator. The driver code is the same for both."""

import abc
import time
from collections import deque

__all__ = ["Transport", "SerialTransport", "SimulationTransport"]


class Transport(abc.ABC):
    """A byte pipe to the device."""

    @abc.abstractmethod
    def write(self, data):
        """Send ``data`` (bytes)."""

    @abc.abstractmethod
    def read(self, timeout):
        """Bytes received so far, waiting up to ``timeout`` seconds for at least one (``b""``
        when none came)."""

    def clock(self):
        """The transport's time in seconds (timeouts are measured in it)."""
        return time.monotonic()

    def close(self):  # noqa: B027 -- optional hook: most transports hold nothing to close
        """Release the transport."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SerialTransport(Transport):
    """A serial port (pyserial), 8N1."""

    def __init__(self, port, baud):
        import serial

        self._port = serial.Serial(port, baud, timeout=0)
        self._port.reset_input_buffer()

    def write(self, data):
        self._port.write(data)
        self._port.flush()

    def read(self, timeout):
        self._port.timeout = timeout
        first = self._port.read(1)
        if not first:
            return b""
        self._port.timeout = 0
        return first + self._port.read(self._port.in_waiting or 0)

    def close(self):
        self._port.close()


class SimulationTransport(Transport):
    """The board's link gateware in the Amaranth simulator.

    ``uart=False`` (fast) simulates :class:`boards.link.EIEByteLink`, one byte per cycle on
    its byte streams; ``uart=True`` simulates :class:`boards.link.EIELink` with the UART at
    ``divisor`` cycles per bit, driving and sampling the pins from a bit-level model here.
    Time only passes inside :meth:`read` and :meth:`run`: ``timeout`` seconds of the driver
    become ``timeout * cycles_per_second`` simulated cycles (default: 1 s = 200 000 cycles).
    :meth:`reset` resets the link's registers (its memories keep their contents).

    Parameters
    ----------
    config : EIEConfig
    uart : bool
    divisor : int
    cycles_per_second : int
    """

    def __init__(self, config, *, uart=False, divisor=4, cycles_per_second=200_000):
        from amaranth import ClockDomain, Module
        from amaranth.sim import Simulator

        from .link import EIEByteLink, EIELink

        self._uart = uart
        self._divisor = divisor
        self._rate = cycles_per_second
        self.dut = EIELink(config, divisor=divisor) if uart else EIEByteLink(config)
        self._to_device, self._from_device = deque(), bytearray()
        self._resetting = False
        self.cycles = 0
        m = Module()
        m.domains.sync = self._domain = ClockDomain("sync")
        m.submodules.dut = self.dut
        self._sim = Simulator(m)
        self._sim.add_clock(1e-8)
        if uart:
            self._sim.add_testbench(self._drive_pin, background=True)
            self._sim.add_testbench(self._sample_pin, background=True)
        else:
            self._sim.add_testbench(self._drive_stream, background=True)
            self._sim.add_testbench(self._sample_stream, background=True)

    async def _reset_link(self, ctx, idle):
        """The cycle of reset that :meth:`reset` asks for, the receive input held ``idle``."""
        ctx.set(self.dut.rx if self._uart else self.dut.rx.valid, idle)
        ctx.set(self._domain.rst, 1)
        await ctx.tick()
        ctx.set(self._domain.rst, 0)
        self._resetting = False

    async def _drive_stream(self, ctx):
        rx = self.dut.rx
        while True:
            if self._resetting:
                await self._reset_link(ctx, 0)
            elif self._to_device:
                ctx.set(rx.payload, self._to_device.popleft())
                ctx.set(rx.valid, 1)
                await ctx.tick().until(rx.ready)
                ctx.set(rx.valid, 0)
            else:
                await ctx.tick()

    async def _sample_stream(self, ctx):
        tx = self.dut.tx
        ctx.set(tx.ready, 1)
        async for _, _, valid, payload in ctx.tick().sample(tx.valid, tx.payload):
            if valid:
                self._from_device.append(payload)

    async def _drive_pin(self, ctx):
        ctx.set(self.dut.rx, 1)
        while True:
            if self._resetting:
                await self._reset_link(ctx, 1)
            elif self._to_device:
                byte = self._to_device.popleft()
                for bit in [0, *((byte >> i) & 1 for i in range(8)), 1]:
                    ctx.set(self.dut.rx, bit)
                    await ctx.tick().repeat(self._divisor)
            else:
                await ctx.tick()

    async def _sample_pin(self, ctx):
        div = self._divisor
        while True:
            while ctx.get(self.dut.tx):                      # wait for a start bit
                await ctx.tick()
            await ctx.tick().repeat(div // 2)
            byte = 0
            for i in range(8):
                await ctx.tick().repeat(div)
                byte |= ctx.get(self.dut.tx) << i
            await ctx.tick().repeat(div)
            if ctx.get(self.dut.tx):                         # stop bit
                self._from_device.append(byte)

    def clock(self):
        return self.cycles / self._rate

    def write(self, data):
        self._to_device.extend(bytes(data))

    def read(self, timeout):
        budget = self.cycles + max(1, int(timeout * self._rate))
        while not self._from_device and self.cycles < budget:
            self.run(256)
        return self.received()

    def received(self):
        """The bytes the device has sent since the last :meth:`read` or :meth:`received`,
        without advancing the simulation."""
        data = bytes(self._from_device)
        self._from_device.clear()
        return data

    def run(self, cycles):
        """Advance the simulation by ``cycles`` clock cycles."""
        self.cycles += cycles
        self._sim.run_until(self.cycles * 1e-8)

    def reset(self):
        """Reset the link's registers for a cycle (its memories keep their contents) and drop
        the bytes still on their way in either direction."""
        self._to_device.clear()
        self._resetting = True
        self.run(4)
        self._from_device.clear()
