"""Float kernels that give the same bits on every x86-64 (indeed every IEEE-754) machine.

Why: exams promise that the same seed and decisions give the same results.json on any
computer, but the obvious numpy calls do not. `X @ W` goes through BLAS, whose kernels (chosen
per CPU: Haswell, SkylakeX, ...) and thread count change the order of the additions, so the
last bits of a prediction change with the machine. `np.exp` and `np.log` are SIMD-dispatched
(AVX-512 machines take another code path) or call the C library, which picks FMA variants at
run time. Each of these is accurate; none is reproducible across machines.

The kernels here use only operations IEEE 754 rounds exactly (+, -, *, /, rint, ldexp,
frexp), each as its own numpy ufunc call, so no compiler can fuse a multiply and an add, and
sums are reduced in an order fixed by this code, not by the CPU:

- `linear(X, Wt, b)`: each output is numpy's pairwise sum along one contiguous row of
  `X * w` (numpy's pairwise summation is plain C with a fixed blocking, whatever SIMD the CPU
  has), then the bias. A row gives the same bits alone or inside any batch.
- `exp`, `log`, `log1p`: Cody-Waite range reduction and a fixed polynomial; error within a
  few ulp (about 1e-15 relative), far below `ROUND_DECIMALS`. `exp1` and `log1` do the same
  operations on one Python float (same bits), for scalar code.
- `round_fixed`: predictions are rounded to `ROUND_DECIMALS` decimal places (1e-12) at the
  prediction boundary, so they print short and a value is documented to that precision.
"""

from __future__ import annotations

import math

import numpy as np

#: Outcome-model predictions are rounded to this many decimal places (absolute 1e-12).
ROUND_DECIMALS = 12
_SCALE = 10.0**ROUND_DECIMALS

# Cody-Waite split of ln 2 (fdlibm): LN2_HI has its low 21 bits zero, so k * LN2_HI is exact.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_SQRT_HALF = 0.70710678118654752440
#: exp's argument is clamped to this range: results stay normal (no subnormal rounding).
EXP_LIMIT = 700.0
# Taylor coefficients 1/k! for k = 13 .. 0: on |r| <= ln2 / 2 the remainder is below 5e-18.
_EXP_COEFFS = tuple(
    1.0 / float(np.prod(np.arange(1, k + 1, dtype=float))) for k in range(13, -1, -1)
)
# 2 / (2k + 1) for k = 11 .. 0: log(m) = 2 atanh(s); |s| <= 0.172, so s^24 / 25 < 1e-19.
_LOG_COEFFS = tuple(2.0 / (2 * k + 1) for k in range(11, -1, -1))

_CHUNK_ROWS = 1024  # rows per broadcast block in `linear` (bounds the temporary's size)


def linear(X: np.ndarray, weights_t: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """`X @ weights_t.T + bias` for X (n, F) and weights_t (k, F), without BLAS.

    Each output is the pairwise sum over the contiguous feature axis of `X[i] * w`, so its
    bits depend on that row and `w` only: not on the CPU, the BLAS library, its thread count
    or the batch size."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    weights_t = np.ascontiguousarray(weights_t, dtype=np.float64)
    n = X.shape[0]
    out = np.empty((weights_t.shape[0], n))
    for start in range(0, n, _CHUNK_ROWS):
        block = X[start : start + _CHUNK_ROWS]
        products = np.empty_like(block)
        for k, w in enumerate(weights_t):  # one output at a time: a 2-d product is faster
            np.multiply(block, w, out=products)  # than the (rows, outputs, features) one
            np.add.reduce(products, axis=1, out=out[k, start : start + len(block)])
    result: np.ndarray = out.T + bias
    return result


def exp(x: np.ndarray) -> np.ndarray:
    """e**x, argument clamped to ±`EXP_LIMIT` (the models never come near it)."""
    x = np.clip(np.asarray(x, dtype=np.float64), -EXP_LIMIT, EXP_LIMIT)
    k = np.rint(x * _INV_LN2)
    r = (x - k * _LN2_HI) - k * _LN2_LO
    p = np.full_like(r, _EXP_COEFFS[0])
    for c in _EXP_COEFFS[1:]:  # Horner, in place: one rounding per multiply and per add
        np.multiply(p, r, out=p)
        np.add(p, c, out=p)
    return np.ldexp(p, k.astype(np.int32))


def log(x: np.ndarray) -> np.ndarray:
    """Natural logarithm of positive finite x (callers clip; 0 gives -inf, negatives nan)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m, e = np.frexp(x)  # x = m * 2**e, 0.5 <= m < 1: exact
        low = m < _SQRT_HALF
        m = np.where(low, m * 2.0, m)  # now sqrt(1/2) <= m < sqrt(2): exact
        f = (e - low).astype(np.float64)
        s = (m - 1.0) / (m + 1.0)
        s2 = s * s
        p = np.full_like(s, _LOG_COEFFS[0])
        for c in _LOG_COEFFS[1:]:
            np.multiply(p, s2, out=p)
            np.add(p, c, out=p)
        out = f * _LN2_HI + (s * p + f * _LN2_LO)
    out = np.where(x == 0.0, -np.inf, np.where(np.isinf(x), np.inf, out))
    return np.where((x < 0.0) | np.isnan(x), np.nan, out)


def log1p(x: np.ndarray) -> np.ndarray:
    """log(1 + x) for x > -1, corrected for the rounding of 1 + x (accurate for small x)."""
    x = np.asarray(x, dtype=np.float64)
    u = 1.0 + x
    d = u - 1.0
    # log(u) - (d - x) / u: the rounding error of 1 + x, to first order; exact where d == x.
    safe = np.where(d == 0.0, 1.0, d)
    with np.errstate(invalid="ignore"):
        corrected = log(u) * (x / safe)
    return np.where(d == 0.0, x, corrected)


def log1p1(x: float) -> float:
    """`log1p` for one Python float (x > -1), with the same bits as `log1p`."""
    x = float(x)
    u = 1.0 + x
    d = u - 1.0
    return x if d == 0.0 else log1(u) * (x / d)


def exp1(x: float) -> float:
    """`exp` for one Python float, with the same bits (same operations; about 2 µs).

    For scalar code (the engine's service-time draws) where `math.exp` would call the C
    library, whose FMA and non-FMA variants are chosen per CPU."""
    x = -EXP_LIMIT if x < -EXP_LIMIT else (EXP_LIMIT if x > EXP_LIMIT else float(x))
    k = round(x * _INV_LN2)  # half to even, as np.rint
    r = (x - k * _LN2_HI) - k * _LN2_LO
    # `exp`'s Horner loop written out (the engine calls this ~10 times a contact)
    c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13 = _EXP_COEFFS
    p = ((((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5) * r + c6) * r + c7
    p = (((((p * r + c8) * r + c9) * r + c10) * r + c11) * r + c12) * r + c13
    return math.ldexp(p, k)


def log1(x: float) -> float:
    """`log` for one positive finite Python float, with the same bits as `log`."""
    x = float(x)
    if not x > 0.0 or math.isinf(x):
        return math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
    m, e = math.frexp(x)
    if m < _SQRT_HALF:
        m, e = m * 2.0, e - 1
    f = float(e)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    # `log`'s Horner loop written out, as in `exp1` (the KPI timeline's sampler calls it)
    c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 = _LOG_COEFFS
    p = (((((c0 * s2 + c1) * s2 + c2) * s2 + c3) * s2 + c4) * s2 + c5) * s2 + c6
    p = ((((p * s2 + c7) * s2 + c8) * s2 + c9) * s2 + c10) * s2 + c11
    return f * _LN2_HI + (s * p + f * _LN2_LO)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e**-z), z clamped to ±40 (beyond it the probability is 0 or 1 at 1e-12)."""
    return 1.0 / (1.0 + exp(-np.clip(z, -40.0, 40.0)))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of an (n, k) array; the row sum is added left to right."""
    z = z - z.max(axis=1, keepdims=True)
    e = exp(z)
    total = e[:, 0].copy()
    for j in range(1, e.shape[1]):
        total = total + e[:, j]
    probs: np.ndarray = e / total[:, None]
    return probs


def round_fixed(x: np.ndarray) -> np.ndarray:
    """Round to `ROUND_DECIMALS` decimal places: rint(x * 1e12) / 1e12, exact operations."""
    return np.rint(np.asarray(x, dtype=np.float64) * _SCALE) / _SCALE
