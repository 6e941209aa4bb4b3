import os
import zlib

import numpy as np
import pytest


@pytest.fixture
def seed(request):
    """A per-test seed: ``EIE_SEED`` if set, else derived from the test's name. Printed, so a
    failing test's output names the seed that replays it."""
    value = int(os.environ.get("EIE_SEED", zlib.crc32(request.node.nodeid.encode())))
    print(f"seed={value} (replay with EIE_SEED={value})")
    return value


@pytest.fixture
def rng(seed):
    return np.random.default_rng(seed)
