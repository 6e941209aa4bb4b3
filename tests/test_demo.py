"""``eie demo`` end to end, briefly: training (quick), compression, the RTL in the Amaranth
simulator on a few test images, and the board figures from every board's checked-in result."""

import json

import numpy as np

from boards.boards import BOARDS
from boards.results import MET, load_result
from compress.demo import digits_data
from sim.apps.cli import main


def test_quick_demo(tmp_path):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--limit", "3", "--backend", "amaranth", "--pes", "2",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "demo.json").read_text())
    assert summary["rtl_golden_mismatches"] == 0 and summary["rtl_cycle_model_mismatches"] == 0
    assert summary["test_images"] == 3
    # The whole test set is written beside the image (for eie run and eie bench --image).
    x, y = np.load(out / "test-x.npy"), np.load(out / "test-y.npy")
    x_ref, y_ref = digits_data(json.loads((out / "report.json").read_text())["seed"])["test"]
    assert np.array_equal(x, x_ref) and np.array_equal(y, y_ref)
    assert len(x) == summary["all_test_images"]
    for name, board in summary["boards"].items():
        result = load_result(name)
        assert board["n_pes"] == result["n_pes"] and result["status"] == MET
        assert board["us"] == board["cycles"] / result["constraint_mhz"]
    assert sorted(summary["boards"]) == sorted(BOARDS)
