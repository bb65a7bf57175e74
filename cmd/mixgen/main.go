// Command mixgen writes the realistic mixed Windows event stream of
// internal/mixgen as JSON lines, for measuring the filter inside a real
// Fluent Bit (tail with a json parser, the sigma filter, null output) by
// hand. It is a development tool, not part of the release archives.
//
//	mixgen [-n 100000] [-seed 1] [-shape flat|evtx] [-regression DIR] > events.jsonl
//
// -regression mixes in the evtx JSON events found under DIR (SigmaHQ's
// regression_data) at about 1% of the stream.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/mixgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mixgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 100000, "number of events")
	seed := fs.Uint64("seed", 1, "the stream's seed: the same seed writes the same events")
	shapeName := fs.String("shape", "flat", "record shape: flat (top-level fields) or evtx (Event.System, Event.EventData)")
	regression := fs.String("regression", "", "directory of evtx JSON events to mix in at about 1% (SigmaHQ's regression_data)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	shape, err := mixgen.ParseShape(*shapeName)
	if err != nil || fs.NArg() > 0 || *n < 0 {
		if err == nil {
			err = fmt.Errorf("mixgen: unexpected arguments %q or negative -n", fs.Args())
		}
		fmt.Fprintln(stderr, err)
		return 2
	}
	opts := mixgen.Options{Seed: *seed}
	if *regression != "" {
		if opts.Regression, err = mixgen.ReadRegression(*regression); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	g := mixgen.New(opts)
	w := bufio.NewWriterSize(stdout, 1<<16)
	var line []byte
	for i := 0; i < *n; i++ {
		line = mixgen.AppendJSONLine(line[:0], shape, g.Next())
		if _, err := w.Write(line); err != nil {
			fmt.Fprintln(stderr, "mixgen:", err)
			return 1
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(stderr, "mixgen:", err)
		return 1
	}
	return 0
}
