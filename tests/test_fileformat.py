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
        section = header["layers"][0]
        first = min(a["offset"] for a in section["arrays"].values())
        last = max(a["offset"] + int(np.prod(a["shape"])) * np.dtype(a["dtype"]).itemsize
                   for a in section["arrays"].values())
        section["crc32"] = zlib.crc32(payload[first:last])

    with pytest.raises(ImageError, match=r"^image: layer 0: PE 0 pointers are not"):
        image_from_bytes(_rewrite(data, bad_pointer_resealed))

    def bad_chain(header, payload):
        header["layers"][1]["n_in"] += 1

    with pytest.raises(ImageError, match=r"^image: layer 1: pointer table of shape"):
        image_from_bytes(_rewrite(data, bad_chain))

    def bad_config(header, payload):
        header["config"]["n_pes"] = 3

    with pytest.raises(ImageError, match=r"^image: malformed header \(EIEConfig\.n_pes must"):
        image_from_bytes(_rewrite(data, bad_config))


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
