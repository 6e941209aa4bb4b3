"""The host's registers beside one group of PEs: :class:`HostGroup`."""

from amaranth import Array, Module, signed
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import write_layout

from .checks import ConfigComponent
from .replica import ReplicaRegister

__all__ = ["HOST_GROUP_PES", "HostGroup"]

#: PEs per group: an array of more PEs reaches them through one :class:`HostGroup` each.
HOST_GROUP_PES = 4


class HostGroup(ConfigComponent):
    """One more register hop, placed among :data:`HOST_GROUP_PES` PEs, between
    :class:`~.top.EIETop`'s host registers and the PEs: on a large device the host's words
    would otherwise cross the die from one register into every PE, and every PE's answer
    into one multiplexer.

    ``wr_valid``, ``wr``, ``rd_issue``, ``rd_addr`` and ``rd_bank`` appear on the ``pe_*``
    outputs one cycle later, each group with copies of its own
    (:class:`~.replica.ReplicaRegister`). The group's PEs are consecutive from a multiple of
    :data:`HOST_GROUP_PES` (``n_pes`` is a power of two, so every group is full); ``data`` is,
    two cycles
    after ``rd_pe`` and one after ``act_data``, ``act_data[rd_pe mod HOST_GROUP_PES]``: the
    answer of the group's PE that the read request addresses.

    Members
    -------
    wr_valid, wr : In
        A PE memory write word in the host's write register (``wr.pe`` names the PE).
    rd_issue, rd_addr, rd_bank, rd_pe : In
        The host's read request, issued to every PE when ``rd_issue`` is high.
    pe_wr_valid, pe_wr, pe_rd_issue, pe_rd_addr, pe_rd_bank : Out
        The same one cycle later, for the group's PEs.
    act_data : In(HOST_GROUP_PES × signed(act_width))
        The group's PEs' read data.
    data : Out(signed(act_width))
        The addressed PE's read data, registered.
    """

    def __init__(self, config):
        self._config = config
        act = signed(config.act_width)
        super().__init__({
            "wr_valid": In(1), "wr": In(write_layout(config)),
            "rd_issue": In(1), "rd_addr": In(range(config.act_depth)), "rd_bank": In(1),
            "rd_pe": In(range(config.n_pes)),
            "pe_wr_valid": Out(1), "pe_wr": Out(write_layout(config)),
            "pe_rd_issue": Out(1), "pe_rd_addr": Out(range(config.act_depth)),
            "pe_rd_bank": Out(1),
            "act_data": In(act).array(HOST_GROUP_PES), "data": Out(act),
        })

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        copies = {}
        for name in ("wr_valid", "wr", "rd_issue", "rd_addr", "rd_bank", "rd_pe"):
            port = getattr(self, name)
            m.submodules[name] = copies[name] = ReplicaRegister(port.shape())
            m.d.comb += copies[name].d.eq(port)
        for name in ("wr_valid", "wr", "rd_issue", "rd_addr", "rd_bank"):
            m.d.comb += getattr(self, f"pe_{name}").eq(copies[name].q)
        # A group's PEs are consecutive from a multiple of HOST_GROUP_PES.
        m.d.sync += self.data.eq(Array(self.act_data)[copies["rd_pe"].q % HOST_GROUP_PES])
        return m
