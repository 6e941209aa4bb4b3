"""The link's frame format (boards.frame): CRC, SLIP, sizes and word checks."""

import binascii
import re

import numpy as np
import pytest
from helpers import simulate

from boards.frame import (
    BUFFER_DEPTH,
    END,
    ESC,
    FrameFormat,
    SlipReader,
    Status,
    crc16,
    crc16_step,
    slip_encode,
)
from eie_hw.host.words import Write
from eie_hw.protocol import Space, layer_layout, memory_map
from sim.verify.configs import small_config

CFG = small_config(n_pes=4, act_depth=16)


def test_crc_known_value_and_bitwise_step(seed, rng):
    assert crc16(b"123456789") == 0x29B1            # CRC-16/CCITT-FALSE check value
    data = rng.integers(0, 256, size=50).astype(np.uint8).tobytes()
    crc = 0xFFFF
    for b in data:
        crc = crc16_step(crc, b, lambda s, a, b_: a if s else b_)
    assert crc == crc16(data) == binascii.crc_hqx(data, 0xFFFF), f"seed={seed}"
    body = data + crc.to_bytes(2, "big")
    assert crc16(body) == 0


def test_slip_round_trip_with_specials(seed, rng):
    bodies = [bytes([END, ESC, 1, END]), b"", rng.integers(0, 256, 300).astype(np.uint8).tobytes()]
    wire = b"".join(slip_encode(b) for b in bodies)
    assert wire.count(bytes([END])) == 2 * len(bodies)
    reader = SlipReader()
    got = []
    for i in range(0, len(wire), 7):                # arbitrary chunking
        got += reader.feed(wire[i:i + 7])
    assert got == [b for b in bodies if b], f"seed={seed}"
    assert SlipReader().feed(bytes([END, 1, ESC, 5, 2, END])) == [None]


def test_request_and_response_parsing():
    fmt = FrameFormat(CFG)
    (body,) = SlipReader().feed(fmt.request(4, 9, b"\xc0"))
    assert body[:3] == bytes([4, 9, END]) and crc16(body) == 0
    resp_body = bytes([4, 9, 0, 7]) + crc16(bytes([4, 9, 0, 7])).to_bytes(2, "big")
    resp = FrameFormat.parse_response(resp_body)
    assert (resp.cmd, resp.seq, resp.status, resp.payload) == (4, 9, Status.OK, b"\x07")
    assert FrameFormat.parse_response(resp_body[:-1] + b"\x00") is None
    assert FrameFormat.parse_response(None) is None


def test_sizes_follow_the_config():
    fmt = FrameFormat(CFG)
    assert fmt.word_bytes * 8 >= 3 + 2 + memory_map(CFG)[Space.PTR_EVEN].depth.bit_length()
    assert fmt.max_write_words * fmt.word_bytes <= BUFFER_DEPTH - 4
    assert fmt.act_bytes == 2
    assert len(fmt.info_bytes()) == 4 * (1 + len(CFG.to_dict()))
    assert fmt.info_bytes() != FrameFormat(CFG.replace(n_pes=8)).info_bytes()
    with pytest.raises(TypeError, match=re.escape("FrameFormat: config must be an EIEConfig, "
                                                  "not 4")):
        FrameFormat(4)


@pytest.mark.parametrize("word, ok", [
    (Write(Space.ACT, 3, 15, 0xFFFF), True),
    (Write(Space.ACT, 3, 16, 0), False),                   # act_depth is 16
    (Write(Space.ACT, 4, 0, 0), False),                    # 4 PEs
    (Write(Space.BIAS, 0, 0, 1 << 16), False),             # 16-bit data
    (Write(Space.PTR_ODD, 0, 127, 5), True),
    (Write(Space.PTR_ODD, 0, 128, 5), False),              # ptr_depth // 2
    (Write(Space.CODEBOOK, 0, 63, 5), True),
    (Write(Space.CODEBOOK, 0, 64, 5), False),
    (Write(Space.LAYER, 0, 3, (1 << layer_layout(CFG).size) - 1), True),
    (Write(Space.LAYER, 0, 4, 0), False),
    (Write(Space.START, 0, 0, 1), False),                  # START has its own command
])
def test_check_write(word, ok):
    assert (FrameFormat(CFG).check_write(word) is None) == ok


def test_gateware_crc_step_matches_host(seed, rng):
    """boards.slip.crc16_next (XOR network) equals the host's CRC step."""
    from amaranth import Module, Signal

    from boards.slip import crc16_next

    crc, byte, out = Signal(16), Signal(8), Signal(16)
    m = Module()
    m.d.comb += out.eq(crc16_next(crc, byte))
    cases = [(int(c), int(b)) for c, b in zip(rng.integers(0, 1 << 16, 40),
                                              rng.integers(0, 256, 40), strict=True)]
    got = []

    async def bench(ctx):
        for c, b in cases:
            ctx.set(crc, c)
            ctx.set(byte, b)
            got.append(ctx.get(out))

    simulate(m, bench, clock=None)
    assert got == [crc16(bytes([b]), c) for c, b in cases], f"seed={seed}"
