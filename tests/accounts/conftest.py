import pytest


@pytest.fixture(autouse=True)
def _isolated(empty_cache, fast_password_hasher):
    """Every test here starts with empty throttle counters and a fast password hasher."""
