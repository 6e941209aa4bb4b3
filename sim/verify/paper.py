"""Figures quoted from the EIE paper (arXiv:1602.01528v2), used for comparison only."""

from dataclasses import dataclass

__all__ = ["BenchmarkLayer", "TABLE_III", "PAPER_CLOCK_HZ", "TABLE_II_POWER_MW",
           "TABLE_II_AREA_UM2", "TABLE_II_TOTAL_MW", "TABLE_II_TOTAL_UM2", "PAPER_PES",
           "PAPER_CHIP_AREA_MM2", "PAPER_CHIP_POWER_W", "FIG6_SPEEDUP_CPU_DENSE",
           "FIG6_GEOMEAN_CPU_DENSE", "TABLE_IV_CPU_US"]

PAPER_CLOCK_HZ = 800e6
#: The chip: 64 PEs, 40.8 mm², 590 mW (Sec. VI; the abstract says 600 mW).
PAPER_PES = 64
PAPER_CHIP_AREA_MM2 = 40.8
PAPER_CHIP_POWER_W = 0.59

#: Table II, one PE: power (mW) and area (µm²) of each module.
TABLE_II_POWER_MW = {"Act queue": 0.112, "PtrRead": 1.807, "SpmatRead": 4.955,
                     "ArithmUnit": 1.162, "ActRW": 1.122}
TABLE_II_AREA_UM2 = {"Act queue": 758, "PtrRead": 121_849, "SpmatRead": 469_412,
                     "ArithmUnit": 3_110, "ActRW": 18_934, "filler": 23_961}
TABLE_II_TOTAL_MW = 9.157
TABLE_II_TOTAL_UM2 = 638_024


@dataclass(frozen=True)
class BenchmarkLayer:
    """One row of Table III with its Table IV "EIE actual" time (batch 1)."""

    name: str
    n_in: int
    n_out: int
    weight_density: float
    act_density: float
    paper_actual_us: float | None
    paper_theoretical_us: float | None

    @property
    def paper_actual_cycles(self):
        """The paper's actual time in cycles of its clock; None for a layer without it (a
        ``--synthetic`` one)."""
        if self.paper_actual_us is None:
            return None
        return round(self.paper_actual_us * 1e-6 * PAPER_CLOCK_HZ)


TABLE_III = (
    BenchmarkLayer("Alex-6", 9216, 4096, 0.09, 0.351, 30.3, 28.1),
    BenchmarkLayer("Alex-7", 4096, 4096, 0.09, 0.353, 12.2, 11.7),
    BenchmarkLayer("Alex-8", 4096, 1000, 0.25, 0.375, 9.9, 8.9),
    BenchmarkLayer("VGG-6", 25088, 4096, 0.04, 0.183, 34.4, 28.1),
    BenchmarkLayer("VGG-7", 4096, 4096, 0.04, 0.375, 8.7, 7.9),
    BenchmarkLayer("VGG-8", 4096, 1000, 0.23, 0.411, 8.4, 7.3),
    BenchmarkLayer("NT-We", 4096, 600, 0.10, 1.0, 8.0, 5.2),
    BenchmarkLayer("NT-Wd", 600, 8791, 0.11, 1.0, 13.9, 13.0),
    BenchmarkLayer("NT-LSTM", 1201, 2400, 0.10, 1.0, 7.5, 6.5),
)


#: Fig. 6: EIE's speedup over the CPU's dense product (batch 1), per Table III layer, and
#: its geometric mean.
FIG6_SPEEDUP_CPU_DENSE = {"Alex-6": 248, "Alex-7": 507, "Alex-8": 115, "VGG-6": 1018,
                          "VGG-7": 618, "VGG-8": 92, "NT-We": 63, "NT-Wd": 98, "NT-LSTM": 60}
FIG6_GEOMEAN_CPU_DENSE = 189

#: Table IV, batch 1: the paper's CPU (i7-5930K, MKL) times in µs, (dense, sparse) per layer.
TABLE_IV_CPU_US = {"Alex-6": (7516.2, 3066.5), "Alex-7": (6187.1, 1282.1),
                   "Alex-8": (1134.9, 890.5), "VGG-6": (35022.8, 3774.3),
                   "VGG-7": (5372.8, 545.1), "VGG-8": (774.2, 777.3), "NT-We": (605.0, 261.2),
                   "NT-Wd": (1361.4, 437.4), "NT-LSTM": (470.5, 260.0)}


#: Fig. 2/3: the non-zeros (row, column) PE 0 of 4 holds in the 16 × 8 example matrix, in
#: storage order (column by column, rows ascending); Fig. 3 lists their virtual weights.
FIG2_PE0_NONZEROS = ((0, 0), (8, 0), (12, 0), (4, 1), (0, 2), (12, 2), (0, 4), (4, 4), (0, 5),
                     (12, 5), (0, 6), (8, 7), (12, 7))
#: Fig. 2: the non-zero input activations a2, a4, a5, a7.
FIG2_NONZERO_INPUTS = (2, 4, 5, 7)


def fig2_example(config, rng):
    """The paper's Fig. 2 example for 4 PEs: ``(layer, x)``. PE 0's rows (0, 4, 8, 12) hold
    exactly the non-zeros of Fig. 3 (13 entries, column 3 empty); the other rows get 1–4 random
    non-zeros (the figure leaves their values unnamed); weights, biases and a2, a4, a5, a7 are
    random (seeded by ``rng``), the other inputs zero."""
    import numpy as np

    from eie_hw.image.layer import QuantizedLayer

    if config.n_pes != 4:
        raise ValueError(f"the Fig. 2 example needs n_pes=4, not {config.n_pes}")
    nonzero = np.zeros((16, 8), dtype=bool)
    for row, col in FIG2_PE0_NONZEROS:
        nonzero[row, col] = True
    for row in range(16):
        if row % 4:
            nonzero[row, rng.choice(8, size=int(rng.integers(1, 5)), replace=False)] = True
    index = np.where(nonzero, rng.integers(1, config.codebook_size, size=(16, 8)), 0)
    codebook = rng.integers(-300, 301, size=config.codebook_size)
    codebook[0] = 0
    layer = QuantizedLayer(index, codebook, 8, rng.integers(-100, 101, size=16), relu=True)
    x = np.zeros(8, dtype=np.int64)
    x[list(FIG2_NONZERO_INPUTS)] = rng.integers(1, 400, size=4) * rng.choice([-1, 1], size=4)
    return layer, x
