"""Checked command-line arguments: ``type=`` converters for ``argparse``, shared by every ``eie``
subcommand.

Each converter takes the argument's text and returns the converted value, or raises
:class:`argparse.ArgumentTypeError` with a message that says what the argument must be and
echoes what was given (``must be a positive integer, not 0``); ``argparse`` puts the argument's
name in front and exits with status 2::

    eie regress: error: argument --count: must be a positive integer, not 0

Range checks that belong to the hardware contract are not repeated here: :func:`config_field`
asks :class:`~eie_hw.config.EIEConfig` itself. :func:`load_inputs` checks an input array
that an argument names, once it is known how long an input is. Only the standard library, NumPy
and the configuration are imported, so every layer of the project may use this module.
"""

import math
from argparse import ArgumentTypeError
from pathlib import Path

import numpy as np

from eie_hw.config import EIEConfig

__all__ = ["integer", "positive_int", "nonnegative_int", "positive_float", "nonnegative_float",
           "fraction", "config_field", "pe_count", "existing_file", "output_file", "output_dir",
           "load_inputs"]


def integer(text):
    """An integer written in decimal (``"12"``, ``"-3"``); not ``"1.5"`` or ``"0x10"``."""
    try:
        return int(text)
    except ValueError:
        raise ArgumentTypeError(f"must be an integer, not {text!r}") from None


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not math.isfinite(value):
        raise ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _at_least(parse, low, *, strict, words, doc):
    """A converter: ``parse(text)``, then ``value > low`` (``strict``) or ``value >= low``."""
    def convert(text):
        value = parse(text)
        if value < low or (strict and value == low):
            raise ArgumentTypeError(f"must be {words}, not {text}")
        return value
    convert.__doc__ = doc
    return convert


positive_int = _at_least(integer, 1, strict=False, words="a positive integer",
                         doc="An integer ≥ 1 (counts, rates, steps).")
nonnegative_int = _at_least(integer, 0, strict=False, words="a non-negative integer",
                            doc="An integer ≥ 0 (seeds, epochs).")
positive_float = _at_least(_number, 0, strict=True, words="a positive number",
                           doc="A finite number > 0 (frequencies, timeouts, learning rates).")
nonnegative_float = _at_least(_number, 0, strict=False, words="a non-negative number",
                              doc="A finite number ≥ 0 (spreads such as a standard deviation).")


def fraction(text):
    """A fraction taken from a whole, ``0 ≤ value < 1`` (1 would leave nothing), such as the
    share of weights pruned."""
    value = _number(text)
    if not 0 <= value < 1:
        raise ArgumentTypeError(f"must be a fraction in [0, 1), not {text}")
    return value


def config_field(name):
    """A converter for an integer that :class:`~eie_hw.config.EIEConfig` accepts as field
    ``name`` (with the other fields at their defaults); its message is the configuration's own,
    without the ``EIEConfig.<name>`` prefix that the argument's name replaces.

    Parameters
    ----------
    name : str
        An integer field of :class:`~eie_hw.config.EIEConfig`, e.g. ``"fifo_depth"``.
    """
    prefix = f"EIEConfig.{name} "

    def convert(text):
        value = integer(text)
        try:
            EIEConfig(**{name: value})
        except ValueError as e:
            message = str(e)
            raise ArgumentTypeError(message.removeprefix(prefix)) from None
        return value

    return convert


pe_count = config_field("n_pes")
pe_count.__doc__ = "A PE count that :class:`~eie_hw.config.EIEConfig` accepts."


def existing_file(text):
    """The :class:`~pathlib.Path` of a file that exists (an input)."""
    path = Path(text)
    if path.is_dir():
        raise ArgumentTypeError(f"must be a file, not the directory {text!r}")
    if not path.is_file():
        raise ArgumentTypeError(f"no such file: {text!r}")
    return path


def output_file(text):
    """The :class:`~pathlib.Path` of a file to write: not a directory, in a directory that
    exists (so that a long run does not fail at its last step)."""
    path = Path(text)
    if path.is_dir():
        raise ArgumentTypeError(f"must be a file to write, not the directory {text!r}")
    if not path.parent.is_dir():
        raise ArgumentTypeError(f"the directory of {text!r} does not exist")
    return path


def output_dir(text):
    """The :class:`~pathlib.Path` of a directory to write into: it exists or will be made, and
    is not an existing file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise ArgumentTypeError(f"must be a directory, not the file {text!r}")
    return path


def load_inputs(path, n_in, option):
    """Load the ``.npy`` input(s) of a network with ``n_in`` inputs.

    Parameters
    ----------
    path : path-like
        A ``.npy`` file of integers or floats, of shape ``(n_in,)`` (one input) or
        ``(N, n_in)`` with ``N ≥ 1`` (a batch).
    n_in : int
        Input length of the network's first layer.
    option : str
        The argument that named the file (``"--input"``), for messages.

    Returns
    -------
    batch : (N, n_in) ndarray
        The inputs, one per row (``N = 1`` for a single input).
    single : bool
        Whether the file held one input of shape ``(n_in,)``.

    Raises
    ------
    ValueError
        If the file is not a ``.npy`` array, does not hold numbers or has another shape; the
        message names ``option``, the file and the expected shape.
    """
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as e:
        raise ValueError(f"{option} {path} is not a .npy array ({e})") from None
    if not isinstance(x, np.ndarray) or not (np.issubdtype(x.dtype, np.integer)
                                             or np.issubdtype(x.dtype, np.floating)):
        what = type(x).__name__ if not isinstance(x, np.ndarray) else x.dtype
        raise ValueError(f"{option} {path} must hold integers or floats, not {what}")
    if x.shape != (n_in,) and (x.ndim != 2 or x.shape[1] != n_in or x.shape[0] < 1):
        raise ValueError(f"{option} {path} holds an array of shape {x.shape}; the network "
                         f"takes one input of shape ({n_in},) or a batch of shape (N, {n_in})")
    return np.atleast_2d(x), x.ndim == 1
