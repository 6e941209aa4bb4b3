"""Encoding a layer over the PEs: the paper's worked examples and round-trip properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eie_hw.config import EIEConfig
from eie_hw.entry import entries_to_words, unpack_entries, words_to_entries
from eie_hw.image import ImageError, QuantizedLayer, decode_layer, encode_layer
from sim.verify.paper import FIG2_PE0_NONZEROS

# Fig. 2 of the EIE paper: the non-zeros PE0 holds (rows 0, 4, 8, 12 of the 16 × 8 matrix).
FIG2_PE0 = FIG2_PE0_NONZEROS


def layer_from(index, config):
    index = np.asarray(index)
    codebook = np.arange(config.codebook_size)
    return QuantizedLayer(index, codebook, 4, np.zeros(index.shape[0], dtype=np.int64))


def test_fig3_known_answer():
    """PE0's virtual weights, relative row indices and column pointers are those of Fig. 3."""
    config = EIEConfig(n_pes=4)
    index = np.zeros((16, 8), dtype=np.int64)
    for n, (r, c) in enumerate(FIG2_PE0):
        index[r, c] = n + 1
    encoded = encode_layer(config, layer_from(index, config))
    weight, zero_run = unpack_entries(config, encoded.entries[0])
    rows = [r for r, _ in FIG2_PE0]
    assert [index[r, c] for r, c in FIG2_PE0] == weight.tolist()  # W0,0 W8,0 W12,0 W4,1 …
    assert zero_run.tolist() == [0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0, 2, 0]
    assert encoded.ptr[0].tolist() == [0, 3, 4, 6, 6, 8, 10, 11, 13]
    assert len(rows) == 13
    for k in (1, 2, 3):
        assert len(encoded.entries[k]) == 0


def test_padding_example():
    """[0,0,1,2,0×18,3] → v = [1,2,0,3], z = [2,0,15,2] (§III-B)."""
    config = EIEConfig(n_pes=1)
    column = [0, 0, 1, 2] + [0] * 18 + [3]
    encoded = encode_layer(config, layer_from(np.array(column)[:, None], config))
    weight, zero_run = unpack_entries(config, encoded.entries[0])
    assert weight.tolist() == [1, 2, 0, 3]
    assert zero_run.tolist() == [2, 0, 15, 2]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), log_pes=st.integers(0, 5), n_out=st.integers(1, 70),
       n_in=st.integers(1, 12), density=st.sampled_from([0.0, 0.02, 0.1, 0.5, 1.0]))
def test_round_trip(data, log_pes, n_out, n_in, density):
    config = EIEConfig(n_pes=2 ** log_pes)
    seed = data.draw(st.integers(0, 2 ** 32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    index = np.where(rng.random((n_out, n_in)) < density,
                     rng.integers(1, config.codebook_size, (n_out, n_in)), 0)
    order = rng.permutation(n_out) if data.draw(st.booleans(), label="permute") else None
    encoded = encode_layer(config, layer_from(index, config), order)
    decoded = decode_layer(config, encoded)
    expected = index if order is None else index[order]
    assert np.array_equal(decoded.index, expected)
    # Entry count: one per non-zero plus one per full span of max_zero_run + 1 zero rows.
    assert encoded.entry_counts.sum() >= np.count_nonzero(index)


@pytest.mark.parametrize("gap", range(0, 50))
def test_every_zero_run_length(gap):
    config = EIEConfig(n_pes=1)
    column = np.zeros(gap + 2, dtype=np.int64)
    column[gap] = 5
    column[gap + 1] = 6
    encoded = encode_layer(config, layer_from(column[:, None], config))
    assert len(encoded.entries[0]) == 2 + gap // (config.max_zero_run + 1)
    assert np.array_equal(decode_layer(config, encoded).index[:, 0], column)


def test_words_round_trip(rng):
    config = EIEConfig()
    codes = rng.integers(0, 256, 29)
    words = entries_to_words(config, codes)
    assert len(words) == 4
    assert words[0] == int.from_bytes(bytes(codes[:8].tolist()), "little")
    assert words_to_entries(config, words, 29).tolist() == codes.tolist()


def test_bad_layers():
    config = EIEConfig(n_pes=4, act_depth=2)
    good = np.ones((4, 4), dtype=np.int64)
    with pytest.raises(ImageError, match=r"^layer: codebook\[0\] must be 0"):
        encode_layer(config, QuantizedLayer(good, np.arange(1, 17), 4, np.zeros(4, dtype=int)))
    with pytest.raises(ImageError, match=r"^layer: 9 inputs exceed the 8 that 4 PEs"):
        encode_layer(config, layer_from(np.ones((4, 9), dtype=np.int64), config))
    with pytest.raises(ImageError, match=r"^layer: codebook index out of range 0…15$"):
        encode_layer(config, layer_from(good * 16, config))
    with pytest.raises(ImageError, match=r"^layer: row_order must be a permutation of 0…3$"):
        encode_layer(config, layer_from(good, config), [0, 0, 1, 2])


def test_from_float(rng):
    config = EIEConfig(n_pes=2)
    centroids = np.array([-0.5, 0.25, 1.5])
    weights = np.where(rng.random((6, 5)) < 0.5, rng.choice(centroids, (6, 5)) + 0.01, 0.0)
    layer = QuantizedLayer.from_float(config, weights, centroids, np.full(6, 0.5))
    assert layer.w_frac == 14  # 1.5 needs one integer bit besides the sign
    dense = layer.weights_fixed() / 2 ** layer.w_frac
    assert np.array_equal(dense != 0, weights != 0)
    assert np.allclose(dense[weights != 0], weights[weights != 0] - 0.01)
    assert np.all(layer.bias == 0.5 * 2 ** config.act_frac_bits)
    with pytest.raises(ImageError, match=r"^fc1: weights contain NaN"):
        QuantizedLayer.from_float(config, np.full((2, 2), np.nan), centroids, name="fc1")
    with pytest.raises(ImageError, match=r"^layer: 16 centroids; a codebook holds 1…15"):
        QuantizedLayer.from_float(config, weights, np.arange(16.0))
