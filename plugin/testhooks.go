//go:build sigmatest

package main

/*
#include <stdlib.h>
#include "abi.h"
#include "testhooks.h"
*/
import "C"

import "unsafe"

// Go views of testhooks.c and of the C declarations, for the tests of the
// C boundary (test files cannot import "C"). Built only with -tags
// sigmatest (make test, make bench), so the plugin library carries none of
// it.

type abiLayout struct {
	PluginSize, PluginCbInit, PluginCbFilter, PluginCbExit, PluginConfigMap, PluginHead uintptr
	MapSizeV1, MapSizeV2, MapDesc, MapValue, SelectedMapSize                            uintptr
}

func layout() abiLayout {
	l := C.sigma_abi_layout()
	return abiLayout{
		PluginSize: uintptr(l.plugin_size), PluginCbInit: uintptr(l.plugin_cb_init),
		PluginCbFilter: uintptr(l.plugin_cb_filter), PluginCbExit: uintptr(l.plugin_cb_exit),
		PluginConfigMap: uintptr(l.plugin_config_map), PluginHead: uintptr(l.plugin_head),
		MapSizeV1: uintptr(l.map_size_v1), MapSizeV2: uintptr(l.map_size_v2),
		MapDesc: uintptr(l.map_desc), MapValue: uintptr(l.map_value),
		SelectedMapSize: uintptr(l.selected_map_size),
	}
}

type configMapEntry struct {
	Type                       int
	Name, Default, Description string
}

// configMap returns the entries of the C config map.
func configMap() []configMapEntry {
	var out []configMapEntry
	for i := 0; ; i++ {
		var typ C.int
		var name, def, desc *C.char
		if C.sigma_config_map_entry(C.int(i), &typ, &name, &def, &desc) == 0 {
			return out
		}
		e := configMapEntry{Type: int(typ), Name: C.GoString(name), Description: C.GoString(desc)}
		if def != nil {
			e.Default = C.GoString(def)
		}
		out = append(out, e)
	}
}

// Signal-handler hooks for the tests: save Go's handlers as cb_init does,
// replace them as Fluent Bit does on SIGHUP, and tell whether the
// replacement is in place.
func saveSignals()                { C.sigma_signals_save_once() }
func installPlainHandlers()       { C.sigma_test_install_plain_handlers() }
func plainHandlerInstalled() bool { return C.sigma_test_plain_handler_installed() != 0 }
func signalsSaved() bool          { return C.sigma_signals_saved() != 0 }

// callFilter runs chunk through the C callback Fluent Bit calls, for the
// C->Go call benchmark. It returns the callback's result and frees any
// output as the core would.
func callFilter(h uintptr, chunk []byte) int {
	var out unsafe.Pointer
	var n C.size_t
	ret := C.sigma_call_filter(C.uintptr_t(h), unsafe.Pointer(&chunk[0]), C.size_t(len(chunk)), &out, &n)
	C.free(out)
	return int(ret)
}

// callExit calls the exit callback as Fluent Bit does.
func callExit(h uintptr) int { return int(sigma_go_exit(C.uintptr_t(h))) }
