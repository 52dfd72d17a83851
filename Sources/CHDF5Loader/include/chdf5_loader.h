#ifndef WTOOL_CHDF5_LOADER_H
#define WTOOL_CHDF5_LOADER_H
// libhdf5 is loaded with dlopen, on first use, instead of being linked: only a process that parses
// or writes HDF5 (the isolated import child, `convert` to .h5, the tests) pays for it. Linked, its
// ~40 dependent libraries (libcurl, Kerberos, GnuTLS, LDAP, … for drivers wtool never uses) are
// mapped and relocated in every wtool process, `wtool summary x.swm` and `wtool --version` included
// (issue #16: start-up time and peak memory).
//
// How: every libhdf5 entry point wtool calls is defined here as a two-instruction trampoline that
// jumps through a pointer (the technique of Implib.so), so Swift keeps calling the real hdf5.h API
// with its real signatures, and the data globals behind hdf5.h's macros (H5T_C_S1_g, …) are
// defined here and copied from the library when it is opened. Until chdf5_load() has succeeded a
// call aborts with a message naming the function (the HDF5 module always loads first).
#include <stddef.h>

/// Opens libhdf5 (once; later calls return the first outcome): $WTOOL_LIBHDF5 if set, else the
/// usual sonames, keeping the first whose major.minor version is the one these headers describe.
/// Returns 0, or -1 with a one-line reason in `message`.
int chdf5_load(char *message, size_t size);

/// The path dlopen resolved, or "" before a successful chdf5_load().
const char *chdf5_loaded_path(void);
#endif
