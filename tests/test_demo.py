"""``eie demo`` end to end, briefly: training (quick), compression, the RTL in the Amaranth
simulator on a few test images, and the board figures from the checked-in ULX3S result."""

import json

from boards.results import MET, load_result
from sim.apps.cli import main


def test_quick_demo(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--limit", "3", "--backend", "amaranth", "--pes", "2",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "demo.json").read_text())
    assert summary["rtl_golden_mismatches"] == 0 and summary["rtl_cycle_model_mismatches"] == 0
    assert summary["test_images"] == 3
    board = summary["ecp5"]
    result = load_result("ulx3s-85f")
    assert board["n_pes"] == result["n_pes"] and result["status"] == MET
    assert board["us"] == board["cycles"] / result["constraint_mhz"]
