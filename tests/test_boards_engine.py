"""The frame engine (boards.engine) with EIETop, on byte streams: every bad frame gets an
error response, has no effect, and the next good frame works."""

import pytest
from helpers import RTL_LAYER

from boards.frame import (
    BUFFER_DEPTH,
    END,
    ESC,
    START_BYTES,
    Command,
    FrameFormat,
    SlipReader,
    Status,
    crc16,
)
from boards.host import DeviceError, EIEDevice
from boards.transport import SimulationTransport
from eie_hw.host.words import Write, encode_read, encode_write, load_transactions
from eie_hw.image.network import encode_network
from eie_hw.protocol import Space, pack, pack_layer_entry, read_req_layout, write_layout
from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer

CFG = small_config(n_pes=2, fifo_depth=2, act_depth=16)
FMT = FrameFormat(CFG)


@pytest.fixture(scope="module")
def link():
    """One simulated link for the module: the tests also check that nothing leaves it stuck."""
    return SimulationTransport(CFG)


def exchange(link, wire, n_responses=1, cycles=3000):
    """Send raw bytes; the parsed responses (``None`` for a corrupt one) after ``cycles``."""
    link.write(wire)
    reader, bodies = SlipReader(), []
    for _ in range(cycles // 250):
        bodies += reader.feed(link.read(250 / 200_000))
        if len(bodies) >= n_responses:
            break
    return [FrameFormat.parse_response(b) for b in bodies]


def body(cmd, seq, payload=b""):
    raw = bytes([cmd, seq]) + payload
    return raw + crc16(raw).to_bytes(2, "big")


def frame(raw):
    """SLIP-escape a body (possibly a corrupt one)."""
    out = bytearray([END])
    for b in raw:
        out += {END: bytes([ESC, 0xDC]), ESC: bytes([ESC, 0xDD])}.get(b, bytes([b]))
    return bytes(out + bytes([END]))


def ok_info(link, seq=77):
    (resp,) = exchange(link, frame(body(Command.INFO, seq)))
    assert (resp.seq, resp.status, resp.payload) == (seq, Status.OK, FMT.info_bytes())


def words_payload(words):
    return b"".join(encode_write(CFG, w).to_bytes(FMT.word_bytes, "little") for w in words)


def read_act(link, pe, addr, seq=90):
    payload = encode_read(CFG, pe, addr).to_bytes(FMT.read_bytes, "little")
    (resp,) = exchange(link, frame(body(Command.READ, seq, payload)))
    assert resp.status == Status.OK
    return int.from_bytes(resp.payload, "little", signed=True)


def good_write(value):
    return frame(body(Command.WRITE, 5, words_payload([Write(Space.ACT, 1, 3, value)])))


BAD_FRAMES = {
    "bad_crc": frame(body(Command.INFO, 1)[:-1] + b"\x00"),
    "short": frame(bytes([Command.INFO, 1, 0x12])),
    "bad_escape": bytes([END, Command.INFO, 1, ESC, 0x42, END]),
    "escape_at_end": bytes([END, Command.INFO, 1, ESC, END]),
    "unknown_command": frame(body(0x7E, 1)),
    "info_with_payload": frame(body(Command.INFO, 1, b"\x00")),
    "start_wrong_length": frame(body(Command.START, 1, b"\x01")),
    "write_empty": frame(body(Command.WRITE, 1)),
    "write_partial_word": frame(body(Command.WRITE, 1, good_write(7)[1:-1][2:-2][:-1])),
    "oversized": frame(bytes([Command.WRITE, 1]) + bytes(BUFFER_DEPTH + 10)),
    "read_beyond_act_depth": frame(body(Command.READ, 1, encode_read(
        CFG, 0, CFG.act_depth).to_bytes(FMT.read_bytes, "little"))),
}
EXPECTED = {
    "bad_crc": Status.CRC, "short": Status.FRAME, "bad_escape": Status.FRAME,
    "escape_at_end": Status.FRAME, "unknown_command": Status.COMMAND,
    "info_with_payload": Status.LENGTH, "start_wrong_length": Status.LENGTH,
    "write_empty": Status.LENGTH, "write_partial_word": Status.LENGTH,
    "oversized": Status.LENGTH, "read_beyond_act_depth": Status.ARGUMENT,
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_bad_frame_gets_error_then_good_frame_works(link, name):
    (resp,) = exchange(link, BAD_FRAMES[name])
    assert resp is not None and resp.status == EXPECTED[name], name
    ok_info(link)


@pytest.mark.parametrize("bad", [
    Write(Space.ACT, 0, CFG.act_depth, 1),                 # address past the memory
    Write(Space.BIAS, 0, 0, 1 << CFG.act_width),           # data wider than the memory
    Write(Space.START, 0, 0, 1),                           # START only by its command
    Write(Space.LAYER, 0, CFG.max_layers, 0),
])
def test_write_frame_is_all_or_nothing(link, bad, seed, rng):
    """A WRITE frame with one bad word is refused and writes none of its words."""
    before = int(rng.integers(-1000, 1000))
    (resp,) = exchange(link, good_write(before & 0xFFFF))
    assert resp.status == Status.OK
    words = [Write(Space.ACT, 1, 3, (before + 1) & 0xFFFF), bad]
    (resp,) = exchange(link, frame(body(Command.WRITE, 6, words_payload(words))))
    assert resp.status == Status.ARGUMENT
    assert read_act(link, 1, 3) == before, f"seed={seed}"


def test_padding_bits_of_a_word_must_be_zero(link):
    word = encode_write(CFG, Write(Space.ACT, 0, 0, 1)).to_bytes(FMT.word_bytes, "little")
    spare = 8 * FMT.word_bytes - (encode_write(CFG, Write(Space.LAYER, 1, 0, 0)).bit_length())
    assert spare > 0
    word = (int.from_bytes(word, "little") | 1 << (8 * FMT.word_bytes - 1)).to_bytes(
        FMT.word_bytes, "little")
    (resp,) = exchange(link, frame(body(Command.WRITE, 3, word)))
    assert resp.status == Status.ARGUMENT


def test_line_noise_then_frame(link):
    """Noise without a closing END is closed by the next frame's END: one error response for
    the noise, then the frame's own response (matched by seq)."""
    resps = exchange(link, bytes([0x31, 0x32, 0x33]) + frame(body(Command.INFO, 42)),
                     n_responses=2)
    assert [r.status for r in resps] == [Status.FRAME, Status.OK]
    assert resps[1].seq == 42 and resps[1].payload == FMT.info_bytes()


def test_busy_while_a_job_runs(seed, rng):
    """WRITE, START and READ during a job answer BUSY; STATUS works; afterwards all work."""
    link = SimulationTransport(CFG)
    image = encode_network(CFG, [random_layer(rng, CFG, 32, 32, 0.6, **RTL_LAYER)])
    x = rng.integers(1, 100, size=32)
    dev = EIEDevice(link, CFG)
    dev.write_words(load_transactions(image, x))
    start = frame(body(Command.START, 1, (1).to_bytes(START_BYTES, "little")))
    during = [frame(body(Command.WRITE, 2, words_payload([Write(Space.ACT, 0, 0, 1)]))),
              frame(body(Command.START, 3, (1).to_bytes(START_BYTES, "little"))),
              frame(body(Command.READ, 4, encode_read(CFG, 0, 0).to_bytes(FMT.read_bytes,
                                                                         "little"))),
              frame(body(Command.STATUS, 5))]
    resps = exchange(link, start + b"".join(during), n_responses=5)
    assert [r.status for r in resps] == [Status.OK] + [Status.BUSY] * 3 + [Status.OK], \
        f"seed={seed}"
    assert resps[4].payload[0] & 1, "STATUS shows busy"
    st = dev.poll_done()
    assert st.done and st.error == 0
    dev.start(1)
    assert dev.poll_done().done


def test_start_errors_are_reported_in_status(link):
    """START with more layers than the table holds: EIETop's error flag, job over."""
    dev = EIEDevice(link, CFG)
    entry = pack_layer_entry(CFG, n_in=4, rows=1, ptr_base=0, bias_base=0, w_frac=0, relu=0)
    dev.write_words([Write(Space.LAYER, 0, 0, entry)])
    dev.start(CFG.max_layers + 1)
    st = dev.poll_done()
    assert st.done and st.error != 0
    with pytest.raises(DeviceError, match="^START refused: LENGTH$"):
        dev.request(Command.START, b"\x01")


def test_one_pe_link_refuses_a_word_for_pe_1():
    """With one PE the word's ``pe`` field is one bit wide; ``pe = 1`` names no PE, and the
    engine refuses it (ARGUMENT) for WRITE and READ, as the frame format does."""
    cfg = small_config(n_pes=1, fifo_depth=2, act_depth=16)
    fmt = FrameFormat(cfg)
    link = SimulationTransport(cfg)
    write = pack(write_layout(cfg), space=Space.ACT, pe=1, addr=0, data=0)
    read = pack(read_req_layout(cfg), pe=1, addr=0)
    for cmd, word, size in ((Command.WRITE, write, fmt.word_bytes),
                            (Command.READ, read, fmt.read_bytes)):
        (resp,) = exchange(link, frame(body(cmd, 4, word.to_bytes(size, "little"))))
        assert resp.status == Status.ARGUMENT, cmd
    (resp,) = exchange(link, frame(body(Command.INFO, 5)))
    assert resp.status == Status.OK
