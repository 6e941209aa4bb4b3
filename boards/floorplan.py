"""Placement anchors: each PE's block RAMs and multiplier at fixed sites of the device.

nextpnr's analytic placer spreads a PE of the array over the whole die when nothing holds it
together (docs/boards.md: routed critical paths inside one PE, 1-2 ns of logic and 12-15 ns of
routing). nextpnr takes a cell's ``BEL`` attribute as an absolute placement constraint
(nextpnr docs/constraints.md), and the ECP5 flow here has no other floorplanning (regions need
nextpnr's Python API, which YoWASP's build does not have). So :func:`anchor_script` gives each
PE's four DP16KD and its MULT18X18D fixed sites in one column group of the die, the PEs as close
to the die's centre as leaves room for their logic, and the placer then gathers each PE's logic
around its own memories.

The sites of the LFE5U-85F are regular: its block RAMs form four rows (``EBR_ROWS``) and its
multipliers three (``MULT_ROWS``), each of thirteen column groups (``GROUP_X``) of four sites
(``EBR_SITES``, ``MULT_SITES``: x offset and bel name). The figures were read from nextpnr's
placement (``--write``) of a design that instantiates all 208 DP16KD and 156 MULT18X18D.

The anchors are Yosys commands run after synthesis (Amaranth's ``script_after_synth``), on
the flattened cell names of the board top; each name is first asserted to match exactly one
cell, so a change of the RTL's memory mapping stops the build with Yosys naming the cell
instead of leaving a PE unanchored.
"""

__all__ = ["GROUP_X", "EBR_ROWS", "MULT_ROWS", "EBR_SITES", "MULT_SITES", "pe_groups",
           "pe_sites", "anchor_script", "PE_BLOCK_RAMS", "PE_MULTIPLIER", "PE_PATH"]

#: The x coordinate of each column group of block RAMs and multipliers (LFE5U-85F).
GROUP_X = (4, 13, 22, 31, 40, 49, 58, 69, 78, 87, 96, 105, 114)
#: The y coordinates of the block-RAM rows and of the multiplier rows.
EBR_ROWS = (22, 46, 70, 82)
MULT_ROWS = (10, 34, 58)
#: The four sites of a group: (x offset, bel name).
EBR_SITES = ((0, "EBR0"), (2, "EBR1"), (4, "EBR2"), (6, "EBR3"))
MULT_SITES = ((0, "MULT18_0"), (1, "MULT18_1"), (4, "MULT18_4"), (5, "MULT18_5"))

#: A PE's DP16KD cells after synthesis (the board configurations' memories: one block RAM
#: per pointer bank, the 64-bit sparse-matrix words in two), relative to the PE.
PE_BLOCK_RAMS = ("pointer.ptr_even.0.0", "pointer.ptr_odd.0.0",
                 "stream.spmat.0.0", "stream.spmat.0.1")
#: The PE's multiplier: the arithmetic unit's one MULT18X18D.
PE_MULTIPLIER = "arith"
#: The hierarchical name of PE ``i`` in the board top.
PE_PATH = "link.core.eie.pe{}"


def _row_groups(m, n_groups):
    """The column groups of a row that holds ``m`` PEs: every other group, centred on the die
    (the PEs close to the CCU and to each other, a group left between them for their logic),
    or, when the row has no room for that, spread evenly over all groups."""
    if 2 * m - 1 <= n_groups:
        return [n_groups // 2 - (m - 1) + 2 * j for j in range(m)]
    return [(2 * j + 1) * n_groups // (2 * m) for j in range(m)]


def pe_groups(n_pes):
    """``n_pes`` (row, group) pairs, one per PE: PE ``i`` in block-RAM row ``i mod 4`` (four
    consecutive PEs, the PEs of one :class:`~eie_hw.rtl.host_group.HostGroup`, stacked in one
    column group), each row's PEs in the groups of :func:`_row_groups`. Raises
    ``ValueError`` if the device has fewer groups than PEs."""
    n_rows, n_groups = len(EBR_ROWS), len(GROUP_X)
    if n_pes > n_rows * n_groups:
        raise ValueError(f"{n_pes} PEs need {n_pes} block-RAM groups; the LFE5U-85F has "
                         f"{n_rows * n_groups}")
    rows = [_row_groups(len(range(r, n_pes, n_rows)), n_groups) for r in range(n_rows)]
    return [(pe % n_rows, rows[pe % n_rows][pe // n_rows]) for pe in range(n_pes)]


def _nearest_mult_row(y):
    return min(range(len(MULT_ROWS)), key=lambda r: (abs(MULT_ROWS[r] - y), -MULT_ROWS[r]))


def pe_sites(n_pes):
    """Per PE, ``(block_ram_bels, multiplier_bel)``: its group's four block-RAM sites and a
    multiplier site of the same group in the nearest multiplier row (two block-RAM rows that
    share a multiplier row take different sites of it)."""
    groups = pe_groups(n_pes)
    taken = {}
    sites = []
    for row, group in groups:
        x, y = GROUP_X[group], EBR_ROWS[row]
        rams = tuple(f"X{x + dx}/Y{y}/{bel}" for dx, bel in EBR_SITES)
        mrow = _nearest_mult_row(y)
        slot = taken.get((mrow, group), 0)
        taken[(mrow, group)] = slot + 1
        dx, bel = MULT_SITES[slot]
        sites.append((rams, f"X{x + dx}/Y{MULT_ROWS[mrow]}/{bel}"))
    return sites


def anchor_script(n_pes):
    """The Yosys commands that anchor every PE's block RAMs and multiplier (run after
    ``synth_ecp5``, on the flattened netlist)."""
    lines = []
    for pe, (rams, mult) in enumerate(pe_sites(n_pes)):
        path = PE_PATH.format(pe)
        for cell, bel in zip(PE_BLOCK_RAMS, rams, strict=True):
            sel = f"t:DP16KD n:{path}.{cell} %i"
            lines += [f"select -assert-count 1 {sel}", f'setattr -set BEL "{bel}" {sel}']
        sel = f"t:MULT18X18D n:{path}.{PE_MULTIPLIER}.* %i"
        lines += [f"select -assert-count 1 {sel}", f'setattr -set BEL "{mult}" {sel}']
    return "\n".join(lines)
