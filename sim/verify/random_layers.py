"""Seeded random layers, networks and activations for tests, benchmarks and regressions."""

import numpy as np

from eie_hw.config import EIEConfig
from eie_hw.image.layer import QuantizedLayer

__all__ = ["random_index", "random_layer", "random_network", "random_activations",
           "synthetic_layer"]


def random_index(rng, config, n_out, n_in, density, *, chunk_rows=1024):
    """A ``(n_out, n_in)`` ``uint8`` index matrix with uniform random sparsity ``density``
    (built in row chunks, so a 25088 × 4096 matrix needs ~100 MB)."""
    index = np.zeros((n_out, n_in), dtype=np.uint8)
    for start in range(0, n_out, chunk_rows):
        block = index[start:start + chunk_rows]
        mask = rng.random(block.shape, dtype=np.float32) < density
        block[mask] = rng.integers(1, config.codebook_size, int(mask.sum()))
    return index


def random_layer(rng, config, n_out, n_in, density, *, relu=True, extreme=False,
                 empty_columns=0.0, weight_range=None, bias_range=None):
    """A random :class:`~eie_hw.image.layer.QuantizedLayer` with an ``(n_out, n_in)`` index
    matrix.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness (a seed replays a layer).
    config : EIEConfig
        Gives the codebook size and the weight and activation limits.
    n_out, n_in : int
        Outputs (rows) and inputs (columns) of the layer.
    density : float
        Probability of each index being non-zero.
    relu : bool
        Whether the layer ends with a ReLU.
    extreme : bool
        Codebook values and biases at the limits of their ranges (and ±1, 0), so that
        accumulators and outputs saturate. Not with ``weight_range`` or ``bias_range``.
    empty_columns : float
        Probability of each column being all zero, beyond what ``density`` gives.
    weight_range, bias_range : tuple of int, optional
        Inclusive ``(low, high)`` ranges of the non-zero codebook entries and of the biases,
        clipped to the weight and activation limits. By default a quarter of the weight range
        and a sixteenth of the activation range.

    Returns
    -------
    QuantizedLayer
        With a random ``w_frac`` in ``[0, weight_width)``.
    """
    if not 0 <= empty_columns <= 1:
        raise ValueError(f"empty_columns must be between 0 and 1, not {empty_columns!r}")
    if extreme:
        if weight_range is not None or bias_range is not None:
            raise ValueError("an extreme layer draws its values at the limits: "
                             "give no weight_range or bias_range")
        values = rng.choice([config.weight_min, config.weight_max, -1, 1],
                            config.codebook_size - 1)
        bias = rng.choice([config.act_min, config.act_max, 0], n_out)
    else:
        w_low, w_high = (weight_range if weight_range is not None
                         else (config.weight_min // 4, config.weight_max // 4))
        b_low, b_high = (bias_range if bias_range is not None
                         else (config.act_min // 16, config.act_max // 16))
        values = np.clip(rng.integers(w_low, w_high + 1, config.codebook_size - 1),
                         config.weight_min, config.weight_max)
        bias = np.clip(rng.integers(b_low, b_high + 1, n_out), config.act_min, config.act_max)
    codebook = np.concatenate([[0], values]).astype(np.int64)
    w_frac = int(rng.integers(0, config.weight_width))
    index = random_index(rng, config, n_out, n_in, density)
    if empty_columns:
        index[:, rng.random(n_in) < empty_columns] = 0
    return QuantizedLayer(index, codebook, w_frac, bias.astype(np.int64), relu)


def random_network(rng, config, sizes, densities, *, extreme=False):
    """Layers ``sizes[0] → sizes[1] → …``; ReLU on all but the last."""
    return [random_layer(rng, config, n_out, n_in, density, relu=l < len(sizes) - 2,
                         extreme=extreme)
            for l, (n_in, n_out, density) in enumerate(zip(sizes[:-1], sizes[1:], densities,
                                                           strict=True))]


def random_activations(rng, config, n, density, *, extreme=False):
    """Fixed-point activations with the given non-zero density."""
    if extreme:
        values = rng.choice([config.act_min, config.act_max, -1, 1], n)
    else:
        values = rng.integers(config.act_min // 8, config.act_max // 8 + 1, n)
    values[values == 0] = 1
    return np.where(rng.random(n) < density, values, 0).astype(np.int64)


def synthetic_layer(layer, seed, row_sigma=0.0):
    """The seeded random index matrix and activations of a benchmark layer. With
    ``row_sigma > 0`` the rows' densities are drawn from a log-normal distribution of that
    sigma (mean kept at the layer's density), as in real pruned networks."""
    rng = np.random.default_rng(seed)
    template = EIEConfig(n_pes=1, act_depth=max(layer.n_in, layer.n_out))
    quantized = random_layer(rng, template, layer.n_out, layer.n_in, layer.weight_density)
    if row_sigma > 0:
        scale = rng.lognormal(-row_sigma ** 2 / 2, row_sigma, layer.n_out)
        keep = np.clip(scale * layer.weight_density, 0, 1) / max(layer.weight_density, 1e-9)
        for start in range(0, layer.n_out, 1024):
            block = quantized.index[start:start + 1024]
            drop = rng.random(block.shape, dtype=np.float32) >= keep[start:start + 1024, None]
            block[drop] = 0
            grow = (block == 0) & (rng.random(block.shape, dtype=np.float32)
                                   < np.clip(keep[start:start + 1024, None] - 1, 0, None)
                                   * layer.weight_density)
            block[grow] = rng.integers(1, template.codebook_size, int(grow.sum()))
    acts = random_activations(rng, template, layer.n_in, layer.act_density)
    return quantized, acts
