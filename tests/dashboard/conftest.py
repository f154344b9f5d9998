import pytest

from tests.dashboard import scenario


@pytest.fixture
def demo(nations):
    """The hand-checked scenario of tests/dashboard/scenario.py."""
    return scenario.build(nations)
