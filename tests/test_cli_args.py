"""The shared argument converters (eie_hw.cli_args): what each accepts and the message of what
it refuses."""

import re
from argparse import ArgumentTypeError

import numpy as np
import pytest

from eie_hw import cli_args
from eie_hw.config import EIEConfig


@pytest.mark.parametrize("convert, text, value", [
    (cli_args.integer, "-3", -3),
    (cli_args.positive_int, "1", 1),
    (cli_args.nonnegative_int, "0", 0),
    (cli_args.positive_float, "2.5e-3", 2.5e-3),
    (cli_args.nonnegative_float, "0", 0.0),
    (cli_args.fraction, "0", 0.0),
    (cli_args.fraction, "0.99", 0.99),
    (cli_args.pe_count, "256", 256),
    (cli_args.config_field("fifo_depth"), "1024", 1024),
])
def test_accepted(convert, text, value):
    assert convert(text) == value


@pytest.mark.parametrize("convert, text, message", [
    (cli_args.integer, "1.5", r"must be an integer, not '1\.5'"),
    (cli_args.positive_int, "0", r"must be a positive integer, not 0"),
    (cli_args.positive_int, "x", r"must be an integer, not 'x'"),
    (cli_args.nonnegative_int, "-1", r"must be a non-negative integer, not -1"),
    (cli_args.positive_float, "0", r"must be a positive number, not 0"),
    (cli_args.positive_float, "inf", r"must be a finite number, not 'inf'"),
    (cli_args.positive_float, "fast", r"must be a number, not 'fast'"),
    (cli_args.nonnegative_float, "-0.5", r"must be a non-negative number, not -0\.5"),
    (cli_args.fraction, "1", r"must be a fraction in \[0, 1\), not 1"),
    (cli_args.fraction, "-0.1", r"must be a fraction in \[0, 1\), not -0\.1"),
    (cli_args.fraction, "nan", r"must be a finite number, not 'nan'"),
    (cli_args.pe_count, "0", r"must be between 1 and 256, not 0"),
    (cli_args.pe_count, "12", r"must be a power of two, not 12"),
    (cli_args.pe_count, "512", r"must be between 1 and 256, not 512"),
    (cli_args.config_field("fifo_depth"), "0", r"must be between 1 and 1024, not 0"),
])
def test_refused(convert, text, message):
    with pytest.raises(ArgumentTypeError, match=rf"^{message}$"):
        convert(text)


def test_pe_count_is_what_the_configuration_accepts():
    """The one rule for PE counts is EIEConfig's: the converter agrees with it everywhere."""
    for n in range(-2, 300):
        try:
            EIEConfig(n_pes=n)
            valid = True
        except ValueError:
            valid = False
        if valid:
            assert cli_args.pe_count(str(n)) == n
        else:
            with pytest.raises(ArgumentTypeError):
                cli_args.pe_count(str(n))


def test_paths(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    assert cli_args.existing_file(str(tmp_path / "f.txt")) == tmp_path / "f.txt"
    assert cli_args.output_file(str(tmp_path / "new.json")) == tmp_path / "new.json"
    assert cli_args.output_dir(str(tmp_path / "a" / "b")) == tmp_path / "a" / "b"
    checks = [
        (cli_args.existing_file, tmp_path / "none", r"no such file: '{}'"),
        (cli_args.existing_file, tmp_path, r"must be a file, not the directory '{}'"),
        (cli_args.output_file, tmp_path, r"must be a file to write, not the directory '{}'"),
        (cli_args.output_file, tmp_path / "no" / "x.json", r"the directory of '{}' does not exist"),
        (cli_args.output_dir, tmp_path / "f.txt", r"must be a directory, not the file '{}'"),
    ]
    for convert, path, message in checks:
        with pytest.raises(ArgumentTypeError,
                           match="^" + message.format(re.escape(str(path))) + "$"):
            convert(str(path))


def test_load_inputs(tmp_path, rng):
    batch = rng.integers(-5, 5, (3, 4))
    np.save(tmp_path / "batch.npy", batch)
    np.save(tmp_path / "one.npy", batch[0])
    x, single = cli_args.load_inputs(tmp_path / "batch.npy", 4, "--input")
    assert not single and np.array_equal(x, batch)
    x, single = cli_args.load_inputs(tmp_path / "one.npy", 4, "--input")
    assert single and np.array_equal(x, batch[:1])
    np.save(tmp_path / "wide.npy", batch)
    np.save(tmp_path / "empty.npy", np.zeros((0, 4)))
    np.save(tmp_path / "text.npy", np.array(["a", "b", "c", "d"]))
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    for name, n_in, message in [
        ("wide.npy", 5, r"holds an array of shape \(3, 4\); the network takes one input of "
                        r"shape \(5,\) or a batch of shape \(N, 5\)"),
        ("empty.npy", 4, r"holds an array of shape \(0, 4\); the network takes one input of "
                         r"shape \(4,\) or a batch of shape \(N, 4\)"),
        ("text.npy", 4, r"must hold integers or floats, not <U1"),
        ("junk.npy", 4, r"is not a \.npy array \(.*\)"),
    ]:
        path = tmp_path / name
        with pytest.raises(ValueError, match=rf"^--input {re.escape(str(path))} {message}$"):
            cli_args.load_inputs(path, n_in, "--input")
