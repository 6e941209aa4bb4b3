"""The energy model: the cycle models' action counts × per-action energies, plus clock and
leakage (docs/energy.md).

Bottom-up: every per-action energy is computed from the configuration's widths and memory
sizes and the energy table (:mod:`.energy_table`); nothing is fitted to the paper's Table II,
which is printed beside the result for comparison only.
"""

import math

from amaranth.utils import ceil_log2

from sim.models.actions import CCU_ACTIONS, PE_ACTIONS

from .memories import memories

__all__ = ["MODULES", "ACTION_MODULE", "lnzd_units", "interpolate", "EnergyModel"]

#: The modules of the breakdown, with the paper's Table II module each corresponds to.
MODULES = {"spmat read": "SpmatRead", "pointer read": "PtrRead", "arithmetic": "ArithmUnit",
           "activation R/W": "ActRW", "queue": "Act queue", "LNZD": None, "broadcast": None,
           "clock": None, "leakage": None}

#: The module every action's energy is booked to.
ACTION_MODULE = {
    "spmat_word_reads": "spmat read", "entries": "spmat read",
    "pointer_reads": "pointer read", "dropped_columns": "pointer read",
    "codebook_reads": "arithmetic", "row_adds": "arithmetic", "multiplies": "arithmetic",
    "adds": "arithmetic", "writeback_rounds": "arithmetic",
    "acc_reads": "activation R/W", "acc_writes": "activation R/W",
    "bias_reads": "activation R/W", "act_reads": "activation R/W",
    "act_writes": "activation R/W", "slot_writes": "activation R/W",
    "slot_takes": "activation R/W",
    "queue_pushes": "queue", "queue_pops": "queue",
    "lnzd_evaluations": "LNZD",
    "broadcast_loads": "broadcast", "slot_flag_loads": "broadcast",
}
assert set(ACTION_MODULE) == set(PE_ACTIONS) | set(CCU_ACTIONS)


def lnzd_units(n_pes):
    """LNZD units of the quadtree over ``n_pes`` flags (64 PEs: 16 + 4 + 1 = 21, Sec. V)."""
    units, n = 0, n_pes
    while n > 1:
        n = -(-n // 4)
        units += n
    return units


def interpolate(points, size):
    """Log-log interpolation of ``points`` (size → value) at ``size``; outside the points the
    nearest segment's slope; a single point is a constant."""
    sizes = sorted(points)
    if len(sizes) == 1:
        return points[sizes[0]]
    i = 1
    while i < len(sizes) - 1 and size > sizes[i]:
        i += 1
    (s0, s1) = sizes[i - 1], sizes[i]
    slope = math.log(points[s1] / points[s0]) / math.log(s1 / s0)
    return points[s0] * (size / s0) ** slope


class EnergyModel:
    """Per-action energies for ``config`` from ``table`` (:func:`.energy_table.load_table`),
    and the energy of a timed layer.

    Parameters
    ----------
    config : EIEConfig
        Widths and memory sizes (an access to a larger memory costs more).
    table : dict
        The checked energy table.
    flops : dict
        Flip-flop bits ``{"pe": …, "ccu": …, "counters": …}``
        (:func:`eie_hw.rtl.stats.register_bits`): the clock and leakage terms.

    Members
    -------
    action_pj : dict of str to float
        pJ of one action of every name of ``PE_ACTIONS`` and ``CCU_ACTIONS``.
    clock_pj_per_cycle : float
        The clock's energy per cycle, whole array.
    leakage_mw : float
        Leakage power of the whole array.
    """

    def __init__(self, config, table, flops):
        self.config, self.table, self.flops = config, table, dict(flops)
        op, sram = table["operation"], table["sram"]
        mems = memories(config)
        self.memories = mems

        def add(bits):
            return op["add_32bit"] * bits / 32

        def mult(a_bits, b_bits):
            return op["mult_32bit"] / op["mult_16bit_saving"] * a_bits * b_bits / (16 * 16)

        def read(name):
            mem = mems[name]
            if mem.bytes <= sram["register_file_max_bytes"]:
                return op["register_file_32bit"] * mem.width / 32
            return interpolate(sram["read_64bit"], mem.bytes) * mem.width / 64

        def write(name):
            return read(name) * sram["write_over_read"]

        c = config
        lnzd = table["lnzd"]
        rf_bit = op["register_file_32bit"] / 32
        self.action_pj = {
            "spmat_word_reads": read("spmat"),
            "entries": add(c.ptr_width),                 # the stream unit's next + 1
            "pointer_reads": 2 * read("ptr"),
            "dropped_columns": add(c.ptr_width),         # start == end compare
            "codebook_reads": read("codebook"),
            "row_adds": add(ceil_log2(c.act_depth) + 1),
            "multiplies": mult(c.weight_width, c.act_width),
            "adds": add(c.acc_width),
            # The window select, fit test and saturation: priced as a compare of the bits
            # above the window (the rounding term is in the accumulator since INIT).
            "writeback_rounds": add(c.acc_width - c.act_width + 1),
            "acc_reads": read("acc"), "acc_writes": write("acc"),
            "bias_reads": read("bias"),
            "act_reads": read("act"), "act_writes": write("act"),
            "slot_writes": write("slots"), "slot_takes": read("slots"),
            "queue_pushes": write("queue"), "queue_pops": read("queue"),
            "lnzd_evaluations": lnzd_units(c.n_pes) * lnzd["unit_mw"] * 1e-3
            / (lnzd["unit_clock_mhz"] * 1e6) * 1e12,
            "broadcast_loads": rf_bit * (c.act_width + 2 * c.ptr_width),
            "slot_flag_loads": rf_bit * c.n_pes,
        }
        clock, leak = table["clock"], table["leakage"]
        flop_bits = c.n_pes * self.flops["pe"] + self.flops["ccu"] + self.flops["counters"]
        self.clock_pj_per_cycle = flop_bits * clock["flop_clock_ff"] * 1e-3 \
            * clock["supply_v"] ** 2
        memory_bits = c.n_pes * sum(m.bits for m in mems.values())
        self.leakage_mw = (memory_bits * leak["sram_pw_per_bit"] * 1e-9
                           + flop_bits * leak["flop_nw"] * 1e-6)

    def energy(self, timings, clock_hz, *, every_cycle_reads=False):
        """Energy of ``timings`` (a :class:`~sim.models.timing_result.LayerTiming` or a list
        of them, run back to back) at ``clock_hz``: a dict with ``modules`` (module → pJ, the
        whole array), ``total_pj``, ``cycles``, ``seconds``, ``power_mw`` (average) and
        ``per_action_pj`` (action → pJ, the whole array).

        ``every_cycle_reads``: the RTL as built, whose sparse-matrix memory, pointer banks and
        source bank (one of the two; the other's read is also made) read in every cycle of
        the layer instead of only the useful accesses.
        """
        timings = timings if isinstance(timings, list) else [timings]
        per_action = dict.fromkeys(self.action_pj, 0.0)
        cycles = 0
        for t in timings:
            counts = {name: float(t.actions[name].sum()) for name in PE_ACTIONS}
            if every_cycle_reads:
                for name in ("spmat_word_reads", "pointer_reads"):
                    counts[name] = float(t.total * self.config.n_pes)
                counts["act_reads"] = float(2 * t.total * self.config.n_pes)
            counts.update({name: float(t.ccu_actions[name]) for name in CCU_ACTIONS})
            for name, n in counts.items():
                per_action[name] += n * self.action_pj[name]
            cycles += t.total
        modules = dict.fromkeys(MODULES, 0.0)
        for name, pj in per_action.items():
            modules[ACTION_MODULE[name]] += pj
        seconds = cycles / clock_hz
        modules["clock"] = cycles * self.clock_pj_per_cycle
        modules["leakage"] = self.leakage_mw * 1e-3 * seconds * 1e12
        total = sum(modules.values())
        return {"modules": modules, "total_pj": total, "cycles": cycles, "seconds": seconds,
                "power_mw": total * 1e-12 / seconds * 1e3 if seconds else 0.0,
                "per_action_pj": per_action}
