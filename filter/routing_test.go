package filter

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// route is one routing recipe of the README: the formats it applies to, the
// tag_key it needs, the record accessor's path and the regex.
type route struct {
	formats []Format
	tagKey  string
	path    []string
	regex   string
}

var (
	routingRow = regexp.MustCompile("^\\| (.+?) \\| `(\\$[^`]+)`.*? \\| `((?:[^`\\\\]|\\\\.)+)` \\|")
	accessor   = regexp.MustCompile(`^\$([A-Za-z0-9_.-]+)((?:\['[^']*'\])*)$`)
	subkey     = regexp.MustCompile(`\['([^']*)'\]`)
	tagKeyIn   = regexp.MustCompile("`tag_key ([^`]+)`")
	formatIn   = regexp.MustCompile("^`([a-z]+)`$")
	ruleLine   = regexp.MustCompile(`^\s*Rule\s+(\$\S+)\s+(\S+)\s`)
)

// readmeRoutes reads the recipes of README's "Routing detections" section:
// each row of its table (Format | Key | Regex | Routes) and each
// rewrite_tag Rule line of its example, which runs in the default format.
func readmeRoutes(t *testing.T) []route {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### Routing detections\n")
	if !ok {
		t.Fatal("README has no Routing detections section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var routes []route
	for _, line := range strings.Split(section, "\n") {
		if m := ruleLine.FindStringSubmatch(line); m != nil {
			routes = append(routes, route{formats: []Format{FormatSigma}, path: accessorPath(t, m[1]), regex: m[2]})
			continue
		}
		m := routingRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		r := route{path: accessorPath(t, m[2]), regex: strings.ReplaceAll(m[3], `\|`, "|")}
		if k := tagKeyIn.FindStringSubmatch(m[1]); k != nil {
			r.tagKey = k[1]
		}
		if strings.HasPrefix(m[1], "any") {
			r.formats = []Format{FormatSigma, FormatECS, FormatFlat}
		} else if f := formatIn.FindStringSubmatch(m[1]); f != nil {
			format, ok := ParseFormat(f[1])
			if !ok {
				t.Fatalf("routing row %q: unknown format", line)
			}
			r.formats = []Format{format}
		} else {
			t.Fatalf("routing row %q: no format", line)
		}
		routes = append(routes, r)
	}
	return routes
}

// accessorPath splits a record accessor, $sigma['level'], into its keys.
func accessorPath(t *testing.T, s string) []string {
	m := accessor.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q is not a record accessor", s)
	}
	path := []string{m[1]}
	for _, k := range subkey.FindAllStringSubmatch(m[2], -1) {
		path = append(path, k[1])
	}
	return path
}

// TestReadmeRoutes holds the README's routing recipes against what the
// filter writes: Fluent Bit's rewrite_tag and grep test their regex only
// against string values, so each key must exist in a matching record, in
// the format the recipe names, as a string the regex matches. Go's regexp
// reads these simple patterns as Onigmo does. The record matches a medium
// and a high rule.
func TestReadmeRoutes(t *testing.T) {
	routes := readmeRoutes(t)
	if len(routes) < 5 {
		t.Fatalf("read %d routing recipes from the README, want its table's 4 rows and the example's Rule", len(routes))
	}
	for _, r := range routes {
		re, err := regexp.Compile(r.regex)
		if err != nil {
			t.Fatalf("%v: %v", r.path, err)
		}
		for _, format := range r.formats {
			t.Run(fmt.Sprintf("%v/%s", format, strings.Join(r.path, ".")), func(t *testing.T) {
				body := enrichOne(t, twoRules(t, Config{Format: format, TagKey: r.tagKey}), fixture.UnsignedNodeLoad(1))
				var v any = body
				for _, k := range r.path {
					m, isMap := v.(map[string]any)
					if !isMap {
						t.Fatalf("%v: %v is not a map", r.path, v)
					}
					v = m[k]
				}
				s, isStr := v.(string)
				if !isStr {
					t.Fatalf("%v is %T %v, want a string: the regex %s never matches it", r.path, v, v, r.regex)
				}
				if !re.MatchString(s) {
					t.Errorf("%v = %q does not match %s", r.path, s, r.regex)
				}
			})
		}
	}
}
