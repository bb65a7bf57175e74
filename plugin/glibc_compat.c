//go:build linux && (amd64 || arm64)

/*
 * The glibc floor. glibc 2.32 and 2.34 moved the pthread and dl functions
 * into libc.so.6 under new symbol versions, so a library linked on a
 * newer glibc asks for GLIBC_2.34 and refuses to load on Debian 11 (2.31)
 * or RHEL 8 (2.28). The same functions are still exported under their
 * original versions (the architecture's first: 2.2.5 on x86-64, 2.17 on
 * arm64), which every glibc has; the library binds to those.
 *
 * make links with -Wl,--wrap=NAME for each function below (GLIBC_WRAP in
 * the Makefile): every call, from Go's runtime/cgo and from abi.c, goes to
 * __wrap_NAME, which calls NAME at its original version through .symver.
 * Without --wrap (go build, go test) these wrappers are unused. On a glibc
 * before 2.34 the functions live in libpthread.so.0 and libdl.so.2, which
 * make links with --no-as-needed so that they are loaded there.
 * tests/glibc_test.go holds the library to the floor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>

#if defined(__x86_64__)
#define SIGMA_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define SIGMA_GLIBC_BASE "GLIBC_2.17"
#else
#error "glibc_compat.c: no base glibc version known for this architecture"
#endif

/* sigma_base_NAME is an undefined symbol the assembler renames to NAME@BASE. */
#define SIGMA_BASE(ret, name, params, args)                                        \
    ret sigma_base_##name params;                                                  \
    __asm__(".symver sigma_base_" #name ", " #name "@" SIGMA_GLIBC_BASE);          \
    ret __wrap_##name params;                                                      \
    ret __wrap_##name params { return sigma_base_##name args; }

SIGMA_BASE(int, pthread_create,
           (pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg),
           (t, attr, fn, arg))
SIGMA_BASE(int, pthread_key_create, (pthread_key_t *key, void (*destructor)(void *)), (key, destructor))
SIGMA_BASE(int, pthread_setspecific, (pthread_key_t key, const void *value), (key, value))
SIGMA_BASE(int, pthread_once, (pthread_once_t *once, void (*fn)(void)), (once, fn))
SIGMA_BASE(int, pthread_sigmask, (int how, const sigset_t *set, sigset_t *old), (how, set, old))
SIGMA_BASE(int, pthread_getattr_np, (pthread_t t, pthread_attr_t *attr), (t, attr))
SIGMA_BASE(int, pthread_attr_getstack, (const pthread_attr_t *attr, void **addr, size_t *size),
           (attr, addr, size))
SIGMA_BASE(int, pthread_attr_getstacksize, (const pthread_attr_t *attr, size_t *size), (attr, size))
SIGMA_BASE(void *, dlsym, (void *handle, const char *name), (handle, name))
