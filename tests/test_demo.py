"""``eie demo`` end to end, briefly: training (quick), compression, the RTL in the Amaranth
simulator on a few test images, and the board figures from every board's checked-in result."""

import json

from boards.boards import BOARDS
from boards.results import MET, load_result
from sim.apps.cli import main


def test_quick_demo(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--limit", "3", "--backend", "amaranth", "--pes", "2",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "demo.json").read_text())
    assert summary["rtl_golden_mismatches"] == 0 and summary["rtl_cycle_model_mismatches"] == 0
    assert summary["test_images"] == 3
    for name, board in summary["boards"].items():
        result = load_result(name)
        assert board["n_pes"] == result["n_pes"] and result["status"] == MET
        assert board["us"] == board["cycles"] / result["constraint_mhz"]
    assert sorted(summary["boards"]) == sorted(BOARDS)
