"""Formal: a PE's pointer read unit (eie_hw.rtl.pointer) and stream unit
(eie_hw.rtl.stream_unit) issue every entry of every queued column exactly once, in address
order, one per cycle without a gap, and an empty column issues none: it is dropped by the
pointer unit and never reaches the queue (docs/microarchitecture.md, "Each PE" 1, 2 and 4).
Proved by k-induction for every input sequence."""

import pytest
from amaranth import Signal
from amaranth.hdl import Assert, Assume, Cover

from eie_hw.timing import MEMORY_LATENCY
from sim.verify import formal
from tests.formal_parts import driven, part, small_config
from tests.formal_pe import ScannedPE

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")


def stream_config():
    """3-bit pointers (columns of up to seven entries), two entries per sparse-matrix word
    (the entry select), a queue of two."""
    return small_config(fifo_depth=2, act_depth=4, ptr_width=3, spmat_word_bits=4,
                        spmat_depth=4)


#: Induction depth: a column queued behind another and the one streaming becomes the head (and
#: is checked) within fourteen cycles.
INDUCTION_DEPTH = 17


class StreamProperties(ScannedPE):
    """The slot scan and a PE (:class:`~tests.formal_pe.ScannedPE`: every input free) with a
    reference of the entries to issue: the column taken from the queue, ``start`` … ``end -
    1``, and the next entry. Assumed: the pointer banks hold non-decreasing pointers (an
    image's columns; docs/protocol.md: pointer contents are not checked), as read. Asserted in
    every cycle:

    * no empty column enters the queue: the pointer unit writes ``(value, p[a], p[a + 1])``
      only with ``p[a] != p[a + 1]``, and the queue's head has ``start < end``;
    * the stream unit issues an entry exactly when the reference has one left or the queue
      holds a column, and takes the head exactly when the reference's column is finished;
    * the entry issued is the reference's next one (the head's ``start`` when it takes a
      column), so the addresses of a column are ``start`` … ``end - 1``, each once, in order;
    * ``MEMORY_LATENCY`` cycles after each issue exactly one entry leaves stage 2, flagged
      first for a column's first entry, with that column's activation.

    Auxiliary invariants (the stream unit's and the queue's registers): the unit's next
    address and end are the reference's, ``active`` is ``next < end``; the queue's pointers
    agree with its count.

    ``skip_second`` makes the reference skip a column's second entry (a broken variant: the
    test that shows the properties can fail).
    """

    def __init__(self, config, *, skip_second=False):
        self._skip = skip_second
        super().__init__(config)

    def properties(self, m, pe, pe_fragment):
        cfg = self._config
        _, queue = part(pe_fragment, "queue")
        _, pointer = part(pe_fragment, "pointer")
        stream_frag, stream = part(pe_fragment, "stream")
        out = pointer.output[0]          # one PE: one broadcast lane
        m.d.comb += Assume(~out.valid | (out.payload.start <= out.payload.end))
        m.d.comb += [Assert(~out.valid | (out.payload.start != out.payload.end)),
                     Assert(queue.empty | (queue.head.start < queue.head.end))]

        # Section: the reference: the entries ``nxt`` … ``end - 1`` of the column taken last.
        nxt, end = Signal(cfg.ptr_width), Signal(cfg.ptr_width)
        value = Signal.like(queue.head.value)
        left = nxt < end
        issue = driven(stream_frag, "issue", "comb")
        addr = driven(stream_frag, "addr", "comb")
        take = ~left & ~queue.empty
        m.d.comb += [Assert(issue == (left | ~queue.empty)), Assert(stream.pop == take)]
        step = 2 if self._skip else 1
        with m.If(left):
            m.d.comb += Assert(addr == nxt)
            m.d.sync += nxt.eq(nxt + 1)
        with m.Elif(take):
            m.d.comb += Assert(addr == queue.head.start)
            m.d.sync += [nxt.eq(queue.head.start + step), end.eq(queue.head.end),
                         value.eq(queue.head.value)]

        # Section: stage 2, MEMORY_LATENCY cycles after the issue.
        assert MEMORY_LATENCY == 2
        issued = Signal(MEMORY_LATENCY)
        first = Signal(MEMORY_LATENCY)
        values = [Signal.like(value) for _ in range(MEMORY_LATENCY)]
        m.d.sync += [issued.eq(issued << 1 | issue), first.eq(first << 1 | take),
                     values[0].eq(value), values[1].eq(values[0])]
        with m.If(take):
            m.d.sync += values[0].eq(queue.head.value)
        m.d.comb += [Assert(stream.entry_valid == issued[-1]),
                     Assert(stream.entry_first == first[-1])]
        with m.If(stream.entry_valid):
            m.d.comb += Assert(stream.entry_value == values[1])

        # Section: auxiliary invariant on the stream unit's registers.
        m.d.comb += [Assert(driven(stream_frag, "nxt") == nxt),
                     Assert(driven(stream_frag, "end") == end),
                     Assert(stream.active == left)]
        self.queue_pointers(m, pe_fragment)
        m.d.comb += [Cover(left & (end - nxt == 6)), Cover(pointer.drop[0])]


def test_stream_properties(tmp_path):
    """k-induction: the properties hold in every reachable state."""
    result = formal.check(StreamProperties(stream_config()), tmp_path, mode="prove",
                          depth=INDUCTION_DEPTH, name="stream")
    print(f"proved (prove, depth {INDUCTION_DEPTH}) in {result.seconds:.1f} s")


def test_long_column_streams(tmp_path):
    """Not vacuous: a seven-entry column streams and an empty column is dropped (cover)."""
    result = formal.check(StreamProperties(stream_config()), tmp_path, mode="cover", depth=16,
                          name="stream_cover")
    print(f"covered in {result.seconds:.1f} s")


def test_skipping_reference_is_refused(tmp_path):
    """A reference that skips a column's second entry: the check finds the address."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(StreamProperties(stream_config(), skip_second=True), tmp_path,
                     mode="bmc", depth=16, name="stream_skip")
    assert failure.value.status == "FAIL" and failure.value.traces
