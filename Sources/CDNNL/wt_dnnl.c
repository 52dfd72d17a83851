// See include/wt_dnnl.h for why oneDNN is loaded with dlopen.
#define _GNU_SOURCE
#include "wt_dnnl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

// Every oneDNN function this file calls, resolved once by wt_dnnl_load.
#define WT_DNNL_FUNCTIONS(X) \
    X(dnnl_engine_create) X(dnnl_stream_create) X(dnnl_stream_wait) \
    X(dnnl_memory_desc_init_by_tag) X(dnnl_memory_desc_init_by_strides) X(dnnl_memory_desc_get_size) \
    X(dnnl_dilated_convolution_forward_desc_init) X(dnnl_matmul_desc_init) X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_primitive_attr_create) X(dnnl_primitive_attr_destroy) X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_primitive_attr_set_scratchpad_mode) \
    X(dnnl_post_ops_create) X(dnnl_post_ops_destroy) X(dnnl_post_ops_append_eltwise) \
    X(dnnl_post_ops_append_binary) X(dnnl_post_ops_append_sum) \
    X(dnnl_primitive_desc_create) X(dnnl_primitive_desc_destroy) X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) X(dnnl_memory_desc_equal) \
    X(dnnl_primitive_create) X(dnnl_primitive_execute) X(dnnl_primitive_destroy) \
    X(dnnl_memory_create) X(dnnl_memory_destroy) X(dnnl_memory_set_data_handle) X(dnnl_set_max_cpu_isa)

#define WT_DECLARE(name) static __typeof__(name) *p_##name;
WT_DNNL_FUNCTIONS(WT_DECLARE)
#undef WT_DECLARE

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_path;
static char load_error[512];
static int load_status = -1;
static dnnl_engine_t engine;
static char max_isa[16];
// libgomp's omp_set_num_threads, when oneDNN brought libgomp (the OpenMP build).
static void (*p_omp_set_num_threads)(int);

// One stream per calling thread: the executor runs primitives from its workers concurrently, each
// single-threaded (see wt_dnnl.h), and a oneDNN stream is not meant to be shared across threads.
static __thread dnnl_stream_t thread_stream;

// Each calling thread's scratchpad, grown to the largest a primitive asked for. oneDNN's own
// ("library") scratchpad is shared by all primitives, which races when two threads run
// primitives at once; with the user mode each execution brings its thread's.
static __thread void *thread_scratchpad;
static __thread size_t thread_scratchpad_size;

static void *scratchpad(size_t size) {
    if (size <= thread_scratchpad_size) return thread_scratchpad;
    free(thread_scratchpad);
    size_t rounded = (size + 4095) & ~(size_t)4095;
    thread_scratchpad = aligned_alloc(64, rounded);
    thread_scratchpad_size = thread_scratchpad ? rounded : 0;
    return thread_scratchpad;
}

static dnnl_stream_t current_stream(void) {
    if (!thread_stream) {
        if (p_dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success) thread_stream = NULL;
        // Each primitive runs on the calling thread only: the executor owns the parallelism.
        if (p_omp_set_num_threads) p_omp_set_num_threads(1);
    }
    return thread_stream;
}

static void copy_error(char *error, size_t size, const char *text) {
    if (error && size) snprintf(error, size, "%s", text);
}

static void load(void) {
    const char *names[] = {load_path, "libdnnl.so.2", "libdnnl.so", NULL};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!names[i]) continue;
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) break;
        const char *e = dlerror();
        if (!load_error[0]) snprintf(load_error, sizeof load_error, "%s", e ? e : names[i]);
    }
    if (!handle) return;
#define WT_RESOLVE(name) \
    p_##name = (__typeof__(name) *)dlsym(handle, #name); \
    if (!p_##name) { snprintf(load_error, sizeof load_error, "libdnnl has no %s", #name); return; }
    WT_DNNL_FUNCTIONS(WT_RESOLVE)
#undef WT_RESOLVE
    if (max_isa[0]) {
        dnnl_cpu_isa_t isa = strcmp(max_isa, "sse41") == 0 ? dnnl_cpu_isa_sse41
                           : strcmp(max_isa, "avx2") == 0 ? dnnl_cpu_isa_avx2
                           : dnnl_cpu_isa_all;
        p_dnnl_set_max_cpu_isa(isa);
    }
    void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp) p_omp_set_num_threads = (void (*)(int))dlsym(gomp, "omp_set_num_threads");
    if (p_dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) {
        snprintf(load_error, sizeof load_error, "oneDNN could not create a CPU engine");
        return;
    }
    load_error[0] = 0;
    load_status = 0;
}

int wt_dnnl_load(const char *path, char *error, size_t error_size) {
    load_path = path;
    pthread_once(&load_once, load);
    if (load_status != 0) copy_error(error, error_size, load_error);
    return load_status;
}

void wt_dnnl_set_max_isa(const char *isa) {
    snprintf(max_isa, sizeof max_isa, "%s", isa ? isa : "");
}

// The memory objects of one execution (source, weights, destination, bias, scale, shift,
// scratchpad), kept between executions: creating and destroying seven per call cost more than a
// small layer's arithmetic (1.5% of MobileNetV2 in dnnl_memory_create alone, and its mallocs).
// A slot is taken by one execution at a time (`busy`); its objects are re-pointed with
// set_data_handle only when a buffer moved, which oneDNN does as creation would.
enum { WT_ARG_SRC, WT_ARG_WEIGHTS, WT_ARG_DST, WT_ARG_BIAS, WT_ARG_SCALE, WT_ARG_SHIFT, WT_ARG_SCRATCHPAD, WT_ARG_COUNT };
#define WT_DNNL_SLOTS 8
typedef struct {
    atomic_int busy;
    dnnl_memory_t memory[WT_ARG_COUNT];
    const void *handle[WT_ARG_COUNT];
} exec_slot;

// What convolutions and matrix products share: the primitive and its descriptor, the memory
// objects kept between executions, and the weights' layouts.
typedef struct {
    exec_slot slots[WT_DNNL_SLOTS];
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t weights_md, user_weights_md, scratchpad_md;
    uint64_t weights_layout;
    char implementation[64];
} primitive_core;

struct wt_dnnl_conv {
    primitive_core core;
    wt_dnnl_conv_params params;
    dnnl_memory_desc_t src_md, dst_md, bias_md, channel_md;
};

static const char *status_text(dnnl_status_t s) {
    switch (s) {
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "no implementation";
    case dnnl_runtime_error: return "runtime error";
    default: return "failed";
    }
}

#define CHECK(call, what) do { \
    dnnl_status_t s_ = (call); \
    if (s_ != dnnl_success) { \
        if (error && error_size) snprintf(error, error_size, "oneDNN %s: %s", what, status_text(s_)); \
        goto fail; \
    } } while (0)

static uint64_t fnv1a(const void *bytes, size_t count) {
    const unsigned char *p = bytes;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < count; i++) { h ^= p[i]; h *= 1099511628211ull; }
    return h;
}

/// The HWIO kernel as oneDNN sees it: (G,) OC, IC, KH, KW dims with the strides of the HWIO bytes.
static dnnl_status_t user_weights(const wt_dnnl_conv_params *p, dnnl_memory_desc_t *md) {
    int64_t oc = p->out_channels, g = p->groups, ocg = oc / g, icg = p->in_channels / g;
    int64_t kh = p->kernel_height, kw = p->kernel_width;
    if (g == 1) {
        dnnl_dims_t dims = {oc, icg, kh, kw};
        dnnl_dims_t strides = {1, oc, kw * icg * oc, icg * oc};
        return p_dnnl_memory_desc_init_by_strides(md, 4, dims, dnnl_f32, strides);
    }
    dnnl_dims_t dims = {g, ocg, icg, kh, kw};
    dnnl_dims_t strides = {ocg, 1, oc, kw * icg * oc, icg * oc};
    return p_dnnl_memory_desc_init_by_strides(md, 5, dims, dnnl_f32, strides);
}

// Once `c->pd` is made: the weights layout and scratchpad it chose, its implementation's name,
// and (unless `layout_only`) the primitive.
static dnnl_status_t core_finish(primitive_core *c, int layout_only) {
    c->weights_md = *p_dnnl_primitive_desc_query_md(c->pd, dnnl_query_weights_md, 0);
    c->weights_layout = fnv1a(&c->weights_md, sizeof c->weights_md);
    c->scratchpad_md = *p_dnnl_primitive_desc_query_md(c->pd, dnnl_query_scratchpad_md, 0);
    const char *impl = NULL;
    if (p_dnnl_primitive_desc_query(c->pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
        snprintf(c->implementation, sizeof c->implementation, "%s", impl);
    return layout_only ? dnnl_success : p_dnnl_primitive_create(&c->primitive, c->pd);
}

static void core_release(primitive_core *c) {
    for (int i = 0; i < WT_DNNL_SLOTS; i++)
        for (int a = 0; a < WT_ARG_COUNT; a++)
            if (c->slots[i].memory[a]) p_dnnl_memory_destroy(c->slots[i].memory[a]);
    if (c->primitive) p_dnnl_primitive_destroy(c->primitive);
    if (c->pd) p_dnnl_primitive_desc_destroy(c->pd);
}

wt_dnnl_conv *wt_dnnl_conv_create(const wt_dnnl_conv_params *p, int layout_only, char *error, size_t error_size) {
    if (wt_dnnl_load(NULL, error, error_size) != 0) return NULL;
    if (p->groups < 1 || p->in_channels % p->groups || p->out_channels % p->groups) {
        copy_error(error, error_size, "channels do not divide into the groups");
        return NULL;
    }
    wt_dnnl_conv *c = calloc(1, sizeof *c);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    if (!c) { copy_error(error, error_size, "out of memory"); return NULL; }
    c->params = *p;
    int64_t oc = p->out_channels, g = p->groups;
    dnnl_dims_t src_dims = {p->batch, p->in_channels, p->in_height, p->in_width};
    dnnl_dims_t dst_dims = {p->batch, oc, p->out_height, p->out_width};
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->src_md, 4, src_dims, dnnl_f32, dnnl_nhwc), "source descriptor");
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc), "destination descriptor");
    dnnl_dims_t bias_dims = {oc};
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->bias_md, 1, bias_dims, dnnl_f32, dnnl_a), "bias descriptor");
    dnnl_dims_t channel_dims = {1, oc, 1, 1};
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->channel_md, 4, channel_dims, dnnl_f32, dnnl_nchw), "channel descriptor");
    CHECK(user_weights(p, &c->core.user_weights_md), "kernel descriptor");
    dnnl_memory_desc_t any_weights;
    int64_t icg = p->in_channels / g, ocg = oc / g;
    if (g == 1) {
        dnnl_dims_t dims = {oc, icg, p->kernel_height, p->kernel_width};
        CHECK(p_dnnl_memory_desc_init_by_tag(&any_weights, 4, dims, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
    } else {
        dnnl_dims_t dims = {g, ocg, icg, p->kernel_height, p->kernel_width};
        CHECK(p_dnnl_memory_desc_init_by_tag(&any_weights, 5, dims, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
    }
    dnnl_convolution_desc_t desc;
    dnnl_dims_t strides = {p->stride_y, p->stride_x};
    dnnl_dims_t dilates = {p->dilation_y - 1, p->dilation_x - 1};
    dnnl_dims_t pad_l = {p->pad_top, p->pad_left}, pad_r = {p->pad_bottom, p->pad_right};
    CHECK(p_dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct, &c->src_md,
                                                       &any_weights, p->has_bias ? &c->bias_md : NULL, &c->dst_md,
                                                       strides, dilates, pad_l, pad_r), "convolution descriptor");
    CHECK(p_dnnl_primitive_attr_create(&attr), "attributes");
    CHECK(p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
    CHECK(p_dnnl_post_ops_create(&ops), "post-ops");
    if (p->has_scale_shift) {
        CHECK(p_dnnl_post_ops_append_binary(ops, dnnl_binary_mul, &c->channel_md), "scale post-op");
        CHECK(p_dnnl_post_ops_append_binary(ops, dnnl_binary_add, &c->channel_md), "shift post-op");
    }
    switch (p->activation) {
    case WT_DNNL_LINEAR: break;
    case WT_DNNL_RELU: CHECK(p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, p->alpha, 0), "activation"); break;
    case WT_DNNL_CLIP: CHECK(p_dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip_v2, p->alpha, p->beta), "activation"); break;
    default: copy_error(error, error_size, "unknown activation"); goto fail;
    }
    if (p->accumulate) CHECK(p_dnnl_post_ops_append_sum(ops, 1.0f), "sum post-op");
    CHECK(p_dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops");
    CHECK(p_dnnl_primitive_desc_create(&c->core.pd, &desc, attr, engine, NULL), "convolution");
    CHECK(core_finish(&c->core, layout_only), "primitive");
    p_dnnl_post_ops_destroy(ops);
    p_dnnl_primitive_attr_destroy(attr);
    return c;
fail:
    if (ops) p_dnnl_post_ops_destroy(ops);
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    wt_dnnl_conv_destroy(c);
    return NULL;
}

void wt_dnnl_conv_destroy(wt_dnnl_conv *c) {
    if (!c) return;
    core_release(&c->core);
    free(c);
}

size_t wt_dnnl_conv_weights_bytes(const wt_dnnl_conv *c) { return p_dnnl_memory_desc_get_size(&c->core.weights_md); }
uint64_t wt_dnnl_conv_weights_layout(const wt_dnnl_conv *c) { return c->core.weights_layout; }
const char *wt_dnnl_conv_implementation(const wt_dnnl_conv *c) { return c->core.implementation; }

static dnnl_status_t memory(dnnl_memory_t *m, const dnnl_memory_desc_t *md, const void *data) {
    return p_dnnl_memory_create(m, md, engine, (void *)data);
}

// Reorders `source` (laid out as `from`) into `destination` (laid out as `to`).
static int reorder(const dnnl_memory_desc_t *from_md, const void *source, const dnnl_memory_desc_t *to_md, void *destination,
                   char *error, size_t error_size) {
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    int status = -1;
    CHECK(memory(&from, from_md, source), "kernel memory");
    CHECK(memory(&to, to_md, destination), "weights memory");
    CHECK(p_dnnl_reorder_primitive_desc_create(&pd, from_md, engine, to_md, engine, NULL), "reorder");
    CHECK(p_dnnl_primitive_create(&reorder, pd), "reorder");
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    dnnl_stream_t stream = current_stream();
    if (!stream) { copy_error(error, error_size, "oneDNN stream"); goto fail; }
    CHECK(p_dnnl_primitive_execute(reorder, stream, 2, args), "reorder");
    CHECK(p_dnnl_stream_wait(stream), "reorder");
    status = 0;
fail:
    if (reorder) p_dnnl_primitive_destroy(reorder);
    if (pd) p_dnnl_primitive_desc_destroy(pd);
    if (from) p_dnnl_memory_destroy(from);
    if (to) p_dnnl_memory_destroy(to);
    return status;
}

int wt_dnnl_conv_reorder_weights(const wt_dnnl_conv *c, const float *kernel, void *destination, char *error, size_t error_size) {
    return reorder(&c->core.user_weights_md, kernel, &c->core.weights_md, destination, error, error_size);
}

// Points `*m` (created on first use) at `data`.
static dnnl_status_t bind(dnnl_memory_t *m, const void **handle, const dnnl_memory_desc_t *md, const void *data) {
    if (*m && *handle == data) return dnnl_success;
    dnnl_status_t s = *m ? p_dnnl_memory_set_data_handle(*m, (void *)data) : memory(m, md, data);
    *handle = s == dnnl_success ? data : NULL;
    return s;
}

// One argument of an execution: which kept memory object, its descriptor, its data, oneDNN's
// argument index.
typedef struct {
    int index;
    const dnnl_memory_desc_t *md;
    const void *data;
    int arg;
    const char *what;
} binding;

// Executes `primitive` on the calling thread with `bindings` (and the thread's scratchpad when
// `scratchpad_md` asks for one), through a free slot of kept memory objects, else (more
// concurrent executions than slots) objects of this call only.
static int execute(dnnl_primitive_t primitive, exec_slot *slots, const binding *bindings, int count,
                   const dnnl_memory_desc_t *scratchpad_md, const char *what, char *error, size_t error_size) {
    exec_slot *slot = NULL;
    for (int i = 0; i < WT_DNNL_SLOTS && !slot; i++) {
        if (!atomic_exchange_explicit(&slots[i].busy, 1, memory_order_acquire)) slot = &slots[i];
    }
    dnnl_memory_t local[WT_ARG_COUNT] = {0};
    const void *local_handle[WT_ARG_COUNT] = {0};
    dnnl_memory_t *m = slot ? slot->memory : local;
    const void **h = slot ? slot->handle : local_handle;
    dnnl_exec_arg_t args[WT_ARG_COUNT];
    int n = 0, status = -1;
    for (int i = 0; i < count; i++) {
        const binding *b = &bindings[i];
        CHECK(bind(&m[b->index], &h[b->index], b->md, b->data), b->what);
        args[n].arg = b->arg;
        args[n].memory = m[b->index];
        n++;
    }
    size_t scratch_bytes = p_dnnl_memory_desc_get_size(scratchpad_md);
    if (scratch_bytes) {
        void *buffer = scratchpad(scratch_bytes);
        if (!buffer) { copy_error(error, error_size, "out of memory for the scratchpad"); goto fail; }
        CHECK(bind(&m[WT_ARG_SCRATCHPAD], &h[WT_ARG_SCRATCHPAD], scratchpad_md, buffer), "scratchpad memory");
        args[n].arg = DNNL_ARG_SCRATCHPAD;
        args[n].memory = m[WT_ARG_SCRATCHPAD];
        n++;
    }
    if (!primitive) { copy_error(error, error_size, "a layout-only descriptor cannot run"); goto fail; }
    dnnl_stream_t stream = current_stream();
    if (!stream) { copy_error(error, error_size, "oneDNN stream"); goto fail; }
    CHECK(p_dnnl_primitive_execute(primitive, stream, n, args), what);
    CHECK(p_dnnl_stream_wait(stream), what);
    status = 0;
fail:
    if (slot) {
        atomic_store_explicit(&slot->busy, 0, memory_order_release);
    } else {
        for (int i = 0; i < WT_ARG_COUNT; i++) if (local[i]) p_dnnl_memory_destroy(local[i]);
    }
    return status;
}

int wt_dnnl_conv_execute(const wt_dnnl_conv *c, const float *source, const void *weights, const float *bias,
                         const float *scale, const float *shift, float *destination, char *error, size_t error_size) {
    const wt_dnnl_conv_params *p = &c->params;
    binding b[6];
    int n = 0;
    b[n++] = (binding){WT_ARG_SRC, &c->src_md, source, DNNL_ARG_SRC, "source memory"};
    b[n++] = (binding){WT_ARG_WEIGHTS, &c->core.weights_md, weights, DNNL_ARG_WEIGHTS, "weights memory"};
    b[n++] = (binding){WT_ARG_DST, &c->dst_md, destination, DNNL_ARG_DST, "destination memory"};
    if (p->has_bias) b[n++] = (binding){WT_ARG_BIAS, &c->bias_md, bias, DNNL_ARG_BIAS, "bias memory"};
    if (p->has_scale_shift) {
        b[n++] = (binding){WT_ARG_SCALE, &c->channel_md, scale, DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, "scale memory"};
        b[n++] = (binding){WT_ARG_SHIFT, &c->channel_md, shift, DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, "shift memory"};
    }
    return execute(c->core.primitive, (exec_slot *)c->core.slots, b, n, &c->core.scratchpad_md, "convolution", error, error_size);
}

// ---- Matrix products -----------------------------------------------------------------------------

struct wt_dnnl_matmul {
    primitive_core core;
    dnnl_memory_desc_t src_md, dst_md;
};

wt_dnnl_matmul *wt_dnnl_matmul_create(int64_t m, int64_t k, int64_t n, const wt_dnnl_matmul *weights_like, int layout_only,
                                      char *error, size_t error_size) {
    if (wt_dnnl_load(NULL, error, error_size) != 0) return NULL;
    if (m < 1 || k < 1 || n < 1) { copy_error(error, error_size, "empty matrix"); return NULL; }
    wt_dnnl_matmul *c = calloc(1, sizeof *c);
    dnnl_primitive_attr_t attr = NULL;
    if (!c) { copy_error(error, error_size, "out of memory"); return NULL; }
    dnnl_dims_t src_dims = {m, k}, weights_dims = {k, n}, dst_dims = {m, n};
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->src_md, 2, src_dims, dnnl_f32, dnnl_ab), "source descriptor");
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->dst_md, 2, dst_dims, dnnl_f32, dnnl_ab), "destination descriptor");
    CHECK(p_dnnl_memory_desc_init_by_tag(&c->core.user_weights_md, 2, weights_dims, dnnl_f32, dnnl_ab), "weights descriptor");
    dnnl_memory_desc_t wanted;
    if (weights_like) {
        if (weights_like->core.weights_md.dims[0] != k || weights_like->core.weights_md.dims[1] != n) {
            copy_error(error, error_size, "the weights to share have other sizes");
            goto fail;
        }
        wanted = weights_like->core.weights_md;
    } else {
        CHECK(p_dnnl_memory_desc_init_by_tag(&wanted, 2, weights_dims, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
    }
    dnnl_matmul_desc_t desc;
    CHECK(p_dnnl_matmul_desc_init(&desc, &c->src_md, &wanted, NULL, &c->dst_md), "matmul descriptor");
    CHECK(p_dnnl_primitive_attr_create(&attr), "attributes");
    CHECK(p_dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode");
    CHECK(p_dnnl_primitive_desc_create(&c->core.pd, &desc, attr, engine, NULL), "matmul");
    CHECK(core_finish(&c->core, layout_only), "primitive");
    if (weights_like && !p_dnnl_memory_desc_equal(&c->core.weights_md, &weights_like->core.weights_md)) {
        copy_error(error, error_size, "oneDNN chose another weights layout");
        goto fail;
    }
    p_dnnl_primitive_attr_destroy(attr);
    return c;
fail:
    if (attr) p_dnnl_primitive_attr_destroy(attr);
    wt_dnnl_matmul_destroy(c);
    return NULL;
}

void wt_dnnl_matmul_destroy(wt_dnnl_matmul *c) {
    if (!c) return;
    core_release(&c->core);
    free(c);
}

size_t wt_dnnl_matmul_weights_bytes(const wt_dnnl_matmul *c) { return p_dnnl_memory_desc_get_size(&c->core.weights_md); }
uint64_t wt_dnnl_matmul_weights_layout(const wt_dnnl_matmul *c) { return c->core.weights_layout; }
const char *wt_dnnl_matmul_implementation(const wt_dnnl_matmul *c) { return c->core.implementation; }

int wt_dnnl_matmul_reorder_weights(const wt_dnnl_matmul *c, const float *b, void *destination, char *error, size_t error_size) {
    return reorder(&c->core.user_weights_md, b, &c->core.weights_md, destination, error, error_size);
}

int wt_dnnl_matmul_execute(const wt_dnnl_matmul *c, const float *a, const void *weights, float *out, char *error,
                           size_t error_size) {
    binding b[3] = {
        {WT_ARG_SRC, &c->src_md, a, DNNL_ARG_SRC, "source memory"},
        {WT_ARG_WEIGHTS, &c->core.weights_md, weights, DNNL_ARG_WEIGHTS, "weights memory"},
        {WT_ARG_DST, &c->dst_md, out, DNNL_ARG_DST, "destination memory"},
    };
    return execute(c->core.primitive, (exec_slot *)c->core.slots, b, 3, &c->core.scratchpad_md, "matmul", error, error_size);
}
