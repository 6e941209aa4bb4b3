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
