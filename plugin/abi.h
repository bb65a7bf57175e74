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

/* Go's signal handlers: saved after the first init, put back by callbacks. */
int sigma_signals_saved(void);
void sigma_signals_save_once(void);
void sigma_signals_restore(void);

/*
 * Metrics (metrics.c): the instance's cmetrics context, NULL with the
 * reason in *why when the layout does not check out; counters and gauges
 * named fluentbit_filter_<name> on it.
 */
void *sigma_metrics_cmt(void *ins, const char **why);
void *sigma_metric_create(void *cmt, int gauge, char *name, char *help, int nkeys, char **keys);
int sigma_metric_update(void *metric, int gauge, double v, int nvals, char **vals);

/*
 * The structs Fluent Bit reads, as laid out from v3.2.0 to v5.1.1.
 */
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

/*
 * struct flb_filter_instance up to cmt, the same from v3.2.0 to v5.1.1,
 * in builds with FLB_HAVE_REGEX (official ones), which adds match_regex;
 * without it p and cmt are 8 bytes earlier. metrics.c reads name, alias,
 * p and cmt, after checking the layout.
 */
struct sigma_filter_instance {
    int event_type;
    int id;
    int log_level;
    int log_suppress_interval;
    char name[32];
    char *alias;
    char *match;
    void *match_regex;              /* only with FLB_HAVE_REGEX */
    void *parent_processor;
    void *context;
    void *data;
    struct sigma_filter_plugin *p;  /* Fluent Bit's copy of filter_sigma_plugin */
    struct sigma_mk_list properties;
    struct sigma_mk_list *config_map;
    struct sigma_mk_list _head;
    void *cmt;                      /* struct cmt *, created before cb_init */
};

#define SIGMA_INSTANCE_NAME         offsetof(struct sigma_filter_instance, name)
#define SIGMA_INSTANCE_ALIAS        offsetof(struct sigma_filter_instance, alias)
#define SIGMA_INSTANCE_P            offsetof(struct sigma_filter_instance, p)
#define SIGMA_INSTANCE_CMT          offsetof(struct sigma_filter_instance, cmt)
#define SIGMA_INSTANCE_P_NOREGEX    (SIGMA_INSTANCE_P - sizeof(void *))
#define SIGMA_INSTANCE_CMT_NOREGEX  (SIGMA_INSTANCE_CMT - sizeof(void *))

_Static_assert(offsetof(struct sigma_filter_instance, log_level) == 8, "log_level at 8");
_Static_assert(SIGMA_INSTANCE_NAME == 16 && SIGMA_INSTANCE_ALIAS == 48, "name at 16, alias at 48");
_Static_assert(SIGMA_INSTANCE_P == 96 && SIGMA_INSTANCE_CMT == 144, "p at 96, cmt at 144 with FLB_HAVE_REGEX");
_Static_assert(offsetof(struct sigma_filter_instance, properties) == SIGMA_INSTANCE_P + sizeof(void *),
               "properties right after p (the metrics layout check reads it there)");
_Static_assert(offsetof(struct sigma_filter_instance, _head) == SIGMA_INSTANCE_CMT - sizeof(struct sigma_mk_list),
               "_head right before cmt (the metrics layout check reads it there)");

/* The registration struct, and the config map in both entry sizes. */
extern struct sigma_filter_plugin filter_sigma_plugin;
extern struct sigma_config_map_v1 sigma_map_v1[];
extern struct sigma_config_map_v2 sigma_map_v2[];

#endif
