"""The checked-in FPGA results are where their readers look for them."""

from boards.boards import BOARDS
from boards.results import load_result, result_path
from sim.apps.demo import _ecp5_fmax


def test_every_board_has_a_result():
    for board in BOARDS:
        result = load_result(board)
        assert result is not None, f"no {result_path(board)}"
        assert result["board"] == board and result["n_pes"] >= 1
        assert all(clock["achieved"] > 0 for clock in result["fmax"].values())


def test_the_demo_reads_the_ulx3s_result():
    result = load_result("ulx3s-85f")
    fmax, kind = _ecp5_fmax()
    assert fmax == result["fmax_mhz"]
    assert kind.startswith(f"{result['n_pes']}-PE build")
