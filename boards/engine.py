"""The frame engine: receives request frames (:mod:`boards.frame`), checks them and drives
:class:`eie_hw.rtl.top.EIETop`'s streams; answers every frame."""

from amaranth import Array, Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.config import EIEConfig
from eie_hw.protocol import CYCLE_COUNTER_BITS, Space, read_req_layout, write_layout

from .frame import BUFFER_DEPTH, CRC_INIT, END, ESC, ESC_END, ESC_ESC, Command, FrameFormat, Status
from .slip import FrameEncoder, crc16_next

__all__ = ["FrameEngine"]


class FrameEngine(wiring.Component):
    """Host-link command processor for one configuration.

    A request body is stored whole (:data:`boards.frame.BUFFER_DEPTH` bytes) while its CRC is
    computed; at its closing ``END`` it is checked, its words are all validated, then executed,
    and one response frame is sent. Bytes arriving while the engine executes or answers wait
    in ``rx`` (the board puts a FIFO there). Every path ends back in the receive state: a
    bad frame costs one error response and nothing else.

    Parameters
    ----------
    config : EIEConfig

    Members
    -------
    rx : In(stream.Signature(8))
        Received bytes.
    tx : Out(stream.Signature(8))
        Bytes to send.
    write, read_req : Out(stream)
        To ``EIETop.write`` and ``EIETop.read_req``.
    read_data : In(stream)
        From ``EIETop.read_data``.
    busy, done, error, cycles : In
        ``EIETop``'s status.
    bad_frame : Out(1)
        Pulses when an error response is sent.
    """

    def __init__(self, config):
        if not isinstance(config, EIEConfig):
            self._MustUse__silence = True
            raise TypeError(f"FrameEngine: config must be an EIEConfig, not {config!r}")
        self._config = config
        self._format = FrameFormat(config)
        super().__init__({
            "rx": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "write": Out(stream.Signature(write_layout(config))),
            "read_req": Out(stream.Signature(read_req_layout(config))),
            "read_data": In(stream.Signature(signed(config.act_width))),
            "busy": In(1),
            "done": In(1),
            "error": In(2),
            "cycles": In(CYCLE_COUNTER_BITS),
            "bad_frame": Out(1),
        })

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        cfg, fmt = self._config, self._format
        m = Module()
        m.submodules.encoder = enc = FrameEncoder()
        wiring.connect(m, producer=enc.wire, consumer=wiring.flipped(self.tx))
        buf = m.submodules.buffer = Memory(shape=8, depth=BUFFER_DEPTH, init=[])
        buf_w = buf.write_port()
        buf_r = buf.read_port()

        # Section: receive state.
        count = Signal(range(BUFFER_DEPTH + 1))
        overflow, bad_escape, esc = Signal(), Signal(), Signal()
        crc = Signal(16, init=CRC_INIT)
        cmd, seq = Signal(8), Signal(8)
        status = Signal(8)

        # Section: word passes over the stored payload.
        wl, rl = write_layout(cfg), read_req_layout(cfg)
        n_bytes = max(fmt.word_bytes, fmt.read_bytes)
        word = Signal(8 * n_bytes)
        ptr = Signal(range(BUFFER_DEPTH + 1))
        end = Signal.like(ptr)
        byte_idx = Signal(range(n_bytes))
        executing = Signal()                       # second pass
        bad_word = Signal()
        is_read = Signal()
        word_len = Mux(is_read, fmt.read_bytes - 1, fmt.word_bytes - 1)

        w_view = wl(word[:wl.size])
        r_view = rl(word[:rl.size])
        w_ok = Signal()
        limits = fmt.space_limits()
        with m.Switch(w_view.space):
            for space, (depth, bits) in limits.items():
                with m.Case(space):
                    data_ok = (w_view.data[bits:] == 0) if bits < wl["data"].width else 1
                    m.d.comb += w_ok.eq((w_view.addr < depth) & data_ok)
            with m.Default():
                m.d.comb += w_ok.eq(0)
        w_ok_all = w_ok & (word[wl.size:] == 0)
        r_ok_all = (r_view.addr < cfg.act_depth) & (word[rl.size:] == 0)
        m.d.comb += [self.write.payload.eq(w_view), self.read_req.payload.eq(r_view)]

        # Section: response bytes.
        value = Signal(signed(8 * fmt.act_bytes))
        flags = Signal(8)
        cycles = Signal(CYCLE_COUNTER_BITS)
        info = fmt.info_bytes()
        info_rom = Array(Const(b, 8) for b in info)
        idx = Signal(range(max(len(info), 5, fmt.act_bytes) + 1))
        status_bytes = Array([flags, *(cycles.word_select(i, 8) for i in range(4))])
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
                        with m.If(count == BUFFER_DEPTH):
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
                             flags.eq(self.busy | (self.done << 1) | (self.error << 2)),
                             cycles.eq(self.cycles), idx.eq(0)]
                m.next = "ERROR"
                with m.If(bad_escape | esc | (count < 4)):
                    m.d.sync += status.eq(Status.FRAME)
                with m.Elif(overflow):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif(crc != 0):
                    m.d.sync += status.eq(Status.CRC)
                with m.Elif(~cmd_known):
                    m.d.sync += status.eq(Status.COMMAND)
                with m.Elif(self.busy & ((cmd == Command.WRITE) | (cmd == Command.START) |
                                         (cmd == Command.READ))):
                    m.d.sync += status.eq(Status.BUSY)
                with m.Elif(((cmd == Command.INFO) | (cmd == Command.STATUS)) &
                            (n_payload != 0)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif((cmd == Command.START) & (n_payload != 2)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Elif(((cmd == Command.WRITE) | (cmd == Command.READ)) &
                            (n_payload == 0)):
                    m.d.sync += status.eq(Status.LENGTH)
                with m.Else():
                    m.d.sync += status.eq(Status.OK)
                    with m.If((cmd == Command.WRITE) | (cmd == Command.READ)):
                        m.next = "FETCH"
                    with m.Elif(cmd == Command.START):
                        m.next = "START_LO"
                    with m.Else():
                        m.next = "HDR_CMD"

            # Section: START — the two payload bytes, then a START word.
            with m.State("START_LO"):
                m.d.comb += buf_r.addr.eq(2)
                m.next = "START_HI"
            with m.State("START_HI"):
                m.d.comb += buf_r.addr.eq(3)
                m.d.sync += word.eq(buf_r.data)
                m.next = "START_GO"
            with m.State("START_GO"):
                wp = self.write.payload
                m.d.comb += [buf_r.addr.eq(3), self.write.valid.eq(1),
                             wp.space.eq(Space.START), wp.pe.eq(0), wp.addr.eq(0),
                             wp.data.eq(Cat(word[:8], buf_r.data))]
                with m.If(self.write.ready):
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
                    m.d.comb += self.write.valid.eq(1)
                    with m.If(self.write.ready):
                        m.next = "FETCH"
            with m.State("READ_REQ"):
                m.d.comb += self.read_req.valid.eq(1)
                with m.If(self.read_req.ready):
                    m.next = "READ_WAIT"
            with m.State("READ_WAIT"):
                m.d.comb += self.read_data.ready.eq(1)
                with m.If(self.read_data.valid):
                    m.d.sync += [value.eq(self.read_data.payload), idx.eq(0)]
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
                    with m.If(idx == 4):
                        m.next = "FINISH"
            with m.State("FINISH"):
                m.d.comb += [enc.body.valid.eq(1), tok.end.eq(1)]
                with m.If(tok_sent):
                    m.d.sync += [count.eq(0), overflow.eq(0), bad_escape.eq(0), esc.eq(0),
                                 crc.eq(CRC_INIT)]
                    m.next = "RECV"
        return m
