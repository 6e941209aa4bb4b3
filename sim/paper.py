"""Figures quoted from the EIE paper (arXiv:1602.01528v2), used for comparison only."""

from dataclasses import dataclass

__all__ = ["BenchmarkLayer", "TABLE_III", "PAPER_CLOCK_HZ"]

PAPER_CLOCK_HZ = 800e6


@dataclass(frozen=True)
class BenchmarkLayer:
    """One row of Table III with its Table IV "EIE actual" time (batch 1)."""

    name: str
    n_in: int
    n_out: int
    weight_density: float
    act_density: float
    paper_actual_us: float
    paper_theoretical_us: float

    @property
    def paper_actual_cycles(self):
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
