package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	sigma "github.com/bradleyjkemp/sigma-go"
	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

//go:embed default/*.yml
var defaultRules embed.FS

// MaxRuleFileSize bounds one rule file (and a placeholders file). SigmaHQ's largest is under 100 KiB;
// anything near this limit is not a rule file, and refusing it keeps a
// misconfigured path from stalling start-up. It also bounds what parsing
// costs before maxDocumentNodes can be checked: YAML of two bytes a node
// ("[a,a,a,...") takes about 120 bytes a node to parse.
const MaxRuleFileSize = 1 << 20

// maxDocumentNodes bounds the YAML nodes of one document, its aliases
// expanded (SigmaHQ's largest rule has about 4,500). Decoding a rule
// costs some hundreds of bytes a node, and an alias repeated over many
// fields is decoded once per field, past yaml.v3's own alias check: a 59
// KB file of such aliases took 1.9 GiB.
const maxDocumentNodes = 1 << 17

// ErrNoRules is returned when loading ends with an empty set.
var ErrNoRules = errors.New("rules: no rule loaded")

// Source is one rule file's content and the name used in messages.
type Source struct {
	Name string
	Data []byte
}

// Skipped records a rule, or a whole file, that was not loaded and why.
type Skipped struct {
	File  string
	ID    string // empty when the file could not be parsed far enough
	Title string
	Err   error
}

func (s Skipped) Error() string {
	if ce := (*CompileError)(nil); errors.As(s.Err, &ce) {
		return ce.Error()
	}
	return (&CompileError{File: s.File, RuleID: s.ID, Err: s.Err}).Error()
}

// Options select rules and supply what some rules need.
type Options struct {
	// Placeholders are the values of %name% placeholders for the expand
	// modifier.
	Placeholders map[string][]string
	// MinLevel drops rules below this level (LevelUnknown keeps all).
	MinLevel Level
	// Statuses keeps only rules with one of these statuses; nil keeps all
	// but deprecated and unsupported.
	Statuses []string
	// IncludeTags keeps only rules with at least one of these tags;
	// ExcludeTags drops rules with any of them. Case-insensitive.
	IncludeTags, ExcludeTags []string
	// RuleIDs keeps only these rules.
	RuleIDs []string
	// MaxEntries bounds the directory entries Load visits walking the
	// rule directories (files, directories and anything else), and
	// MaxBytes the bytes it reads from rule files; zero means
	// DefaultMaxEntries and DefaultMaxBytes.
	MaxEntries int
	MaxBytes   int64
	// FilterPaths are Sigma filter files and directories (walked as rule
	// paths are), read besides the rules by Load and Default. Filters in
	// the rule paths are loaded too.
	FilterPaths []string
}

func (o *Options) selects(r *Rule) bool {
	if o.MinLevel != LevelUnknown && r.Level < o.MinLevel {
		return false
	}
	statuses := o.Statuses
	if statuses == nil {
		statuses = DefaultStatuses
	}
	if !containsFold(statuses, r.Status) {
		return false
	}
	if len(o.RuleIDs) > 0 && !containsFold(o.RuleIDs, r.ID) {
		return false
	}
	if len(o.IncludeTags) > 0 && !anyFold(o.IncludeTags, r.Tags) {
		return false
	}
	return !anyFold(o.ExcludeTags, r.Tags)
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

func anyFold(list, values []string) bool {
	for _, v := range values {
		if containsFold(list, v) {
			return true
		}
	}
	return false
}

// Report summarises a load.
type Report struct {
	Files    int       // rule and filter files read
	Loaded   int       // rules compiled into the set
	Filtered int       // rules and correlations left out by the selection options
	Skipped  []Skipped // rules and files that could not be loaded
	// Unmapped counts loaded rules whose logsource has no guard.
	Unmapped int
	// Walk is what Load found on the file system (empty for Compile and
	// Default).
	Walk Walk
	// Digest identifies the rules loaded by content (see digest.go):
	// 12 hex digits, logged at init so operators can tell rule sets apart.
	// The filters loaded are part of it.
	Digest string
	// Filters counts the Sigma filters loaded, and FilteredRules the
	// loaded rules one of them or more applies to. UnusedFilters are the
	// filters that apply to no loaded rule (worth a warning, not a skip).
	Filters       int
	FilteredRules int
	UnusedFilters []Skipped
	// Correlations counts the correlation rules loaded. The rules they
	// reference are in Loaded; those the selection left out are not
	// counted in Filtered.
	Correlations int
}

// Default returns the embedded default rule set.
func Default(opts Options) (*Set, Report, error) {
	names, err := fs.Glob(defaultRules, "default/*.yml")
	if err != nil {
		return nil, Report{}, fmt.Errorf("rules: embedded default: %w", err)
	}
	var srcs []Source
	for _, name := range names {
		data, err := defaultRules.ReadFile(name)
		if err != nil {
			return nil, Report{}, fmt.Errorf("rules: embedded default: %w", err)
		}
		srcs = append(srcs, Source{Name: "embedded:" + name, Data: data})
	}
	var walk Walk
	filters, skipped, err := readFilterFiles(&walk, opts)
	if err != nil {
		return nil, Report{}, err
	}
	set, report, err := compile(srcs, filters, opts)
	report.Skipped = append(append(walk.Skipped, skipped...), report.Skipped...)
	return set, report, err
}

// readFilterFiles reads the files of opts.FilterPaths, adding to walk
// (whose byte count the limit applies to).
func readFilterFiles(walk *Walk, opts Options) ([]Source, []Skipped, error) {
	if len(opts.FilterPaths) == 0 {
		return nil, nil, nil
	}
	fw, err := RuleFiles(opts.FilterPaths, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (filters)", err)
	}
	// Filters in the rules paths load with the rules ("Filters found in
	// the rules paths load too"): a filters path reaching them again must
	// not load them twice, as duplicates.
	fw.Files, fw.RepeatedFiles = withoutFilesOf(fw.Files, walk.Files)
	fw.Bytes = walk.Bytes
	start := time.Now()
	srcs, skipped, err := readRuleFiles(&fw, opts.maxBytes())
	if err != nil {
		return nil, nil, err
	}
	walk.Entries += fw.Entries
	walk.Bytes = fw.Bytes
	walk.Files = append(walk.Files, fw.Files...)
	walk.Followed = append(walk.Followed, fw.Followed...)
	walk.Repeated = append(walk.Repeated, fw.Repeated...)
	walk.RepeatedFiles = append(walk.RepeatedFiles, fw.RepeatedFiles...)
	walk.Skipped = append(walk.Skipped, fw.Skipped...)
	walk.Took += fw.Took + time.Since(start)
	return srcs, skipped, nil
}

// withoutFilesOf returns files without those that are one of others (the
// same file, whatever the path: a link with another name too), and those
// left out as "path = other". Files are told apart as the walk tells
// directories apart (identity).
func withoutFilesOf(files, others []string) (kept, repeated []string) {
	if len(files) == 0 {
		return nil, nil
	}
	known := map[any]string{}
	for _, o := range others {
		known[fileKey(o)] = o
	}
	for _, f := range files {
		if o, ok := known[fileKey(f)]; ok {
			repeated = append(repeated, f+" = "+o)
			continue
		}
		kept = append(kept, f)
	}
	return kept, repeated
}

// fileKey identifies the file path names (see identity).
func fileKey(path string) any {
	info, _ := os.Stat(path)
	return identity(path, info)
}

// Load compiles the rule files named by paths (see RuleFiles for how
// directories are walked). A path that does not exist is an error (a typo
// must not silently run with fewer rules); a file or rule that cannot be
// loaded, including an entry named like a rule that is not a regular file
// or cannot be read, is reported in Skipped. A file that keeps changing
// while it is read fails the load with an error wrapping
// safefile.ErrChanged, so that a refresh keeps the rules it has; the limits
// in opts fail it with ErrLimit. Load fails with ErrNoRules when nothing
// loads.
func Load(paths []string, opts Options) (*Set, Report, error) {
	walk, err := RuleFiles(paths, opts)
	if err != nil {
		return nil, Report{}, err
	}
	start := time.Now()
	srcs, skipped, err := readRuleFiles(&walk, opts.maxBytes())
	walk.Took += time.Since(start)
	if err != nil {
		return nil, Report{}, err
	}
	filters, filterSkipped, err := readFilterFiles(&walk, opts)
	if err != nil {
		return nil, Report{}, err
	}
	set, report, err := compile(srcs, filters, opts)
	skipped = append(skipped, filterSkipped...)
	report.Files = len(walk.Files)
	report.Skipped = append(append(walk.Skipped, skipped...), report.Skipped...)
	report.Walk = walk
	return set, report, err
}

// readRuleFiles reads the files walk lists, adding up walk.Bytes.
func readRuleFiles(walk *Walk, maxBytes int64) ([]Source, []Skipped, error) {
	var srcs []Source
	var skipped []Skipped
	for _, name := range walk.Files {
		data, err := safefile.Read(name, MaxRuleFileSize)
		if errors.Is(err, safefile.ErrChanged) {
			return nil, nil, fmt.Errorf("rules: %w", err)
		}
		if err != nil {
			skipped = append(skipped, Skipped{File: name, Err: withoutPath(err)})
			continue
		}
		walk.Bytes += int64(len(data))
		if walk.Bytes > maxBytes {
			return nil, nil, fmt.Errorf("rules: %w: more than %d bytes of rule files read, the last %s (the limit is %d MiB; SigmaHQ's rules are about 6 MB): is the rules path right?",
				ErrLimit, maxBytes, name, maxBytes>>20)
		}
		srcs = append(srcs, Source{Name: name, Data: data})
	}
	return srcs, skipped, nil
}

// Compile compiles every rule document in srcs into one Set, and applies
// the Sigma filters among the documents (see filters.go) to the rules
// loaded. Rules and filters that fail are reported in Skipped; a rule
// (or a filter) whose id was already loaded is skipped as a duplicate.
// Compile fails with ErrNoRules when no rule loads.
func Compile(srcs []Source, opts Options) (*Set, Report, error) {
	return compile(srcs, nil, opts)
}

// compile is Compile over rule sources and sources of the filters
// property, whose documents must all be filters.
func compile(srcs, filterSrcs []Source, opts Options) (*Set, Report, error) {
	l := &loader{
		c:          newCompiler(opts.Placeholders),
		opts:       &opts,
		set:        &Set{},
		report:     Report{Files: len(srcs) + len(filterSrcs)},
		seen:       map[string]string{},
		seenFilter: map[string]string{},
		failed:     map[string]error{},
	}
	for i, src := range append(srcs[:len(srcs):len(srcs)], filterSrcs...) {
		docs, errs := splitDocuments(src.Data)
		for _, err := range errs {
			l.report.Skipped = append(l.report.Skipped, Skipped{File: src.Name, Err: err})
		}
		for _, doc := range docs {
			switch {
			case isFilterDocument(doc):
				l.filter(src, doc)
			case isCorrelationDocument(doc):
				l.correlation(src, doc, i >= len(srcs))
			default:
				l.rule(src, doc, i >= len(srcs))
			}
		}
	}
	// Slots given out from here on are read by correlations only (group-by
	// and condition fields no rule reads): the filter loads those only for
	// records that matched a rule a correlation references.
	ruleFields := len(l.c.fields)
	l.settle()
	set, report := l.set, l.report
	set.ruleFields = ruleFields
	report.Filters = len(l.filters)
	report.FilteredRules, report.UnusedFilters = applyFilters(set, l.refs, l.filters)
	set.fields = l.c.fields
	set.index()
	report.Loaded = len(set.rules)
	// The filters change what the rules match: they are part of the digest.
	digested := set.rules
	for _, f := range l.filters {
		digested = append(digested[:len(digested):len(digested)], Rule{ID: "filter " + f.id + " " + f.title, File: f.file})
	}
	for _, c := range set.correlations {
		digested = append(digested[:len(digested):len(digested)], Rule{ID: "correlation " + c.ID + " " + c.Digest, File: c.File})
	}
	report.Digest = digest(digested, append(srcs[:len(srcs):len(srcs)], filterSrcs...))
	if len(set.rules) == 0 {
		return nil, report, ErrNoRules
	}
	return set, report, nil
}

// loader is the state of one Compile.
type loader struct {
	c          *compiler
	opts       *Options
	set        *Set
	report     Report
	seen       map[string]string // rule or correlation id, lower case (UUIDs ignore case) -> file
	refs       []ruleRef         // per rule of set
	filters    []compiledFilter
	seenFilter map[string]string // filter id, lower case -> file
	// Rules and correlations wait in pool and corrs until the correlations
	// are resolved (see correlation_load.go); failed holds the documents
	// that did not load, by "id:"+lower-case id and "name:"+name.
	pool   []pooledRule
	corrs  []pendingCorrelation
	failed map[string]error
}

// skip reports a document that was not loaded.
func (l *loader) skip(file, id, title string, err error) {
	l.report.Skipped = append(l.report.Skipped, Skipped{File: file, ID: id, Title: title, Err: withFile(err, file, id)})
}

// rule compiles one rule document and keeps it for settle, unless it
// fails, repeats an id or comes from the filters property (filtersOnly).
// Whether the selection options keep it is settled with the correlations,
// which may need it.
func (l *loader) rule(src Source, doc *yaml.Node, filtersOnly bool) {
	rule, compiled, ref, err := compileDocument(l.c, doc)
	if err == nil && filtersOnly {
		err = errorf(KindNotARule, "not a Sigma filter: the filters property names files of filters only (load rules through rules)")
	}
	if err == nil && rule.ID != "" {
		if first, dup := l.seen[strings.ToLower(rule.ID)]; dup {
			err = errorf(KindDuplicate, "duplicate rule id, already loaded from %s", first)
		}
	}
	if err != nil {
		l.skip(src.Name, rule.ID, rule.Title, err)
		l.noteFailed(doc, err)
		return
	}
	rule.File = src.Name
	if rule.ID != "" {
		l.seen[strings.ToLower(rule.ID)] = src.Name
	}
	l.pool = append(l.pool, pooledRule{rule: rule, compiled: compiled, ref: ref, selected: l.opts.selects(&rule)})
}

// filter compiles one filter document, unless it fails or repeats an id.
func (l *loader) filter(src Source, doc *yaml.Node) {
	f, err := compileFilter(l.c, doc)
	if err == nil && f.id != "" {
		if first, dup := l.seenFilter[strings.ToLower(f.id)]; dup {
			err = errorf(KindDuplicate, "duplicate filter id, already loaded from %s", first)
		}
	}
	if err != nil {
		// The message says it is a filter; the id is not a rule's.
		l.report.Skipped = append(l.report.Skipped, Skipped{File: src.Name, ID: f.id, Title: f.title,
			Err: withFile(&placeError{place: "filter " + f.name(), err: err}, src.Name, "")})
		return
	}
	f.file = src.Name
	if f.id != "" {
		l.seenFilter[strings.ToLower(f.id)] = src.Name
	}
	l.filters = append(l.filters, f)
}

func withFile(err error, file, id string) error {
	ce := &CompileError{File: file, RuleID: id, Kind: kindOf(err), Err: err}
	var pe *posError
	if errors.As(err, &pe) {
		ce.Line, ce.Column = pe.line, pe.col
	}
	return ce
}

// splitDocuments parses data as a stream of YAML documents. Documents
// parsed before a syntax error are kept; a document past the node bound
// is left out, with its error, and the next ones are read.
func splitDocuments(data []byte) ([]*yaml.Node, []error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	var errs []error
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, errs
		}
		if err != nil {
			return docs, append(errs, errorf(KindYAML, "%w", err)) // yaml.v3 says "yaml: "
		}
		if n := expandedNodes(&doc, map[*yaml.Node]int{}); n > maxDocumentNodes {
			line := doc.Line
			if len(doc.Content) > 0 {
				line = doc.Content[0].Line
			}
			errs = append(errs, errorf(KindYAML, "yaml: line %d: the document holds more than %d nodes once its aliases are expanded: not a rule",
				line, maxDocumentNodes))
			continue
		}
		docs = append(docs, &doc)
	}
}

// expandedNodes counts the nodes of n with its aliases expanded, each
// anchor's count worked out once (sizes), and stops counting past
// maxDocumentNodes.
func expandedNodes(n *yaml.Node, sizes map[*yaml.Node]int) int {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		size, ok := sizes[n.Alias]
		if !ok {
			// An alias inside its own anchor would recurse for ever (a
			// stack overflow no recover catches): while the anchor is
			// counted, it counts as too large.
			sizes[n.Alias] = maxDocumentNodes + 1
			size = expandedNodes(n.Alias, sizes)
			sizes[n.Alias] = size
		}
		return size
	}
	count := 1
	for _, c := range n.Content {
		if count += expandedNodes(c, sizes); count > maxDocumentNodes {
			break
		}
	}
	return count
}

// compileDocument compiles one YAML document. It never panics: sigma-go
// and yaml.v3 are given arbitrary user input, and a panic inside them is
// reported as this rule's error.
func compileDocument(c *compiler, doc *yaml.Node) (rule Rule, compiled compiledRule, ref ruleRef, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errorf(KindInternal, "internal error while compiling: %v", r)
		}
	}()
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return Rule{}, compiledRule{}, ruleRef{}, errorf(KindNotARule, "not a Sigma rule: document is not a map")
	}
	// Correlation documents are parsed in correlation_parse.go.
	if mapValue(root, "detection") == nil {
		return Rule{}, compiledRule{}, ruleRef{}, errorf(KindNotARule, "not a Sigma rule: no detection")
	}

	// Conditions are parsed by this package (see condition.go): take them
	// out before sigma-go sees the document.
	conditions, err := takeConditions(root)
	if err != nil {
		return Rule{}, compiledRule{}, ruleRef{}, err
	}
	var sr sigma.Rule
	if err := root.Decode(&sr); err != nil {
		var meta struct{ ID, Title string }
		_ = root.Decode(&meta)
		return Rule{ID: meta.ID, Title: meta.Title}, compiledRule{}, ruleRef{}, errorf(KindParse, "parse: %w", err)
	}
	rule = Rule{
		ID:          sr.ID,
		Title:       sr.Title,
		Status:      sr.Status,
		Description: sr.Description,
		Author:      sr.Author,
		Tags:        sr.Tags,
		References:  sr.References,
	}
	if sr.Level != "" {
		level, ok := ParseLevel(sr.Level)
		if !ok {
			return rule, compiledRule{}, ruleRef{}, errorf(KindMetadata, "unknown level %q", sr.Level)
		}
		rule.Level = level
	}
	compiled, mapped, err := c.compileRule(&sr, conditions)
	if err != nil {
		return rule, compiledRule{}, ruleRef{}, err
	}
	rule.LogsourceMapped = mapped
	rule.Product = foldString(strings.TrimSpace(sr.Logsource.Product))
	rule.OwnLog = logsourceKindOf(sr.Logsource).ownLog
	ref = ruleRef{id: sr.ID, logsource: sr.Logsource}
	ref.name, _ = sr.AdditionalFields["name"].(string)
	rule.Name = ref.name
	return rule, compiled, ref, nil
}

// takeConditions removes detection.condition from the rule document and
// returns its condition strings.
func takeConditions(root *yaml.Node) ([]string, error) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "detection" {
			continue
		}
		det := root.Content[i+1]
		if det.Kind != yaml.MappingNode {
			return nil, errorf(KindParse, "detection is not a map")
		}
		for j := 0; j+1 < len(det.Content); j += 2 {
			if det.Content[j].Value != "condition" {
				continue
			}
			cond := det.Content[j+1]
			det.Content = append(det.Content[:j:j], det.Content[j+2:]...)
			switch cond.Kind {
			case yaml.ScalarNode:
				return []string{cond.Value}, nil
			case yaml.SequenceNode:
				var out []string
				for _, c := range cond.Content {
					if c.Kind != yaml.ScalarNode {
						return nil, errorf(KindBadCondition, "condition list holds a non-string")
					}
					out = append(out, c.Value)
				}
				return out, nil
			default:
				return nil, errorf(KindBadCondition, "condition must be a string or a list of strings")
			}
		}
	}
	return nil, nil
}

// LoadPlaceholders reads a placeholders file: a YAML map from placeholder
// name to a value or a list of values, as pySigma and sigma-cli use.
func LoadPlaceholders(path string) (map[string][]string, error) {
	data, err := safefile.Read(path, MaxRuleFileSize)
	if err != nil {
		return nil, fmt.Errorf("rules: placeholders: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("rules: placeholders %s: %w", path, err)
	}
	if expandedNodes(&doc, map[*yaml.Node]int{}) > maxDocumentNodes {
		return nil, fmt.Errorf("rules: placeholders %s: more than %d YAML nodes once aliases are expanded", path, maxDocumentNodes)
	}
	// yaml's own error for another shape names a Go type; say what is expected.
	if len(doc.Content) > 0 && doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("rules: placeholders %s: line %d: want a map of name: value or name: [values, ...], found %s",
			path, doc.Content[0].Line, yamlKind(doc.Content[0].Kind))
	}
	var raw map[string]yaml.Node
	if err := doc.Decode(&raw); err != nil {
		return nil, fmt.Errorf("rules: placeholders %s: %w", path, err)
	}
	out := make(map[string][]string, len(raw))
	for name, node := range raw {
		var values []string
		if node.Kind == yaml.AliasNode && node.Alias != nil { // name: *anchor
			node = *node.Alias
		}
		switch node.Kind {
		case yaml.ScalarNode:
			values = []string{node.Value}
		case yaml.SequenceNode:
			if err := node.Decode(&values); err != nil {
				return nil, fmt.Errorf("rules: placeholders %s: line %d: %s: want a list of values", path, node.Line, name)
			}
		default:
			return nil, fmt.Errorf("rules: placeholders %s: %s must be a value or a list", path, name)
		}
		out[name] = values
	}
	return out, nil
}

// yamlKind names a YAML node kind for messages.
func yamlKind(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a map"
}

// Reason is one cause of skips and how many rules and files it concerns.
type Reason struct {
	Kind  ErrorKind
	Text  string // the cause without file, rule, search or field names
	Count int
}

// Reasons groups the skipped rules by the kind and text of their cause,
// most frequent first.
func (r Report) Reasons() []Reason {
	type key struct {
		kind ErrorKind
		text string
	}
	counts := map[key]int{}
	for _, s := range r.Skipped {
		counts[key{kindOf(s.Err), skipReason(s.Err)}]++
	}
	out := make([]Reason, 0, len(counts))
	for k, n := range counts {
		out = append(out, Reason{Kind: k.kind, Text: k.text, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Text != out[j].Text {
			return out[i].Text < out[j].Text
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// skipReason is err without where it happened: no file, rule, search or
// field names, so equal causes group together.
func skipReason(err error) string { return cause(err).Error() }
