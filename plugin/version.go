package main

/*
int sigma_map_entry_size(void);
*/
import "C"

import (
	"fmt"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/version"
)

// The release this library was built as (the C description that
// `fluent-bit -F sigma -h` prints carries the same value).
var release = version.Version

// configMapLayout says which config-map layout the library picked when it
// was loaded (sigma_resolve in abi.c). The exact Fluent Bit version is a
// compile-time macro of Fluent Bit that a plugin cannot read; the layout
// is what the plugin can tell, and what it depends on.
func configMapLayout() string {
	size := int(C.sigma_map_entry_size())
	if size == 104 {
		return fmt.Sprintf("Fluent Bit 5.0.3 or later (%d-byte config map entries)", size)
	}
	return fmt.Sprintf("Fluent Bit before 5.0.3 (%d-byte config map entries)", size)
}
