"""The frame engine: receives request frames (:mod:`boards.frame`), checks them and drives
:class:`eie_hw.rtl.top.EIETop`'s streams; answers every frame."""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.config import EIEConfig
from eie_hw.protocol import STATUS_LAYOUT, HostSignature, Space, memory_map, read_req_layout
from eie_hw.rtl.checks import CheckedComponent

from .frame import (
    BUFFER_DEPTH,
    CRC_INIT,
    CYCLE_BYTES,
    END,
    ESC,
    ESC_END,
    ESC_ESC,
    REQUEST_OVERHEAD,
    START_BYTES,
    Command,
    FrameFormat,
    Status,
)
from .slip import FrameEncoder, crc16_next

__all__ = ["FrameEngine"]


class FrameEngine(CheckedComponent):
    """Host-link command processor for one configuration.

    A request body is stored whole (``buffer_depth`` bytes) while its CRC is computed; at its
    closing ``END`` it is checked, its words are all validated, then executed, and one
    response frame is sent. Bytes arriving while the engine executes or answers wait
    in ``rx`` (the board puts a FIFO there). Every path ends back in the receive state: a
    bad frame costs one error response and nothing else.

    Parameters
    ----------
    config : EIEConfig
    buffer_depth : int
        Bytes of the body buffer: :data:`boards.frame.BUFFER_DEPTH` (the boards and the host
        driver's frame format). A longer body gets ``LENGTH``. Only the formal harnesses use a
        smaller buffer (``REQUEST_OVERHEAD`` bytes and more), to keep the solver's state small.

    Members
    -------
    rx : In(stream.Signature(8))
        Received bytes.
    tx : Out(stream.Signature(8))
        Bytes to send.
    eie : Out(:class:`~eie_hw.protocol.HostSignature`)
        The host side of the array's host port: ``wiring.connect`` it to ``EIETop.host``.
    bad_frame : Out(1)
        Pulses when an error response is sent.
    """

    @classmethod
    def check_args(cls, config, buffer_depth=BUFFER_DEPTH):
        if not isinstance(config, EIEConfig):
            raise TypeError(f"FrameEngine: config must be an EIEConfig, not {config!r}")
        if isinstance(buffer_depth, bool) or not isinstance(buffer_depth, int):
            raise TypeError(f"FrameEngine: buffer_depth must be an integer, "
                            f"not {buffer_depth!r}")
        if not REQUEST_OVERHEAD <= buffer_depth <= BUFFER_DEPTH:
            raise ValueError(f"FrameEngine: buffer_depth must be {REQUEST_OVERHEAD} to "
                             f"{BUFFER_DEPTH}, not {buffer_depth}")

    def __init__(self, config, buffer_depth=BUFFER_DEPTH):
        self._config = config
        self._buffer_depth = buffer_depth
        self._format = FrameFormat(config)
        super().__init__({
            "rx": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "eie": Out(HostSignature(config)),
            "bad_frame": Out(1),
        })

    @property
    def config(self):
        return self._config

    @property
    def buffer_depth(self):
        return self._buffer_depth

    def elaborate(self, platform):
        cfg, fmt, depth = self._config, self._format, self._buffer_depth
        eie = self.eie
        m = Module()
        m.submodules.encoder = enc = FrameEncoder()
        wiring.connect(m, producer=enc.wire, consumer=wiring.flipped(self.tx))
        buf = m.submodules.buffer = Memory(shape=8, depth=depth, init=[])
        buf_w = buf.write_port()
        buf_r = buf.read_port()

        # Section: receive state.
        count = Signal(range(depth + 1))
        overflow = Signal()
        bad_escape = Signal()
        esc = Signal()
        crc = Signal(16, init=CRC_INIT)
        cmd = Signal(8)
        seq = Signal(8)
        status = Signal(8)

        # Section: word passes over the stored payload.
        wl, rl = eie.write.payload.shape(), read_req_layout(cfg)
        n_bytes = max(fmt.word_bytes, fmt.read_bytes)
        word = Signal(8 * n_bytes)
        ptr = Signal(range(depth + 1))
        end = Signal.like(ptr)
        byte_idx = Signal(range(n_bytes))
        executing = Signal()                       # second pass
        bad_word = Signal()
        is_read = Signal()
        word_len = Mux(is_read, fmt.read_bytes - 1, fmt.word_bytes - 1)

        w_view = wl(word[:wl.size])
        r_view = rl(word[:rl.size])
        w_ok = Signal()
        with m.Switch(w_view.space):
            for space, region in memory_map(cfg).items():
                with m.Case(space):
                    bits = region.data_bits
                    data_ok = (w_view.data[bits:] == 0) if bits < wl["data"].width else 1
                    m.d.comb += w_ok.eq((w_view.addr < region.depth) & data_ok)
            with m.Default():
                m.d.comb += w_ok.eq(0)
        w_ok_all = w_ok & (word[wl.size:] == 0)
        r_ok_all = (r_view.addr < cfg.act_depth) & (word[rl.size:] == 0)
        # The `pe` field names a PE that does not exist only with one PE (it is then one bit
        # wide); with more, `pe < n_pes` always holds and adds nothing.
        if (1 << len(w_view.pe)) > cfg.n_pes:
            w_ok_all &= w_view.pe < cfg.n_pes
            r_ok_all &= r_view.pe < cfg.n_pes
        m.d.comb += [eie.write.payload.eq(w_view), eie.read_req.payload.eq(r_view)]

        # Section: response bytes.
        value = Signal(signed(8 * fmt.act_bytes))
        flags = Signal(STATUS_LAYOUT)
        cycles = Signal.like(eie.cycles)
        info = fmt.info_bytes()
        info_rom = Array(Const(b, 8) for b in info)
        status_bytes = Array([flags.as_value(),
                              *(cycles.word_select(i, 8) for i in range(CYCLE_BYTES))])
        idx = Signal(range(max(len(info), len(status_bytes), fmt.act_bytes) + 1))
        tok = enc.body.payload
        tok_sent = enc.body.valid & enc.body.ready
        cmd_known = Signal()
        m.d.comb += cmd_known.eq((cmd >= min(Command)) & (cmd <= max(Command)))
        n_payload = count - 4

        m.d.comb += self.bad_frame.eq(0)
        with m.FSM():
            with m.State("RECV"):
                m.d.comb += [self.rx.ready.eq(1), buf_w.addr.eq(count),
                             buf_w.data.eq(Mux(esc, Mux(self.rx.payload == ESC_END, END, ESC),
                                               self.rx.payload))]
                with m.If(self.rx.valid):
                    byte = buf_w.data
                    with m.If(self.rx.payload == END):
                        with m.If((count != 0) | bad_escape | esc):
                            m.next = "CHECK"
                    with m.Elif(~esc & (self.rx.payload == ESC)):
                        m.d.sync += esc.eq(1)
                    with m.Else():
                        m.d.sync += esc.eq(0)
                        with m.If(esc & (self.rx.payload != ESC_END) &
                                  (self.rx.payload != ESC_ESC)):
                            m.d.sync += bad_escape.eq(1)
                        with m.If(count == depth):
                            m.d.sync += overflow.eq(1)
                        with m.Else():
                            m.d.comb += buf_w.en.eq(1)
                            m.d.sync += [count.eq(count + 1), crc.eq(crc16_next(crc, byte))]
                            with m.If(count == 0):
                                m.d.sync += cmd.eq(byte)
                            with m.If(count == 1):
                                m.d.sync += seq.eq(byte)

            with m.State("CHECK"):
                m.d.sync += [ptr.eq(2), end.eq(count - 2), byte_idx.eq(0), executing.eq(0),
                             bad_word.eq(0), is_read.eq(cmd == Command.READ),
                             flags.busy.eq(eie.busy), flags.done.eq(eie.done),
                             flags.error.eq(eie.error), cycles.eq(eie.cycles), idx.eq(0)]
                m.next = "ERROR"
                with m.If(bad_escape | esc | (count < 4)):
                    m.d.sync += status.eq(Status.FRAME)
                with m.Elif(overflow):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif(crc != 0):
                    m.d.sync += status.eq(Status.CRC)
                with m.Elif(~cmd_known):
                    m.d.sync += status.eq(Status.COMMAND)
                with m.Elif(eie.busy & ((cmd == Command.WRITE) | (cmd == Command.START) |
                                        (cmd == Command.READ))):
                    m.d.sync += status.eq(Status.BUSY)
                with m.Elif(((cmd == Command.INFO) | (cmd == Command.STATUS)) &
                            (n_payload != 0)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif((cmd == Command.START) & (n_payload != START_BYTES)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif(((cmd == Command.WRITE) | (cmd == Command.READ)) &
                            (n_payload == 0)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Else():
                    m.d.sync += status.eq(Status.OK)
                    with m.If((cmd == Command.WRITE) | (cmd == Command.READ)):
                        m.next = "FETCH"
                    with m.Elif(cmd == Command.START):
                        m.next = "START_FETCH"
                    with m.Else():
                        m.next = "HDR_CMD"

            # Section: START — its payload bytes shifted into the top of `word`, then a
            # START word with them as the (little-endian) layer count.
            with m.State("START_FETCH"):
                m.d.comb += buf_r.addr.eq(ptr)
                m.d.sync += ptr.eq(ptr + 1)
                m.next = "START_LATCH"
            with m.State("START_LATCH"):
                m.d.sync += word.eq(Cat(word[8:], buf_r.data))
                m.next = "START_FETCH"
                with m.If(ptr == 2 + START_BYTES):
                    m.next = "START_GO"
            with m.State("START_GO"):
                wp = eie.write.payload
                m.d.comb += [eie.write.valid.eq(1),
                             wp.space.eq(Space.START), wp.pe.eq(0), wp.addr.eq(0),
                             wp.data.eq(word[8 * (n_bytes - START_BYTES):])]
                with m.If(eie.write.ready):
                    m.next = "HDR_CMD"

            # Section: word passes. FETCH reads buf[ptr], LATCH shifts it into `word`.
            with m.State("FETCH"):
                m.d.comb += buf_r.addr.eq(ptr)
                with m.If(ptr == end):
                    with m.If(executing):
                        m.d.sync += idx.eq(0)
                        m.next = "FINISH"
                    with m.Elif(byte_idx != 0):
                        m.d.sync += status.eq(Status.LENGTH)
                        m.next = "ERROR"
                    with m.Elif(bad_word):
                        m.d.sync += status.eq(Status.ARGUMENT)
                        m.next = "ERROR"
                    with m.Else():
                        m.d.sync += [executing.eq(1), ptr.eq(2)]
                        m.next = "HDR_CMD"
                with m.Else():
                    m.d.sync += ptr.eq(ptr + 1)
                    m.next = "LATCH"
            with m.State("LATCH"):
                m.d.sync += word.eq(Cat(word[8:], buf_r.data))
                m.next = "FETCH"
                with m.If(byte_idx == word_len):
                    m.d.sync += byte_idx.eq(0)
                    m.next = "WORD"
                with m.Else():
                    m.d.sync += byte_idx.eq(byte_idx + 1)
            with m.State("WORD"):
                # A short word (READ) sits in the top bytes of `word`: align it first.
                m.next = "CHECK_WORD"
                with m.If(is_read & (fmt.read_bytes < n_bytes)):
                    m.d.sync += word.eq(word >> (8 * (n_bytes - fmt.read_bytes)))
                with m.Elif(~is_read & (fmt.word_bytes < n_bytes)):
                    m.d.sync += word.eq(word >> (8 * (n_bytes - fmt.word_bytes)))
            with m.State("CHECK_WORD"):
                with m.If(~executing):
                    with m.If(Mux(is_read, ~r_ok_all, ~w_ok_all | (w_view.space == Space.START))):
                        m.d.sync += bad_word.eq(1)
                    m.next = "FETCH"
                with m.Elif(is_read):
                    m.next = "READ_REQ"
                with m.Else():
                    m.d.comb += eie.write.valid.eq(1)
                    with m.If(eie.write.ready):
                        m.next = "FETCH"
            with m.State("READ_REQ"):
                m.d.comb += eie.read_req.valid.eq(1)
                with m.If(eie.read_req.ready):
                    m.next = "READ_WAIT"
            with m.State("READ_WAIT"):
                m.d.comb += eie.read_data.ready.eq(1)
                with m.If(eie.read_data.valid):
                    m.d.sync += [value.eq(eie.read_data.payload), idx.eq(0)]
                    m.next = "READ_SEND"
            with m.State("READ_SEND"):
                m.d.comb += [enc.body.valid.eq(1),
                             tok.data.eq(value.as_unsigned().word_select(idx, 8))]
                with m.If(tok_sent):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == fmt.act_bytes - 1):
                        m.next = "FETCH"

            # Section: responses. Header, then the command's payload, then the end token.
            with m.State("ERROR"):
                m.d.comb += self.bad_frame.eq(1)
                m.next = "HDR_CMD"
            with m.State("HDR_CMD"):
                m.d.comb += [enc.body.valid.eq(1), tok.first.eq(1), tok.data.eq(cmd)]
                with m.If(tok_sent):
                    m.next = "HDR_SEQ"
            with m.State("HDR_SEQ"):
                m.d.comb += [enc.body.valid.eq(1), tok.data.eq(seq)]
                with m.If(tok_sent):
                    m.next = "HDR_STATUS"
            with m.State("HDR_STATUS"):
                m.d.comb += [enc.body.valid.eq(1), tok.data.eq(status)]
                with m.If(tok_sent):
                    m.d.sync += idx.eq(0)
                    with m.If(status != Status.OK):
                        m.next = "FINISH"
                    with m.Elif(cmd == Command.INFO):
                        m.next = "SEND_INFO"
                    with m.Elif(cmd == Command.STATUS):
                        m.next = "SEND_STATUS"
                    with m.Elif(is_read):
                        m.next = "FETCH"
                    with m.Elif(cmd == Command.WRITE):
                        m.next = "FETCH"
                    with m.Else():
                        m.next = "FINISH"
            with m.State("SEND_INFO"):
                m.d.comb += [enc.body.valid.eq(1), tok.data.eq(info_rom[idx])]
                with m.If(tok_sent):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == len(info) - 1):
                        m.next = "FINISH"
            with m.State("SEND_STATUS"):
                m.d.comb += [enc.body.valid.eq(1), tok.data.eq(status_bytes[idx])]
                with m.If(tok_sent):
                    m.d.sync += idx.eq(idx + 1)
                    with m.If(idx == len(status_bytes) - 1):
                        m.next = "FINISH"
            with m.State("FINISH"):
                m.d.comb += [enc.body.valid.eq(1), tok.end.eq(1)]
                with m.If(tok_sent):
                    m.d.sync += [count.eq(0), overflow.eq(0), bad_escape.eq(0), esc.eq(0),
                                 crc.eq(CRC_INIT)]
                    m.next = "RECV"
        return m
