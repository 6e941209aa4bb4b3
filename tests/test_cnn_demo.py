"""``eie cnn-demo`` end to end, briefly: the CNN (quick), its fully connected part in the
Amaranth simulator on a few test images, checked against the golden and cycle models."""

import json

from sim.apps.cli import main


def test_quick_cnn_demo(tmp_path):
    out = tmp_path / "cnn"
    assert main(["cnn-demo", "--quick", "--limit", "3", "--backend", "amaranth", "--pes", "2",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "cnn-demo.json").read_text())
    assert summary["test_images"] == 3 and summary["rtl_errors"] == 0
    assert summary["rtl_golden_mismatches"] == 0 and summary["rtl_cycle_model_mismatches"] == 0
    assert summary["rtl_accuracy"] == summary["golden_accuracy"]

