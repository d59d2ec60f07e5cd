"""Device names and IREE compile flags per target.

Target names ("llvm-cpu", "vulkan", "cuda") describe what the compiler emits;
device names ("cpu", "local-sync", "local-task", "vulkan", "cuda") describe
where a compiled module runs. `compile_flags` is the one table of flags.
"""
from __future__ import annotations

import functools
import os

# Accepted device spellings -> canonical device name. "cpu" is not an IREE
# driver: the executable picks local-sync or local-task per call by size.
_DEVICE_ALIASES: dict[str, str] = {
    "cpu": "cpu",
    "llvm-cpu": "cpu",
    "local": "cpu",
    "local-sync": "local-sync",
    "local-task": "local-task",
    "vulkan": "vulkan",
    "vulkan-spirv": "vulkan",
    "cuda": "cuda",
}

# Accepted target spellings -> canonical compile target.
_TARGET_ALIASES: dict[str, str] = {
    "llvm-cpu": "llvm-cpu",
    "cpu": "llvm-cpu",
    "local": "llvm-cpu",
    "local-sync": "llvm-cpu",
    "local-task": "llvm-cpu",
    "vulkan": "vulkan",
    "vulkan-spirv": "vulkan",
    "cuda": "cuda",
}

# --iree-hal-target-device value for each target.
_HAL_DEVICE: dict[str, str] = {"llvm-cpu": "local", "vulkan": "vulkan", "cuda": "cuda"}

# Vulkan target used when the device is not one we have verified. The Android
# 2022 baseline profile declares no subgroup operations, so IREE cannot bake a
# vendor subgroup size into reductions (the vendor targets do, and give wrong
# sums on other hardware). It only assumes SPIR-V 1.3 + Shader, which every
# conformant Vulkan 1.1 driver provides.
SAFE_VULKAN_TARGET = "vp_android_baseline_2022"

# Substrings of real Vulkan device names -> the IREE target measured correct on
# them. Only devices we have measured belong here (see tests/runtime).
# SwiftShader is deliberately absent: `--iree-vulkan-target=swiftshader`
# crashes the 3.13 compiler.
_KNOWN_VULKAN_DEVICES: tuple[tuple[str, str], ...] = (("llvmpipe", "llvmpipe"),)


def resolve_device(name: str) -> str:
    """Canonical device name for `name`; ValueError lists the valid names."""
    try:
        return _DEVICE_ALIASES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown device {name!r}; valid devices: {', '.join(sorted(_DEVICE_ALIASES))}"
        ) from None


def target_for_device(device: str) -> str:
    """Compile target ("llvm-cpu", "vulkan", "cuda") that runs on `device`."""
    return _TARGET_ALIASES[resolve_device(device)]


def driver_for_device(device: str) -> str:
    """IREE runtime driver for a concrete device ("cpu" -> local-sync)."""
    dev = resolve_device(device)
    return "local-sync" if dev == "cpu" else dev


def vulkan_target_for_device_name(device_name: str) -> str:
    """IREE vulkan target for a Vulkan device name, or the safe generic one."""
    lowered = device_name.lower()
    for needle, target in _KNOWN_VULKAN_DEVICES:
        if needle in lowered:
            return target
    return SAFE_VULKAN_TARGET


@functools.cache
def detect_vulkan_target() -> str:
    """`--iree-vulkan-target` for the Vulkan device of this machine.

    `$IRAX_VULKAN_TARGET` overrides. Otherwise the first device reported by
    IREE's vulkan driver decides; with no device (cross compiling) or an
    unknown one, the safe generic target is used. Never a vendor guess.
    """
    override = os.environ.get("IRAX_VULKAN_TARGET")
    if override:
        return override
    try:
        import iree.runtime as rt

        devices = rt.get_driver("vulkan").query_available_devices()
    except Exception:  # no loader / no ICD: nothing to match against
        return SAFE_VULKAN_TARGET
    for info in devices:
        return vulkan_target_for_device_name(str(info.get("name", "")))
    return SAFE_VULKAN_TARGET


def parse_targets(target: str) -> list[str]:
    """Canonical target list from "llvm-cpu" or a comma list "llvm-cpu,vulkan"."""
    out: list[str] = []
    for part in target.split(","):
        part = part.strip()
        if part not in _TARGET_ALIASES:
            raise ValueError(
                f"unknown compile target {part!r}; valid targets: "
                f"{', '.join(sorted(set(_TARGET_ALIASES.values())))}"
            )
        canon = _TARGET_ALIASES[part]
        if canon not in out:
            out.append(canon)
    return out


def compile_flags(
    target: str,
    *,
    cpu: str = "host",
    vulkan_target: str | None = None,
    cuda_target: str = "sm_80",
    f64: bool = False,
    data_tiling: bool = True,
) -> list[str]:
    """IREE compiler flags for one target or a comma list of targets.

    `cpu` is `--iree-llvmcpu-target-cpu` ("host" is fastest but not portable;
    "generic" or "x86-64-v3" for shipping). `cuda_target` defaults to sm_80,
    the newest that IREE 3.13 accepts (its PTX JITs on newer GPUs).
    `f64=True` keeps f64 as f64 (IREE demotes it to f32 by default, which
    changes the function signature).
    `data_tiling` (llvm-cpu alone): `--iree-opt-data-tiling`, which packs matmul
    operands into the CPU's register-tile layout. Measured on the 2-core dev
    machine (bench/bench_jit.py "mlp" row, IREE 3.13): the 784-512-512-10 MLP
    value_and_grad step drops from ~10 ms to ~6 ms of CPU time; the isolated
    matmuls gain 10-40%; elementwise modules are unchanged. Not applied when a
    GPU target shares the module (GPU data tiling is experimental in 3.13).
    """
    targets = parse_targets(target)
    flags = [
        "--iree-input-type=stablehlo",
        "--iree-hal-target-device=" + ",".join(_HAL_DEVICE[t] for t in targets),
    ]
    for t in targets:
        if t == "llvm-cpu":
            flags += [
                "--iree-hal-local-target-device-backends=llvm-cpu",
                # Always explicit: without it IREE prints a long warning per compile.
                f"--iree-llvmcpu-target-cpu={cpu}",
            ]
        elif t == "vulkan":
            flags.append(f"--iree-vulkan-target={vulkan_target or detect_vulkan_target()}")
        elif t == "cuda":
            flags.append(f"--iree-cuda-target={cuda_target}")
    if data_tiling and targets == ["llvm-cpu"]:
        flags.append("--iree-opt-data-tiling")
    if len(targets) > 1:
        # Without this only the last backend's executables survive linking and
        # loading fails on the other devices.
        flags.append("--iree-hal-link-executables=false")
    if f64:
        flags.append("--iree-input-demote-f64-to-f32=false")
    return flags
