"""The whole RTL array (eie_hw.rtl.top.EIETop) against the golden and cycle models."""

import numpy as np
import pytest
from helpers import RTL_LAYER, random_input

from eie_hw.image.layer import QuantizedLayer
from eie_hw.image.network import encode_network
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.amaranth_host import simulate
from sim.verify.configs import small_config
from sim.verify.paper import FIG2_PE0_NONZEROS, fig2_example
from sim.verify.random_layers import random_layer
from sim.verify.scoreboard import Scoreboard


def check(image, inputs, seed, what=""):
    """Run ``inputs`` through the RTL; compare outputs with the golden model and the status
    (error flags, the cycle counter, the broadcast / stall counters and the action counters)
    with the cycle model through the scoreboard. Returns ``[(rtl_cycles, model_cycles)]``."""
    golden = GoldenModel(image)
    batch = simulate(image, np.array(inputs), reload=True)
    board = Scoreboard()
    cycles = []
    for i, (x, out, status) in enumerate(zip(inputs, batch.physical, batch.statuses,
                                             strict=True)):
        expected = golden.layer_outputs(x)[-1]
        timing = job_timing(image, x, golden)
        where = f"seed={seed} {what} job {i}"
        assert None not in status.counters.values(), f"{where}: {status}"
        np.testing.assert_array_equal(out, expected, err_msg=f"{where}: outputs differ")
        board.check_status(where, status, timing)
        board.raise_errors()
        cycles.append((status.cycles, timing.total))
    return cycles


def test_fig2_example(seed, rng):
    cfg = small_config(n_pes=4, fifo_depth=8, act_depth=16)
    layer, x = fig2_example(cfg, rng)
    image = encode_network(cfg, [layer])
    assert image.layers[0].entry_counts[0] == len(FIG2_PE0_NONZEROS)
    check(image, [x], seed, "fig2")


@pytest.mark.parametrize("n_pes", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("fifo_depth", [1, 2, 8])
def test_random_network(seed, rng, n_pes, fifo_depth):
    cfg = small_config(n_pes=n_pes, fifo_depth=fifo_depth, act_depth=16)
    cap = n_pes * cfg.act_depth
    sizes = [int(rng.integers(1, min(cap, 40) + 1)) for _ in range(3)]
    layers = [random_layer(rng, cfg, sizes[1], sizes[0], 0.4, **RTL_LAYER),
              random_layer(rng, cfg, sizes[2], sizes[1], 0.3, relu=False, **RTL_LAYER)]
    image = encode_network(cfg, layers)
    x = random_input(rng, cfg, sizes[0])
    check(image, [x], seed, f"N={n_pes} fifo={fifo_depth} sizes={sizes}")


@pytest.mark.parametrize("broadcast_width, n_pes, fifo_depth", [
    (2, 2, 2), (2, 4, 2), (2, 8, 4), (2, 16, 8), (4, 4, 4), (4, 8, 8), (4, 16, 4)])
def test_random_network_broadcast_width(seed, rng, broadcast_width, n_pes, fifo_depth):
    """Up to ``broadcast_width`` activations per cycle: outputs as the golden model's, cycles
    and counters as the cycle model's, at dense and sparse inputs (the lanes full and not)."""
    cfg = small_config(n_pes=n_pes, fifo_depth=fifo_depth, act_depth=16,
                       broadcast_width=broadcast_width)
    cap = n_pes * cfg.act_depth
    sizes = [int(rng.integers(1, min(cap, 48) + 1)) for _ in range(3)]
    layers = [random_layer(rng, cfg, sizes[1], sizes[0], 0.4, **RTL_LAYER),
              random_layer(rng, cfg, sizes[2], sizes[1], 0.3, relu=False, **RTL_LAYER)]
    image = encode_network(cfg, layers)
    inputs = [random_input(rng, cfg, sizes[0]), random_input(rng, cfg, sizes[0], zeros=0)]
    check(image, inputs, seed, f"k={broadcast_width} N={n_pes} fifo={fifo_depth} "
                               f"sizes={sizes}")


def test_long_zero_runs(seed, rng):
    """More than 15 zero rows before a non-zero: padding entries, rows up to 48 per PE."""
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=48)
    index = np.zeros((96, 10), dtype=np.int64)
    for col in range(10):
        rows = rng.choice(96, size=int(rng.integers(0, 4)), replace=False)
        index[rows, col] = rng.integers(1, cfg.codebook_size, size=len(rows))
    index[94, 3] = 5          # 47 zero rows before it in PE 0: 2 padding entries
    index[95, 4] = 7
    codebook = rng.integers(-3000, 3001, size=cfg.codebook_size)
    codebook[0] = 0
    layer = QuantizedLayer(index, codebook, 6, rng.integers(-50, 51, size=96), relu=False)
    image = encode_network(cfg, [layer])
    assert max(int(c.max()) for c in image.layers[0].entries) >> cfg.weight_index_bits == 15
    x = random_input(rng, cfg, 10, zeros=0.2)
    x[3] = x[4] = 100
    check(image, [x], seed, "long zero runs")


def test_all_zero_input_and_reuse(seed, rng):
    """All-zero activations (COMPUTE = S + SCAN_LATENCY + 1), then two more jobs on the same
    array."""
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    layers = [random_layer(rng, cfg, 20, 24, 0.3, **RTL_LAYER),
              random_layer(rng, cfg, 9, 20, 0.3, **RTL_LAYER)]
    image = encode_network(cfg, layers)
    inputs = [np.zeros(24, dtype=np.int64), random_input(rng, cfg, 24),
              random_input(rng, cfg, 24, zeros=0.9)]
    check(image, inputs, seed, "zero input / reuse")


def test_output_saturation(seed, rng):
    """Outputs past both activation limits clamp; accumulators far beyond the product width."""
    cfg = small_config(n_pes=2, fifo_depth=1, act_depth=16)
    n_in, n_out = 12, 8
    index = rng.integers(1, cfg.codebook_size, size=(n_out, n_in))
    codebook = rng.choice([cfg.weight_min, cfg.weight_max, -30000, 30000, 1, -1],
                          size=cfg.codebook_size)
    codebook[:3] = 0, cfg.weight_max, cfg.weight_min
    index[0], index[1] = 1, 2     # rows far past both limits
    bias = rng.choice([cfg.act_min, cfg.act_max, 0], size=n_out)
    layers = [QuantizedLayer(index, codebook, 0, bias, relu=False),
              QuantizedLayer(index[:, :n_out].copy(), codebook, 15, bias, relu=True)]
    image = encode_network(cfg, layers)
    x = rng.choice([cfg.act_min, cfg.act_max, 20000, -20000], size=n_in, p=[0.1, 0.5, 0.3, 0.1])
    acc = codebook[index] @ x + bias
    assert acc.max() > 2 ** (cfg.product_width - 1) and acc.min() < cfg.act_min, \
        f"seed={seed}: test data does not reach the limits"
    check(image, [x], seed, "saturation")


def test_four_layers(seed, rng):
    cfg = small_config(n_pes=4, fifo_depth=2, act_depth=16)
    sizes = [30, 28, 17, 33, 5]
    layers = [random_layer(rng, cfg, n_out, n_in, 0.3, relu=l < 3, **RTL_LAYER)
              for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False))]
    image = encode_network(cfg, layers)
    check(image, [random_input(rng, cfg, sizes[0])], seed, "four layers")


@pytest.mark.parametrize("n_pes", [4, 8])
def test_balanced_rows(seed, rng, n_pes):
    """A load-balanced row assignment (rows permuted, next layer's columns to match)."""
    cfg = small_config(n_pes=n_pes, fifo_depth=2, act_depth=16)
    layers = [random_layer(rng, cfg, 36, 30, 0.3, **RTL_LAYER),
              random_layer(rng, cfg, 10, 36, 0.3, **RTL_LAYER)]
    image = encode_network(cfg, layers, row_orders="balanced")
    assert any(not np.array_equal(l.row_order, np.arange(l.n_out)) for l in image.layers)
    check(image, [random_input(rng, cfg, 30)], seed, "balanced")
