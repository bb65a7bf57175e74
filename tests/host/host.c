/*
 * A stand-in for Fluent Bit's core that loads flb-filter_sigma.so the way
 * Fluent Bit loads a DSO filter: dlopen by file name, copy the symbol
 * filter_<name>_plugin, walk its config map by the entry size of the
 * Fluent Bit it pretends to be (104 bytes with -DHOST_V503, else 96), check
 * property names against it, provide the functions the plugin resolves
 * from the executable (built with -rdynamic), call init, filter and exit,
 * and free out_buf with free(). Written for the end-to-end tests in
 * tests/; it is not Fluent Bit and copies none of its code.
 *
 * usage: host PLUGIN.so [-p key=value]... [-t threads] [-n rounds]
 *             [-r] [-l level] IN_CHUNK OUT_CHUNK
 *   -t/-n  run the filter on IN_CHUNK from several threads, rounds each,
 *          and require every result to equal the first
 *   -r     simulate a hot reload: exit, re-install plain SIGSEGV/SIGFPE
 *          handlers as Fluent Bit does on SIGHUP, init a new instance,
 *          filter again and check Go's handlers are back
 *   -R key=value  with -r: the configuration changed for the reload (the
 *          property set or replaced in the new instance)
 *   -w GO  after the first filter call, create OUT_CHUNK.ready, wait for
 *          the file GO to appear, then filter again every 100 ms until the
 *          output differs from the first or -d seconds (default 10) pass;
 *          the last output is written to OUT_CHUNK.2 (rule refresh tests)
 *   -s N   soak: filter IN_CHUNK N more times, printing the resident memory
 *          20 times along the way ("soak: round=... rss_kb=...")
 *   -a ALIAS  the instance's alias (its name stays sigma.0)
 *   -2 ALIAS  a second instance, sigma.1, with the same properties and
 *          this alias ("" for none), initialised after the first; it
 *          filters IN_CHUNK twice and exits before the first. With -r it
 *          is reloaded too, as Fluent Bit does: both exit, then both are
 *          initialised again in order, and what the second passes
 *          downstream after the reload is written to OUT_CHUNK.reload2
 *   -P key=value, -R2 key=value  a property of the second instance only,
 *          at the start and for the reload
 *   -L     the instance struct does not hold the plugin at p: the layout
 *          check of the plugin's metrics must fail
 *   -Lf    the plugin is at p, but the properties list after it is not a
 *          list (a field inserted): the layout check must fail as well
 * Each instance gets a cmetrics context before init (stand-ins for the
 * cmetrics functions below); when the instance exits, every series of it
 * is printed as "metric[N]: fqname{labels} value", N counting contexts.
 * Prints "key: value" lines the tests read; exits 0 on success.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct list { struct list *prev, *next; };

struct plugin {
    int event_type, flags;
    char *name, *description;
    char *config_map;
    int (*cb_pre_run)(void *, void *, void *);
    int (*cb_init)(void *, void *, void *);
    int (*cb_filter)(const void *, size_t, const char *, int, void **, size_t *,
                     void *, void *, void *, void *);
    int (*cb_exit)(void *, void *);
    int (*cb_notification)(void *, void *, void *);
    struct list head;
};

struct map_entry {
    int type;
    char *name, *def_value;
    int flags, set_property;
    uintptr_t offset;
    char *desc;
};

#ifdef HOST_V503
#define MAP_ENTRY_SIZE 104
/* Exists in Fluent Bit exactly from v5.0.3: the plugin probes for it. */
void *flb_config_map_translate_dynamic(void *config, void *map) { (void) config; (void) map; return NULL; }
#else
#define MAP_ENTRY_SIZE 96
#endif

/*
 * The instance: laid out as struct flb_filter_instance (FLB_HAVE_REGEX)
 * up to cmt: log_level at 8, name at 16, alias at 48, context at 80, the
 * plugin at 96, cmt at 144. What follows cmt is the host's own.
 */
struct instance {
    int event_type, id, log_level, log_suppress_interval;
    char name[32];
    char *alias, *match;
    void *match_regex, *parent_processor;
    void *context, *data;
    struct plugin *p;
    struct list properties;
    void *config_map;
    struct list head;
    struct cmt *cmt;
    int nprops;
    char *keys[16], *values[16];
};

static int log_lines[5];

const char *flb_filter_get_property(const char *key, struct instance *ins)
{
    for (int i = 0; i < ins->nprops; i++) {
        if (strcasecmp(ins->keys[i], key) == 0) {
            return ins->values[i];
        }
    }
    return NULL;
}

void flb_filter_set_context(struct instance *ins, void *context) { ins->context = context; }

const char *flb_filter_name(struct instance *ins) { return ins->alias ? ins->alias : ins->name; }

/*
 * cmetrics stand-ins, with the signatures of lib/cmetrics: a context holds
 * metrics, a metric holds series by label values. Label counts and
 * timestamps are checked; a bad call prints metric_error.
 */
struct cmt;
struct cmt_metric_def { struct cmt *cmt; int gauge, nkeys; char fqname[128], keys[8][32]; };
struct cmt_series { struct cmt_metric_def *m; char labels[1024]; double value; };
struct cmt {
    int id, nmetrics, nseries, cap;
    struct cmt_metric_def metrics[32];
    struct cmt_series *series;
    pthread_mutex_t mu;
};
static int cmt_count;

static struct cmt *fake_cmt_create(void)
{
    struct cmt *c = calloc(1, sizeof(*c));
    c->id = cmt_count++;
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

/* Prints every series of c, as the Prometheus endpoint would, and frees c. */
static void fake_cmt_destroy(struct cmt *c)
{
    for (int i = 0; i < c->nseries; i++) {
        printf("metric[%d]: %s{%s} %.17g\n", c->id, c->series[i].m->fqname, c->series[i].labels,
               c->series[i].value);
    }
    free(c->series);
    free(c);
}

static void *metric_create(struct cmt *cmt, int gauge, char *ns, char *subsystem, char *name,
                           int label_count, char **label_keys)
{
    if (cmt == NULL || cmt->nmetrics == 32 || label_count > 8) return NULL;
    struct cmt_metric_def *m = &cmt->metrics[cmt->nmetrics++];
    m->cmt = cmt;
    m->gauge = gauge;
    m->nkeys = label_count;
    snprintf(m->fqname, sizeof m->fqname, "%s_%s_%s", ns, subsystem, name);
    for (int i = 0; i < label_count; i++) snprintf(m->keys[i], sizeof m->keys[i], "%s", label_keys[i]);
    return m;
}

void *cmt_counter_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help,
                         int label_count, char **label_keys)
{
    (void) help;
    return metric_create(cmt, 0, ns, subsystem, name, label_count, label_keys);
}

void *cmt_gauge_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help,
                       int label_count, char **label_keys)
{
    (void) help;
    return metric_create(cmt, 1, ns, subsystem, name, label_count, label_keys);
}

/* Adds v to (or, for a gauge, sets) the series of m with these label values. */
static int series_update(struct cmt_metric_def *m, uint64_t ts, double v, int set, int n, char **vals)
{
    char labels[1024];
    size_t len = 0;
    if (m == NULL || n != m->nkeys || ts == 0 || set != m->gauge) {
        printf("metric_error: %s given %d label(s), ts %llu\n", m ? m->fqname : "?", n, (unsigned long long) ts);
        return -1;
    }
    labels[0] = 0;
    /* Each step leaves room for what follows it and the terminator: labels
     * too long for the buffer are cut, never written past it. */
    for (int i = 0; i < n; i++) {
        int w = snprintf(labels + len, sizeof labels - len, "%s%s=\"", i ? "," : "", m->keys[i]);
        if (w < 0 || (size_t) w + 2 >= sizeof labels - len) break;
        len += (size_t) w;
        for (const char *c = vals[i]; *c && len + 4 < sizeof labels; c++) {
            if (*c == '"' || *c == '\\') labels[len++] = '\\';
            labels[len++] = *c;
        }
        labels[len++] = '"';
        labels[len] = 0;
    }
    struct cmt *c = m->cmt;
    pthread_mutex_lock(&c->mu);
    int k = 0;
    while (k < c->nseries && (c->series[k].m != m || strcmp(c->series[k].labels, labels) != 0)) k++;
    if (k == c->nseries) {
        if (c->nseries == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 64;
            c->series = realloc(c->series, c->cap * sizeof(*c->series));
        }
        c->series[k] = (struct cmt_series){.m = m};
        memcpy(c->series[k].labels, labels, len + 1);
        c->nseries++;
    }
    c->series[k].value = set ? v : c->series[k].value + v;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int cmt_counter_add(void *counter, uint64_t ts, double val, int labels_count, char **label_vals)
{
    if (val < 0) return -1;
    return series_update(counter, ts, val, 0, labels_count, label_vals);
}

int cmt_counter_inc(void *counter, uint64_t ts, int labels_count, char **label_vals)
{
    return series_update(counter, ts, 1, 0, labels_count, label_vals);
}

int cmt_gauge_set(void *gauge, uint64_t ts, double val, int labels_count, char **label_vals)
{
    return series_update(gauge, ts, val, 1, labels_count, label_vals);
}

uint64_t cfl_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

void flb_log_print(int type, const char *file, int line, const char *fmt, ...)
{
    static const char *names[] = {"", "error", "warn", "info", "debug"};
    va_list ap;
    (void) file;
    (void) line;
    if (type >= 1 && type <= 4) {
        __atomic_add_fetch(&log_lines[type], 1, __ATOMIC_RELAXED);
    }
    printf("log: [%s] ", type >= 1 && type <= 4 ? names[type] : "?");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static struct plugin plugin;
static char *in_buf;
static size_t in_len;

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    *len = (size_t) ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len) { perror(path); exit(2); }
    fclose(f);
    return b;
}

/* Runs the filter once; returns a malloc'ed copy of what goes downstream. */
static char *run_filter(struct instance *ins, size_t *out_len, int *ret)
{
    void *out = NULL;
    size_t out_bytes = 0;
    *ret = plugin.cb_filter(in_buf, in_len, "sysmon", 6, &out, &out_bytes,
                            ins, NULL, ins->context, NULL);
    char *copy;
    if (*ret == 1) {            /* FLB_FILTER_MODIFIED */
        copy = malloc(out_bytes + 1);
        if (out_bytes) memcpy(copy, out, out_bytes);
        *out_len = out_bytes;
        free(out);              /* as the core does */
    } else if (*ret == 2) {     /* FLB_FILTER_NOTOUCH */
        copy = malloc(in_len + 1);
        memcpy(copy, in_buf, in_len);
        *out_len = in_len;
    } else {
        fprintf(stderr, "host: cb_filter returned %d\n", *ret);
        exit(1);
    }
    return copy;
}

struct worker { struct instance *ins; int rounds; char *want; size_t want_len; int bad; };

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->rounds; i++) {
        size_t n;
        int ret;
        char *got = run_filter(w->ins, &n, &ret);
        if (n != w->want_len || memcmp(got, w->want, n) != 0) w->bad++;
        free(got);
    }
    return NULL;
}

static void plain_handler(int sig) { (void) sig; abort(); }

/* As flb_filter_init: the cmetrics context exists before cb_init. */
static int lists_broken; /* -Lf */

static int init_instance(struct instance *ins)
{
    /* flb_filter_new: mk_list_init(&properties), _head linked into a list. */
    ins->properties.next = ins->properties.prev = lists_broken ? NULL : &ins->properties;
    ins->head.next = ins->head.prev = &ins->head;
    ins->context = NULL;
    ins->cmt = fake_cmt_create();
    int ret = plugin.cb_init(ins, NULL, NULL);
    printf("init: %d\n", ret);
    return ret;
}

/* As flb_filter_instance_exit and destroy: cb_exit, then the context goes. */
static int exit_instance(struct instance *ins)
{
    int ret = plugin.cb_exit(ins->context, NULL);
    fake_cmt_destroy(ins->cmt);
    ins->cmt = NULL;
    return ret;
}

/* Sets or replaces one property from "key=value" (as a config file does). */
static int set_prop(struct instance *ins, char *kv)
{
    char *eq = strchr(kv, '=');
    if (!eq) return -1;
    *eq = 0;
    for (int j = 0; j < ins->nprops; j++) {
        if (!strcmp(ins->keys[j], kv)) { ins->values[j] = eq + 1; return 0; }
    }
    if (ins->nprops == 16) return -1;
    ins->keys[ins->nprops] = kv;
    ins->values[ins->nprops++] = eq + 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct instance ins = {.event_type = 1, .log_level = 3, .name = "sigma.0"};
    int threads = 0, rounds = 1, reload = 0, wait_secs = 10;
    long soak = 0;
    char *reload_props[16], *props2[16], *reload_props2[16];
    int nreload = 0, nprops2 = 0, nreload2 = 0;
    const char *go_file = NULL;
    const char *second = NULL;
    int bad_layout = 0;
    static struct plugin not_ours;
    const char *so = argv[1];
    int i;

    if (argc < 4) { fprintf(stderr, "usage: host PLUGIN.so [options] IN OUT\n"); return 2; }
    for (i = 2; i < argc - 2; i++) {
        if (!strcmp(argv[i], "-p") && ins.nprops < 16) {
            char *kv = argv[++i], *eq = strchr(kv, '=');
            if (!eq) return 2;
            *eq = 0;
            ins.keys[ins.nprops] = kv;
            ins.values[ins.nprops++] = eq + 1;
        } else if (!strcmp(argv[i], "-t")) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n")) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r")) reload = 1;
        else if (!strcmp(argv[i], "-R") && nreload < 16) reload_props[nreload++] = argv[++i];
        else if (!strcmp(argv[i], "-P") && nprops2 < 16) props2[nprops2++] = argv[++i];
        else if (!strcmp(argv[i], "-R2") && nreload2 < 16) reload_props2[nreload2++] = argv[++i];
        else if (!strcmp(argv[i], "-w")) go_file = argv[++i];
        else if (!strcmp(argv[i], "-d")) wait_secs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-s")) soak = atol(argv[++i]);
        else if (!strcmp(argv[i], "-l")) ins.log_level = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-a")) ins.alias = argv[++i];
        else if (!strcmp(argv[i], "-2")) second = argv[++i];
        else if (!strcmp(argv[i], "-L")) bad_layout = 1;
        else if (!strcmp(argv[i], "-Lf")) bad_layout = 2; /* a field between p and cmt moved */
        else { fprintf(stderr, "host: unknown option %s\n", argv[i]); return 2; }
    }
    in_buf = read_file(argv[argc - 2], &in_len);

    /* Fluent Bit: flb_plugin_load() -> dlopen, dlsym("filter_<name>_plugin"), copy. */
    void *dso = dlopen(so, RTLD_LAZY);
    if (!dso) { fprintf(stderr, "host: %s\n", dlerror()); return 1; }
    const char *base = strrchr(so, '/') ? strrchr(so, '/') + 1 : so;
    if (strcmp(base, "flb-filter_sigma.so") != 0) { fprintf(stderr, "host: unexpected name %s\n", base); return 1; }
    struct plugin *sym = dlsym(dso, "filter_sigma_plugin");
    if (!sym) { fprintf(stderr, "host: %s\n", dlerror()); return 1; }
    memcpy(&plugin, sym, sizeof(plugin));
    printf("plugin: %s (%s) event_type=%d\n", plugin.name, plugin.description, plugin.event_type);

    /* Walk the config map by this version's entry size. */
    int known = 0;
    for (char *p = plugin.config_map; ((struct map_entry *) p)->name; p += MAP_ENTRY_SIZE) {
        struct map_entry *e = (struct map_entry *) p;
        printf("map: %d %s [%s] %s\n", e->type, e->name, e->def_value ? e->def_value : "", e->desc);
        known++;
    }
    printf("map_entries: %d\n", known);
    for (int k = 0; k < ins.nprops; k++) {
        int found = 0;
        for (char *p = plugin.config_map; ((struct map_entry *) p)->name; p += MAP_ENTRY_SIZE) {
            if (!strcasecmp(((struct map_entry *) p)->name, ins.keys[k])) found = 1;
        }
        if (!found) {
            /* What Fluent Bit's flb_config_map_properties_check refuses. */
            printf("config_error: unknown configuration property '%s'\n", ins.keys[k]);
            return 3;
        }
    }

    /* Fluent Bit's instance points at its copy of the plugin struct. */
    ins.p = bad_layout == 1 ? &not_ours : &plugin;
    if (bad_layout == 2) {
        lists_broken = 1; /* as if a field were inserted before properties */
    }
    if (init_instance(&ins) != 0) return 4;

    struct instance ins2 = ins;
    if (second) {
        snprintf(ins2.name, sizeof ins2.name, "sigma.1");
        ins2.id = 1;
        ins2.alias = *second ? (char *) second : NULL;
        for (int k = 0; k < nprops2; k++) {
            if (set_prop(&ins2, props2[k]) != 0) return 2;
        }
        if (init_instance(&ins2) != 0) return 4;
    }

    size_t out_len;
    int ret;
    char *out = run_filter(&ins, &out_len, &ret);
    printf("filter: %s %zu\n", ret == 1 ? "modified" : "notouch", out_len);

    if (threads > 0) {
        pthread_t th[64];
        struct worker w[64];
        int bad = 0;
        if (threads > 64) threads = 64;
        for (int t = 0; t < threads; t++) {
            w[t] = (struct worker){&ins, rounds, out, out_len, 0};
            pthread_create(&th[t], NULL, work, &w[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
            bad += w[t].bad;
        }
        printf("concurrent: %d threads x %d rounds, %d mismatches\n", threads, rounds, bad);
        if (bad) return 5;
    }

    if (reload) {
        struct sigaction go_segv, cur;
        sigaction(SIGSEGV, NULL, &go_segv);
        /* flb_reload: every old instance exits before any new one starts. */
        printf("exit: %d\n", exit_instance(&ins));
        if (second) printf("exit: %d\n", exit_instance(&ins2));
        /* Fluent Bit's flb_signal_init(), run from its SIGHUP handler. */
        signal(SIGSEGV, plain_handler);
        signal(SIGFPE, plain_handler);
        for (int k = 0; k < nreload; k++) {
            if (set_prop(&ins, reload_props[k]) != 0) return 2;
        }
        for (int k = 0; k < nreload2; k++) {
            if (set_prop(&ins2, reload_props2[k]) != 0) return 2;
        }
        if (init_instance(&ins) != 0) return 4;
        if (second) {
            if (init_instance(&ins2) != 0) return 4;
            size_t n3;
            char *second_out = run_filter(&ins2, &n3, &ret);
            char path2[4096];
            snprintf(path2, sizeof path2, "%s.reload2", argv[argc - 1]);
            FILE *f3 = fopen(path2, "wb");
            if (!f3 || fwrite(second_out, 1, n3, f3) != n3) { perror(path2); return 2; }
            fclose(f3);
            free(second_out);
        }
        sigaction(SIGSEGV, NULL, &cur);
        printf("handlers_restored: %s\n",
               cur.sa_handler == go_segv.sa_handler && cur.sa_handler != plain_handler ? "yes" : "no");
        size_t n2;
        char *again = run_filter(&ins, &n2, &ret);
        printf("reload_same_output: %s\n", n2 == out_len && !memcmp(again, out, n2) ? "yes" : "no");
        char path[4096];
        snprintf(path, sizeof path, "%s.reload", argv[argc - 1]);
        FILE *fr = fopen(path, "wb");
        if (!fr || fwrite(again, 1, n2, fr) != n2) { perror(path); return 2; }
        fclose(fr);
        free(again);
    }

    if (soak > 0) {
        long every = soak / 20 > 0 ? soak / 20 : 1;
        long page = sysconf(_SC_PAGESIZE);
        for (long k = 1; k <= soak; k++) {
            size_t n;
            free(run_filter(&ins, &n, &ret));
            if (k % every == 0 || k == soak) {
                long size = 0, resident = 0;
                FILE *m = fopen("/proc/self/statm", "r");
                if (m) {
                    if (fscanf(m, "%ld %ld", &size, &resident) != 2) resident = 0;
                    fclose(m);
                }
                printf("soak: round=%ld rss_kb=%ld\n", k, resident * page / 1024);
                fflush(stdout);
            }
        }
    }

    if (go_file) {
        char path[4096];
        snprintf(path, sizeof path, "%s.ready", argv[argc - 1]);
        FILE *r = fopen(path, "w");
        if (r) fclose(r);
        for (int k = 0; k < 600 && access(go_file, F_OK) != 0; k++) usleep(100000);
        size_t n2 = out_len;
        char *again = NULL;
        int changed = 0;
        for (int k = 0; k < wait_secs * 10 && !changed; k++) {
            usleep(100000);
            free(again);
            again = run_filter(&ins, &n2, &ret);
            changed = n2 != out_len || memcmp(again, out, n2) != 0;
        }
        printf("refresh_changed_output: %s\n", changed ? "yes" : "no");
        snprintf(path, sizeof path, "%s.2", argv[argc - 1]);
        FILE *f2 = fopen(path, "wb");
        if (!f2 || fwrite(again, 1, n2, f2) != n2) { perror(path); return 2; }
        fclose(f2);
        free(again);
    }

    FILE *f = fopen(argv[argc - 1], "wb");
    if (!f || fwrite(out, 1, out_len, f) != out_len) { perror(argv[argc - 1]); return 2; }
    fclose(f);
    if (second) {
        for (int k = 0; k < 2; k++) {
            size_t n2;
            free(run_filter(&ins2, &n2, &ret));
        }
        printf("exit: %d\n", exit_instance(&ins2));
    }
    printf("exit: %d\n", exit_instance(&ins));
    printf("log_lines: error=%d warn=%d info=%d\n", log_lines[1], log_lines[2], log_lines[3]);
    free(out);
    return 0;
}
