"""Trained quantization: k-means, shared weights through fine-tuning, fixed-point conversion."""

import numpy as np
import pytest
import torch
from torch import nn

from compress.kmeans import kmeans_1d, shared_codebook
from compress.prune import prune_model
from compress.quantize import SharedLinear, quantize_model, shared_layers
from compress.train import train
from eie_hw.config import EIEConfig
from eie_hw.image import QuantizedLayer


@pytest.mark.parametrize("init", ["linear", "density", "random"])
def test_kmeans_is_a_lloyd_fixed_point(rng, init):
    values = np.concatenate([rng.normal(-0.3, 0.05, 300), rng.normal(0.4, 0.1, 500)])
    centroids, labels = kmeans_1d(values, 7, init=init, seed=3)
    assert np.all(np.diff(centroids) >= 0)
    # Oracle: each value is nearest to its own centroid; each used centroid is its members' mean.
    distance = np.abs(values[:, None] - centroids[None, :])
    assert np.allclose(distance[np.arange(len(values)), labels], distance.min(axis=1))
    for k in np.unique(labels):
        assert centroids[k] == pytest.approx(values[labels == k].mean())


def test_initialisations(rng):
    values = rng.normal(size=1000)
    lin, _ = kmeans_1d(values, 5, init="linear", max_iter=0)
    assert np.allclose(lin, np.linspace(values.min(), values.max(), 5))
    dens, _ = kmeans_1d(values, 4, init="density", max_iter=0)
    assert np.allclose(dens, np.quantile(values, [0.125, 0.375, 0.625, 0.875]))
    forgy, _ = kmeans_1d(values, 6, init="random", max_iter=0, seed=1)
    assert len(set(forgy)) == 6 and set(forgy) <= set(values)
    with pytest.raises(ValueError, match=r"^init must be one of linear, density, random"):
        kmeans_1d(values, 3, init="kmeans++")


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_shared_codebook_reserves_zero(rng, bits):
    w = rng.normal(size=(20, 30)) * (rng.random((20, 30)) < 0.3)
    codebook, index = shared_codebook(w, bits)
    assert codebook.shape == (2 ** bits,) and codebook[0] == 0
    assert np.array_equal(index == 0, w == 0)
    assert index.max() < 2 ** bits
    # Every weight's shared value is its nearest centroid among the used ones.
    used = np.unique(index[index > 0])
    nz = w != 0
    nearest = np.abs(w[nz][:, None] - codebook[used][None, :]).min(axis=1)
    assert np.allclose(np.abs(w[nz] - codebook[index[nz]]), nearest)


@pytest.mark.parametrize("bits", [0, 9, -1])
def test_bits_out_of_range(bits):
    with pytest.raises(ValueError, match=rf"^bits of layer '0' must be between 1 and 8, not "
                                         rf"{bits}$"):
        quantize_model(nn.Sequential(nn.Linear(4, 3)), bits)
    with pytest.raises(TypeError, match=r"^bits must be an integer, not 2.5$"):
        shared_codebook(np.ones(3), 2.5)


def _data(rng, n=96, n_in=10, classes=4):
    x = torch.tensor(rng.normal(size=(n, n_in)), dtype=torch.float32)
    return x, torch.tensor(rng.integers(0, classes, n))


def test_centroids_stay_shared_after_fine_tuning(rng, seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4))
    prune_model(model, 0.6)
    zeros = [(m.weight == 0).clone() for m in model if isinstance(m, nn.Linear)]
    quantize_model(model, 3)
    before = [m.centroids.detach().clone() for _, m in shared_layers(model)]
    x, y = _data(rng)
    train(model, x, y, epochs=5, lr=1e-2, seed=seed, progress=False)
    for (_, m), z, c0 in zip(shared_layers(model), zeros, before, strict=True):
        w = m.weight.detach()
        assert not torch.equal(m.centroids.detach(), c0), "fine-tuning did not move centroids"
        assert torch.equal(m.index == 0, z) and bool((w[z] == 0).all())
        assert len(torch.unique(w[w != 0])) <= 7
        assert torch.equal(w, m.codebook().detach()[m.index])


def test_centroid_gradient_is_the_sum_of_shared_gradients(rng, seed):
    torch.manual_seed(seed)
    index = torch.tensor(rng.integers(0, 8, (6, 5)))
    codebook = torch.tensor(np.concatenate([[0.0], rng.normal(size=7)]), dtype=torch.float32)
    shared = SharedLinear(index, codebook, torch.zeros(6))
    dense = nn.Linear(5, 6)
    with torch.no_grad():
        dense.weight.copy_(shared.weight)
        dense.bias.zero_()
    x = torch.tensor(rng.normal(size=(9, 5)), dtype=torch.float32)
    shared(x).square().sum().backward()
    dense(x).square().sum().backward()
    oracle = [float(dense.weight.grad[index == k].sum()) for k in range(1, 8)]
    assert np.allclose(shared.centroids.grad.numpy(), oracle, atol=1e-5)


def test_fixed_point_conversion(rng):
    config = EIEConfig(n_pes=4)
    codebook = np.concatenate([[0.0], rng.normal(scale=0.6, size=15)])
    index = rng.integers(0, 16, (5, 7))
    bias = rng.normal(size=5)
    q = QuantizedLayer.from_codebook(config, index, codebook, bias, relu=True)
    q.validate(config)
    w_frac = q.w_frac
    used = codebook[np.unique(index)]
    # Oracle: w_frac fits, w_frac + 1 does not (or is the top).
    lim = 2 ** (config.weight_width - 1)
    assert np.all(np.abs(np.round(used * 2 ** w_frac)) <= lim)
    if w_frac < config.weight_width - 1:
        scaled = np.round(used * 2 ** (w_frac + 1))
        assert scaled.max() > lim - 1 or scaled.min() < -lim
    assert np.allclose(q.codebook / 2 ** w_frac, codebook, atol=2.0 ** -(w_frac + 1))
    assert np.allclose(q.bias / 2 ** config.act_frac_bits, bias,
                       atol=2.0 ** -(config.act_frac_bits + 1))
    with pytest.raises(ValueError, match=r"^L: a 32-entry codebook does not fit"):
        QuantizedLayer.from_codebook(config, index, np.zeros(32), None, True, name="L")
    bad = codebook.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r"^L: codebook contains NaN"):
        QuantizedLayer.from_codebook(config, index, bad, None, True, name="L")
