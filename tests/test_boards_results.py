"""The checked-in FPGA results are where their readers look for them."""

from boards.boards import BOARDS
from boards.results import MET, MISSED, clock_mhz, load_result, result_path
from eie_hw.config import EIEConfig
from eie_hw.image.network import encode_network
from sim.apps.demo import board_time
from sim.models.cycle_model import job_timing
from sim.verify.random_layers import random_activations, random_network


def test_every_board_has_a_result():
    for board in BOARDS:
        result = load_result(board)
        assert result is not None, f"no {result_path(board)}"
        assert result["board"] == board and result["n_pes"] >= 1
        assert all(clock["achieved"] > 0 for clock in result["fmax"].values())


def test_the_demo_times_a_network_on_the_ulx3s_build(rng, seed):
    """The demo's board time: the network re-encoded for the build's own configuration, its
    cycles by the cycle model, divided by the clock the build met (not its higher Fmax)."""
    result = load_result("ulx3s-85f")
    config = EIEConfig.from_dict(result["config"])
    small = config.replace(n_pes=4, act_depth=64)
    image = encode_network(small, random_network(rng, small, [40, 60, 10], [0.2, 0.3]))
    inputs = [random_activations(rng, small, 40, 0.5) for _ in range(3)]
    timed = board_time(image, inputs)
    on_board = encode_network(config, image.decode())
    cycles = sum(job_timing(on_board, x).total for x in inputs) / 3
    assert timed["n_pes"] == result["n_pes"] and timed["cycles"] == cycles, f"seed={seed}"
    assert result["status"] == MET
    assert timed["us"] == cycles / result["constraint_mhz"]


def test_time_on_a_board_uses_the_clock_it_met():
    """A bitstream runs at the clock it was routed for; a build that missed it has none."""
    met = {"constraint_mhz": 55.0, "fmax_mhz": 67.2, "status": MET}
    assert clock_mhz(met) == 55.0
    assert clock_mhz(dict(met, status=MISSED, fmax_mhz=50.1)) is None
    assert clock_mhz(None) is None and clock_mhz({"status": MET}) is None
