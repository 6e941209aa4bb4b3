"""The supported boards and their EIE configurations.

A board configuration keeps the paper's arithmetic (16-bit activations and weights, 4-bit
indices, 64-bit sparse-matrix words) and sizes the memories so that every PE's memories fit the
device's block RAM: each PE has nine memories (two pointer banks, sparse matrix, codebook,
accumulators, two activation banks, biases, queue), so the count of RAM blocks, not their
size, limits small devices.
"""

from collections.abc import Callable
from dataclasses import dataclass

from amaranth_boards.icebreaker import ICEBreakerPlatform
from amaranth_boards.ulx3s import ULX3S_85F_Platform

from eie_hw.config import EIEConfig

from .floorplan import anchor_script

__all__ = ["Board", "BOARDS", "get_board"]


@dataclass(frozen=True)
class Board:
    """One supported board.

    ``memories`` are the :class:`EIEConfig` fields every configuration of the board uses;
    ``default_pes`` is the largest PE count measured to build (docs/boards.md); ``freq`` is the
    clock the design runs at (``None``: the board oscillator, else the device's PLL);
    ``synth_opts`` and ``nextpnr_opts`` are added to Yosys' ``synth_*`` and to nextpnr;
    ``floorplan``, if given, maps a PE count to the Yosys commands run after synthesis that
    anchor each PE's cells (:mod:`boards.floorplan`).
    """

    name: str
    platform: type
    default_pes: int
    memories: dict
    freq: float | None
    synth_opts: str = ""
    nextpnr_opts: str = ""
    floorplan: Callable[[int], str] | None = None

    def config(self, n_pes=None, broadcast_width=None):
        """The board's configuration at ``n_pes`` PEs (default ``default_pes``) and broadcast
        width (default 1, the paper's)."""
        width = {} if broadcast_width is None else {"broadcast_width": broadcast_width}
        return EIEConfig(n_pes=n_pes or self.default_pes, **self.memories, **width)

    def make_platform(self):
        return self.platform()

    @property
    def family(self):
        """The FPGA family in lower case (``"ice40"``, ``"ecp5"``): Amaranth's platforms
        spell it ``"iCE40"`` and ``"ecp5"``."""
        return self.make_platform().family.lower()

    def clock_hz(self, freq=None):
        return freq or self.freq or self.platform().default_clk_frequency


BOARDS = {
    "icebreaker": Board(
        # One PE that holds the digits demo network (64-300-100-10: 4,275 entries, 467
        # pointers, 410 bias rows), its sparse matrix in two of the UP5K's four SPRAM blocks:
        # two PEs with the memories the network needs take more logic cells than the device
        # has (docs/boards.md).
        name="icebreaker", platform=ICEBreakerPlatform, default_pes=1,
        memories=dict(fifo_depth=8, act_depth=300, spmat_depth=2048, spmat_word_bits=32,
                      ptr_width=13, ptr_depth=512, bias_depth=512, max_layers=4),
        # 24 MHz from the 12 MHz oscillator through the SB_PLL40. Placement seed 2, the one of
        # seeds 1-8 that met it with an earlier RTL (`eie build --seeds`: 23.28-24.05 MHz,
        # docs/boards.md); it routes at 28.35 MHz now.
        freq=24e6, synth_opts="-dsp", nextpnr_opts="--seed 2"),
    "ulx3s-85f": Board(
        # 32 PEs, each PE's block RAMs and multiplier anchored to one column group of the die
        # (boards/floorplan.py): they route at the 66.67 MHz PLL clock (docs/boards.md).
        # ptr_depth 512: the digits demo network (64-300-100-10) needs 467 pointers per PE;
        # each pointer bank is still one DP16KD.
        name="ulx3s-85f", platform=ULX3S_85F_Platform, default_pes=32,
        memories=dict(fifo_depth=8, act_depth=32, spmat_depth=512, ptr_depth=512,
                      bias_depth=64, max_layers=4),
        # 66.67 MHz from the 25 MHz oscillator through the PLL; `eie build --freq` asks for
        # another clock. router2 with placement seed 3 (docs/boards.md: without the anchors
        # router2 did not converge at 32 PEs, and at 16 PEs the seed moved the result by up
        # to 13 MHz).
        freq=66.67e6, nextpnr_opts="--router router2 --seed 3", floorplan=anchor_script),
}


def get_board(name):
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; choose from {', '.join(BOARDS)}") from None
