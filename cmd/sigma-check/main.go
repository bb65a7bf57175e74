// Command sigma-check runs Sigma rules over JSON events with exactly the
// engine and record handling of the sigma Fluent Bit filter, so rules can be
// tried before they are deployed.
//
//	sigma-check [-all] [-fail-on-match] [-PROPERTY VALUE ...] [FILE|DIR|-]...
//
// Every property of the filter that means something offline is a flag, its
// name with - for _ (-rules, -min-level, -text-key, ...), with the filter's
// default and validation. Input holds JSON objects: one per line, a JSON
// array of them, or objects simply concatenated. Files are read in the
// order given; a directory gives its *.json, *.jsonl and *.ndjson files,
// searched recursively in lexical order; - (or no argument) is stdin.
// Output is JSON lines: each event that matched, with the filter's key
// added (every event with -all). A summary goes to stderr. Exit status: 0
// done, 1 matches found and -fail-on-match given, 2 error.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("sigma-check", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // errors are reported below, in one line
	all := flags.Bool("all", false, "print every event, not only those that matched")
	failOnMatch := flags.Bool("fail-on-match", false, "exit with status 1 when any event matched")
	showVersion := flags.Bool("version", false, "print the version and exit")
	props := propertyFlags(flags)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(flags, stderr)
			return 0
		}
		fmt.Fprintf(stderr, "sigma-check: %v (sigma-check -h lists the flags)\n", err)
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "sigma-check", version.Version)
		return 0
	}
	cfg, err := filter.ParseConfig(props.get)
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	names, err := inputs(flags.Args())
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
	for _, u := range f.Report().UnusedFilters {
		fmt.Fprintln(stderr, "sigma-check:", u.Error())
	}

	w := bufio.NewWriter(stdout)
	events, matched := 0, 0
	for _, name := range names {
		n, m, err := checkInput(w, f, name, stdin, *all)
		events, matched = events+n, matched+m
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		if err != nil {
			fmt.Fprintln(stderr, "sigma-check:", err)
			return 2
		}
	}
	fmt.Fprintf(stderr, "sigma-check: %d event(s), %d matched, %d rule(s)\n", events, matched, f.Rules().Len())
	if matched > 0 && *failOnMatch {
		return 1
	}
	return 0
}

func usage(flags *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "usage: sigma-check [flags] [FILE|DIR|-]...")
	fmt.Fprintln(w, "Runs Sigma rules over JSON events as the sigma filter does. A directory gives its")
	fmt.Fprintln(w, "*.json, *.jsonl and *.ndjson files (recursively); - or no argument reads stdin.")
	fmt.Fprintln(w, "The flags other than -all, -fail-on-match and -version are the filter's properties.")
	flags.SetOutput(w)
	flags.PrintDefaults()
}

// propFlag is the flag of one filter property. It keeps the value as
// given, for filter.ParseConfig, and checks it as the filter would, so a
// bad value is reported with the flag's name.
type propFlag struct {
	prop  filter.Property
	value string
	set   bool
}

func (f *propFlag) String() string {
	if f == nil {
		return ""
	}
	return f.value
}

func (f *propFlag) Set(v string) error {
	if err := f.prop.Check(v); err != nil {
		return err
	}
	f.value, f.set = v, true
	return nil
}

// IsBoolFlag lets a boolean property be given alone (-strict).
func (f *propFlag) IsBoolFlag() bool { return f.prop.Type == filter.TypeBool }

// propFlags are the property flags by property name.
type propFlags map[string]*propFlag

func (p propFlags) get(name string) (string, bool) {
	if f := p[name]; f != nil && f.set {
		return f.value, true
	}
	return "", false
}

// flagName is the flag of a property: its name with - for _.
func flagName(p filter.Property) string { return strings.ReplaceAll(p.Name, "_", "-") }

// propertyFlags defines a flag for every property of the filter that means
// something offline, with the filter's default and description.
func propertyFlags(flags *flag.FlagSet) propFlags {
	props := propFlags{}
	for _, p := range filter.Properties {
		if !p.Offline {
			continue
		}
		f := &propFlag{prop: p, value: p.Default}
		flags.Var(f, flagName(p), p.Description)
		props[p.Name] = f
	}
	return props
}

// eventExts are the extensions of the event files read from a directory.
var eventExts = []string{".json", ".jsonl", ".ndjson"}

// inputs expands the arguments into the inputs to read, in order: a
// directory gives its event files (eventExts, recursively, in lexical
// order), a file is read whatever its extension, and - (or no argument at
// all) is stdin, which can be read once.
func inputs(args []string) ([]string, error) {
	if len(args) == 0 {
		return []string{"-"}, nil
	}
	var names []string
	for _, arg := range args {
		if arg == "-" {
			if slices.Contains(names, "-") {
				return nil, errors.New("stdin (-) given more than once")
			}
			names = append(names, arg)
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			names = append(names, arg)
			continue
		}
		found := 0
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains(eventExts, strings.ToLower(filepath.Ext(path))) {
				names = append(names, path)
				found++
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no event files (%s) in the directory", arg, "*"+strings.Join(eventExts, ", *"))
		}
	}
	return names, nil
}

// checkInput reads the events of one input (name, or stdin for -) and
// prints those that matched, or all.
func checkInput(w io.Writer, f *filter.Filter, name string, stdin io.Reader, all bool) (events, matched int, err error) {
	in := stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return 0, 0, err
		}
		defer file.Close()
		in = file
	} else {
		name = "stdin"
	}
	chunk, events, err := textevent.ReadEvents(in, time.Now())
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	matched, err = printEvents(w, f, chunk, all)
	if err != nil {
		return events, matched, fmt.Errorf("%s: %w", name, err)
	}
	return events, matched, nil
}

// printEvents runs each event of chunk through f and writes the body of
// each one that matched (every one with all, but for those match_only
// drops) as a JSON line. An event matched when the filter changed it,
// whatever the format writes.
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
		if changed && len(out) == 0 {
			continue // dropped: match_only and no match
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
