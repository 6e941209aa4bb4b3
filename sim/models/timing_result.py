"""Results of the cycle-level models."""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LayerTiming", "JobTiming"]


@dataclass
class LayerTiming:
    """Cycle counts of one layer.

    Members
    -------
    init, compute, writeback : int
        Lengths of the three phases (docs/microarchitecture.md); ``total`` is their sum.
        Only a job's first layer has an INIT phase (``init`` is 0 for the others): the next
        layer's biases are loaded during WRITEBACK, which lasts long enough for both.
    broadcasts : int
        Non-zero activations broadcast.
    broadcast_stalls : int
        Cycles in which a non-zero activation was ready but some queue was full.
    busy : (n_pes,) int array
        Per PE, compute-phase cycles in which it issued an entry (= its entries).
    blocking : (n_pes,) int array
        Per PE, compute-phase cycles in which its full queue held up the broadcast.
    actions : dict of str to (n_pes,) int array
        Per PE, the count of every action of :data:`sim.models.actions.PE_ACTIONS` in the
        layer's three phases.
    ccu_actions : dict of str to int
        The count of every array-wide action of :data:`sim.models.actions.CCU_ACTIONS`.
    broadcast_width : int
        Activations the CCU broadcasts per cycle (the configuration's).
    """

    init: int
    compute: int
    writeback: int
    broadcasts: int
    broadcast_stalls: int
    busy: np.ndarray
    blocking: np.ndarray
    actions: dict = field(default_factory=dict)
    ccu_actions: dict = field(default_factory=dict)
    broadcast_width: int = 1

    @property
    def total(self):
        return self.init + self.compute + self.writeback

    @property
    def idle(self):
        """Per PE, compute-phase cycles without an entry issue."""
        return self.compute - self.busy

    @property
    def bound(self):
        """Largest per-PE entry count: the compute cycles an ideal broadcast would need."""
        return int(self.busy.max())

    @property
    def lower_bound(self):
        """``max(bound, ceil(broadcasts / broadcast_width))``: the CCU broadcasts at most
        ``broadcast_width`` activations per cycle, so no schedule of this dataflow finishes
        COMPUTE faster, however well the rows balance."""
        return max(self.bound, -(-self.broadcasts // self.broadcast_width))


@dataclass
class JobTiming:
    """Cycle counts of a whole image run: one :class:`LayerTiming` per layer."""

    layers: list = field(default_factory=list)

    @property
    def total(self):
        return sum(layer.total for layer in self.layers)

    @property
    def actions(self):
        """Per-PE action counts summed over the layers."""
        return {name: sum(layer.actions[name] for layer in self.layers)
                for name in self.layers[0].actions}

    @property
    def ccu_actions(self):
        """Array-wide action counts summed over the layers."""
        return {name: sum(layer.ccu_actions[name] for layer in self.layers)
                for name in self.layers[0].ccu_actions}
