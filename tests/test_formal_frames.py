"""Formal: the board link's frame engine (boards.engine) refuses a bad frame without touching
the array and answers every frame in bounded time (docs/verification.md, "Formal
properties"). The harness (tests/formal_frames.py) abstracts the array: the engine's host port
is free, with ``write``/``read_req`` not ready while ``busy``; a small body buffer keeps the
solver's state small (the engine's logic does not depend on its depth but for the LENGTH
limit)."""

import pytest

from sim.verify import formal
from tests.formal_frames import FrameHarness
from tests.formal_parts import small_config

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")

#: Body buffers checked (bytes): 6 holds one WRITE word, a START or two READ words; 16 a
#: WRITE of six words. Both with one PE and the narrowest widths (2-byte WRITE words,
#: 1-byte READ words and activations).
BUFFER_DEPTHS = [6, 16]
#: k-induction depth: the harness's invariants make every property inductive in two steps.
INDUCTION_DEPTH = 2
#: Cycles from reset of the cover: a 6-byte START frame body (payload of START_BYTES = 2),
#: its END, the check, two fetches and latches, the START word; a short frame with a wrong
#: CRC answered with its status (both reached at step 12).
COVER_DEPTH = 13
#: Cycles from reset of the broken variant (its counterexample: step 11).
BROKEN_DEPTH = 12


@pytest.mark.parametrize("depth", BUFFER_DEPTHS)
def test_frame_engine_refuses_and_answers(tmp_path, depth):
    """k-induction: the properties of :class:`~tests.formal_frames.FrameHarness` hold in every
    reachable state, after any byte sequence and any behaviour of the array and the line."""
    harness = FrameHarness(small_config(), depth, induction=True)
    result = formal.check(harness, tmp_path, mode="prove", depth=INDUCTION_DEPTH,
                          name=f"frames{depth}")
    print(f"buffer {depth}: proved, first answer token within {harness.answer_bound()} "
          f"cycles ({result.seconds:.1f} s)")


def test_frame_engine_accepts_and_refuses(tmp_path):
    """Not vacuous: an accepted START frame reaches the array and a frame with a wrong CRC is
    answered with CRC, both from reset (cover)."""
    formal.check(FrameHarness(small_config(), 6), tmp_path, mode="cover", depth=COVER_DEPTH,
                 name="frames_cover")


def test_reference_ignoring_the_crc_is_caught(tmp_path):
    """A reference that accepts any CRC: the engine's CRC refusal contradicts it, a
    counterexample from reset."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(FrameHarness(small_config(), 6, broken="crc"), tmp_path, mode="bmc",
                     depth=BROKEN_DEPTH, name="frames_broken")
    assert failure.value.status == "FAIL" and failure.value.traces
