"""Host port of a board running the EIE link (:mod:`boards.frame`), over any
:class:`~boards.transport.Transport`.

:class:`EIEDevice` is the board's :class:`~eie_hw.host.session.HostPort`: it packs the host
words (:mod:`eie_hw.host.words`) into frames and checks the answers; the host session
(:class:`~eie_hw.host.session.HostSession`) does the rest, as for the simulated array. Its
:meth:`EIEDevice.run` and :meth:`EIEDevice.run_batch` are that session, run synchronously.
"""

import numpy as np

from eie_hw.host.session import HostPort, HostSession, JobStatus, run_sync
from eie_hw.host.words import encode_read, encode_write
from eie_hw.protocol import STATUS_LAYOUT, Space, unpack

from .frame import START_BYTES, Command, FrameFormat, SlipReader, Status

__all__ = ["DeviceError", "EIEDevice"]


class DeviceError(OSError):
    """The device refused a request, did not answer, or does not match the image (an
    ``OSError``, like the serial port's own errors, so ``eie`` reports it as one)."""


class EIEDevice(HostPort):
    """Talks to one device: the :class:`~eie_hw.host.session.HostPort` of a board.

    Parameters
    ----------
    transport : Transport
    config : EIEConfig
        The configuration the device was built for (checked by :meth:`check_config`).
    timeout : float
        Seconds to wait for each response.
    job_timeout : float
        Seconds :meth:`wait` polls for the end of a job.
    retries : int
        Times a request is repeated after a lost or corrupted response, or when the device
        saw it corrupted (``CRC``/``FRAME``). A repeated ``START`` whose first copy did start
        the job gets ``BUSY``.
    """

    def __init__(self, transport, config, *, timeout=1.0, retries=2, job_timeout=10.0):
        self._transport = transport
        self._format = FrameFormat(config)
        self.config = config
        self._timeout = timeout
        self._job_timeout = job_timeout
        self._retries = retries
        self._seq = 0
        self._reader = SlipReader()
        self._pending = []
        self._session = HostSession(self)

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
        """Send :class:`eie_hw.host.words.Write` words other than ``START``, as many per frame
        as fit."""
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
        self.request(Command.START, int(n_layers).to_bytes(START_BYTES, "little"))

    def status(self):
        p = self.request(Command.STATUS).payload
        flags = unpack(STATUS_LAYOUT, p[0])
        return JobStatus(bool(flags["busy"]), bool(flags["done"]), flags["error"],
                         int.from_bytes(p[1:], "little"))

    def read_values(self, requests):
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

    # Section: the host port (eie_hw.host.session.HostPort).

    async def write(self, words):
        """``START`` words become ``START`` requests; runs of other words ``WRITE`` frames."""
        run = []
        for w in words:
            if w.space == Space.START:
                self.write_words(run)
                run = []
                self.start(w.data)
            else:
                run.append(w)
        self.write_words(run)

    async def wait(self):
        return self.poll_done()

    async def read(self, requests):
        return self.read_values(requests)

    def poll_done(self):
        """Poll ``STATUS`` until the job is done (at most ``job_timeout`` seconds); the
        :class:`~eie_hw.host.session.JobStatus`."""
        deadline = self._transport.clock() + self._job_timeout
        while True:
            st = self.status()
            if st.done and not st.busy:
                return st
            if self._transport.clock() > deadline:
                raise DeviceError(f"job still running after {self._job_timeout} s ({st})")

    # Section: jobs, synchronously.

    def run(self, image, x):
        """One job of ``image`` (loaded unless it is the image loaded last) on input ``x``
        (fixed point, original order): a :class:`~eie_hw.host.session.JobResult`."""
        self._check_image(image)
        return run_sync(self._session.run(np.asarray(x), image))

    def run_batch(self, image, inputs, *, progress=None):
        """Every row of ``inputs`` through ``image``, loaded once: a
        :class:`~eie_hw.host.session.BatchResult`."""
        self._check_image(image)
        return run_sync(self._session.run_batch(inputs, image, progress=progress))

    def _check_image(self, image):
        if image.config != self.config:
            raise DeviceError("the image was encoded for another EIEConfig than the device's")
