// oneDNN convolutions and matrix products for the runtime, through a library loaded at run time (dlopen), not linked.
//
// Why dlopen and not a link: libdnnl.so.2 (Debian libdnnl2, 40 MB, with libstdc++, libgomp and
// libOpenCL) would otherwise load into every wtool process — `--version`, `summary`, `convert`
// and the isolated HDF5 child too — while only the convolutions of `run`/`bench`/`verify` use it;
// loading it on first use also lets the runtime set OpenMP's environment before libgomp reads
// it, as `_BLAS.swift` does for OpenBLAS; and a machine without the library still runs every
// model on the other kernels. Only the types and enums come from the headers (libdnnl-dev);
// every function is looked up with dlsym. Nothing here is a kernel.
//
// Threads: Debian's oneDNN is built on OpenMP. Every primitive here runs single-threaded on the
// thread that calls it (OpenMP's thread count is set to one for each calling thread), and the
// runtime splits a convolution over its own workers by images or by bands of output rows, each a
// primitive of its own: one set of threads, which also keeps its speed on a loaded machine,
// where OpenMP's barriers between preempted threads cost more than the work.
#ifndef WT_DNNL_H
#define WT_DNNL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Activations oneDNN applies as an eltwise post-op with the same results as the runtime's own
/// (piecewise-linear ones only: oneDNN's transcendental approximations differ in the last bits).
enum wt_dnnl_activation {
    WT_DNNL_LINEAR = 0,
    WT_DNNL_RELU = 1,          // max(x, 0), or x·alpha below 0 (leaky) when alpha != 0
    WT_DNNL_CLIP = 2,          // min(max(x, alpha), beta)
};

/// One 2-D convolution over NHWC float32 tensors with an HWIO kernel `[kh, kw, Cin/groups, Cout]`
/// (a depthwise HWCM kernel `[kh, kw, C, M]` is the case groups = C, Cin/groups = 1), with the
/// post-ops in the runtime's epilogue order: `act((conv + bias) · scale + shift)`.
typedef struct {
    int64_t batch, in_height, in_width, in_channels;
    int64_t out_height, out_width, out_channels;
    int64_t kernel_height, kernel_width;
    int64_t stride_y, stride_x;
    int64_t dilation_y, dilation_x;           // 1 = no dilation
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    int64_t groups;
    int has_bias;
    int has_scale_shift;                      // a BatchNormalization in the epilogue
    int activation;                           // enum wt_dnnl_activation
    float alpha, beta;
    int accumulate;                           // dst += result (a residual Add), after the activation
} wt_dnnl_conv_params;

typedef struct wt_dnnl_conv wt_dnnl_conv;

/// Loads libdnnl once (thread-safe); 0 when usable, else -1 with the reason in `error`.
/// `path` (may be NULL) is tried before the default library names.
int wt_dnnl_load(const char *path, char *error, size_t error_size);

/// Limits oneDNN's instruction set before its first primitive ("sse41", "avx2", "avx512" or
/// NULL for everything the CPU has). Call before wt_dnnl_load's first primitive is built.
void wt_dnnl_set_max_isa(const char *isa);

/// Creates the primitive for one input shape (with `layout_only`, only its descriptor: enough to
/// learn and reorder into its weight layout, without generating code). NULL on failure, with the
/// reason in `error`.
wt_dnnl_conv *wt_dnnl_conv_create(const wt_dnnl_conv_params *params, int layout_only, char *error, size_t error_size);
void wt_dnnl_conv_destroy(wt_dnnl_conv *conv);

/// Bytes of the weights in the primitive's own (blocked) layout.
size_t wt_dnnl_conv_weights_bytes(const wt_dnnl_conv *conv);
/// A hash of that layout's description: equal hashes, same layout (for cache keys and for reusing
/// reordered weights across shapes).
uint64_t wt_dnnl_conv_weights_layout(const wt_dnnl_conv *conv);
/// oneDNN's name for the implementation it chose (e.g. "brg:avx512_core", "jit:avx2").
const char *wt_dnnl_conv_implementation(const wt_dnnl_conv *conv);

/// Reorders the HWIO (or HWCM) kernel into the primitive's layout at `destination`
/// (wt_dnnl_conv_weights_bytes bytes). 0 on success.
int wt_dnnl_conv_reorder_weights(const wt_dnnl_conv *conv, const float *kernel_hwio, void *destination,
                                 char *error, size_t error_size);

/// Runs the convolution; `weights` are reordered ones. bias/scale/shift may be NULL when the
/// params say so. With `accumulate`, `destination` holds the addend on entry. 0 on success.
int wt_dnnl_conv_execute(const wt_dnnl_conv *conv, const float *source, const void *weights, const float *bias,
                         const float *scale, const float *shift, float *destination, char *error, size_t error_size);

/// One product `C[m × n] = A[m × k] · B[k × n]` of dense row-major float32 matrices, with `B` in
/// oneDNN's blocked layout, reordered once (the transformed-domain GEMMs of the Winograd kernels:
/// oneDNN's brgemm reads `A` in place and `B` already packed, where SGEMM packs both on every
/// call). The blocked layout of `B` does not depend on `m`, so one reorder serves every row count.
typedef struct wt_dnnl_matmul wt_dnnl_matmul;

/// Creates the product for `m` rows. With `weights_like`, `B` takes that product's layout (which
/// must have the same k and n); else the layout oneDNN prefers. `layout_only` as for convolutions.
/// NULL on failure, with the reason in `error`.
wt_dnnl_matmul *wt_dnnl_matmul_create(int64_t m, int64_t k, int64_t n, const wt_dnnl_matmul *weights_like, int layout_only,
                                      char *error, size_t error_size);
void wt_dnnl_matmul_destroy(wt_dnnl_matmul *matmul);
/// Bytes of `B` in the blocked layout.
size_t wt_dnnl_matmul_weights_bytes(const wt_dnnl_matmul *matmul);
/// A hash of that layout's description (as wt_dnnl_conv_weights_layout).
uint64_t wt_dnnl_matmul_weights_layout(const wt_dnnl_matmul *matmul);
/// oneDNN's name for the implementation (e.g. "brg:avx512_core").
const char *wt_dnnl_matmul_implementation(const wt_dnnl_matmul *matmul);
/// Reorders row-major `B` (`k × n`) into the blocked layout at `destination`. 0 on success.
int wt_dnnl_matmul_reorder_weights(const wt_dnnl_matmul *matmul, const float *b, void *destination, char *error, size_t error_size);
/// `c = a · weights` (`weights` reordered). 0 on success.
int wt_dnnl_matmul_execute(const wt_dnnl_matmul *matmul, const float *a, const void *weights, float *c, char *error,
                           size_t error_size);

#ifdef __cplusplus
}
#endif
#endif
