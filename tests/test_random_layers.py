"""The random layers of sim.verify.random_layers: shapes, value ranges, empty columns."""

import numpy as np
import pytest

from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer

CFG = small_config(n_pes=4)


def test_options_shape_the_layer(seed, rng):
    layer = random_layer(rng, CFG, 40, 300, 0.5, relu=False, empty_columns=0.25,
                         weight_range=(-7, 9), bias_range=(-3, 2))
    assert layer.index.shape == (40, 300) and not layer.relu
    # A column of 40 entries at density 0.5 is empty by chance with probability 2**-40.
    empty = ~layer.index.any(axis=0)
    assert 0.15 < empty.mean() < 0.35, f"seed={seed}: {empty.mean():.2f} of columns empty"
    assert 0.45 < (layer.index[:, ~empty] != 0).mean() < 0.55, f"seed={seed}"
    assert layer.codebook[0] == 0 and -7 <= layer.codebook.min() <= layer.codebook.max() <= 9
    assert len(layer.bias) == 40 and -3 <= layer.bias.min() <= layer.bias.max() <= 2
    assert 0 <= layer.w_frac < CFG.weight_width


def test_ranges_are_clipped_to_the_limits(seed, rng):
    huge = 1 << 40
    layer = random_layer(rng, CFG, 64, 8, 1.0, weight_range=(-huge, huge),
                         bias_range=(-huge, huge))
    assert CFG.weight_min <= layer.codebook.min() and layer.codebook.max() <= CFG.weight_max
    assert CFG.act_min <= layer.bias.min() and layer.bias.max() <= CFG.act_max
    assert np.all(layer.index != 0), f"seed={seed}: density 1 and no empty columns asked for"


@pytest.mark.parametrize("options, message", [
    (dict(empty_columns=1.5), r"^empty_columns must be between 0 and 1, not 1\.5$"),
    (dict(extreme=True, bias_range=(-1, 1)),
     r"^an extreme layer draws its values at the limits: give no weight_range or bias_range$"),
])
def test_validation(rng, options, message):
    with pytest.raises(ValueError, match=message):
        random_layer(rng, CFG, 4, 4, 0.5, **options)
