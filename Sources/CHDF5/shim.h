#ifndef WTOOL_CHDF5_SHIM_H
#define WTOOL_CHDF5_SHIM_H
// Only what Swift cannot import from hdf5.h, each with the reason. Everything is `chdf5_`-prefixed.
// Found without pkg-config's -I (which would also link libhdf5 into every process): Debian keeps
// the header in hdf5/serial/, other systems in the include root.
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#elif __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#error "hdf5.h not found: install libhdf5-dev"
#endif

// Native type ids are macros that expand to `(H5OPEN H5T_NATIVE_FLOAT_g)`: a function call plus a
// global, which Swift's importer drops.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
// The writer stores what h5py stores: little-endian IEEE floats (f64 for Keras's empty `weight_names`).
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
// Keras's integer state (Normalization's `count`) is a little-endian int64 dataset in h5py files.
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }

// File access flags are `(H5CHECK H5OPEN 0x0000u)`: also calls, also dropped.
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }

// H5P_DEFAULT is `(hid_t)0` but imports as Int32; H5S_ALL likewise.
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

// Property list classes are globals behind H5OPEN.
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_link_access(void) { return H5P_LINK_ACCESS; }
static inline hid_t chdf5_p_attribute_create(void) { return H5P_ATTRIBUTE_CREATE; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }

// H5F_OBJ_ALL is an OR of five macros, which Swift does not import; the writer counts what is still
// open before closing a file it wrote.
static inline unsigned chdf5_obj_all(void) { return H5F_OBJ_ALL; }

// Silences libhdf5's own error-stack printing (H5Eset_auto2 with NULL); we translate errors ourselves.
static inline void chdf5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// Collects the most specific (deepest) message of the current error stack into `buffer` (walk callback is C-only
// because it receives a `const H5E_error2_t *` through a `void *` cookie).
typedef struct { char *buffer; size_t size; } chdf5_error_sink;
static inline herr_t chdf5_error_walker(unsigned n, const H5E_error2_t *err, void *data) {
    chdf5_error_sink *sink = (chdf5_error_sink *)data;
    if (n == 0 && err && err->desc && sink->size > 0) {
        snprintf(sink->buffer, sink->size, "%s (in %s)", err->desc, err->func_name ? err->func_name : "?");
    }
    return 0;
}
static inline void chdf5_last_error(char *buffer, size_t size) {
    if (size == 0) return;
    buffer[0] = 0;
    chdf5_error_sink sink = { buffer, size };
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, chdf5_error_walker, &sink);
}

// H5Lget_info and H5Oget_info are versioned API macros (H5Lget_info1/2 from 1.12 on), which Swift
// cannot see through; C resolves them for whichever libhdf5 is installed. Returns the H5L_type_t,
// or -1 when the link does not exist or cannot be read.
static inline int chdf5_link_type(hid_t loc, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    return (int)info.type;
}

// Refuses filter plugins: a hostile file must not make libhdf5 dlopen code. Plugins are a global
// setting behind H5PLset_loading_state; 0 disables every plugin type.
static inline herr_t chdf5_disable_plugins(void) { return H5PLset_loading_state(0); }

// H5T_VARIABLE is `((size_t)(-1))`, which imports, but keep the intent visible at call sites.
static inline size_t chdf5_variable_size(void) { return H5T_VARIABLE; }
#endif
