/*
 * The Fluent Bit filter ABI as this plugin uses it: declarations written
 * from the measured layout (see doc.go), not copied from Fluent Bit.
 */
#ifndef SIGMA_ABI_H
#define SIGMA_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Return codes of cb_filter. */
#define SIGMA_FLB_FILTER_MODIFIED 1
#define SIGMA_FLB_FILTER_NOTOUCH  2

/* Log levels of flb_log_print. */
#define SIGMA_FLB_LOG_ERROR 1
#define SIGMA_FLB_LOG_WARN  2
#define SIGMA_FLB_LOG_INFO  3
#define SIGMA_FLB_LOG_DEBUG 4

/* Called from Go. */
const char *sigma_get_property(void *ins, const char *key);
void sigma_set_context(void *ins, uintptr_t handle);
const char *sigma_instance_name(void *ins);
int sigma_log_enabled(void *ins, int level);
void sigma_log(void *ins, int level, const char *msg);
void *sigma_malloc(size_t n);

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
int sigma_signals_saved(void);
void sigma_test_save_signals(void);
void sigma_test_install_plain_handlers(void);
int sigma_test_plain_handler_installed(void);
int sigma_call_filter(uintptr_t handle, const void *data, size_t bytes,
                      void **out_buf, size_t *out_bytes);
void sigma_signals_restore(void);

#endif
