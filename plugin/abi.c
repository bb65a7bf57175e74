/*
 * The C half of the plugin: the registration symbol, the config map in the
 * entry size of the running Fluent Bit, trampolines into Go, the functions
 * resolved from the executable, and the signal-handler restore. It stays
 * shallow: callbacks may run on a small coroutine stack.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "_cgo_export.h"

#define MAP_STR  0
#define MAP_BOOL 3

/* SIGMA_PROPERTIES(X): generated from filter.Properties by go generate. */
#include "configmap.h"

/* set_property stays 0: Fluent Bit validates the names, Go reads the values. */
#define SIGMA_ENTRY(t, n, d, s) {{.type = t, .name = n, .def_value = d, .desc = s}},

/* Not static, so the tests' testhooks.c can read them; exports.map keeps them local. */
struct sigma_config_map_v1 sigma_map_v1[] = { SIGMA_PROPERTIES(SIGMA_ENTRY) {{0}} };
struct sigma_config_map_v2 sigma_map_v2[] = { SIGMA_PROPERTIES(SIGMA_ENTRY) {{0}} };

static int cb_sigma_init(void *ins, void *config, void *data);
static int cb_sigma_filter(const void *data, size_t bytes, const char *tag, int tag_len,
                           void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                           void *context, void *config);
static int cb_sigma_exit(void *context, void *config);

/* make passes the release (git describe) as -DSIGMA_VERSION="..."; Go's internal/version.Version gets the same. */
#ifndef SIGMA_VERSION
#define SIGMA_VERSION "dev"
#endif

/* The one public symbol: Fluent Bit copies it when it loads the library. */
struct sigma_filter_plugin filter_sigma_plugin = {
    .event_type = 1, /* FLB_FILTER_LOGS */
    .name = "sigma",
    /* What fluent-bit -F sigma -h prints: the version is the one place it shows. */
    .description = "Sigma rule detection for Sysmon events (fluent-bit-sigma " SIGMA_VERSION ")",
    .config_map = sigma_map_v2,
    .cb_init = cb_sigma_init,
    .cb_filter = cb_sigma_filter,
    .cb_exit = cb_sigma_exit,
};

/* Functions of the Fluent Bit executable, resolved at load time. */
static const char *(*flb_filter_get_property_fn)(const char *key, void *ins);
static void (*flb_filter_set_context_fn)(void *ins, void *context);
static const char *(*flb_filter_name_fn)(void *ins);
static void (*flb_log_print_fn)(int type, const char *file, int line, const char *fmt, ...);

/*
 * Runs when the library is loaded, before Fluent Bit copies the plugin
 * struct: picks the config-map layout of the running Fluent Bit. The
 * function flb_config_map_translate_dynamic exists exactly from v5.0.3, the
 * version whose entries are 104 bytes.
 */
__attribute__((constructor)) static void sigma_resolve(void)
{
    flb_filter_get_property_fn = dlsym(RTLD_DEFAULT, "flb_filter_get_property");
    flb_filter_set_context_fn = dlsym(RTLD_DEFAULT, "flb_filter_set_context");
    flb_filter_name_fn = dlsym(RTLD_DEFAULT, "flb_filter_name");
    flb_log_print_fn = dlsym(RTLD_DEFAULT, "flb_log_print");
    if (dlsym(RTLD_DEFAULT, "flb_config_map_translate_dynamic") == NULL) {
        filter_sigma_plugin.config_map = sigma_map_v1;
    }
}

/* The entry size of the config map sigma_resolve picked: 96 before v5.0.3, 104 from it. */
int sigma_map_entry_size(void)
{
    if (filter_sigma_plugin.config_map == (void *) sigma_map_v1) {
        return (int) sizeof(sigma_map_v1[0]);
    }
    return (int) sizeof(sigma_map_v2[0]);
}

const char *sigma_get_property(void *ins, const char *key)
{
    if (flb_filter_get_property_fn == NULL) {
        return NULL;
    }
    return flb_filter_get_property_fn(key, ins);
}

void sigma_set_context(void *ins, uintptr_t handle)
{
    if (flb_filter_set_context_fn != NULL) {
        flb_filter_set_context_fn(ins, (void *) handle);
    }
}

/* The instance's alias when set, else Fluent Bit's "sigma.<id>". */
const char *sigma_instance_name(void *ins)
{
    if (ins == NULL || flb_filter_name_fn == NULL) {
        return "sigma";
    }
    return flb_filter_name_fn(ins);
}

/*
 * Offset 8 of struct flb_filter_instance is the instance log level (after
 * int event_type and int id), from v3.2.0 to v5.1.1; it starts as the
 * global level and follows the instance's own log_level property. This is
 * the check flb_plg_* macros make.
 */
int sigma_log_enabled(void *ins, int level)
{
    if (ins == NULL) {
        return level <= SIGMA_FLB_LOG_INFO;
    }
    return level <= *(const int *) ((const char *) ins + 8);
}

void sigma_log(void *ins, int level, const char *msg)
{
    const char *name = sigma_instance_name(ins);
    if (flb_log_print_fn != NULL) {
        flb_log_print_fn(level, NULL, 0, "[filter:sigma:%s] %s", name, msg);
        return;
    }
    fprintf(stderr, "[filter:sigma:%s] %s\n", name, msg);
}

void *sigma_malloc(size_t n)
{
    /* The core frees out_buf with free(): this malloc binds to the same allocator. */
    return malloc(n == 0 ? 1 : n);
}

/*
 * Signal handlers. On SIGHUP (reload) and SIGCONT Fluent Bit re-installs
 * plain handlers for SIGSEGV and SIGFPE over Go's; a Go fault after that
 * (even a nil dereference Go would recover as a panic) aborts the process.
 * The handlers Go installed are saved after the runtime has started, and
 * put back at the top of every callback when they have been replaced.
 */
static const int sigma_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
#define SIGMA_NSIGNALS (sizeof(sigma_signals) / sizeof(sigma_signals[0]))
static struct sigaction sigma_saved[SIGMA_NSIGNALS];
static int sigma_saved_ok;
static pthread_once_t sigma_save_once = PTHREAD_ONCE_INIT;

static void sigma_signals_save(void)
{
    for (size_t i = 0; i < SIGMA_NSIGNALS; i++) {
        sigaction(sigma_signals[i], NULL, &sigma_saved[i]);
    }
    __atomic_store_n(&sigma_saved_ok, 1, __ATOMIC_RELEASE);
}

/* Saves the handlers in place now, the first time it is called only. */
void sigma_signals_save_once(void)
{
    pthread_once(&sigma_save_once, sigma_signals_save);
}

int sigma_signals_saved(void)
{
    return __atomic_load_n(&sigma_saved_ok, __ATOMIC_ACQUIRE);
}

void sigma_signals_restore(void)
{
    struct sigaction cur;

    if (!sigma_signals_saved()) {
        return;
    }
    for (size_t i = 0; i < SIGMA_NSIGNALS; i++) {
        if (sigaction(sigma_signals[i], NULL, &cur) != 0) {
            continue;
        }
        if (cur.sa_handler != sigma_saved[i].sa_handler) {
            sigaction(sigma_signals[i], &sigma_saved[i], NULL);
        }
    }
}

static int cb_sigma_init(void *ins, void *config, void *data)
{
    (void) config;
    (void) data;
    sigma_signals_restore();
    /* Go's handlers were saved when the library loaded (main.go's init). */
    return sigma_go_init(ins);
}

static int cb_sigma_filter(const void *data, size_t bytes, const char *tag, int tag_len,
                           void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                           void *context, void *config)
{
    (void) tag;
    (void) tag_len;
    (void) f_ins;
    (void) i_ins;
    (void) config;
    if (context == NULL) {
        return SIGMA_FLB_FILTER_NOTOUCH;
    }
    sigma_signals_restore();
    return sigma_go_filter((uintptr_t) context, (void *) data, bytes, out_buf, out_bytes);
}

static int cb_sigma_exit(void *context, void *config)
{
    (void) config;
    if (context == NULL) {
        return 0;
    }
    sigma_signals_restore();
    return sigma_go_exit((uintptr_t) context);
}
