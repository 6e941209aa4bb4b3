"""Byte-aligned building blocks of the compressed model file (:mod:`compress.storage`).

Three kinds of field, each a whole number of bytes:

* ``u8`` — one byte;
* ``varint`` — an unsigned integer in LEB128 form: 7 bits per byte, least significant group
  first, the top bit set on every byte but the last; at most :data:`MAX_VARINT_BYTES` bytes;
* ``bits`` — ``count`` integers of ``width`` bits each (two's complement when signed), packed
  most-significant bit first, the block zero-padded to a whole byte.

:class:`ByteWriter` appends fields; :class:`ByteReader` reads them back and raises
``ValueError`` naming the field (``what``) when the data end inside it, a varint is longer than
:data:`MAX_VARINT_BYTES` or above its ``limit``, or a block's padding bits are not zero — so a
reader never runs past its data or accepts two encodings of one value. NumPy only.
"""

import numpy as np

__all__ = ["MAX_VARINT_BYTES", "MAX_FIELD_WIDTH", "ByteWriter", "ByteReader", "bits_bytes"]

MAX_VARINT_BYTES = 10
MAX_FIELD_WIDTH = 62


def bits_bytes(count, width):
    """Bytes of a ``bits`` block of ``count`` fields of ``width`` bits."""
    return -(-count * width // 8)


def _check_width(width):
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) \
            or not 0 <= width <= MAX_FIELD_WIDTH:
        raise ValueError(f"a bit field's width must be an integer in 0…{MAX_FIELD_WIDTH}, "
                         f"not {width!r}")


class ByteWriter:
    """Appends fields to a growing byte string (:meth:`getvalue`)."""

    def __init__(self):
        self._data = bytearray()

    def __len__(self):
        return len(self._data)

    def getvalue(self):
        """The bytes written so far."""
        return bytes(self._data)

    def u8(self, value):
        """One byte, ``0 ≤ value ≤ 255``."""
        if not 0 <= value <= 255:
            raise ValueError(f"a u8 field holds 0…255, not {value}")
        self._data.append(int(value))

    def varint(self, value):
        """An unsigned LEB128 integer, ``0 ≤ value < 2 ** (7 * MAX_VARINT_BYTES)``."""
        value = int(value)
        if not 0 <= value < 1 << (7 * MAX_VARINT_BYTES):
            raise ValueError(f"a varint holds 0…2**{7 * MAX_VARINT_BYTES} - 1, not {value}")
        while True:
            low, value = value & 0x7F, value >> 7
            self._data.append(low | (0x80 if value else 0))
            if not value:
                return

    def raw(self, data):
        """Bytes as they are."""
        self._data += data

    def bits(self, values, width, *, signed=False):
        """A ``bits`` block of ``values`` (any integer array), each in ``width`` bits; a value
        that does not fit raises ``ValueError``."""
        _check_width(width)
        values = np.asarray(values, dtype=np.int64).ravel()
        if not values.size or not width:
            if values.size and np.any(values):
                raise ValueError("a 0-bit field holds only 0")
            return
        lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
        if values.min() < lo or values.max() > hi:
            kind = "signed" if signed else "unsigned"
            raise ValueError(f"a value outside {lo}…{hi} does not fit a {width}-bit {kind} "
                             f"field")
        unsigned = values.astype(np.uint64) & np.uint64((1 << width) - 1)
        shifts = np.arange(width - 1, -1, -1, dtype=np.uint64)
        bits = ((unsigned[:, None] >> shifts) & np.uint64(1)).astype(np.uint8)
        self._data += np.packbits(bits.ravel()).tobytes()


class ByteReader:
    """Reads fields from ``data`` (bytes) starting at ``offset``."""

    def __init__(self, data, offset=0):
        self._data = bytes(data)
        self._pos = offset

    @property
    def position(self):
        """Offset of the next unread byte."""
        return self._pos

    @property
    def remaining(self):
        """Bytes not read yet."""
        return len(self._data) - self._pos

    def raw(self, n, what):
        """The next ``n`` bytes."""
        if n > self.remaining:
            raise ValueError(f"truncated: the data end inside {what} ({n} bytes needed, "
                             f"{self.remaining} left)")
        start = self._pos
        self._pos += n
        return self._data[start:self._pos]

    def u8(self, what):
        """One byte."""
        return self.raw(1, what)[0]

    def varint(self, what, limit=None):
        """An unsigned LEB128 integer; above ``limit`` (if given) raises ``ValueError``."""
        value = 0
        for i in range(MAX_VARINT_BYTES):
            byte = self.u8(what)
            value |= (byte & 0x7F) << (7 * i)
            if not byte & 0x80:
                if limit is not None and value > limit:
                    raise ValueError(f"{what} is {value}, more than {limit}")
                return value
        raise ValueError(f"{what}: a varint longer than {MAX_VARINT_BYTES} bytes")

    def bits(self, count, width, what, *, signed=False):
        """A ``bits`` block of ``count`` fields of ``width`` bits as an ``int64`` array."""
        _check_width(width)
        block = self.raw(bits_bytes(count, width), what)
        if not count or not width:
            return np.zeros(count, dtype=np.int64)
        bits = np.unpackbits(np.frombuffer(block, dtype=np.uint8))
        if np.any(bits[count * width:]):
            raise ValueError(f"{what}: the padding bits of the last byte are not zero")
        weights = np.uint64(1) << np.arange(width - 1, -1, -1, dtype=np.uint64)
        fields = bits[:count * width].reshape(count, width).astype(np.uint64)
        values = (fields * weights).sum(axis=1, dtype=np.uint64).astype(np.int64)
        if signed:
            values = np.where(values >= 1 << (width - 1), values - (1 << width), values)
        return values
