"""Gateware side of the frame layer (:mod:`boards.frame`): SLIP encoding of response bodies
with their CRC, and the CRC step as an Amaranth expression."""

import operator
from functools import reduce

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from .frame import CRC_INIT, END, ESC, ESC_END, ESC_ESC, crc16_step

__all__ = ["crc16_next", "token_layout", "FrameEncoder"]


def _int_mux(sel, a, b):
    return a if sel else b


def crc16_next(crc, byte):
    """The CRC register after ``byte`` (Amaranth values; the host's function, flattened).

    The CRC step is linear over GF(2), so each next bit is the XOR of the ``crc`` and ``byte``
    bits whose unit vectors :func:`~boards.frame.crc16_step` maps onto it. (Unrolling the
    bit-serial form as nested ``Mux`` expressions would copy ``crc`` 3⁸ times.)"""
    bits = []
    for i in range(16):
        terms = [crc[j] for j in range(16) if crc16_step(1 << j, 0, _int_mux) >> i & 1]
        terms += [byte[j] for j in range(8) if crc16_step(0, 1 << j, _int_mux) >> i & 1]
        bits.append(reduce(operator.xor, terms))
    return Cat(*bits)


#: One token of a response body: a byte (``first`` opens the frame), or ``end`` (close the
#: frame: CRC and ``END``; ``data`` ignored).
token_layout = data.StructLayout({"data": 8, "first": 1, "end": 1})


class FrameEncoder(wiring.Component):
    """Turns body tokens into wire bytes: ``END`` before a ``first`` byte, escaped bytes, and
    on ``end`` the CRC-16 of the body (big-endian, escaped) and ``END``.

    Members
    -------
    body : In(stream of token_layout)
    wire : Out(stream.Signature(8))
    """

    body: In(stream.Signature(token_layout))
    wire: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        crc = Signal(16, init=CRC_INIT)
        cur = Signal(8)                       # byte being sent by BYTE
        escaped = Signal()                    # ESC of cur already sent
        ret = Signal(2)                       # after BYTE: 0 IDLE, 1 CRC_LO, 2 EOF
        special = (cur == END) | (cur == ESC)
        sent = self.wire.valid & self.wire.ready
        tok = self.body.payload

        with m.FSM():
            with m.State("IDLE"):
                m.d.comb += self.body.ready.eq(1)
                with m.If(self.body.valid):
                    with m.If(tok.end):
                        m.d.sync += [cur.eq(crc[8:]), ret.eq(1), escaped.eq(0)]
                        m.next = "BYTE"
                    with m.Else():
                        m.d.sync += [cur.eq(tok.data), ret.eq(0), escaped.eq(0),
                                     crc.eq(crc16_next(Mux(tok.first, CRC_INIT, crc), tok.data))]
                        with m.If(tok.first):
                            m.next = "SOF"
                        with m.Else():
                            m.next = "BYTE"
            with m.State("SOF"):
                m.d.comb += [self.wire.valid.eq(1), self.wire.payload.eq(END)]
                with m.If(sent):
                    m.next = "BYTE"
            with m.State("BYTE"):
                m.d.comb += self.wire.valid.eq(1)
                with m.If(special & ~escaped):
                    m.d.comb += self.wire.payload.eq(ESC)
                    with m.If(sent):
                        m.d.sync += escaped.eq(1)
                with m.Else():
                    m.d.comb += self.wire.payload.eq(
                        Mux(escaped, Mux(cur == END, ESC_END, ESC_ESC), cur))
                    with m.If(sent):
                        m.d.sync += escaped.eq(0)
                        with m.If(ret == 1):
                            m.d.sync += [cur.eq(crc[:8]), ret.eq(2)]
                        with m.Elif(ret == 2):
                            m.next = "EOF"
                        with m.Else():
                            m.next = "IDLE"
            with m.State("EOF"):
                m.d.comb += [self.wire.valid.eq(1), self.wire.payload.eq(END)]
                with m.If(sent):
                    m.d.sync += crc.eq(CRC_INIT)
                    m.next = "IDLE"
        return m
