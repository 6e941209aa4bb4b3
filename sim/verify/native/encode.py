"""Host words as the harness takes them: :class:`~eie_hw.host.words.Write` words and read
requests packed into little-endian 32-bit word arrays, many at a time.

The result equals :func:`eie_hw.host.words.encode_write` / :func:`~eie_hw.host.words.
encode_read` word for word (the layouts come from :mod:`eie_hw.protocol`; tests check the
equality), including its refusal of a value that does not fit its field. It only avoids a call
per field and word, which costs more than the simulated cycle that moves the word: fields of
up to 64 bits with non-negative values are packed by numpy, anything else (a negative value,
a wider field) by Python integers.
"""

import enum
from operator import attrgetter

import numpy as np

from eie_hw.protocol import read_req_layout, write_layout

__all__ = ["stride", "encode_writes", "encode_reads"]

_MASK32 = np.uint64(0xFFFF_FFFF)


def stride(layout):
    """32-bit words per payload of ``layout``."""
    return max(1, -(-layout.size // 32))


def _fields(layout):
    return [(name, field.offset, field.width) for name, field in layout]


def _fits(name, values, width):
    if values and not (-(1 << width) < min(values) and max(values) < (1 << width)):
        bad = next(v for v in values if not -(1 << width) < v < (1 << width))
        raise ValueError(f"field {name}={bad} does not fit {width} bits")


def _pack_numpy(fields, columns, n, n_words):
    """The packing with numpy, or ``None`` where a column does not fit ``uint64``."""
    out = np.zeros((n, n_words), dtype=np.uint64)
    for name, offset, width in fields:
        if width > 64:
            return None
        try:
            values = np.array(columns[name], dtype=np.uint64)
        except OverflowError:           # a negative value: two's complement below
            return None
        for k in range(offset // 32, (offset + width - 1) // 32 + 1):
            low = 32 * k
            piece = (values >> np.uint64(low - offset)) if low > offset else \
                (values << np.uint64(offset - low))
            out[:, k] |= piece & _MASK32
    return out.astype("<u4")


def _pack_python(fields, columns, n, n_words):
    payloads = [0] * n
    for name, offset, width in fields:
        mask = (1 << width) - 1
        payloads = [p | ((v & mask) << offset)
                    for p, v in zip(payloads, columns[name], strict=True)]
    data = b"".join(p.to_bytes(4 * n_words, "little") for p in payloads)
    return np.frombuffer(data, dtype="<u4").reshape(n, n_words)


def _pack(layout, columns, n):
    """``columns``: name → list of ``n`` ``int``; a ``(n, stride)`` ``uint32`` array."""
    fields = _fields(layout)
    for name, _, width in fields:
        _fits(name, columns[name], width)
    n_words = stride(layout)
    packed = _pack_numpy(fields, columns, n, n_words)
    return packed if packed is not None else _pack_python(fields, columns, n, n_words)


def _column(words, name):
    return [int(v) for v in map(attrgetter(name), words)]


def encode_writes(config, words):
    """The ``write`` payloads of ``words`` (:class:`~eie_hw.host.words.Write`), an
    ``(n, stride)`` ``uint32`` array. Raises ``ValueError`` if a field does not fit."""
    words = list(words)
    space = [s.value if isinstance(s, enum.Enum) else int(s) for s in map(attrgetter("space"),
                                                                           words)]
    return _pack(write_layout(config), {"space": space, "pe": _column(words, "pe"),
                                        "addr": _column(words, "addr"),
                                        "data": _column(words, "data")}, len(words))


def encode_reads(config, requests):
    """The ``read_req`` payloads of ``(pe, addr)`` ``requests``, an ``(n, stride)`` array."""
    requests = list(requests)
    return _pack(read_req_layout(config), {"pe": [int(r[0]) for r in requests],
                                           "addr": [int(r[1]) for r in requests]},
                 len(requests))
