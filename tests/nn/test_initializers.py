"""irax.nn.initializers: the same key gives JAX's parameters (irax.random is bit-identical to
JAX's threefry), fans and variances follow JAX's formulas, orthogonal matrices are orthogonal.

The literal values below come from JAX 0.10.2 (CPU, float32):
    jax.nn.initializers.<name>(...)(jax.random.PRNGKey(0), shape)
"""
from __future__ import annotations

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax.nn import initializers as init
from irax.nn.initializers import _orthonormal_columns

JAX_INIT = {
    'glorot_uniform': [[0.8289182186126709, 0.886157751083374, -0.31053584814071655, -0.05801473930478096], [0.12940874695777893, -0.6193680763244629, -0.3514512777328491, 0.35084980726242065], [0.45692288875579834, -0.6091626882553101, 0.8987006545066833, -0.8790057897567749]],
    'glorot_normal': [[0.8847432732582092, 1.0420019626617432, -0.25077056884765625, -0.04559559375047684], [0.10208923369646072, -0.5545685291290283, -0.28619498014450073, 0.28566741943359375], [0.3826204538345337, -0.542525053024292, 1.0877076387405396, -1.0183730125427246]],
    'he_uniform': [[1.0965558290481567, 1.172276496887207, -0.4108003079891205], [-0.07674628496170044, 0.17119169235229492, -0.8193469643592834], [-0.4649263620376587, 0.4641306698322296, 0.6044521927833557], [-0.8058465123176575, 1.1888692378997803, -1.1628153324127197]],
    'he_normal': [[1.170405387878418, 1.3784390687942505, -0.33173829317092896], [-0.060317303985357285, 0.13505136966705322, -0.7336252331733704], [-0.3786003887653351, 0.37790244817733765, 0.506159245967865], [-0.7176932096481323, 1.4389020204544067, -1.347180962562561]],
    'lecun_uniform': [[1.0965558290481567, 1.172276496887207, -0.4108003079891205, -0.07674628496170044, 0.17119169235229492], [-0.8193469643592834, -0.4649263620376587, 0.4641306698322296, 0.6044521927833557, -0.8058465123176575]],
    'lecun_normal': [[1.170405387878418, 1.3784390687942505, -0.33173829317092896, -0.060317303985357285, 0.13505136966705322], [-0.7336252331733704, -0.3786003887653351, 0.37790244817733765, 0.506159245967865, -0.7176932096481323]],
    'normal': [[0.8113210797309875, 1.0126323699951172, -0.21679721772670746], [-0.03930867463350296, 0.08804544806480408, -0.48604461550712585]],
    'uniform': [[1.895334005355835, 1.9571597576141357, 0.6645829677581787], [0.9373369216918945, 1.139777421951294, 0.3310060501098633]],
    'truncated_normal': [[0.43678778409957886, 0.5144246220588684, -0.12380260974168777], [-0.02251003123819828, 0.05040030553936958, -0.27378425002098083]],
    'variance_scaling_conv': [[[[0.33939996361732483, 0.423614501953125, -0.09069278091192245, -0.016443997621536255], [0.0368320532143116, -0.20332704484462738, -0.1035991683602333, 0.10340670496225357], [0.1389586329460144, -0.19874094426631927, 0.4558814764022827, -0.408949077129364]], [[0.07500045001506805, 0.03300521895289421, 0.26712143421173096, 0.3159363865852356], [0.20302726328372955, 0.12541702389717102, 0.0051665231585502625, -0.4008599817752838], [-0.38891077041625977, 0.36146727204322815, 0.00987057015299797, 0.1702870875597]]], [[[0.027469154447317123, 0.059161704033613205, 0.2601163983345032, 0.14438243210315704], [-0.1674862504005432, -0.15498916804790497, -0.3218691349029541, 0.06331254541873932], [-0.004333071876317263, 0.023695720359683037, -0.0461532399058342, 0.01475085224956274]], [[0.1784796267747879, -0.17188632488250732, -0.0030567815992981195, -0.03147142007946968], [-0.18827678263187408, -0.15877145528793335, 0.06967184692621231, 0.16926658153533936], [0.008929788134992123, -0.12082860618829727, -0.08667775988578796, -0.4060422480106354]]]],
    'variance_scaling_geo_batch': [[[1.0204600095748901, 1.090926170349121, -0.3822927176952362, -0.07142046093940735], [0.15931180119514465, -0.7624881863594055, -0.432662695646286, 0.43192219734191895], [0.5625060796737671, -0.7499246001243591, 1.1063674688339233, -1.08212149143219]], [[0.31922632455825806, 0.14290423691272736, 0.910010576248169, 0.990531325340271], [0.7616748809814453, 0.5142937302589417, 0.022460265085101128, -1.0767202377319336], [-1.06797456741333, 1.044057011604309, 0.042898524552583694, 0.6661041975021362]]],
    'orthogonal': [[0.819991946220398, -0.03972877562046051, -0.25029608607292175, -0.48015910387039185, 0.18120142817497253], [0.5384281873703003, 0.06588093191385269, 0.20879068970680237, 0.8134406805038452, 0.021804645657539368], [-0.03698035329580307, -0.4386146664619446, 0.6308107972145081, -0.11874302476644516, 0.6278752684593201]],
    'orthogonal_tall': [[1.639983892440796, 1.0768563747406006, -0.07396070659160614], [-0.07945755124092102, 0.13176186382770538, -0.8772293329238892], [-0.5005921721458435, 0.41758137941360474, 1.2616215944290161], [-0.9603182077407837, 1.6268813610076904, -0.23748604953289032], [0.36240285634994507, 0.043609291315078735, 1.2557505369186401]],
    'orthogonal_col0': [[[0.8337945938110352, -0.0403975211083889], [-0.25450924038887024, -0.4882414937019348]], [[0.5419113039970398, 0.06573481857776642], [0.20781926810741425, 0.8116786479949951]], [[0.08726231008768082, -0.5748350620269775], [0.7852892875671387, -0.21276894211769104]]],
}

CASES = {
    "glorot_uniform": (init.glorot_uniform(), (3, 4)), "glorot_normal": (init.glorot_normal(), (3, 4)),
    "he_uniform": (init.he_uniform(), (4, 3)), "he_normal": (init.he_normal(), (4, 3)),
    "lecun_uniform": (init.lecun_uniform(), (2, 5)), "lecun_normal": (init.lecun_normal(), (2, 5)),
    "normal": (init.normal(0.5), (2, 3)), "uniform": (init.uniform(2.0), (2, 3)),
    "truncated_normal": (init.truncated_normal(0.3), (2, 3)),
    "variance_scaling_conv": (init.variance_scaling(0.7, "fan_out", "normal"), (2, 2, 3, 4)),
    "variance_scaling_geo_batch": (init.variance_scaling(1.5, "fan_geo_avg", "uniform", in_axis=1,
                                                         out_axis=2, batch_axis=0), (2, 3, 4)),
    "orthogonal": (init.orthogonal(), (3, 5)), "orthogonal_tall": (init.orthogonal(2.0), (5, 3)),
    "orthogonal_col0": (init.orthogonal(column_axis=0), (3, 2, 2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_key_gives_jax_parameters(name):
    fn, shape = CASES[name]
    got = fn(irax.random.PRNGKey(0), shape)
    assert got.shape == shape and np.asarray(got).dtype == np.float32
    # the draws are bit-identical; QR (orthogonal) and the scaling round differently
    np.testing.assert_allclose(np.asarray(got), np.float32(JAX_INIT[name]), rtol=1e-5, atol=1e-6)


def test_initializers_under_jit_match_eager():
    names = sorted(CASES)

    @irax.jit
    def all_params(key):
        return {n: CASES[n][0](key, CASES[n][1]) for n in names}

    got = all_params(irax.random.PRNGKey(0))
    for n in names:
        np.testing.assert_allclose(np.asarray(got[n]), np.float32(JAX_INIT[n]), rtol=1e-5,
                                   atol=1e-6, err_msg=n)


def test_variance_follows_the_fan_formula():
    key = irax.random.PRNGKey(1)
    shape = (200, 300)
    fan_in, fan_out = 200, 300
    for fn, variance in [(init.glorot_uniform(), 2 / (fan_in + fan_out)),
                         (init.glorot_normal(), 2 / (fan_in + fan_out)),
                         (init.he_normal(), 2 / fan_in), (init.lecun_uniform(), 1 / fan_in)]:
        w = np.asarray(fn(key, shape))
        assert abs(w.var() / variance - 1) < 0.03
        assert abs(w.mean()) < 3 * np.sqrt(variance / w.size) * 2


def test_orthogonal_rows_or_columns_are_orthonormal_float64(x64):
    q = np.asarray(init.orthogonal(dtype=jnp.float64)(irax.random.PRNGKey(3), (4, 7)))
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-13)
    q = np.asarray(init.orthogonal(3.0, dtype=jnp.float64)(irax.random.PRNGKey(3), (7, 4)))
    np.testing.assert_allclose(q.T @ q, 9 * np.eye(4), atol=1e-12)


def test_constant_initializers_and_errors():
    key = irax.random.PRNGKey(0)
    np.testing.assert_array_equal(np.asarray(init.zeros(key, (2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(np.asarray(init.ones(key, (2,), jnp.int32)), [1, 1])
    np.testing.assert_array_equal(np.asarray(init.constant(-0.5)(key, (3,))), [-0.5] * 3)
    with pytest.raises(ValueError, match="at least 2D"):
        init.glorot_uniform()(key, (5,))
    with pytest.raises(ValueError, match="invalid mode"):
        init.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(ValueError, match="at least a 2D"):
        init.orthogonal()(key, (4,))


def test_gram_schmidt_q_equals_lapack_q_with_positive_r_diagonal(x64):
    # independent of irax.random: a fixed matrix, NumPy's Householder QR as the reference
    z = np.random.default_rng(0).normal(size=(6, 4))
    q, r = np.linalg.qr(z)
    want = q * np.sign(np.diag(r))
    np.testing.assert_allclose(np.asarray(_orthonormal_columns(jnp.asarray(z))), want,
                               atol=1e-13)
    # an ill-conditioned matrix stays orthogonal (re-orthogonalization)
    z[:, 3] = z[:, 2] + 1e-9 * z[:, 3]
    got = np.asarray(_orthonormal_columns(jnp.asarray(z)))
    np.testing.assert_allclose(got.T @ got, np.eye(4), atol=1e-12)
