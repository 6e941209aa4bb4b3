"""The sparse-matrix entry and memory word: one definition for RTL and NumPy.

An entry is ``weight_index`` (low bits) followed by ``zero_run`` (high bits): with the paper's
4 + 4 bits, byte ``0xZW``. Entry ``i`` of a memory word occupies bits
``[i * entry_bits, (i + 1) * entry_bits)``, so with 8-bit entries a word is the little-endian
reading of its entry bytes. Entry address ``a`` (what a column pointer holds) is word
``a // entries_per_word``, slot ``a % entries_per_word``.
"""

import numpy as np
from amaranth.lib import data

__all__ = ["entry_layout", "pack_entries", "unpack_entries", "entries_to_words",
           "words_to_entries"]


def entry_layout(config):
    """The Amaranth layout of one entry: ``weight_index`` then ``zero_run``."""
    return data.StructLayout({
        "weight_index": config.weight_index_bits,
        "zero_run": config.rel_index_bits,
    })


def pack_entries(config, weight_index, zero_run):
    """Pack arrays of weight indices and zero runs into entry codes (``uint32`` array).

    Raises ``ValueError`` if a field does not fit its width.
    """
    weight_index = np.asarray(weight_index, dtype=np.int64)
    zero_run = np.asarray(zero_run, dtype=np.int64)
    if weight_index.size and (weight_index.min() < 0 or weight_index.max() >= config.codebook_size):
        raise ValueError(f"weight index out of range 0…{config.codebook_size - 1}")
    if zero_run.size and (zero_run.min() < 0 or zero_run.max() > config.max_zero_run):
        raise ValueError(f"zero run out of range 0…{config.max_zero_run}")
    return (weight_index | (zero_run << config.weight_index_bits)).astype(np.uint32)


def unpack_entries(config, codes):
    """Split entry codes into ``(weight_index, zero_run)`` arrays."""
    codes = np.asarray(codes, dtype=np.int64)
    return (codes & (config.codebook_size - 1),
            (codes >> config.weight_index_bits) & config.max_zero_run)


def entries_to_words(config, codes):
    """Pack entry codes into memory words (list of Python ints, last word zero-filled)."""
    codes = [int(c) for c in np.asarray(codes).ravel()]
    per, bits = config.entries_per_word, config.entry_bits
    words = []
    for start in range(0, len(codes), per):
        word = 0
        for i, code in enumerate(codes[start:start + per]):
            word |= code << (i * bits)
        words.append(word)
    return words


def words_to_entries(config, words, count):
    """Unpack the first ``count`` entry codes from memory words."""
    per, bits = config.entries_per_word, config.entry_bits
    mask = (1 << bits) - 1
    codes = np.empty(count, dtype=np.uint32)
    for a in range(count):
        codes[a] = (int(words[a // per]) >> ((a % per) * bits)) & mask
    return codes
