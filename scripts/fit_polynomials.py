#!/usr/bin/env python3
"""Fits the polynomials of the vector math kernels (Sources/MindCodegen/VectorMath.swift).

Each kernel evaluates a smooth function on a small interval by a polynomial; the coefficients are
Chebyshev fits computed here in 50-digit arithmetic with mpmath (near-minimax), with the fewest
terms whose fit error is below a tenth of an ulp of the dtype where it enters the result. Run it to
reproduce the constants in VectorMath.swift (printed lowest degree first, as `polynomial` takes
them); VectorMathTests measures the kernels against glibc. Needs mpmath (`pip install mpmath`);
the build does not run it.
"""
import mpmath as mp

mp.mp.dps = 50
ULP = {"f32": mp.mpf(2) ** -24, "f64": mp.mpf(2) ** -53}


def atan_tail(z):
    """(atan t - t) / t^3 as a function of z = t^2: atan t = t + t z P(z) on |t| <= tan(pi/8)."""
    if z == 0:
        return mp.mpf(-1) / 3
    t = mp.sqrt(z)
    return (mp.atan(t) - t) / t**3


def erf_over_x(z):
    """erf(x) / x as a function of z = x^2: erf x = x P(x^2) on |x| <= 1."""
    if z == 0:
        return 2 / mp.sqrt(mp.pi)
    x = mp.sqrt(z)
    return mp.erf(x) / x


def scaled_erfc(s):
    """x e^(x^2) erfc(x) as a function of s = 1/x: erfc x = e^(-x^2) P(1/x) / x for x >= 1."""
    if s == 0:
        return 1 / mp.sqrt(mp.pi)
    x = 1 / s
    return mp.erfc(x) * mp.exp(x * x) * x


# (name, function, interval, weight): a polynomial in u = (v - center) / half-width, so u is in
# [-1, 1] (and exact where v is within a factor of two of the center); weight is how much of the
# result's relative error a unit of absolute error in the polynomial is.
FITS = [
    ("atan", atan_tail, (0, mp.tan(mp.pi / 8) ** 2), 0.5),
    ("erf", erf_over_x, (0, 1), 1),
    ("erfc, 1/2 <= x < 1", scaled_erfc, (1, 2), 2),
    ("erfc, 1 <= x < 2", scaled_erfc, (mp.mpf(1) / 2, 1), 2),
    ("erfc, 2 <= x < 4", scaled_erfc, (mp.mpf(1) / 4, mp.mpf(1) / 2), 2),
    ("erfc, x >= 4", scaled_erfc, (0, mp.mpf(1) / 4), 2),
]

for name, f, (low, high), weight in FITS:
    center, half = (mp.mpf(low) + high) / 2, (mp.mpf(high) - low) / 2
    for dtype, ulp in ULP.items():
        for n in range(2, 40):
            coefficients, error = mp.chebyfit(lambda u: f(center + half * u), (-1, 1), n, error=True)
            if error * weight < ulp / 10:
                break
        values = ", ".join(mp.nstr(c, 17 if dtype == "f64" else 9) for c in reversed(coefficients))
        print(f"{name} ({dtype}, u = (v - {mp.nstr(center, 17)}) / {mp.nstr(half, 17)}, {n} terms, fit error {mp.nstr(error, 3)}):")
        print(f"  [{values}]")
