"""The board link's frame format, defined once: the gateware (:mod:`boards.engine`) and the host
driver (:mod:`boards.host`) both import it (docs/boards.md, "Frames").

A frame is SLIP-framed (``END`` before and after, ``END``/``ESC`` in the body escaped) and its
body is::

    request:   cmd  seq  payload…        crc_hi crc_lo
    response:  cmd  seq  status payload… crc_hi crc_lo

``crc`` is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) of every
body byte before it, so the CRC of a whole good body is 0. ``seq`` is echoed, so the host can
drop a stale answer (for example the error response to line noise).

Requests (payload; response payload):

* ``INFO`` (none; :meth:`FrameFormat.info_bytes`): identifies the configuration.
* ``WRITE`` (``k >= 1`` words of ``word_bytes`` bytes, little-endian ``write`` stream payloads of
  :class:`eie_hw.rtl.top.EIETop`, ``space != START``; none). Every word is checked against the
  configuration (:meth:`FrameFormat.check_write`) before any is written: a frame is all or
  nothing.
* ``START`` (``n_layers``, :data:`START_BYTES` bytes LE; none).
* ``STATUS`` (none; ``flags``, one byte packed as :data:`eie_hw.protocol.STATUS_LAYOUT`
  (busy, done, error from bit 0 up), then ``cycles``, :data:`CYCLE_BYTES` bytes LE).
* ``READ`` (``k >= 1`` words of ``read_bytes`` bytes, little-endian ``read_req`` payloads,
  ``addr < act_depth``; ``k`` activations of ``act_bytes`` bytes LE, two's complement).

``WRITE``, ``START`` and ``READ`` get ``BUSY`` while a job runs. Any other problem gets the
:class:`Status` naming it; the device then waits for the next frame.
"""

import binascii
import enum
from dataclasses import dataclass

from eie_hw.config import EIEConfig
from eie_hw.protocol import (
    CYCLE_COUNTER_BITS,
    START_COUNT_BITS,
    STATUS_LAYOUT,
    memory_map,
    read_req_layout,
    write_layout,
)

__all__ = ["END", "ESC", "ESC_END", "ESC_ESC", "Command", "Status", "crc16", "slip_encode",
           "SlipReader", "FrameFormat", "Response", "PROTOCOL_VERSION", "BUFFER_DEPTH",
           "START_BYTES", "CYCLE_BYTES", "STATUS_BYTES"]

END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
CRC_POLY, CRC_INIT = 0x1021, 0xFFFF
PROTOCOL_VERSION = 2
#: Bytes of one received body (cmd, seq, payload, crc) the device can hold.
BUFFER_DEPTH = 256
#: Bytes of a request body besides its payload.
REQUEST_OVERHEAD = 4
#: Bytes of a ``START`` payload: the layer count, :data:`eie_hw.protocol.START_COUNT_BITS` wide.
START_BYTES = -(-START_COUNT_BITS // 8)
#: Bytes of the cycle count in a ``STATUS`` response.
CYCLE_BYTES = -(-CYCLE_COUNTER_BITS // 8)
#: Bytes of a ``STATUS`` response payload: the flags byte, then the cycle count.
STATUS_BYTES = 1 + CYCLE_BYTES
if STATUS_LAYOUT.size > 8:
    raise AssertionError("the STATUS flags must fit one byte")


class Command(enum.IntEnum):
    INFO = 0x01
    WRITE = 0x02
    START = 0x03
    STATUS = 0x04
    READ = 0x05


class Status(enum.IntEnum):
    OK = 0
    CRC = 1        #: the body's CRC is wrong
    FRAME = 2      #: bad escape sequence or a body shorter than cmd, seq and CRC
    LENGTH = 3     #: body longer than BUFFER_DEPTH or payload length wrong for the command
    COMMAND = 4    #: unknown command
    ARGUMENT = 5   #: a word does not fit the configuration
    BUSY = 6       #: a job is running


def crc16(data, crc=CRC_INIT):
    """CRC-16/CCITT-FALSE of ``data`` (bytes)."""
    return binascii.crc_hqx(bytes(data), crc)


def crc16_step(crc, byte, mux):
    """One byte of the CRC, bit-serial, written once for integers and Amaranth values:
    ``mux(sel, a, b)`` is ``a if sel else b`` (``amaranth.Mux`` in gateware)."""
    for i in range(8):
        feedback = ((crc >> 15) ^ (byte >> (7 - i))) & 1
        shifted = (crc << 1) & 0xFFFF
        crc = mux(feedback, shifted ^ CRC_POLY, shifted)
    return crc


def slip_encode(body):
    """``END`` + escaped ``body`` + ``END``."""
    out = bytearray([END])
    for b in body:
        if b == END:
            out += bytes([ESC, ESC_END])
        elif b == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(b)
    out.append(END)
    return bytes(out)


class SlipReader:
    """Incremental SLIP decoder: :meth:`feed` bytes, get complete bodies (``None`` for a body
    with a bad escape). Empty bodies (back-to-back ``END``) are skipped."""

    def __init__(self):
        self._body, self._esc, self._bad = bytearray(), False, False

    def feed(self, data):
        bodies = []
        for b in data:
            if b == END:
                if self._body or self._bad:
                    bodies.append(None if self._bad else bytes(self._body))
                self._body, self._esc, self._bad = bytearray(), False, False
            elif self._esc:
                self._esc = False
                if b in (ESC_END, ESC_ESC):
                    self._body.append(END if b == ESC_END else ESC)
                else:
                    self._bad = True
            elif b == ESC:
                self._esc = True
            else:
                self._body.append(b)
        return bodies


@dataclass(frozen=True)
class Response:
    cmd: int
    seq: int
    status: Status
    payload: bytes


class FrameFormat:
    """The sizes and checks of frames for one :class:`EIEConfig`.

    Parameters
    ----------
    config : EIEConfig
    """

    def __init__(self, config):
        if not isinstance(config, EIEConfig):
            raise TypeError(f"FrameFormat: config must be an EIEConfig, not {config!r}")
        self._config = config

    @property
    def config(self):
        return self._config

    @property
    def word_bytes(self):
        """Bytes of one ``WRITE`` word."""
        return -(-write_layout(self._config).size // 8)

    @property
    def read_bytes(self):
        """Bytes of one ``READ`` request word."""
        return -(-read_req_layout(self._config).size // 8)

    @property
    def act_bytes(self):
        """Bytes of one activation in a ``READ`` response."""
        return -(-self._config.act_width // 8)

    @property
    def max_payload(self):
        return BUFFER_DEPTH - REQUEST_OVERHEAD

    @property
    def max_write_words(self):
        return self.max_payload // self.word_bytes

    @property
    def max_read_words(self):
        return self.max_payload // self.read_bytes

    def check_write(self, word):
        """``None`` if the :class:`eie_hw.host.words.Write` ``word`` fits the memory map
        (:func:`eie_hw.protocol.memory_map`) and is not a ``START``, else the reason."""
        regions = memory_map(self._config)
        if word.space not in regions:
            return f"space {word.space.name} cannot be written"
        depth, bits = regions[word.space].depth, regions[word.space].data_bits
        if not 0 <= word.pe < self._config.n_pes:
            return f"PE {word.pe} of {self._config.n_pes}"
        if not 0 <= word.addr < depth:
            return f"{word.space.name} address {word.addr} (depth {depth})"
        if not 0 <= word.data < 2 ** bits:
            return f"{word.space.name} data {word.data:#x} wider than {bits} bits"
        return None

    def info_bytes(self):
        """The ``INFO`` response payload: protocol version, then the configuration's fields
        (4 bytes LE each, in :class:`EIEConfig` field order)."""
        values = [PROTOCOL_VERSION, *(v for v in self._config.to_dict().values())]
        return b"".join(int(v).to_bytes(4, "little") for v in values)

    # Section: host-side frame building and parsing.

    def request(self, cmd, seq, payload=b""):
        """The wire bytes of a request."""
        body = bytes([int(cmd), seq & 0xFF]) + bytes(payload)
        return slip_encode(body + crc16(body).to_bytes(2, "big"))

    @staticmethod
    def parse_response(body):
        """A :class:`Response` from a SLIP body, or ``None`` if it is malformed or its CRC is
        wrong."""
        if body is None or len(body) < 5 or crc16(body) != 0:
            return None
        try:
            status = Status(body[2])
        except ValueError:
            return None
        return Response(body[0], body[1], status, bytes(body[3:-2]))
