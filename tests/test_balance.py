"""Load-balance-aware row assignment: validity, quality, and unchanged results."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eie_hw.config import EIEConfig
from eie_hw.image import encode_network
from eie_hw.image.balance import balanced_row_order, pe_loads, pe_slot_counts
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.random_layers import random_activations, random_network


def skewed_index(rng, n_out, n_in, sigma=0.8, median=0.1):
    density = np.clip(rng.lognormal(np.log(median), sigma, n_out), 0, 1)
    return np.where(rng.random((n_out, n_in)) < density[:, None],
                    rng.integers(1, 16, (n_out, n_in)), 0)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), log_pes=st.integers(0, 6),
       n_out=st.integers(1, 150), n_in=st.integers(1, 40))
def test_valid_permutation_with_configured_rows(seed, log_pes, n_out, n_in):
    rng = np.random.default_rng(seed)
    n_pes = 2 ** log_pes
    index = skewed_index(rng, n_out, n_in)
    order = balanced_row_order(index, n_pes, 15)
    assert np.array_equal(np.sort(order), np.arange(n_out)), seed
    # Physical row p is PE p % N: every PE keeps the slot count of the i mod N layout.
    held = np.bincount(np.arange(n_out) % n_pes, minlength=n_pes)
    assert np.array_equal(held, pe_slot_counts(n_out, n_pes))
    # Never worse than i mod N.
    assert pe_loads(index, n_pes, 15, order).max() <= pe_loads(index, n_pes, 15).max(), seed


def test_balances_skewed_rows(rng, seed):
    for n_out, n_in, n_pes in [(300, 64, 4), (256, 200, 16), (600, 512, 64)]:
        index = skewed_index(rng, n_out, n_in)
        loads = pe_loads(index, n_pes, 15, balanced_row_order(index, n_pes, 15))
        assert loads.max() <= 1.03 * loads.mean(), (seed, n_out, n_pes)


def test_permuted_network_same_outputs_and_round_trip(rng, seed):
    config = EIEConfig(n_pes=8, act_depth=64)
    layers = random_network(rng, config, [100, 120, 60, 10], [0.2, 0.3, 0.5])
    for layer in layers:
        layer.index[:] = np.where(skewed_index(rng, *layer.index.shape) > 0, layer.index, 0)
    plain = encode_network(config, layers)
    balanced = encode_network(config, layers, "balanced")
    for a, b in zip(layers, balanced.decode(), strict=True):
        assert np.array_equal(a.index, b.index) and np.array_equal(a.bias, b.bias)
    x = random_activations(rng, config, 100, 0.6)
    assert np.array_equal(GoldenModel(plain).run(x), GoldenModel(balanced).run(x)), seed
    assert max(layer.entry_counts.max() for layer in balanced.layers) <= \
        max(layer.entry_counts.max() for layer in plain.layers)
    assert job_timing(balanced, x).total > 0
