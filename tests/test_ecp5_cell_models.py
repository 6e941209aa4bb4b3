"""The project's ECP5 cell models (boards/cells/: DP16KD, MULT18X18D), checked apart from the
EIE design: a small Amaranth design whose memories and multipliers Yosys' ``synth_ecp5`` maps
onto DP16KD at the widths the EIE link's netlist uses (36 pseudo dual port, 18 and 9 true dual
port, random initial contents) and onto MULT18X18D (signed and unsigned, 16 and 18 bits), its
netlist Verilated with the gate-level flow's models, compared on random stimuli with a Python
reference of the design; and each model stopping the simulation on a setting it does not
model."""

import ctypes
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from amaranth import Module, Signal, signed, unsigned
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from boards.gate_level import family_models, synthesize_rtlil, verilator_args
from sim.verify.native.build import cache_dir
from sim.verify.native.verilated import verilated_library

pytestmark = pytest.mark.skipif(shutil.which("g++") is None or shutil.which("make") is None,
                                reason="the cell models are Verilated, which needs g++ and make")

HARNESS = Path(__file__).with_name("ecp5_cells_harness.cpp")
STEPS = 3000
#: (field, offset, width) of ``in1``: the three memories' addresses and enables.
IN1 = [("w_waddr", 0, 9), ("w_raddr", 9, 9), ("w_wen", 18, 1), ("m_waddr", 19, 8),
       ("m_raddr", 27, 8), ("m_wen", 35, 1), ("m_ren", 36, 1), ("n_waddr", 37, 8),
       ("n_raddr", 45, 8), ("n_wen", 53, 1)]


class CellCheck(wiring.Component):
    """Three memories with a write port and a registered, non-transparent read port each —
    64 x 512 (``wide``), 16 x 256 with a read enable (``mid``), 8 x 256 (``narrow``) — and four
    registered products. ``in0`` is the write data (``mid`` takes bits 0–15, ``narrow`` 16–23)
    and the 18-bit operands (bits 0–17, 18–35); ``in1`` the addresses and enables
    (:data:`IN1`); ``in2`` the 16-bit operands x (bits 0–15) and y (16–31). ``out0`` is
    ``wide``'s read data, ``out1`` ``mid``'s (0–15), ``narrow``'s (16–23) and x·y signed
    (24–55); ``out2`` x·y unsigned (0–31) and signed x times unsigned y (32–63); ``out3`` the
    signed 18 x 18 product."""

    in0: In(64)
    in1: In(64)
    in2: In(64)
    out0: Out(64)
    out1: Out(64)
    out2: Out(64)
    out3: Out(64)

    def __init__(self, inits):
        super().__init__()
        self._inits = inits

    def elaborate(self, platform):
        m = Module()
        f = {name: self.in1[lo:lo + width] for name, lo, width in IN1}
        mems = {}
        for name, width, depth in (("wide", 64, 512), ("mid", 16, 256), ("narrow", 8, 256)):
            mems[name] = m.submodules[name] = Memory(shape=unsigned(width), depth=depth,
                                                     init=self._inits[name])
        for name, key, data in (("wide", "w", self.in0), ("mid", "m", self.in0[:16]),
                                ("narrow", "n", self.in0[16:24])):
            w = mems[name].write_port()
            m.d.comb += [w.addr.eq(f[f"{key}_waddr"]), w.data.eq(data), w.en.eq(f[f"{key}_wen"])]
        rw, rm, rn = (mems[name].read_port() for name in ("wide", "mid", "narrow"))
        m.d.comb += [rw.addr.eq(f["w_raddr"]), rm.addr.eq(f["m_raddr"]), rm.en.eq(f["m_ren"]),
                     rn.addr.eq(f["n_raddr"]),
                     self.out0.eq(rw.data), self.out1[:16].eq(rm.data),
                     self.out1[16:24].eq(rn.data)]
        x, y = self.in2[:16], self.in2[16:32]
        a18, b18 = self.in0[:18].as_signed(), self.in0[18:36].as_signed()
        ss, uu, su, p18 = (Signal(signed(32)), Signal(unsigned(32)), Signal(signed(32)),
                           Signal(signed(36)))
        m.d.sync += [ss.eq(x.as_signed() * y.as_signed()), uu.eq(x * y),
                     su.eq(x.as_signed() * y), p18.eq(a18 * b18)]
        m.d.comb += [self.out1[24:56].eq(ss), self.out2[:32].eq(uu), self.out2[32:].eq(su),
                     self.out3[:36].eq(p18)]
        return m


def _to_signed(value, width):
    return value - (1 << width) if value >> (width - 1) & 1 else value


class Reference:
    """The Python model of :class:`CellCheck`: :meth:`step` takes one cycle's inputs and
    returns the outputs after its clock edge (``None`` where nothing has been read yet)."""

    def __init__(self, inits):
        self.mems = {name: list(values) for name, values in inits.items()}
        self.mid = None

    def step(self, in0, in1, in2):
        f = {name: in1 >> lo & ((1 << width) - 1) for name, lo, width in IN1}
        wide = self.mems["wide"][f["w_raddr"]]
        if f["m_ren"]:
            self.mid = self.mems["mid"][f["m_raddr"]]
        narrow = self.mems["narrow"][f["n_raddr"]]
        for name, key, data in (("wide", "w", in0), ("mid", "m", in0 & 0xFFFF),
                                ("narrow", "n", in0 >> 16 & 0xFF)):
            if f[f"{key}_wen"]:
                self.mems[name][f[f"{key}_waddr"]] = data
        x, y = in2 & 0xFFFF, in2 >> 16 & 0xFFFF
        xs, ys = _to_signed(x, 16), _to_signed(y, 16)
        a18, b18 = _to_signed(in0 & 0x3FFFF, 18), _to_signed(in0 >> 18 & 0x3FFFF, 18)
        mask32 = (1 << 32) - 1
        out1 = None if self.mid is None else (self.mid | narrow << 16
                                              | ((xs * ys) & mask32) << 24)
        return [wide, out1, (x * y) | ((xs * y) & mask32) << 32, (a18 * b18) & ((1 << 36) - 1)]


def _stimulus(rng):
    """One cycle's (in0, in1, in2): random data; addresses from a few words half of the time, so
    that reads and writes of one word in one cycle are frequent."""
    in0, in2 = (int(v) for v in rng.integers(0, 1 << 64, 2, dtype=np.uint64))
    in1 = 0
    narrow = rng.random() < 0.5
    for _name, lo, width in IN1:
        top = 4 if narrow and width > 1 else 1 << width
        in1 |= int(rng.integers(0, top)) << lo
    return in0, in1, in2


class _Bench:
    def __init__(self, library):
        self._lib = ctypes.CDLL(str(library))
        self._lib.cells_new.restype = ctypes.c_void_p
        self._lib.cells_free.argtypes = [ctypes.c_void_p]
        self._lib.cells_step.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.handle = self._lib.cells_new()
        self._in = np.zeros(3, dtype=np.uint64)
        self._out = np.zeros(4, dtype=np.uint64)

    def step(self, in0, in1, in2):
        self._in[:] = [in0, in1, in2]
        assert self._lib.cells_step(self.handle, self._in.ctypes.data, self._out.ctypes.data) == 0
        return [int(v) for v in self._out]

    def close(self):
        if self.handle:
            self._lib.cells_free(self.handle)


def _build(directory, netlist):
    models = family_models("ecp5")
    digest = hashlib.sha256(netlist.read_bytes())
    for model in models:
        digest.update(model.read_bytes())
    return verilated_library(directory, [netlist, *models], "top", HARNESS,
                             fingerprint=digest.hexdigest(),
                             verilator_args=verilator_args(models), optimize=False)


def test_dp16kd_and_mult18x18d_against_a_reference(seed, rng):
    inits = {name: [int(v) for v in rng.integers(0, 1 << width, depth, dtype=np.uint64)]
             for name, width, depth in (("wide", 64, 512), ("mid", 16, 256), ("narrow", 8, 256))}
    directory = cache_dir() / "ecp5-cell-check"
    netlist = synthesize_rtlil(rtlil.convert(CellCheck(inits), name="top"), "ecp5",
                               directory / "netlist", top="top")
    text = netlist.read_text()
    widths = sorted(set(re.findall(r"\.DATA_WIDTH_A\(32'd(\d+)\)", text)), key=int)
    assert widths == ["9", "18", "36"], f"the design no longer maps to DP16KD 9/18/36: {widths}"
    assert len(re.findall(r"^\s*MULT18X18D ", text, re.M)) == 4, "expected four MULT18X18D"
    assert "SIGNEDA(1'h0)" in text and "SIGNEDA(1'h1)" in text
    bench = _Bench(_build(directory / "sim", netlist).library)
    assert bench.handle, "the cell models refused the design's parameters"
    reference = Reference(inits)
    try:
        for cycle in range(STEPS):
            inputs = _stimulus(rng)
            got, want = bench.step(*inputs), reference.step(*inputs)
            for port, (g, w) in enumerate(zip(got, want, strict=True)):
                assert w is None or g == w, (f"seed={seed} cycle {cycle} out{port}: netlist "
                                             f"{g:#x}, reference {w:#x}, inputs "
                                             f"{[hex(v) for v in inputs]}")
    finally:
        bench.close()


_BAD = {
    "DP16KD": ('DP16KD #(.DATA_WIDTH_A(18), .DATA_WIDTH_B(18), .REGMODE_A("OUTREG"), '
               '.RESETMODE("ASYNC"), .WRITEMODE_A("READBEFOREWRITE"), '
               '.WRITEMODE_B("READBEFOREWRITE")) u_cell (.CLKA(clk), .CLKB(clk), .DOA0(y));',
               "REGMODE_A=OUTREG REGMODE_B=NOREG is not modelled"),
    "MULT18X18D": ('MULT18X18D #(.REG_OUTPUT_CLK("CLK0")) u_cell (.A0(clk), .B0(clk), .P0(y));',
                   "REG_PIPELINE_CLK=NONE, REG_OUTPUT_CLK=CLK0) is not modelled (NONE only)"),
}


@pytest.mark.parametrize("cell", sorted(_BAD))
def test_a_setting_not_modelled_stops_the_simulation(cell, capfd):
    instance, message = _BAD[cell]
    directory = cache_dir() / f"ecp5-cell-refusal-{cell}"
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "top.v"
    source.write_text("module top(input clk, input rst, input [63:0] in0, in1, in2,\n"
                      "           output [63:0] out0, out1, out2, out3);\n"
                      f"  wire y;\n  {instance}\n"
                      "  assign out0 = y, out1 = 0, out2 = 0, out3 = 0;\nendmodule\n")
    bench = _Bench(_build(directory, source).library)
    assert not bench.handle, f"{cell} accepted a setting it does not model"
    assert message in capfd.readouterr().out
