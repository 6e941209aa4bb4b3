"""The central control unit: layer table, layer FSM, slot scan, LNZD and broadcast."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, enum
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import (
    CYCLE_COUNTER_BITS,
    ERROR_BITS,
    ERROR_LAYER_TABLE,
    ERROR_N_LAYERS,
    START_COUNT_BITS,
    control_layout,
    layer_layout,
)
from eie_hw.timing import CONTROL_LATENCY, INIT_LATENCY, WRITEBACK_LATENCY

from .checks import ConfigComponent
from .slot_scan import SlotScan, held_flag_count

__all__ = ["CCU", "Phase"]


class Phase(enum.Enum, shape=2):
    IDLE = 0
    INIT = 1
    COMPUTE = 2
    WRITEBACK = 3


class CCU(ConfigComponent):
    """Runs layers ``0 … n_layers - 1`` of the layer table (docs/microarchitecture.md).

    The first layer starts with INIT (``init_cycles(rows)``); every layer then has COMPUTE
    (``t_done + 1``) and WRITEBACK (``writeback_cycles(rows, next_rows)``), during which the
    next layer's biases are loaded, back to back; ``cycles`` counts them, so it equals
    ``sim.models.cycle_model.job_timing(image, x).total``. In COMPUTE it scans the source slots,
    picks the lowest non-zero PEs of the current slot (up to ``broadcast_width``) with the
    LNZD and broadcasts ``(value, slot * n_pes + winner)`` of as many as the queues have
    places for (:class:`~.slot_scan.SlotScan`); the broadcast register presents them to every
    PE ``BROADCAST_LATENCY`` cycles after the push.

    The layer table is read through registers (the running and the next layer's entries).
    A layer-table entry is checked in the first cycle of its bias initialisation (INIT for
    the first layer, the previous layer's WRITEBACK for the others); one that does not fit the
    configuration stops the job with ``error`` bit ``ERROR_LAYER_TABLE``. ``start`` with 0 or
    more than ``max_layers`` layers sets ``ERROR_N_LAYERS``. Either way ``done`` rises.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    start, n_layers : In
        Start a job (ignored while ``busy``).
    table_wr_en, table_wr_addr, table_wr_data : In
        Host write of a layer-table entry.
    ctrl_next : Out(control_layout)
        The control of every PE in the next cycle: the array registers it into one copy per
        group of PEs (the control register), from which each PE registers its own
        (``CONTROL_LATENCY``). It is computed from the next values of this unit's registers
        (the layer fields from its registers of the table entries), so that no logic lies
        between the control register and the PEs, and no register of this unit has to drive
        every copy across the die.
    values : In
        Each PE's registered source-bank word (the slot the scan read).
    room, idle : In
        Each PE's registered held-item flags (:class:`~.slot_scan.SlotScan`) and idle flag,
        both registered once more here (``PE_REPORT_LATENCY``, ``IDLE_REPORT_LATENCY``).
    busy, done, error, cycles, result_bank : Out
        Status; ``result_bank`` is the bank holding the last job's outputs (``n_layers % 2``).
    broadcasts, stalls : Out
        Performance counters of the job: activations broadcast, and COMPUTE cycles in which
        one was ready but none was broadcast (some queue was full) (``LayerTiming.broadcasts`` and
        ``broadcast_stalls`` summed over layers).
    """

    def __init__(self, config):
        self._config = config
        n = config.n_pes
        super().__init__({
            "start": In(1),
            "n_layers": In(START_COUNT_BITS),
            "table_wr_en": In(1),
            "table_wr_addr": In(range(config.max_layers)),
            "table_wr_data": In(layer_layout(config)),
            "ctrl_next": Out(control_layout(config)),
            "values": In(signed(config.act_width)).array(n),
            "room": In(data.ArrayLayout(held_flag_count(config), n)),
            "idle": In(n),
            "busy": Out(1),
            "done": Out(1),
            "error": Out(ERROR_BITS),
            "cycles": Out(CYCLE_COUNTER_BITS),
            "result_bank": Out(1),
            "broadcasts": Out(CYCLE_COUNTER_BITS),
            "stalls": Out(CYCLE_COUNTER_BITS),
        })

    def elaborate(self, platform):
        cfg = self._config
        n = cfg.n_pes
        ctrl_next = self.ctrl_next
        m = Module()
        m.submodules.layer_table = table = Memory(shape=layer_layout(cfg), depth=cfg.max_layers,
                                                  init=[])
        tw = table.write_port()
        m.d.comb += [tw.en.eq(self.table_wr_en), tw.addr.eq(self.table_wr_addr),
                     tw.data.eq(self.table_wr_data)]

        # Every register of the layer FSM has its next value (``*_next``), from which the
        # control's next value is computed.
        phase, phase_next = Signal(Phase), Signal(Phase)
        layer = Signal(range(cfg.max_layers))
        layer_next = Signal.like(layer)
        last_layer = Signal(range(cfg.max_layers))
        last_layer_next = Signal.like(last_layer)
        r = Signal.like(ctrl_next.r)
        r_next = Signal.like(r)
        m.d.comb += [phase_next.eq(phase), layer_next.eq(layer),
                     last_layer_next.eq(last_layer), r_next.eq(r)]
        m.d.sync += [phase.eq(phase_next), layer.eq(layer_next),
                     last_layer.eq(last_layer_next), r.eq(r_next)]
        has_next = Signal()
        m.d.comb += has_next.eq(layer != last_layer)
        # ``entry`` is table[layer] and ``upcoming`` table[layer + 1] in every cycle (the host
        # writes the table only while the CCU is idle): registers of the table's reads at the
        # next layer, which the control's next value uses.
        cur_rd, next_rd = table.read_port(domain="comb"), table.read_port(domain="comb")
        m.d.comb += [cur_rd.addr.eq(layer_next), next_rd.addr.eq(layer_next + 1)]
        entry, upcoming = Signal(layer_layout(cfg)), Signal(layer_layout(cfg))
        m.d.sync += [entry.eq(cur_rd.data), upcoming.eq(next_rd.data)]
        # Layer 0's entry as the table holds it in this cycle, for START (a table write may
        # come just before it, so ``entry`` may not hold it yet).
        first_rd = table.read_port(domain="comb")
        m.d.comb += first_rd.addr.eq(0)

        # Biases load in INIT and in a WRITEBACK with a next layer. The layer fields of the
        # control are taken from registers (and from layer 0's entry at START), so that the
        # FSM's next state does not address the table on the way to the control's copies:
        # the running layer's fields from ``entry``, a cycle late after a layer change (the
        # PEs use them in WRITEBACK only); the fields of the layer whose biases load from
        # layer 0's entry at START, ``entry`` in INIT (layer 0) and ``upcoming`` in COMPUTE and
        # WRITEBACK (the next layer).
        in_init_next = phase_next == Phase.INIT
        loading = Signal(layer_layout(cfg))
        with m.Switch(phase):
            with m.Case(Phase.IDLE):
                m.d.comb += loading.eq(first_rd.data)
            with m.Case(Phase.INIT):
                m.d.comb += loading.eq(entry)
            with m.Default():
                m.d.comb += loading.eq(upcoming)
        m.d.comb += [
            # (``last_layer`` changes only when START enters INIT.)
            ctrl_next.init.eq(in_init_next | ((phase_next == Phase.WRITEBACK)
                                              & (layer_next != last_layer))),
            ctrl_next.compute.eq(phase_next == Phase.COMPUTE),
            ctrl_next.wb.eq(phase_next == Phase.WRITEBACK),
            ctrl_next.r.eq(r_next),
            ctrl_next.rows.eq(entry.rows),
            ctrl_next.w_frac.eq(entry.w_frac),
            ctrl_next.relu.eq(entry.relu),
            ctrl_next.init_rows.eq(loading.rows),
            ctrl_next.init_bias_base.eq(loading.bias_base),
            ctrl_next.init_w_frac.eq(loading.w_frac),
            ctrl_next.layer.eq(layer_next),
            self.busy.eq(phase != Phase.IDLE),
        ]
        with m.If(phase != Phase.IDLE):
            m.d.sync += self.cycles.eq(self.cycles + 1)

        # Section: slot scan, LNZD and broadcast (COMPUTE).
        m.submodules.scan = scan = SlotScan(cfg)
        m.d.comb += [
            scan.compute.eq(phase == Phase.COMPUTE),
            scan.n_in.eq(entry.n_in),
            scan.ptr_base.eq(entry.ptr_base),
            scan.room.eq(self.room),
        ]
        for k in range(n):
            m.d.comb += scan.values[k].eq(self.values[k])
        for name in ("scan_slot", "pushed", "bcast", "bcast_value",
                     "bcast_even_row", "bcast_odd_row", "bcast_odd"):
            m.d.comb += getattr(ctrl_next, name).eq(getattr(scan.ctrl_next, name))
        m.d.sync += self.broadcasts.eq(self.broadcasts + scan.pushes)
        with m.If(scan.stall):
            m.d.sync += self.stalls.eq(self.stalls + 1)
        # The PEs' idle flags cross the die into a register here (IDLE_REPORT_LATENCY), so
        # that the FSM's next state, which the control's copies register, starts from
        # registers of this unit only.
        all_idle = Signal()
        m.d.sync += all_idle.eq(self.idle.all())
        layer_done = scan.exhausted & ~scan.in_flight & all_idle

        # Section: layer FSM.
        def fits(e):
            return ((e.n_in != 0) & (e.n_in <= n * cfg.act_depth)
                    & (e.rows != 0) & (e.rows <= cfg.act_depth)
                    & (e.ptr_base + e.n_in + 1 <= cfg.ptr_depth)
                    & (e.bias_base + e.rows <= cfg.bias_depth)
                    & (e.w_frac < cfg.weight_width))

        def stop(error):
            m.d.comb += phase_next.eq(Phase.IDLE)
            m.d.sync += [self.done.eq(1), self.error.eq(error)]

        # The PEs act on the row counter CONTROL_LATENCY cycles late.
        init_end = entry.rows + (CONTROL_LATENCY + INIT_LATENCY - 1)
        wb_last_write = Signal.like(r)       # last cycles of the write-back and bias pipelines
        next_last_init = Signal.like(r)
        m.d.comb += [wb_last_write.eq(entry.rows + (CONTROL_LATENCY + WRITEBACK_LATENCY - 1)),
                     next_last_init.eq(upcoming.rows + (CONTROL_LATENCY + INIT_LATENCY - 1))]
        # Registered: the table entries of a layer are final from its first COMPUTE cycle, and
        # COMPUTE lasts longer than one cycle, so WRITEBACK sees them a cycle late at no cost.
        wb_end = Signal.like(r)
        upcoming_fits = Signal()
        m.d.sync += [
            wb_end.eq(Mux(has_next & (next_last_init > wb_last_write),
                          next_last_init, wb_last_write)),
            upcoming_fits.eq(fits(upcoming)),
        ]

        with m.Switch(phase):
            with m.Case(Phase.IDLE):
                # Layer 0 whenever idle, so that START finds its entry read and the table's
                # read address does not wait for the START word's checks.
                m.d.comb += layer_next.eq(0)
                with m.If(self.start):
                    m.d.sync += [self.done.eq(0), self.error.eq(0), self.cycles.eq(0),
                                 self.broadcasts.eq(0), self.stalls.eq(0)]
                    with m.If((self.n_layers == 0) | (self.n_layers > cfg.max_layers)):
                        m.d.sync += [self.done.eq(1), self.error.eq(ERROR_N_LAYERS)]
                    with m.Else():
                        m.d.comb += [phase_next.eq(Phase.INIT), r_next.eq(0),
                                     last_layer_next.eq(self.n_layers - 1)]
                        m.d.sync += self.result_bank.eq(self.n_layers[0])
            with m.Case(Phase.INIT):
                m.d.comb += r_next.eq(r + 1)
                with m.If((r == 0) & ~fits(entry)):
                    stop(ERROR_LAYER_TABLE)
                with m.Elif(r == init_end):
                    m.d.comb += [phase_next.eq(Phase.COMPUTE), r_next.eq(0)]
            with m.Case(Phase.COMPUTE):
                with m.If(layer_done):
                    m.d.comb += [phase_next.eq(Phase.WRITEBACK), r_next.eq(0)]
            with m.Case(Phase.WRITEBACK):
                m.d.comb += r_next.eq(r + 1)
                with m.If((r == 0) & has_next & ~upcoming_fits):
                    stop(ERROR_LAYER_TABLE)
                with m.Elif(r == wb_end):
                    m.d.comb += r_next.eq(0)
                    with m.If(has_next):
                        m.d.comb += [layer_next.eq(layer + 1), phase_next.eq(Phase.COMPUTE)]
                    with m.Else():
                        stop(0)
        return m
