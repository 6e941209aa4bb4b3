"""Fixed-point conversions and the arithmetic contract in NumPy (see docs/arithmetic.md).

These functions are the numeric definition the golden model uses and the RTL implements:

* ``product = weight * activation`` (exact, ``product_width`` bits);
* ``acc = (bias << w_frac) + sum of products`` over the layer's entries, exactly: the
  accumulator is wide enough never to overflow (``EIEConfig.min_acc_width``), so the order of
  the entries does not matter;
* ``out = saturate(round_shift(acc, w_frac), act_width)`` (the only saturation), then ReLU
  where the layer asks; ``round_shift`` adds ``2 ** (w_frac - 1)`` and shifts right
  arithmetically (round to nearest, ties towards +∞).
"""

import numpy as np

__all__ = ["saturate", "round_shift", "to_fixed", "from_fixed", "choose_frac_bits",
           "act_to_fixed", "act_from_fixed", "check_act_fixed", "as_act_fixed"]


def saturate(x, width):
    """Clamp integers to the signed range of ``width`` bits."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    return np.clip(np.asarray(x, dtype=np.int64), lo, hi)


def round_shift(x, shift):
    """Arithmetic right shift by ``shift`` rounding to nearest, ties towards +∞."""
    x = np.asarray(x, dtype=np.int64)
    if shift == 0:
        return x
    return (x + (1 << (shift - 1))) >> shift


def to_fixed(x, width, frac, *, what="value"):
    """Convert floats to signed fixed point (round half to even), saturating.

    NaN or infinite values raise ``ValueError`` naming ``what``.
    """
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{what} contains NaN or infinite values")
    return saturate(np.round(x * (1 << frac)), width)


def from_fixed(x, frac):
    """Convert fixed-point integers to floats."""
    return np.asarray(x, dtype=np.float64) / (1 << frac)


def choose_frac_bits(values, width, *, what="values"):
    """The largest fraction-bit count in ``0 … width - 1`` at which all ``values`` fit in
    ``width`` signed bits after rounding. Raises ``ValueError`` if none does or on NaN."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} contain NaN or infinite values")
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    for frac in range(width - 1, -1, -1):
        q = np.round(values * (1 << frac))
        if q.size == 0 or (q.min() >= lo and q.max() <= hi):
            return frac
    raise ValueError(f"{what} exceed the {width}-bit fixed-point range even with no "
                     f"fraction bits (largest magnitude {np.abs(values).max():g})")


def act_to_fixed(config, x, *, what="activations"):
    """Float activations → the configuration's activation fixed point (saturating)."""
    return to_fixed(x, config.act_width, config.act_frac_bits, what=what)


def act_from_fixed(config, x):
    """Activation fixed point → floats."""
    return from_fixed(x, config.act_frac_bits)


def check_act_fixed(config, x, *, what="inputs"):
    """``x`` as ``int64`` if it holds activations in the configuration's fixed point: a
    ``TypeError`` if it does not hold integers, a ``ValueError`` naming ``what`` if a value does
    not fit ``act_width`` bits (never wrapped)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"{what} must be fixed-point integers, not {x.dtype}; convert with "
                        f"eie_hw.fixedpoint.act_to_fixed")
    if x.size and (x.min() < config.act_min or x.max() > config.act_max):
        raise ValueError(f"{what}: fixed-point inputs must lie in {config.act_min}…"
                         f"{config.act_max} ({config.act_width}-bit activations), not "
                         f"{x.min()}…{x.max()}")
    return x.astype(np.int64)


def as_act_fixed(config, x, *, what="inputs"):
    """Inputs a user hands over: integers are fixed point already (:func:`check_act_fixed`),
    floats are converted (:func:`act_to_fixed`)."""
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.integer):
        return check_act_fixed(config, x, what=what)
    return act_to_fixed(config, x, what=what)
