"""Formal: a PE's activation queue (eie_hw.rtl.queue) under the CCU's push decisions
(eie_hw.rtl.slot_scan) never overflows or underflows, keeps its items in order, and the PE's
held-item report counts exactly the queued items and those in its pointer stages; with the
items in the winner register and the PE's broadcast register, they never exceed the queue's
depth (docs/microarchitecture.md, "Each PE" 1–3). Proved by k-induction for every input sequence."""

import pytest
from amaranth import Array, Mux, Signal
from amaranth.hdl import Assert, Cover

from eie_hw.rtl.queue import column_item_layout
from eie_hw.rtl.slot_scan import held_flag_count
from eie_hw.timing import BROADCAST_LATENCY, CONTROL_LATENCY, POINTER_LATENCY
from sim.verify import formal
from tests.formal_parts import part, small_config
from tests.formal_pe import ScannedPE

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")

#: Queue depths checked: at 3 the PE's three held-item flags give its count exactly; 2 makes
#: the CCU's look-ahead (the pushes of the last two cycles) reach a full queue at once.
DEPTHS = [2, 3]


def queue_config(depth):
    """3-bit pointers (columns of up to seven entries: with three the stream unit finishes a
    column before the pointer stages bring the next two, and no queue ever fills), four
    slots per layer."""
    return small_config(fifo_depth=depth, act_depth=4, ptr_width=3, spmat_depth=8)



def induction_depth(depth):
    """The head is checked in every cycle and the stream unit takes it at the latest seven
    cycles after the one before: every item queued at the start of an induction window of
    this many cycles has been checked within it."""
    return 7 * (depth - 1) + 3


#: Cycles in which the cover finds a full queue (step 16 at depth 2) and an item leaving it.
COVER_DEPTH = 20


class QueueProperties(ScannedPE):
    """The slot scan and a PE (:class:`~tests.formal_pe.ScannedPE`: every input free) with a
    reference FIFO of ``fifo_depth`` items beside the PE's queue. Asserted in every cycle:

    * no overflow: the queue is written only while it holds fewer than ``fifo_depth`` items,
      and the items in it and on their way (winner register, the PE's copy of the broadcast
      register, the two pointer stages) never exceed ``fifo_depth``;
    * no underflow: the stream unit takes the head only from a non-empty queue;
    * order: the queue holds as many items as the reference, its head is the reference's
      oldest item, ``empty`` is ``count == 0``;
    * the report: from the second cycle on, the PE's flag ``j`` is set exactly when the
      items in the queue and in the pointer stages number at least ``fifo_depth - j`` (the
      item in the PE's broadcast register counts from the next cycle); the pointer unit's
      ``pending`` and output/drop are its two stages.

    Auxiliary invariant for the induction (the queue's own registers): its write pointer is
    its read pointer plus its count.

    ``ref_lifo`` makes the reference give the newest item instead of the oldest (a broken
    variant: the test that shows the order property can fail).
    """

    def __init__(self, config, *, ref_lifo=False):
        self._lifo = ref_lifo
        super().__init__(config)

    def properties(self, m, pe, pe_fragment):
        cfg = self._config
        depth = cfg.fifo_depth
        _, queue = part(pe_fragment, "queue")
        _, pointer = part(pe_fragment, "pointer")
        _, stream = part(pe_fragment, "stream")

        # Section: the broadcast's way: the PE's copy of the broadcast register (the CCU
        # sends its next value, CONTROL_LATENCY), then the pointer stages (POINTER_LATENCY).
        assert (BROADCAST_LATENCY, POINTER_LATENCY, CONTROL_LATENCY) == (2, 2, 1)
        bcast, stage1, stage2 = Signal(), Signal(), Signal()
        m.d.sync += [bcast.eq(pe.ctrl.bcast), stage1.eq(bcast), stage2.eq(stage1)]
        held = queue.count + bcast + stage1 + stage2
        # One PE: a broadcast width of 1 (``broadcast_width <= n_pes``), one lane.
        assert cfg.broadcast_width == 1
        pushing, popping = queue.input[0].valid, queue.pop & ~queue.empty
        m.d.comb += [
            Assert(pointer.pending == (stage1 | stage2)),
            Assert((pointer.output[0].valid | pointer.drop[0]) == stage2),
            Assert(~pushing | (queue.count < depth)),
            Assert(held + pe.ctrl.pushed <= depth),
            Assert(~queue.pop | ~queue.empty),
            Assert(stream.pop == queue.pop),
            Assert(queue.empty == (queue.count == 0)),
        ]
        # The report registers hold their reset value (all clear) in the first cycle, which
        # reads "at least 0 items" as false at fifo_depth 2; no push can use it.
        started = Signal()
        m.d.sync += started.eq(1)
        # The PE counts an item from its copy of the winner register, in the cycle the item
        # is in its copy of the broadcast register: its report shows it from the next cycle.
        reported = queue.count + stage1 + stage2
        for j in range(held_flag_count(cfg)):
            with m.If(started):
                m.d.comb += Assert(pe.held_flags[j] == (reported >= depth - j))

        # Section: the reference FIFO: ``ref[0]`` the oldest of ``ref_count`` items.
        layout = column_item_layout(cfg)
        ref = Array(Signal(layout, name=f"ref{i}") for i in range(depth))
        ref_count = Signal(range(depth + 1))
        slot = ref_count - popping                  # where a pushed item goes
        for i in range(depth):
            kept = ref[i + 1] if (i + 1 < depth) else ref[i]
            shifted = Mux(popping, kept.as_value(), ref[i].as_value())
            m.d.sync += ref[i].eq(Mux(pushing & (slot == i), queue.input[0].payload.as_value(),
                                      shifted))
        m.d.sync += ref_count.eq(ref_count + pushing - popping)
        oldest = ref[Mux(ref_count == 0, 0, ref_count - 1)] if self._lifo else ref[0]
        m.d.comb += Assert(ref_count == queue.count)
        with m.If(~queue.empty):
            m.d.comb += Assert(queue.head.as_value() == oldest.as_value())

        self.queue_pointers(m, pe_fragment)

        m.d.comb += [Cover(queue.count == depth), Cover(popping & (queue.count == depth))]


@pytest.mark.parametrize("depth", DEPTHS)
def test_queue_properties(tmp_path, depth):
    """k-induction: the properties hold in every reachable state."""
    k = induction_depth(depth)
    result = formal.check(QueueProperties(queue_config(depth)), tmp_path,
                          mode="prove", depth=k, name=f"queue{depth}")
    print(f"fifo_depth {depth}: proved (prove, depth {k}) "
          f"in {result.seconds:.1f} s")


def test_queue_fills(tmp_path):
    """Not vacuous: the queue fills, and an item leaves a full queue (cover)."""
    result = formal.check(QueueProperties(queue_config(2)), tmp_path,
                          mode="cover", depth=COVER_DEPTH, name="queue_cover")
    print(f"covered in {result.seconds:.1f} s")


def test_lifo_reference_is_refused(tmp_path):
    """A reference that gives the newest item: the check finds the order it disagrees with."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(QueueProperties(queue_config(2), ref_lifo=True), tmp_path,
                     mode="bmc", depth=COVER_DEPTH, name="queue_lifo")
    assert failure.value.status == "FAIL" and failure.value.traces
