// Dispatch and the scalar parts; the vector kernels are wt_kernels_body.h, compiled once per
// instruction set. See include/wt_kernels.h.
#include "wt_kernels.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define WT_X86 1
#endif

// No contraction of a·b + c into a fused multiply-add: the paths must round alike (and like the
// runtime's Swift loops, which LLVM does not contract either).
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

// ---- The formulas, for any T (float or a vector of floats) -------------------------------------

// Bᵀ d for F(4×4, 3×3): rows (4, 0, −5, 0, 1, 0), (0, −4, −4, 1, 1, 0), (0, 4, −4, −1, 1, 0),
// (0, −2, −1, 2, 1, 0), (0, 2, −1, −2, 1, 0), (0, 4, 0, −5, 0, 1), with common terms shared.
#define WT_BT4(T, d0, d1, d2, d3, d4, d5, o0, o1, o2, o3, o4, o5) do { \
    T d0_ = (d0), d1_ = (d1), d2_ = (d2), d3_ = (d3), d4_ = (d4), d5_ = (d5); \
    T a_ = d4_ - 4.0f * d2_, b_ = d3_ - 4.0f * d1_, c_ = d4_ - d2_, e_ = 2.0f * (d3_ - d1_); \
    o0 = 4.0f * d0_ - 5.0f * d2_ + d4_; o1 = a_ + b_; o2 = a_ - b_; o3 = c_ + e_; o4 = c_ - e_; \
    o5 = 4.0f * d1_ - 5.0f * d3_ + d5_; } while (0)
// Aᵀ m for F(4×4): rows (1, 1, 1, 1, 1, 0), (0, 1, −1, 2, −2, 0), (0, 1, 1, 4, 4, 0), (0, 1, −1, 8, −8, 1).
#define WT_AT4(T, m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do { \
    T m0_ = (m0), m1_ = (m1), m2_ = (m2), m3_ = (m3), m4_ = (m4), m5_ = (m5); \
    T p_ = m1_ + m2_, q_ = m1_ - m2_, r_ = m3_ + m4_, s_ = m3_ - m4_; \
    o0 = m0_ + p_ + r_; o1 = q_ + 2.0f * s_; o2 = p_ + 4.0f * r_; o3 = q_ + 8.0f * s_ + m5_; } while (0)
// Bᵀ d for F(2×2): rows (1, 0, −1, 0), (0, 1, 1, 0), (0, −1, 1, 0), (0, 1, 0, −1).
#define WT_BT2(T, d0, d1, d2, d3, o0, o1, o2, o3) do { \
    T d0_ = (d0), d1_ = (d1), d2_ = (d2), d3_ = (d3); \
    o0 = d0_ - d2_; o1 = d1_ + d2_; o2 = d2_ - d1_; o3 = d1_ - d3_; } while (0)
// Aᵀ m for F(2×2): rows (1, 1, 1, 0), (0, 1, −1, −1).
#define WT_AT2(T, m0, m1, m2, m3, o0, o1) do { \
    T m0_ = (m0), m1_ = (m1), m2_ = (m2), m3_ = (m3); \
    o0 = m0_ + m1_ + m2_; o1 = m1_ - m2_ - m3_; } while (0)

// ---- Scalar versions (the tails of every path) ---------------------------------------------------

static inline float wt_activate_scalar(float x, int activation, float alpha, float beta) {
    switch (activation) {
    case WT_ACT_RELU: return x > 0 ? x : 0;
    case WT_ACT_LEAKY: return x > 0 ? x : alpha * x;
    case WT_ACT_CLIP: { float r = x > 0 ? x : 0; return r > beta ? beta : r; }
    default: return x;
    }
}

static inline float wt_affine_scalar(const wt_epilogue *e, float x, int64_t c) {
    if (e->bias) x = x + e->bias[c];
    if (e->scale && e->shift) x = x * e->scale[c] + e->shift[c];
    return wt_activate_scalar(x, e->activation, e->alpha, e->beta);
}

static void wt_input_tile_scalar(int m, const float *const *px, int64_t from, int64_t channels, float *v, int64_t plane) {
    int alpha = m + 2;
    float t[36];
    for (int64_t c = from; c < channels; c++) {
        if (m == 4) {
            for (int l = 0; l < 6; l++)
                WT_BT4(float, px[l][c], px[6 + l][c], px[12 + l][c], px[18 + l][c], px[24 + l][c], px[30 + l][c],
                       t[l], t[6 + l], t[12 + l], t[18 + l], t[24 + l], t[30 + l]);
            for (int i = 0; i < 6; i++) {
                float *o = v + i * 6 * plane + c;
                WT_BT4(float, t[i * 6], t[i * 6 + 1], t[i * 6 + 2], t[i * 6 + 3], t[i * 6 + 4], t[i * 6 + 5],
                       o[0], o[plane], o[2 * plane], o[3 * plane], o[4 * plane], o[5 * plane]);
            }
        } else {
            for (int l = 0; l < 4; l++)
                WT_BT2(float, px[l][c], px[4 + l][c], px[8 + l][c], px[12 + l][c], t[l], t[4 + l], t[8 + l], t[12 + l]);
            for (int i = 0; i < 4; i++) {
                float *o = v + i * 4 * plane + c;
                WT_BT2(float, t[i * 4], t[i * 4 + 1], t[i * 4 + 2], t[i * 4 + 3], o[0], o[plane], o[2 * plane], o[3 * plane]);
            }
        }
    }
    (void)alpha;
}

static void wt_output_tile_scalar(int m, const float *mm, int64_t plane, int64_t from, int64_t channels, float *const *out,
                                  const wt_epilogue *e) {
    float s[24], y[16];
    for (int64_t c = from; c < channels; c++) {
        if (m == 4) {
            for (int l = 0; l < 6; l++) {
                const float *p = mm + l * plane + c;
                WT_AT4(float, p[0], p[6 * plane], p[12 * plane], p[18 * plane], p[24 * plane], p[30 * plane],
                       s[l], s[6 + l], s[12 + l], s[18 + l]);
            }
            for (int i = 0; i < 4; i++)
                WT_AT4(float, s[i * 6], s[i * 6 + 1], s[i * 6 + 2], s[i * 6 + 3], s[i * 6 + 4], s[i * 6 + 5],
                       y[i * 4], y[i * 4 + 1], y[i * 4 + 2], y[i * 4 + 3]);
        } else {
            for (int l = 0; l < 4; l++) {
                const float *p = mm + l * plane + c;
                WT_AT2(float, p[0], p[4 * plane], p[8 * plane], p[12 * plane], s[l], s[4 + l]);
            }
            for (int i = 0; i < 2; i++) WT_AT2(float, s[i * 4], s[i * 4 + 1], s[i * 4 + 2], s[i * 4 + 3], y[i * 2], y[i * 2 + 1]);
        }
        for (int k = 0; k < m * m; k++)
            if (out[k]) out[k][c] = e ? wt_affine_scalar(e, y[k], c) : y[k];
    }
}

// ---- The three paths -------------------------------------------------------------------------------

#define WT_W 4
#define WT_SUFFIX portable
#define WT_TARGET
#include "wt_kernels_body.h"
#undef WT_W
#undef WT_SUFFIX
#undef WT_TARGET

#ifdef WT_X86
#define WT_W 8
#define WT_SUFFIX avx2
#define WT_TARGET __attribute__((target("avx2,fma")))
#include "wt_kernels_body.h"
#undef WT_W
#undef WT_SUFFIX
#undef WT_TARGET

#define WT_W 16
#define WT_SUFFIX avx512
#define WT_TARGET __attribute__((target("avx512f,avx512cd,avx512bw,avx512dq,avx512vl")))
#include "wt_kernels_body.h"
#undef WT_W
#undef WT_SUFFIX
#undef WT_TARGET
#endif

// ---- CPU detection and the choice ------------------------------------------------------------------

#ifdef WT_X86
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

int wt_isa_supported(int isa) {
    if (isa == WT_ISA_PORTABLE) return 1;
#ifdef WT_X86
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return 0;                      // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    if (isa == WT_ISA_AVX2) return avx2 && fma;
    if (isa == WT_ISA_AVX512) {
        int f = (b >> 16) & 1, dq = (b >> 17) & 1, cd = (b >> 28) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
        return avx2 && fma && f && dq && cd && bw && vl && (xcr0 & 0xe6) == 0xe6;   // + opmask, ZMM state
    }
#endif
    return 0;
}

int wt_isa_best(void) {
    if (wt_isa_supported(WT_ISA_AVX512)) return WT_ISA_AVX512;
    if (wt_isa_supported(WT_ISA_AVX2)) return WT_ISA_AVX2;
    return WT_ISA_PORTABLE;
}

const char *wt_isa_name(int isa) {
    switch (isa) {
    case WT_ISA_AVX2: return "avx2";
    case WT_ISA_AVX512: return "avx512";
    default: return "portable";
    }
}

int wt_isa_parse(const char *name) {
    if (!name) return -1;
    if (strcmp(name, "portable") == 0) return WT_ISA_PORTABLE;
    if (strcmp(name, "avx2") == 0) return WT_ISA_AVX2;
    if (strcmp(name, "avx512") == 0) return WT_ISA_AVX512;
    return -1;
}

// -1 until chosen.
static _Atomic int current_isa = -1;

int wt_isa_current(void) {
    int isa = atomic_load_explicit(&current_isa, memory_order_relaxed);
    if (isa >= 0) return isa;
    isa = wt_isa_best();
    int cap = wt_isa_parse(getenv("WTOOL_ISA"));
    if (cap >= 0 && cap < isa) isa = cap;
    atomic_store_explicit(&current_isa, isa, memory_order_relaxed);
    return isa;
}

int wt_isa_force(int isa) {
    if (isa < WT_ISA_PORTABLE || isa > WT_ISA_AVX512 || !wt_isa_supported(isa)) return -1;
    atomic_store_explicit(&current_isa, isa, memory_order_relaxed);
    return isa;
}

// ---- Entry points ----------------------------------------------------------------------------------

void wt_epilogue_apply(const wt_epilogue *e, float *data, int64_t rows, int64_t channels) {
    switch (wt_isa_current()) {
#ifdef WT_X86
    case WT_ISA_AVX512: epilogue_avx512(e, data, rows, channels); return;
    case WT_ISA_AVX2: epilogue_avx2(e, data, rows, channels); return;
#endif
    default: epilogue_portable(e, data, rows, channels); return;
    }
}

void wt_sigmoid(const float *x, float *y, int64_t count, int swish) {
    switch (wt_isa_current()) {
#ifdef WT_X86
    case WT_ISA_AVX512: sigmoid_avx512(x, y, count, swish); return;
    case WT_ISA_AVX2: sigmoid_avx2(x, y, count, swish); return;
#endif
    default: sigmoid_portable(x, y, count, swish); return;
    }
}

void wt_winograd_input_tile(int m, const float *const *pixels, int64_t channels, float *v, int64_t plane) {
    switch (wt_isa_current()) {
#ifdef WT_X86
    case WT_ISA_AVX512: input_tile_avx512(m, pixels, channels, v, plane); return;
    case WT_ISA_AVX2: input_tile_avx2(m, pixels, channels, v, plane); return;
#endif
    default: input_tile_portable(m, pixels, channels, v, plane); return;
    }
}

void wt_winograd_output_tile(int m, const float *mm, int64_t plane, int64_t channels, float *const *outputs,
                             const wt_epilogue *e) {
    switch (wt_isa_current()) {
#ifdef WT_X86
    case WT_ISA_AVX512: output_tile_avx512(m, mm, plane, channels, outputs, e); return;
    case WT_ISA_AVX2: output_tile_avx2(m, mm, plane, channels, outputs, e); return;
#endif
    default: output_tile_portable(m, mm, plane, channels, outputs, e); return;
    }
}
