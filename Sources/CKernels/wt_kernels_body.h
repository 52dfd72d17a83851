// One set of kernels for vectors of WT_W floats, compiled with WT_TARGET (see wt_kernels.c, which
// includes this file once per instruction set). Formulas are written once, as macros over a type
// T, and used both for vectors and for the scalar tail, so every path computes the same thing.
#define WT_JOIN2(a, b) a##_##b
#define WT_JOIN(a, b) WT_JOIN2(a, b)
#define WT_FN(name) WT_JOIN(name, WT_SUFFIX)

typedef float WT_FN(vf) __attribute__((vector_size(WT_W * 4), aligned(4)));
typedef int32_t WT_FN(vi) __attribute__((vector_size(WT_W * 4), aligned(4)));
#define VF WT_FN(vf)
#define VI WT_FN(vi)

static inline WT_TARGET VF WT_FN(load)(const float *p) { VF v; __builtin_memcpy(&v, p, sizeof v); return v; }
static inline WT_TARGET void WT_FN(store)(float *p, VF v) { __builtin_memcpy(p, &v, sizeof v); }
static inline WT_TARGET VF WT_FN(splat)(float x) { VF v; for (int i = 0; i < WT_W; i++) v[i] = x; return v; }
// `c ? a : b` lane by lane (C has no vector conditional operator).
static inline WT_TARGET VF WT_FN(select)(VI c, VF a, VF b) { return (VF)(((VI)a & c) | ((VI)b & ~c)); }

static inline WT_TARGET VF WT_FN(activate)(VF x, int activation, float alpha, float beta) {
    VF zero = WT_FN(splat)(0);
    switch (activation) {
    case WT_ACT_RELU: return WT_FN(select)(x > zero, x, zero);
    case WT_ACT_LEAKY: return WT_FN(select)(x > zero, x, WT_FN(splat)(alpha) * x);
    case WT_ACT_CLIP: {
        VF r = WT_FN(select)(x > zero, x, zero), top = WT_FN(splat)(beta);
        return WT_FN(select)(r > top, top, r);
    }
    default: return x;
    }
}

// (x + bias) * scale + shift, then the activation, for the WT_W channels at c.
static inline WT_TARGET VF WT_FN(affine)(const wt_epilogue *e, VF x, int64_t c) {
    if (e->bias) x = x + WT_FN(load)(e->bias + c);
    if (e->scale && e->shift) x = x * WT_FN(load)(e->scale + c) + WT_FN(load)(e->shift + c);
    return WT_FN(activate)(x, e->activation, e->alpha, e->beta);
}

static WT_TARGET void WT_FN(epilogue)(const wt_epilogue *e, float *data, int64_t rows, int64_t channels) {
    int64_t vector_end = channels - channels % WT_W;
    for (int64_t r = 0; r < rows; r++) {
        float *d = data + r * channels;
        for (int64_t c = 0; c < vector_end; c += WT_W) WT_FN(store)(d + c, WT_FN(affine)(e, WT_FN(load)(d + c), c));
        for (int64_t c = vector_end; c < channels; c++) d[c] = wt_affine_scalar(e, d[c], c);
    }
}

static WT_TARGET void WT_FN(input_tile)(int m, const float *const *px, int64_t channels, float *v, int64_t plane) {
    int64_t vector_end = channels - channels % WT_W;
    int64_t c = 0;
    if (m == 4) {
        VF t[36];
        for (; c < vector_end; c += WT_W) {
            for (int l = 0; l < 6; l++) {
                VF r0, r1, r2, r3, r4, r5;
                WT_BT4(VF, WT_FN(load)(px[l] + c), WT_FN(load)(px[6 + l] + c), WT_FN(load)(px[12 + l] + c),
                       WT_FN(load)(px[18 + l] + c), WT_FN(load)(px[24 + l] + c), WT_FN(load)(px[30 + l] + c),
                       r0, r1, r2, r3, r4, r5);
                t[l] = r0; t[6 + l] = r1; t[12 + l] = r2; t[18 + l] = r3; t[24 + l] = r4; t[30 + l] = r5;
            }
            for (int i = 0; i < 6; i++) {
                VF r0, r1, r2, r3, r4, r5;
                WT_BT4(VF, t[i * 6], t[i * 6 + 1], t[i * 6 + 2], t[i * 6 + 3], t[i * 6 + 4], t[i * 6 + 5], r0, r1, r2, r3, r4, r5);
                float *o = v + i * 6 * plane + c;
                WT_FN(store)(o, r0); WT_FN(store)(o + plane, r1); WT_FN(store)(o + 2 * plane, r2);
                WT_FN(store)(o + 3 * plane, r3); WT_FN(store)(o + 4 * plane, r4); WT_FN(store)(o + 5 * plane, r5);
            }
        }
    } else {
        VF t[16];
        for (; c < vector_end; c += WT_W) {
            for (int l = 0; l < 4; l++) {
                VF r0, r1, r2, r3;
                WT_BT2(VF, WT_FN(load)(px[l] + c), WT_FN(load)(px[4 + l] + c), WT_FN(load)(px[8 + l] + c),
                       WT_FN(load)(px[12 + l] + c), r0, r1, r2, r3);
                t[l] = r0; t[4 + l] = r1; t[8 + l] = r2; t[12 + l] = r3;
            }
            for (int i = 0; i < 4; i++) {
                VF r0, r1, r2, r3;
                WT_BT2(VF, t[i * 4], t[i * 4 + 1], t[i * 4 + 2], t[i * 4 + 3], r0, r1, r2, r3);
                float *o = v + i * 4 * plane + c;
                WT_FN(store)(o, r0); WT_FN(store)(o + plane, r1); WT_FN(store)(o + 2 * plane, r2); WT_FN(store)(o + 3 * plane, r3);
            }
        }
    }
    if (c < channels) wt_input_tile_scalar(m, px, c, channels, v, plane);
}

static WT_TARGET void WT_FN(output_tile)(int m, const float *mm, int64_t plane, int64_t channels, float *const *out,
                                         const wt_epilogue *e) {
    int64_t vector_end = channels - channels % WT_W;
    int64_t c = 0;
    VF y[16];
    for (; c < vector_end; c += WT_W) {
        if (m == 4) {
            VF s[24];
            for (int l = 0; l < 6; l++) {
                const float *p = mm + l * plane + c;
                WT_AT4(VF, WT_FN(load)(p), WT_FN(load)(p + 6 * plane), WT_FN(load)(p + 12 * plane), WT_FN(load)(p + 18 * plane),
                       WT_FN(load)(p + 24 * plane), WT_FN(load)(p + 30 * plane), s[l], s[6 + l], s[12 + l], s[18 + l]);
            }
            for (int i = 0; i < 4; i++)
                WT_AT4(VF, s[i * 6], s[i * 6 + 1], s[i * 6 + 2], s[i * 6 + 3], s[i * 6 + 4], s[i * 6 + 5],
                       y[i * 4], y[i * 4 + 1], y[i * 4 + 2], y[i * 4 + 3]);
        } else {
            VF s[8];
            for (int l = 0; l < 4; l++) {
                const float *p = mm + l * plane + c;
                WT_AT2(VF, WT_FN(load)(p), WT_FN(load)(p + 4 * plane), WT_FN(load)(p + 8 * plane), WT_FN(load)(p + 12 * plane),
                       s[l], s[4 + l]);
            }
            for (int i = 0; i < 2; i++) WT_AT2(VF, s[i * 4], s[i * 4 + 1], s[i * 4 + 2], s[i * 4 + 3], y[i * 2], y[i * 2 + 1]);
        }
        for (int k = 0; k < m * m; k++) {
            if (!out[k]) continue;
            WT_FN(store)(out[k] + c, e ? WT_FN(affine)(e, y[k], c) : y[k]);
        }
    }
    if (c < channels) wt_output_tile_scalar(m, mm, plane, c, channels, out, e);
}

// e^z for z ≤ 0 (Cephes' expf: z = n·ln 2 + r, |r| ≤ ln 2 / 2, e^r by a degree-5 polynomial, 2^n
// by the exponent bits); 0 below ln(FLT_MIN), where e^z would be subnormal (an error < 1.2e-38).
static inline WT_TARGET VF WT_FN(exp_nonpositive)(VF z) {
    VF lo = WT_FN(splat)(-87.33654475f);
    VI underflow = z < lo;
    z = WT_FN(select)(underflow, lo, z);
    VF t = z * WT_FN(splat)(1.44269504088896341f) + WT_FN(splat)(0.5f);
    VF n = __builtin_convertvector(__builtin_convertvector(t, VI), VF);  // toward zero …
    n = WT_FN(select)(n > t, n - WT_FN(splat)(1.0f), n);                // … then floor
    VF r = z - n * WT_FN(splat)(0.693359375f) - n * WT_FN(splat)(-2.12194440e-4f);
    VF p = WT_FN(splat)(1.9875691500e-4f);
    p = p * r + WT_FN(splat)(1.3981999507e-3f);
    p = p * r + WT_FN(splat)(8.3334519073e-3f);
    p = p * r + WT_FN(splat)(4.1665795894e-2f);
    p = p * r + WT_FN(splat)(1.6666665459e-1f);
    p = p * r + WT_FN(splat)(5.0000001201e-1f);
    VF y = p * (r * r) + r + WT_FN(splat)(1.0f);
    VI bits = (__builtin_convertvector(n, VI) + 127) << 23;
    return WT_FN(select)(underflow, WT_FN(splat)(0.0f), y * (VF)bits);
}

static inline WT_TARGET VF WT_FN(sigmoid_lanes)(VF x, int swish) {
    VI magnitude = (VI)x;
    for (int i = 0; i < WT_W; i++) magnitude[i] &= 0x7fffffff;
    VF e = WT_FN(exp_nonpositive)(-(VF)magnitude);  // e^-|x|
    VF one = WT_FN(splat)(1.0f), d = one + e;
    VF s = WT_FN(select)(x >= WT_FN(splat)(0.0f), one / d, e / d);
    if (swish) s = x * s;
    return WT_FN(select)(x != x, x, s);
}

static WT_TARGET void WT_FN(sigmoid)(const float *x, float *y, int64_t count, int swish) {
    int64_t end = count - count % WT_W;
    for (int64_t i = 0; i < end; i += WT_W) WT_FN(store)(y + i, WT_FN(sigmoid_lanes)(WT_FN(load)(x + i), swish));
    if (end < count) {
        float lanes[WT_W] = {0};
        __builtin_memcpy(lanes, x + end, (size_t)(count - end) * sizeof(float));
        WT_FN(store)(lanes, WT_FN(sigmoid_lanes)(WT_FN(load)(lanes), swish));
        __builtin_memcpy(y + end, lanes, (size_t)(count - end) * sizeof(float));
    }
}

#undef VF
#undef VI
#undef WT_FN
