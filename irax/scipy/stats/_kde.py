"""irax.scipy.stats.gaussian_kde (as jax.scipy.stats.gaussian_kde): a kernel density
estimate with one Gaussian kernel per data point, its covariance the (weighted) data
covariance scaled by the squared bandwidth factor (Scott's or Silverman's rule, a number or
a callable). A pytree, so it passes through jit, grad and vmap."""
from __future__ import annotations

import numpy as np

from ... import numpy as jnp
from ... import random
from ...tree_util import register_pytree_node_class
from ...tracer.api import vmap
from ...tracer.core import get_aval
from .. import linalg, special
from .._helpers import promote_dtypes_inexact as _inexact
from ...tracer import dtypes

__all__ = ["gaussian_kde"]


def _check_real(name: str, x):
    kind = dtypes.kind(get_aval(x).dtype)
    if kind == "c":
        raise NotImplementedError(f"gaussian_kde does not support complex {name}")
    if kind not in "biuf":
        raise TypeError(f"gaussian_kde requires numeric {name}, got dtype "
                        f"{get_aval(x).dtype}")


def _weighted_cov(x, w):
    """np.cov(x, aweights=w) of a (d, n) dataset, always (d, d).

    Written out rather than through jnp.cov: under irax.jit, jnp.cov with aweights that are
    a trace-time constant (the default weights here) compiles to wrong values on IREE 3.13
    (each piece alone compiles correctly); this form does not."""
    total = jnp.sum(w)
    centred = x - jnp.sum(x * w, axis=1, keepdims=True) / total
    return (centred * w) @ centred.T / (total - jnp.sum(w * w) / total)


@register_pytree_node_class
class gaussian_kde:
    """Gaussian kernel density estimate of `dataset` (shape (n,) or (d, n))."""

    def __init__(self, dataset, bw_method=None, weights=None):
        dataset = jnp.atleast_2d(jnp.asarray(dataset))
        if dtypes.kind(get_aval(dataset).dtype) == "c":
            raise NotImplementedError("gaussian_kde does not support complex data")
        if not dataset.size > 1:
            raise ValueError("`dataset` input should have multiple elements.")
        d, n = dataset.shape
        if weights is not None:
            weights = jnp.asarray(weights)
            dataset, weights = _inexact(dataset, weights)
            weights = jnp.atleast_1d(weights)
            weights = weights / jnp.sum(weights)
            if weights.ndim != 1:
                raise ValueError("`weights` input should be one-dimensional.")
            if weights.shape[0] != n:
                raise ValueError("`weights` input should be of length n")
        else:
            dataset, = _inexact(dataset)
            weights = jnp.full(n, 1.0 / n, dtype=get_aval(dataset).dtype)
        self.dataset = dataset
        self.weights = weights
        self.neff = 1 / jnp.sum(weights ** 2)
        bw_method = "scott" if bw_method is None else bw_method
        if isinstance(bw_method, str) and bw_method == "scott":
            factor = jnp.power(self.neff, -1.0 / (d + 4))
        elif isinstance(bw_method, str) and bw_method == "silverman":
            factor = jnp.power(self.neff * (d + 2) / 4.0, -1.0 / (d + 4))
        elif jnp.isscalar(bw_method) and not isinstance(bw_method, str):
            factor = bw_method
        elif callable(bw_method):
            factor = bw_method(self)
        else:
            raise ValueError("`bw_method` should be 'scott', 'silverman', a scalar, or a "
                             "callable.")
        data_cov = _weighted_cov(dataset, weights)
        self.covariance = data_cov * factor ** 2
        self.inv_cov = jnp.linalg.inv(data_cov) / factor ** 2

    def tree_flatten(self):
        return (self.neff, self.dataset, self.weights, self.covariance, self.inv_cov), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        kde = cls.__new__(cls)
        kde.neff, kde.dataset, kde.weights, kde.covariance, kde.inv_cov = children
        return kde

    @property
    def d(self):
        return self.dataset.shape[0]

    @property
    def n(self):
        return self.dataset.shape[1]

    def _points(self, points):
        points = jnp.asarray(points)
        _check_real("coordinates", points)
        points = jnp.atleast_2d(points)
        d, m = points.shape
        if d != self.d:
            if d == 1 and m == self.d:
                return jnp.reshape(points, (self.d, 1))    # one point given as a row
            raise ValueError(f"points have dimension {d}, dataset has dimension {self.d}")
        return points

    def _log_kernel_sums(self, points, in_log: bool):
        """For each point x: sum_i w_i N(x; data_i, covariance), or its log."""
        data, weights, xi, precision = _inexact(self.dataset.T, self.weights[:, None],
                                                points.T, self.inv_cov)
        d = data.shape[1]
        if xi.shape[1] != d:
            raise ValueError("points and xi must have same trailing dim")
        # whiten with the Cholesky factor of the precision: the kernels become isotropic
        white = linalg.cholesky(precision, lower=True)
        data, xi = data @ white, xi @ white
        log_norm = jnp.sum(jnp.log(jnp.diag(white))) - 0.5 * d * np.log(2 * np.pi)
        sq = jnp.sum((xi[:, None, :] - data[None, :, :]) ** 2, axis=-1)   # (m, n)
        arg = log_norm - 0.5 * sq
        if in_log:
            return special.logsumexp(jnp.log(weights[:, 0])[None, :] + arg, axis=1)
        return jnp.sum(weights[:, 0][None, :] * jnp.exp(arg), axis=1)

    def evaluate(self, points):
        """The density at `points` (shape (d, m), or (m,) when d == 1)."""
        return self._log_kernel_sums(self._points(points), in_log=False)

    def __call__(self, points):
        return self.evaluate(points)

    def pdf(self, x):
        return self.evaluate(x)

    def logpdf(self, x):
        """log of the density, accurate where the density underflows."""
        return self._log_kernel_sums(self._points(x), in_log=True)

    def _convolve(self, chol, norm, target, weights, mean):
        diff = target - mean[:, None]
        alpha = linalg.cho_solve(chol, diff)
        return norm * jnp.sum(jnp.exp(-0.5 * jnp.sum(diff * alpha, axis=0)) * weights)

    def _product_norm(self, cov):
        chol = linalg.cho_factor(self.covariance + cov)
        return chol, 1.0 / (np.sqrt(2 * np.pi) ** self.d * jnp.prod(jnp.diag(chol[0])))

    def integrate_gaussian(self, mean, cov):
        """The integral of the density times the Gaussian N(mean, cov)."""
        mean = jnp.atleast_1d(jnp.squeeze(jnp.asarray(mean)))
        cov = jnp.atleast_2d(jnp.asarray(cov))
        if mean.shape != (self.d,):
            raise ValueError(f"mean does not have dimension {self.d}")
        if cov.shape != (self.d, self.d):
            raise ValueError(f"covariance does not have dimension {self.d}")
        chol, norm = self._product_norm(cov)
        return self._convolve(chol, norm, self.dataset, self.weights, mean)

    def integrate_box_1d(self, low, high):
        """The probability of [low, high] (one-dimensional estimates only)."""
        if self.d != 1:
            raise ValueError("integrate_box_1d() only handles 1D pdfs")
        if np.ndim(low) != 0 or np.ndim(high) != 0:
            raise ValueError("the limits of integration in integrate_box_1d must be scalars")
        sigma = jnp.squeeze(jnp.sqrt(self.covariance))
        lo = jnp.squeeze((low - self.dataset) / sigma)
        hi = jnp.squeeze((high - self.dataset) / sigma)
        return jnp.sum(self.weights * (special.ndtr(hi) - special.ndtr(lo)))

    def integrate_kde(self, other):
        """The integral of the product of this density and another gaussian_kde's."""
        if other.d != self.d:
            raise ValueError("KDEs are not the same dimensionality")
        chol, norm = self._product_norm(other.covariance)
        small, large = (self, other) if self.n < other.n else (other, self)
        terms = vmap(lambda m: self._convolve(chol, norm, large.dataset, large.weights, m),
                     in_axes=1)(small.dataset)
        return jnp.sum(terms * small.weights)

    def resample(self, key, shape=()):
        """Samples of shape (d,) + shape: a data point drawn by weight plus kernel noise."""
        ind_key, eps_key = random.split(key)
        ind = random.choice(ind_key, self.n, shape=shape, p=self.weights)
        eps = random.multivariate_normal(eps_key, jnp.zeros(self.d, self.covariance.dtype),
                                         self.covariance, shape=shape,
                                         dtype=self.dataset.dtype).T
        return self.dataset[:, ind] + eps

    def integrate_box(self, low_bounds, high_bounds, maxpts=None):
        raise NotImplementedError(
            "only 1D box integrations are supported; use `integrate_box_1d`")

    def set_bandwidth(self, bw_method=None):
        raise NotImplementedError(
            "dynamically changing the bandwidth method is not supported")
