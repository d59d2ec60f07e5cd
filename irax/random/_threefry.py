"""The threefry2x32 counter-based hash (Salmon et al., "Parallel random numbers: as easy
as 1, 2, 3", SC 2011) and the key operations JAX 0.10 builds on it by default.

JAX 0.10 runs with `jax_threefry_partitionable=True`: a draw of shape S hashes the
counter pair (hi, lo) of each element's row-major index (hi = 0 below 2**32 elements)
and combines the two output words (xor for 32-bit draws). `split` hashes the same
counters and keeps both words as the new keys; `fold_in` hashes the single counter
(0, data). Everything here is written with irax primitives on uint32 arrays, so it
runs eagerly (NumPy) and compiles under jit/vmap/scan like any other function."""
from __future__ import annotations

import math

import numpy as np

from ..tracer import core
from ..tracer.prims import bits
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from ..tracer import dtypes

U32 = np.dtype(np.uint32)

# rotation amounts of the two alternating groups of four rounds (Random123's R_32x2)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KEY_PARITY = 0x1BD11BDA   # threefry's key-schedule constant


def _const(value: int, shape) -> "core.Array":
    return sh.full(tuple(shape), value, U32)


def _rotate_left(x, r: int, shape):
    return ew.or_p.bind(bits.shift_left(x, _const(r, shape)),
                        bits.shift_right_logical(x, _const(32 - r, shape)))


def threefry2x32(k1, k2, x1, x2):
    """Hash the counter words (x1, x2) under key words (k1, k2): uint32 arrays, the keys
    0-d or of the counters' shape. Returns the two output words."""
    shape = core.get_aval(x1).shape
    k1 = sh.broadcast_to_rank_shape(k1, shape)
    k2 = sh.broadcast_to_rank_shape(k2, shape)
    schedule = [k1, k2, ew.xor_p.bind(ew.xor_p.bind(k1, k2), _const(_KEY_PARITY, shape))]
    x1 = ew.add(x1, schedule[0])
    x2 = ew.add(x2, schedule[1])
    for block in range(5):
        for r in _ROTATIONS[block % 2]:
            x1 = ew.add(x1, x2)
            x2 = ew.xor_p.bind(x1, _rotate_left(x2, r, shape))
        x1 = ew.add(x1, schedule[(block + 1) % 3])
        x2 = ew.add(ew.add(x2, schedule[(block + 2) % 3]), _const(block + 1, shape))
    return x1, x2


def _counters(shape):
    """The (hi, lo) words of each element's row-major index, as two uint32 arrays."""
    size = math.prod(shape)
    if size > 2 ** 32:
        raise NotImplementedError(f"random draws of more than 2**32 values (shape {shape}) "
                                  "are not supported")
    lo = sh.reshape(sh.iota(U32, (size,), 0), tuple(shape))
    return _const(0, shape), lo


def _key_words(key_data):
    k1 = sh.reshape(sh.slice_(key_data, (0,), (1,)), ())
    k2 = sh.reshape(sh.slice_(key_data, (1,), (2,)), ())
    return k1, k2


def random_bits(key_data, bit_width: int, shape):
    """Uniform random bits of an unsigned dtype of `bit_width` bits (raw key uint32[2])."""
    shape = tuple(shape)
    k1, k2 = _key_words(key_data)
    b1, b2 = threefry2x32(k1, k2, *_counters(shape))
    if bit_width == 64:
        u64 = np.dtype(np.uint64)
        hi = ew.convert_element_type(b1, u64)
        lo = ew.convert_element_type(b2, u64)
        return ew.or_p.bind(bits.shift_left(hi, sh.full(shape, 32, u64)), lo)
    word = ew.xor_p.bind(b1, b2)
    if bit_width == 32:
        return word
    return ew.convert_element_type(word, np.dtype(f"uint{bit_width}"))


def split(key_data, shape):
    """New raw keys of shape (*shape, 2)."""
    shape = tuple(shape)
    k1, k2 = _key_words(key_data)
    b1, b2 = threefry2x32(k1, k2, *_counters(shape))
    n = len(shape)
    return sh.concatenate([sh.reshape(b1, shape + (1,)), sh.reshape(b2, shape + (1,))], n)


def fold_in(key_data, data):
    """A new raw key from a key and a 0-d uint32 `data`."""
    k1, k2 = _key_words(key_data)
    zero = _const(0, (1,))
    b1, b2 = threefry2x32(k1, k2, zero, sh.reshape(data, (1,)))
    return sh.concatenate([b1, b2], 0)


def seed_words(seed, x64: bool):
    """The raw key of an integer seed: (hi, lo) words of its 64-bit two's complement, and
    with x64 off (JAX truncates the seed to 32 bits then) hi = 0."""
    if isinstance(seed, (int, np.integer)) or (
            isinstance(seed, core.Array) and not isinstance(seed, core.Tracer)):
        value = int(np.asarray(seed)) & (2 ** 64 - 1)
        hi = (value >> 32) if x64 else 0
        return core.Array(np.array([hi, value & 0xFFFFFFFF], U32))
    aval = core.get_aval(seed)
    if aval.dtype.itemsize == 8:
        u64 = np.dtype(np.uint64)
        v = bits.bitcast_convert_type(seed, u64) if dtypes.kind(aval.dtype) == "i" else seed
        hi = ew.convert_element_type(bits.shift_right_logical(v, sh.full((), 32, u64)), U32)
        lo = ew.convert_element_type(ew.and_p.bind(v, sh.full((), 0xFFFFFFFF, u64)), U32)
    else:
        if aval.dtype.itemsize < 4:
            seed = ew.convert_element_type(seed, np.dtype(f"{dtypes.kind(aval.dtype)}4"))
            aval = core.get_aval(seed)
        lo = bits.bitcast_convert_type(seed, U32) if dtypes.kind(aval.dtype) == "i" else seed
        hi = _const(0, ())
    return sh.concatenate([sh.reshape(hi, (1,)), sh.reshape(lo, (1,))], 0)
