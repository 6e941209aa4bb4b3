"""A PE as the array drives it, for formal property harnesses: the CCU's slot scan
(:class:`~eie_hw.rtl.slot_scan.SlotScan`, the push decision from the PE's held-item flags)
and one :class:`~eie_hw.rtl.pe.PE`, wired as :class:`~eie_hw.rtl.top.EIETop` wires them.

Free inputs (:class:`ScannedPE`'s ports): the COMPUTE phase, the layer's ``n_in`` and
``ptr_base``, the source-bank value the scan reads and every host write to the PE (any
pointer-bank and sparse-matrix contents, changed at any time). Each is free in every cycle,
which covers every sequence the CCU and the host can produce. A subclass states properties
in :meth:`properties` about the opened PE's parts.
"""

from amaranth import Module, signed
from amaranth.hdl import Assert
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from eie_hw.protocol import layer_layout, write_layout
from eie_hw.rtl.pe import PE
from eie_hw.rtl.slot_scan import SlotScan
from tests.formal_parts import driven, open_design, part

__all__ = ["ScannedPE"]


class ScannedPE(wiring.Component):
    """The slot scan and one PE with free inputs (see the module docstring); a subclass
    implements :meth:`properties`."""

    def __init__(self, config):
        self._config = config
        lay = layer_layout(config)
        super().__init__({
            "compute": In(1), "n_in": In(lay["n_in"].shape),
            "ptr_base": In(lay["ptr_base"].shape),
            "values": In(signed(config.act_width)).array(1),
            "wr_en": In(1), "wr": In(write_layout(config)),
        })

    def elaborate(self, platform):
        m = Module()
        scan = m.submodules.scan = SlotScan(self._config)
        pe = PE(self._config)
        m.submodules.pe = pe_fragment = open_design(pe, platform)
        m.d.comb += [scan.compute.eq(self.compute), scan.n_in.eq(self.n_in),
                     scan.ptr_base.eq(self.ptr_base), scan.values[0].eq(self.values[0]),
                     scan.room[0].eq(pe.held_flags),
                     pe.wr_en.eq(self.wr_en), pe.wr.eq(self.wr)]
        # The control register (the array's copy of the scan's fields).
        m.d.sync += pe.ctrl.eq(scan.ctrl_next)
        self.properties(m, pe, pe_fragment)
        return m

    def properties(self, m, pe, pe_fragment):
        """Add the properties to ``m``: ``pe`` is the PE (its ports), ``pe_fragment`` its
        elaborated fragment (for :func:`~tests.formal_parts.part`)."""
        raise NotImplementedError

    def queue_pointers(self, m, pe_fragment):
        """Assert the queue's own invariant (an auxiliary one for inductions: an idle queue
        hides its pointers): its write pointer is its read pointer plus its count."""
        depth = self._config.fifo_depth
        queue_fragment, queue = part(pe_fragment, "queue")
        wr_ptr, rd_ptr = driven(queue_fragment, "wr_ptr"), driven(queue_fragment, "rd_ptr")
        m.d.comb += [Assert(wr_ptr < depth), Assert(rd_ptr < depth),
                     Assert(wr_ptr == (rd_ptr + queue.count) % depth)]
