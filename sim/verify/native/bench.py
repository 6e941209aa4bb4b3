"""One native array checked like the cocotb bench: each :class:`~sim.verify.cocotb_bench.
stimulus.Job` runs through the host session on :class:`~.port.NativeHostPort` and the
:class:`~sim.verify.scoreboard.Scoreboard` compares it with the golden and cycle models.
"""

from eie_hw.host.session import HostSession
from eie_hw.host.words import output_requests
from sim.verify.scoreboard import JobFailure, Scoreboard

from .library import NativeArray
from .port import NativeHostPort, complete

__all__ = ["NativeBench"]


class NativeBench:
    """A reset native array of ``build`` (a :class:`~.build.NativeBuild`) with its port, host
    session and scoreboard.

    Members
    -------
    array : NativeArray
    port : NativeHostPort
    session : HostSession
    scoreboard : Scoreboard
    """

    def __init__(self, build):
        self.config = build.config
        self.array = NativeArray(build)
        self.port = NativeHostPort(self.array)
        self.session = HostSession(self.port)
        self.scoreboard = Scoreboard()
        self.jobs = 0
        self.array.reset()

    @property
    def cycles(self):
        """Clock cycles simulated so far."""
        return self.array.cycles

    def reset(self, cycles=3):
        """Reset the array; the session forgets its image (the memories may hold a partial
        load), the scoreboard its unreported mismatches."""
        self.array.reset(cycles)
        self.session = HostSession(self.port)
        self.scoreboard.errors.clear()

    def run_job(self, job, tag=None, *, inputs_only=False, timing=None):
        """Load (with ``inputs_only`` only the input: the image is still in the memories),
        start, wait and read back ``job`` through the host session; check outputs against
        ``job.expected()`` and the status against the cycle model (or ``timing``, a
        :class:`~sim.models.timing_result.JobTiming` that replaces the model's).

        Returns the :class:`~eie_hw.host.session.JobResult`. Raises
        :class:`~sim.verify.scoreboard.JobFailure` on any mismatch or timeout.
        """
        tag = tag or f"job {self.jobs} ({job.describe()})"
        self.jobs += 1
        expected, model = job.expected()
        timing = timing or model
        self.port.done_budget = 2 * timing.total + 100
        try:
            result = complete(self._run(job, inputs_only))
        except JobFailure as e:
            raise JobFailure(f"{tag}: {e}") from e
        self.scoreboard.check_status(tag, result.status, timing)
        self.scoreboard.check_outputs(tag, result.physical, expected,
                                      output_requests(job.image))
        self.scoreboard.raise_errors(f"{tag}: ")
        return result

    async def _run(self, job, inputs_only):
        if not inputs_only:
            await self.session.load(job.image)
        return await self.session.run(job.x, job.image)
