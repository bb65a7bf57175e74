package tests

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The host gives each instance a cmetrics context (host.c's stand-ins for
// the functions Fluent Bit exports) and prints its series when the
// instance exits, as "metric[N]: fqname{labels} value", N counting the
// contexts in creation order.

// series returns context n's series, by "fqname{labels}".
func series(t *testing.T, r result, n int) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range r.fields[fmt.Sprintf("metric[%d]", n)] {
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("bad metric line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// wantSeries checks the given series of got, and that got has no other
// series of the metrics named in want.
func wantSeries(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	names := map[string]bool{}
	for k, v := range want {
		names[k[:strings.IndexByte(k, '{')]] = true
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %s = %v (present %t), want %v", what, k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && names[k[:strings.IndexByte(k, '{')]] {
			t.Errorf("%s: unexpected series %s", what, k)
		}
	}
}

const (
	ruleA = "aaaaaaaa-0000-0000-0000-000000000001"
	ruleC = "cccccccc-0000-0000-0000-000000000003"
)

// metricRules writes a rule set: ruleA (high, matches every tenth record
// of mixedChunk), ruleC (critical, never matches, a quote in its title), a
// low rule min_level leaves out and a file that does not load.
func metricRules(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yml"), nodeRule(ruleA))
	writeFile(t, filepath.Join(dir, "c.yml"), "title: Never \"quoted\"\nid: "+ruleC+"\nstatus: test\nlevel: critical\n"+
		"logsource: {product: windows, category: image_load}\ndetection:\n  sel: {ImageLoaded: 'C:\\nowhere.dll'}\n  condition: sel\n")
	writeFile(t, filepath.Join(dir, "low.yml"), strings.Replace(nodeRule("dddddddd-0000-0000-0000-000000000004"), "level: high", "level: low", 1))
	writeFile(t, filepath.Join(dir, "broken.yml"), "title: [oops")
	return dir
}

// instanceSeries is what an instance named name reports after filtering
// records records of mixedChunk (a tenth of them match ruleA).
func instanceSeries(name string, records float64) map[string]float64 {
	l := `name="` + name + `"`
	return map[string]float64{
		"fluentbit_filter_sigma_records_total{" + l + "}":                                                                             records,
		"fluentbit_filter_sigma_matched_records_total{" + l + "}":                                                                     records / 10,
		"fluentbit_filter_sigma_dropped_records_total{" + l + "}":                                                                     0,
		"fluentbit_filter_sigma_malformed_chunks_total{" + l + "}":                                                                    0,
		"fluentbit_filter_sigma_recovered_panics_total{" + l + "}":                                                                    0,
		"fluentbit_filter_sigma_rule_matches_total{" + l + `,rule_id="` + ruleA + `",rule_title="Rule ` + ruleA + `",level="high"}`:   records / 10,
		"fluentbit_filter_sigma_rule_matches_total{" + l + `,rule_id="` + ruleC + `",rule_title="Never \"quoted\"",level="critical"}`: 0,
		"fluentbit_filter_sigma_rules{" + l + `,state="loaded"}`:                                                                      2,
		"fluentbit_filter_sigma_rules{" + l + `,state="skipped"}`:                                                                     1,
		"fluentbit_filter_sigma_rules{" + l + `,state="not_selected"}`:                                                                1,
		"fluentbit_filter_sigma_rules_fallback_active{" + l + "}":                                                                     0,
	}
}

// TestMetricsTwoInstances: two instances in one process, one with an
// alias, each with its own counts under its own name, exact after exit;
// the first is also filtered from several threads at once.
func TestMetricsTwoInstances(t *testing.T) {
	chunk, _ := mixedChunk(100)
	start := float64(time.Now().Unix())
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+metricRules(t), "-p", "min_level=medium",
		"-a", "sigma_windows", "-2", "", "-t", "4", "-n", "25")
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stdout)
	}
	if strings.Contains(r.stdout, "metric_error") || strings.Contains(r.stdout, "no Prometheus metrics") {
		t.Fatalf("metrics not registered cleanly:\n%s", r.stdout)
	}
	// Context 0 belongs to sigma_windows (1 + 4x25 chunks), 1 to sigma.1 (2 chunks).
	for n, inst := range []struct {
		name    string
		records float64
	}{{"sigma_windows", 101 * 100}, {"sigma.1", 200}} {
		got := series(t, r, n)
		wantSeries(t, inst.name, got, instanceSeries(inst.name, inst.records))
		loaded := got[`fluentbit_filter_sigma_rules_last_load_timestamp_seconds{name="`+inst.name+`"}`]
		if loaded < start-1 || loaded > float64(time.Now().Unix())+1 {
			t.Errorf("%s: last load timestamp %v, want about %v", inst.name, loaded, start)
		}
	}
}

// TestMetricsLayoutMismatch: when the instance struct does not hold the
// plugin where Fluent Bit 3.2 to 5.1 put it, nothing is registered, one
// warning says so for both instances, and the filter works as before.
func TestMetricsLayoutMismatch(t *testing.T) {
	for _, mismatch := range []string{"-L", "-Lf"} { // p elsewhere; a field between p and cmt moved
		t.Run(mismatch, func(t *testing.T) { testLayoutMismatch(t, mismatch) })
	}
}

func testLayoutMismatch(t *testing.T, mismatch string) {
	chunk, want := mixedChunk(100)
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+metricRules(t), "-p", "min_level=medium", mismatch, "-2", "")
	if r.exit != 0 || fmt.Sprint(r.fields["init"]) != "[0 0]" {
		t.Fatalf("exit %d, inits %v:\n%s", r.exit, r.fields["init"], r.stdout)
	}
	if n := strings.Count(r.stdout, "no Prometheus metrics: struct flb_filter_instance does not have the expected layout"); n != 1 {
		t.Errorf("got %d layout warnings, want 1:\n%s", n, r.stdout)
	}
	if len(series(t, r, 0))+len(series(t, r, 1)) != 0 {
		t.Errorf("series registered despite the layout mismatch:\n%s", r.stdout)
	}
	for i, ids := range decode(t, r.out, "sigma") {
		if want[i] != (fmt.Sprint(ids) == "["+ruleA+"]") {
			t.Errorf("event %d: %v", i, ids)
		}
	}
}

// TestMetricsReloadFallback: a hot reload starts every series afresh; when
// the reload's rules fail, fallback_active is 1 and the load timestamp is
// that of the rules kept; a refresh that loads the new rules clears it.
func TestMetricsReloadFallback(t *testing.T) {
	chunk, _ := mixedChunk(100)
	good, broken := metricRules(t), t.TempDir()
	writeFile(t, filepath.Join(broken, "a.yml"), nodeRule(ruleA))
	writeFile(t, filepath.Join(broken, "broken.yml"), "title: [oops")
	fixed := "eeeeeeee-0000-0000-0000-000000000005"
	r, _ := runHostRefresh(t, chunk, 10, func() {
		writeFile(t, filepath.Join(broken, "broken.yml"), nodeRule(fixed))
	}, "-p", "rules="+good, "-p", "min_level=medium", "-p", "refresh_interval=1",
		"-r", "-R", "rules="+broken, "-R", "strict=on")
	if r.exit != 0 || r.field("refresh_changed_output") != "yes" {
		t.Fatalf("exit %d, refresh changed output %q:\n%s", r.exit, r.field("refresh_changed_output"), r.stdout)
	}
	before, after := series(t, r, 0), series(t, r, 1)
	wantSeries(t, "before the reload", before, instanceSeries("sigma.0", 100))
	const loadedAt = `fluentbit_filter_sigma_rules_last_load_timestamp_seconds{name="sigma.0"}`
	if after[loadedAt] <= before[loadedAt] {
		t.Errorf("after the refresh the load timestamp is %v, want later than %v", after[loadedAt], before[loadedAt])
	}
	// After the reload (fallback) and the refresh: the new instance counts
	// from zero, the old rules' matches and the new rule's are both there.
	got := after[`fluentbit_filter_sigma_rule_matches_total{name="sigma.0",rule_id="`+fixed+`",rule_title="Rule `+fixed+`",level="high"}`]
	if got == 0 || math.Mod(got, 10) != 0 {
		t.Errorf("matches of the refreshed rule: %v, want a positive multiple of 10", got)
	}
	wantSeries(t, "after the refresh", after, map[string]float64{
		`fluentbit_filter_sigma_rules_fallback_active{name="sigma.0"}`:      0,
		`fluentbit_filter_sigma_rules{name="sigma.0",state="loaded"}`:       2,
		`fluentbit_filter_sigma_rules{name="sigma.0",state="skipped"}`:      0,
		`fluentbit_filter_sigma_rules{name="sigma.0",state="not_selected"}`: 0,
	})
}

// TestMetricsFallbackActive: until the new rules load, the instance that
// runs on the last good rules says so.
func TestMetricsFallbackActive(t *testing.T) {
	chunk, _ := mixedChunk(100)
	empty := t.TempDir()
	r := runHost(t, "v5.0.3", chunk, "-p", "rules="+metricRules(t), "-p", "min_level=medium", "-r", "-R", "rules="+empty)
	if r.exit != 0 {
		t.Fatalf("exit %d:\n%s", r.exit, r.stdout)
	}
	before, after := series(t, r, 0), series(t, r, 1)
	want := instanceSeries("sigma.0", 100)
	want[`fluentbit_filter_sigma_rules_fallback_active{name="sigma.0"}`] = 1
	wantSeries(t, "after the reload", after, want)
	const loadedAt = `fluentbit_filter_sigma_rules_last_load_timestamp_seconds{name="sigma.0"}`
	if after[loadedAt] != before[loadedAt] || before[loadedAt] == 0 {
		t.Errorf("load timestamp after the failed reload %v, want that of the rules kept, %v", after[loadedAt], before[loadedAt])
	}
}
