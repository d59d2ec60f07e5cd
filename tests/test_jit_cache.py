"""jit caches traces per function (not per jit wrapper), keyed on the avals, the pytree
structure (aux data compared by equality) and the static arguments, as JAX does."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("iree.compiler")

import irax  # noqa: E402
import irax.numpy as jnp  # noqa: E402
from irax import jit, tree_util  # noqa: E402


def test_jit_of_the_same_function_traces_once():
    traces = []

    def f(x):
        traces.append(1)
        return x * 2.0

    assert float(jit(f)(1.0)) == 2.0
    assert float(jit(f)(2.0)) == 4.0          # a new wrapper, the same function: no re-trace
    assert len(traces) == 1
    jit(f, static_argnums=0)(3.0)              # another configuration traces on its own
    assert len(traces) == 2


# JAX's "Common gotchas" notebook, "Pure functions", verbatim; its printed output there is
#   First call:  4.0 / Second call:  5.0 / Third call, different type:  [14.]
g = 0.


def impure_uses_globals(x):
    return x + g


def test_impure_global_example_prints_what_jax_prints(capsys):
    global g
    g = 0.
    # JAX captures the value of the global during the first run
    print("First call: ", jit(impure_uses_globals)(4.))
    g = 10.  # Update the global

    # Subsequent runs may silently use the cached value of the globals
    print("Second call: ", jit(impure_uses_globals)(5.))

    # JAX re-runs the Python function when the type or shape of the argument changes
    # This will end up reading the latest value of the global
    print("Third call, different type: ", jit(impure_uses_globals)(jnp.array([4.])))
    assert capsys.readouterr().out == ("First call:  4.0\n"
                                       "Second call:  5.0\n"
                                       "Third call, different type:  [14.]\n")


class Scaled:
    """A pytree node whose aux data is a dict (unhashable)."""

    def __init__(self, x, meta):
        self.x, self.meta = x, meta


tree_util.register_pytree_node(Scaled, lambda s: ((s.x,), s.meta),
                               lambda meta, children: Scaled(children[0], meta))


def test_pytree_aux_data_dict_works_under_jit_compared_by_equality():
    traces = []

    @jit
    def f(s):
        traces.append(1)
        return Scaled(s.x * s.meta["scale"], s.meta)

    x = jnp.asarray(np.array([1.0, 2.0], np.float32))
    out = f(Scaled(x, {"scale": 3.0}))
    np.testing.assert_array_equal(np.asarray(out.x), [3.0, 6.0])
    assert out.meta == {"scale": 3.0}
    f(Scaled(x, {"scale": 3.0}))               # an equal (not identical) dict: cached
    assert len(traces) == 1
    out = f(Scaled(x, {"scale": 4.0}))         # a different dict: traced again
    np.testing.assert_array_equal(np.asarray(out.x), [4.0, 8.0])
    assert len(traces) == 2
    # the structures compare and hash consistently
    a = tree_util.tree_structure(Scaled(1.0, {"k": [1, 2]}))
    b = tree_util.tree_structure(Scaled(2.0, {"k": [1, 2]}))
    assert a == b and hash(a) == hash(b)
    assert a != tree_util.tree_structure(Scaled(1.0, {"k": [1, 3]}))


def test_switching_x64_retraces_instead_of_reusing_the_32_bit_module(x64):
    # JAX's cache key holds the x64 flag: a Python float and jnp.arange are 64-bit under it
    f = jit(lambda x: x * 2 + jnp.arange(2))
    irax.config.update("enable_x64", False)
    assert f(1.0).dtype == np.float32
    irax.config.update("enable_x64", True)
    out = f(1.0)
    assert out.dtype == np.float64 and np.asarray(out).tolist() == [2.0, 3.0]
    irax.config.update("enable_x64", False)
    assert f(1.0).dtype == np.float32
