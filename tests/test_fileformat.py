"""The .eie file: round trip and every way a file can be broken."""

import json
import struct
import zlib

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from eie_hw.image import ImageError, encode_network, load_image, save_image
from eie_hw.image.fileformat import FORMAT_VERSION, image_from_bytes, image_to_bytes
from sim.verify.random_layers import random_network


@pytest.fixture
def image(rng):
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [20, 33, 7], [0.3, 0.6])
    orders = [rng.permutation(33), None]
    return encode_network(config, layers, orders)


def test_round_trip(image, tmp_path):
    path = tmp_path / "net.eie"
    size = save_image(image, path)
    assert size == path.stat().st_size
    loaded = load_image(path)
    assert loaded.config == image.config
    for a, b in zip(image.decode(), loaded.decode(), strict=True):
        assert np.array_equal(a.index, b.index) and np.array_equal(a.bias, b.bias)
        assert np.array_equal(a.codebook, b.codebook) and (a.w_frac, a.relu) == (b.w_frac, b.relu)
    for a, b in zip(image.layers, loaded.layers, strict=True):
        assert np.array_equal(a.row_order, b.row_order)


def _rewrite(data, mutate):
    """Apply ``mutate`` to the parsed header and re-seal the file with a valid checksum."""
    header_len = struct.unpack_from("<I", data, 12)[0]
    header = json.loads(data[16:16 + header_len])
    payload = bytearray(data[16 + header_len:-4])
    mutate(header, payload)
    new = json.dumps(header).encode()
    body = data[:12] + struct.pack("<I", len(new)) + new + bytes(payload)
    return body + struct.pack("<I", zlib.crc32(body))


def _reseal_section(header, payload, l):
    """Recompute layer ``l``'s section checksum over its (edited) arrays."""
    section = header["layers"][l]
    first = min(a["offset"] for a in section["arrays"].values())
    last = max(a["offset"] + int(np.prod(a["shape"])) * np.dtype(a["dtype"]).itemsize
               for a in section["arrays"].values())
    section["crc32"] = zlib.crc32(payload[first:last])


def _set_field(path, value):
    """A header edit: set the field at ``path`` (keys from the header's root) to ``value``, or
    delete it if ``value`` is ``_DELETE``."""
    def mutate(header, payload):
        obj = header
        for key in path[:-1]:
            obj = obj[key]
        if value is _DELETE:
            del obj[path[-1]]
        else:
            obj[path[-1]] = value
    return mutate


_DELETE = object()


def test_truncated(image):
    data = image_to_bytes(image)
    for cut in (3, 20, len(data) // 2, len(data) - 1):
        with pytest.raises(ImageError, match=r"^image: (truncated|checksum mismatch)"):
            image_from_bytes(data[:cut])


def test_corrupted_byte(image):
    data = bytearray(image_to_bytes(image))
    data[len(data) // 2] ^= 0x10
    with pytest.raises(ImageError, match=r"^image: checksum mismatch"):
        image_from_bytes(bytes(data))


def test_wrong_version_and_magic(image):
    data = bytearray(image_to_bytes(image))
    struct.pack_into("<I", data, 8, FORMAT_VERSION + 1)
    with pytest.raises(ImageError, match=rf"^image: format version {FORMAT_VERSION + 1} is not"):
        image_from_bytes(bytes(data))
    with pytest.raises(ImageError, match=r"^image: not an EIE image"):
        image_from_bytes(b"PK" + bytes(data[2:]))


def test_inconsistent_sections(image):
    data = image_to_bytes(image)

    def bad_pointer(header, payload):
        spec = header["layers"][0]["arrays"]["ptr"]
        struct.pack_into("<i", payload, spec["offset"] + 4, 10 ** 6)

    with pytest.raises(ImageError, match=r"^image: layer 0: section checksum mismatch"):
        image_from_bytes(_rewrite(data, bad_pointer))

    def bad_pointer_resealed(header, payload):
        bad_pointer(header, payload)
        _reseal_section(header, payload, 0)

    with pytest.raises(ImageError, match=r"^image: layer 0: PE 0 pointer 2 is \d+, less than "
                                         r"pointer 1 \(1000000\); pointers must not decrease$"):
        image_from_bytes(_rewrite(data, bad_pointer_resealed))

    def bad_chain(header, payload):
        header["layers"][1]["n_in"] += 1

    with pytest.raises(ImageError, match=r"^image: layer 1: pointer table of shape"):
        image_from_bytes(_rewrite(data, bad_chain))

    def bad_config(header, payload):
        header["config"]["n_pes"] = 3

    with pytest.raises(ImageError, match=r"^image: malformed header \(EIEConfig\.n_pes must"):
        image_from_bytes(_rewrite(data, bad_config))


@pytest.mark.parametrize("path, value, message", [
    (("layers", 0, "relu"), "false",
     r'layer 0: relu must be a JSON boolean \(true or false\), not "false"'),
    (("layers", 1, "relu"), 0, r"layer 1: relu must be a JSON boolean \(true or false\), not 0"),
    (("layers", 0, "w_frac"), 7.9, r"layer 0: w_frac must be an integer, not 7.9"),
    (("layers", 0, "w_frac"), True, r"layer 0: w_frac must be an integer, not true"),
    (("layers", 0, "w_frac"), 16, r"layer 0: w_frac must be an integer in 0…15, not 16"),
    (("layers", 0, "n_in"), "20", r'layer 0: n_in must be an integer, not "20"'),
    (("layers", 1, "n_out"), 0, r"layer 1: n_out must be at least 1, not 0"),
    (("layers", 0, "crc32"), -1, r"layer 0: crc32 must be in 0…4294967295, not -1"),
    (("layers", 0, "arrays", "ptr", "offset"), 0.0,
     r"layer 0: arrays.ptr.offset must be an integer, not 0.0"),
    (("layers", 0, "arrays", "bias", "offset"), -4,
     r"layer 0: arrays.bias.offset must be at least 0, not -4"),
    (("layers", 0, "arrays", "bias", "dtype"), "<f8",
     r'layer 0: arrays.bias.dtype must be "<i4", not "<f8"'),
    (("layers", 1, "arrays", "entries", "dtype"), "<i4",
     r'layer 1: arrays.entries.dtype must be "\|u1", not "<i4"'),
    (("layers", 0, "arrays", "ptr", "shape"), [4],
     r"layer 0: arrays.ptr.shape must be a list of 2 integers, not \[4\]"),
    (("layers", 0, "arrays", "codebook", "shape"), [16.0],
     r"layer 0: arrays.codebook.shape\[0\] must be an integer, not 16.0"),
    (("layers", 0, "arrays", "row_order", "shape"), [-33],
     r"layer 0: arrays.row_order.shape\[0\] must be at least 0, not -33"),
    (("layers", 0, "relu"), _DELETE, r"layer 0 lacks the field\(s\) relu"),
    (("layers", 0, "colour"), "blue", r"layer 0 has unknown field\(s\) colour"),
    (("layers", 0, "arrays", "ptr"), 7, r"layer 0: arrays.ptr must be a JSON object, not 7"),
    (("layers", 1), [], r"layer 1 must be a JSON object, not \[\]"),
    (("extra",), 1, r"header has unknown field\(s\) extra"),
    (("config", "n_pes"), 4.0, r"header: config.n_pes must be an integer, not 4.0"),
    (("config", "acc_width"), None, r"header: config.acc_width must be an integer, not null"),
    (("config", "fifo_depth"), False, r"header: config.fifo_depth must be an integer, not false"),
    (("config", "ptr_width"), _DELETE, r"header: config lacks the field\(s\) ptr_width"),
])
def test_header_field_types(image, path, value, message):
    """Every header field has its JSON type and range; the checksums are valid, so the field
    check is what fails."""
    data = image_to_bytes(image)
    image_from_bytes(_rewrite(data, lambda header, payload: None))     # resealed as is: valid
    with pytest.raises(ImageError, match=rf"^image: {message}$"):
        image_from_bytes(_rewrite(data, _set_field(path, value)))


@pytest.mark.parametrize("k, j, value, message", [
    (1, 3, -1, r"layer 0: PE 1 pointer 3 is negative \(-1\)"),
    (2, 0, 1, r"layer 0: PE 2 pointer 0 is 1; a layer's pointers start at 0"),
    (0, 5, 10 ** 6, r"layer 0: PE 0 pointer 6 is \d+, less than pointer 5 \(1000000\); "
                    r"pointers must not decrease"),
    (3, -1, None, r"layer 0: pointers account for (\d+) entries, the section holds (?!\1)\d+"),
])
def test_bad_pointers(image, k, j, value, message):
    """A bad pointer is named by layer, PE and index (the section checksum is recomputed)."""
    def mutate(header, payload):
        spec = header["layers"][0]["arrays"]["ptr"]
        row = spec["shape"][1]
        column = j % row
        at = spec["offset"] + 4 * (k * row + column)
        new = value if value is not None else struct.unpack_from("<i", payload, at)[0] + 1
        struct.pack_into("<i", payload, at, new)
        _reseal_section(header, payload, 0)

    with pytest.raises(ImageError, match=rf"^image: {message}$"):
        image_from_bytes(_rewrite(image_to_bytes(image), mutate))


def test_failed_save_leaves_nothing(image, tmp_path, monkeypatch):
    import eie_hw.image.fileformat as ff

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(ff.os, "replace", boom)
    with pytest.raises(OSError):
        save_image(image, tmp_path / "x.eie")
    assert list(tmp_path.iterdir()) == []


def test_missing_file(tmp_path):
    with pytest.raises(ImageError, match=r"cannot read"):
        load_image(tmp_path / "none.eie")
