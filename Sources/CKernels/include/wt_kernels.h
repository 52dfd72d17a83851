// Hot loops no library covers, for the runtime's NHWC float32 kernels: the Winograd tile
// transforms, the per-channel epilogue and the logistic function (sigmoid, swish). Each exists as an AVX-512, an AVX2 and a portable
// path, compiled from one source with generic vectors of 16, 8 and 4 floats (the portable one
// with no target attribute), chosen at run time from the CPU's features; `WTOOL_ISA`
// (portable, avx2, avx512) caps the choice. Every path does the same operations in the same
// order, without contraction into fused multiply-adds, so all give identical results; the tests
// run every path the CPU has and compare it with the portable one.
#ifndef WT_KERNELS_H
#define WT_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wt_isa { WT_ISA_PORTABLE = 0, WT_ISA_AVX2 = 1, WT_ISA_AVX512 = 2 };

/// Whether this CPU and OS can run `isa` (AVX2 needs FMA and the OS saving YMM state; AVX-512
/// needs F, CD, BW, DQ, VL and the OS saving ZMM state).
int wt_isa_supported(int isa);
/// The best level this CPU supports.
int wt_isa_best(void);
/// The level in use: the best supported, capped by `WTOOL_ISA` when set (read once).
int wt_isa_current(void);
/// Uses `isa` from now on (tests); -1 and no change when the CPU cannot run it, else `isa`.
int wt_isa_force(int isa);
/// "portable", "avx2" or "avx512".
const char *wt_isa_name(int isa);
/// The level `name` names, or -1.
int wt_isa_parse(const char *name);

/// Activations the epilogues compute, as the runtime's `ActivationFunctions` do.
enum wt_activation {
    WT_ACT_LINEAR = 0,
    WT_ACT_RELU = 1,      // x > 0 ? x : 0
    WT_ACT_LEAKY = 2,     // x > 0 ? x : alpha * x
    WT_ACT_CLIP = 3,      // r = x > 0 ? x : 0; r > beta ? beta : r   (ReLU6 with beta = 6)
};

/// Per-output-channel work after a convolution: `act((x + bias) * scale + shift)`, each of
/// bias and scale+shift optional (NULL), alpha/beta the activation's parameters.
typedef struct {
    const float *bias;
    const float *scale;
    const float *shift;
    int activation;
    float alpha, beta;
} wt_epilogue;

/// Applies `e` in place to `rows` rows of `channels` floats.
void wt_epilogue_apply(const wt_epilogue *e, float *data, int64_t rows, int64_t channels);

/// The logistic function on `count` floats (`y` may equal `x`): `1 / (1 + e^-x)` for x ≥ 0 and
/// `e^x / (1 + e^x)` below, as the runtime's scalar definition, with e^t (t ≤ 0) from Cephes'
/// polynomial (range reduction by ln 2 in two parts, degree-5 polynomial: within 2 ulp of expf;
/// below e^-87.34, FLT_MIN, it is 0, a difference under 1.2e-38). `swish` non-zero gives
/// `x · sigmoid(x)` (Keras swish/silu; −∞ gives NaN, as Keras's −∞ · 0). NaN stays NaN. The tail is computed as a padded
/// vector, so every path and every position give the same bits.
void wt_sigmoid(const float *x, float *y, int64_t count, int swish);

/// Winograd F(m×m, 3×3) input transform of one tile, m = 2 or 4 (α = m + 2): `pixels` holds α²
/// pointers to the tile's input pixels (row-major; a zero vector for padding), each `channels`
/// floats; writes `(Bᵀ d B)[ξ]` to `v + ξ·plane`, `channels` floats each.
void wt_winograd_input_tile(int m, const float *const *pixels, int64_t channels, float *v, int64_t plane);

/// Winograd output transform of one tile: reads `mm + ξ·plane` (`channels` floats each), writes
/// `Aᵀ M A` to the output pixels `outputs[i·m + j]` that are not NULL (an edge tile's overhang
/// is), with epilogue `e` applied (NULL: none).
void wt_winograd_output_tile(int m, const float *mm, int64_t plane, int64_t channels, float *const *outputs,
                             const wt_epilogue *e);

#ifdef __cplusplus
}
#endif
#endif
