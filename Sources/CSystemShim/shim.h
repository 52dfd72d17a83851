#ifndef WTOOL_CSYSTEMSHIM_H
#define WTOOL_CSYSTEMSHIM_H
// Linux system interfaces Swift cannot import, each behind a `csystem_`-prefixed function (style:
// DESIGN.md §7.2). Header-only: nothing to link.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

/// `O_TMPFILE` for `open(2)`, or 0 where the platform has none. glibc defines the macro only
/// under `_GNU_SOURCE`, as `(__O_TMPFILE | __O_DIRECTORY)`; Swift imports neither spelling.
static inline int csystem_o_tmpfile(void) {
#if defined(__O_TMPFILE)
    return __O_TMPFILE;
#elif defined(O_TMPFILE)
    return O_TMPFILE;
#else
    return 0;
#endif
}

/// `prctl(PR_SET_PDEATHSIG, signal)`: the kernel sends `signal` to this process when the thread
/// that created it exits. `prctl` is variadic, which Swift cannot call. Returns -1 (errno
/// ENOSYS) off Linux.
static inline int csystem_set_parent_death_signal(int signal) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
#else
    (void)signal;
    errno = ENOSYS;
    return -1;
#endif
}

/// The faulting address of a SIGBUS/SIGSEGV `siginfo_t` (`si_addr` is a macro over nested unions).
static inline uintptr_t csystem_fault_address(const siginfo_t *info) {
    return (uintptr_t)info->si_addr;
}

/// Installs `handler` as an `SA_SIGINFO` handler for `signal` (the `sa_sigaction` member is
/// behind a union and a macro). Returns `sigaction`'s result.
static inline int csystem_install_siginfo_handler(int signal, void (*handler)(int, siginfo_t *, void *)) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO;
    action.sa_sigaction = handler;
    return sigaction(signal, &action, 0);
}

/// `sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE)`: starts writing back the dirty
/// pages of a range without waiting, so a later `fsync` finds less to wait for. glibc declares it
/// only under `_GNU_SOURCE`. Returns -1 (errno ENOSYS) off Linux; callers treat it as a hint.
static inline int csystem_start_writeback(int fd, int64_t offset, int64_t count) {
#if defined(__linux__) && defined(SYS_sync_file_range)
    return (int)syscall(SYS_sync_file_range, fd, (long long)offset, (long long)count, 2 /* SYNC_FILE_RANGE_WRITE */);
#else
    (void)fd; (void)offset; (void)count;
    errno = ENOSYS;
    return -1;
#endif
}

/// `madvise(MADV_POPULATE_READ)` over the pages of `[address, address + count)`: maps them all
/// at once before they are read (a write() from a lazily mapped file otherwise faults them in one
/// fault-around window at a time: writing VGG16's 59 MB from its mapped .h5 took 31.6 ms, 15.9
/// populated first). Linux 5.14+; elsewhere, or on failure, returns -1 and reading faults as
/// before, so callers treat it as a hint.
static inline int csystem_populate_read(const void *address, size_t count) {
#if defined(__linux__)
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || count == 0) return -1;
    uintptr_t start = (uintptr_t)address & ~(uintptr_t)(page - 1);
    uintptr_t end = ((uintptr_t)address + count + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
    return madvise((void *)start, end - start, 22 /* MADV_POPULATE_READ */);
#else
    (void)address; (void)count;
    errno = ENOSYS;
    return -1;
#endif
}

/// `pipe2(fds, O_CLOEXEC)`: a pipe whose ends no concurrently spawned process inherits. glibc
/// declares `pipe2` only under `_GNU_SOURCE`. Off Linux, `pipe` then `FD_CLOEXEC` on each end.
static inline int csystem_pipe_cloexec(int fds[2]) {
#if defined(__linux__) && defined(SYS_pipe2)
    return (int)syscall(SYS_pipe2, fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

/// `posix_spawn_file_actions_addclosefrom_np(actions, from)`: the spawned process starts with no
/// descriptor from `from` up, whatever the parent left without close-on-exec (an application
/// linking WTool may). glibc 2.34+ declares it only under `_GNU_SOURCE`; elsewhere returns
/// ENOSYS and the caller closes what it knows instead.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
static inline int csystem_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
#else
static inline int csystem_spawn_close_from(posix_spawn_file_actions_t *actions, int from) {
    (void)actions; (void)from;
    return ENOSYS;
}
#endif
#endif
