"""The EIE array with its host streams: :class:`EIETop` (protocol: docs/protocol.md)."""

from amaranth import Array, Cat, Module, Mux, Signal, signed
from amaranth.lib.wiring import In

from eie_hw.protocol import START_COUNT_BITS, HostSignature, Space
from eie_hw.timing import MEMORY_LATENCY

from .ccu import CCU
from .checks import ConfigComponent
from .pe import PE

__all__ = ["EIETop"]


class EIETop(ConfigComponent):
    """``n_pes`` PEs, the CCU and the host interface.

    Parameters
    ----------
    config : EIEConfig

    Members
    -------
    host : In(:class:`~eie_hw.protocol.HostSignature`)
        The host port: ``write`` (memory and layer-table words, the ``START`` command),
        ``read_req`` / ``read_data`` (activations of the result bank: the last job's outputs,
        bank 0 before any job), and the job status — ``done`` stays high from the end of a job
        to the next ``START``; ``cycles`` counts the job's INIT + COMPUTE + WRITEBACK cycles;
        ``broadcasts`` and ``stalls`` count activations broadcast and cycles the broadcast
        waited for a full queue. ``write`` and ``read_req`` are not ready while a job runs.

    Submodules are named ``pe0`` … ``pe{n-1}`` and ``ccu``; each PE's memories are separate
    :class:`amaranth.lib.memory.Memory` instances (see :class:`~.pe.PE`).
    """

    def __init__(self, config):
        self._config = config
        super().__init__({"host": In(HostSignature(config))})

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

        host = self.host
        m.d.comb += [host.busy.eq(ccu.busy), host.done.eq(ccu.done), host.error.eq(ccu.error),
                     host.cycles.eq(ccu.cycles), host.broadcasts.eq(ccu.broadcasts),
                     host.stalls.eq(ccu.stalls)]

        # Section: write stream.
        wr = host.write.payload
        accept = Signal()
        m.d.comb += [host.write.ready.eq(~ccu.busy), accept.eq(host.write.valid & ~ccu.busy)]
        count_max = (1 << START_COUNT_BITS) - 1
        m.d.comb += [
            ccu.start.eq(accept & (wr.space == Space.START)),
            # Counts that do not fit the CCU's input saturate (and are refused).
            ccu.n_layers.eq(Mux(wr.data[START_COUNT_BITS:].any(), count_max,
                                wr.data[:START_COUNT_BITS])),
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
                ccu.flags[k].eq(pe.slot_flag),
                ccu.values[k].eq(pe.slot_value),
                ccu.full[k].eq(pe.full),
                ccu.idle[k].eq(pe.idle),
            ]

        # Section: read streams. A request is accepted when no answer is on its way and the
        # answer register is free or being emptied; the addressed PE's registered read data
        # is the answer MEMORY_LATENCY cycles later.
        req = host.read_req.payload
        take = Signal()
        on_way = Signal(MEMORY_LATENCY - 1)
        rd_pe = Signal.like(req.pe)
        m.d.comb += [
            host.read_req.ready.eq(~ccu.busy & ~on_way.any()
                                   & (~host.read_data.valid | host.read_data.ready)),
            take.eq(host.read_req.valid & host.read_req.ready),
        ]
        for pe in pes:
            m.d.comb += [pe.host_rd_en.eq(take), pe.host_rd_bank.eq(ccu.result_bank),
                         pe.host_rd_addr.eq(req.addr)]
        m.d.sync += on_way.eq(Cat(take, on_way[:-1]))
        arrives = on_way[-1]
        with m.If(take):
            m.d.sync += rd_pe.eq(req.pe)
        with m.If(arrives):
            m.d.sync += host.read_data.valid.eq(1)
        with m.Elif(host.read_data.ready):
            m.d.sync += host.read_data.valid.eq(0)
        # The PE's data is live in the cycle it arrives; an answer left waiting is held in a
        # register, so later memory reads (e.g. a job's slot scan) cannot change it.
        fresh = Signal()
        held = Signal(signed(cfg.act_width))
        live = Array(pe.act_data for pe in pes)[rd_pe] if cfg.n_pes > 1 else pes[0].act_data
        m.d.sync += fresh.eq(arrives)
        with m.If(fresh):
            m.d.sync += held.eq(live)
        m.d.comb += host.read_data.payload.eq(Mux(fresh, live, held))
        return m
