/*
 * Prometheus metrics through the instance's cmetrics context. Fluent Bit
 * creates ins->cmt for every filter instance before cb_init and merges it
 * into /api/v2/metrics/prometheus; the fluent-bit executable exports the
 * cmetrics functions, resolved here with dlsym. The instance struct is
 * only read after its layout checks out (see sigma_metrics_cmt); this file
 * never guesses, and Go decides what to count.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "abi.h"

static void *(*cmt_counter_create_fn)(void *cmt, char *ns, char *subsystem, char *name, char *help,
                                      int label_count, char **label_keys);
static int (*cmt_counter_add_fn)(void *counter, uint64_t ts, double val, int labels_count, char **label_vals);
static void *(*cmt_gauge_create_fn)(void *cmt, char *ns, char *subsystem, char *name, char *help,
                                    int label_count, char **label_keys);
static int (*cmt_gauge_set_fn)(void *gauge, uint64_t ts, double val, int labels_count, char **label_vals);
static uint64_t (*cfl_time_now_fn)(void);
static int sigma_metrics_resolved;
static pthread_once_t sigma_metrics_once = PTHREAD_ONCE_INIT;

static void sigma_metrics_resolve(void)
{
    cmt_counter_create_fn = dlsym(RTLD_DEFAULT, "cmt_counter_create");
    cmt_counter_add_fn = dlsym(RTLD_DEFAULT, "cmt_counter_add");
    cmt_gauge_create_fn = dlsym(RTLD_DEFAULT, "cmt_gauge_create");
    cmt_gauge_set_fn = dlsym(RTLD_DEFAULT, "cmt_gauge_set");
    cfl_time_now_fn = dlsym(RTLD_DEFAULT, "cfl_time_now");
    sigma_metrics_resolved = cmt_counter_create_fn && cmt_counter_add_fn && cmt_gauge_create_fn &&
                             cmt_gauge_set_fn && cfl_time_now_fn;
}

/*
 * Offsets in struct flb_filter_instance, identical from v3.2.0 to v5.1.1
 * (see SIGMA_INSTANCE_* in abi.h). match_regex exists only in builds with
 * FLB_HAVE_REGEX (official ones), which moves p and cmt by 8 bytes; both
 * layouts are tried, and only one can hold a pointer to our plugin at p.
 */
static const struct {
    size_t p, cmt;
} sigma_layouts[] = {
    { SIGMA_INSTANCE_P, SIGMA_INSTANCE_CMT },
    { SIGMA_INSTANCE_P_NOREGEX, SIGMA_INSTANCE_CMT_NOREGEX },
};

/* Whether n bytes at p can be read: write() fails with EFAULT, not a fault. */
static int sigma_readable(const void *p, size_t n)
{
    int fds[2];
    char sink[sizeof(struct sigma_filter_plugin)];
    ssize_t w;

    if (n > sizeof(sink) || pipe(fds) != 0) {
        return 0;
    }
    w = write(fds[1], p, n);
    if (w > 0 && read(fds[0], sink, (size_t) w) < 0) {
        w = -1;
    }
    close(fds[0]);
    close(fds[1]);
    return w == (ssize_t) n;
}

/* Whether plugin is filter_sigma_plugin or Fluent Bit's copy of it. */
static int sigma_is_our_plugin(const struct sigma_filter_plugin *plugin)
{
    if (plugin == NULL || ((uintptr_t) plugin % sizeof(void *)) != 0 ||
        !sigma_readable(plugin, sizeof(*plugin))) {
        return 0;
    }
    return plugin->name == filter_sigma_plugin.name && plugin->cb_init == filter_sigma_plugin.cb_init &&
           plugin->cb_filter == filter_sigma_plugin.cb_filter && plugin->cb_exit == filter_sigma_plugin.cb_exit;
}

/* Whether a list head is one: readable, and its next node points back. */
static int sigma_is_list(const struct sigma_mk_list *head)
{
    return sigma_readable(head, sizeof(*head)) && head->next != NULL &&
           sigma_readable(head->next, sizeof(*head->next)) && head->next->prev == head;
}

/*
 * Whether base + off_p holds Fluent Bit's copy of our plugin struct, and
 * the fields between it and cmt are where this layout puts them: the
 * properties list right after p, the instance's list link before cmt.
 */
static int sigma_layout_holds(const char *base, size_t off_p, size_t off_cmt)
{
    const size_t off_properties = off_p + sizeof(void *);
    const size_t off_head = off_cmt - sizeof(struct sigma_mk_list);

    return sigma_is_our_plugin(*(const struct sigma_filter_plugin *const *) (base + off_p)) &&
           sigma_is_list((const struct sigma_mk_list *) (base + off_properties)) &&
           sigma_is_list((const struct sigma_mk_list *) (base + off_head));
}

/*
 * Returns the instance's cmt, or NULL with *why set when the functions are
 * missing or the layout does not check out: the name flb_filter_name
 * returns must be the alias or the name field at their offsets, the
 * pointer at p must be our plugin struct, and the list heads between p and
 * cmt must be lists. Called from cb_init, where cmt has just been created.
 */
void *sigma_metrics_cmt(void *ins, const char **why)
{
    const char *base = ins;
    const char *name, *alias;

    pthread_once(&sigma_metrics_once, sigma_metrics_resolve);
    if (!sigma_metrics_resolved) {
        *why = "the cmetrics functions are not exported by this executable";
        return NULL;
    }
    if (ins == NULL) {
        *why = "no instance";
        return NULL;
    }
    name = sigma_instance_name(ins);
    alias = *(const char *const *) (base + SIGMA_INSTANCE_ALIAS);
    if (name != (alias != NULL ? alias : base + SIGMA_INSTANCE_NAME)) {
        *why = "struct flb_filter_instance does not have the expected layout (name, alias)";
        return NULL;
    }
    for (size_t i = 0; i < sizeof(sigma_layouts) / sizeof(sigma_layouts[0]); i++) {
        if (!sigma_layout_holds(base, sigma_layouts[i].p, sigma_layouts[i].cmt)) {
            continue;
        }
        void *cmt = *(void *const *) (base + sigma_layouts[i].cmt);
        if (cmt == NULL) {
            *why = "the instance has no cmetrics context";
        }
        return cmt;
    }
    *why = "struct flb_filter_instance does not have the expected layout, or it could not be read "
           "(no pointer to this plugin followed by the instance's lists)";
    return NULL;
}

/* A counter or gauge fluentbit_filter_<name> on cmt; NULL on failure. */
void *sigma_metric_create(void *cmt, int gauge, char *name, char *help, int nkeys, char **keys)
{
    if (gauge) {
        return cmt_gauge_create_fn(cmt, "fluentbit", "filter", name, help, nkeys, keys);
    }
    return cmt_counter_create_fn(cmt, "fluentbit", "filter", name, help, nkeys, keys);
}

/* Adds v to a counter, or sets a gauge to v, for the label values vals. */
int sigma_metric_update(void *metric, int gauge, double v, int nvals, char **vals)
{
    uint64_t ts = cfl_time_now_fn();

    if (gauge) {
        return cmt_gauge_set_fn(metric, ts, v, nvals, vals);
    }
    return cmt_counter_add_fn(metric, ts, v, nvals, vals);
}
