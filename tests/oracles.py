"""Independent oracles shared by several test files."""

import heapq
from collections import Counter


def optimal_prefix_code_bits(counts):
    """Bits of an optimal prefix code for symbol ``counts`` (a Counter or dict): the sum of the
    internal-node weights of any Huffman merge order; one bit per symbol for a single symbol."""
    if len(counts) <= 1:
        return sum(counts.values())
    heap = list(counts.values())
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def optimal_stream_bits(symbols):
    return optimal_prefix_code_bits(Counter(symbols))


def leb128(value):
    """Unsigned LEB128 by the textbook loop: 7 bits per byte, low group first, the top bit set
    on every byte but the last."""
    out = []
    while True:
        byte = value % 128
        value //= 128
        out.append(byte + 128 if value else byte)
        if not value:
            return bytes(out)


def packed_bits(values, width):
    """``values`` as ``width``-bit fields (two's complement for negative values), most-significant
    bit first, zero-padded to whole bytes — built as a string of '0'/'1' characters."""
    text = "".join(format(v % (1 << width), f"0{width}b") for v in values) if width else ""
    text += "0" * (-len(text) % 8)
    return bytes(int(text[i:i + 8], 2) for i in range(0, len(text), 8))
