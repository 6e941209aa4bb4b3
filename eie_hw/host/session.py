"""One host session over any port: load an image, load an input, start, wait, read.

This is the only place that knows the order of a job (docs/protocol.md, "A job"). Whatever
reaches an :class:`~eie_hw.rtl.top.EIETop` — the Amaranth simulator, the cocotb bench of the
exported Verilog, a board over its UART link — implements :class:`HostPort` (send words, wait
for the end of a job, read activations) and nothing else, so the same session code runs in a
testbench and against a board (docs/architecture.md).

The session is asynchronous because two of its ports live inside a simulator's scheduler;
:func:`run_sync` runs a coroutine on a port that does not (a board).
"""

import abc
import asyncio
from dataclasses import dataclass

import numpy as np

from eie_hw.protocol import COUNTED_ACTIONS

from .words import image_writes, input_writes, output_requests, start_write

__all__ = ["JobStatus", "JobResult", "BatchResult", "HostPort", "HostSession", "run_sync"]


@dataclass(frozen=True)
class JobStatus:
    """The array's status outputs at the end of a job. ``broadcasts``, ``stalls`` and the
    action counters (``eie_hw.protocol.COUNTED_ACTIONS``: ``spmat_word_reads``,
    ``pointer_reads``, ``multiplies``, ``acc_writes``) are ``None`` where the port cannot
    read them (the board link reports flags and ``cycles``)."""

    busy: bool
    done: bool
    error: int
    cycles: int
    broadcasts: int | None = None
    stalls: int | None = None
    spmat_word_reads: int | None = None
    pointer_reads: int | None = None
    multiplies: int | None = None
    acc_writes: int | None = None

    @property
    def counters(self):
        """``{name: count or None}`` of every action counter (``COUNTED_ACTIONS`` order)."""
        return {name: getattr(self, name) for name in COUNTED_ACTIONS}


@dataclass(frozen=True)
class JobResult:
    """One job: outputs in the network's original row order and in the physical order read
    from the PEs, and the status at its end."""

    outputs: np.ndarray
    physical: np.ndarray
    status: JobStatus

    @property
    def cycles(self):
        return self.status.cycles

    @property
    def error(self):
        return self.status.error


@dataclass(frozen=True)
class BatchResult:
    """A batch of jobs on one image: ``outputs`` / ``physical`` ``(batch, n_out)``,
    ``cycles`` / ``errors`` ``(batch,)``, and every job's :class:`JobStatus`."""

    outputs: np.ndarray
    physical: np.ndarray
    cycles: np.ndarray
    errors: np.ndarray
    statuses: tuple

    @classmethod
    def of(cls, results, n_out):
        """The batch of :class:`JobResult` ``results`` of an image with ``n_out`` outputs."""
        def rows(key):
            return np.array([getattr(r, key) for r in results], dtype=np.int64).reshape(-1, n_out)
        return cls(outputs=rows("outputs"), physical=rows("physical"),
                   cycles=np.array([r.cycles for r in results], dtype=np.int64),
                   errors=np.array([r.error for r in results], dtype=np.int64),
                   statuses=tuple(r.status for r in results))


class HostPort(abc.ABC):
    """What a session needs of a device. Implementations: ``AmaranthHostPort``
    (:mod:`sim.verify.amaranth_host`), ``NativeHostPort`` (:mod:`sim.verify.native.port`),
    ``CocotbHostPort`` (:mod:`sim.verify.cocotb_bench.tb`), ``EIEDevice`` (:mod:`boards.host`).

    Members
    -------
    config : EIEConfig
        The configuration of the device behind the port.
    """

    config = None

    @abc.abstractmethod
    async def write(self, words):
        """Send :class:`~.words.Write` words, in order, until the device has taken all of them."""

    @abc.abstractmethod
    async def wait(self):
        """Wait until the job started by the last ``START`` has ended; its :class:`JobStatus`."""

    @abc.abstractmethod
    async def read(self, requests):
        """The activations ``(pe, addr)`` of the result bank, as signed integers, in order."""


class HostSession:
    """Runs jobs of one loaded image through ``port``.

    Parameters
    ----------
    port : HostPort

    The session remembers which image it loaded: :meth:`run` and :meth:`run_batch` load the
    image once and then send only each input (its bank-0 words and ``START``).
    """

    def __init__(self, port):
        if not isinstance(port, HostPort):
            raise TypeError(f"port must be a HostPort, not {type(port).__name__}")
        self._port = port
        self._image = None

    @property
    def port(self):
        return self._port

    @property
    def image(self):
        """The image whose memories were loaded last (``None`` before :meth:`load`)."""
        return self._image

    async def load(self, image):
        """Write every memory word and layer-table entry of ``image``."""
        if image.config != self._port.config:
            raise ValueError("the image was encoded for another EIEConfig than the device's "
                             f"(image: {image.config}, device: {self._port.config})")
        self._image = None            # a load cut short leaves no usable image
        await self._port.write(image_writes(image))
        self._image = image

    async def load_input(self, x):
        """Write input ``x`` (fixed point, original order) into activation bank 0."""
        image = self._loaded()
        x = np.asarray(x)
        if x.shape != (image.n_inputs,):
            raise ValueError(f"an input of this image has shape ({image.n_inputs},), "
                             f"not {x.shape}")
        await self._port.write(input_writes(image.config, x))

    async def start(self):
        """Send ``START`` for every layer of the loaded image."""
        await self._port.write([start_write(self._loaded())])

    async def wait(self):
        """Wait for the end of the job; its :class:`JobStatus`."""
        return await self._port.wait()

    async def read_outputs(self):
        """The loaded image's outputs, physical row order (``int64`` array)."""
        image = self._loaded()
        return np.array(await self._port.read(output_requests(image)), dtype=np.int64)

    async def run(self, x, image=None):
        """One job: load ``image`` (if given, or if it is not the one loaded), ``x``, start,
        wait, read. Returns a :class:`JobResult`."""
        if image is not None and image is not self._image:
            await self.load(image)
        await self.load_input(x)
        await self.start()
        status = await self.wait()
        physical = await self.read_outputs()
        return JobResult(self._image.restore_outputs(physical), physical, status)

    async def run_batch(self, inputs, image=None, *, reload=False, progress=None):
        """:meth:`run` for every row of ``inputs`` (``(batch, n_in)``, or one ``(n_in,)``
        input). The image is loaded once, or with ``reload`` before every input;
        ``progress(i)`` is called after job ``i``. Returns a :class:`BatchResult`."""
        inputs = np.asarray(inputs)
        if inputs.ndim == 1:
            inputs = inputs[None, :]
        if inputs.ndim != 2:
            raise ValueError(f"inputs must be (batch, n_in), not an array of shape "
                             f"{inputs.shape}")
        image = image or self._loaded()
        results = []
        for i, x in enumerate(inputs):
            if reload:
                await self.load(image)
            results.append(await self.run(x, image))
            if progress:
                progress(i)
        return BatchResult.of(results, image.n_outputs)

    def _loaded(self):
        if self._image is None:
            raise RuntimeError("no image loaded: call load(image) first")
        return self._image


def run_sync(coroutine):
    """Run a session coroutine on a port that needs no simulator (a board): ``asyncio.run``."""
    return asyncio.run(coroutine)
