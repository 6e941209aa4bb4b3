"""``eie unpack`` and ``eie pack``: between the ``.eiz`` storage form and the ``.eie`` image.

::

    eie unpack MODEL.eiz [-o MODEL.eie]    # the .eie image, bit for bit what was packed
    eie pack IMAGE.eie [-o IMAGE.eiz]      # the Deep Compression storage form of an image

The output defaults to the input's name with the other suffix. Both read and validate the
whole input first (:mod:`compress.storage`, :mod:`eie_hw.image.fileformat`) and write
atomically; a bad input exits with status 2 and a message naming the file and the problem.
The sim dispatcher calls :func:`add_parser`, then ``args.func(args)``.
"""

import sys

from eie_hw import cli_args

__all__ = ["add_parser", "run_pack", "run_unpack"]


def add_parser(subparsers):
    """Register ``unpack`` and ``pack`` on an ``argparse`` sub-parser collection; returns the
    ``unpack`` parser."""
    unpack = subparsers.add_parser(
        "unpack", help="decode a compressed model (.eiz) into its .eie image",
        description="Decode the Deep Compression storage form (.eiz, written by eie compress) "
                    "into the .eie image it was made from, bit for bit.")
    unpack.add_argument("model", type=cli_args.existing_file, metavar="MODEL.eiz")
    unpack.add_argument("-o", "--output", type=cli_args.output_file, metavar="MODEL.eie",
                        help="image to write (default: MODEL with the suffix .eie)")
    unpack.set_defaults(func=run_unpack)
    pack = subparsers.add_parser(
        "pack", help="encode an .eie image in the compressed storage form (.eiz)",
        description="Encode an .eie image in the Deep Compression storage form (.eiz): "
                    "Huffman-coded entries and column counts, codebooks and biases.")
    pack.add_argument("image", type=cli_args.existing_file, metavar="IMAGE.eie")
    pack.add_argument("-o", "--output", type=cli_args.output_file, metavar="IMAGE.eiz",
                      help="compressed model to write (default: IMAGE with the suffix .eiz)")
    pack.set_defaults(func=run_pack)
    return unpack


def _convert(command, source, output, target_suffix, read, write, what):
    """Read ``source`` with ``read``, write it with ``write`` to ``output`` (``None``: the
    source with ``target_suffix``); returns the exit status of ``eie <command>``."""
    from eie_hw.image import ImageError

    output = output if output is not None else source.with_suffix(target_suffix)
    try:
        if output.resolve() == source.resolve():
            raise ValueError(f"the output {str(output)!r} is the input; give -o")
        image = read(source)
        size = write(image, output)
    except (ImageError, ValueError, OSError) as e:
        print(f"eie {command}: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {output} ({size} bytes, {what}) from {source} ({source.stat().st_size} "
          f"bytes)")
    return 0


def run_unpack(args):
    """``eie unpack``: returns the exit status."""
    from eie_hw.image import save_image

    from .storage import load_compressed

    return _convert("unpack", args.model, args.output, ".eie", load_compressed, save_image,
                    ".eie image")


def run_pack(args):
    """``eie pack``: returns the exit status."""
    from eie_hw.image import load_image

    from .storage import SUFFIX, save_compressed

    return _convert("pack", args.image, args.output, SUFFIX, load_image, save_compressed,
                    "compressed model")
