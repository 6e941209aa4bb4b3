"""``eie bench --energy``: the energy model's per-layer table beside the paper's Table II."""

from eie_hw.rtl.stats import register_bits
from sim.verify.paper import TABLE_II_POWER_MW, TABLE_II_TOTAL_MW

from .energy import MODULES, EnergyModel
from .energy_table import DEFAULT_TABLE_PATH, load_table

__all__ = ["energy_model", "energy_row", "energy_breakdown", "print_energy"]

_SHORT = {"spmat read": "spmat", "pointer read": "ptr", "arithmetic": "arith",
          "activation R/W": "actRW", "queue": "queue", "LNZD": "LNZD", "broadcast": "bcast",
          "clock": "clock", "leakage": "leak"}


def energy_model(config, table_path=None):
    """An :class:`~.energy.EnergyModel` for ``config`` with the table at ``table_path``
    (default: the 45 nm table) and the RTL's flip-flop count."""
    return EnergyModel(config, load_table(table_path), register_bits(config))


def energy_row(model, timings, clock_hz, frames=1):
    """The report of one layer, or of ``frames`` runs of it (a list of timings run back to
    back), as a JSON-able dict, per frame: energy in µJ, frames per joule, per-module and
    per-action pJ, the energy of the RTL as built (memories read in every cycle); and the
    average power in mW and the module shares."""
    e = model.energy(timings, clock_hz)
    built = model.energy(timings, clock_hz, every_cycle_reads=True)
    total = e["total_pj"]
    return {"energy_uj": total * 1e-6 / frames, "power_mw": e["power_mw"],
            "frames_per_j": frames * 1e12 / total if total else 0.0, "clock_hz": clock_hz,
            "cycles": e["cycles"] / frames,
            "modules_pj": {k: v / frames for k, v in e["modules"].items()},
            "shares": {k: v / total for k, v in e["modules"].items()},
            "per_action_pj": {k: v / frames for k, v in e["per_action_pj"].items()},
            "every_cycle_reads_uj": built["total_pj"] * 1e-6 / frames}


def energy_breakdown(rows):
    """``{module: share}`` of the energy of all ``rows`` (from :func:`energy_row`) together:
    each module's energy summed over the rows, over the rows' total."""
    modules = {m: sum(r["modules_pj"][m] for r in rows) for m in MODULES}
    total = sum(modules.values())
    return {m: v / total if total else 0.0 for m, v in modules.items()}


def print_energy(names, rows, model, table_path):
    """The table of ``rows`` (from :func:`energy_row`), one per name, and Table II's shares."""
    c = model.config
    source = table_path or DEFAULT_TABLE_PATH.name
    mems = ", ".join(f"{m.name} {m.count}×{m.depth}×{m.width}b"
                     for m in model.memories.values())
    print(f"\nenergy: table {source}; memories per PE {mems}; {c.n_pes} PEs; "
          f"{model.flops['pe']} flip-flops per PE + {model.flops['ccu']} in the CCU + "
          f"{model.flops['counters']} in the action counters; "
          f"clock {rows[0]['clock_hz'] / 1e6:g} MHz")
    cols = " ".join(f"{_SHORT[m]:>6}" for m in MODULES)
    print(f"{'layer':8} {'µJ':>7} {'mW':>7} {'frames/J':>9} {cols}   {'RTL µJ':>7}")
    for name, r in zip(names, rows, strict=True):
        shares = " ".join(f"{100 * r['shares'][m]:>6.2f}" for m in MODULES)
        print(f"{name:8} {r['energy_uj']:>7.3f} {r['power_mw']:>7.1f} {r['frames_per_j']:>9.0f}"
              f" {shares}   {r['every_cycle_reads_uj']:>7.3f}")
    paper = " ".join(f"{100 * TABLE_II_POWER_MW[p] / TABLE_II_TOTAL_MW:>6.2f}" if p else
                     f"{'-':>6}" for p in MODULES.values())
    print(f"{'Table II':8} {'':>7} {c.n_pes * TABLE_II_TOTAL_MW:>7.1f} {'':>9} {paper}")
    print("shares in % of each layer's energy; Table II: the paper's per-PE power shares "
          "(its clock network, 20.46 %, is spread over the modules there) and 64 × its "
          "9.157 mW per PE; RTL µJ: the RTL as built, whose memories read in every cycle")
