import pytest

from eie_hw.config import EIEConfig
from sim.verify.configs import small_config


def test_paper_defaults():
    cfg = EIEConfig()
    assert (cfg.n_pes, cfg.fifo_depth, cfg.codebook_size, cfg.max_zero_run) == (64, 8, 16, 15)
    assert (cfg.entry_bits, cfg.entries_per_word) == (8, 8)
    assert cfg.max_layer_inputs == 64 * cfg.act_depth


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64, 128, 256])
def test_power_of_two_pes(n):
    assert EIEConfig(n_pes=n).n_pes == n


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_pes": 3}, ValueError, r"^EIEConfig\.n_pes must be a power of two, not 3$"),
    ({"n_pes": 512}, ValueError, r"^EIEConfig\.n_pes must be between 1 and 256, not 512$"),
    ({"n_pes": 4.0}, TypeError, r"^EIEConfig\.n_pes must be an integer, not 4\.0$"),
    ({"fifo_depth": 0}, ValueError, r"^EIEConfig\.fifo_depth must be between 1 and 1024, not 0$"),
    ({"acc_width": 40}, ValueError, r"^EIEConfig\.acc_width must be between 48 and 64, not 40$"),
    ({"act_frac_bits": 16}, ValueError,
     r"^EIEConfig\.act_frac_bits must be between 0 and 15, not 16$"),
    ({"spmat_word_bits": 60}, ValueError,
     r"^EIEConfig\.spmat_word_bits must be a multiple of the entry width 8, not 60$"),
    ({"ptr_depth": 7}, ValueError, r"^EIEConfig\.ptr_depth must be even \(two banks\), not 7$"),
    ({"spmat_depth": 8193}, ValueError,
     r"^EIEConfig\.spmat_depth of 8193 words holds more entries than 16-bit pointers address; "
     r"at most 8192 words$"),
    ({"act_depth": True}, TypeError, r"^EIEConfig\.act_depth must be an integer, not True$"),
    ({"broadcast_width": 3}, ValueError,
     r"^EIEConfig\.broadcast_width must be one of 1, 2, 4, not 3$"),
    ({"broadcast_width": 8}, ValueError,
     r"^EIEConfig\.broadcast_width must be between 1 and 4, not 8$"),
    ({"broadcast_width": 4, "n_pes": 2}, ValueError,
     r"^EIEConfig\.broadcast_width 4 exceeds n_pes 2 \(a slot holds n_pes activations\)$"),
    ({"broadcast_width": 4, "fifo_depth": 6}, ValueError,
     r"^EIEConfig\.fifo_depth 6 must be a multiple of broadcast_width 4$"),
])
def test_invalid(kwargs, error, message):
    with pytest.raises(error, match=message):
        EIEConfig(**kwargs)


def test_frozen_and_round_trip():
    cfg = EIEConfig(n_pes=4, fifo_depth=2)
    with pytest.raises(AttributeError):
        cfg.n_pes = 8
    assert EIEConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(n_pes=8).n_pes == 8
    with pytest.raises(ValueError, match=r"^EIEConfig has no parameter\(s\) bogus$"):
        EIEConfig.from_dict({**cfg.to_dict(), "bogus": 1})


def test_small_config():
    """sim.verify.configs.small_config: memories by PE count; changed fields leave the rest."""
    assert [(c.act_depth, c.bias_depth, c.spmat_depth)
            for c in map(small_config, (1, 16, 32, 64))] == [(32, 64, 256), (32, 64, 256),
                                                             (16, 32, 128), (8, 16, 128)]
    changed = small_config(4, 2, act_depth=16)
    assert changed == small_config(4, 2).replace(act_depth=16) and changed.bias_depth == 64
    with pytest.raises(ValueError, match=r"^n_pes must be at least 1, not 0$"):
        small_config(0)
    with pytest.raises(TypeError, match=r"^n_pes must be an integer, not 4\.0$"):
        small_config(4.0)
