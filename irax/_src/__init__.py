"""Stand-ins for the few jax._src helpers that JAX's own tutorials import (e.g.
`from jax._src.util import safe_map` in "Writing custom interpreters"), so those run with
`import irax as jax`. Not an irax API: nothing of irax uses them."""
