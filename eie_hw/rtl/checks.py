"""Constructor checks shared by the RTL components."""

from eie_hw.config import EIEConfig

__all__ = ["reject", "check_config"]


def reject(component, error):
    """Raise ``error`` from ``component``'s constructor without Amaranth's "created but never
    used" warning for the half-built object."""
    component._MustUse__silence = True
    raise error


def check_config(component, config):
    """Raise ``TypeError`` naming ``config`` unless it is an :class:`EIEConfig`."""
    if not isinstance(config, EIEConfig):
        reject(component, TypeError(f"{type(component).__name__}: config must be an EIEConfig, "
                                    f"not {type(config).__name__}"))
