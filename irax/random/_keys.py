"""PRNG keys: raw uint32[2] keys (`PRNGKey`, as JAX's legacy keys) and typed keys (`key`).

A typed key array is a pytree whose single leaf is its uint32 key data of shape
(*key_shape, 2), so jit, vmap, scan and the AOT exporter carry it as they carry any
array (vmap maps its leading key axes; in_axes other than 0/None are not supported for
typed keys). Its dtype prints as JAX's, `key<fry>`."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import numpy as jnp
from .. import tree_util
from ..tracer import dtypes
from ..tracer.core import Array, Tracer, get_aval
from ..tracer.prims import elementwise as ew
from ..tracer.prims import shape as sh
from . import _threefry

U32 = np.dtype(np.uint32)
IMPL_NAME = "threefry2x32"


class KeyDType:
    """The dtype of typed keys (`key<fry>`), comparable with its name."""

    name = "key<fry>"

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, KeyDType) or other == self.name

    def __hash__(self) -> int:
        return hash(self.name)


KEY_DTYPE = KeyDType()


class PRNGKeyArray:
    """An array of typed PRNG keys; its data is `key_data(keys)`, uint32[*shape, 2]."""

    __array_priority__ = 1001

    def __init__(self, data):
        self._data = data

    shape = property(lambda self: tuple(get_aval(self._data).shape[:-1]))
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    dtype = property(lambda self: KEY_DTYPE)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __getitem__(self, idx) -> "PRNGKeyArray":
        idx = idx if isinstance(idx, tuple) else (idx,)
        if any(i is Ellipsis for i in idx):
            idx = idx + (slice(None),)
        return PRNGKeyArray(self._data[idx])

    def reshape(self, *shape) -> "PRNGKeyArray":
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return PRNGKeyArray(jnp.reshape(self._data, tuple(shape) + (2,)))

    def ravel(self) -> "PRNGKeyArray":
        return self.reshape(-1)

    flatten = ravel

    def __eq__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.all(self._data == other._data, axis=-1)

    def __ne__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return jnp.any(self._data != other._data, axis=-1)

    __hash__ = None

    def __repr__(self) -> str:
        if isinstance(self._data, Tracer):
            return f"PRNGKeyArray(shape={self.shape}, dtype={KEY_DTYPE}) (traced)"
        return (f"Array({self.shape}, dtype={KEY_DTYPE}) overlaying:\n"
                f"{np.asarray(self._data)}")


tree_util.register_pytree_node(PRNGKeyArray, lambda k: ((k._data,), None),
                               lambda _, leaves: PRNGKeyArray(*leaves))


def _is_arraylike(x) -> bool:
    return isinstance(x, (Array, Tracer, np.ndarray, np.generic, list, tuple))


def check_key(name: str, key, *, allow_batched: bool = False) -> tuple[Any, bool]:
    """(uint32 key data, was typed) of `key`; errors as JAX's for anything else."""
    if isinstance(key, PRNGKeyArray):
        data, typed = key._data, True
    elif _is_arraylike(key):
        data, typed = jnp.asarray(key), False
        aval = get_aval(data)
        if aval.dtype != U32:
            raise TypeError(f"JAX encountered invalid PRNG key data: expected key_data.dtype = "
                            f"uint32; got dtype={aval.dtype.name}")
        if aval.shape[-1:] != (2,):
            raise TypeError(f"JAX encountered invalid PRNG key data: expected key_data.shape "
                            f"to end with (2,); got shape={aval.shape} for impl={IMPL_NAME}")
    else:
        raise TypeError(f"unexpected PRNG key type {type(key)}")
    batch = get_aval(data).shape[:-1]
    if batch and not allow_batched:
        raise ValueError(f"{name} accepts a single key, but was given a key array of shape "
                         f"{batch} != (). Use jax.vmap for batching.")
    return data, typed


def _wrap(data, typed: bool):
    return PRNGKeyArray(data) if typed else data


def _ndim_and_shape(x) -> tuple[int, tuple]:
    shape = tuple(get_aval(x).shape) if isinstance(x, (Array, Tracer)) else np.shape(x)
    return len(shape), shape


def _seed_data(name: str, seed):
    if isinstance(seed, PRNGKeyArray):
        raise TypeError(f"{name} accepts a scalar seed, but was given a PRNG key.")
    ndim, shape = _ndim_and_shape(seed)
    if ndim:
        raise TypeError(f"{name} accepts a scalar seed, but was given an array of shape "
                        f"{shape} != (). Use jax.vmap for batching")
    is_int = isinstance(seed, int) and not isinstance(seed, bool)
    if not is_int and (isinstance(seed, (bool, float)) or
                       dtypes.kind(get_aval(jnp.asarray(seed)).dtype) not in "iu"):
        raise TypeError(f"PRNG key seed must be an integer; got {seed!r}")
    if isinstance(seed, np.generic):
        seed = int(seed)
    return _threefry.seed_words(seed, dtypes.config.enable_x64)


def PRNGKey(seed, *, impl=None):
    """A raw (legacy) key: uint32[2], as jax.random.PRNGKey."""
    _check_impl(impl)
    return _seed_data("PRNGKey", seed)


def key(seed, *, impl=None, dtype=None):
    """A typed key (scalar PRNGKeyArray), as jax.random.key."""
    if impl is not None and dtype is not None:
        raise ValueError("Cannot specify both `impl` and `dtype` arguments to jax.random.key")
    _check_impl(impl if dtype is None else dtype)
    return PRNGKeyArray(_seed_data("key", seed))


def _check_impl(impl) -> None:
    if impl is None or impl == IMPL_NAME or isinstance(impl, KeyDType):
        return
    if isinstance(impl, str):
        raise ValueError(f'unrecognized PRNG implementation "{impl}". Did you mean one of: '
                         f'"{IMPL_NAME}"? (irax implements only threefry2x32)')
    raise TypeError(f"unrecognized type {type(impl)} for specifying PRNG implementation.")


def _shape_of(num) -> tuple[int, ...]:
    if isinstance(num, (tuple, list)):
        return tuple(int(n) for n in num)
    return (int(num),)


def split(key, num=2):
    """`num` new keys (or an array of keys of shape `num`) from one key."""
    data, typed = check_key("split", key)
    return _wrap(_threefry.split(data, _shape_of(num)), typed)


def fold_in(key, data):
    """A new key: a deterministic function of `key` and the 32-bit integer `data`."""
    kdata, typed = check_key("fold_in", key)
    ndim, shape = _ndim_and_shape(data)
    if ndim:
        raise TypeError("fold_in accepts a scalar, but was given an array of"
                        f"shape {shape} != (). Use jax.vmap for batching.")
    value = jnp.asarray(data, dtype=U32) if isinstance(data, (int, np.integer)) else \
        ew.convert_element_type(jnp.asarray(data), U32)
    return _wrap(_threefry.fold_in(kdata, value), typed)


def key_data(keys):
    """The uint32 data under a key array (raw keys are returned as they are)."""
    data, _ = check_key("key_data", keys, allow_batched=True)
    return data


def wrap_key_data(key_bits_array, *, impl=None, dtype=None):
    """A typed key array over uint32 data of shape (..., 2)."""
    if impl is not None and dtype is not None:
        raise ValueError("Cannot specify both `impl` and `dtype` arguments to "
                         "jax.random.wrap_key_data")
    _check_impl(impl if dtype is None else dtype)
    if isinstance(key_bits_array, PRNGKeyArray):
        raise TypeError("wrap_key_data expects uint32 key data, got a typed key array")
    data, _ = check_key("wrap_key_data", key_bits_array, allow_batched=True)
    return PRNGKeyArray(data)


def key_impl(keys) -> str:
    check_key("key_impl", keys, allow_batched=True)
    return IMPL_NAME


def key_dtype(impl=None) -> KeyDType:
    _check_impl(impl)
    return KEY_DTYPE


def split_data(data, num) -> Any:
    """Internal: split raw key data (samplers use it)."""
    return _threefry.split(data, _shape_of(num))


def unstack(keys_data, n: int) -> list:
    return [sh.reshape(sh.slice_(keys_data, (i, 0), (i + 1, 2)), (2,)) for i in range(n)]
