"""8N1 UART gateware (boards.uart) against a bit-level model, and in loopback."""

import re

import pytest
from amaranth import Module
from helpers import simulate

from boards.uart import UARTRx, UARTTx, divisor_for


def bits_of(byte, stop=1):
    return [0, *((byte >> i) & 1 for i in range(8)), stop]


@pytest.mark.parametrize("divisor", [2, 3, 4, 7])
def test_rx_against_bit_model(divisor, seed, rng):
    """Bytes sent bit by bit (with idle gaps) come out in order; a low stop bit drops the
    byte and pulses frame_error."""
    dut = UARTRx(divisor)
    sent = [int(b) for b in rng.integers(0, 256, size=12)]
    bad_index = 5
    got, errors = [], []

    async def driver(ctx):
        ctx.set(dut.rx, 1)
        await ctx.tick().repeat(3)
        for i, byte in enumerate(sent):
            for bit in bits_of(byte, stop=0 if i == bad_index else 1):
                ctx.set(dut.rx, bit)
                await ctx.tick().repeat(divisor)
            ctx.set(dut.rx, 1)
            await ctx.tick().repeat(int(rng.integers(0, 2 * divisor)) + divisor)
        await ctx.tick().repeat(4 * divisor)

    async def monitor(ctx):
        ctx.set(dut.data.ready, 1)
        async for _, _, valid, payload, ferr in ctx.tick().sample(
                dut.data.valid, dut.data.payload, dut.frame_error):
            if valid:
                got.append(payload)
            if ferr:
                errors.append(len(got))

    simulate(dut, driver, background=[monitor])
    assert got == sent[:bad_index] + sent[bad_index + 1:], f"seed={seed}"
    assert errors == [bad_index], f"seed={seed}"


@pytest.mark.parametrize("divisor", [2, 5])
def test_tx_against_bit_model(divisor, seed, rng):
    """The line carries start, 8 data bits LSB first and stop, each ``divisor`` cycles."""
    dut = UARTTx(divisor)
    sent = [int(b) for b in rng.integers(0, 256, size=6)]
    line = []

    async def driver(ctx):
        for byte in sent:
            ctx.set(dut.data.payload, byte)
            ctx.set(dut.data.valid, 1)
            await ctx.tick().until(dut.data.ready)
            ctx.set(dut.data.valid, 0)
            await ctx.tick().repeat(int(rng.integers(1, 4)))
        await ctx.tick().until(dut.data.ready)
        await ctx.tick().repeat(2 * divisor)

    async def monitor(ctx):
        async for _, _, tx in ctx.tick().sample(dut.tx):
            line.append(tx)

    simulate(dut, driver, background=[monitor])
    got, i = [], 0
    while i < len(line):
        if line[i] == 0:                                 # start bit: sample mid-bit
            mid = i + divisor // 2
            frame = [line[mid + k * divisor] for k in range(10)]
            assert frame[0] == 0 and frame[9] == 1, f"seed={seed}: framing {frame}"
            assert all(line[i + k] == 0 for k in range(divisor)), "start bit length"
            got.append(sum(b << k for k, b in enumerate(frame[1:9])))
            i += 10 * divisor - divisor // 2
        else:
            i += 1
    assert got == sent, f"seed={seed}"


def test_loopback_back_to_back(seed, rng):
    """tx → rx at divisor 3 with no idle time between bytes."""
    m = Module()
    m.submodules.tx = tx = UARTTx(3)
    m.submodules.rx = rx = UARTRx(3)
    m.d.comb += rx.rx.eq(tx.tx)
    sent = [int(b) for b in rng.integers(0, 256, size=20)]
    got = []

    async def driver(ctx):
        ctx.set(tx.data.valid, 1)
        for byte in sent:
            ctx.set(tx.data.payload, byte)
            await ctx.tick().until(tx.data.ready)
        ctx.set(tx.data.valid, 0)
        while len(got) < len(sent):
            await ctx.tick()

    async def monitor(ctx):
        ctx.set(rx.data.ready, 1)
        async for _, _, valid, payload in ctx.tick().sample(rx.data.valid, rx.data.payload):
            if valid:
                got.append(payload)

    simulate(m, driver, background=[monitor])
    assert got == sent, f"seed={seed}"


def test_divisor_validation():
    assert divisor_for(12e6, 115200) == 104
    assert divisor_for(100e6, 1_000_000) == 100
    with pytest.raises(ValueError, match=r"^baud rate 2500000 is more than 2 % off at 12 MHz "
                                         r"\(closest 2400000\)$"):
        divisor_for(12e6, 2_500_000)
    with pytest.raises(ValueError, match=r"^baud rate 9000000 is too fast for a 12 MHz clock$"):
        divisor_for(12e6, 9_000_000)
    with pytest.raises(ValueError, match=r"^UART divisor must be at least 2, not 1$"):
        UARTRx(1)
    with pytest.raises(TypeError, match=re.escape("UART divisor must be an integer, not 2.0")):
        UARTTx(2.0)
