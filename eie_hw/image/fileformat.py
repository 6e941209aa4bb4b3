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

Reading checks magic, version, sizes and checksums; that every header field is present, known
and of its JSON type (integers for integers, ``true``/``false`` for ``relu``, the dtype string
the writer uses) and range; shapes; that pointers are non-negative, start at 0 and never
decrease; and then decodes every layer, so a truncated, corrupted, wrong-version or
inconsistent file raises :class:`ImageError` naming the layer, PE and index, rather than
returning garbage.
"""

import json
import math
import os
import struct
import tempfile
import zlib
from dataclasses import fields
from pathlib import Path

import numpy as np

from eie_hw.config import EIEConfig

from .layer import ImageError
from .layout import EncodedLayer, check_pointers, decode_layer
from .network import EIEImage

__all__ = ["FORMAT_VERSION", "MAGIC", "save_image", "load_image", "image_to_bytes",
           "image_from_bytes", "write_atomic"]

MAGIC = b"EIEIMG\r\n"
FORMAT_VERSION = 2
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


def write_atomic(path, data):
    """Write the bytes ``data`` to ``path`` atomically (a temporary file in the same directory,
    then a rename): on any error no file (or the old one) remains. Returns ``len(data)``."""
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


def save_image(image, path):
    """Write ``image`` to ``path`` atomically: on any error no file (or the old one) remains."""
    return write_atomic(path, image_to_bytes(image))


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
    except (ValueError, UnicodeDecodeError) as e:
        raise fail(f"malformed header ({e})") from e
    try:
        _check_fields(header, ("config", "layers"), "header")
        _check_fields(header["config"], [f.name for f in fields(EIEConfig)], "header: config")
        for name, value in header["config"].items():
            _check_int(value, f"header: config.{name}", None)
    except ImageError as e:
        raise fail(str(e)) from e
    try:
        config = EIEConfig.from_dict(header["config"])
    except (ValueError, TypeError) as e:
        raise fail(f"malformed header ({e})") from e
    sections = header["layers"]
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


def _json(value):
    return json.dumps(value)


def _check_fields(obj, names, where):
    """``obj`` is a JSON object with exactly the fields ``names``."""
    if not isinstance(obj, dict):
        raise ImageError(f"{where} must be a JSON object, not {_json(obj)[:40]}")
    missing = [n for n in names if n not in obj]
    if missing:
        raise ImageError(f"{where} lacks the field(s) {', '.join(missing)}")
    unknown = sorted(set(obj) - set(names))
    if unknown:
        raise ImageError(f"{where} has unknown field(s) {', '.join(unknown)}")


def _check_int(value, where, lo=0, hi=None):
    """``value`` is a JSON integer (not a float, not a boolean) in ``lo … hi``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ImageError(f"{where} must be an integer, not {_json(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"at least {lo}" if hi is None else f"in {lo}…{hi}"
        raise ImageError(f"{where} must be {bounds}, not {value}")


def _check_section(config, section, l):
    """Types and ranges of one layer's header fields; the expected dtype of each array."""
    where = f"layer {l}"
    _check_fields(section, ("n_in", "n_out", "w_frac", "relu", "arrays", "crc32"), where)
    _check_int(section["n_in"], f"{where}: n_in", 1)
    _check_int(section["n_out"], f"{where}: n_out", 1)
    _check_int(section["w_frac"], f"{where}: w_frac", None)
    if not isinstance(section["relu"], bool):
        raise ImageError(f"{where}: relu must be a JSON boolean (true or false), not "
                         f"{_json(section['relu'])}")
    _check_int(section["crc32"], f"{where}: crc32", 0, 2 ** 32 - 1)
    _check_fields(section["arrays"], _ARRAYS, f"{where}: arrays")
    for name in _ARRAYS:
        spec, at = section["arrays"][name], f"{where}: arrays.{name}"
        _check_fields(spec, ("offset", "dtype", "shape"), at)
        _check_int(spec["offset"], f"{at}.offset")
        dtype = (_entry_dtype(config) if name == "entries" else np.dtype("<i4")).str
        if spec["dtype"] != dtype:
            raise ImageError(f"{at}.dtype must be {_json(dtype)}, not {_json(spec['dtype'])}")
        ndim = 2 if name == "ptr" else 1
        shape = spec["shape"]
        if not isinstance(shape, list) or len(shape) != ndim:
            raise ImageError(f"{at}.shape must be a list of {ndim} integers, not "
                             f"{_json(shape)[:40]}")
        for i, n in enumerate(shape):
            _check_int(n, f"{at}.shape[{i}]")


def _read_layer(config, section, payload, l):
    _check_section(config, section, l)
    arrays = {}
    first = min(section["arrays"][name]["offset"] for name in _ARRAYS)
    last = first
    for name in _ARRAYS:
        spec = section["arrays"][name]
        dtype = np.dtype(spec["dtype"])
        shape = tuple(spec["shape"])
        count = math.prod(shape)
        start, end = spec["offset"], spec["offset"] + count * dtype.itemsize
        if end > len(payload):
            raise ImageError(f"layer {l}: array {name} lies outside the payload")
        arrays[name] = np.frombuffer(payload, dtype=dtype, count=count,
                                     offset=start).reshape(shape).astype(np.int64)
        last = max(last, end)
    if zlib.crc32(payload[first:last]) != section["crc32"]:
        raise ImageError(f"layer {l}: section checksum mismatch")
    n_in, n_out = section["n_in"], section["n_out"]
    ptr = arrays["ptr"]
    if ptr.shape != (config.n_pes, n_in + 1):
        raise ImageError(f"layer {l}: pointer table of shape {ptr.shape} does not match "
                         f"{config.n_pes} PEs × {n_in + 1}")
    if arrays["codebook"].shape != (config.codebook_size,) or arrays["bias"].shape != (n_out,) \
            or arrays["row_order"].shape != (n_out,):
        raise ImageError(f"layer {l}: codebook, bias or row_order has the wrong length")
    check_pointers(ptr, f"layer {l}")
    if int(ptr[:, -1].sum()) != len(arrays["entries"]):
        raise ImageError(f"layer {l}: pointers account for {int(ptr[:, -1].sum())} entries, "
                         f"the section holds {len(arrays['entries'])}")
    bounds = np.concatenate([[0], np.cumsum(ptr[:, -1])])
    entries = tuple(arrays["entries"][bounds[k]:bounds[k + 1]].astype(np.uint32)
                    for k in range(config.n_pes))
    order = arrays["row_order"]
    if not np.array_equal(np.sort(order), np.arange(n_out)):
        raise ImageError(f"layer {l}: row_order is not a permutation")
    layer = EncodedLayer(n_in=n_in, n_out=n_out, codebook=arrays["codebook"],
                         w_frac=section["w_frac"], bias=arrays["bias"], relu=section["relu"],
                         row_order=order, ptr=ptr, entries=entries)
    decode_layer(config, layer, name=f"layer {l}").validate(config, f"layer {l}")
    return layer
