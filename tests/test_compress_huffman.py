"""Canonical Huffman coding: round trips, prefix codes, optimal length."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import optimal_prefix_code_bits

from compress.huffman import HuffmanCode, decode, encode, huffman_code, table_bits

streams = st.lists(st.integers(0, 15), max_size=600) | st.lists(
    st.sampled_from([0, 1, 1, 1, 2, 7, 200]), max_size=300)


@settings(max_examples=200, deadline=None)
@given(streams)
def test_round_trip(symbols):
    data, n_bits, code = encode(symbols)
    assert len(data) == -(-n_bits // 8)
    assert decode(data, n_bits, code) == symbols


@settings(max_examples=200, deadline=None)
@given(streams)
def test_code_is_prefix_free_complete_and_optimal(symbols):
    code = huffman_code(symbols)
    counts = Counter(symbols)
    assert set(code.lengths) == set(counts)
    words = [format(v, f"0{n}b") for v, n in code.codes().values()]
    for a in words:
        assert not any(b != a and b.startswith(a) for b in words), words
    if len(counts) > 1:
        assert sum(2.0 ** -n for n in code.lengths.values()) == pytest.approx(1.0)
    _, n_bits, _ = encode(symbols, code)
    assert n_bits == code.encoded_bits(counts) == optimal_prefix_code_bits(counts)


def test_canonical_order():
    code = HuffmanCode({5: 2, 1: 1, 9: 3, 2: 3})
    assert code.codes() == {1: (0b0, 1), 5: (0b10, 2), 2: (0b110, 3), 9: (0b111, 3)}


def test_edge_cases_and_errors():
    assert encode([]) == (b"", 0, HuffmanCode({}))
    data, n_bits, code = encode([4, 4, 4])
    assert n_bits == 3 and decode(data, n_bits, code) == [4, 4, 4]
    with pytest.raises(ValueError, match=r"^symbol 3 is not in the Huffman code$"):
        encode([3], code)
    data, n_bits, code = encode([2, 2, 2, 2, 0, 1])  # 2 → "0", 0 → "10", 1 → "11"
    with pytest.raises(ValueError, match=r"^Huffman stream ends inside a code word$"):
        decode(data, n_bits - 1, code)
    with pytest.raises(ValueError, match=r"bits requested"):
        decode(data, 8 * len(data) + 1, code)
    assert table_bits(code, 16) == 5 + 16 * 2
