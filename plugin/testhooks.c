//go:build sigmatest

/*
 * For the tests in plugin/ only (-tags sigmatest): the layout the ABI tests
 * check, the config map as Fluent Bit reads it, plain signal handlers as
 * Fluent Bit installs them, and the filter callback called through the
 * registration struct, as Fluent Bit calls it.
 */
#include <signal.h>
#include <stdlib.h>

#include "abi.h"
#include "testhooks.h"

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
        .selected_map_size = filter_sigma_plugin.config_map == (void *) sigma_map_v1
                                 ? sizeof(struct sigma_config_map_v1)
                                 : sizeof(struct sigma_config_map_v2),
    };
    return l;
}

/* Entry i of the 104-byte config map; 0 after the last one. */
int sigma_config_map_entry(int i, int *type, const char **name,
                           const char **def_value, const char **desc)
{
    if (i < 0) {
        return 0;
    }
    for (int n = 0; n <= i; n++) { /* the map ends with an entry without a name */
        if (sigma_map_v2[n].c.name == NULL) {
            return 0;
        }
    }
    const struct sigma_config_map_v2 *e = &sigma_map_v2[i];
    *type = e->c.type;
    *name = e->c.name;
    *def_value = e->c.def_value;
    *desc = e->c.desc;
    return 1;
}

static void sigma_plain_handler(int sig)
{
    (void) sig;
    abort();
}

/* What Fluent Bit's flb_signal_init does on SIGHUP and SIGCONT. */
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

int sigma_call_filter(uintptr_t handle, const void *data, size_t bytes,
                      void **out_buf, size_t *out_bytes)
{
    return filter_sigma_plugin.cb_filter(data, bytes, "bench", 5, out_buf, out_bytes,
                                         NULL, NULL, (void *) handle, NULL);
}
