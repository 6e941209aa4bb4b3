"""Board tops: build(..., do_build=False) smoke tests, the build CLI, and (opt-in, slow) a real
iCE40 build with its report."""

import json
import os
from pathlib import Path

import pytest
from helpers import demo_sized_layers

from boards.boards import BOARDS, get_board
from boards.build import missing_tools, parse_report, prepare, run_build
from boards.pll import ecp5_pll_params, ice40_pll_params, pll_clock
from eie_hw.image import encode_network
from sim.apps.cli import main


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_smoke(name, tmp_path):
    """The board top elaborates on the board's platform (pins, PLL, LEDs) and the project
    files are written; 2 PEs keep it fast (the PE count does not change the top)."""
    board = get_board(name)
    platform, top, overrides = prepare(board, board.config(2))
    plan = platform.build(top, name="top", do_build=False, **overrides)
    files = plan.files
    assert "top.il" in files and "build_top.sh" in files
    script = files["build_top.sh"]
    script = script if isinstance(script, str) else script.decode()
    assert "--report top.report.json" in script
    if board.nextpnr_opts:
        assert board.nextpnr_opts in script
    if board.synth_opts:
        assert board.synth_opts in files["top.ys"]
    if board.freq and board.family == "ecp5":
        assert "EHXPLLL" in files["top.il"]
        # The PLL's output, which its dividers may make only close to the board's clock.
        achieved = ecp5_pll_params(board.platform().default_clk_frequency, board.freq)[3]
        assert f'FREQUENCY_PIN_CLKOP "{achieved / 1e6:g}"' in files["top.il"]
    elif board.freq:
        assert "SB_PLL40_PAD" in files["top.il"]


def test_board_configs_are_valid_and_named():
    for board in BOARDS.values():
        cfg = board.config()
        assert cfg.n_pes == board.default_pes
        assert board.config(4).n_pes == 4
    with pytest.raises(ValueError, match=r"^unknown board 'de0'; choose from icebreaker, "):
        get_board("de0")


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_config_holds_the_demo_network(name, rng, seed):
    """A network of the digits demo's sizes at its pruned densities encodes for the board's
    default configuration (encode_network raises ImageError where it would not fit)."""
    config = get_board(name).config()
    layers = demo_sized_layers(rng, config)
    image = encode_network(config, layers)
    assert [layer.n_in for layer in image.layers] == [64, 300, 100], f"seed={seed}"


@pytest.mark.parametrize("f_out", [100e6, 75e6, 62.5e6, 40e6])
def test_ecp5_pll_params(f_out):
    clki, clkfb, clkop, f = ecp5_pll_params(25e6, f_out)
    assert f == 25e6 * clkfb / clki and abs(f - f_out) < 0.01 * f_out
    assert 400e6 <= f * clkop <= 800e6


@pytest.mark.parametrize("f_out, expected", [
    # IceStorm's icepll for a 12 MHz input: (DIVR, DIVF, DIVQ, FILTER_RANGE).
    (24e6, (0, 63, 5, 1)), (30e6, (0, 79, 5, 1)), (42e6, (0, 55, 4, 1))])
def test_ice40_pll_params(f_out, expected):
    *dividers, f = ice40_pll_params(12e6, f_out)
    assert tuple(dividers) == expected and f == f_out
    divr, divf, divq, _ = dividers
    assert f == 12e6 * (divf + 1) / ((divr + 1) * 2 ** divq)


def test_pll_limits():
    with pytest.raises(ValueError, match=r"^no iCE40 PLL setting for 1 MHz from 3 MHz$"):
        ice40_pll_params(3e6, 1e6)          # a 3 MHz input is below the 10 MHz PFD minimum
    # The fastest output is at most 275 MHz: VCO 12 MHz × 45 = 540 MHz, divided by 2.
    assert pll_clock("ice40", 12e6, 300e6) == 270e6
    with pytest.raises(ValueError, match=r"^no PLL support for the gowin family$"):
        pll_clock("gowin", 27e6, 50e6)


def test_build_cli_dry_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--board", "icebreaker", "--pes", "1", "--dry-run",
                 "--json", "r.json"]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["n_pes"] == 1 and report["board"] == "icebreaker"
    assert report["memory_bits_per_pe"]["spmat"] == (report["config"]["spmat_depth"] *
                                                      report["config"]["spmat_word_bits"])
    assert (tmp_path / report["build_dir"] / "build_top.sh").exists()


def test_build_cli_dry_run_at_a_broadcast_width(tmp_path, monkeypatch):
    """``--broadcast-width`` builds the board's memories with that width; the report says so
    and its command makes the same build again."""
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--board", "ulx3s-85f", "--pes", "2", "--broadcast-width", "2",
                 "--dry-run", "--json", "r.json"]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["config"] == get_board("ulx3s-85f").config(2, 2).to_dict()
    assert report["config"]["broadcast_width"] == 2
    assert "--broadcast-width 2" in report["command"]


def test_parse_report(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({
        "utilization": {"ICESTORM_LC": {"used": 10, "available": 5280}},
        "fmax": {"clk": {"achieved": 51.2, "constraint": 12.0}}, "critical_paths": []}))
    assert parse_report(tmp_path / "r.json") == {
        "utilization": {"ICESTORM_LC": {"used": 10, "available": 5280}},
        "fmax": {"clk": {"achieved": 51.2, "constraint": 12.0}}}


@pytest.mark.skipif(not os.environ.get("EIE_FPGA_BUILD"),
                    reason="real FPGA build is slow (minutes): set EIE_FPGA_BUILD=1")
def test_icebreaker_build(tmp_path, monkeypatch):
    board = get_board("icebreaker")
    missing = missing_tools(board)
    if missing:
        pytest.skip(f"FPGA tools not installed: {', '.join(missing)}")
    monkeypatch.chdir(tmp_path)                    # YoWASP needs relative paths
    report = run_build(board, board.config(1), "build")
    util = report["utilization"]
    assert 0 < util["ICESTORM_LC"]["used"] <= util["ICESTORM_LC"]["available"]
    assert util["ICESTORM_DSP"]["used"] >= 1
    (clock,) = report["fmax"].values()
    assert clock["achieved"] >= clock["constraint"], report["fmax"]


def _failing_build_cli(tmp_path, monkeypatch, failing_build):
    """Run ``eie build`` (4-PE ULX3S) with ``failing_build`` as the tools' run; the status and
    the ``--json`` report. The build directory ``tmp_path / "b"`` exists beforehand."""
    import boards.build

    build_dir = tmp_path / "b"
    build_dir.mkdir(exist_ok=True)
    monkeypatch.setattr(boards.build, "run_project", failing_build)
    monkeypatch.setattr(boards.build, "missing_tools", lambda board: [])
    out = tmp_path / "r.json"
    status = main(["build", "--board", "ulx3s-85f", "--pes", "4", "--freq", "100",
                   "--build-dir", str(build_dir), "--json", str(out)])
    return status, json.loads(out.read_text())


def test_build_cli_reports_a_missed_clock(tmp_path, monkeypatch, capsys):
    """nextpnr-ecp5 fails a build that misses its clock after writing its report: the JSON
    keeps the error and gains the achieved Fmax and utilisation of that report."""
    fmax = {"clk": {"achieved": 53.3, "constraint": 100.0}}

    def failing_build(root, script):
        (Path(root) / "top.report.json").write_text(json.dumps(
            {"fmax": fmax, "utilization": {"DP16KD": {"used": 17, "available": 208}}}))
        raise RuntimeError("build failed: Max frequency 53.33 MHz (FAIL at 100.00 MHz)")

    status, report = _failing_build_cli(tmp_path, monkeypatch, failing_build)
    assert status == 1
    assert "FAIL at 100.00 MHz" in report["error"]
    assert report["fmax"] == fmax and report["utilization"]["DP16KD"]["used"] == 17
    assert "53.3 MHz" in capsys.readouterr().err


def test_build_cli_ignores_an_earlier_builds_report(tmp_path, monkeypatch):
    """A build that fails before nextpnr reports must not show the Fmax of an earlier build
    left in the same directory."""
    build_dir = tmp_path / "b"
    build_dir.mkdir()
    (build_dir / "top.report.json").write_text(json.dumps(
        {"fmax": {"clk": {"achieved": 99.0, "constraint": 20.0}}, "utilization": {}}))

    def failing_build(root, script):
        raise RuntimeError("build failed: design does not fit")

    status, report = _failing_build_cli(tmp_path, monkeypatch, failing_build)
    assert status == 1
    assert "does not fit" in report["error"] and "fmax" not in report
