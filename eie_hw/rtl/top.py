"""The EIE array with its host streams: :class:`EIETop` (protocol: docs/protocol.md)."""

from amaranth import Array, Module, Mux, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import CYCLE_COUNTER_BITS, Space, read_req_layout, write_layout

from .ccu import CCU
from .checks import check_config
from .pe import PE

__all__ = ["EIETop"]


class EIETop(wiring.Component):
    """``n_pes`` PEs, the CCU and the host interface.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    write : In(stream of write_layout)
        Memory / layer-table writes and the ``START`` command (:class:`~.protocol.Space`).
        Not ready while a job runs.
    read_req : In(stream of read_req_layout)
        Requests for activations of the result bank (the last job's outputs; bank 0 before
        any job). Not ready while a job runs.
    read_data : Out(stream of signed act_width)
        Answers, in request order.
    busy, done, error, cycles : Out
        Job status: ``done`` stays high from the end of a job to the next ``START``;
        ``cycles`` counts the job's INIT + COMPUTE + WRITEBACK cycles.
    broadcasts, stalls : Out
        Performance counters of the job: activations broadcast, and cycles the broadcast
        waited for a full queue.

    Submodules are named ``pe0`` … ``pe{n-1}`` and ``ccu``; each PE's memories are separate
    :class:`amaranth.lib.memory.Memory` instances (see :class:`~.pe.PE`).
    """

    def __init__(self, config):
        check_config(self, config)
        self._config = config
        super().__init__({
            "write": In(stream.Signature(write_layout(config))),
            "read_req": In(stream.Signature(read_req_layout(config))),
            "read_data": Out(stream.Signature(signed(config.act_width))),
            "busy": Out(1),
            "done": Out(1),
            "error": Out(2),
            "cycles": Out(CYCLE_COUNTER_BITS),
            "broadcasts": Out(CYCLE_COUNTER_BITS),
            "stalls": Out(CYCLE_COUNTER_BITS),
        })

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        cfg = self._config
        m = Module()
        m.submodules.ccu = ccu = CCU(cfg)
        pes = []
        for k in range(cfg.n_pes):
            pe = PE(cfg)
            m.submodules[f"pe{k}"] = pe
            pes.append(pe)

        m.d.comb += [self.busy.eq(ccu.busy), self.done.eq(ccu.done), self.error.eq(ccu.error),
                     self.cycles.eq(ccu.cycles), self.broadcasts.eq(ccu.broadcasts),
                     self.stalls.eq(ccu.stalls)]

        # Section: write stream.
        wr = self.write.payload
        accept = Signal()
        m.d.comb += [self.write.ready.eq(~ccu.busy), accept.eq(self.write.valid & ~ccu.busy)]
        m.d.comb += [
            ccu.start.eq(accept & (wr.space == Space.START)),
            # Counts that do not fit the CCU's 16-bit input saturate (and are refused).
            ccu.n_layers.eq(Mux(wr.data[16:].any(), 0xFFFF, wr.data[:16])),
            ccu.table_wr_en.eq(accept & (wr.space == Space.LAYER)),
            ccu.table_wr_addr.eq(wr.addr),
            ccu.table_wr_data.eq(wr.data),
        ]
        to_pe = accept & (wr.space != Space.START) & (wr.space != Space.LAYER)
        for k, pe in enumerate(pes):
            m.d.comb += [
                pe.ctrl.eq(ccu.ctrl),
                pe.wr.eq(wr),
                pe.wr_en.eq(to_pe & (wr.pe == k)),
                ccu.values[k].eq(pe.act_data),
                ccu.full[k].eq(pe.full),
                ccu.idle[k].eq(pe.idle),
            ]

        # Section: read streams. A request is accepted when the answer register is free or
        # being emptied; the answer is the addressed PE's read data the next cycle.
        req = self.read_req.payload
        take = Signal()
        rd_pe = Signal.like(req.pe)
        m.d.comb += [
            self.read_req.ready.eq(~ccu.busy & (~self.read_data.valid | self.read_data.ready)),
            take.eq(self.read_req.valid & self.read_req.ready),
        ]
        for pe in pes:
            m.d.comb += [pe.host_rd_en.eq(take), pe.host_rd_bank.eq(ccu.result_bank),
                         pe.host_rd_addr.eq(req.addr)]
        with m.If(take):
            m.d.sync += [self.read_data.valid.eq(1), rd_pe.eq(req.pe)]
        with m.Elif(self.read_data.ready):
            m.d.sync += self.read_data.valid.eq(0)
        # The memory data is live the cycle after the request; an answer left waiting is held
        # in a register, so later memory reads (e.g. a job's slot scan) cannot change it.
        fresh = Signal()
        held = Signal(signed(cfg.act_width))
        live = Array(pe.act_data for pe in pes)[rd_pe] if cfg.n_pes > 1 else pes[0].act_data
        m.d.sync += fresh.eq(take)
        with m.If(fresh):
            m.d.sync += held.eq(live)
        m.d.comb += self.read_data.payload.eq(Mux(fresh, live, held))
        return m
