/*
 * C for the tests in plugin/ only: testhooks.c, built with -tags sigmatest
 * (make test, make bench), so none of it is in the plugin library.
 */
#ifndef SIGMA_TESTHOOKS_H
#define SIGMA_TESTHOOKS_H

#include <stddef.h>
#include <stdint.h>

/* Layout facts, for the ABI tests. */
struct sigma_abi_layout {
    size_t plugin_size;
    size_t plugin_cb_init, plugin_cb_filter, plugin_cb_exit, plugin_config_map, plugin_head;
    size_t map_size_v1, map_size_v2;
    size_t map_desc, map_value;
    size_t selected_map_size;
};
struct sigma_abi_layout sigma_abi_layout(void);
int sigma_config_map_entry(int i, int *type, const char **name,
                           const char **def_value, const char **desc);

void sigma_test_install_plain_handlers(void);
int sigma_test_plain_handler_installed(void);
int sigma_call_filter(uintptr_t handle, const void *data, size_t bytes,
                      void **out_buf, size_t *out_bytes);

#endif
