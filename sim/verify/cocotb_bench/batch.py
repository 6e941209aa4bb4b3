"""Run a batch of inputs through one image on the exported Verilog (cocotb): ``eie demo``'s
Verilator and Icarus backends.

The image is loaded once and each input costs only its activation words, ``START`` and the
read-back (:func:`sim.verify.cocotb_bench.test_eie.test_batch`). Every job is checked on the
way by the bench's scoreboard against the golden and cycle models; a mismatch fails the run.
"""

import tempfile
import threading
from pathlib import Path

import numpy as np

from eie_hw.host.session import BatchResult, JobStatus
from eie_hw.image import save_image

from .runner import build, project_root, run

__all__ = ["run_batch"]


def run_batch(image, inputs, *, simulator="verilator", progress=None, log=print):
    """Every fixed-point input of ``inputs`` through ``image``: a
    :class:`~eie_hw.host.session.BatchResult` (error flags all zero: a flagged job fails the
    scoreboard, and so the run)."""
    inputs = np.atleast_2d(np.asarray(inputs, dtype=np.int64))
    built = build(image.config, simulator, log=log)
    base = project_root() / "build" / "cocotb"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="batch-") as tmp:
        tmp = Path(tmp)
        save_image(image, tmp / "image.eie")
        np.save(tmp / "inputs.npy", inputs)
        out = tmp / "result.npz"
        done = threading.Event()
        watcher = threading.Thread(target=_watch, args=(out.with_suffix(".progress"), done,
                                                        progress), daemon=True)
        watcher.start()
        try:
            tests, failed = run(built, "test_batch", tmp / "run", image=str(tmp / "image.eie"),
                                inputs=str(tmp / "inputs.npy"), out=str(out),
                                log_file=tmp / "run.log")
        finally:
            done.set()
            watcher.join()
        if failed or not out.exists():
            log_text = (tmp / "run.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the RTL disagreed with the golden or cycle model "
                               f"({simulator}):\n{log_text}")
        result = np.load(out)
        physical, cycles = result["outputs"], result["cycles"]
        return BatchResult(outputs=image.restore_outputs(physical), physical=physical,
                           cycles=cycles, errors=np.zeros(len(inputs), dtype=np.int64),
                           statuses=tuple(JobStatus(False, True, 0, int(c)) for c in cycles))


def _watch(path, done, progress):
    """Report progress from the count the cocotb test writes after each job."""
    seen = 0
    while not done.wait(0.5):
        try:
            count = int(path.read_text() or 0)
        except (OSError, ValueError):
            continue
        if count <= seen:           # nothing new, or the file caught while being rewritten
            continue
        if progress:
            for i in range(seen, count):
                progress(i)
        seen = count
