//go:build sigmatest

package main

import (
	"os"
	"runtime"
	"runtime/cgo"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// The tests of the C boundary: they call the C of testhooks.c, built only
// with -tags sigmatest (make test does).

func TestABILayout(t *testing.T) {
	l := layout()
	want := abiLayout{
		PluginSize: 88, PluginCbInit: 40, PluginCbFilter: 48, PluginCbExit: 56, PluginConfigMap: 24, PluginHead: 72,
		MapSizeV1: 96, MapSizeV2: 104, MapDesc: 40, MapValue: 48,
		// This test binary does not export flb_config_map_translate_dynamic,
		// so it looks like Fluent Bit before v5.0.3.
		SelectedMapSize: 96,
	}
	if l != want {
		t.Errorf("got %+v\nwant %+v", l, want)
	}
}

// TestConfigMapMatchesProperties keeps the C config map (what Fluent Bit
// validates and prints with -h) in step with what filter.ParseConfig reads.
func TestConfigMapMatchesProperties(t *testing.T) {
	types := map[string]int{"string": 0, "bool": 3}
	got := configMap()
	if len(got) != len(filter.Properties) {
		t.Fatalf("config map has %d entries, filter.Properties %d", len(got), len(filter.Properties))
	}
	for i, p := range filter.Properties {
		want := configMapEntry{Type: types[p.Type], Name: p.Name, Default: p.Default, Description: p.Description}
		if got[i] != want {
			t.Errorf("entry %d: got %+v\nwant %+v", i, got[i], want)
		}
	}
}

// TestPanicFenceAfterHandlersReplaced replaces Go's signal handlers the way
// Fluent Bit does on SIGHUP, then makes the filter callback fault on a nil
// dereference. The callback must put Go's handlers back, Go must turn the
// fault into a panic, the fence must recover it, and the chunk must pass
// through unchanged. Without the restore this test binary aborts.
func TestPanicFenceAfterHandlersReplaced(t *testing.T) {
	saveSignals()
	log := &recorder{}
	broken := &instance{log: log, panics: limiter{every: time.Minute}} // no filter: Process dereferences nil
	h := cgo.NewHandle(broken)
	defer h.Delete()

	installPlainHandlers()
	if !plainHandlerInstalled() {
		t.Fatal("could not install the plain handler")
	}
	chunk := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.UnsignedNodeLoad(1))
	if ret := callFilter(uintptr(h), chunk); ret != flbFilterNotouch {
		t.Errorf("callback returned %d, want NOTOUCH (%d)", ret, flbFilterNotouch)
	}
	if plainHandlerInstalled() {
		t.Error("Go's SIGSEGV handler was not restored")
	}
	if !strings.Contains(log.text(), "error: filter: internal error, chunk passed through unchanged") {
		t.Errorf("the recovered panic was not logged at error level:\n%s", log.text())
	}
	if n := broken.recovered.Load(); n != 1 {
		t.Errorf("recovered panics counted: %d, want 1", n)
	}
}

// savedAtLoad is whether Go's signal handlers were saved before any test
// ran (and saved them itself): by the library's init, as in Fluent Bit.
var savedAtLoad bool

func TestMain(m *testing.M) {
	savedAtLoad = signalsSaved()
	os.Exit(m.Run())
}

// TestHandlersReplacedBeforeAnyInit: Fluent Bit may replace Go's handlers
// (a SIGHUP whose new configuration is the first with a sigma instance)
// before any instance starts. Go's were saved when the library loaded, so
// the filter callback still puts them back and the fence recovers a fault.
func TestHandlersReplacedBeforeAnyInit(t *testing.T) {
	if !savedAtLoad {
		t.Fatal("the handlers were not saved when the library loaded")
	}
	installPlainHandlers()
	saveSignals() // what a first init would have done
	broken := &instance{log: &recorder{}, panics: limiter{every: time.Minute}}
	h := cgo.NewHandle(broken)
	defer h.Delete()
	chunk := fixture.Event(nil, fixture.Time(fixture.Epoch), nil, fixture.UnsignedNodeLoad(1))
	if ret := callFilter(uintptr(h), chunk); ret != flbFilterNotouch || broken.recovered.Load() != 1 {
		t.Errorf("callback returned %d with %d panics recovered, want NOTOUCH and 1", ret, broken.recovered.Load())
	}
	if plainHandlerInstalled() {
		t.Error("Go's SIGSEGV handler was not restored")
	}
}

// TestInitAndExitFences: a panic during init becomes a clear error and no
// instance; a panic during exit (an instance without a filter, a handle
// that is not live) is recovered and reported as a failed exit.
func TestInitAndExitFences(t *testing.T) {
	before := runtime.NumGoroutine()
	inst, err := initFenced(&recorder{}, "", func(name string) (string, bool) {
		if name == "stats_interval" {
			panic("property store corrupted")
		}
		return "", false
	})
	if inst != nil || err == nil || !strings.Contains(err.Error(), "init failed: internal error: property store corrupted") {
		t.Errorf("got %v, %v", inst, err)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left behind by a failed init", n-before)
	}

	broken := cgo.NewHandle(&instance{log: &recorder{}}) // close() dereferences the nil Live
	if ret := callExit(uintptr(broken)); ret != -1 {
		t.Errorf("exit with a broken instance returned %d, want -1", ret)
	}
	if ret := callExit(uintptr(broken)); ret != -1 { // deleted by the first call: not live now
		t.Errorf("exit with a stale handle returned %d, want -1", ret)
	}
	good, err := initFenced(&recorder{}, "", props(nil))
	if err != nil {
		t.Fatal(err)
	}
	if ret := callExit(uintptr(cgo.NewHandle(good))); ret != 0 {
		t.Errorf("exit returned %d", ret)
	}
}
