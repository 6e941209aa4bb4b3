"""Placement anchors of the ECP5 build: every PE's block RAMs and multiplier at sites of
their own, and the anchor commands naming the cells that synthesis makes of the RTL."""

import json
import re

import pytest

from boards.boards import get_board
from boards.build import missing_tools, write_project
from boards.floorplan import (
    EBR_ROWS,
    GROUP_X,
    MULT_ROWS,
    PE_BLOCK_RAMS,
    PE_PATH,
    anchor_script,
    pe_groups,
    pe_sites,
)
from boards.gate_level import run_yosys

_BEL = re.compile(r"X(\d+)/Y(\d+)/(EBR|MULT18_)(\d)$")


@pytest.mark.parametrize("n_pes", [1, 2, 4, 16, 32, 52])
def test_every_pe_has_sites_of_its_own_in_one_column_group(n_pes):
    sites = pe_sites(n_pes)
    bels = [b for rams, mult in sites for b in (*rams, mult)]
    assert len(bels) == len(set(bels)) == 5 * n_pes
    for rams, mult in sites:
        xs = [int(_BEL.match(b).group(1)) for b in rams]
        group = max(g for g in GROUP_X if g <= xs[0])
        assert xs == [group, group + 2, group + 4, group + 6]
        assert {int(_BEL.match(b).group(2)) for b in rams} < set(EBR_ROWS)
        x, y = (int(v) for v in _BEL.match(mult).groups()[:2])
        assert y in MULT_ROWS and group <= x <= group + 5
        assert abs(y - int(_BEL.match(rams[0]).group(2))) <= 24


def test_the_pes_are_shared_out_evenly_over_rows_and_groups():
    groups = pe_groups(16)
    rows = [row for row, _ in groups]
    assert all(rows.count(r) == 4 for r in range(len(EBR_ROWS)))
    assert sorted({g for _, g in groups}) == [3, 5, 7, 9]      # every other group, centred
    assert sorted({g for _, g in pe_groups(32)}) == [0, 2, 4, 5, 7, 8, 10, 12]   # spread
    assert pe_groups(52) == [(pe % 4, pe // 4) for pe in range(52)]
    with pytest.raises(ValueError, match="53 PEs need 53 block-RAM groups"):
        pe_groups(53)


@pytest.mark.slow
@pytest.mark.skipif(bool(missing_tools(get_board("ulx3s-85f"))), reason="no YoWASP Yosys")
def test_the_anchors_name_each_pes_cells_in_the_synthesized_netlist(tmp_path):
    """The ULX3S build at 2 PEs, synthesized by its own Yosys script: every anchor's
    ``select -assert-count 1`` holds, and each PE's DP16KD and MULT18X18D cells carry the
    sites :func:`pe_sites` gives them; no other cell is anchored."""
    board = get_board("ulx3s-85f")
    config = board.config(2)
    root, _, _ = write_project(board, config, tmp_path / "u2")
    assert anchor_script(2) in (root / "top.ys").read_text()
    run_yosys(root, "script top.ys", log="synth.log")
    cells = json.loads((root / "top.json").read_text())["modules"]["top"]["cells"]
    anchored = {name: c["attributes"]["BEL"] for name, c in cells.items()
                if "BEL" in c["attributes"]}
    expected = {}
    for pe, (rams, mult) in enumerate(pe_sites(2)):
        for cell, bel in zip(PE_BLOCK_RAMS, rams, strict=True):
            expected[f"{PE_PATH.format(pe)}.{cell}"] = bel
        (name,) = [n for n, c in cells.items()
                   if c["type"] == "MULT18X18D" and n.startswith(PE_PATH.format(pe) + ".")]
        expected[name] = mult
    assert anchored == expected
    assert all(cells[n]["type"] == "DP16KD" for n in expected if "arith" not in n)
