// Command plugin is the c-shared library flb-filter_sigma.so: the Fluent
// Bit filter "sigma". It holds only the boundary with Fluent Bit; records
// are filtered by package filter and rules are compiled by package rules.
//
// # Symbols
//
// The library exports one symbol (plugin/exports.map hides the rest):
//
//	struct flb_filter_plugin filter_sigma_plugin;  // 88 bytes, copied by Fluent Bit at load
//
// Its callbacks are C statics in abi.c that call the Go exports below:
//
//	int cb_sigma_init(struct flb_filter_instance *ins, struct flb_config *config, void *data);
//	    -> int sigma_go_init(void *ins)
//	int cb_sigma_filter(const void *data, size_t bytes, const char *tag, int tag_len,
//	                    void **out_buf, size_t *out_bytes, struct flb_filter_instance *f_ins,
//	                    struct flb_input_instance *i_ins, void *context, struct flb_config *config);
//	    -> int sigma_go_filter(uintptr_t handle, void *data, size_t bytes, void **out_buf, size_t *out_bytes)
//	int cb_sigma_exit(void *context, struct flb_config *config);
//	    -> int sigma_go_exit(uintptr_t handle)
//
// The config map (filter_sigma_plugin.config_map) is one of two static
// arrays with the same entries, 96-byte entries for Fluent Bit before 5.0.3
// and 104-byte entries from 5.0.3; a load-time constructor picks the one
// of the running Fluent Bit by looking for flb_config_map_translate_dynamic,
// which exists exactly from 5.0.3. Entries have set_property 0: Fluent Bit
// checks property names against the map (a typo stops it) and Go reads the
// values with flb_filter_get_property, applying the defaults itself.
//
// Resolved from the Fluent Bit executable with dlsym(RTLD_DEFAULT, ...):
// flb_filter_get_property, flb_filter_set_context, flb_filter_name,
// flb_log_print. The instance log level is read at offset 8 of struct
// flb_filter_instance (after int event_type and int id; unchanged from
// 3.2.0 to 5.1.1), the check flb_plg_* macros make.
//
// Metrics (metrics.c, metrics.go): cmt_counter_create, cmt_counter_add,
// cmt_gauge_create, cmt_gauge_set and cfl_time_now are resolved the same
// way, and the instance's struct cmt is read from struct
// flb_filter_instance (offset 144; 136 in builds without FLB_HAVE_REGEX)
// only after cb_init has checked the layout: flb_filter_name returns the
// alias or the name field at their offsets, and the pointer at offset 96
// (88) is readable and is Fluent Bit's copy of filter_sigma_plugin (same
// name pointer and callbacks). Otherwise one warning, and no metrics. The
// metrics belong to the cmt, which Fluent Bit destroys after cb_exit;
// cmetrics copies every name and label value, and the plugin frees its
// own copies at exit.
//
// # Ownership
//
//   - The instance is a Go value behind a runtime/cgo.Handle; the handle (a
//     non-zero integer) is the filter context Fluent Bit stores and passes
//     back. cb_sigma_exit deletes it. A failed init sets no context, so
//     Fluent Bit never calls filter or exit for that instance.
//   - The input chunk is aliased, never copied or retained: it is valid
//     only during the callback.
//   - out_buf is allocated with malloc and handed to Fluent Bit, which frees
//     it with free(). It is set only with FLB_FILTER_MODIFIED; a MODIFIED
//     result with out_bytes 0 drops the chunk (match_only with no match).
//
// # Thread safety
//
// Every callback may run concurrently with the others on different threads
// (the filter as a processor on threaded inputs or output workers): the
// instance is immutable after init and each call takes its scratch from a
// pool.
//
// # Faults
//
// Each Go export recovers panics: a failed init returns -1 with the reason
// logged; a failed filter call returns FLB_FILTER_NOTOUCH, so the chunk
// passes on unchanged. Fluent Bit re-installs plain SIGSEGV and SIGFPE
// handlers on SIGHUP and SIGCONT, which would turn any Go fault into an
// abort; Go's handlers are saved when the library loads, and every callback
// first puts them back if they were replaced (one sigaction read per
// signal per call).
package main
