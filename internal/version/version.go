// Package version holds the release the library and sigma-check were built
// as: make sets Version from git describe (-ldflags -X, see VERSION_FLAG in
// the Makefile), and the library's C description from the same value
// (-DSIGMA_VERSION); a plain go build leaves "dev".
package version

// Version is the release, or "dev".
var Version = "dev"
