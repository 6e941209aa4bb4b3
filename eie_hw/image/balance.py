"""Load-balance-aware row assignment (beyond the paper).

EIE gives row ``i`` to PE ``i mod N``; a layer then takes as long as its busiest PE. This module
finds a ``row_order`` (see :mod:`eie_hw.image.layout`) whose busiest PE holds as few entries as
possible, padding included:

1. **Greedy LPT**: rows by decreasing non-zero count, each to the least-loaded PE that still
   has a free slot (every PE keeps the slot count of the ``i mod N`` layout).
2. **Local row order**: within a PE, densest rows first. Zeros after a column's last non-zero
   cost nothing, so this shortens the runs that need padding entries.
3. **Local improvement**: swap a row of the busiest PE with a row of the least-loaded PE when
   the swap lowers the busier of the two (counted exactly, padding included), until no swap
   helps or ``max_swaps`` is reached.

The result is never worse than ``i mod N``: if it were, the identity is returned.
"""

import heapq

import numpy as np

from .layout import entry_counts

__all__ = ["balanced_row_order", "pe_slot_counts", "pe_loads"]


def pe_slot_counts(n_out, n_pes):
    """Rows each PE holds in the ``i mod N`` layout (a balanced order keeps them)."""
    return np.array([len(range(k, n_out, n_pes)) for k in range(n_pes)])


def pe_loads(index, n_pes, max_zero_run, row_order=None):
    """Entries (padding included) per PE for a row order."""
    return entry_counts(index, n_pes, max_zero_run, row_order).sum(axis=1)


def _order_from_groups(groups, n_out, n_pes):
    order = np.empty(n_out, dtype=np.int64)
    for k, rows in enumerate(groups):
        order[np.arange(len(rows)) * n_pes + k] = rows
    return order


def _group_load(index, rows, max_zero_run):
    """Entries of one PE holding ``rows`` in this local order: its non-zeros plus one padding
    entry per full ``max_zero_run + 1`` zeros before a non-zero of a column."""
    stored = index[rows] != 0
    load = int(np.count_nonzero(stored))
    span = max_zero_run + 1
    if len(rows) <= span:
        return load
    zeros = np.zeros(stored.shape[1], dtype=np.int64)
    for row in stored:
        load += int((zeros[row] // span).sum())
        zeros += 1
        zeros[row] = 0
    return load


def balanced_row_order(index, n_pes, max_zero_run, *, max_swaps=None):
    """A row order for ``index`` (``(n_out, n_in)``, non-zero = stored) over ``n_pes`` PEs
    that minimises the busiest PE's entry count (padding included)."""
    index = np.asarray(index)
    n_out = index.shape[0]
    nnz = np.count_nonzero(index, axis=1)
    slots = pe_slot_counts(n_out, n_pes)

    # Section: greedy longest-processing-time first
    groups = [[] for _ in range(n_pes)]
    heap = [(0, k) for k in range(n_pes)]
    for row in np.argsort(-nnz, kind="stable"):
        load, k = heapq.heappop(heap)
        groups[k].append(int(row))
        if len(groups[k]) < slots[k]:
            heapq.heappush(heap, (load + int(nnz[row]), k))
    # Section: densest rows first inside each PE (the greedy appended them in that order)
    groups = [np.array(g, dtype=np.int64) for g in groups]
    loads = np.array([_group_load(index, g, max_zero_run) for g in groups])

    # Section: local improvement by pairwise swaps
    max_swaps = 4 * n_out if max_swaps is None else max_swaps
    for _ in range(max_swaps):
        a, b = int(np.argmax(loads)), int(np.argmin(loads))
        if loads[a] - loads[b] <= 1:
            break
        target = (loads[a] - loads[b]) / 2
        diff = nnz[groups[a]][:, None] - nnz[groups[b]][None, :]
        candidates = np.argwhere((diff > 0) & (diff < loads[a] - loads[b]))
        if not len(candidates):
            break
        best = candidates[np.argsort(np.abs(diff[candidates[:, 0], candidates[:, 1]] - target),
                                     kind="stable")[:8]]
        improved = False
        for i, j in best:
            ga, gb = groups[a].copy(), groups[b].copy()
            ga[i], gb[j] = groups[b][j], groups[a][i]
            ga, gb = ga[np.argsort(-nnz[ga], kind="stable")], gb[np.argsort(-nnz[gb],
                                                                               kind="stable")]
            la, lb = _group_load(index, ga, max_zero_run), _group_load(index, gb, max_zero_run)
            if max(la, lb) < loads[a]:
                groups[a], groups[b], loads[a], loads[b] = ga, gb, la, lb
                improved = True
                break
        if not improved:
            break

    order = _order_from_groups(groups, n_out, n_pes)
    identity_max = max(_group_load(index, np.arange(k, n_out, n_pes), max_zero_run)
                       for k in range(n_pes))
    return order if loads.max() <= identity_max else np.arange(n_out)
