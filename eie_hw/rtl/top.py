"""The EIE array with its host streams: :class:`EIETop` (protocol: docs/protocol.md)."""

from amaranth import Array, Cat, Module, Mux, Signal
from amaranth.lib.wiring import In

from eie_hw.protocol import (
    COUNTED_ACTIONS,
    START_COUNT_BITS,
    HostSignature,
    Space,
    control_layout,
)
from eie_hw.timing import MEMORY_LATENCY

from .ccu import CCU
from .checks import ConfigComponent
from .counters import ActionCounters
from .host_group import HOST_GROUP_PES, HostGroup
from .pe import PE
from .replica import ReplicaRegister

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
        waited for a full queue; ``spmat_word_reads``, ``pointer_reads``, ``multiplies`` and
        ``acc_writes`` count those actions over every PE (:class:`~.counters.ActionCounters`,
        final when ``done`` rises). ``write`` and ``read_req`` are not ready while a job
        runs.

    Submodules are named ``pe0`` … ``pe{n-1}``, ``ccu``, ``counters``, ``control0`` …, the
    control register's copy of each group of :data:`~.host_group.HOST_GROUP_PES` PEs (and,
    beyond that many PEs, ``host0`` …, one :class:`~.host_group.HostGroup` per group); each
    PE's memories are separate :class:`amaranth.lib.memory.Memory` instances (see
    :class:`~.pe.PE`).
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
        m.submodules.counters = counters = ActionCounters(cfg)
        pes = []
        for k in range(cfg.n_pes):
            pe = PE(cfg)
            m.submodules[f"pe{k}"] = pe
            pes.append(pe)

        host = self.host
        # Section: write stream. Every word is registered before it acts (the START command,
        # a layer-table write, or a PE memory write, which the PE registers once more), so
        # the host's logic reaches no memory or control of the array in the same cycle. The
        # status hides the START in the register: from the cycle after it is accepted the
        # array is busy and ``done`` low, as if the CCU had started.
        wr_valid = Signal()
        wr = Signal.like(host.write.payload)
        start_pending = wr_valid & (wr.space == Space.START)
        m.d.comb += [
            host.write.ready.eq(~ccu.busy & ~start_pending),
            host.busy.eq(ccu.busy | start_pending), host.done.eq(ccu.done & ~start_pending),
            host.error.eq(ccu.error), host.cycles.eq(ccu.cycles),
            host.broadcasts.eq(ccu.broadcasts), host.stalls.eq(ccu.stalls),
        ]
        accepted = host.write.valid & host.write.ready
        m.d.sync += [wr_valid.eq(accepted), wr.eq(host.write.payload)]
        # The CCU reads its own copy of the write registers (the START command and the layer
        # table), decoded before the register, so that its logic does not reach the copy that
        # feeds all PEs and its layer FSM starts from registers.
        payload = host.write.payload
        count_max = (1 << START_COUNT_BITS) - 1
        ccu_inputs = {
            "start": accepted & (payload.space == Space.START),
            # Counts that do not fit the CCU's input saturate (and are refused).
            "n_layers": Mux(payload.data[START_COUNT_BITS:].any(), count_max,
                            payload.data[:START_COUNT_BITS]),
            "table_wr_en": accepted & (payload.space == Space.LAYER),
            "table_wr_addr": payload.addr,
            "table_wr_data": payload.data,
        }
        for name, value in ccu_inputs.items():
            port = getattr(ccu, name)
            m.submodules[f"ccu_{name}"] = copy = ReplicaRegister(port.shape())
            m.d.comb += [copy.d.eq(value), port.eq(copy.q)]
        to_pe = wr_valid & (wr.space != Space.START) & (wr.space != Space.LAYER)
        # Section: control. The control register is one copy of the CCU's ``ctrl_next`` per
        # group of HOST_GROUP_PES PEs (the HostGroups' groups), placed among them; each PE
        # registers its own copy of its group's (CONTROL_LATENCY). So neither the CCU's
        # registers nor one control register drive the PEs across the die.
        for g, base in enumerate(range(0, cfg.n_pes, HOST_GROUP_PES)):
            m.submodules[f"control{g}"] = control = ReplicaRegister(control_layout(cfg))
            m.d.comb += control.d.eq(ccu.ctrl_next)
            for pe in pes[base:base + HOST_GROUP_PES]:
                m.d.comb += pe.ctrl.eq(control.q)
        for k, pe in enumerate(pes):
            m.d.comb += [
                ccu.values[k].eq(pe.act_data),
                ccu.room[k].eq(pe.held_flags),
                ccu.idle[k].eq(pe.idle),
                counters.events[k].eq(pe.events),
            ]
        # The action counters restart when the CCU takes START (as it clears ``cycles``).
        m.d.comb += counters.clear.eq(ccu.start & ~ccu.busy)
        for name in COUNTED_ACTIONS:
            m.d.comb += getattr(host, name).eq(getattr(counters, name))

        # Section: read streams, one request at a time. An accepted request is registered and
        # issued to every PE the next cycle (through its HostGroup, below); the addressed PE's
        # registered read data arrives MEMORY_LATENCY cycles after that (and its group's
        # register) and is registered as the answer, which stays until it is taken. A write
        # still in the write registers delays the request.
        req = host.read_req.payload
        pending = Signal()                  # a request accepted and its answer not yet taken
        issue = Signal()
        rd_pe = Signal.like(req.pe)
        rd_addr = Signal.like(req.addr)
        m.d.comb += host.read_req.ready.eq(~ccu.busy & ~pending & ~wr_valid)
        with m.If(host.read_req.valid & host.read_req.ready):
            m.d.sync += [pending.eq(1), rd_pe.eq(req.pe), rd_addr.eq(req.addr)]
        with m.Elif(host.read_data.valid & host.read_data.ready):
            m.d.sync += pending.eq(0)
        m.d.sync += issue.eq(host.read_req.valid & host.read_req.ready)

        # Section: the host's words to the PEs and their answers. Beyond HOST_GROUP_PES PEs,
        # each group of them has its own register hop (HostGroup) on the way in and out, so
        # that no host register drives every PE across the die, nor every PE one multiplexer.
        # Writes and read requests take the same extra cycle, so a read still sees every
        # earlier write; a read's answer takes two.
        if cfg.n_pes > HOST_GROUP_PES:
            groups = []
            for g, base in enumerate(range(0, cfg.n_pes, HOST_GROUP_PES)):
                members = pes[base:base + HOST_GROUP_PES]
                m.submodules[f"host{g}"] = group = HostGroup(cfg)
                groups.append(group)
                m.d.comb += [group.wr_valid.eq(to_pe), group.wr.eq(wr),
                             group.rd_issue.eq(issue), group.rd_addr.eq(rd_addr),
                             group.rd_bank.eq(ccu.result_bank), group.rd_pe.eq(rd_pe)]
                for k, pe in enumerate(members, start=base):
                    self._connect_host(m, pe, group.pe_wr_valid & (group.pe_wr.pe == k),
                                       group.pe_wr, group.pe_rd_issue, group.pe_rd_bank,
                                       group.pe_rd_addr)
                    m.d.comb += group.act_data[k - base].eq(pe.act_data)
            live = Array(group.data for group in groups)[rd_pe // HOST_GROUP_PES]
            answer_latency = MEMORY_LATENCY + 2
        else:
            for k, pe in enumerate(pes):
                self._connect_host(m, pe, to_pe & (wr.pe == k), wr, issue, ccu.result_bank,
                                   rd_addr)
            live = (Array(pe.act_data for pe in pes)[rd_pe] if cfg.n_pes > 1
                    else pes[0].act_data)
            answer_latency = MEMORY_LATENCY
        on_way = Signal(answer_latency)
        m.d.sync += on_way.eq(Cat(issue, on_way[:-1]))
        with m.If(on_way[-1]):
            m.d.sync += [host.read_data.payload.eq(live), host.read_data.valid.eq(1)]
        with m.Elif(host.read_data.ready):
            m.d.sync += host.read_data.valid.eq(0)
        return m

    @staticmethod
    def _connect_host(m, pe, wr_en, wr, rd_en, rd_bank, rd_addr):
        m.d.comb += [pe.wr_en.eq(wr_en), pe.wr.eq(wr), pe.host_rd_en.eq(rd_en),
                     pe.host_rd_bank.eq(rd_bank), pe.host_rd_addr.eq(rd_addr)]
