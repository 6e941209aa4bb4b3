"""`eie bench` end to end on one small Table III layer (invariants, not figures)."""

import json

import numpy as np

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
