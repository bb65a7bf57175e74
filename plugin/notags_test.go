//go:build !sigmatest

package main

import "testing"

// TestCBoundaryNeedsTag says where the tests of the C boundary went: they
// call C that only -tags sigmatest builds (see testhooks.c).
func TestCBoundaryNeedsTag(t *testing.T) {
	t.Skip("the ABI, config map, signal and C->Go call tests run with -tags sigmatest (make test)")
}
