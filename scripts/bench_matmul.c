// The Winograd kernels' transformed-domain products, alone: alpha^2 products of
// [M x K] x [K x N] (row-major) with OpenBLAS's cblas_sgemm, which packs both operands on every
// call, against oneDNN's matmul with the weights reordered once into its blocked layout (what
// _OneDNNMatMul does). One thread each; best of REPS; also the largest relative difference.
//
//   cc -O2 scripts/bench_matmul.c -o /tmp/bench_matmul -ldnnl -lopenblas
//   OMP_NUM_THREADS=1 /tmp/bench_matmul 36 1444 64 64     # VGG16 block1_conv2 at 150x150, F(4x4), batch 1
//   OMP_NUM_THREADS=1 /tmp/bench_matmul 16 81 512 512     # block4 at 18x18 on F(2x2)
//
// Arguments: PRODUCTS M K N [REPS (default 20)].
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#define CK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s: %d\n", #x, s_); exit(1); } } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
void openblas_set_num_threads(int);
int main(int argc, char **argv) {
    int xi = atoi(argv[1]), M = atoi(argv[2]), K = atoi(argv[3]), N = atoi(argv[4]), reps = argc > 5 ? atoi(argv[5]) : 20;
    openblas_set_num_threads(1);
    float *a = aligned_alloc(64, sizeof(float) * (size_t)xi * M * K), *b = aligned_alloc(64, sizeof(float) * (size_t)xi * K * N);
    float *c = aligned_alloc(64, sizeof(float) * (size_t)xi * M * N), *c2 = aligned_alloc(64, sizeof(float) * (size_t)xi * M * N);
    for (size_t i = 0; i < (size_t)xi * M * K; i++) a[i] = (float)((i * 7919) % 1000) / 1000 - 0.5f;
    for (size_t i = 0; i < (size_t)xi * K * N; i++) b[i] = (float)((i * 104729) % 1000) / 1000 - 0.5f;
    dnnl_engine_t eng; CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    dnnl_stream_t st; CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    dnnl_memory_desc_t src_md, w_md, w_any, dst_md;
    dnnl_dims_t sd = {M, K}, wd = {K, N}, dd = {M, N};
    CK(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, dnnl_f32, dnnl_ab));
    CK(dnnl_memory_desc_init_by_tag(&w_md, 2, wd, dnnl_f32, dnnl_ab));
    CK(dnnl_memory_desc_init_by_tag(&w_any, 2, wd, dnnl_f32, dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t md; CK(dnnl_matmul_desc_init(&md, &src_md, &w_any, NULL, &dst_md));
    dnnl_primitive_desc_t pd; CK(dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL));
    const char *impl; CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    const dnnl_memory_desc_t *wq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    size_t wbytes = dnnl_memory_desc_get_size(wq);
    dnnl_primitive_t prim; CK(dnnl_primitive_create(&prim, pd));
    // Reorder every xi's weights once.
    char *packed = aligned_alloc(64, wbytes * xi);
    dnnl_primitive_desc_t rpd; CK(dnnl_reorder_primitive_desc_create(&rpd, &w_md, eng, wq, eng, NULL));
    dnnl_primitive_t rp; CK(dnnl_primitive_create(&rp, rpd));
    dnnl_memory_t wsrc, wdst, msrc, mdst;
    CK(dnnl_memory_create(&wsrc, &w_md, eng, b)); CK(dnnl_memory_create(&wdst, wq, eng, packed));
    for (int x = 0; x < xi; x++) {
        CK(dnnl_memory_set_data_handle(wsrc, b + (size_t)x * K * N)); CK(dnnl_memory_set_data_handle(wdst, packed + wbytes * x));
        dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, wsrc}, {DNNL_ARG_TO, wdst}};
        CK(dnnl_primitive_execute(rp, st, 2, ra));
    }
    CK(dnnl_memory_create(&msrc, &src_md, eng, a)); CK(dnnl_memory_create(&mdst, &dst_md, eng, c2));
    double tb = 1e9, td = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int x = 0; x < xi; x++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a + (size_t)x * M * K, K, b + (size_t)x * K * N, N, 0, c + (size_t)x * M * N, N);
        double t1 = now();
        for (int x = 0; x < xi; x++) {
            CK(dnnl_memory_set_data_handle(msrc, a + (size_t)x * M * K));
            CK(dnnl_memory_set_data_handle(wdst, packed + wbytes * x));
            CK(dnnl_memory_set_data_handle(mdst, c2 + (size_t)x * M * N));
            dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, msrc}, {DNNL_ARG_WEIGHTS, wdst}, {DNNL_ARG_DST, mdst}};
            CK(dnnl_primitive_execute(prim, st, 3, args));
        }
        double t2 = now();
        if (t1 - t0 < tb) tb = t1 - t0;
        if (t2 - t1 < td) td = t2 - t1;
    }
    double maxd = 0, maxv = 0;
    for (size_t i = 0; i < (size_t)xi * M * N; i++) { double d = c[i] - c2[i]; if (d < 0) d = -d; if (d > maxd) maxd = d; double v = c[i] < 0 ? -c[i] : c[i]; if (v > maxv) maxv = v; }
    double gf = 2.0 * xi * M * K * N / 1e9;
    printf("xi=%2d M=%5d K=%4d N=%4d  openblas %7.3f ms (%5.1f GF/s)  onednn %7.3f ms (%5.1f GF/s)  ratio %.2f  [%s] rel %.1e\n",
           xi, M, K, N, tb * 1e3, gf / tb, td * 1e3, gf / td, td / tb, impl, maxd / maxv);
    return 0;
}
