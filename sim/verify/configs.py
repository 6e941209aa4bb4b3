"""The small-memory configurations of the tests, the cocotb bench and ``eie regress``."""

from eie_hw.config import EIEConfig

__all__ = ["small_config"]


def small_config(n_pes, fifo_depth=8, **changes):
    """A configuration of ``n_pes`` PEs with small memories, so that simulations and the
    exported Verilog stay small: layers of up to ``n_pes * act_depth`` (≤ 512) inputs and
    outputs (inputs at most 255: ``ptr_depth`` is 256), 4 layers.

    Parameters
    ----------
    n_pes : int
        Number of PEs.
    fifo_depth : int
        Entries of each PE's activation queue.
    **changes
        Fields of :class:`~eie_hw.config.EIEConfig` to set to other values (for example
        ``act_depth=16``). The other fields keep theirs: ``bias_depth`` stays twice the
        unchanged ``act_depth``.

    Returns
    -------
    EIEConfig
        ``act_depth`` 32 up to 16 PEs, then ``512 // n_pes`` (at least 8); ``bias_depth``
        ``2 * act_depth``; ``spmat_depth`` 256 up to 16 PEs, else 128; ``ptr_depth`` 256;
        ``max_layers`` 4.
    """
    if isinstance(n_pes, bool) or not isinstance(n_pes, int):
        raise TypeError(f"n_pes must be an integer, not {n_pes!r}")
    if n_pes < 1:
        raise ValueError(f"n_pes must be at least 1, not {n_pes!r}")
    act_depth = max(8, min(32, 512 // n_pes))
    fields = dict(n_pes=n_pes, fifo_depth=fifo_depth, act_depth=act_depth,
                  spmat_depth=256 if n_pes <= 16 else 128, ptr_depth=256,
                  bias_depth=2 * act_depth, max_layers=4)
    return EIEConfig(**{**fields, **changes})
