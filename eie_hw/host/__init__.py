"""The host side of :class:`eie_hw.rtl.top.EIETop`'s protocol (docs/protocol.md), written once.

:mod:`.words` turns an image and an input into the host words; :mod:`.session` loads, starts,
waits and reads through any :class:`~.session.HostPort` — the Amaranth simulator, the cocotb
bench and the board link each implement only the port.
"""
