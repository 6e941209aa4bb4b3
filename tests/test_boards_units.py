"""``eie build --units``: one PE's cells per unit, from the board's synthesis without
flattening."""

import pytest
from amaranth.lib import data

from boards.boards import get_board
from boards.build import missing_tools
from boards.units import group_cells, synthesize_units, unit_table
from eie_hw.protocol import control_layout, write_layout
from sim.apps.cli import main


def test_the_table_sums_each_unit_with_its_submodules():
    """A hand-made hierarchy: each row is its module's cells plus its submodules'; the other
    PEs are left out, the link's units beside the array are listed, the total is everything."""
    modules = {
        "top": {"SB_LUT4": 1},
        "top.core": {},
        "top.core.eie": {"SB_DFF": 2},
        "top.core.eie.pe0": {"SB_LUT4": 3},
        "top.core.eie.pe0.arith": {"SB_LUT4": 10, "SB_DFFE": 4, "SB_MAC16": 1},
        "top.core.eie.pe0.arith.mul": {"SB_DFFSR": 6},
        "top.core.eie.pe0.act": {"SB_RAM40_4K": 3, "SB_CARRY": 5},
        "top.core.eie.pe1": {"SB_LUT4": 3},
        "top.core.eie.pe1.arith": {"SB_LUT4": 10},
        "top.core.eie.ccu": {"SB_LUT4": 7},
        "top.core.engine": {"SB_LUT4": 20, "SB_RAM40_4K": 1},
        "top.uart_rx": {"SB_DFF": 9},
    }
    rows = dict(unit_table(modules, "ice40"))
    assert list(rows) == ["core.eie.pe0.act", "core.eie.pe0.arith", "core.eie.pe0 (all)",
                          "core.eie.ccu", "core.eie (own)", "core.engine", "uart_rx",
                          "link (all)"]
    assert rows["core.eie.pe0.arith"] == {"LUT4": 10, "FF": 10, "CARRY": 0, "EBR": 0,
                                          "SPRAM": 0, "DSP": 1}
    assert rows["core.eie.pe0 (all)"]["LUT4"] == 13 and rows["core.eie.pe0 (all)"]["EBR"] == 3
    assert rows["link (all)"]["LUT4"] == 1 + 3 + 10 + 3 + 10 + 7 + 20
    assert rows["link (all)"]["FF"] == 2 + 4 + 6 + 9
    assert group_cells({"TRELLIS_FF": 3, "LUT4": 2, "DP16KD": 1}, "ecp5")["FF"] == 3


@pytest.mark.slow
@pytest.mark.skipif(bool(missing_tools(get_board("icebreaker"))), reason="no YoWASP Yosys")
def test_a_pe_copy_register_has_one_flip_flop_per_bit(tmp_path):
    """The iCE40 link at 1 PE, synthesized without flattening: the PE's copies of the CCU's
    control and of the host write word have exactly as many flip-flops as their layouts have
    bits (synthesis cannot see through the unit's ports to remove any)."""
    board = get_board("icebreaker")
    config = board.config(1)
    modules = synthesize_units(board, config, tmp_path, baud=115200)
    rows = dict(unit_table(modules, "ice40"))
    assert rows["core.eie.pe0.control"]["FF"] == data.Layout.cast(control_layout(config)).size
    assert rows["core.eie.pe0.wr_copy"]["FF"] == data.Layout.cast(write_layout(config)).size
    assert rows["core.eie.pe0 (all)"]["DSP"] == 1


def test_units_excludes_the_other_modes(capsys):
    with pytest.raises(SystemExit):
        main(["build", "--board", "icebreaker", "--units", "--check"])
    assert "not allowed with argument" in capsys.readouterr().err
