"""The sparse-matrix memory in iCE40 SPRAM (eie_hw/rtl/spram.py): when it is chosen and what
it refuses. Its function is checked on the iCEBreaker's gate-level netlist
(tests/test_gate_level.py), where Yosys' SB_SPRAM256KA model runs it."""

import pytest
from amaranth.back import rtlil

from boards.boards import get_board
from eie_hw.config import EIEConfig
from eie_hw.rtl.spram import SinglePortRAM, uses_spram
from eie_hw.rtl.stream_unit import SparseStreamUnit


class _Platform:
    def __init__(self, device):
        self.device = device


@pytest.mark.parametrize("n_pes, word_bits, depth, device, expected", [
    (1, 32, 2048, "iCE40UP5K", True),       # the iCEBreaker: two of the four blocks
    (2, 32, 2048, "iCE40UP5K", True),       # all four
    (4, 32, 2048, "iCE40UP5K", False),      # eight blocks' width
    (1, 64, 16384, "iCE40UP5K", True),      # the deepest a block is
    (1, 64, 16385, "iCE40UP5K", False),
    (1, 8, 512, "iCE40UP5K", False),        # not a multiple of the blocks' 16 bits
    (1, 32, 2048, "iCE40HX8K", False),      # an iCE40 without SPRAM
    (1, 32, 2048, "LFE5U-85F", False),
])
def test_uses_spram(n_pes, word_bits, depth, device, expected):
    config = EIEConfig(n_pes=n_pes, spmat_word_bits=word_bits, spmat_depth=depth,
                       ptr_width=20)
    assert uses_spram(config, _Platform(device)) is expected
    assert uses_spram(config, None) is False


def test_stream_unit_memory_follows_the_platform():
    config = get_board("icebreaker").config()
    on_ice40 = rtlil.convert(SparseStreamUnit(config), platform=_Platform("iCE40UP5K"))
    in_simulation = rtlil.convert(SparseStreamUnit(config))
    assert on_ice40.count("SB_SPRAM256KA") == config.spmat_word_bits // 16
    assert "SB_SPRAM256KA" not in in_simulation and "$mem" in in_simulation


@pytest.mark.parametrize("width, depth", [(24, 512), (32, 0), (16, 16385)])
def test_single_port_ram_refuses_what_no_block_row_holds(width, depth):
    with pytest.raises(ValueError, match=rf"^SinglePortRAM: {depth} × {width} bits is not a row "
                                         rf"of 16384 × 16-bit SPRAM blocks$"):
        SinglePortRAM(width, depth)
