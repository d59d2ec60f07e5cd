"""Suite-wide settings. No IREE import at module level: tracer tests run without it."""
from __future__ import annotations

import functools
import os

import pytest

# jit tests test the compiled module: first calls wait for IREE instead of running on the
# eager tier (tests/test_jit_tiers.py tests tiering itself). Subprocesses inherit this.
os.environ.setdefault("IRAX_JIT_TIERED", "0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "vulkan: needs a Vulkan device (Mesa lavapipe on CPU "
                            "machines; `make test` installs it)")


@functools.lru_cache(maxsize=None)
def vulkan_devices() -> tuple[str, ...]:
    try:
        import iree.runtime as rt
        return tuple(str(d) for d in rt.get_driver("vulkan").query_available_devices())
    except Exception:
        return ()


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A Vulkan test never passes silently by being skipped: without a device it fails,
    # unless the person running it opts out explicitly.
    if item.get_closest_marker("vulkan") and not vulkan_devices():
        if os.environ.get("IRAX_ALLOW_NO_VULKAN"):
            pytest.skip("no Vulkan device and IRAX_ALLOW_NO_VULKAN is set")
        pytest.fail("no Vulkan device found: install Mesa lavapipe (`make vulkan-driver`, i.e. "
                    "apt-get install mesa-vulkan-drivers libvulkan1), or set "
                    "IRAX_ALLOW_NO_VULKAN=1 to skip the Vulkan tests deliberately")


@pytest.fixture
def x64():
    """64-bit mode for the duration of one test (restored afterwards, even on failure)."""
    import irax
    prev = irax.config.enable_x64
    irax.config.update("enable_x64", True)
    try:
        yield
    finally:
        irax.config.update("enable_x64", prev)


@pytest.fixture(autouse=True)
def _x64_is_restored():
    import irax
    prev = irax.config.enable_x64
    yield
    assert irax.config.enable_x64 == prev, "a test left enable_x64 changed"
    irax.config.update("enable_x64", prev)
