// Command sigma-check runs Sigma rules over JSON events and Windows .evtx
// files with exactly the engine and record handling of the sigma Fluent
// Bit filter, so rules can be tried before they are deployed and exported
// logs hunted over.
//
//	sigma-check [-all] [-fail-on-match] [-summary] [-output jsonl|csv] [-PROPERTY VALUE ...] [FILE|DIR|-]...
//
// Every property of the filter that means something offline is a flag, its
// name with - for _ (-rules, -min-level, -text-key, ...), with the filter's
// default and validation. JSON input holds objects: one per line, a JSON
// array of them, or objects simply concatenated. A file that starts with
// the EVTX signature is read as an .evtx file (package internal/evtx),
// each record an event in the shape evtx_dump gives it; a corrupt record
// or chunk is reported and skipped, a file that cannot be read is
// reported, and the other files are read (as after a JSON error, with exit
// status 2 at the end). Files are read in the order
// given; a directory gives its *.json, *.jsonl, *.ndjson and *.evtx files,
// searched recursively in lexical order; - (or no argument) is stdin.
// Output is JSON lines: each event that matched, with the filter's key
// added (every event with -all); -output csv writes one row per match
// instead, -summary one line or row per rule. A report per .evtx file and
// a total go to stderr, with a progress line when stderr is a terminal.
// Exit status: 0 done, 1 matches or correlation alerts found and
// -fail-on-match given, 2 error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("sigma-check", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // errors are reported below, in one line
	var opts options
	flags.BoolVar(&opts.all, "all", false, "print every event, not only those that matched")
	failOnMatch := flags.Bool("fail-on-match", false, "exit with status 1 when any event matched or any correlation alert was written")
	showVersion := flags.Bool("version", false, "print the version and exit")
	flags.BoolVar(&opts.summary, "summary", false,
		"print one line per rule that matched (hits, first and last event time, files) instead of the events")
	output := flags.String("output", "jsonl", "output: jsonl (the events as JSON lines) or csv (one row per match)")
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
	if opts.csv = *output == "csv"; !opts.csv && *output != "jsonl" {
		fmt.Fprintf(stderr, "sigma-check: -output %q: want jsonl or csv\n", *output)
		return 2
	}
	cfg, err := filter.ParseConfig(props.get)
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	cfg.Offline = true // event time from the events' own fields, never the clock
	names, problems, err := inputs(flags.Args())
	if err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, "sigma-check:", p)
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

	// An input that cannot be read, or holds a JSON error, is reported
	// and the others are read (exit status 2 at the end); only an output
	// error stops at once.
	c := newChecker(f, stdout, stderr, opts, names)
	failed := len(problems) > 0
	for _, name := range names {
		if err := c.input(name, stdin); err != nil {
			fmt.Fprintln(stderr, "sigma-check:", quoteControls(err.Error()))
			if errors.As(err, new(errOutput)) {
				return 2
			}
			failed = true
		}
	}
	if err := c.finish(); err != nil {
		fmt.Fprintln(stderr, "sigma-check:", err)
		return 2
	}
	alerts := c.correlationAlerts()
	total := fmt.Sprintf("sigma-check: %d event(s), %d matched", c.events, c.matched)
	if alerts > 0 {
		total += fmt.Sprintf(", %d correlation alert(s)", alerts)
	}
	fmt.Fprintf(stderr, "%s, %d rule(s)\n", total, f.Rules().Len())
	if n := f.UntimedRecords(); n > 0 {
		fmt.Fprintf(stderr, "sigma-check: %d event(s) matching a correlation's rule had no event time (no time field, -time-key or event with one before them): correlations did not count them\n", n)
	}
	switch {
	case failed:
		return 2
	case (c.matched > 0 || alerts > 0) && *failOnMatch:
		return 1
	}
	return 0
}

// quoteControls makes control characters of a message (an input's bytes
// quoted in a JSON error) visible escapes, so that they cannot move the
// cursor or set a terminal's title.
func quoteControls(msg string) string {
	var b strings.Builder
	for _, r := range msg {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			fmt.Fprintf(&b, "%q", string(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func usage(flags *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, "usage: sigma-check [flags] [FILE|DIR|-]...")
	fmt.Fprintln(w, "Runs Sigma rules over JSON events and .evtx files as the sigma filter does. A directory")
	fmt.Fprintln(w, "gives its *.json, *.jsonl, *.ndjson and *.evtx files (recursively); - or no argument reads stdin.")
	fmt.Fprintln(w, "The flags other than -all, -fail-on-match, -output, -summary and -version are the")
	fmt.Fprintln(w, "filter's properties.")
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

// regular reports whether path is a regular file, after links.
func regular(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// eventExts are the extensions of the event files read from a directory.
var eventExts = []string{".json", ".jsonl", ".ndjson", ".evtx"}

// eventFiles appends the event files under dir, following links to
// directories (the dir given may be one, as rules paths may) and walking
// each directory once, however many links and paths lead to it: walked
// holds every directory entered so far, of every call. What cannot be
// read is appended to problems, and the walk goes on.
func eventFiles(dir string, names []string, problems []error, walked *[]os.FileInfo) ([]string, []error) {
	// first reports whether the directory at path is entered for the first
	// time, and notes it.
	first := func(path string) (bool, error) {
		info, err := os.Stat(path)
		if err != nil {
			return false, err
		}
		for _, w := range *walked {
			if os.SameFile(w, info) {
				return false, nil // a loop, or a second way to one directory
			}
		}
		*walked = append(*walked, info)
		return true, nil
	}
	// The separator makes WalkDir enter dir when dir is itself a link.
	filepath.WalkDir(dir+string(filepath.Separator), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			// A directory that cannot be read (WalkDir calls again for
			// it, after its entry): reported, passed over.
			problems = append(problems, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if ok, err := first(path); !ok {
				if err != nil {
					problems = append(problems, err)
				}
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if target, err := os.Stat(path); err == nil && target.IsDir() {
				names, problems = eventFiles(path, names, problems, walked)
				return nil
			}
		}
		if !slices.Contains(eventExts, strings.ToLower(filepath.Ext(path))) {
			return nil
		}
		if _, err := os.Stat(path); err != nil {
			// A link to nothing: an event file that is not there.
			problems = append(problems, err)
		} else if regular(path) {
			names = append(names, path)
		}
		return nil
	})
	return names, problems
}

// inputs expands the arguments into the inputs to read, in order: a
// directory gives its event files (eventExts, recursively, in lexical
// order; only regular files, or links to them: a named pipe called x.json
// would block the read), a file named as an argument is read whatever it
// is, and - (or no argument at all) is stdin, which can be read once. An
// argument that is not there, a directory without event files, an event
// file in one that is a link to nothing, or a directory inside that
// cannot be read is a problem, reported while the rest is read; stdin
// named twice is an error.
func inputs(args []string) (names []string, problems []error, err error) {
	if len(args) == 0 {
		return []string{"-"}, nil, nil
	}
	for _, arg := range args {
		if arg == "-" {
			if slices.Contains(names, "-") {
				return nil, nil, errors.New("stdin (-) given more than once")
			}
			names = append(names, arg)
			continue
		}
		info, err := os.Stat(arg)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		if !info.IsDir() {
			names = append(names, arg)
			continue
		}
		before, hadProblems := len(names), len(problems)
		var walked []os.FileInfo
		names, problems = eventFiles(arg, names, problems, &walked)
		if len(names) == before && len(problems) == hadProblems {
			problems = append(problems, fmt.Errorf("%s: no event files (%s) in the directory", arg, "*"+strings.Join(eventExts, ", *")))
		}
	}
	return names, problems, nil
}
