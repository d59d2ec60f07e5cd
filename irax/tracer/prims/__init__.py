"""Primitive families. Importing this package registers every rule.

Order of the families (each imports only those before it; what a lower family needs from
a higher one it gets through ad_util's provided operations): elementwise, shape, reduce,
indexing, slicing, linalg, bits, sort, control_flow, linear_solve, debug, collectives.
"""
from . import elementwise, shape, reduce, indexing, slicing, linalg, bits, sort  # noqa: F401
from . import control_flow, linear_solve, debug, collectives  # noqa: F401
from . import fft  # noqa: F401,E402  (the fft family: above shape and elementwise; branch jnp-fft)
from . import callback  # noqa: F401,E402  (pure_callback: above debug; branch toplevel)
from . import checks  # noqa: F401,E402  (checkify's check: above batching; branch experimental)
