"""``eie compress``: the command-line face of the Deep Compression front end.

::

    eie compress --demo digits --out DIR [--pes N] [--quick] [--dsd]
    eie compress --demo lenet5 --out DIR [--pes N] [--quick]
    eie compress MODEL --out DIR [--pes N] [--sparsity 0.9 | --sparsity fc1=0.92,fc2=0.95]
                 [--bits 4] [--train-x X.npy --train-y Y.npy] [--test-x … --test-y …]
                 [--dsd [--dsd-sparsity 0.3] [--dsd-epochs 20]]

``--dsd`` retrains the dense model by Dense-Sparse-Dense (:mod:`compress.dsd`) before it is
compressed (with ``MODEL``, on the ``--train-x``/``--train-y`` data).

``MODEL`` is a state dict of Linear layers (ReLU is put between them, none after the last unless
``--relu-last``) or a TorchScript module of Linear/ReLU layers. Data files are ``.npy`` arrays
or ``.pt`` tensors: inputs ``(N, n_in)``, integer labels ``(N,)``. The sim dispatcher calls
:func:`add_parser` and then ``args.func(args)``, which returns the exit status. Heavy imports
(torch) happen only when the command runs, so ``eie --help`` stays fast.
"""

import argparse
import sys
from pathlib import Path

from eie_hw import cli_args

__all__ = ["add_parser", "run", "main", "parse_sparsity"]


def parse_sparsity(text):
    """The ``--sparsity`` argument: ``"0.9"`` → ``0.9``; ``"fc1=0.9,fc2=0.95"`` →
    ``{"fc1": 0.9, "fc2": 0.95}``. Every value is a fraction in ``[0, 1)``; otherwise
    :class:`argparse.ArgumentTypeError` says which item is wrong."""
    if "=" not in text:
        return cli_args.fraction(text)
    result = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"items must be NAME=FRACTION, not {item!r}")
        try:
            result[name.strip()] = cli_args.fraction(value.strip())
        except argparse.ArgumentTypeError as e:
            raise argparse.ArgumentTypeError(f"the value for layer {name.strip()!r} {e}") \
                from None
    return result


# Options only ``eie compress MODEL`` reads, with their defaults (``None`` in the parser, so
# that giving one with ``--demo``, which ignores them, can be refused).
_MODEL_DEFAULTS = {"sparsity": 0.9, "bits": None, "init": "linear", "train_x": None,
                   "train_y": None, "test_x": None, "test_y": None, "prune_steps": 3,
                   "epochs": 10, "finetune_epochs": 10, "lr": 1e-3, "relu_last": False}
# Options only ``--demo`` reads.
_DEMO_ONLY = ("quick", "cache_dir")


def add_parser(subparsers):
    """Register ``compress`` on an ``argparse`` sub-parser collection; returns the parser."""
    p = subparsers.add_parser(
        "compress", help="prune, quantize and Huffman-code a network into an .eie image",
        description="Deep Compression (pruning, trained quantization, Huffman coding) of a "
                    "network of Linear/ReLU layers into an EIE image (.eie) and its "
                    "Huffman-coded storage form (.eiz), with a report.")
    p.add_argument("model", nargs="?", type=cli_args.existing_file,
                   help="saved PyTorch model: state dict (.pt) or TorchScript file")
    p.add_argument("--demo", choices=["digits", "lenet5"],
                   help="run a built-in demo instead of MODEL: the digits MLP, or a "
                        "LeNet-5-style CNN on the digits (convolutions on the host)")
    p.add_argument("--out", required=True, type=cli_args.output_dir, help="output directory")
    p.add_argument("--pes", type=cli_args.pe_count, default=None,
                   help="number of PEs of the EIEConfig (default: 4 for demos, else 64)")
    p.add_argument("--quick", action="store_true", help="demo: short schedule for CI")
    p.add_argument("--sparsity", type=parse_sparsity,
                   help="fraction pruned, one value or NAME=FRACTION,... (default 0.9)")
    p.add_argument("--bits", type=cli_args.positive_int,
                   help="codebook bits, 1…8 (default: the configuration's weight_index_bits)")
    p.add_argument("--init", choices=["linear", "density", "random"],
                   help="k-means initialisation (default linear)")
    for name, what in (("train-x", "retraining inputs"), ("train-y", "retraining labels"),
                       ("test-x", "test inputs for the report"),
                       ("test-y", "test labels for the report")):
        p.add_argument(f"--{name}", type=cli_args.existing_file, help=f"{what} (.npy or .pt)")
    p.add_argument("--prune-steps", type=cli_args.positive_int,
                   help="prune/retrain rounds (default 3)")
    p.add_argument("--epochs", type=cli_args.nonnegative_int,
                   help="retraining epochs per round (default 10)")
    p.add_argument("--finetune-epochs", type=cli_args.nonnegative_int,
                   help="centroid fine-tuning epochs (default 10)")
    p.add_argument("--lr", type=cli_args.positive_float,
                   help="retraining learning rate (default 0.001)")
    p.add_argument("--balance", action="store_true",
                   help="load-balanced row assignment instead of the paper's i mod N")
    p.add_argument("--pe-balanced-pruning", action="store_true",
                   help="prune so that every PE (rows i mod --pes) keeps the same number of "
                        "weights per layer (ESE load-balance-aware pruning)")
    p.add_argument("--dsd", action="store_true",
                   help="retrain the dense model by Dense-Sparse-Dense before compressing it")
    p.add_argument("--dsd-sparsity", type=cli_args.fraction, default=None,
                   help="with --dsd: fraction pruned in the sparse phase (default 0.3)")
    p.add_argument("--dsd-epochs", type=cli_args.nonnegative_int, default=None,
                   help="with --dsd: epochs of the sparse and of the re-dense phase (default 20)")
    p.add_argument("--relu-last", action="store_true", default=None,
                   help="state dict: apply ReLU after the last layer too")
    p.add_argument("--cache-dir", type=cli_args.output_dir, help="demo: dense checkpoint cache")
    p.add_argument("--seed", type=cli_args.nonnegative_int, default=0)
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    p.set_defaults(func=run)
    return p


def check_options(args, config):
    """Refuse combinations of options that make no sense, before anything is loaded; fill in
    the defaults of the ``MODEL`` options."""
    def flag(name):
        return f"--{name.replace('_', '-')}"

    if (args.demo is None) == (args.model is None):
        raise ValueError("give either MODEL or --demo")
    dsd_options = [flag(n) for n in ("dsd_sparsity", "dsd_epochs") if getattr(args, n) is not None]
    if dsd_options and not args.dsd:
        raise ValueError(f"{', '.join(dsd_options)} {'needs' if len(dsd_options) == 1 else 'need'} "
                         f"--dsd")
    if args.demo:
        ignored = [flag(n) for n in _MODEL_DEFAULTS if getattr(args, n) is not None]
        if ignored:
            raise ValueError(f"{', '.join(ignored)} cannot be used with --demo (the demo has "
                             f"its own settings)")
        return
    demo_only = [flag(n) for n in _DEMO_ONLY if getattr(args, n)]
    if demo_only:
        raise ValueError(f"{', '.join(demo_only)} {'needs' if len(demo_only) == 1 else 'need'} "
                         f"--demo")
    for name, default in _MODEL_DEFAULTS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    for x, y in (("train_x", "train_y"), ("test_x", "test_y")):
        if (getattr(args, x) is None) != (getattr(args, y) is None):
            raise ValueError(f"{flag(x)} and {flag(y)} go together")
    if args.dsd and args.train_x is None:
        raise ValueError("--dsd needs training data (--train-x and --train-y)")
    if args.bits is not None and args.bits > config.weight_index_bits:
        raise ValueError(f"--bits {args.bits} needs a {2 ** args.bits}-entry codebook; the "
                         f"configuration holds {config.codebook_size} (weight_index_bits="
                         f"{config.weight_index_bits})")


def load_array(path, what):
    """A ``.npy`` array or a ``.pt`` tensor as a NumPy array."""
    import numpy as np
    import torch

    path = Path(path)
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix in (".pt", ".pth"):
        value = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{what}: {path} holds a {type(value).__name__}, not a tensor")
        return value.numpy()
    raise ValueError(f"{what}: {path} must be a .npy or .pt file")


def _pair(args, x_attr, y_attr):
    x, y = getattr(args, x_attr), getattr(args, y_attr)
    if x is None:
        return None
    return (load_array(x, f"--{x_attr.replace('_', '-')}"),
            load_array(y, f"--{y_attr.replace('_', '-')}"))


def dsd_settings(args):
    """The :class:`~compress.dsd.DSDSettings` of ``--dsd`` (``None`` without it)."""
    from .dsd import DSDSettings

    if not args.dsd:
        return None
    changes = {"sparsity": args.dsd_sparsity}
    if args.dsd_epochs is not None:
        changes.update(sparse_epochs=args.dsd_epochs, redense_epochs=args.dsd_epochs)
    return DSDSettings(**{k: v for k, v in changes.items() if v is not None})


def compress_file(args, config):
    """``eie compress MODEL``: returns the report dictionary."""
    import copy

    import numpy as np

    from sim.models.golden import GoldenModel

    from .export import export_model
    from .model import load_model
    from .pipeline import Settings, compress_model
    from .report import format_table, write_report
    from .train import accuracy, as_tensors

    model = load_model(args.model, relu_last=args.relu_last)
    bits = config.weight_index_bits if args.bits is None else args.bits
    settings = Settings(sparsity=args.sparsity, bits=bits, init=args.init,
                        prune_steps=args.prune_steps, retrain_epochs=args.epochs,
                        finetune_epochs=args.finetune_epochs, lr=args.lr, seed=args.seed,
                        prune_groups=config.n_pes if args.pe_balanced_pruning else 1)
    train_data = _pair(args, "train_x", "train_y")
    test_data = _pair(args, "test_x", "test_y")
    n_in = next(m for m in model.modules() if hasattr(m, "in_features")).in_features
    if test_data is not None:
        test_data = tuple(t.numpy() for t in as_tensors(*test_data, n_in, what="test data"))
    dsd = dsd_settings(args)
    report_dsd = None
    if dsd is not None:
        from .dsd import dsd_classifier

        plain = model
        model, losses = dsd_classifier(copy.deepcopy(model), train_data, dsd, seed=args.seed,
                                       progress=not args.no_progress)
        report_dsd = {"settings": vars(dsd), "losses": losses}
        if test_data is not None:
            report_dsd["plain_float_test"] = accuracy(plain, *test_data)
    compressed, info = compress_model(model, settings, train_data,
                                      progress=not args.no_progress)
    result = export_model(compressed, config, args.out, stem=args.model.stem,
                          float_weights=info["weights"], balance=args.balance)
    report = {"model": str(args.model), "config": config.to_dict(),
              "settings": {k: v for k, v in vars(settings).items()},
              "sparsity": info["sparsity"], "accounting": result["accounting"],
              "image": result["image_path"].name, "image_file_bytes": result["image_bytes"],
              "compressed": result["compressed_path"].name,
              "compressed_file_bytes": result["compressed_bytes"], "dsd": report_dsd}
    if test_data is not None:
        x, y = test_data
        report["accuracy"] = {"float_test": accuracy(model, x, y),
                              "compressed_pytorch_test": accuracy(compressed, x, y),
                              "compressed_golden_test": GoldenModel(result["image"]).accuracy(x, y)}
        report["accuracy"]["test_samples"] = int(np.asarray(y).shape[0])
    write_report(args.out, report, table=format_table(result["accounting"]))
    return report


def run(args):
    """Run ``eie compress`` from parsed ``args``; returns the exit status."""
    from eie_hw.config import EIEConfig
    from eie_hw.image import ImageError

    try:
        config = EIEConfig(n_pes=args.pes if args.pes is not None else
                           (4 if args.demo else EIEConfig().n_pes))
        check_options(args, config)
        if args.demo == "lenet5":
            from .cnn import run_lenet5_demo

            if args.dsd or args.balance or args.pe_balanced_pruning or args.cache_dir:
                raise ValueError("--demo lenet5 takes only --pes, --quick, --seed and "
                                 "--no-progress")
            report = run_lenet5_demo(args.out, config, quick=args.quick, seed=args.seed,
                                     progress=not args.no_progress)
            files = report["files"]
        elif args.demo:
            from .demo import run_digits_demo

            report = run_digits_demo(args.out, config, quick=args.quick,
                                     cache_dir=args.cache_dir, seed=args.seed,
                                     progress=not args.no_progress, balance=args.balance,
                                     pe_balanced_pruning=args.pe_balanced_pruning,
                                     dsd=dsd_settings(args))
            files = report["files"]
        else:
            report = compress_file(args, config)
            files = {"image": report["image"], "compressed": report["compressed"]}
        print((args.out / "report.txt").read_text(), end="")
        written = [files[k] for k in ("image", "compressed", "host") if k in files]
        print(f"wrote {', '.join(str(args.out / f) for f in written)} and "
              f"{args.out / 'report.json'}")
    except (ValueError, TypeError, ImageError, OSError) as e:
        print(f"eie compress: error: {e}", file=sys.stderr)
        return 2
    return 0


def main(argv=None):
    """Stand-alone entry point (``python -m compress.cli …``)."""
    parser = argparse.ArgumentParser(prog="eie")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
