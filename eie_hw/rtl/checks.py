"""Constructor checks shared by the RTL components (and the board gateware)."""

from amaranth.lib import wiring

from eie_hw.config import EIEConfig

__all__ = ["CheckedComponent", "ConfigComponent"]


class CheckedComponent(wiring.Component):
    """A :class:`~amaranth.lib.wiring.Component` that checks its constructor arguments before
    the object exists.

    Amaranth warns about every elaboratable that is created and never used, including one
    whose ``__init__`` raised. A subclass of this class instead overrides :meth:`check_args`,
    which receives the constructor's arguments and runs before the object is created: when it
    raises, there is no object, no warning, and the caller sees only the error.
    """

    def __new__(cls, *args, src_loc_at=0, **kwargs):
        cls.check_args(*args, **kwargs)
        # One more frame: Amaranth records where the object was made (the caller's line).
        return super().__new__(cls, *args, src_loc_at=src_loc_at + 1, **kwargs)

    @classmethod
    def check_args(cls, *args, **kwargs):
        """Raise ``TypeError`` (wrong type) or ``ValueError`` (wrong value), with a message
        that names the parameter and echoes the value, unless the constructor's arguments
        are acceptable. Accepts anything unless overridden."""


class ConfigComponent(CheckedComponent):
    """A :class:`CheckedComponent` whose first constructor argument is an
    :class:`~eie_hw.config.EIEConfig` (every block of the array)."""

    @classmethod
    def check_args(cls, config, *args, **kwargs):
        """Raise ``TypeError`` naming ``config`` unless it is an :class:`EIEConfig`."""
        if not isinstance(config, EIEConfig):
            raise TypeError(f"{cls.__name__}: config must be an EIEConfig, not "
                            f"{type(config).__name__}")
