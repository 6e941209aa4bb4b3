"""The response the board link must give to each request frame, written from docs/boards.md
("Frames") on the host side, independently of the gateware: the reference of the fuzz test.

:func:`split_frames` cuts a byte stream where the device closes frames; :func:`expected`
gives the status (and, where it is fixed, the payload) of the response to one of them.
"""

from dataclasses import dataclass

from boards.frame import (
    BUFFER_DEPTH,
    END,
    ESC,
    ESC_END,
    ESC_ESC,
    START_BYTES,
    STATUS_BYTES,
    Command,
    Status,
    crc16,
)
from eie_hw.host.words import Write
from eie_hw.protocol import Space, read_req_layout, write_layout

__all__ = ["Closed", "Expected", "split_frames", "expected"]


@dataclass(frozen=True)
class Closed:
    """A frame as the device receives it: the unescaped ``body`` and whether its escaping was
    bad (an ``ESC`` followed by anything but ``ESC_END``/``ESC_ESC``, or by the closing
    ``END``)."""

    body: bytes
    bad_escape: bool


@dataclass(frozen=True)
class Expected:
    """The response to a :class:`Closed` frame: ``cmd`` and ``seq`` (``None`` where the body
    is too short to carry them: the device then repeats stale ones), ``status``, and the
    ``payload`` (``None``: not fixed by the request, only ``length`` bytes long)."""

    cmd: int | None
    seq: int | None
    status: Status
    length: int
    payload: bytes | None


def split_frames(stream):
    """The :class:`Closed` frames of ``stream`` (bytes): an ``END`` closes a frame that has a
    byte or a pending or bad escape; back-to-back ``END``s close nothing."""
    frames, body, esc, bad = [], bytearray(), False, False
    for b in stream:
        if b == END:
            if body or esc or bad:
                frames.append(Closed(bytes(body), bad or esc))
            body, esc, bad = bytearray(), False, False
        elif esc:
            esc = False
            bad |= b not in (ESC_END, ESC_ESC)
            body.append(END if b == ESC_END else ESC)
        elif b == ESC:
            esc = True
        else:
            body.append(b)
    return frames


def _fields(layout, value):
    return {name: (value >> field.offset) & ((1 << field.width) - 1) for name, field in layout}


def _word_ok(fmt, cmd, word):
    cfg = fmt.config
    if cmd == Command.READ:
        rl = read_req_layout(cfg)
        f = _fields(rl, word)
        return word >> rl.size == 0 and f["addr"] < cfg.act_depth and f["pe"] < cfg.n_pes
    wl = write_layout(cfg)
    f = _fields(wl, word)
    if word >> wl.size:
        return False
    space = Space(f["space"])
    return space != Space.START and fmt.check_write(
        Write(space, f["pe"], f["addr"], f["data"])) is None


def expected(fmt, frame, *, busy=False):
    """The :class:`Expected` response of a device of format ``fmt`` (a
    :class:`~boards.frame.FrameFormat`)
    to ``frame``, with ``busy`` telling whether a job runs."""
    body = frame.body
    cmd = body[0] if body else None
    seq = body[1] if len(body) > 1 else None
    n = len(body) - 4

    def refused(status):
        return Expected(cmd, seq, status, 0, b"")

    if frame.bad_escape or len(body) < 4:
        return refused(Status.FRAME)
    if len(body) > BUFFER_DEPTH:
        return refused(Status.LENGTH)
    if crc16(body) != 0:
        return refused(Status.CRC)
    if cmd not in set(Command):
        return refused(Status.COMMAND)
    if busy and cmd in (Command.WRITE, Command.START, Command.READ):
        return refused(Status.BUSY)
    size = {Command.WRITE: fmt.word_bytes, Command.READ: fmt.read_bytes}.get(cmd)
    if (cmd in (Command.INFO, Command.STATUS) and n != 0) or \
            (cmd == Command.START and n != START_BYTES) or \
            (size is not None and (n == 0 or n % size)):
        return refused(Status.LENGTH)
    if size is not None:
        payload = body[2:-2]
        words = [int.from_bytes(payload[i:i + size], "little")
                 for i in range(0, len(payload), size)]
        if not all(_word_ok(fmt, cmd, w) for w in words):
            return refused(Status.ARGUMENT)
        if cmd == Command.READ:
            return Expected(cmd, seq, Status.OK, len(words) * fmt.act_bytes, None)
    if cmd == Command.INFO:
        return Expected(cmd, seq, Status.OK, len(fmt.info_bytes()), fmt.info_bytes())
    if cmd == Command.STATUS:
        return Expected(cmd, seq, Status.OK, STATUS_BYTES, None)
    return Expected(cmd, seq, Status.OK, 0, b"")

