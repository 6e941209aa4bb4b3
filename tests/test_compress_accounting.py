"""Storage accounting: entry counts, Huffman figures and the .eie file size on disk."""

import struct

import numpy as np
import pytest
from oracles import optimal_stream_bits

from compress.accounting import image_accounting
from compress.huffman import huffman_code, table_bits
from compress.storage import save_compressed
from eie_hw.config import EIEConfig
from eie_hw.image import encode_network, save_image
from sim.verify.random_layers import random_network


def _padded_entries(config, index):
    """Oracle by plain loops: stored entries of a layer (non-zeros + padding) per the paper's
    rule, each PE holding rows ``i mod n_pes``."""
    total = 0
    for k in range(config.n_pes):
        rows = index[k::config.n_pes]
        for j in range(index.shape[1]):
            previous = -1
            for local in np.flatnonzero(rows[:, j]):
                total += (local - previous - 1) // (config.max_zero_run + 1) + 1
                previous = local
    return total


@pytest.mark.parametrize("n_pes", [1, 4, 8])
def test_accounting_matches_layers_and_file(rng, tmp_path, n_pes):
    config = EIEConfig(n_pes=n_pes)
    sizes = [int(rng.integers(20, 90)), int(rng.integers(30, 200)), int(rng.integers(2, 20))]
    layers = random_network(rng, config, sizes, [0.04, 0.3])
    image = encode_network(config, layers)
    acc = image_accounting(image, ["a", "b"])
    path = tmp_path / "net.eie"
    save_image(image, path)

    # On disk: fixed prefix (magic, version, header length) + JSON header + payload + CRC32.
    data = path.read_bytes()
    header_len = struct.unpack_from("<I", data, 12)[0]
    total = acc["total"]
    assert 16 + header_len + total["file_payload_bytes"] + 4 == path.stat().st_size

    for a, layer in zip(acc["layers"], layers, strict=True):
        index = np.asarray(layer.index)
        entries = _padded_entries(config, index)
        assert a["nonzeros"] == np.count_nonzero(index)
        assert a["entries"] == entries and a["padding"] == entries - a["nonzeros"]
        assert a["pq"]["weight_bits"] == entries * config.weight_index_bits
        assert a["pq"]["index_bits"] == entries * config.rel_index_bits
        assert a["pq"]["pointer_bits"] == n_pes * (layer.n_in + 1) * config.ptr_width
        assert a["dense_bits"] == 32 * (layer.n_in * layer.n_out + layer.n_out)
        assert a["file_bytes"]["entries"] == entries
        core = sum(a["pqh"][k] for k in ("weight_bits", "index_bits", "codebook_bits",
                                         "bias_bits"))
        assert a["ratio_pqh"] == pytest.approx(a["dense_bits"] / core)

    # Huffman figures equal an independent optimal-code cost plus the stored table.
    for a, enc in zip(acc["layers"], image.layers, strict=True):
        codes = np.concatenate(enc.entries).astype(np.int64)
        weights = list(codes & (config.codebook_size - 1))
        runs = list(codes >> config.weight_index_bits)
        assert a["pqh"]["weight_bits"] == optimal_stream_bits(weights) + table_bits(
            huffman_code(weights), config.codebook_size)
        assert a["pqh"]["index_bits"] == optimal_stream_bits(runs) + table_bits(
            huffman_code(runs), config.max_zero_run + 1)

    for key in ("weight_bits", "index_bits", "codebook_bits", "bias_bits", "pointer_bits"):
        assert total["pq"][key] == sum(a["pq"][key] for a in acc["layers"])
    assert total["dense_bits"] == sum(a["dense_bits"] for a in acc["layers"])

    # The actual ratio is the .eiz file's, and the file holds what the counting counts plus
    # its header, each layer's fields and row order, and at most a few bytes per layer of
    # stream lengths, code-width bytes and byte padding.
    size = save_compressed(image, tmp_path / "net.eiz")
    assert total["eiz_file_bytes"] == size == (tmp_path / "net.eiz").stat().st_size
    assert total["ratio_eiz"] == total["dense_bits"] / (8 * size)
    assert total["eiz_header_bytes"] + sum(sum(a["eiz_bytes"].values())
                                           for a in acc["layers"]) == size
    for a in acc["layers"]:
        counted = sum(a["pqh"].values())  # weights, indices, codebook, biases, pointers
        known = 8 * (a["eiz_bytes"]["fields"] + a["eiz_bytes"]["row_order"])
        assert 0 <= 8 * sum(a["eiz_bytes"].values()) - counted - known <= 8 * 24, a["name"]
        assert a["ratio_eiz"] == a["dense_bits"] / (8 * sum(a["eiz_bytes"].values()))


def test_long_streams_are_sized_like_coded_ones(rng, monkeypatch):
    import compress.accounting as accounting

    config = EIEConfig(n_pes=2)
    image = encode_network(config, random_network(rng, config, [40, 50, 6], [0.1, 0.5]))
    coded = image_accounting(image)
    monkeypatch.setattr(accounting, "VERIFY_LIMIT", 0)
    assert image_accounting(image) == coded
