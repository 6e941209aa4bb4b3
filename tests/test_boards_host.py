"""The host driver (boards.host) through the simulation transport: same code as on a board,
checked against the golden and cycle models."""

import re

import numpy as np
import pytest
from helpers import RTL_LAYER, random_input

from boards.frame import Command
from boards.host import DeviceError, EIEDevice
from boards.transport import SimulationTransport, Transport
from eie_hw.image import save_image
from eie_hw.image.network import encode_network
from sim.apps.cli import main
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer


def check_run(device, image, x, seed):
    result = device.run(image, x)
    golden = GoldenModel(image)
    np.testing.assert_array_equal(result.outputs, golden.run(x), err_msg=f"seed={seed}")
    np.testing.assert_array_equal(result.physical, golden.layer_outputs(x)[-1])
    assert result.error == 0, f"seed={seed}"
    assert result.cycles == job_timing(image, x, golden).total, f"seed={seed}"
    return result


def test_run_networks_on_byte_link(seed, rng):
    """Two images, one after the other, on one simulated device (2 layers, then 1)."""
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    transport = SimulationTransport(cfg)
    device = EIEDevice(transport, cfg)
    device.check_config()
    two = encode_network(cfg, [random_layer(rng, cfg, 20, 24, 0.3, **RTL_LAYER),
                               random_layer(rng, cfg, 9, 20, 0.3, **RTL_LAYER)],
                         row_orders="balanced")
    one = encode_network(cfg, [random_layer(rng, cfg, 30, 13, 0.3, relu=False, **RTL_LAYER)])
    check_run(device, two, random_input(rng, cfg, 24), seed)
    check_run(device, one, random_input(rng, cfg, 13), seed)


@pytest.mark.slow
def test_run_through_the_uart(seed, rng):
    """The whole link, UART included (2 clock cycles per bit)."""
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    image = encode_network(cfg, [random_layer(rng, cfg, 5, 6, 0.3, **RTL_LAYER)])
    device = EIEDevice(SimulationTransport(cfg, uart=True, divisor=2), cfg)
    check_run(device, image, random_input(rng, cfg, 6), seed)


class DamagingTransport(Transport):
    """Flips one bit of the ``n``-th write, then passes everything through."""

    def __init__(self, inner, n):
        self.inner, self.n, self.writes = inner, n, 0

    def write(self, data):
        self.writes += 1
        if self.writes == self.n:
            data = bytearray(data)
            data[3] ^= 0x10
        self.inner.write(bytes(data))

    def read(self, timeout):
        return self.inner.read(timeout)

    def clock(self):
        return self.inner.clock()


def test_damaged_request_is_retried(seed, rng):
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    transport = DamagingTransport(SimulationTransport(cfg), n=2)
    device = EIEDevice(transport, cfg)
    image = encode_network(cfg, [random_layer(rng, cfg, 6, 7, 0.3, **RTL_LAYER)])
    check_run(device, image, random_input(rng, cfg, 7), seed)
    assert transport.writes > 2


def test_config_mismatch_and_refusals(seed, rng):
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    transport = SimulationTransport(cfg)
    other = cfg.replace(act_depth=8)
    with pytest.raises(DeviceError, match="^the device was built for another EIEConfig"):
        EIEDevice(transport, other).check_config()
    device = EIEDevice(transport, cfg)
    image = encode_network(other, [random_layer(rng, other, 5, 5, 0.3, **RTL_LAYER)])
    with pytest.raises(DeviceError, match="^the image was encoded for another EIEConfig"):
        device.run(image, random_input(rng, other, 5))
    with pytest.raises(DeviceError, match=re.escape("STATUS refused: LENGTH")):
        device.request(Command.STATUS, b"\x00")


def test_no_answer_times_out():
    class Silent(Transport):
        def __init__(self):
            self.t = 0.0

        def write(self, data):
            pass

        def read(self, timeout):
            self.t += timeout
            return b""

        def clock(self):
            return self.t

    device = EIEDevice(Silent(), small_config(n_pes=2, act_depth=16), timeout=0.5, retries=1)
    with pytest.raises(DeviceError, match="^no valid response to INFO after 2 attempts"):
        device.info()


def test_cli_run_sim_reencodes_for_a_board(tmp_path, capsys, seed, rng):
    """An image made for another configuration runs on a board's configuration (--board)."""
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    image = encode_network(cfg, [random_layer(rng, cfg, 7, 9, 0.3, **RTL_LAYER)])
    x = random_input(rng, cfg, 9)
    save_image(image, tmp_path / "net.eie")
    np.save(tmp_path / "x.npy", x)
    assert main(["run", "--sim", "--board", "icebreaker", str(tmp_path / "net.eie"),
                 "--input", str(tmp_path / "x.npy")]) == 0
    out = capsys.readouterr().out
    assert "re-encoded for icebreaker" in out
    numbers = re.search(r"\[([-\d\s]+)\]", out).group(1).split()
    np.testing.assert_array_equal([int(v) for v in numbers], GoldenModel(image).run(x),
                                  err_msg=f"seed={seed}")
