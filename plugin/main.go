package main

/*
#include <stdlib.h>
#include "abi.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Mirrors of the C return codes.
const (
	flbFilterModified = C.SIGMA_FLB_FILTER_MODIFIED
	flbFilterNotouch  = C.SIGMA_FLB_FILTER_NOTOUCH
)

func main() {}

// init saves the signal handlers in place when the library is loaded: the
// runtime installs Go's before it runs package inits, and Fluent Bit may
// put plain ones over them (on SIGHUP, SIGCONT) before any sigma instance
// starts, so the first init would be too late to tell which are Go's.
func init() { C.sigma_signals_save_once() }

//export sigma_go_init
func sigma_go_init(ins unsafe.Pointer) (ret C.int) {
	log := &logger{ins: ins}
	defer func() {
		if r := recover(); r != nil { // from the logger or the C calls
			ret = -1
		}
	}()
	name := C.GoString(C.sigma_instance_name(ins))
	inst, err := initFenced(log, name, propertyGetter(ins))
	if err != nil {
		log.errorf("%v", err)
		return -1
	}
	inst.metrics = openMetrics(ins, name, inst)
	C.sigma_set_context(ins, C.uintptr_t(cgo.NewHandle(inst)))
	return 0
}

// initFenced creates the instance, turning a panic into an error: Fluent
// Bit then stops with the message, and nothing of the instance is left
// (newInstance stops its refresh goroutine and leaves lastGood as it was).
func initFenced(log logSink, name string, get func(string) (string, bool)) (inst *instance, err error) {
	defer func() {
		if r := recover(); r != nil {
			inst, err = nil, fmt.Errorf("init failed: internal error: %v", r)
		}
	}()
	return newInstance(log, name, get)
}

//export sigma_go_filter
func sigma_go_filter(h C.uintptr_t, data unsafe.Pointer, size C.size_t, outBuf *unsafe.Pointer, outSize *C.size_t) (ret C.int) {
	var inst *instance
	defer func() {
		if r := recover(); r != nil {
			if inst != nil {
				inst.recovered.Add(1)
				inst.panics.report(inst.log.errorf, "filter: internal error, chunk passed through unchanged: %v", r)
			}
			ret = flbFilterNotouch
		}
	}()
	// Value panics on a handle that is not live; the fence above catches it.
	inst, _ = cgo.Handle(h).Value().(*instance)
	if inst == nil {
		return flbFilterNotouch
	}
	// The chunk is aliased, not copied: it is valid only during this call.
	chunk := unsafe.Slice((*byte)(data), int(size))
	out, changed := inst.process(chunk)
	if !changed {
		return flbFilterNotouch
	}
	defer inst.release(out)
	if len(out.buf) == 0 {
		// Every record was dropped (match_only).
		*outBuf, *outSize = nil, 0
		return flbFilterModified
	}
	n := len(out.buf)
	p := C.sigma_malloc(C.size_t(n))
	if p == nil {
		inst.panics.report(inst.log.errorf, "filter: out of memory for a %d byte chunk, passed through unchanged", n)
		return flbFilterNotouch
	}
	copy(unsafe.Slice((*byte)(p), n), out.buf)
	// The core owns the buffer now and frees it with free().
	*outBuf, *outSize = p, C.size_t(n)
	return flbFilterModified
}

//export sigma_go_exit
func sigma_go_exit(h C.uintptr_t) (ret C.int) {
	handle := cgo.Handle(h)
	defer func() {
		if r := recover(); r != nil {
			ret = -1
		}
	}()
	defer handle.Delete()
	if inst, ok := handle.Value().(*instance); ok {
		inst.close()
	}
	return 0
}

// propertyGetter reads properties through flb_filter_get_property, which
// returns only the values the user set.
func propertyGetter(ins unsafe.Pointer) func(string) (string, bool) {
	return func(name string) (string, bool) {
		key := C.CString(name)
		defer C.free(unsafe.Pointer(key))
		v := C.sigma_get_property(ins, key)
		if v == nil {
			return "", false
		}
		return C.GoString(v), true
	}
}

// logger writes to Fluent Bit's log like flb_plg_*: the level is checked
// before formatting, and messages carry [filter:sigma:<instance>].
type logger struct {
	ins unsafe.Pointer
}

func (l *logger) logf(level C.int, format string, args ...any) {
	if C.sigma_log_enabled(l.ins, level) == 0 {
		return
	}
	msg := C.CString(fmt.Sprintf(format, args...))
	defer C.free(unsafe.Pointer(msg))
	C.sigma_log(l.ins, level, msg)
}

func (l *logger) errorf(format string, args ...any) { l.logf(C.SIGMA_FLB_LOG_ERROR, format, args...) }
func (l *logger) warnf(format string, args ...any)  { l.logf(C.SIGMA_FLB_LOG_WARN, format, args...) }
func (l *logger) infof(format string, args ...any)  { l.logf(C.SIGMA_FLB_LOG_INFO, format, args...) }
