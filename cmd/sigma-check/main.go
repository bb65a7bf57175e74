// Command sigma-check runs Sigma rules over JSON events with exactly the
// engine and record handling of the sigma Fluent Bit filter, so rules can be
// tried before they are deployed.
//
//	sigma-check [-rules PATHS] [-all] [-add-key KEY] [-fail-on-match] [FILE|-]
//
// Input holds JSON objects: one per line, a JSON array of them, or objects
// simply concatenated. Output is JSON lines: each event that matched, with
// the filter's key added (every event with -all). A summary goes to stderr.
// Exit status: 0 done, 1 matches found and -fail-on-match given, 2 error.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sigma-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rulePaths := fs.String("rules", "", "comma-separated rule files and directories (default: the embedded rule)")
	all := fs.Bool("all", false, "print every event, not only those that matched")
	addKey := fs.String("add-key", filter.DefaultAddKey, "key that receives the matches")
	failOnMatch := fs.Bool("fail-on-match", false, "exit with status 1 when any event matched")
	jsonKey := fs.String("json-key", "", "as the filter's json_key: keys that may carry the event as JSON or XML text (default log,message,System)")
	fieldMap := fs.String("field-map", "", "as the filter's field_map: YAML file of extra record paths per field")
	format := fs.String("format", "", "as the filter's format: sigma (default), ecs or flat")
	tagKey := fs.String("tag-key", "", "as the filter's tag_key: also set this key to true in matching records")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sigma-check [flags] [FILE|-]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	props := map[string]string{"add_key": *addKey}
	for name, v := range map[string]string{"rules": *rulePaths, "json_key": *jsonKey, "field_map": *fieldMap,
		"format": *format, "tag_key": *tagKey} {
		if v != "" {
			props[name] = v
		}
	}
	cfg, err := filter.ParseConfig(func(name string) (string, bool) { v, ok := props[name]; return v, ok })
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	f, err := filter.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	for _, s := range f.Report().Skipped {
		fmt.Fprintln(stderr, "sigma-check: rule skipped:", s.Error())
	}

	in := stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		file, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, "sigma-check:", err)
			return 2
		}
		defer file.Close()
		in = file
	}
	chunk, events, err := textevent.ReadEvents(in, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	w := bufio.NewWriter(stdout)
	matched, err := printEvents(w, f, chunk, *all)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	fmt.Fprintf(stderr, "sigma-check: %d event(s), %d matched, %d rule(s)\n", events, matched, f.Rules().Len())
	if matched > 0 && *failOnMatch {
		return 1
	}
	return 0
}

// printEvents runs each event of chunk through f and writes the body of
// each one that matched (every one with all) as a JSON line. An event
// matched when the filter changed it, whatever the format writes.
func printEvents(w io.Writer, f *filter.Filter, chunk []byte, all bool) (matched int, err error) {
	s := jsoniter.NewStream(jsoniter.ConfigDefault, w, 64<<10)
	var out []byte
	for off := 0; off < len(chunk); {
		end, err := msgpack.Skip(chunk, off)
		if err != nil {
			return matched, err
		}
		event := chunk[off:end]
		off = end
		var changed bool
		out, changed, err = f.Process(out[:0], event)
		if err != nil {
			return matched, err
		}
		if changed {
			matched++
			event = out
		} else if !all {
			continue
		}
		_, p, err := msgpack.ReadArrayHeader(event, 0)
		if err != nil {
			return matched, err
		}
		body, err := msgpack.Skip(event, p)
		if err != nil {
			return matched, err
		}
		if _, err := textevent.WriteMsgpack(s, event, body); err != nil {
			return matched, err
		}
		s.WriteRaw("\n")
		if err := s.Flush(); err != nil {
			return matched, err
		}
	}
	return matched, nil
}
