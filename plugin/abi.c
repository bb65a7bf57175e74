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

struct sigma_mk_list {
    struct sigma_mk_list *prev, *next;
};

/* struct flb_filter_plugin: 88 bytes, unchanged from v3.2.0 to v5.1.1. */
struct sigma_filter_plugin {
    int event_type;
    int flags;
    char *name;
    char *description;
    void *config_map;
    int (*cb_pre_run)(void *ins, void *config, void *data);
    int (*cb_init)(void *ins, void *config, void *data);
    int (*cb_filter)(const void *data, size_t bytes, const char *tag, int tag_len,
                     void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                     void *context, void *config);
    int (*cb_exit)(void *context, void *config);
    int (*cb_notification)(void *ins, void *config, void *data);
    struct sigma_mk_list _head;
};

/*
 * struct flb_config_map: the first 48 bytes are the same in every version;
 * the value that follows grew by 8 bytes in v5.0.3 (96 -> 104 bytes).
 */
struct sigma_config_map_common {
    int type;
    char *name;
    char *def_value;
    int flags;
    int set_property;
    uintptr_t offset;
    char *desc;
};
struct sigma_config_map_v1 {        /* up to v5.0.2 */
    struct sigma_config_map_common c;
    unsigned char value[32];
    struct sigma_mk_list _head;
};
struct sigma_config_map_v2 {        /* from v5.0.3 */
    struct sigma_config_map_common c;
    unsigned char value[40];
    struct sigma_mk_list _head;
};

_Static_assert(sizeof(struct sigma_filter_plugin) == 88, "flb_filter_plugin is 88 bytes");
_Static_assert(sizeof(struct sigma_config_map_v1) == 96, "flb_config_map is 96 bytes before v5.0.3");
_Static_assert(sizeof(struct sigma_config_map_v2) == 104, "flb_config_map is 104 bytes from v5.0.3");

#define MAP_STR  0
#define MAP_BOOL 3

/* SIGMA_PROPERTIES(X): generated from filter.Properties by go generate. */
#include "configmap.h"

/* set_property stays 0: Fluent Bit validates the names, Go reads the values. */
#define SIGMA_ENTRY(t, n, d, s) {{.type = t, .name = n, .def_value = d, .desc = s}},

static struct sigma_config_map_v1 sigma_map_v1[] = { SIGMA_PROPERTIES(SIGMA_ENTRY) {{0}} };
static struct sigma_config_map_v2 sigma_map_v2[] = { SIGMA_PROPERTIES(SIGMA_ENTRY) {{0}} };

static int cb_sigma_init(void *ins, void *config, void *data);
static int cb_sigma_filter(const void *data, size_t bytes, const char *tag, int tag_len,
                           void **out_buf, size_t *out_bytes, void *f_ins, void *i_ins,
                           void *context, void *config);
static int cb_sigma_exit(void *context, void *config);

/* The one public symbol: Fluent Bit copies it when it loads the library. */
struct sigma_filter_plugin filter_sigma_plugin = {
    .event_type = 1, /* FLB_FILTER_LOGS */
    .name = "sigma",
    .description = "Sigma rule detection for Sysmon events",
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
static size_t sigma_map_size = sizeof(struct sigma_config_map_v2);

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
        sigma_map_size = sizeof(struct sigma_config_map_v1);
    }
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
    const char *name = "sigma";
    if (ins != NULL && flb_filter_name_fn != NULL) {
        name = flb_filter_name_fn(ins);
    }
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
    int ret = sigma_go_init(ins);
    /* The Go runtime has started by now, with its handlers installed. */
    pthread_once(&sigma_save_once, sigma_signals_save);
    return ret;
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

/*
 * For the tests in plugin/: save the Go handlers as cb_init does, and
 * install plain handlers over them as Fluent Bit's flb_signal_init does.
 */
static void sigma_plain_handler(int sig)
{
    (void) sig;
    abort();
}

void sigma_test_save_signals(void)
{
    pthread_once(&sigma_save_once, sigma_signals_save);
}

void sigma_test_install_plain_handlers(void)
{
    signal(SIGSEGV, sigma_plain_handler);
    signal(SIGFPE, sigma_plain_handler);
}

int sigma_test_plain_handler_installed(void)
{
    struct sigaction cur;
    sigaction(SIGSEGV, NULL, &cur);
    return cur.sa_handler == sigma_plain_handler;
}

/* The C->Go call as Fluent Bit makes it, for tests and benchmarks. */
int sigma_call_filter(uintptr_t handle, const void *data, size_t bytes,
                      void **out_buf, size_t *out_bytes)
{
    return cb_sigma_filter(data, bytes, "bench", 5, out_buf, out_bytes,
                           NULL, NULL, (void *) handle, NULL);
}

struct sigma_abi_layout sigma_abi_layout(void)
{
    struct sigma_abi_layout l = {
        .plugin_size = sizeof(struct sigma_filter_plugin),
        .plugin_cb_init = offsetof(struct sigma_filter_plugin, cb_init),
        .plugin_cb_filter = offsetof(struct sigma_filter_plugin, cb_filter),
        .plugin_cb_exit = offsetof(struct sigma_filter_plugin, cb_exit),
        .plugin_config_map = offsetof(struct sigma_filter_plugin, config_map),
        .plugin_head = offsetof(struct sigma_filter_plugin, _head),
        .map_size_v1 = sizeof(struct sigma_config_map_v1),
        .map_size_v2 = sizeof(struct sigma_config_map_v2),
        .map_desc = offsetof(struct sigma_config_map_v1, c.desc),
        .map_value = offsetof(struct sigma_config_map_v1, value),
        .selected_map_size = sigma_map_size,
    };
    return l;
}

int sigma_config_map_entry(int i, int *type, const char **name,
                           const char **def_value, const char **desc)
{
    if (i < 0 || (size_t) i >= sizeof(sigma_map_v2) / sizeof(sigma_map_v2[0])) {
        return 0;
    }
    const struct sigma_config_map_v2 *e = &sigma_map_v2[i];
    if (e->c.name == NULL) {
        return 0;
    }
    *type = e->c.type;
    *name = e->c.name;
    *def_value = e->c.def_value;
    *desc = e->c.desc;
    return 1;
}
