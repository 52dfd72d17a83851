// See include/chdf5_loader.h for why libhdf5 is loaded with dlopen and how the trampolines work.
#define _GNU_SOURCE
#include "chdf5_loader.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __has_include(<hdf5.h>)
#include <hdf5.h>
#elif __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#error "hdf5.h not found: install libhdf5-dev"
#endif

// Every function of libhdf5 that wtool's Swift and C code references (find them with
// `nm -u .build/*/HDF5.build/*.o .build/*/KerasFormat.build/*.o | grep ' H5'`). A name the
// installed library lacks (an API version it does not have) aborts only if it is called.
#define WTOOL_H5_FUNCTIONS(X) \
    X(H5Aclose) X(H5Acreate2) X(H5Adelete) X(H5Aexists) X(H5Aget_space) X(H5Aget_type) X(H5Aopen) \
    X(H5Aread) X(H5Awrite) X(H5Dclose) X(H5Dcreate2) X(H5Dget_create_plist) X(H5Dget_offset) \
    X(H5Dget_space) X(H5Dget_storage_size) X(H5Dget_type) X(H5Dopen2) X(H5Dread) X(H5Dwrite) \
    X(H5Eset_auto2) X(H5Ewalk2) X(H5Fclose) X(H5Fcreate) X(H5Fflush) X(H5Fget_file_image) \
    X(H5Fget_obj_count) X(H5Fis_hdf5) X(H5Fopen) X(H5Gclose) X(H5Gcreate2) X(H5Gget_info) \
    X(H5Gopen2) X(H5Iget_type) X(H5Lget_info) X(H5Lget_info2) X(H5Lget_name_by_idx) X(H5Oclose) \
    X(H5Oopen) X(H5PLset_loading_state) X(H5Pclose) X(H5Pcreate) X(H5Pget_external_count) \
    X(H5Pget_layout) X(H5Pget_nfilters) X(H5Pset_fapl_core) X(H5Pset_file_image) \
    X(H5Pset_obj_track_times) X(H5Sclose) X(H5Screate) X(H5Screate_simple) \
    X(H5Sget_simple_extent_dims) X(H5Sget_simple_extent_ndims) X(H5Tclose) X(H5Tcopy) \
    X(H5Tget_class) X(H5Tget_cset) X(H5Tget_order) X(H5Tget_sign) X(H5Tget_size) X(H5Tget_strpad) \
    X(H5Tis_variable_str) X(H5Tset_cset) X(H5Tset_order) X(H5Tset_size) X(H5Tset_strpad) \
    X(H5check_version) X(H5dont_atexit) X(H5free_memory) X(H5get_libversion) \
    /* the tests build files with these */ X(H5Lcreate_soft) X(H5Lcreate_external) X(H5Pset_external)

// The globals hdf5.h's type and property-list macros read (after calling H5open()).
#define WTOOL_H5_GLOBALS(X) \
    X(H5T_C_S1_g) X(H5T_IEEE_F32LE_g) X(H5T_IEEE_F64LE_g) X(H5T_STD_I64LE_g) X(H5T_NATIVE_FLOAT_g) \
    X(H5T_NATIVE_DOUBLE_g) X(H5T_NATIVE_INT64_g) X(H5T_NATIVE_INT32_g) X(H5T_NATIVE_UINT8_g) \
    X(H5P_CLS_FILE_ACCESS_ID_g) X(H5P_CLS_FILE_CREATE_ID_g) X(H5P_CLS_DATASET_CREATE_ID_g) \
    X(H5P_CLS_LINK_ACCESS_ID_g) X(H5P_CLS_ATTRIBUTE_CREATE_ID_g) X(H5P_CLS_GROUP_CREATE_ID_g)

// A call before chdf5_load(), or to a function the installed libhdf5 lacks: a programming error.
__attribute__((noreturn, used, visibility("hidden"))) void wtool_h5_missing(void) {
    fputs("wtool: internal error: a libhdf5 function was called before libhdf5 was loaded, or the "
          "installed libhdf5 lacks it\n", stderr);
    abort();
}

#define WTOOL_H5_POINTER(name) \
    __attribute__((used, visibility("hidden"))) void *wtool_h5p_##name = (void *)wtool_h5_missing;
WTOOL_H5_FUNCTIONS(WTOOL_H5_POINTER)

#if defined(__x86_64__)
#define WTOOL_H5_TRAMPOLINE(name) \
    __asm__(".text\n.globl " #name "\n.hidden " #name "\n.type " #name ", @function\n.p2align 4\n" #name ":\n" \
            "    jmp *wtool_h5p_" #name "(%rip)\n.size " #name ", .-" #name "\n");
#elif defined(__aarch64__)
#define WTOOL_H5_TRAMPOLINE(name) \
    __asm__(".text\n.globl " #name "\n.hidden " #name "\n.type " #name ", %function\n.p2align 2\n" #name ":\n" \
            "    adrp x16, wtool_h5p_" #name "\n    ldr x16, [x16, :lo12:wtool_h5p_" #name "]\n" \
            "    br x16\n.size " #name ", .-" #name "\n");
#else
#error "chdf5_loader: trampolines exist for x86_64 and aarch64 only"
#endif
WTOOL_H5_FUNCTIONS(WTOOL_H5_TRAMPOLINE)

// The copies are hidden, like the trampolines and H5open below: an executable that exports its
// symbols (a static Swift standard library links with --export-dynamic) would otherwise hand
// libhdf5 these copies in place of its own globals when it resolves its internal references.
#define WTOOL_H5_GLOBAL(name) __attribute__((visibility("hidden"))) hid_t name = -1; static hid_t *source_##name;
WTOOL_H5_GLOBALS(WTOOL_H5_GLOBAL)

static herr_t (*real_H5open)(void);

// hdf5.h's macros call H5open() before reading a global: the library may (re)initialise its ids
// there, so the copies are refreshed on every call.
__attribute__((visibility("hidden"))) herr_t H5open(void) {
    if (!real_H5open) wtool_h5_missing();
    herr_t status = real_H5open();
#define WTOOL_H5_COPY(name) if (source_##name) name = *source_##name;
    WTOOL_H5_GLOBALS(WTOOL_H5_COPY)
    return status;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];
static char loaded_path[512];

static void load(void) {
    static const char *names[] = {
        NULL,  // $WTOOL_LIBHDF5
        "libhdf5_serial.so.103", "libhdf5.so.103", "libhdf5_serial.so.310", "libhdf5.so.310",
        "libhdf5_serial.so.200", "libhdf5.so.200", "libhdf5_serial.so", "libhdf5.so",
    };
    names[0] = getenv("WTOOL_LIBHDF5");
    char tried[384] = "";
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && !handle; i++) {
        if (!names[i] || !*names[i]) continue;
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            if (i == 0) snprintf(failure, sizeof failure, "cannot load $WTOOL_LIBHDF5 (%s): %s", names[0], dlerror());
            if (i == 0) return;
            continue;
        }
        herr_t (*version)(unsigned *, unsigned *, unsigned *) =
            (herr_t (*)(unsigned *, unsigned *, unsigned *))dlsym(h, "H5get_libversion");
        unsigned major = 0, minor = 0, release = 0;
        if (version && version(&major, &minor, &release) >= 0 && major == H5_VERS_MAJOR && minor == H5_VERS_MINOR) {
            handle = h;
            struct link_map *map = NULL;
            if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name)
                snprintf(loaded_path, sizeof loaded_path, "%s", map->l_name);
            else
                snprintf(loaded_path, sizeof loaded_path, "%s", names[i]);
        } else {
            size_t used = strlen(tried);
            snprintf(tried + used, sizeof tried - used, "%s%s is %u.%u", used ? ", " : "", names[i], major, minor);
            dlclose(h);
        }
    }
    if (!handle) {
        snprintf(failure, sizeof failure,
                 "libhdf5 %d.%d (the version wtool was built against) is not installed%s%s "
                 "(Debian: apt install libhdf5-dev; or set WTOOL_LIBHDF5 to the library's path)",
                 H5_VERS_MAJOR, H5_VERS_MINOR, tried[0] ? "; found " : "", tried);
        return;
    }
#define WTOOL_H5_RESOLVE(name) { void *p = dlsym(handle, #name); if (p) wtool_h5p_##name = p; }
    WTOOL_H5_FUNCTIONS(WTOOL_H5_RESOLVE)
#define WTOOL_H5_FIND(name) source_##name = (hid_t *)dlsym(handle, #name);
    WTOOL_H5_GLOBALS(WTOOL_H5_FIND)
    real_H5open = (herr_t (*)(void))dlsym(handle, "H5open");
    if (!real_H5open) {
        snprintf(failure, sizeof failure, "%s has no H5open", loaded_path);
        loaded_path[0] = 0;
    }
}

int chdf5_load(char *message, size_t size) {
    pthread_once(&once, load);
    if (loaded_path[0]) return 0;
    if (message && size) snprintf(message, size, "%s", failure);
    return -1;
}

const char *chdf5_loaded_path(void) { return loaded_path; }
