"""``eie bench --baselines``: CPU timing helpers and the end-to-end table (invariants, not
figures: the CPU's times depend on the machine)."""

import json
import math
import time

from boards.results import load_result
from sim.apps import baselines
from sim.apps.cli import main


def test_median_seconds_measures_one_call():
    assert 0.002 <= baselines.median_seconds(lambda: time.sleep(0.002), repeats=3,
                                             warmup=1, min_run_s=0.01) < 0.05


def test_geomean():
    assert math.isclose(baselines.geomean([2, 8]), 4.0)
    assert math.isclose(baselines.geomean([189] * 9), 189.0)


def test_rapl_readable(tmp_path, monkeypatch):
    monkeypatch.setattr(baselines, "RAPL", tmp_path / "missing")
    assert not baselines.rapl_readable()
    (tmp_path / "intel-rapl:0").mkdir()
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("12345\n")
    monkeypatch.setattr(baselines, "RAPL", tmp_path)
    assert baselines.rapl_readable()


def test_bench_baselines(tmp_path, capsys):
    out, png = tmp_path / "b.json", tmp_path / "s.png"
    assert main(["bench", "--layers", "NT-LSTM", "--pes", "16", "--baselines",
                 "--baselines-plot", str(png), "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    row, = report["layers"]
    assert row["cpu"]["dense_s"] > 0 and row["cpu"]["sparse_s"] > 0
    assert math.isclose(row["cpu_dense_us"], row["cpu"]["dense_s"] * 1e6)
    assert math.isclose(row["cpu_sparse_us"], row["cpu"]["sparse_s"] * 1e6)
    assert math.isclose(row["eie_us_800mhz"], row["cycles"] / 800)
    build = load_result("ulx3s-85f")
    assert row["board"]["n_pes"] == build["n_pes"]
    assert math.isclose(row["eie_us_board"], row["eie_board_cycles"] / build["constraint_mhz"])
    assert math.isclose(report["baselines"]["geomean_dense"],
                        row["cpu"]["dense_s"] * 1e6 / row["eie_us_800mhz"])
    assert png.stat().st_size > 0
    assert "geomean speedup at 800 MHz" in capsys.readouterr().out


def test_baselines_plot_needs_baselines(tmp_path, capsys):
    assert main(["bench", "--baselines-plot", str(tmp_path / "p.png")]) == 2
    assert "--baselines-plot needs --baselines" in capsys.readouterr().err
