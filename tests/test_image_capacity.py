"""The capacity a configuration states is what encode_network accepts."""

import re

import pytest

from eie_hw.config import EIEConfig
from eie_hw.image import ImageError, encode_network
from eie_hw.image.network import capacity, describe_capacity
from sim.verify.random_layers import random_network

CONFIG = EIEConfig(n_pes=4, act_depth=16, spmat_depth=256, ptr_depth=64, bias_depth=12,
                   max_layers=3)


def _largest_chain(config):
    depth, width = map(int, re.search(r"(\d+) × \((\d+) →", describe_capacity(config)).groups())
    return depth, width


@pytest.mark.parametrize("config", [
    CONFIG, CONFIG.replace(n_pes=2, ptr_depth=128, bias_depth=40, max_layers=4),
    CONFIG.replace(n_pes=16, ptr_depth=128, bias_depth=40, max_layers=4)])
def test_the_largest_chain_fits_and_a_wider_one_does_not(rng, config):
    depth, width = _largest_chain(config)
    encode_network(config, random_network(rng, config, [width] * (depth + 1), [0.05] * depth))
    wider = [width + 1] * (depth + 1)
    with pytest.raises(ImageError, match="column pointers|bias words|exceed"):
        encode_network(config, random_network(rng, config, wider, [0.05] * depth))


def test_capacity_names_the_validated_limits():
    c = capacity(CONFIG)
    assert c == {"layers": 3, "width": 64, "pointers": 64, "bias_rows": 12,
                 "entries_per_pe": CONFIG.max_entries_per_pe}
    text = describe_capacity(CONFIG)
    assert text.startswith("up to 3 layers of at most 64 inputs and outputs, Σ(n_in + 1) ≤ 64")
