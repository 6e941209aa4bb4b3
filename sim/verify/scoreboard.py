"""The scoreboard of every engine that runs the exported Verilog (the cocotb bench, the native
engine): what the RTL returned against the golden and cycle models, and the one exception a
failing job raises. Imports no simulator.
"""

from eie_hw.protocol import COUNTED_ACTIONS

__all__ = ["Scoreboard", "JobFailure", "model_status", "status_mismatches"]


class JobFailure(AssertionError):
    """A job's outputs, cycle count or status differ from the models."""


class Scoreboard:
    """Compares what the RTL returned with the models: the read-back outputs with the golden
    model's, in order, bit for bit, and ``cycles`` / ``broadcasts`` / ``stalls`` / ``error``
    and the action counters (:data:`~eie_hw.protocol.COUNTED_ACTIONS`) with the cycle model
    (:func:`model_status`). A counter the port cannot read (``None``) is not compared.
    Mismatches are collected, not raised where they are found, so a job
    reports all of them (the first few in detail).

    Parameters
    ----------
    log : logging.Logger or None
        Kept for the caller's messages; the scoreboard itself does not log.
    """

    def __init__(self, log=None):
        self.log = log
        self.errors = []
        self.matched = 0

    def check_outputs(self, tag, values, expected, places):
        """``values``: the RTL's outputs (physical order) read from ``places`` ``(pe, addr)``."""
        if len(values) != len(expected):
            self.errors.append(f"{tag}: {len(values)} outputs read, {len(expected)} expected")
            return
        for i, (value, want, (pe, addr)) in enumerate(zip(values, expected, places,
                                                          strict=True)):
            if int(value) != int(want):
                self.errors.append(f"{tag}: output {i} (PE {pe} addr {addr}) is {int(value)}, "
                                   f"golden model {int(want)}")
            else:
                self.matched += 1

    def unexpected(self, value):
        self.errors.append(f"unexpected output {value} (nothing was requested)")

    def check_status(self, tag, status, timing):
        """``status``: the RTL's :class:`~eie_hw.host.session.JobStatus` at ``done``;
        ``timing``: the cycle model's :class:`~sim.models.timing_result.JobTiming`."""
        if status.error:
            self.errors.append(f"{tag}: error flags {status.error}")
        if status.busy:
            self.errors.append(f"{tag}: busy after done")
        for name, got, want in status_mismatches(status, timing):
            self.errors.append(f"{tag}: RTL {name} = {got}, cycle model {want}")

    def raise_errors(self, context=""):
        """Raise :class:`JobFailure` listing the mismatches collected (then forget them);
        nothing if there are none."""
        if self.errors:
            errors, self.errors = self.errors, []
            shown = "\n  ".join(errors[:12])
            more = f"\n  … and {len(errors) - 12} more" if len(errors) > 12 else ""
            raise JobFailure(f"{context}{len(errors)} mismatch(es):\n  {shown}{more}")


def model_status(timing):
    """What the status counters of a job must read, from the cycle model's
    :class:`~sim.models.timing_result.JobTiming` ``timing``: ``cycles``, ``broadcasts``,
    ``stalls`` and every action of :data:`~eie_hw.protocol.COUNTED_ACTIONS`, the per-PE counts
    summed over the PEs and the job's layers."""
    layers = timing.layers
    status = {"cycles": timing.total,
              "broadcasts": sum(layer.broadcasts for layer in layers),
              "stalls": sum(layer.broadcast_stalls for layer in layers)}
    for name in COUNTED_ACTIONS:
        status[name] = sum(int(layer.actions[name].sum()) for layer in layers)
    return status


def status_mismatches(status, timing):
    """``(name, RTL value, model value)`` of every status counter of
    :func:`model_status` that ``status`` (a :class:`~eie_hw.host.session.JobStatus`) reads
    (not ``None``) and that differs from the cycle model's ``timing``."""
    return [(name, getattr(status, name), want) for name, want in model_status(timing).items()
            if getattr(status, name) is not None and getattr(status, name) != want]
