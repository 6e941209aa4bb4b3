"""The .eiz file: its bytes against an independent assembly of the documented layout, the
.eie image back bit for bit on random networks and configurations, sizes against optimal
codes, and every way a file can be broken."""

import struct
import zlib
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from oracles import leb128, optimal_stream_bits, packed_bits

from compress import huffman
from compress.storage import (
    FORMAT_VERSION,
    MAGIC,
    CompressedFileError,
    compressed_from_bytes,
    compressed_sizes,
    compressed_to_bytes,
    load_compressed,
    read_image,
    save_compressed,
)
from eie_hw.config import EIEConfig
from eie_hw.image import ImageError, QuantizedLayer, encode_layer, encode_network, save_image
from eie_hw.image.fileformat import image_to_bytes
from sim.verify.random_layers import random_layer, random_network

# Section: an independent assembly of docs/compressed-format.md, field by named field.


def _stream(symbols, alphabet):
    """The named fields of a code table and its coded stream."""
    code = huffman.huffman_code(symbols)
    lengths = [code.lengths.get(s, 0) for s in range(alphabet)]
    width = max(max(lengths, default=0).bit_length(), 1)
    data, n_bits, _ = huffman.encode(symbols, code)
    return [("width", bytes([width])), ("lengths", packed_bits(lengths, width)),
            ("n_bits", leb128(n_bits)), ("data", data)]


def seal(body, *, magic=MAGIC, version=FORMAT_VERSION, length=None):
    """Prefix (magic, version, body length) + body + CRC32 of everything before it."""
    head = magic + struct.pack("<HI", version, len(body) if length is None else length) + body
    return head + struct.pack("<I", zlib.crc32(head))


def assemble(config, layers, edits=None, streams=None):
    """A ``.eiz`` file of ``config`` and :class:`EncodedLayer` ``layers`` from the documented
    layout. ``edits`` replaces named fields' bytes (``"end"`` appends bytes to the body);
    ``streams`` replaces the symbols of a stream (``"0.weights"``) before it is coded."""
    edits, streams = dict(edits or {}), streams or {}
    body = [("config.count", leb128(len(fields(EIEConfig))))]
    body += [(f"config.{k}", leb128(v)) for k, v in config.to_dict().items()]
    body.append(("layers", leb128(len(layers))))
    for l, layer in enumerate(layers):
        order = [int(p) for p in layer.row_order]
        permuted = order != list(range(layer.n_out))
        body += [(f"{l}.n_in", leb128(layer.n_in)), (f"{l}.n_out", leb128(layer.n_out)),
                 (f"{l}.w_frac", bytes([layer.w_frac])),
                 (f"{l}.flags", bytes([int(layer.relu) | (2 if permuted else 0)])),
                 (f"{l}.codebook", packed_bits([int(v) for v in layer.codebook],
                                               config.weight_width)),
                 (f"{l}.bias", packed_bits([int(v) for v in layer.bias], config.act_width)),
                 (f"{l}.row_order", packed_bits(order, (layer.n_out - 1).bit_length())
                  if permuted else b"")]
        codes = [int(c) for e in layer.entries for c in e]
        symbols = {"counts": [int(c) for c in np.diff(layer.ptr, axis=1).ravel()],
                   "weights": [c % config.codebook_size for c in codes],
                   "runs": [c >> config.weight_index_bits for c in codes]}
        symbols.update({k.split(".")[1]: v for k, v in streams.items()
                        if k.startswith(f"{l}.")})
        body.append((f"{l}.counts.alphabet", leb128(max(symbols["counts"]) + 1)))
        for name, alphabet in (("counts", max(symbols["counts"]) + 1),
                               ("weights", config.codebook_size),
                               ("runs", config.max_zero_run + 1)):
            body += [(f"{l}.{name}.{k}", v) for k, v in _stream(symbols[name], alphabet)]
    names = {name for name, _ in body}
    unknown = sorted(set(edits) - names - {"end"})
    assert not unknown, f"no such fields: {unknown}"
    data = b"".join(edits.get(name, value) for name, value in body) + edits.get("end", b"")
    return seal(data)


# Section: round trips.

@st.composite
def networks(draw):
    """A random configuration (widths, PEs, word size) and a random network that fits it,
    with identity, balanced or random row orders; returns ``(config, layers, image, seed)``."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    depth = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1, 60), min_size=depth + 1, max_size=depth + 1))
    n_pes = draw(st.sampled_from([1, 2, 4, 8, 16]))
    wib, rib = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    per_word = draw(st.sampled_from([1, 2, 4, 8]))
    # Widths up to 24 bits: their sum and the input count must leave acc_width ≤ 64.
    act_width, weight_width = draw(st.integers(2, 24)), draw(st.integers(2, 24))
    config = EIEConfig(
        n_pes=n_pes, fifo_depth=draw(st.integers(1, 16)), weight_index_bits=wib,
        rel_index_bits=rib, act_width=act_width,
        act_frac_bits=draw(st.integers(0, act_width - 1)), weight_width=weight_width,
        weight_frac_bits=draw(st.integers(0, weight_width - 1)),
        spmat_word_bits=(wib + rib) * per_word,
        # Every row of every column holds at most one entry, padding included: 4 layers of
        # 60 × 60 on one PE need up to 14,400 entries, so 16,384 of them always fit.
        act_depth=-(-max(sizes) // n_pes) + draw(st.integers(0, 3)),
        spmat_depth=16384 // per_word,
        ptr_depth=512, bias_depth=512, max_layers=depth + draw(st.integers(0, 2)))
    layers = []
    for l in range(depth):
        extreme = draw(st.booleans())
        layers.append(random_layer(
            rng, config, sizes[l + 1], sizes[l],
            draw(st.sampled_from([0.0, 0.01, 0.1, 0.4, 1.0])), relu=draw(st.booleans()),
            extreme=extreme, empty_columns=draw(st.sampled_from([0.0, 0.3]))))
    kind = draw(st.sampled_from(["identity", "balanced", "random"]))
    orders = {"identity": None, "balanced": "balanced",
              "random": [rng.permutation(n) for n in sizes[1:]]}[kind]
    note(f"seed={seed} sizes={sizes} rows={kind} config={config}")
    return config, layers, encode_network(config, layers, orders), seed


@settings(max_examples=150, deadline=None)
@given(networks())
def test_round_trip_gives_the_eie_image_bit_for_bit(network):
    config, layers, image, seed = network
    data = compressed_to_bytes(image)
    assert data == assemble(config, image.layers), f"seed={seed}"
    back = compressed_from_bytes(data)
    assert image_to_bytes(back) == image_to_bytes(image), f"seed={seed}"
    # The network itself, against the layers it was built from (original row order).
    for q, original in zip(back.decode(), layers, strict=True):
        assert np.array_equal(q.index, original.index), f"seed={seed}"
        assert np.array_equal(q.codebook, original.codebook), f"seed={seed}"
        assert np.array_equal(q.bias, original.bias), f"seed={seed}"
        assert (q.w_frac, q.relu) == (original.w_frac, original.relu), f"seed={seed}"
    sizes = compressed_sizes(image)
    assert sizes["header"] + sum(sum(p.values()) for p in sizes["layers"]) == sizes["total"] \
        == len(data), f"seed={seed}"


def test_stream_sizes_are_those_of_optimal_codes(rng):
    """Each coded stream takes its n_bits varint and the bytes of an optimal prefix code of
    its symbols (an independent Huffman cost); each table one width byte and the lengths."""
    config = EIEConfig(n_pes=4)
    image = encode_network(config, random_network(rng, config, [50, 120, 10], [0.08, 0.3]))
    for parts, layer in zip(compressed_sizes(image)["layers"], image.layers, strict=True):
        codes = np.concatenate(layer.entries).astype(np.int64)
        counts = np.diff(layer.ptr, axis=1).ravel()
        for name, symbols, alphabet in (
                ("weight_index", codes & (config.codebook_size - 1), config.codebook_size),
                ("zero_run", codes >> config.weight_index_bits, config.max_zero_run + 1),
                ("column_counts", counts, int(counts.max()) + 1)):
            bits = optimal_stream_bits([int(s) for s in symbols])
            assert parts[name] == len(leb128(bits)) + -(-bits // 8), name
            width = max(max(huffman.huffman_code(symbols).lengths.values()).bit_length(), 1)
            extra = len(leb128(alphabet)) if name == "column_counts" else 0
            assert parts[f"{name}_code"] == 1 + -(-alphabet * width // 8) + extra, name
        assert parts["codebook"] == -(-config.codebook_size * config.weight_width // 8)
        assert parts["bias"] == -(-layer.n_out * config.act_width // 8)
        assert parts["row_order"] == 0


def test_files_and_formats_told_apart(rng, tmp_path):
    config = EIEConfig(n_pes=2)
    image = encode_network(config, random_network(rng, config, [9, 13, 3], [0.5, 0.5]))
    size = save_compressed(image, tmp_path / "net.eiz")
    assert size == (tmp_path / "net.eiz").stat().st_size == len(compressed_to_bytes(image))
    save_image(image, tmp_path / "net.eie")
    for name in ("net.eiz", "net.eie"):
        assert image_to_bytes(read_image(tmp_path / name)) == image_to_bytes(image), name
    with pytest.raises(CompressedFileError, match=r"net.eie: not an EIE compressed model"):
        load_compressed(tmp_path / "net.eie")
    with pytest.raises(CompressedFileError, match=r"none.eiz: cannot read"):
        load_compressed(tmp_path / "none.eiz")
    with pytest.raises(ImageError, match=r"none.eiz: cannot read"):
        read_image(tmp_path / "none.eiz")


def test_failed_save_leaves_nothing(rng, tmp_path, monkeypatch):
    import eie_hw.image.fileformat as ff

    config = EIEConfig(n_pes=2)
    image = encode_network(config, random_network(rng, config, [9, 4], [0.5]))

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(ff.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_compressed(image, tmp_path / "x.eiz")
    assert list(tmp_path.iterdir()) == []


# Section: broken files.

@pytest.fixture
def network(rng):
    """Two layers on 4 PEs: 20 → 33 with a random row order, then 33 → 7."""
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [20, 33, 7], [0.3, 0.6])
    image = encode_network(config, layers, [rng.permutation(33), None])
    return config, image


def check(data, message):
    with pytest.raises(CompressedFileError, match=rf"^compressed model: {message}$"):
        compressed_from_bytes(data)


def test_assembled_file_is_valid(network):
    config, image = network
    assert assemble(config, image.layers) == compressed_to_bytes(image)


def test_truncated(network):
    data = compressed_to_bytes(network[1])
    for cut in (0, 5, 17, 18, len(data) // 2, len(data) - 1):
        check(data[:cut], r"truncated: .*")
    check(data[:10], r"truncated: 10 bytes is shorter than the fixed header \(18 bytes\)")
    check(data[:-1], rf"truncated: the header announces {len(data)} bytes, the file has "
                     rf"{len(data) - 1}")


def test_prefix_and_checksum(network):
    data = compressed_to_bytes(network[1])
    check(b"EIEIMG\r\n" + data[8:], r"not an EIE compressed model \(bad magic bytes\)")
    bad = bytearray(data)
    struct.pack_into("<H", bad, 8, FORMAT_VERSION + 1)
    check(bytes(bad), rf"format version {FORMAT_VERSION + 1} is not supported \(this reader "
                      rf"handles version {FORMAT_VERSION}\)")
    for at in (20, len(data) // 2, len(data) - 1):
        bad = bytearray(data)
        bad[at] ^= 0x04
        check(bytes(bad), r"checksum mismatch: the file is corrupted")
    check(data + b"\x00", r"1 bytes follow the checksum")
    body = data[14:-4]
    check(seal(body, length=len(body) + 3), rf"truncated: the header announces "
                                             rf"{len(data) + 3} bytes, the file has {len(data)}")


@pytest.mark.parametrize("edits, message", [
    ({"config.count": leb128(len(fields(EIEConfig)) - 1)},
     rf"header: the configuration has {len(fields(EIEConfig)) - 1} fields; this version's "
     rf"has {len(fields(EIEConfig))}"),
    ({"config.n_pes": leb128(3)}, r"header: config: EIEConfig.n_pes must be a power of two, "
                                  r"not 3"),
    ({"config.ptr_depth": b"\xff" * 11}, r"header: config.ptr_depth: a varint longer than 10 "
                                         r"bytes"),
    ({"layers": leb128(0)}, r"header: the file holds no layers"),
    ({"layers": leb128(17)}, r"header: the layer count is 17, more than 16"),
    ({"layers": leb128(3)}, r"layer 2: truncated: the data end inside n_in \(1 bytes needed, "
                            r"0 left\)"),
    ({"0.n_in": leb128(0)}, r"layer 0: the layer has 0 inputs and 33 outputs; both must be at "
                            r"least 1"),
    ({"0.n_in": leb128(10 ** 6)}, r"layer 0: n_in is 1000000, more than 2048"),
    ({"1.flags": b"\x05"}, r"layer 1: flags 0x05 has unknown bits set"),
    ({"0.w_frac": b"\x10"}, r"layer 0: w_frac must be an integer in 0…15, not 16"),
    ({"1.codebook": packed_bits([5] + [0] * 15, 16)},
     r"layer 1: codebook\[0\] must be 0 \(the padding value\), not 5"),
    ({"0.row_order": packed_bits([0] * 33, 6)}, r"layer 0: row_order is not a permutation"),
    ({"0.counts.alphabet": leb128(0)}, r"layer 0: the column-count alphabet is empty"),
    ({"0.counts.alphabet": leb128(70000)}, r"layer 0: column-count alphabet is 70000, more "
                                           r"than 65536"),
    ({"0.weights.width": b"\x00"}, r"layer 0: weight-index code: length width 0 is not in "
                                   r"1…6"),
    ({"0.weights.width": b"\x03", "0.weights.lengths": packed_bits([0] + [2] * 15, 3)},
     r"layer 0: weight-index code: the code lengths do not form a complete prefix code"),
    ({"1.runs.width": b"\x02", "1.runs.lengths": packed_bits([2] + [0] * 15, 2)},
     r"layer 1: zero-run code: a single symbol must have a 1-bit code"),
    ({"end": b"\x00"}, r"body: 1 bytes follow the last layer"),
])
def test_inconsistent_fields(network, edits, message):
    """A field that contradicts the format, in a file whose checksum is valid, is named."""
    config, image = network
    check(assemble(config, image.layers, edits), message)


def test_inconsistent_streams(network):
    config, image = network
    counts = np.diff(image.layers[0].ptr, axis=1).ravel().tolist()
    check(assemble(config, image.layers, streams={"0.counts": counts[:-1]}),
          rf"layer 0: column-count stream holds {len(counts) - 1} symbols, expected "
          rf"{len(counts)}")
    codes = np.concatenate(image.layers[1].entries)
    weights = (codes % config.codebook_size).tolist()
    check(assemble(config, image.layers, streams={"1.weights": weights + [weights[0]]}),
          rf"layer 1: weight-index stream holds {len(weights) + 1} symbols, expected "
          rf"{len(weights)}")
    runs = (codes >> config.weight_index_bits).tolist()
    check(assemble(config, image.layers, streams={"1.runs": runs[:-1] + [15]}),
          r"layer 1: PE \d has an entry past the layer's 7 rows")


def test_corrupt_code_words(rng):
    """Streams whose bits are not whole code words of their code: a 1-layer, 1-PE image with
    one weight, so that every stream is a single 1-bit code word '0'."""
    config = EIEConfig(n_pes=1)
    layer = QuantizedLayer(np.array([[3]]), np.arange(16) * 7, 2, np.array([5]), False)
    image = encode_network(config, [layer])
    base = {"0.weights.n_bits": leb128(1), "0.weights.data": b"\x00"}
    assert assemble(config, image.layers, base) == compressed_to_bytes(image)
    check(assemble(config, image.layers, {**base, "0.weights.data": b"\x80"}),
          r"layer 0: weight-index stream: invalid Huffman code word in the stream")
    check(assemble(config, image.layers, {**base, "0.weights.data": b"\x40"}),
          r"layer 0: weight-index stream: the padding bits of the last byte are not zero")
    check(assemble(config, image.layers, {"0.runs.n_bits": leb128(9)}),
          r"layer 0: truncated: the data end inside zero-run stream \(2 bytes needed, 1 left\)")
    check(assemble(config, image.layers, {**base, "0.weights.n_bits": leb128(10 ** 6)}),
          r"layer 0: truncated: the data end inside weight-index stream \(125000 bytes "
          r"needed, \d+ left\)")
    # A complete 3-word code {1: '0', 2: '10', 3: '11'} and a stream ending inside '1?'.
    lengths = packed_bits([0, 1, 2, 2] + [0] * 12, 2)
    check(assemble(config, image.layers, {"0.weights.width": b"\x02",
                                          "0.weights.lengths": lengths, **base,
                                          "0.weights.data": b"\x80"}),
          r"layer 0: weight-index stream: Huffman stream ends inside a code word")


def test_layers_that_do_not_chain(rng, network):
    config, image = network
    other = encode_layer(config, random_network(rng, config, [34, 5], [0.5])[0])
    check(assemble(config, [image.layers[0], other]),
          r"layer 1 has 34 inputs but layer 0 has 33 outputs")
