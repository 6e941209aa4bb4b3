"""The ``.eie`` file: a versioned, checksummed container of an :class:`EIEImage`.

Layout (all integers little-endian; see docs/image-format.md)::

    magic      8 bytes  b"EIEIMG\\r\\n"
    version    u32      FORMAT_VERSION
    header_len u32
    header     JSON (UTF-8): {"config": {...EIEConfig...}, "layers": [section, ...]}
    payload    the layer sections' arrays, back to back
    crc32      u32      zlib.crc32 of everything before it

Each layer section in the header gives ``n_in``, ``n_out``, ``w_frac``, ``relu``, its own
``crc32`` and, for every array (``codebook``, ``bias``, ``row_order``, ``ptr``, ``entries``),
``offset`` (from the start of the payload), ``dtype`` and ``shape``. ``entries`` holds the
entry codes of all PEs in PE order; PE ``k`` has ``ptr[k, -1]`` of them.

Reading checks magic, version, sizes, checksums, shapes, and then decodes every layer, so a
truncated, corrupted, wrong-version or inconsistent file raises :class:`ImageError` rather than
returning garbage.
"""

import json
import os
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from eie_hw.config import EIEConfig

from .layer import ImageError
from .layout import EncodedLayer, decode_layer
from .network import EIEImage

__all__ = ["FORMAT_VERSION", "MAGIC", "save_image", "load_image", "image_to_bytes",
           "image_from_bytes"]

MAGIC = b"EIEIMG\r\n"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sII")
_CRC = struct.Struct("<I")
_ARRAYS = ("codebook", "bias", "row_order", "ptr", "entries")


def _entry_dtype(config):
    return np.dtype("<u1") if config.entry_bits <= 8 else np.dtype("<u2")


def image_to_bytes(image):
    """Serialise an :class:`EIEImage`."""
    cfg = image.config
    payload, sections = bytearray(), []
    for layer in image.layers:
        arrays = {
            "codebook": np.asarray(layer.codebook, dtype="<i4"),
            "bias": np.asarray(layer.bias, dtype="<i4"),
            "row_order": np.asarray(layer.row_order, dtype="<i4"),
            "ptr": np.asarray(layer.ptr, dtype="<i4"),
            "entries": np.concatenate([np.asarray(e) for e in layer.entries]).astype(
                _entry_dtype(cfg)),
        }
        start = len(payload)
        section = {"n_in": layer.n_in, "n_out": layer.n_out, "w_frac": layer.w_frac,
                   "relu": layer.relu, "arrays": {}}
        for name, array in arrays.items():
            section["arrays"][name] = {"offset": len(payload), "dtype": array.dtype.str,
                                       "shape": list(array.shape)}
            payload += array.tobytes()
        section["crc32"] = zlib.crc32(payload[start:])
        sections.append(section)
    header = json.dumps({"config": cfg.to_dict(), "layers": sections}).encode()
    body = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)) + header + bytes(payload)
    return body + _CRC.pack(zlib.crc32(body))


def save_image(image, path):
    """Write ``image`` to ``path`` atomically: on any error no file (or the old one) remains."""
    data = image_to_bytes(image)
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return len(data)


def load_image(path):
    """Read and fully validate a ``.eie`` file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror})") from e
    return image_from_bytes(data, source=str(path))


def image_from_bytes(data, source="image"):
    """Parse and validate the bytes of a ``.eie`` file."""
    def fail(message):
        return ImageError(f"{source}: {message}")

    if len(data) < _PREFIX.size + _CRC.size:
        raise fail(f"truncated: {len(data)} bytes is shorter than the fixed header")
    magic, version, header_len = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise fail("not an EIE image (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise fail(f"format version {version} is not supported (this reader handles "
                   f"version {FORMAT_VERSION})")
    if len(data) < _PREFIX.size + header_len + _CRC.size:
        raise fail("truncated: the file ends inside the header")
    (stored_crc,) = _CRC.unpack_from(data, len(data) - _CRC.size)
    if zlib.crc32(data[:-_CRC.size]) != stored_crc:
        raise fail("checksum mismatch: the file is truncated or corrupted")
    try:
        header = json.loads(data[_PREFIX.size:_PREFIX.size + header_len].decode())
        config = EIEConfig.from_dict(header["config"])
        sections = header["layers"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as e:
        raise fail(f"malformed header ({e})") from e
    payload = data[_PREFIX.size + header_len:-_CRC.size]
    if not isinstance(sections, list) or not sections:
        raise fail("header lists no layers")
    layers = []
    for l, section in enumerate(sections):
        try:
            layers.append(_read_layer(config, section, payload, l))
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, ImageError):
                raise fail(str(e)) from e
            raise fail(f"layer {l}: malformed section ({e!r})") from e
    try:
        return EIEImage(config, tuple(layers))
    except ImageError as e:
        raise fail(str(e)) from e


def _read_layer(config, section, payload, l):
    arrays = {}
    first = min(section["arrays"][name]["offset"] for name in _ARRAYS)
    last = first
    for name in _ARRAYS:
        spec = section["arrays"][name]
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(s) for s in spec["shape"])
        count = int(np.prod(shape))
        start, end = int(spec["offset"]), int(spec["offset"]) + count * dtype.itemsize
        if start < 0 or end > len(payload):
            raise ImageError(f"layer {l}: array {name} lies outside the payload")
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=count,
                                     offset=start).reshape(shape).astype(np.int64)
        last = max(last, end)
    if zlib.crc32(payload[first:last]) != section["crc32"]:
        raise ImageError(f"layer {l}: section checksum mismatch")
    n_in, n_out = int(section["n_in"]), int(section["n_out"])
    ptr = arrays["ptr"]
    if ptr.shape != (config.n_pes, n_in + 1):
        raise ImageError(f"layer {l}: pointer table of shape {ptr.shape} does not match "
                         f"{config.n_pes} PEs × {n_in + 1}")
    if arrays["codebook"].shape != (config.codebook_size,) or arrays["bias"].shape != (n_out,) \
            or arrays["row_order"].shape != (n_out,):
        raise ImageError(f"layer {l}: codebook, bias or row_order has the wrong length")
    if ptr.min() < 0 or int(ptr[:, -1].sum()) != len(arrays["entries"]):
        raise ImageError(f"layer {l}: pointers account for {int(ptr[:, -1].sum())} entries, "
                         f"the section holds {len(arrays['entries'])}")
    bounds = np.concatenate([[0], np.cumsum(ptr[:, -1])])
    entries = tuple(arrays["entries"][bounds[k]:bounds[k + 1]].astype(np.uint32)
                    for k in range(config.n_pes))
    order = arrays["row_order"]
    if not np.array_equal(np.sort(order), np.arange(n_out)):
        raise ImageError(f"layer {l}: row_order is not a permutation")
    layer = EncodedLayer(n_in=n_in, n_out=n_out, codebook=arrays["codebook"],
                         w_frac=int(section["w_frac"]), bias=arrays["bias"],
                         relu=bool(section["relu"]), row_order=order, ptr=ptr, entries=entries)
    decode_layer(config, layer, name=f"layer {l}").validate(config, f"layer {l}")
    return layer
