"""The memories of one PE as the energy and area models see them."""

from dataclasses import dataclass

from eie_hw.timing import SLOT_BUFFER_DEPTH

__all__ = ["Memory", "memories"]


@dataclass(frozen=True)
class Memory:
    """One memory of a PE: ``count`` instances of ``depth`` words of ``width`` bits."""

    name: str
    depth: int
    width: int
    count: int = 1

    @property
    def bytes(self):
        """Capacity of one instance in bytes."""
        return self.depth * self.width / 8

    @property
    def bits(self):
        """Bits of all instances."""
        return self.depth * self.width * self.count


def memories(config):
    """The memories of one PE (docs/microarchitecture.md, "Memories per PE"), by name."""
    c = config
    return {m.name: m for m in (
        Memory("spmat", c.spmat_depth, c.spmat_word_bits),
        Memory("ptr", c.ptr_depth // 2, c.ptr_width, 2),
        Memory("codebook", c.max_layers * c.codebook_size, c.weight_width),
        Memory("bias", c.bias_depth, c.act_width),
        Memory("act", c.act_depth, c.act_width, 2),
        Memory("acc", c.act_depth, c.acc_width),
        Memory("queue", c.fifo_depth, c.act_width + 2 * c.ptr_width),
        Memory("slots", SLOT_BUFFER_DEPTH, c.act_width),
    )}
