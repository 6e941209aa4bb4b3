"""The Deep Compression storage form of an EIE image: the ``.eiz`` file.

An ``.eiz`` file holds exactly what an :class:`~eie_hw.image.network.EIEImage` holds, so that
decoding it gives the ``.eie`` image back bit for bit, but stores it as Deep Compression does:
per layer the codebook, the biases, canonical Huffman codes (code lengths only,
:mod:`compress.huffman`) and the Huffman-coded EIE entries — weight indices and relative row
indices as two streams, padding entries included — and the per-PE column entry counts
(Huffman-coded too), from which the column pointers are a running sum. The layout (all fields
of :mod:`compress.bitstream`; docs/compressed-format.md)::

    magic      8 bytes  MAGIC
    version    u16 LE   FORMAT_VERSION
    body_len   u32 LE   bytes of the body
    body       config: varint field count, then every EIEConfig field (declaration order)
               varint layer count, then per layer:
                 varint n_in, varint n_out, u8 w_frac, u8 flags (bit 0 relu, bit 1 row order)
                 bits   codebook (codebook_size × weight_width, signed)
                 bits   bias (n_out × act_width, signed), in physical row order
                 bits   row_order (n_out × bit_length(n_out − 1)), only with flag bit 1
                 column counts: varint alphabet, code, stream  (n_pes × n_in, PE-major)
                 weight indices: code (alphabet codebook_size), stream
                 zero runs:      code (alphabet max_zero_run + 1), stream
    crc32      u32 LE   zlib.crc32 of everything before it

    code   = u8 width w, bits(alphabet × w): the code length of every symbol (0 = unused)
    stream = varint n_bits, then ceil(n_bits / 8) bytes, most-significant bit first

Reading checks the magic, the version, the length, the checksum, then every field as it is
read: a truncated, corrupted, wrong-version or inconsistent file raises
:class:`CompressedFileError` naming the file, the layer and the field, and the decoded image is
validated like a ``.eie`` file's (:func:`~eie_hw.image.layout.decode_layer`,
:class:`~eie_hw.image.network.EIEImage`).
"""

import struct
import zlib
from dataclasses import fields
from pathlib import Path

import numpy as np

from eie_hw.config import EIEConfig
from eie_hw.entry import pack_entries, unpack_entries
from eie_hw.image import EIEImage, EncodedLayer, ImageError, decode_layer, load_image
from eie_hw.image.fileformat import write_atomic

from . import huffman
from .bitstream import ByteReader, ByteWriter

__all__ = ["MAGIC", "FORMAT_VERSION", "SUFFIX", "CompressedFileError", "compressed_to_bytes",
           "compressed_from_bytes", "compressed_sizes", "save_compressed", "load_compressed",
           "read_image"]

MAGIC = b"EIEZ\r\n\x1a\n"
FORMAT_VERSION = 2
SUFFIX = ".eiz"
_PREFIX = struct.Struct("<8sHI")
_CRC = struct.Struct("<I")
_RELU, _ROW_ORDER = 1, 2
# Width of a stored code length: lengths up to 63 bits. A Huffman code word longer than that
# needs a stream of more than Fib(63) ≈ 6.6e12 symbols, far above any image's entry count.
_MAX_LENGTH_WIDTH = 6
_CONFIG_FIELDS = tuple(f.name for f in fields(EIEConfig))


class CompressedFileError(ImageError):
    """A ``.eiz`` file is truncated, corrupted, of another version or inconsistent."""


# Section: writing.

def _write_code(w, code, alphabet):
    lengths = np.array([code.lengths.get(s, 0) for s in range(alphabet)], dtype=np.int64)
    width = max(int(lengths.max(initial=0)).bit_length(), 1)
    if width > _MAX_LENGTH_WIDTH:  # pragma: no cover - see _MAX_LENGTH_WIDTH
        raise ValueError(f"a Huffman code length of {int(lengths.max())} bits is too long")
    w.u8(width)
    w.bits(lengths, width)


def _write_stream(w, symbols, alphabet, parts, name):
    """Code table and Huffman-coded ``symbols``; their sizes go to ``parts[name + "_code"]``
    and ``parts[name]``."""
    data, n_bits, code = huffman.encode(symbols)
    start = len(w)
    _write_code(w, code, alphabet)
    parts[f"{name}_code"] = len(w) - start
    start = len(w)
    w.varint(n_bits)
    w.raw(data)
    parts[name] = len(w) - start


def _write_layer(w, config, layer):
    """Append one :class:`EncodedLayer`; returns the bytes of each of its parts."""
    parts = {}
    start = len(w)
    order = np.asarray(layer.row_order, dtype=np.int64)
    permuted = not np.array_equal(order, np.arange(layer.n_out))
    w.varint(layer.n_in)
    w.varint(layer.n_out)
    w.u8(layer.w_frac)
    w.u8((_RELU if layer.relu else 0) | (_ROW_ORDER if permuted else 0))
    parts["fields"] = len(w) - start
    for name, values, width, signed in (
            ("codebook", layer.codebook, config.weight_width, True),
            ("bias", layer.bias, config.act_width, True),
            ("row_order", order if permuted else (), (layer.n_out - 1).bit_length(), False)):
        start = len(w)
        w.bits(values, width, signed=signed)
        parts[name] = len(w) - start
    counts = np.asarray(layer.column_counts, dtype=np.int64).ravel()
    alphabet = int(counts.max()) + 1
    start = len(w)
    w.varint(alphabet)
    counts_header = len(w) - start
    _write_stream(w, counts, alphabet, parts, "column_counts")
    parts["column_counts_code"] += counts_header
    codes = np.concatenate([np.asarray(e, dtype=np.int64) for e in layer.entries])
    weight_index, zero_run = unpack_entries(config, codes)
    _write_stream(w, weight_index, config.codebook_size, parts, "weight_index")
    _write_stream(w, zero_run, config.max_zero_run + 1, parts, "zero_run")
    return parts


def _encode(image):
    """``(file bytes, sizes)`` of ``image``; ``sizes`` as :func:`compressed_sizes`."""
    cfg = image.config
    w = ByteWriter()
    config = cfg.to_dict()
    w.varint(len(_CONFIG_FIELDS))
    for name in _CONFIG_FIELDS:
        w.varint(config[name])
    w.varint(len(image.layers))
    header = len(w)
    layers = []
    for layer in image.layers:
        layers.append(_write_layer(w, cfg, layer))
    body = w.getvalue()
    head = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(body)) + body
    data = head + _CRC.pack(zlib.crc32(head))
    sizes = {"header": _PREFIX.size + header + _CRC.size, "layers": layers, "total": len(data)}
    return data, sizes


def compressed_to_bytes(image):
    """The ``.eiz`` file of an :class:`~eie_hw.image.network.EIEImage`, as bytes."""
    return _encode(image)[0]


def compressed_sizes(image):
    """Where the bytes of ``image``'s ``.eiz`` file go: ``{"total": file bytes, "header":
    magic, version, length, configuration, layer count and checksum, "layers": [{part:
    bytes}]}``; a layer's parts are ``fields`` (shape, ``w_frac``, flags), ``codebook``,
    ``bias``, ``row_order`` and, for each of ``column_counts``, ``weight_index`` and
    ``zero_run``, the code table (``<name>_code``) and the coded stream (``<name>``).
    ``header`` and the layers' parts add up to ``total``."""
    return _encode(image)[1]


def save_compressed(image, path):
    """Write ``image``'s ``.eiz`` file to ``path`` atomically; returns its size in bytes."""
    return write_atomic(path, compressed_to_bytes(image))


# Section: reading.

def _read_code(r, alphabet, what):
    width = r.u8(f"{what} code width")
    if not 1 <= width <= _MAX_LENGTH_WIDTH:
        raise ValueError(f"{what} code: length width {width} is not in 1…{_MAX_LENGTH_WIDTH}")
    lengths = r.bits(alphabet, width, f"{what} code lengths")
    used = {s: int(n) for s, n in enumerate(lengths) if n}
    if len(used) == 1:
        if next(iter(used.values())) != 1:
            raise ValueError(f"{what} code: a single symbol must have a 1-bit code")
    elif used:
        longest = max(used.values())
        if sum(1 << (longest - n) for n in used.values()) != 1 << longest:
            raise ValueError(f"{what} code: the code lengths do not form a complete prefix code")
    return huffman.HuffmanCode(used)


def _read_stream(r, alphabet, count, what):
    """``count`` symbols of a coded stream (a code table, then the stream)."""
    code = _read_code(r, alphabet, what)
    n_bits = r.varint(f"{what} stream length")
    data = r.raw(-(-n_bits // 8), f"{what} stream")
    if n_bits % 8 and data[-1] & ((1 << (8 - n_bits % 8)) - 1):
        raise ValueError(f"{what} stream: the padding bits of the last byte are not zero")
    try:
        symbols = huffman.decode(data, n_bits, code)
    except ValueError as e:
        raise ValueError(f"{what} stream: {e}") from None
    if count is not None and len(symbols) != count:
        raise ValueError(f"{what} stream holds {len(symbols)} symbols, expected {count}")
    return np.asarray(symbols, dtype=np.int64)


def _read_layer(r, config, l):
    n_in = r.varint("n_in", limit=config.max_layer_inputs)
    n_out = r.varint("n_out", limit=config.max_layer_outputs)
    if not n_in or not n_out:
        raise ValueError(f"the layer has {n_in} inputs and {n_out} outputs; both must be at "
                         f"least 1")
    w_frac = r.u8("w_frac")
    flags = r.u8("flags")
    if flags & ~(_RELU | _ROW_ORDER):
        raise ValueError(f"flags {flags:#04x} has unknown bits set")
    codebook = r.bits(config.codebook_size, config.weight_width, "codebook", signed=True)
    bias = r.bits(n_out, config.act_width, "bias", signed=True)
    if flags & _ROW_ORDER:
        order = r.bits(n_out, (n_out - 1).bit_length(), "row_order")
        if not np.array_equal(np.sort(order), np.arange(n_out)):
            raise ValueError("row_order is not a permutation")
    else:
        order = np.arange(n_out, dtype=np.int64)
    alphabet = r.varint("column-count alphabet", limit=config.max_entries_per_pe + 1)
    if not alphabet:
        raise ValueError("the column-count alphabet is empty")
    counts = _read_stream(r, alphabet, config.n_pes * n_in, "column-count")
    ptr = np.zeros((config.n_pes, n_in + 1), dtype=np.int64)
    np.cumsum(counts.reshape(config.n_pes, n_in), axis=1, out=ptr[:, 1:])
    total = int(ptr[:, -1].sum())
    weight_index = _read_stream(r, config.codebook_size, total, "weight-index")
    zero_run = _read_stream(r, config.max_zero_run + 1, total, "zero-run")
    codes = pack_entries(config, weight_index, zero_run)
    bounds = np.concatenate([[0], np.cumsum(ptr[:, -1])])
    layer = EncodedLayer(n_in=n_in, n_out=n_out, codebook=codebook, w_frac=int(w_frac),
                         bias=bias, relu=bool(flags & _RELU), row_order=order, ptr=ptr,
                         entries=tuple(codes[bounds[k]:bounds[k + 1]]
                                       for k in range(config.n_pes)))
    decode_layer(config, layer, name=f"layer {l}").validate(config, f"layer {l}")
    return layer


def _read_config(r):
    count = r.varint("the configuration's field count")
    if count != len(_CONFIG_FIELDS):
        raise ValueError(f"the configuration has {count} fields; this version's has "
                         f"{len(_CONFIG_FIELDS)}")
    values = {name: r.varint(f"config.{name}") for name in _CONFIG_FIELDS}
    try:
        return EIEConfig.from_dict(values)
    except (TypeError, ValueError) as e:
        raise ValueError(f"config: {e}") from e


def compressed_from_bytes(data, source="compressed model"):
    """The :class:`~eie_hw.image.network.EIEImage` of the bytes of a ``.eiz`` file; anything
    wrong with them raises :class:`CompressedFileError` beginning with ``source``."""
    def fail(message):
        return CompressedFileError(f"{source}: {message}")

    data = bytes(data)
    if len(data) < _PREFIX.size + _CRC.size:
        raise fail(f"truncated: {len(data)} bytes is shorter than the fixed header "
                   f"({_PREFIX.size + _CRC.size} bytes)")
    magic, version, body_len = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise fail("not an EIE compressed model (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise fail(f"format version {version} is not supported (this reader handles version "
                   f"{FORMAT_VERSION})")
    expected = _PREFIX.size + body_len + _CRC.size
    if len(data) < expected:
        raise fail(f"truncated: the header announces {expected} bytes, the file has "
                   f"{len(data)}")
    if len(data) > expected:
        raise fail(f"{len(data) - expected} bytes follow the checksum")
    (stored,) = _CRC.unpack_from(data, len(data) - _CRC.size)
    if zlib.crc32(data[:-_CRC.size]) != stored:
        raise fail("checksum mismatch: the file is corrupted")
    r = ByteReader(data[_PREFIX.size:-_CRC.size])
    where = "header"
    try:
        config = _read_config(r)
        n_layers = r.varint("the layer count", limit=config.max_layers)
        if not n_layers:
            raise ValueError("the file holds no layers")
        layers = []
        for l in range(n_layers):
            where = f"layer {l}"
            layers.append(_read_layer(r, config, l))
        where = "body"
        if r.remaining:
            raise ValueError(f"{r.remaining} bytes follow the last layer")
        return EIEImage(config, tuple(layers))
    except ImageError as e:
        raise fail(str(e)) from e
    except ValueError as e:
        raise fail(f"{where}: {e}") from e


def load_compressed(path):
    """Read and fully validate a ``.eiz`` file; returns its
    :class:`~eie_hw.image.network.EIEImage`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CompressedFileError(f"{path}: cannot read ({e.strerror})") from e
    return compressed_from_bytes(data, source=str(path))


def read_image(path):
    """The :class:`~eie_hw.image.network.EIEImage` of a ``.eiz`` or ``.eie`` file, told apart
    by their magic bytes (a file with neither is refused by the ``.eie`` reader)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            magic = f.read(len(MAGIC))
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror})") from e
    return load_compressed(path) if magic == MAGIC else load_image(path)
