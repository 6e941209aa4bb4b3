"""`eie bench` end to end on one small Table III layer (invariants, not figures)."""

import json

import numpy as np
import pytest

from sim.apps.cli import main
from sim.verify.paper import TABLE_III
from sim.verify.random_layers import synthetic_layer


def test_bench_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--layers", "NT-LSTM", "--pes", "16", "--json", str(out),
                 "--balance", "--row-sigma", "0.5", "--load-plot", str(tmp_path / "l.png")]) == 0
    row, = json.loads(out.read_text())["layers"]
    assert row["name"] == "NT-LSTM" and row["n_pes"] == 16
    assert row["entries"] >= row["nonzero_weights"] > 0
    assert row["entries"] == row["nonzero_weights"] + row["padding"]
    assert row["cycles"] > row["bound"] > 0
    assert abs(row["efficiency"] - row["bound"] / row["cycles"]) < 1e-12
    assert sum(row["pe_entries"]) == row["entries"]
    assert row["balanced"]["max_pe_entries"] <= row["max_pe_entries"]
    assert (tmp_path / "l.png").stat().st_size > 0
    assert "mean cycles/bound" in capsys.readouterr().out


def test_synthetic_layer_densities(seed):
    layer = TABLE_III[8]
    quantized, acts = synthetic_layer(layer, seed)
    assert abs(np.count_nonzero(quantized.index) / quantized.index.size
               - layer.weight_density) < 0.01
    assert quantized.index.shape == (layer.n_out, layer.n_in)


def test_unknown_layer_is_a_clear_error(capsys):
    assert main(["bench", "--layers", "Alex-9"]) == 2
    assert "unknown layer(s) Alex-9" in capsys.readouterr().err


def test_bench_broadcast_sweep(tmp_path, seed):
    """``--sweep broadcast`` times every width on a ``--synthetic`` layer, each as the cycle
    model says for that configuration; the plot is written."""
    from eie_hw.image.layout import encode_layer
    from sim.apps.bench import bench_config, synthetic_spec
    from sim.models.cycle_model import layer_timing

    out, png = tmp_path / "b.json", tmp_path / "s.png"
    assert main(["bench", "--synthetic", "48x256:0.2:0.6", "--pes", "8", "--fifo", "8",
                 "--seed", str(seed), "--sweep", "broadcast", "--plot", str(png),
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    layer = synthetic_spec("48x256:0.2:0.6")
    quantized, acts = synthetic_layer(layer, seed)
    encoded = encode_layer(bench_config(8, 8, layer), quantized)
    assert [r["broadcast_width"] for r in report["sweep"]] == [1, 2, 4]
    for row in report["sweep"]:
        timing = layer_timing(bench_config(8, 8, layer, row["broadcast_width"]),
                              encoded.column_counts, acts, encoded.rows_per_pe)
        assert row["cycles"] == timing.total, f"seed={seed} k={row['broadcast_width']}"
    assert report["layers"][0]["cycles"] == report["sweep"][0]["cycles"]
    assert png.stat().st_size > 0


def test_bench_refuses_a_width_the_configuration_cannot_have(capsys):
    assert main(["bench", "--layers", "NT-LSTM", "--fifo", "6", "--broadcast-width", "4"]) == 2
    assert "fifo_depth 6 must be a multiple of broadcast_width 4" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:           # argparse's refusal of the argument
        main(["bench", "--synthetic", "48x256:0.2"])
    assert exit_.value.code == 2 and "must be OUTxIN:W:A" in capsys.readouterr().err
