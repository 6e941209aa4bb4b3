"""Host driver of a board running the EIE link (:mod:`boards.frame`), over any
:class:`~boards.transport.Transport`.

The words it sends come from :mod:`eie_hw.host.words` (the one encoder of EIETop's protocol);
this module only packs them into frames and checks the answers.
"""

from dataclasses import dataclass

import numpy as np

from eie_hw.host.words import encode_read, encode_write, load_transactions, output_requests

from .frame import Command, FrameFormat, SlipReader, Status

__all__ = ["DeviceError", "DeviceStatus", "RunResult", "EIEDevice"]


class DeviceError(OSError):
    """The device refused a request, did not answer, or does not match the image (an
    ``OSError``, like the serial port's own errors, so ``eie`` reports it as one)."""


@dataclass(frozen=True)
class DeviceStatus:
    busy: bool
    done: bool
    error: int
    cycles: int


@dataclass(frozen=True)
class RunResult:
    outputs: np.ndarray      #: original row order
    physical: np.ndarray     #: physical row order (as read from the PEs)
    cycles: int
    error: int


class EIEDevice:
    """Talks to one device.

    Parameters
    ----------
    transport : Transport
    config : EIEConfig
        The configuration the device was built for (checked by :meth:`check_config`).
    timeout : float
        Seconds to wait for each response.
    retries : int
        Times a request is repeated after a lost or corrupted response, or when the device
        saw it corrupted (``CRC``/``FRAME``). A repeated ``START`` whose first copy did start
        the job gets ``BUSY``.
    """

    def __init__(self, transport, config, *, timeout=1.0, retries=2):
        self._transport = transport
        self._format = FrameFormat(config)
        self._timeout = timeout
        self._retries = retries
        self._seq = 0
        self._reader = SlipReader()
        self._pending = []

    @property
    def format(self):
        return self._format

    # Section: frames.

    def _response(self, seq):
        """The response numbered ``seq``, or ``None`` after ``timeout`` (transport time)."""
        deadline = self._transport.clock() + self._timeout
        while True:
            while self._pending:
                resp = FrameFormat.parse_response(self._pending.pop(0))
                if resp is not None and resp.seq == seq:
                    return resp
            remaining = deadline - self._transport.clock()
            if remaining <= 0:
                return None
            self._pending.extend(self._reader.feed(self._transport.read(remaining)))

    def request(self, cmd, payload=b"", *, check=True):
        """Send one request; return the :class:`~boards.frame.Response`. With ``check``, a
        status other than ``OK`` raises :class:`DeviceError`."""
        for _ in range(self._retries + 1):
            self._seq = (self._seq + 1) & 0xFF
            self._transport.write(self._format.request(cmd, self._seq, payload))
            resp = self._response(self._seq)
            # A request damaged on the way had no effect: sending it again is safe.
            if resp is not None and resp.status not in (Status.CRC, Status.FRAME):
                break
        else:
            what = "no valid response" if resp is None else f"{resp.status.name} error"
            raise DeviceError(f"{what} to {Command(cmd).name} after {self._retries + 1} "
                              f"attempts; check the port, baud rate and bitstream")
        if check and resp.status != Status.OK:
            raise DeviceError(f"{Command(cmd).name} refused: {resp.status.name}")
        return resp

    # Section: commands.

    def info(self):
        return self.request(Command.INFO).payload

    def check_config(self):
        """Raise :class:`DeviceError` unless the device was built for this configuration."""
        got, want = self.info(), self._format.info_bytes()
        if got != want:
            raise DeviceError("the device was built for another EIEConfig (INFO differs); "
                              "rebuild the bitstream or encode the image for the board config")

    def write_words(self, words):
        """Send :class:`eie_hw.host.words.Write` words, as many per frame as fit."""
        fmt, cfg = self._format, self._format.config
        for w in words:
            problem = fmt.check_write(w)
            if problem:
                raise DeviceError(f"write does not fit the configuration: {problem}")
        n = fmt.max_write_words
        for i in range(0, len(words), n):
            payload = b"".join(encode_write(cfg, w).to_bytes(fmt.word_bytes, "little")
                               for w in words[i:i + n])
            self.request(Command.WRITE, payload)

    def start(self, n_layers):
        self.request(Command.START, int(n_layers).to_bytes(2, "little"))

    def status(self):
        p = self.request(Command.STATUS).payload
        return DeviceStatus(bool(p[0] & 1), bool(p[0] & 2), p[0] >> 2,
                            int.from_bytes(p[1:5], "little"))

    def wait(self, timeout=10.0):
        """Poll until the job is done; its :class:`DeviceStatus`."""
        deadline = self._transport.clock() + timeout
        while True:
            st = self.status()
            if st.done and not st.busy:
                return st
            if self._transport.clock() > deadline:
                raise DeviceError(f"job still running after {timeout} s ({st})")

    def read(self, requests):
        """Activations ``(pe, addr)`` of the result bank, as signed integers."""
        fmt, cfg = self._format, self._format.config
        out = []
        n = fmt.max_read_words
        bits = 8 * fmt.act_bytes
        for i in range(0, len(requests), n):
            chunk = requests[i:i + n]
            payload = b"".join(encode_read(cfg, pe, addr).to_bytes(fmt.read_bytes, "little")
                               for pe, addr in chunk)
            data = self.request(Command.READ, payload).payload
            if len(data) != len(chunk) * fmt.act_bytes:
                raise DeviceError(f"READ returned {len(data)} bytes for {len(chunk)} values")
            for k in range(len(chunk)):
                v = int.from_bytes(data[k * fmt.act_bytes:(k + 1) * fmt.act_bytes], "little")
                out.append(v - (1 << bits) if v >> (bits - 1) else v)
        return out

    def run(self, image, x, *, timeout=10.0):
        """Load ``image`` and input ``x`` (fixed point, original order), run, read back."""
        if image.config != self._format.config:
            raise DeviceError("the image was encoded for another EIEConfig than the device's")
        self.write_words(load_transactions(image, x))
        self.start(len(image.layers))
        st = self.wait(timeout)
        physical = np.array(self.read(output_requests(image)), dtype=np.int64)
        return RunResult(image.restore_outputs(physical), physical, st.cycles, st.error)
