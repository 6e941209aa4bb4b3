"""Fuzzed byte streams into the board link (boards.link.EIEByteLink: the frame engine with
EIETop) in the Amaranth simulator: random bytes, truncated and corrupted frames, frames with a
good CRC and bad fields, good frames; then three good frames (INFO, a WRITE, a READ of the
written value). Every frame the stream closes gets the response tests/frame_reference.py
gives (status, cmd, seq, length, fixed payloads), the engine never hangs (all responses
within a cycle budget), and the good frames work."""

import os

from frame_reference import expected, split_frames
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from boards.frame import END, ESC, Command, FrameFormat, SlipReader, Status
from boards.transport import SimulationTransport
from eie_hw.host.words import Write, encode_read, encode_write
from eie_hw.protocol import Space, memory_map, write_layout
from sim.verify.configs import small_config

CFG = small_config(n_pes=2, fifo_depth=1, act_depth=8)
FMT = FrameFormat(CFG)
EXAMPLES = int(os.environ.get("EIE_FUZZ_EXAMPLES", 500))


def cycle_budget(stream, n_frames):
    """Cycles the link may take for ``stream`` closing ``n_frames`` frames: two per byte
    received (the driver idles a cycle after each), two per stored byte for each of the two
    passes over a body, and 200 per response (the longest, INFO, is 75 bytes of one or two
    cycles each)."""
    return 8 * len(stream) + 200 * n_frames + 100


class LinkBench:
    """One :class:`EIEByteLink` in a simulation kept for the whole test (a
    :class:`SimulationTransport`): :meth:`reset` between examples (registers only: memories
    keep their contents), :meth:`exchange` to send bytes and collect the response bodies."""

    def __init__(self, config):
        self.transport = SimulationTransport(config)

    def reset(self):
        self.transport.reset()

    def exchange(self, stream, n_responses, budget):
        """Send ``stream``; the response bodies once ``n_responses`` have come, or all that
        came within ``budget`` cycles; and the cycles taken."""
        link = self.transport
        link.write(stream)
        reader, bodies, start = SlipReader(), [], link.cycles
        while len(bodies) < n_responses and link.cycles - start < budget:
            link.run(32)
            bodies += reader.feed(link.received())
        return bodies, link.cycles - start


# Section: strategies.

def good_word(draw):
    space = draw(st.sampled_from(sorted(memory_map(CFG), key=lambda s: s.value)))
    region = memory_map(CFG)[space]
    return Write(space, draw(st.integers(0, CFG.n_pes - 1)),
                 draw(st.integers(0, region.depth - 1)),
                 draw(st.integers(0, 2 ** region.data_bits - 1)))


def word_bytes(value, size):
    return value.to_bytes(size, "little")


@st.composite
def good_frame(draw):
    """A well-formed request other than START (a job would outlast the test)."""
    cmd = draw(st.sampled_from([Command.INFO, Command.STATUS, Command.WRITE, Command.READ]))
    payload = b""
    if cmd == Command.WRITE:
        words = [good_word(draw) for _ in range(draw(st.integers(1, 3)))]
        payload = b"".join(word_bytes(encode_write(CFG, w), FMT.word_bytes) for w in words)
    elif cmd == Command.READ:
        n = draw(st.integers(1, 4))
        payload = b"".join(word_bytes(encode_read(CFG, draw(st.integers(0, CFG.n_pes - 1)),
                                                  draw(st.integers(0, CFG.act_depth - 1))),
                                      FMT.read_bytes) for _ in range(n))
    return FMT.request(cmd, draw(st.integers(0, 255)), payload)


@st.composite
def bad_field_frame(draw):
    """A frame with a good CRC and a field the device must refuse."""
    seq = draw(st.integers(0, 255))
    kind = draw(st.sampled_from(["command", "info_payload", "start_length", "partial_word",
                                 "empty_write", "bad_word", "read_addr", "oversized"]))
    if kind == "command":
        return FMT.request(draw(st.sampled_from([0, 6, 7, 0x7E, END, ESC, 0xFF])), seq)
    if kind == "info_payload":
        return FMT.request(Command.INFO, seq, draw(st.binary(min_size=1, max_size=3)))
    if kind == "start_length":
        return FMT.request(Command.START, seq, draw(st.sampled_from([b"", b"\x01",
                                                                     b"\x01\x00\x00"])))
    if kind == "partial_word":
        word = word_bytes(encode_write(CFG, good_word(draw)), FMT.word_bytes)
        return FMT.request(Command.WRITE, seq, word + word[:draw(st.integers(
            1, FMT.word_bytes - 1))])
    if kind == "empty_write":
        return FMT.request(draw(st.sampled_from([Command.WRITE, Command.READ])), seq)
    if kind == "read_addr":
        addr = draw(st.integers(CFG.act_depth, 2 ** (8 * FMT.read_bytes - 1) - 1))
        value = encode_read(CFG, 0, 0) | addr << write_layout(CFG)["pe"].width
        return FMT.request(Command.READ, seq, word_bytes(value % 2 ** (8 * FMT.read_bytes),
                                                         FMT.read_bytes))
    if kind == "oversized":          # a WRITE of good words around the buffer's size
        n = FMT.max_write_words + draw(st.integers(0, 1))
        words = b"".join(word_bytes(encode_write(CFG, good_word(draw)), FMT.word_bytes)
                         for _ in range(n))
        return FMT.request(Command.WRITE, seq, words + bytes(draw(st.integers(
            0, FMT.max_payload - FMT.max_write_words * FMT.word_bytes + 1))))
    # bad_word: one good word and one with a field out of range.
    good = encode_write(CFG, good_word(draw))
    w = good_word(draw)
    wl = write_layout(CFG)
    how = draw(st.sampled_from(["addr", "data", "start", "padding"]))
    value = encode_write(CFG, w)
    if how == "addr":
        value |= (2 ** wl["addr"].width - 1) << wl["addr"].offset
    elif how == "data":
        value |= (2 ** wl["data"].width - 1) << wl["data"].offset
    elif how == "start":
        value = (value & ~(7 << wl["space"].offset)) | Space.START.value << wl["space"].offset
    else:
        value |= 1 << (8 * FMT.word_bytes - 1)
    words = [good, value] if draw(st.booleans()) else [value, good]
    return FMT.request(Command.WRITE, seq, b"".join(word_bytes(v, FMT.word_bytes)
                                                    for v in words))


@st.composite
def damaged_frame(draw):
    frame = draw(st.one_of(good_frame(), bad_field_frame()))
    if draw(st.booleans()):                                   # truncated
        return frame[:draw(st.integers(0, len(frame) - 1))]
    i = draw(st.integers(0, len(frame) - 1))                  # one bit flipped
    return frame[:i] + bytes([frame[i] ^ 1 << draw(st.integers(0, 7))]) + frame[i + 1:]


noise_bytes = st.lists(st.one_of(st.integers(0, 255), st.sampled_from([END, ESC, 0xDC, 0xDD])),
                       max_size=24).map(bytes)
segment = st.one_of(noise_bytes, good_frame(), bad_field_frame(), damaged_frame())


# Section: the test.

def check_response(body, want, where):
    resp = FrameFormat.parse_response(body)
    assert resp is not None, f"{where}: malformed response {body.hex()}"
    assert resp.status == want.status, f"{where}: {resp.status.name}, want {want.status.name}"
    if want.cmd is not None:
        assert resp.cmd == want.cmd, where
    if want.seq is not None:
        assert resp.seq == want.seq, where
    assert len(resp.payload) == want.length, where
    if want.payload is not None:
        assert resp.payload == want.payload, where
    return resp


def test_fuzzed_streams_then_good_frames(seed):
    bench = LinkBench(CFG)
    worst = [0.0]

    @hypothesis_seed(seed)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(noise=st.lists(segment, max_size=4), pe=st.integers(0, CFG.n_pes - 1),
           addr=st.integers(0, CFG.act_depth - 1),
           value=st.integers(CFG.act_min, CFG.act_max), seq=st.integers(0, 255))
    def run(noise, pe, addr, value, seq):
        stream = b"".join(noise)
        frames = split_frames(stream + bytes([END]))
        wants = [expected(FMT, f) for f in frames]
        # A START the device accepts would run a job on whatever the memories hold.
        assume(not any(w.status == Status.OK and w.cmd == Command.START for w in wants))
        act = Write(Space.ACT, pe, addr, value & (2 ** CFG.act_width - 1))
        probe = (FMT.request(Command.INFO, seq) +
                 FMT.request(Command.WRITE, seq ^ 1, word_bytes(encode_write(CFG, act),
                                                                FMT.word_bytes)) +
                 FMT.request(Command.READ, seq ^ 2, word_bytes(encode_read(CFG, pe, addr),
                                                               FMT.read_bytes)))
        frames = split_frames(stream + probe)
        wants = [expected(FMT, f) for f in frames]
        budget = cycle_budget(stream + probe, len(frames))
        bench.reset()
        bodies, cycles = bench.exchange(stream + probe, len(frames), budget)
        where = f"seed={seed} stream={(stream + probe).hex()}"
        assert len(bodies) == len(frames), \
            f"{where}: {len(bodies)} of {len(frames)} responses in {budget} cycles"
        for i, (body, want) in enumerate(zip(bodies, wants, strict=True)):
            check_response(body, want, f"{where} frame {i}")
        read = FrameFormat.parse_response(bodies[-1])
        assert int.from_bytes(read.payload, "little", signed=True) == value, where
        worst[0] = max(worst[0], cycles / budget)

    run()
    print(f"{EXAMPLES} examples; at most {worst[0]:.0%} of the cycle budget used")
