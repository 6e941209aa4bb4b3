"""Canonical Huffman coding of integer symbol streams (Deep Compression §4), pure Python.

A code is described by its code lengths alone (canonical form, as in DEFLATE): symbols are
sorted by ``(length, symbol)`` and given consecutive codes, so a decoder needs only the table of
lengths. Bits are written most-significant first; the last byte is zero-padded and the exact bit
count travels with the data.

A stream with a single distinct symbol gets a 1-bit code; an empty stream an empty code.
"""

import heapq
from collections import Counter
from dataclasses import dataclass

__all__ = ["HuffmanCode", "huffman_code", "encode", "decode", "table_bits"]


@dataclass(frozen=True)
class HuffmanCode:
    """A canonical prefix code.

    Members
    -------
    lengths : dict
        ``{symbol: code length in bits}`` for every symbol the code can encode.
    """

    lengths: dict

    def codes(self):
        """``{symbol: (code, length)}`` in canonical order."""
        result, code, previous = {}, 0, 0
        for symbol, length in sorted(self.lengths.items(), key=lambda item: (item[1], item[0])):
            code <<= length - previous
            result[symbol] = (code, length)
            code += 1
            previous = length
        return result

    def encoded_bits(self, counts):
        """Bits needed for a stream with symbol ``counts`` (``{symbol: count}``)."""
        return sum(self.lengths[s] * n for s, n in counts.items())


def huffman_code(symbols):
    """The Huffman code of the symbol frequencies of ``symbols`` (any iterable of ints)."""
    counts = Counter(int(s) for s in symbols)
    if not counts:
        return HuffmanCode({})
    if len(counts) == 1:
        return HuffmanCode({next(iter(counts)): 1})
    # Heap items: (weight, tie-breaker, symbols in the subtree); merging deepens them by one.
    heap = [(n, s, [s]) for s, n in sorted(counts.items())]
    heapq.heapify(heap)
    lengths = dict.fromkeys(counts, 0)
    while len(heap) > 1:
        n1, t1, group1 = heapq.heappop(heap)
        n2, t2, group2 = heapq.heappop(heap)
        for s in group1 + group2:
            lengths[s] += 1
        heapq.heappush(heap, (n1 + n2, min(t1, t2), group1 + group2))
    return HuffmanCode(lengths)


def encode(symbols, code=None):
    """Encode ``symbols``; returns ``(data: bytes, n_bits: int, code: HuffmanCode)``.

    ``code`` defaults to the stream's own Huffman code. A symbol missing from ``code`` raises
    ``ValueError``.
    """
    symbols = [int(s) for s in symbols]
    code = huffman_code(symbols) if code is None else code
    table = code.codes()
    parts = []
    for s in symbols:
        try:
            value, length = table[s]
        except KeyError:
            raise ValueError(f"symbol {s} is not in the Huffman code") from None
        parts.append(format(value, f"0{length}b"))
    bits = "".join(parts)
    n_bits = len(bits)
    if not n_bits:
        return b"", 0, code
    padded = bits + "0" * (-n_bits % 8)
    return int(padded, 2).to_bytes(len(padded) // 8, "big"), n_bits, code


def decode(data, n_bits, code):
    """Decode ``n_bits`` bits of ``data`` with ``code``; returns a list of symbols.

    Raises ``ValueError`` if the bits do not form whole code words.
    """
    if n_bits > 8 * len(data):
        raise ValueError(f"{n_bits} bits requested from {len(data)} bytes")
    by_word = {(length, value): s for s, (value, length) in code.codes().items()}
    max_len = max(code.lengths.values(), default=0)
    bits = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")[:n_bits] if data else ""
    out, value, length = [], 0, 0
    for bit in bits:
        value = (value << 1) | (bit == "1")
        length += 1
        symbol = by_word.get((length, value))
        if symbol is not None:
            out.append(symbol)
            value = length = 0
        elif length >= max_len:
            raise ValueError("invalid Huffman code word in the stream")
    if length:
        raise ValueError("Huffman stream ends inside a code word")
    return out


def table_bits(code, alphabet_size):
    """Bits to store ``code`` as a table of code lengths over an alphabet of
    ``alphabet_size`` symbols: a 5-bit field width, then one length (0 = unused) per symbol."""
    max_len = max(code.lengths.values(), default=0)
    return 5 + alphabet_size * max(max_len.bit_length(), 1)
