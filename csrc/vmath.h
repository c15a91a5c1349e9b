/* exp(x), tanh(x) and log(x) written so that a loop calling them vectorises
 * without -ffast-math: no branches, no libm call, only selects and integer
 * bit operations. libm's exp and tanh are a scalar call per element, and they
 * were the logistic, tanh and softmax layers' bottleneck; libm's log, the log
 * losses'.
 *
 * exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2, |r| <= ln 2 / 2.
 * r is computed in two steps (Cody and Waite: ln 2 = LN2_HI + LN2_LO with
 * LN2_HI short enough that n * LN2_HI is exact); exp(r) - 1 is its Taylor
 * series, long enough that the truncation error is far below half an ulp, so
 * the result is within about 1 ulp of the exact value. 2^n is built in the
 * exponent bits, applied in two halves so that results in the subnormal range
 * round once and correctly. Overflow gives inf, -inf gives 0, NaN stays NaN.
 * tanh comes from exp(-2|x|) - 1, which keeps its relative accuracy near 0.
 *
 * log(x) = e ln 2 + log(m), x = 2^e m with m in [sqrt(1/2), sqrt(2)), both
 * read from x's bits. With f = m - 1 (exact) and s = f / (2 + f), log(m) =
 * 2 atanh(s) = 2s + s R, R = sum_{k>=1} 2 s^2k / (2k + 1), and 2s = f - s f:
 * log(m) = f - s (f - R), the small correction rounded apart from f. s^2 <=
 * 0.0295, so LOG_TERMS terms of R leave the truncation far below half an
 * ulp. A subnormal x is first scaled into the normal range. log(0) = -inf,
 * log of a negative number NaN, log(inf) = inf, NaN stays NaN. */
#ifndef FCN_VMATH_H
#define FCN_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "precision.h"

#if FCN_DOUBLE
typedef int64_t real_bits;
typedef uint64_t unsigned_bits;
#define EXP_MIN_ARG (-746.0)          /* below it exp(x) rounds to 0 */
#define EXP_MAX_ARG 710.0             /* above it, inf */
#define LOG2E 1.4426950408889634
#define LN2_HI 6.93147180369123816490e-01 /* 32 significant bits */
#define LN2_LO 1.90821492927058770002e-10
#define ROUNDING_SHIFTER 0x1.8p52     /* t + it rounds t to an integer, kept in the low bits */
#define MANTISSA_BITS 52
#define EXPONENT_BIAS 1023
#define TAYLOR_TERMS 13               /* (ln2/2)^14 / 14! = 4e-18 */
#define LOG_TERMS 9                   /* 0.0295^10 / 21 = 2e-17 */
#define SUBNORMAL_SCALE 0x1p52        /* 2^MANTISSA_BITS */
#else
typedef int32_t real_bits;
typedef uint32_t unsigned_bits;
#define EXP_MIN_ARG (-104.0f)
#define EXP_MAX_ARG 89.0f
#define LOG2E 1.44269504f
#define LN2_HI 0.693145751953125f     /* 15 significant bits */
#define LN2_LO 1.42860676533018923e-06f
#define ROUNDING_SHIFTER 0x1.8p23f
#define MANTISSA_BITS 23
#define EXPONENT_BIAS 127
#define TAYLOR_TERMS 7                /* (ln2/2)^8 / 8! = 5e-9 */
#define LOG_TERMS 4                   /* 0.0295^5 / 11 = 2e-9 */
#define SUBNORMAL_SCALE 0x1p23f
#endif

/* 1 / k!, rounded to real */
static const real INVERSE_FACTORIAL[] = {
    1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800,
};

/* 2^k for an integer k in the normal range, made from its exponent bits */
static inline real power_of_two(real_bits k)
{
    /* unsigned: for arguments out of range k is garbage that must not
     * overflow a signed type; the callers discard those results */
    unsigned_bits bits = ((unsigned_bits)k + EXPONENT_BIAS) << MANTISSA_BITS;
    real value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* value * 2^n for any n the reduction below produces: two normal halves,
 * applied one after the other, so that a subnormal result rounds once */
static inline real times_two_to_the(real value, real_bits n)
{
    real_bits half = n >> 1;
    return value * power_of_two(half) * power_of_two(n - half);
}

/* x = n ln 2 + r with n an integer and |r| <= ln 2 / 2 (for |x| in range);
 * returns r, and n in n_bits */
static inline real reduce(real x, real_bits *n_bits)
{
    real shifted = x * LOG2E + ROUNDING_SHIFTER;
    real n = shifted - ROUNDING_SHIFTER;
    /* adding the shifter rounded x / ln 2 to an integer n kept in the
     * mantissa: the two bit patterns differ by exactly n */
    unsigned_bits shifted_bits, shifter_bits;
    const real shifter = ROUNDING_SHIFTER;
    memcpy(&shifted_bits, &shifted, sizeof shifted_bits);
    memcpy(&shifter_bits, &shifter, sizeof shifter_bits);
    *n_bits = (real_bits)(shifted_bits - shifter_bits);
    return (x - n * LN2_HI) - n * LN2_LO;
}

/* exp(r) - 1 = sum_{k>=1} r^k / k! by Horner's rule, for |r| <= ln 2 / 2 */
static inline real expm1_reduced(real r)
{
    real series = INVERSE_FACTORIAL[TAYLOR_TERMS];
#if !FCN_PORTABLE_C
#pragma GCC unroll 16
#endif
    for (int k = TAYLOR_TERMS - 1; k >= 1; k--) series = series * r + INVERSE_FACTORIAL[k];
    return series * r;
}

static inline real fcn_exp(real x)
{
    real_bits n_bits;
    real r = reduce(x, &n_bits);
    real result = times_two_to_the(expm1_reduced(r) + 1, n_bits);
    /* selects at the end, not a clamp of x at the start: GCC splits the
     * loop on a clamp and then cannot vectorise it */
    result = x < EXP_MIN_ARG ? 0 : result;
    result = x > EXP_MAX_ARG ? (real)INFINITY : result;
    return x != x ? x : result;
}

/* tanh |x| = -t / (2 + t) with t = exp(-2|x|) - 1 in [-1, 0], and
 * t = 2^n (exp(r) - 1) + (2^n - 1), whose first term is exact to an ulp even
 * where t is tiny */
static inline real fcn_tanh(real x)
{
    real minus_twice = -2 * FABS(x);
    real_bits n_bits;
    real r = reduce(minus_twice, &n_bits);
    real scale = times_two_to_the(1, n_bits);
    real t = scale * expm1_reduced(r) + (scale - 1);
    t = minus_twice < EXP_MIN_ARG ? -1 : t;
    real magnitude = -t / (2 + t);
    return x != x ? x : COPYSIGN(magnitude, x);
}

/* 2 / (2k + 1), rounded to real: the coefficients of R in fcn_log */
static const real ATANH_COEFFICIENT[] = {
    2.0, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15, 2.0 / 17, 2.0 / 19,
};

static inline real fcn_log(real x)
{
    const int subnormal = x < REAL_MIN;
    const real normal = subnormal ? x * SUBNORMAL_SCALE : x;
    /* bits - sqrt(1/2)'s bits has e in its exponent field (borrowing into it
     * where m < 1); m keeps x's mantissa with e taken out of its exponent */
    const real sqrt_half = 0.70710678118654752440;
    unsigned_bits bits, sqrt_half_bits;
    memcpy(&bits, &normal, sizeof bits);
    memcpy(&sqrt_half_bits, &sqrt_half, sizeof sqrt_half_bits);
    const real_bits e = (real_bits)(bits - sqrt_half_bits) >> MANTISSA_BITS;
    const unsigned_bits m_bits = bits - ((unsigned_bits)e << MANTISSA_BITS);
    real m;
    memcpy(&m, &m_bits, sizeof m);
    const real f = m - 1, s = f / (2 + f), s2 = s * s;
    real R = ATANH_COEFFICIENT[LOG_TERMS];
#if !FCN_PORTABLE_C
#pragma GCC unroll 16
#endif
    for (int k = LOG_TERMS - 1; k >= 1; k--) R = R * s2 + ATANH_COEFFICIENT[k];
    R *= s2;
    const real n = (real)(e - (subnormal ? MANTISSA_BITS : 0));
    real result = n * LN2_HI + ((f - s * (f - R)) + n * LN2_LO);
    result = x == (real)INFINITY ? x : result;
    result = x == 0 ? -(real)INFINITY : result;
    return x < 0 || x != x ? (real)NAN : result;
}

#undef EXP_MIN_ARG
#undef EXP_MAX_ARG
#undef LOG2E
#undef LN2_HI
#undef LN2_LO
#undef ROUNDING_SHIFTER
#undef MANTISSA_BITS
#undef EXPONENT_BIAS
#undef TAYLOR_TERMS
#undef LOG_TERMS
#undef SUBNORMAL_SCALE

#endif /* FCN_VMATH_H */
