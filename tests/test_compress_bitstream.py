"""Varints and packed bit fields of the compressed model file: round trips against plain-loop
oracles, and every way reading can fail."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import leb128, packed_bits

from compress.bitstream import MAX_VARINT_BYTES, ByteReader, ByteWriter, bits_bytes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2 ** 70 - 1), max_size=20))
def test_varints(values):
    w = ByteWriter()
    for v in values:
        w.varint(v)
    assert w.getvalue() == b"".join(leb128(v) for v in values)
    r = ByteReader(w.getvalue())
    assert [r.varint("v") for _ in values] == values
    assert r.remaining == 0


@settings(max_examples=300, deadline=None)
@given(st.data(), st.integers(0, 40), st.booleans())
def test_bit_fields(data, width, signed):
    if signed and width:
        field = st.integers(-(1 << (width - 1)), (1 << (width - 1)) - 1)
    else:
        field = st.integers(0, (1 << width) - 1)
    values = data.draw(st.lists(field, max_size=50))
    w = ByteWriter()
    w.bits(values, width, signed=signed)
    w.u8(0xA5)
    assert w.getvalue() == packed_bits(values, width) + b"\xa5"
    assert len(w) == bits_bytes(len(values), width) + 1
    r = ByteReader(w.getvalue())
    assert r.bits(len(values), width, "f", signed=signed).tolist() == values
    assert r.u8("end") == 0xA5 and r.remaining == 0


def test_known_encodings():
    """LEB128's own examples (DWARF specification, figure 22) and a 3-bit block."""
    w = ByteWriter()
    for v in (2, 127, 128, 129, 130, 12857):
        w.varint(v)
    assert w.getvalue() == bytes([2, 127, 0x80, 1, 0x81, 1, 0x82, 1, 0xB9, 100])
    w = ByteWriter()
    w.bits([5, 1, 7], 3)                   # 101 001 111 → 1010 0111 1000 0000
    assert w.getvalue() == b"\xa7\x80"


def test_read_errors():
    with pytest.raises(ValueError, match=r"^truncated: the data end inside n_in \(1 bytes "
                                         r"needed, 0 left\)$"):
        ByteReader(b"\x80").varint("n_in")
    with pytest.raises(ValueError, match=rf"^count: a varint longer than {MAX_VARINT_BYTES} "
                                         rf"bytes$"):
        ByteReader(b"\xff" * 11).varint("count")
    with pytest.raises(ValueError, match=r"^n_out is 300, more than 299$"):
        ByteReader(b"\xac\x02").varint("n_out", limit=299)
    with pytest.raises(ValueError, match=r"^truncated: the data end inside bias \(3 bytes "
                                         r"needed, 2 left\)$"):
        ByteReader(b"\x00\x00").bits(2, 11, "bias")
    with pytest.raises(ValueError, match=r"^bias: the padding bits of the last byte are not "
                                         r"zero$"):
        ByteReader(b"\x00\x00\x01").bits(2, 11, "bias")


def test_write_errors():
    w = ByteWriter()
    with pytest.raises(ValueError, match=r"^a value outside -8…7 does not fit a 4-bit signed "
                                         r"field$"):
        w.bits([3, 8], 4, signed=True)
    with pytest.raises(ValueError, match=r"^a value outside 0…15 does not fit a 4-bit unsigned "
                                         r"field$"):
        w.bits(np.array([-1]), 4)
    with pytest.raises(ValueError, match=r"^a u8 field holds 0…255, not 256$"):
        w.u8(256)
    with pytest.raises(ValueError, match=r"^a varint holds"):
        w.varint(-1)
    with pytest.raises(ValueError, match=r"^a 0-bit field holds only 0$"):
        w.bits([1], 0)
    assert len(w) == 0
