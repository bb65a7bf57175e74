package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// sliceEvent is an Event over values laid out by slot, built before the
// timer starts so the benchmark measures the matcher alone.
type sliceEvent struct {
	vals [][]byte
	has  []bool
	all  [][]byte // every string, for keyword searches
}

func newSliceEvent(set *Set, fields map[string]string) *sliceEvent {
	e := &sliceEvent{vals: make([][]byte, len(set.Fields())), has: make([]bool, len(set.Fields()))}
	for i, name := range set.Fields() {
		if v, ok := fields[name]; ok {
			e.vals[i], e.has[i] = []byte(v), true
		}
	}
	for _, v := range fields {
		e.all = append(e.all, []byte(v))
	}
	return e
}

func (e *sliceEvent) Field(slot int) ([]byte, bool) { return e.vals[slot], e.has[slot] }

func (e *sliceEvent) EachString(v Visitor) bool {
	for _, s := range e.all {
		if v.Visit(s) {
			return true
		}
	}
	return false
}

// benchEvents are Sysmon process creations and image loads: the kinds most
// SigmaHQ rules are written for, one of them matching the default rule.
var benchEvents = []map[string]string{
	{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\Windows\System32\cmd.exe`,
		"CommandLine": `cmd.exe /c whoami /all`, "ParentImage": `C:\Windows\explorer.exe`, "User": `CORP\alice`},
	{"EventID": "1", "Channel": sysmonChannel, "Image": `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		"CommandLine": `powershell -nop -w hidden -enc SQBFAFgA`, "ParentImage": `C:\Program Files\Office\WINWORD.EXE`},
	{"EventID": "7", "Channel": sysmonChannel, "Image": `C:\Program Files\App\app.exe`,
		"ImageLoaded": `C:\Users\bob\AppData\Local\Temp\x.node`, "Signed": "false"},
	{"EventID": "4688", "Channel": "Security", "NewProcessName": `C:\Windows\System32\notepad.exe`},
}

// sigmaHQSources reads the SigmaHQ rules folder beside the repository, or
// skips when it is absent (see tests/sigmahq_test.go).
func sigmaHQSources(b *testing.B) []Source {
	dir := os.Getenv("SIGMAHQ")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "sigmahq")
	}
	walk, err := RuleFiles([]string{filepath.Join(dir, "rules")}, Options{})
	if err != nil {
		b.Skipf("SigmaHQ rules not found under %s (set SIGMAHQ): %v", dir, err)
	}
	var srcs []Source
	for _, f := range walk.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, Source{Name: f, Data: data})
	}
	return srcs
}

// semanticSources turns every detection of semantics_test.go into a rule:
// a small set that uses every modifier, so runs without SigmaHQ still
// cover the whole compiler.
func semanticSources(*testing.B) []Source {
	var srcs []Source
	for _, cases := range [][]semanticCase{valueCases(), modifierCases(), searchCases()} {
		for i, tc := range cases {
			src := fmt.Sprintf("title: t\nid: s%d-%d\nlogsource: {category: process_creation, product: windows}\ndetection:\n%s", len(srcs), i, tc.detection)
			srcs = append(srcs, Source{Name: tc.name, Data: []byte(src)})
		}
	}
	return srcs
}

// BenchmarkCompile compiles a rule set; one op is the whole set.
func BenchmarkCompile(b *testing.B) {
	for _, rs := range []struct {
		name string
		srcs func(*testing.B) []Source
	}{{"semantics", semanticSources}, {"sigmahq", sigmaHQSources}} {
		b.Run(rs.name, func(b *testing.B) {
			srcs := rs.srcs(b)
			var size int64
			for _, s := range srcs {
				size += int64(len(s.Data))
			}
			b.ReportAllocs()
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := Compile(srcs, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMatch matches the benchmark events against a rule set; one op
// is one event.
func BenchmarkMatch(b *testing.B) {
	for _, rs := range []struct {
		name string
		srcs func(*testing.B) []Source
	}{{"semantics", semanticSources}, {"sigmahq", sigmaHQSources}} {
		b.Run(rs.name, func(b *testing.B) {
			set, _, err := Compile(rs.srcs(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			events := make([]*sliceEvent, len(benchEvents))
			for i, f := range benchEvents {
				events[i] = newSliceEvent(set, f)
			}
			dst := make([]int, 0, 64)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				dst = set.Match(events[i%len(events)], dst[:0])
			}
		})
	}
}
