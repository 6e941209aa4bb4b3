"""The array's action counters: the PEs' event bits summed into job totals."""

from amaranth import Module, Signal
from amaranth.lib import data
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import COUNTED_ACTIONS, CYCLE_COUNTER_BITS, event_bounds, event_layout
from eie_hw.timing import COUNTER_FAN_IN, COUNTER_SLACK, counter_latency

from .checks import ConfigComponent

__all__ = ["ActionCounters"]


class ActionCounters(ConfigComponent):
    """One counter for each action of :data:`~eie_hw.protocol.COUNTED_ACTIONS`: the number of
    its events, over every PE, since the last ``clear``.

    Each PE presents its events as registers (``events[k]``, a count per action and cycle:
    one bit, but up to ``broadcast_width`` pointer reads). A tree of registered adders,
    ``COUNTER_FAN_IN`` inputs each, sums them level by level; the top of the tree is added to
    the counters. An event register high in cycle ``v``
    is in its counter from ``v + counter_latency(n_pes)`` (``eie_hw/timing.py``), no later
    than a job's ``done`` (``COUNTER_SLACK``, checked here). Nothing here feeds the array's
    control: the tree only reads registers, so it is a leaf of the timing paths.

    ``clear`` (the cycle the CCU takes ``START``) zeroes the counters, which then stay at zero
    until the sums of event registers up to the cycle after ``clear`` have left the tree: the
    counters hold the events of the job's cycles (from its first INIT cycle on), and a late
    event of an aborted job in the cycle of ``START`` is not counted in the next one. Counts
    wrap at ``2 ** CYCLE_COUNTER_BITS`` like ``cycles``.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    events : In(ArrayLayout(event_layout(config), n_pes))
        Every PE's event registers.
    clear : In(1)
        Start counting a new job.
    spmat_word_reads, pointer_reads, multiplies, acc_writes : Out(CYCLE_COUNTER_BITS)
        The counts (:data:`~eie_hw.protocol.COUNTED_ACTIONS`).
    """

    def __init__(self, config):
        latency = counter_latency(config.n_pes)
        if latency > COUNTER_SLACK:
            raise ValueError(f"ActionCounters: {config.n_pes} PEs need {latency} cycles to sum "
                             f"their events, more than the {COUNTER_SLACK} cycles between a "
                             "job's last event and done")
        self._config = config
        super().__init__({
            "events": In(data.ArrayLayout(event_layout(config), config.n_pes)),
            "clear": In(1),
            **{name: Out(CYCLE_COUNTER_BITS) for name in COUNTED_ACTIONS},
        })

    def elaborate(self, platform):
        n = self._config.n_pes
        m = Module()
        levels = counter_latency(n) - 1
        # The counters ignore the tree's top while it still holds sums from before the job.
        hold = Signal(range(levels + 2))
        with m.If(self.clear):
            m.d.sync += hold.eq(levels + 1)
        with m.Elif(hold != 0):
            m.d.sync += hold.eq(hold - 1)
        bounds = event_bounds(self._config)
        for name in COUNTED_ACTIONS:
            terms = [(self.events[k][name], bounds[name]) for k in range(n)]
            for level in range(levels):
                terms = [self._adder(m, terms[i:i + COUNTER_FAN_IN], f"{name}_l{level}_{i}")
                         for i in range(0, len(terms), COUNTER_FAN_IN)]
            (top, _), = terms
            counter = getattr(self, name)
            with m.If(self.clear):
                m.d.sync += counter.eq(0)
            with m.Elif(hold == 0):
                m.d.sync += counter.eq(counter + top)
        return m

    @staticmethod
    def _adder(m, terms, name):
        """A register holding the sum of ``terms`` (``(value, largest value)`` pairs)."""
        bound = sum(most for _, most in terms)
        total = Signal(range(bound + 1), name=name)
        m.d.sync += total.eq(sum(value for value, _ in terms))
        return total, bound
