"""Utilisation per unit of a board's design (``eie build --units``).

The board's link (:class:`~boards.link.EIELink` at the board's clock and baud rate: frame
engine, array, UART) is synthesized by the board build's own command
(:data:`boards.gate_level.FAMILIES`, the board's ``synth_opts``) with ``-noflatten``, so that
Yosys keeps Amaranth's hierarchy, and its ``stat -json`` gives each module's own cells. The
counts are those of one module before flattening: logic that the flattened build shares or
merges across units (identical registers of several PEs, constants) is counted in each unit.
"""

import json
from pathlib import Path

from amaranth.back import rtlil

from .gate_level import FAMILIES, board_family, run_yosys
from .link import EIELink
from .uart import divisor_for

__all__ = ["CELL_GROUPS", "synthesize_units", "group_cells", "unit_table", "format_units"]

#: The columns of the table per family: a name and the cell types it counts.
CELL_GROUPS = {
    "ice40": {"LUT4": ("SB_LUT4",), "FF": ("SB_DFF",), "CARRY": ("SB_CARRY",),
              "EBR": ("SB_RAM40_4K",), "SPRAM": ("SB_SPRAM256KA",), "DSP": ("SB_MAC16",)},
    "ecp5": {"LUT4": ("LUT4",), "FF": ("TRELLIS_FF",), "CARRY": ("CCU2C",),
             "LUTRAM": ("TRELLIS_DPR16X4",), "DP16KD": ("DP16KD",),
             "MULT": ("MULT18X18D",)},
}

_TOP = "top"


def synthesize_units(board, config, directory, *, baud, freq=None):
    """Yosys ``stat -json`` of the board's link synthesized with ``-noflatten`` (written to
    ``directory/units.json``) at ``freq`` (Hz; default the board's clock): ``{module name:
    {cell type: count}}``, each module's own cells. Raises
    :class:`~sim.verify.native.verilated.NativeBuildError` with the log's tail if Yosys
    fails."""
    family = board_family(board)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    link = EIELink(config, divisor=divisor_for(board.clock_hz(freq), baud))
    (directory / "link.il").write_text(rtlil.convert(link, name=_TOP))
    script = "; ".join(["read_rtlil link.il",
                        f"{FAMILIES[family][0]} {board.synth_opts} -noflatten -top {_TOP}",
                        "tee -q -o units.json stat -json"])
    run_yosys(directory, script, log="units.log")
    modules = json.loads((directory / "units.json").read_text())["modules"]
    return {name.lstrip("\\"): dict(stats.get("num_cells_by_type", {}))
            for name, stats in modules.items()}


def group_cells(cells, family):
    """``cells`` ({cell type: count}) summed into :data:`CELL_GROUPS` columns (a type counts
    in a column if its name starts with one of the column's types: ``SB_DFFE`` is a FF)."""
    groups = CELL_GROUPS[family]
    return {column: sum(n for kind, n in cells.items() if kind.startswith(prefixes))
            for column, prefixes in groups.items()}


def unit_table(modules, family, *, pe="pe0"):
    """Rows ``(unit, {column: count})``: each unit of one PE (the children of the module
    ``…eie.<pe>``, each with the cells of its own submodules) and the PE's total; the array's
    other units (CCU, counters …) and its own cells; the link's other units (frame engine,
    UART …); the link's total."""
    def total(prefix):
        summed = {}
        for name, cells in modules.items():
            if name == prefix or name.startswith(prefix + "."):
                for kind, n in cells.items():
                    summed[kind] = summed.get(kind, 0) + n
        return group_cells(summed, family)

    def children(parent):
        return sorted(name for name in modules if name.rsplit(".", 1)[0] == parent
                      and "." in name)

    pe_name = next((name for name in sorted(modules) if name.split(".")[-1] == pe), None)
    if pe_name is None:
        raise ValueError(f"no module {pe!r} in the synthesized design")
    eie = pe_name.rsplit(".", 1)[0]
    short = lambda name: name[len(_TOP) + 1:]          # noqa: E731 (a local shorthand)
    rows = [(short(name), total(name)) for name in children(pe_name)]
    rows.append((f"{short(pe_name)} (all)", total(pe_name)))
    rows += [(short(name), total(name)) for name in children(eie)
             if not name.split(".")[-1].startswith("pe")]
    rows.append((f"{short(eie)} (own)", group_cells(modules.get(eie, {}), family)))
    parts = eie.split(".")
    for level in range(len(parts) - 1, 0, -1):        # the units beside each ancestor
        parent, here = ".".join(parts[:level]), ".".join(parts[:level + 1])
        rows += [(short(name), total(name)) for name in children(parent) if name != here]
    rows.append(("link (all)", total(_TOP)))
    return rows


def format_units(rows, family, *, n_pes, synth_opts=""):
    """The table of :func:`unit_table` as text."""
    columns = list(CELL_GROUPS[family])
    width = max(len(name) for name, _ in rows) + 2
    command = " ".join([FAMILIES[family][0], *synth_opts.split(), "-noflatten"])
    lines = [f"{'unit':{width}}" + "".join(f"{c:>8}" for c in columns),
             f"(Yosys {command}; one PE of {n_pes}; each unit with the cells of its "
             f"submodules)"]
    for name, counts in rows:
        lines.append(f"{name:{width}}" + "".join(f"{counts[c]:>8}" for c in columns))
    return "\n".join(lines)
