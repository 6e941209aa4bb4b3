"""A formal harness of the board link's frame engine (:class:`boards.engine.FrameEngine`): the
engine with every port free, beside a reference receiver written from the frame format
(:mod:`boards.frame`, docs/boards.md "Frames") that gives each closed frame's status.

The array is abstracted away: the engine's host port (``eie``) is free, so ``busy``, ``done``,
the counters, ``write.ready``, ``read_req.ready`` and ``read_data`` are whatever the solver
picks in each cycle, under the one rule of docs/protocol.md the properties need: ``write`` and
``read_req`` are not ready while a job runs (``busy``). "A refused frame changes no memory"
becomes a property of the host port: between a refused frame's first byte and the engine's
next receive cycle, ``write.valid`` (memory words and ``START``) and ``read_req.valid`` stay
low — the array takes nothing the engine does not offer.
"""

import binascii

from amaranth import Cat, Module, Mux, ResetSignal, Signal
from amaranth.hdl import Assert, Assume, Cover
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from boards.engine import FrameEngine
from boards.frame import (
    CRC_INIT,
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
from eie_hw.protocol import HostSignature, Space, memory_map, read_req_layout, write_layout
from tests.formal_parts import driven, open_design, part

__all__ = ["FrameHarness", "crc_reference", "word_ok_reference"]


def crc_reference(crc, byte):
    """The CRC register after ``byte``, each bit the XOR of the ``crc`` and ``byte`` bits whose
    unit vectors :func:`binascii.crc_hqx` (the host's CRC) maps onto it: CRC-16/CCITT-FALSE
    is linear over GF(2) once its initial value is given as the register."""
    state = [binascii.crc_hqx(b"\0", 1 << j) for j in range(16)]
    data = [binascii.crc_hqx(bytes([1 << j]), 0) for j in range(8)]
    bits = []
    for i in range(16):
        terms = [crc[j] for j in range(16) if state[j] >> i & 1]
        terms += [byte[j] for j in range(8) if data[j] >> i & 1]
        bits.append(Cat(*terms).xor())
    return Cat(*bits)


def word_ok_reference(config, is_read, word):
    """Whether ``word`` (a ``READ`` word if ``is_read``, else a ``WRITE`` word) fits
    ``config`` as :meth:`boards.frame.FrameFormat.check_write` and docs/boards.md state it: no
    bit set above the layout, ``pe < n_pes``; for a write a space of the memory map (not
    ``START``) with ``addr < depth`` and ``data < 2 ** data_bits``, for a read
    ``addr < act_depth``."""
    wl, rl = write_layout(config), read_req_layout(config)
    w, r = wl(word[:wl.size]), rl(word[:rl.size])
    write_ok = 0
    for space, region in memory_map(config).items():
        write_ok |= (w.space == space) & (w.addr < region.depth) & (w.data < 2 ** region.data_bits)
    write_ok &= (w.pe < config.n_pes) & (word[wl.size:] == 0)
    read_ok = (r.pe < config.n_pes) & (r.addr < config.act_depth) & (word[rl.size:] == 0)
    return Mux(is_read, read_ok, write_ok)


class FrameHarness(wiring.Component):
    """:class:`~boards.engine.FrameEngine` with a ``buffer_depth``-byte buffer, its ports the
    harness's (all free), and a reference receiver of the same byte stream.

    The reference decodes SLIP (``ESC ESC_END`` → ``END``, ``ESC ESC_ESC`` → ``ESC``, any
    other escape bad), counts the body (saturating: a body longer than the buffer is
    ``LENGTH``), computes its CRC (:func:`crc_reference`) and closes a frame at an ``END``
    after a non-empty body or an escape. It gives the frame's status in docs/boards.md's
    priority: FRAME, LENGTH (too long), CRC, COMMAND, BUSY (``busy`` in the cycle after the
    closing ``END``, the cycle the engine samples it), LENGTH (payload length wrong for the
    command), else OK. The word checks of an accepted ``WRITE``/``READ`` (LENGTH for a
    partial word, ARGUMENT) are left to the engine: they read its body buffer.

    Asserted (each cycle):

    * the host port is quiet while a frame is received and in the cycle after its ``END``:
      ``write.valid``, ``read_req.valid`` low;
    * a refused frame — any reference status but OK — offers no ``write`` (no memory word, no
      ``START``) and no ``read_req`` until the engine receives again;
    * a ``START`` word is offered only for an accepted ``START`` frame, memory words only
      for an accepted ``WRITE``, read requests only for an accepted ``READ``;
    * the response's header tokens are the frame's ``cmd`` and ``seq`` (where the body has
      them) and the reference's status (for an accepted ``WRITE``/``READ``: OK, LENGTH or
      ARGUMENT);
    * the response's first token is offered within :meth:`answer_bound` cycles of the
      closing ``END`` (whatever ``tx`` does; cycles in which the array does not take an
      offered ``START`` word are not counted).

    With ``induction`` the harness also asserts the invariants a k-induction needs, on the
    engine's registers (read with :func:`tests.formal_parts.driven`): while it receives, its
    count, escape, bad-escape and overflow flags, CRC (of a body without a bad escape),
    ``cmd`` and ``seq`` are the reference's; it is in its check state exactly in the cycle
    after a closing ``END``; and during its first pass over a ``WRITE``/``READ`` body its
    pointer, byte index and word count give the cycles since that ``END``. Also asserted
    then, on the mechanism that makes a ``WRITE``/``READ`` all or nothing (every word is
    checked in a first pass over the buffer, executed in a second): each word the first pass
    checks sets the engine's bad-word flag exactly when it fails :func:`word_ok_reference`,
    and the second pass starts only with the flag clear after whole words.

    ``broken`` names a wrong reference (the check must then fail): ``"crc"`` ignores the CRC.
    """

    def __init__(self, config, buffer_depth, *, induction=False, broken=None):
        if broken not in (None, "crc"):
            raise ValueError(f"broken must be None or 'crc', not {broken!r}")
        self._config, self._depth = config, buffer_depth
        self._induction, self._broken = induction, broken
        self._format = FrameFormat(config)
        super().__init__({
            "rx": In(stream.Signature(8)),
            "tx": Out(stream.Signature(8)),
            "eie": Out(HostSignature(config)),
        })

    def answer_bound(self):
        """Cycles from the one in which the closing ``END`` is taken to the one in which the
        response's first token is offered, at most, not counting cycles in which the engine
        offers the array a ``START`` word it does not take: the check cycle, the first pass
        over a ``WRITE``/``READ`` payload of at most ``buffer_depth - 4`` bytes (``FETCH``
        and ``LATCH`` per byte, ``WORD`` and ``CHECK_WORD`` per word of at least one byte, a
        last ``FETCH``), an ``ERROR`` cycle. (A ``START`` needs ``1 + 2 * START_BYTES + 1``
        cycles, fewer.)"""
        payload = self._depth - REQUEST_OVERHEAD
        return 1 + 4 * payload + 1 + 1 + 1

    def elaborate(self, platform):
        cfg, depth = self._config, self._depth
        m = Module()
        engine = FrameEngine(cfg, buffer_depth=depth)
        frag = open_design(engine)
        m.submodules.engine = frag
        wiring.connect(m, wiring.flipped(self.rx), engine.rx)
        wiring.connect(m, engine.tx, wiring.flipped(self.tx))
        wiring.connect(m, engine.eie, wiring.flipped(self.eie))
        eie = self.eie
        m.d.comb += [Assume(~ResetSignal()),
                     Assume(~(eie.busy & (eie.write.ready | eie.read_req.ready)))]

        # Section: the reference receiver.
        rx_t = self.rx.valid & self.rx.ready
        byte = self.rx.payload
        phase = Signal(2)            # 0 receiving, 1 the cycle after a closing END, 2 answering
        restart = (phase == 2) & self.rx.ready
        regs = dict(count=Signal(range(depth + 1)), over=Signal(), esc=Signal(), bad=Signal(),
                    crc=Signal(16, init=CRC_INIT), cmd=Signal(8), seq=Signal(8))
        r = type("Ref", (), {})()
        nxt = type("Next", (), {})()
        for name, reg in regs.items():
            reg.name = f"ref_{name}"
            cur = Signal.like(reg, name=f"cur_{name}")
            m.d.comb += cur.eq(Mux(restart, reg.init, reg))
            new = Signal.like(reg, name=f"nxt_{name}")
            m.d.comb += new.eq(cur)
            m.d.sync += reg.eq(new)
            setattr(r, name, reg)
            setattr(nxt, name, new)
            setattr(r, f"cur_{name}", cur)
        close = Signal()
        decoded = Mux(r.cur_esc, Mux(byte == ESC_END, END, ESC), byte)
        with m.If(rx_t):
            with m.If(byte == END):
                with m.If((r.cur_count != 0) | r.cur_bad | r.cur_esc):
                    m.d.comb += close.eq(1)
                with m.Else():
                    m.d.comb += nxt.esc.eq(0)
            with m.Elif(~r.cur_esc & (byte == ESC)):
                m.d.comb += nxt.esc.eq(1)
            with m.Else():
                m.d.comb += nxt.esc.eq(0)
                with m.If(r.cur_esc & (byte != ESC_END) & (byte != ESC_ESC)):
                    m.d.comb += nxt.bad.eq(1)
                with m.If(r.cur_count == depth):
                    m.d.comb += nxt.over.eq(1)
                with m.Else():
                    m.d.comb += [nxt.count.eq(r.cur_count + 1),
                                 nxt.crc.eq(crc_reference(r.cur_crc, decoded))]
                    with m.If(r.cur_count == 0):
                        m.d.comb += nxt.cmd.eq(decoded)
                    with m.If(r.cur_count == 1):
                        m.d.comb += nxt.seq.eq(decoded)
        busy = Signal()
        with m.If(restart):
            m.d.sync += phase.eq(0)
        with m.If(close):
            m.d.sync += phase.eq(1)
        with m.If(phase == 1):
            m.d.sync += [phase.eq(2), busy.eq(eie.busy)]

        # Section: the reference status of the closed frame (valid from phase 2 on).
        cmd = r.cmd
        n_payload = r.count - REQUEST_OVERHEAD
        known = (cmd >= min(Command)) & (cmd <= max(Command))
        words_cmd = (cmd == Command.WRITE) | (cmd == Command.READ)
        verdict = Signal(8)
        crc_bad = (r.crc != 0) if self._broken != "crc" else 0
        with m.If(r.bad | r.esc | (r.count < REQUEST_OVERHEAD)):
            m.d.comb += verdict.eq(Status.FRAME)
        with m.Elif(r.over):
            m.d.comb += verdict.eq(Status.LENGTH)
        with m.Elif(crc_bad):
            m.d.comb += verdict.eq(Status.CRC)
        with m.Elif(~known):
            m.d.comb += verdict.eq(Status.COMMAND)
        with m.Elif(busy & (words_cmd | (cmd == Command.START))):
            m.d.comb += verdict.eq(Status.BUSY)
        with m.Elif(((cmd == Command.INFO) | (cmd == Command.STATUS)) & (n_payload != 0)):
            m.d.comb += verdict.eq(Status.LENGTH)
        with m.Elif((cmd == Command.START) & (n_payload != START_BYTES)):
            m.d.comb += verdict.eq(Status.LENGTH)
        with m.Elif(words_cmd & (n_payload == 0)):
            m.d.comb += verdict.eq(Status.LENGTH)
        with m.Else():
            m.d.comb += verdict.eq(Status.OK)

        # Section: the host port.
        wr, rd = eie.write, eie.read_req
        answering = (phase == 2) & ~self.rx.ready
        accepted = answering & (verdict == Status.OK)
        m.d.comb += [
            Assert(~wr.valid | accepted),
            Assert(~rd.valid | accepted),
            Assert(~rd.valid | (cmd == Command.READ)),
            Assert(~wr.valid | (cmd == Command.WRITE) | (cmd == Command.START)),
        ]

        # Section: the response header (the encoder's body tokens) and its latency.
        _enc_frag, enc = part(frag, "encoder")
        tok, tok_sent = enc.body.payload, enc.body.valid & enc.body.ready
        n_tok = Signal(range(4))
        with m.If(phase == 1):
            m.d.sync += n_tok.eq(0)
        with m.Elif(tok_sent & (n_tok != 3)):
            m.d.sync += n_tok.eq(n_tok + 1)
        with m.If(enc.body.valid & answering):
            with m.If(n_tok == 0):
                m.d.comb += Assert(tok.first)
                with m.If(r.count >= 1):
                    m.d.comb += Assert(tok.data == cmd)
            with m.If((n_tok == 1) & (r.count >= 2)):
                m.d.comb += Assert(tok.data == r.seq)
            with m.If(n_tok == 2):
                with m.If((verdict == Status.OK) & words_cmd):
                    m.d.comb += Assert((tok.data == Status.OK) | (tok.data == Status.LENGTH) |
                                       (tok.data == Status.ARGUMENT))
                with m.Else():
                    m.d.comb += Assert(tok.data == verdict)
        with m.If(enc.body.valid & ~answering):
            m.d.comb += Assert(0)
        bound = self.answer_bound()
        age = Signal(range(bound + 2))
        waiting = Signal()
        with m.If(close):
            m.d.sync += [age.eq(0), waiting.eq(1)]
        with m.Elif(waiting & enc.body.valid):
            m.d.sync += waiting.eq(0)
        with m.Elif(waiting & (age != bound + 1) & ~(wr.valid & ~wr.ready)):
            m.d.sync += age.eq(age + 1)
        with m.If(waiting):
            m.d.comb += Assert(age < bound)
        m.d.comb += [Cover(accepted & wr.valid & wr.ready & (wr.payload.space == Space.START)),
                     Cover(answering & tok_sent & (n_tok == 2) & (tok.data == Status.CRC))]

        if self._induction:
            self._invariants(m, frag, r, phase, age, waiting, verdict, n_tok)
        return m

    def _invariants(self, m, frag, r, phase, age, waiting, verdict, n_tok):
        """The engine's registers against the reference's (see the class docstring)."""
        fmt, bound = self._format, self.answer_bound()
        reg = {name: driven(frag, name) for name in
               ("count", "overflow", "bad_escape", "esc", "crc", "cmd", "seq", "ptr", "end",
                "byte_idx", "executing", "is_read", "status", "bad_word", "word",
                "fsm_state")}
        state = reg["fsm_state"]
        codes = {}
        for n in range(2 ** len(state)):
            try:
                codes[state.decoder(n).split("/")[0]] = n
            except KeyError:
                pass
        st = {name: state == code for name, code in codes.items()}
        m.d.comb += Assert(Cat(*st.values()).any())
        receiving = st["RECV"]
        cmd = r.cmd
        words_cmd = (cmd == Command.WRITE) | (cmd == Command.READ)
        ok = verdict == Status.OK
        m.d.comb += [Assert(receiving == self.rx.ready), Assert((phase == 1) == st["CHECK"]),
                     Assert(phase != 3), Assert(~receiving | ~waiting),
                     Assert(receiving | (phase != 0)), Assert(r.count <= self._depth)]

        def receive_state_is_the_reference():
            """The engine's receive registers hold what the reference received."""
            m.d.comb += [Assert(reg["count"] == r.count), Assert(reg["overflow"] == r.over),
                         Assert(reg["bad_escape"] == r.bad), Assert(reg["esc"] == r.esc)]
            with m.If(~r.bad):
                m.d.comb += Assert(reg["crc"] == r.crc)
            with m.If(r.count >= 1):
                m.d.comb += Assert(reg["cmd"] == r.cmd)
            with m.If(r.count >= 2):
                m.d.comb += Assert(reg["seq"] == r.seq)

        with m.If(receiving & (phase == 0)):
            receive_state_is_the_reference()
        with m.If(receiving & (phase == 2)):
            m.d.comb += [Assert(reg["count"] == 0), Assert(~reg["overflow"]),
                         Assert(~reg["bad_escape"]), Assert(~reg["esc"]),
                         Assert(reg["crc"] == CRC_INIT)]
        with m.If(phase == 1):
            m.d.comb += [Assert(waiting), Assert(age == 0)]
        with m.If((phase != 0) & ~receiving):
            receive_state_is_the_reference()
        with m.If((phase == 2) & ~receiving):
            with m.If(r.count >= 1):
                m.d.comb += Assert(reg["is_read"] == (cmd == Command.READ))
            with m.If(ok & words_cmd):
                m.d.comb += Assert((reg["status"] == Status.OK) |
                                   (reg["status"] == Status.LENGTH) |
                                   (reg["status"] == Status.ARGUMENT))
            with m.Else():
                m.d.comb += Assert(reg["status"] == verdict)
            with m.If(reg["executing"]):
                # A pass over whole words of the body, already checked.
                size = Mux(reg["is_read"], fmt.read_bytes, fmt.word_bytes)
                payload = r.count - REQUEST_OVERHEAD
                whole = Mux(reg["is_read"], payload // fmt.read_bytes * fmt.read_bytes,
                            payload // fmt.word_bytes * fmt.word_bytes)
                m.d.comb += [Assert(ok), Assert(words_cmd), Assert(reg["status"] == Status.OK),
                             Assert(reg["end"] == r.count - 2), Assert(whole == payload),
                             Assert(size > 0)]
            passes = (st["FETCH"] | st["LATCH"] | st["WORD"] | st["CHECK_WORD"] |
                      st["READ_REQ"] | st["READ_WAIT"] | st["READ_SEND"])
            with m.If(passes):
                m.d.comb += [Assert(ok), Assert(words_cmd), Assert(reg["status"] == Status.OK),
                             Assert(reg["end"] == r.count - 2)]
            with m.If(st["READ_REQ"] | st["READ_WAIT"] | st["READ_SEND"]):
                m.d.comb += [Assert(reg["executing"]), Assert(reg["is_read"])]
            starting = st["START_FETCH"] | st["START_LATCH"] | st["START_GO"]
            with m.If(starting):
                m.d.comb += [Assert(ok), Assert(cmd == Command.START),
                             Assert(reg["status"] == Status.OK), Assert(waiting),
                             Assert(n_tok == 0), Assert(reg["ptr"] >= 2),
                             Assert(reg["ptr"] <= 2 + START_BYTES)]
            with m.If(st["START_FETCH"]):
                m.d.comb += [Assert(age == 1 + 2 * (reg["ptr"] - 2)),
                             Assert(reg["ptr"] < 2 + START_BYTES)]
            with m.If(st["START_LATCH"]):
                m.d.comb += Assert(age == 2 * (reg["ptr"] - 2))
            with m.If(st["START_GO"]):
                m.d.comb += [Assert(age == 1 + 2 * START_BYTES),
                             Assert(reg["ptr"] == 2 + START_BYTES)]
            with m.If(st["ERROR"]):
                m.d.comb += [Assert(waiting), Assert(age <= bound - 2), Assert(n_tok == 0),
                             Assert(reg["status"] != Status.OK)]
            header = st["HDR_CMD"] | st["HDR_SEQ"] | st["HDR_STATUS"]
            with m.If(header & words_cmd & (reg["status"] == Status.OK)):
                m.d.comb += [Assert(reg["executing"]), Assert(reg["ptr"] == 2),
                             Assert(reg["byte_idx"] == 0)]
            with m.If(st["HDR_CMD"]):
                m.d.comb += Assert(n_tok == 0)
            with m.If(st["HDR_SEQ"]):
                m.d.comb += [Assert(n_tok == 1), Assert(~waiting)]
            with m.If(st["HDR_STATUS"]):
                m.d.comb += [Assert(n_tok == 2), Assert(~waiting)]
            with m.If(st["SEND_INFO"] | st["SEND_STATUS"] | st["FINISH"]):
                m.d.comb += [Assert(n_tok == 3), Assert(~waiting)]
            with m.If(st["SEND_INFO"]):
                m.d.comb += [Assert(ok), Assert(cmd == Command.INFO)]
            with m.If(st["SEND_STATUS"]):
                m.d.comb += [Assert(ok), Assert(cmd == Command.STATUS)]
            with m.If(reg["executing"] & passes):
                m.d.comb += [Assert(n_tok == 3), Assert(~waiting), Assert(reg["ptr"] >= 2),
                             Assert(reg["ptr"] <= reg["end"])]
            # The first pass: its position fixes the cycles since the closing END.
            first_pass = ~reg["executing"] & (st["FETCH"] | st["LATCH"] | st["WORD"] |
                                              st["CHECK_WORD"])
            with m.If(first_pass):
                size = Mux(reg["is_read"], fmt.read_bytes, fmt.word_bytes)
                done = reg["ptr"] - 2
                m.d.comb += [Assert(waiting), Assert(n_tok == 0), Assert(reg["ptr"] >= 2),
                             Assert(reg["ptr"] <= reg["end"]), Assert(reg["byte_idx"] < size)]

                def words(n_bytes):
                    return Mux(reg["is_read"], n_bytes // fmt.read_bytes,
                               n_bytes // fmt.word_bytes)

                # Cycles: CHECK, then per byte FETCH + LATCH, per word WORD + CHECK_WORD.
                with m.If(st["FETCH"]):
                    m.d.comb += [Assert(age == 1 + 2 * done + 2 * words(done)),
                                 Assert(reg["byte_idx"] == done - words(done) * size)]
                with m.If(st["LATCH"]):
                    m.d.comb += [Assert(done >= 1),
                                 Assert(age == 2 * done + 2 * words(done - 1)),
                                 Assert(reg["byte_idx"] == done - 1 - words(done - 1) * size)]
                with m.If(st["WORD"] | st["CHECK_WORD"]):
                    m.d.comb += [Assert(done >= size), Assert(reg["byte_idx"] == 0),
                                 Assert(done == words(done) * size)]
                with m.If(st["WORD"]):
                    m.d.comb += Assert(age == 2 * done + 2 * words(done) - 1)
                with m.If(st["CHECK_WORD"]):
                    m.d.comb += Assert(age == 2 * done + 2 * words(done))
        # The word checks: the flag after a first-pass CHECK_WORD, and the second pass.
        checked = Signal()
        expect = Signal()
        m.d.sync += [checked.eq((phase == 2) & first_pass & st["CHECK_WORD"]),
                     expect.eq(reg["bad_word"] |
                               ~word_ok_reference(self._config, reg["is_read"], reg["word"]))]
        with m.If(checked):
            m.d.comb += [Assert(reg["bad_word"] == expect), Assert(st["FETCH"]),
                         Assert(~reg["executing"]), Assert(phase == 2)]
        with m.If(reg["executing"]):
            m.d.comb += Assert(~reg["bad_word"])
