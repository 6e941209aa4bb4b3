"""The iCE40UP's single-port RAM (SB_SPRAM256KA) as a PE's sparse-matrix memory."""

from amaranth import ClockSignal, Const, Instance, Module, Mux, Signal
from amaranth.lib.wiring import In, Out

from .checks import CheckedComponent
from .write_port import WritePortSignature

__all__ = ["SPRAM_WIDTH", "SPRAM_DEPTH", "SPRAM_COUNT", "uses_spram", "SinglePortRAM"]

#: Width, depth and number of the UP5K's SB_SPRAM256KA blocks.
SPRAM_WIDTH, SPRAM_DEPTH, SPRAM_COUNT = 16, 16384, 4


def uses_spram(config, platform):
    """Whether the sparse-matrix memories of ``config`` are built of SPRAM on ``platform``: an
    iCE40 UltraPlus (the parts with the blocks), words a multiple of 16 bits, at most 16,384
    of them, and all PEs' words side by side no wider than the four blocks."""
    device = getattr(platform, "device", "") or ""
    word, depth = config.spmat_word_bits, config.spmat_depth
    return (device.startswith("iCE40UP") and word % SPRAM_WIDTH == 0 and depth <= SPRAM_DEPTH
            and config.n_pes * word // SPRAM_WIDTH <= SPRAM_COUNT)


class SinglePortRAM(CheckedComponent):
    """``width // 16`` SB_SPRAM256KA blocks side by side: one port, read in every cycle in
    which the host does not write (``rd_addr`` in ``t``, ``rd_data`` from ``t + 1``, like a
    block RAM's synchronous read port), written at ``wr.addr`` when ``wr.en``.

    The host's address takes the port while it writes, and the blocks' output after a write
    cycle is no read (Yosys' model makes it unknown): the array accepts host writes only
    while it is idle, so no read that the stream unit uses meets a write.

    Parameters
    ----------
    width, depth : int
        Bits per word (a multiple of 16) and words (at most 16,384).
    """

    @classmethod
    def check_args(cls, width, depth):
        if width % SPRAM_WIDTH or not 1 <= depth <= SPRAM_DEPTH:
            raise ValueError(f"SinglePortRAM: {depth} × {width} bits is not a row of "
                             f"{SPRAM_DEPTH} × {SPRAM_WIDTH}-bit SPRAM blocks")

    def __init__(self, width, depth):
        self._width, self._depth = width, depth
        super().__init__({"rd_addr": In(range(depth)), "rd_data": Out(width),
                          "wr": In(WritePortSignature(depth, width))})

    def elaborate(self, platform):
        m = Module()
        addr = Signal(14)
        m.d.comb += addr.eq(Mux(self.wr.en, self.wr.addr, self.rd_addr))
        for i in range(self._width // SPRAM_WIDTH):
            bits = slice(i * SPRAM_WIDTH, (i + 1) * SPRAM_WIDTH)
            m.submodules[f"block{i}"] = Instance(
                "SB_SPRAM256KA",
                i_ADDRESS=addr, i_DATAIN=self.wr.data[bits], i_MASKWREN=Const(0b1111, 4),
                i_WREN=self.wr.en, i_CHIPSELECT=1, i_CLOCK=ClockSignal("sync"),
                i_STANDBY=0, i_SLEEP=0, i_POWEROFF=1, o_DATAOUT=self.rd_data[bits])
        return m
