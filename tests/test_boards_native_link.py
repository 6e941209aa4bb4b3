"""The board link on the native engine (boards/native_link.py): the Verilated link with its
UART pins driven in C++, run by the same host driver as a board, checked against the golden
and cycle models and against the Amaranth simulation of the same link."""

import re
import shutil

import numpy as np
import pytest
from helpers import RTL_LAYER, random_input
from test_boards_host import DamagingTransport, check_run

from boards.frame import Command, FrameFormat
from boards.host import EIEDevice
from boards.transport import SimulationTransport
from eie_hw.image import save_image
from eie_hw.image.network import encode_network
from sim.apps.cli import main
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer

pytestmark = pytest.mark.skipif(shutil.which("g++") is None or shutil.which("make") is None,
                                reason="the native engine needs g++ and make")

CONFIG = small_config(n_pes=4, fifo_depth=2, act_depth=16)
_transports = {}


def _native(divisor=4):
    from boards.native_link import NativeLinkTransport, build_link

    return NativeLinkTransport(build_link(CONFIG, divisor=divisor), divisor=divisor)


def test_networks_run_through_the_uart_pins(seed, rng):
    """Two images one after the other, the second a batch loaded once, on one device."""
    device = EIEDevice(_native(), CONFIG)
    device.check_config()
    two = encode_network(CONFIG, [random_layer(rng, CONFIG, 20, 24, 0.3, **RTL_LAYER),
                                  random_layer(rng, CONFIG, 9, 20, 0.3, **RTL_LAYER)],
                         row_orders="balanced")
    one = encode_network(CONFIG, [random_layer(rng, CONFIG, 30, 13, 0.3, relu=False,
                                               **RTL_LAYER)])
    check_run(device, two, random_input(rng, CONFIG, 24), seed)
    xs = np.stack([random_input(rng, CONFIG, 13) for _ in range(4)])
    result = device.run_batch(one, xs)
    golden = GoldenModel(one)
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(result.outputs[i], golden.run(x), err_msg=f"seed={seed}")
        assert result.cycles[i] == job_timing(one, x, golden).total, f"seed={seed}"
    assert not result.errors.any()


def test_a_damaged_request_is_refused_and_retried(seed, rng):
    transport = DamagingTransport(_native(), n=2)
    device = EIEDevice(transport, CONFIG)
    image = encode_network(CONFIG, [random_layer(rng, CONFIG, 6, 7, 0.3, **RTL_LAYER)])
    check_run(device, image, random_input(rng, CONFIG, 7), seed)
    assert transport.writes > 2


@pytest.mark.parametrize("divisor", [3])
def test_the_line_matches_the_amaranth_simulation(divisor, seed, rng):
    """The same bytes — well-formed requests, a damaged one and noise — get the same response
    bytes from the native link as from the Amaranth simulation of the link at the same
    divisor (the independent bit-level model of boards/transport.py)."""
    frames = FrameFormat(CONFIG)
    stream = [frames.request(Command.INFO, 1), frames.request(Command.STATUS, 2)]
    damaged = bytearray(frames.request(Command.INFO, 3))
    damaged[2] ^= 0x40
    stream += [bytes(damaged), bytes(rng.integers(0, 256, 12, dtype=np.uint8)),
               frames.request(Command.INFO, 4)]
    answers = []
    for transport in (_native(divisor),
                      SimulationTransport(CONFIG, uart=True, divisor=divisor)):
        received = bytearray()
        for frame in stream:
            transport.write(frame)
            while chunk := transport.read(0.02):      # until 4,000 cycles pass in silence
                received += chunk
        answers.append(bytes(received))
    assert answers[0], "the native link answered nothing"
    assert answers[0] == answers[1], f"seed={seed}"


def test_a_bad_divisor_is_refused():
    from boards.native_link import build_link

    with pytest.raises(ValueError, match="divisor must be an integer of at least 2, not 1"):
        build_link(CONFIG, divisor=1)


def test_cli_run_sim_is_native(tmp_path, capsys, seed, rng):
    """``eie run --sim`` runs the Verilated link (UART on) and prints the golden model's outputs
    and the cycle model's count; ``--engine amaranth`` the Amaranth simulation."""
    image = encode_network(CONFIG, [random_layer(rng, CONFIG, 6, 8, 0.3, **RTL_LAYER)])
    x = random_input(rng, CONFIG, 8)
    save_image(image, tmp_path / "net.eie")
    np.save(tmp_path / "x.npy", x)
    for engine in ("native", "amaranth"):
        assert main(["run", "--sim", "--engine", engine, str(tmp_path / "net.eie"),
                     "--input", str(tmp_path / "x.npy")]) == 0
        out = capsys.readouterr().out
        assert re.search(rf"simulated [\d,]+ clock cycles of the link \({engine} engine, UART "
                         rf"{'on' if engine == 'native' else 'off'}\)", out)
        numbers = re.search(r"\[([-\d\s]+)\]", out).group(1).split()
        np.testing.assert_array_equal([int(v) for v in numbers], GoldenModel(image).run(x),
                                      err_msg=f"seed={seed}")
        assert f"cycles: {job_timing(image, x).total} " in out


@pytest.mark.parametrize("argv, message", [
    (["--sim", "--uart"], "--uart needs --engine amaranth"),
    (["--port", "/dev/null", "--engine", "native"], "--engine needs --sim"),
])
def test_cli_run_refuses_misplaced_options(tmp_path, capsys, rng, argv, message):
    image = encode_network(CONFIG, [random_layer(rng, CONFIG, 6, 8, 0.3, **RTL_LAYER)])
    save_image(image, tmp_path / "net.eie")
    np.save(tmp_path / "x.npy", random_input(rng, CONFIG, 8))
    assert main(["run", *argv, str(tmp_path / "net.eie"), "--input",
                 str(tmp_path / "x.npy")]) == 2
    assert message in capsys.readouterr().err


_STOPPING_LINK = """module eie_link(input clk, input rst, input rx, output tx, output busy,
                output done, output error, output bad_frame);
  assign tx = 1'b1, busy = 1'b0, done = 1'b0, error = 1'b0, bad_frame = 1'b0;
`ifdef AT_START
  initial $fatal(1, "stopping at start");
`else
  reg [7:0] n = 0;
  always @(posedge clk) begin
    if (!rst) n <= n + 1;
    if (n == 8'd20) $fatal(1, "stopping after 20 cycles");
  end
`endif
endmodule
"""


@pytest.mark.parametrize("when", ["at start", "running"])
def test_a_design_that_stops_raises(tmp_path, capfd, when):
    """A $fatal of the Verilated design (as of a cell model refusing its parameters) raises
    ``RuntimeError`` instead of ending the process, its message on standard output."""
    from boards.native_link import NativeLinkTransport, link_library
    from sim.verify.native.build import cache_dir

    directory = cache_dir() / f"stopping-link-{when.replace(' ', '-')}"
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "eie_link.v"
    source.write_text(_STOPPING_LINK)
    define = ["-DAT_START"] if when == "at start" else []
    library = link_library(directory, [source], fingerprint=_STOPPING_LINK + when,
                           verilator_args=define, optimize=False)
    if when == "at start":
        with pytest.raises(RuntimeError, match="stopped as it started"):
            NativeLinkTransport(library, divisor=4)
    else:
        transport = NativeLinkTransport(library, divisor=4)
        with pytest.raises(RuntimeError, match=r"stopped after \d+ cycles"):
            transport.read(1.0)
        transport.close()
    assert f"stopping {'at start' if when == 'at start' else 'after 20 cycles'}" in \
        capfd.readouterr().out
