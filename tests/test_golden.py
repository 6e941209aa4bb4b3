"""The golden model against independent oracles: a literal scalar reading of the arithmetic
contract, a float reference, and permuted images."""

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_from_fixed, from_fixed
from eie_hw.image import QuantizedLayer, encode_network
from sim.models.golden import GoldenModel
from sim.verify.random_layers import random_activations, random_network


def scalar_reference(config, layers, x):
    """docs/arithmetic.md, one scalar at a time (original order, Python integers)."""
    acts = [int(v) for v in x]
    for layer in layers:
        out = []
        for i in range(layer.n_out):
            acc = int(layer.bias[i]) << layer.w_frac
            for j, a in enumerate(acts):
                w = int(layer.codebook[layer.index[i, j]])
                if a and layer.index[i, j]:
                    acc += w * a
            y = (acc + (1 << layer.w_frac >> 1)) >> layer.w_frac
            y = min(max(y, config.act_min), config.act_max)
            out.append(max(y, 0) if layer.relu else y)
        acts = out
    return np.array(acts)


@pytest.mark.parametrize("extreme", [False, True])
@pytest.mark.parametrize("n_pes", [1, 4, 16])
def test_against_scalar_reference(rng, seed, n_pes, extreme):
    config = EIEConfig(n_pes=n_pes, act_depth=64)
    for trial in range(4):
        sizes = [int(s) for s in rng.integers(1, 40, 3)]
        layers = random_network(rng, config, sizes, rng.uniform(0, 1, 2), extreme=extreme)
        image = encode_network(config, layers, [rng.permutation(sizes[1]), None])
        x = random_activations(rng, config, sizes[0], rng.uniform(0, 1), extreme=extreme)
        got = GoldenModel(image).run(x)
        assert np.array_equal(got, scalar_reference(config, layers, x)), (seed, trial)


def test_extreme_values_saturate_outputs(rng):
    """The extreme generator really drives outputs to both limits (so the test above checks
    write-back saturation)."""
    config = EIEConfig(n_pes=1)
    layers = random_network(rng, config, [64, 64], [1.0], extreme=True)
    x = random_activations(rng, config, 64, 1.0, extreme=True)
    out = GoldenModel(encode_network(config, layers)).run(x)
    assert out.min() == config.act_min and out.max() == config.act_max


def test_accumulator_cannot_overflow():
    """The worst case of docs/arithmetic.md fits the derived accumulator width."""
    for config in (EIEConfig(), EIEConfig(n_pes=1, act_depth=1), EIEConfig(n_pes=256)):
        worst = (config.max_layer_inputs + 1) * config.act_min * config.weight_min
        assert worst <= config.acc_max
        assert -worst >= config.acc_min


def test_batch_equals_single(rng):
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [30, 20, 10], [0.5, 0.5])
    golden = GoldenModel(encode_network(config, layers))
    xs = np.stack([random_activations(rng, config, 30, 0.5) for _ in range(5)])
    assert np.array_equal(golden.run(xs), np.stack([golden.run(x) for x in xs]))


def test_float_reference_within_half_lsb(rng, seed):
    """No saturation: each output is the exact product rounded once (≤ ½ LSB)."""
    config = EIEConfig(n_pes=8)
    n_in, n_out = 50, 40
    layer = random_network(rng, config, [n_in, n_out], [0.3])[0]
    layer = QuantizedLayer(layer.index, layer.codebook // 64, 12, layer.bias, relu=False)
    x = random_activations(rng, config, n_in, 0.5) // 16
    out = GoldenModel(encode_network(config, [layer])).run(x)
    w = from_fixed(layer.weights_fixed(), 12)
    exact = w @ act_from_fixed(config, x) + act_from_fixed(config, layer.bias)
    err = np.abs(act_from_fixed(config, out) - exact)
    assert err.max() <= 0.5 / 2 ** config.act_frac_bits + 1e-12, seed


def test_permuted_image_same_outputs(rng):
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [24, 30, 18, 9], [0.4, 0.5, 0.6])
    plain = GoldenModel(encode_network(config, layers))
    orders = [rng.permutation(30), rng.permutation(18), rng.permutation(9)]
    permuted = GoldenModel(encode_network(config, layers, orders))
    x = random_activations(rng, config, 24, 0.7)
    assert np.array_equal(plain.run(x), permuted.run(x))


def test_bad_inputs():
    config = EIEConfig(n_pes=2)
    layers = random_network(np.random.default_rng(0), config, [4, 3], [1.0])
    golden = GoldenModel(encode_network(config, layers))
    with pytest.raises(TypeError, match="fixed-point integers"):
        golden.run(np.zeros(4))
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        golden.run(np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=r"must lie in -32768…32767 \(16-bit activations\)"):
        golden.run(np.array([0, 0, 0, 40000]))
