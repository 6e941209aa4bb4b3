"""The Python API: one object from a trained PyTorch model to every way of running it on EIE.

In the spirit of hls4ml's convert → compile → predict::

    from sim import EIEModel

    eie = EIEModel.compress(model, config, (x_train, y_train), Settings(sparsity=0.9))
    eie.predict(x)                     # golden model: float in, float out (bit-exact)
    eie.simulate(x, backend="verilator", check=True)   # the RTL: outputs, cycles, counters
    eie.save("net.eie"); EIEModel.load("net.eie")
    eie.save_compressed("net.eiz"); EIEModel.load("net.eiz")   # Deep Compression's storage form
    eie.report(x)                      # compression, per-PE load, cycles
    eie.run_on_board(x, port="/dev/ttyUSB1")          # or sim=True: the board's simulation

Inputs are float activations (converted with :func:`eie_hw.fixedpoint.act_to_fixed`) or, if
their dtype is an integer, fixed point already; outputs are in the network's row order.
"""

from pathlib import Path

import numpy as np

from eie_hw.fixedpoint import act_from_fixed, as_act_fixed
from eie_hw.image import ImageError, encode_network, save_image
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.backends import simulate_rtl
from sim.verify.scoreboard import status_mismatches

__all__ = ["EIEModel"]


class EIEModel:
    """A network compressed for EIE: its image and the models and engines that run it.

    Parameters
    ----------
    image : EIEImage
    model : torch.nn.Module, optional
        The compressed PyTorch model the image was made from (:meth:`compress` keeps it).
    names : list of str, optional
        The layers' names (for reports).
    """

    def __init__(self, image, *, model=None, names=None):
        self._image = image
        self._model = model
        self._names = names or [f"layer {l}" for l in range(len(image.layers))]
        self._golden = GoldenModel(image)

    # Section: making, saving and loading.

    @classmethod
    def compress(cls, model, config, data=None, settings=None, *, balance=False,
                 progress=False):
        """Deep Compression of ``model`` (a chain of ``Linear``/``ReLU`` layers) with
        ``settings`` (:class:`compress.pipeline.Settings`; defaults if ``None``), retraining on
        ``data = (x, y)``, then encoded for ``config``. ``balance`` assigns rows to PEs by the
        load-balanced order instead of ``i mod N``."""
        from compress.export import quantized_layers
        from compress.pipeline import Settings, compress_model

        compressed, _ = compress_model(model, settings or Settings(), data, progress=progress)
        names, layers = quantized_layers(config, compressed)
        try:
            image = encode_network(config, layers, "balanced" if balance else None)
        except ImageError as e:
            raise ImageError(f"the network does not fit the configuration: {e}") from e
        return cls(image, model=compressed, names=names)

    @classmethod
    def load(cls, path):
        """The model of an ``.eie`` image or of an ``.eiz`` compressed file (told apart by
        their magic bytes, :func:`compress.storage.read_image`)."""
        from compress.storage import read_image

        return cls(read_image(path))

    def save(self, path):
        """Write the image to ``path`` (``.eie``); returns its size in bytes."""
        return save_image(self._image, Path(path))

    def save_compressed(self, path):
        """Write the image's Deep Compression storage form to ``path`` (``.eiz``,
        :mod:`compress.storage`: Huffman-coded entries and column counts); returns its size
        in bytes. :meth:`load` reads it back to the same image, bit for bit."""
        from compress.storage import save_compressed

        return save_compressed(self._image, Path(path))

    def for_config(self, config):
        """The same network encoded for another configuration (e.g. a board's)."""
        if config == self.config:
            return self
        return EIEModel(encode_network(config, self._image.decode()), model=self._model,
                        names=self._names)

    # Section: what it is.

    @property
    def image(self):
        return self._image

    @property
    def config(self):
        return self._image.config

    @property
    def model(self):
        """The compressed PyTorch model, or ``None`` for a loaded image."""
        return self._model

    @property
    def golden(self):
        return self._golden

    def to_fixed(self, x):
        """``x`` in the activation fixed point (:func:`eie_hw.fixedpoint.as_act_fixed`:
        integers are taken as fixed point and checked, floats converted)."""
        return as_act_fixed(self.config, x)

    def to_float(self, y):
        """Fixed-point activations as floats."""
        return act_from_fixed(self.config, np.asarray(y))

    # Section: running it.

    def predict(self, x):
        """Outputs of the golden model (bit-exact with the RTL) for ``x``, as floats."""
        return self.to_float(self._golden.run(self.to_fixed(x)))

    def accuracy(self, x, y):
        """Top-1 accuracy of the golden model on inputs ``x`` and integer labels ``y``."""
        return float(np.mean(self._golden.run(self.to_fixed(x)).argmax(axis=-1)
                             == np.asarray(y)))

    def cycles(self, x):
        """Cycle-model cycle count of every input of ``x`` (``(batch,)`` array)."""
        fixed = np.atleast_2d(self.to_fixed(x))
        return np.array([job_timing(self._image, v, self._golden).total for v in fixed])

    def simulate(self, x, backend="amaranth", *, check=True, progress=None):
        """``x`` through the RTL on ``backend`` (:data:`sim.verify.backends.BACKENDS`:
        ``"amaranth"``, ``"native"`` — the exported Verilog Verilated with a compiled harness —,
        ``"verilator"`` or ``"icarus"`` under cocotb): a
        :class:`~eie_hw.host.session.BatchResult` (fixed-point outputs in row order, cycles).
        With ``check`` the outputs must equal the golden model's bit for bit, and the cycles
        and every status counter the backend reads (``broadcasts``, ``stalls``, the action
        counters) the cycle model's; a difference raises ``RuntimeError``."""
        fixed = np.atleast_2d(self.to_fixed(x))
        result = simulate_rtl(self._image, fixed, backend, progress=progress)
        if check:
            self._check(result, fixed, backend)
        return result

    def run_on_board(self, x, *, port=None, baud=115200, sim=False, uart=False, timeout=1.0):
        """``x`` through a board running the EIE link on serial ``port`` (or, with ``sim``,
        through the board's gateware in the Amaranth simulator; ``uart`` simulates the UART
        too): a :class:`~eie_hw.host.session.BatchResult`. The board must have been built for
        this model's configuration (see :meth:`for_config`)."""
        from boards.host import EIEDevice
        from boards.transport import SerialTransport, SimulationTransport

        if not sim and port is None:
            raise ValueError("run_on_board needs a serial port, or sim=True")
        transport = (SimulationTransport(self.config, uart=uart) if sim
                     else SerialTransport(port, baud))
        with transport:
            device = EIEDevice(transport, self.config, timeout=timeout)
            device.check_config()
            return device.run_batch(self._image, np.atleast_2d(self.to_fixed(x)))

    # Section: reports.

    def report(self, x=None):
        """Compression (Deep Compression's accounting of the image, and the actual ratio of its
        ``.eiz`` file), per-PE load (entries per PE and layer) and, for inputs ``x``, the
        cycle model's cycles and load efficiency."""
        from compress.accounting import image_accounting

        accounting = image_accounting(self._image, self._names)
        total = accounting["total"]
        report = {
            # Deep Compression's counting (as `eie compress` and the demo report it), and the
            # same with the column pointers counted too.
            "compression": {"ratio": total["ratio_pqh"],
                            "ratio_with_pointers": total["ratio_pqh_with_pointers"],
                            # Actual: dense float32 bytes / bytes of the .eiz file.
                            "ratio_file": total["ratio_eiz"],
                            "file_bytes": total["eiz_file_bytes"],
                            "density": total["density"], "entries": total["entries"],
                            "padding": total["padding"], "layers": accounting["layers"]},
            "pe_entries": {name: [int(c) for c in layer.entry_counts]
                           for name, layer in zip(self._names, self._image.layers,
                                                  strict=True)},
        }
        if x is not None:
            fixed = np.atleast_2d(self.to_fixed(x))
            timings = [job_timing(self._image, v, self._golden) for v in fixed]
            cycles = np.array([t.total for t in timings])
            bound = sum(layer.bound for t in timings for layer in t.layers)
            report["cycles"] = {"per_input": cycles.tolist(), "mean": float(cycles.mean()),
                                "load_efficiency": float(bound / cycles.sum())}
        return report

    def _check(self, result, fixed, backend):
        expected = self._golden.run(fixed)
        bad = np.flatnonzero(np.any(result.outputs != expected, axis=1))
        if bad.size:
            raise RuntimeError(f"{backend}: the RTL's outputs differ from the golden model's "
                               f"on {bad.size} of {len(fixed)} inputs (first: input {bad[0]})")
        timings = [job_timing(self._image, v, self._golden) for v in fixed]
        model = np.array([t.total for t in timings])
        bad = np.flatnonzero(result.cycles != model)
        if bad.size:
            i = bad[0]
            raise RuntimeError(f"{backend}: input {i} took {result.cycles[i]} cycles, the "
                               f"cycle model says {model[i]}")
        for i, (status, timing) in enumerate(zip(result.statuses, timings, strict=True)):
            bad = status_mismatches(status, timing)
            if bad:
                name, got, want = bad[0]
                raise RuntimeError(f"{backend}: input {i}: RTL {name} = {got}, the cycle "
                                   f"model says {want}")
        if result.errors.any():
            raise RuntimeError(f"{backend}: the RTL flagged errors {result.errors.tolist()}")
