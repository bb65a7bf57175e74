package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// BenchmarkSoak is the soak run (`make soak`): SOAK_RECORDS records
// (make soak: 20,000,000; skipped when unset) through the plugin in the host, with the whole
// SigmaHQ rule set, in chunks of 1,000 (every regression event of SigmaHQ,
// the rest benign Sysmon events, 1 in 10 of them process creations). The
// host samples its resident memory 20 times; after warm-up (the first
// sample) it must not grow by more than 10%. The curve is logged.
func BenchmarkSoak(b *testing.B) {
	v := os.Getenv("SOAK_RECORDS")
	if v == "" {
		b.Skip("set SOAK_RECORDS (make soak sets 20000000)")
	}
	dir := benchSigmaHQ(b)
	records, err := strconv.Atoi(v)
	if err != nil || records < 20000 {
		b.Fatalf("SOAK_RECORDS=%q: want a number of at least 20000", v)
	}
	var chunk []byte
	n := 0
	events, _ := regressionEvents(b, dir, "")
	for _, e := range events {
		chunk = append(chunk, e...)
		n++
	}
	for i := n; i < 1000; i++ {
		body := fixture.BenignImageLoad(i)
		if i%10 == 0 {
			body = fixture.BenignProcessCreation(i)
		}
		chunk = fixture.Event(chunk, fixture.Time(fixture.Epoch), nil, body)
	}
	tmp := b.TempDir()
	in := filepath.Join(tmp, "in.bin")
	if err := os.WriteFile(in, chunk, 0o644); err != nil {
		b.Fatal(err)
	}
	rules := strings.Join([]string{filepath.Join(dir, "rules"), filepath.Join(dir, "rules-threat-hunting"),
		filepath.Join(dir, "rules-emerging-threats")}, ",")
	rounds := records / 1000
	b.ResetTimer()
	start := time.Now()
	cmd := exec.Command(hosts["v5.0.3"], pluginPath, "-l", "1", "-p", "rules="+rules, "-s", strconv.Itoa(rounds),
		in, filepath.Join(tmp, "out.bin"))
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		b.Fatalf("host: %v\n%s", err, out)
	}
	var curve []string
	var rss []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var round, kb int
		if _, err := fmt.Sscanf(sc.Text(), "soak: round=%d rss_kb=%d", &round, &kb); err == nil {
			rss = append(rss, kb)
			curve = append(curve, fmt.Sprintf("%.1fM:%dMiB", float64(round)/1000, kb/1024))
		}
	}
	if len(rss) < 2 {
		b.Fatalf("no memory samples:\n%s", out)
	}
	b.Logf("%d records in %s (%.0f records/s); resident memory by records filtered: %s",
		rounds*1000, took.Round(time.Second), float64(rounds*1000)/took.Seconds(), strings.Join(curve, " "))
	warm, last := rss[0], rss[len(rss)-1]
	growth := float64(last-warm) / float64(warm) * 100
	b.ReportMetric(float64(rounds*1000)/took.Seconds(), "records/s")
	b.ReportMetric(float64(warm)/1024, "warm_rss_MiB")
	b.ReportMetric(float64(last)/1024, "final_rss_MiB")
	b.ReportMetric(growth, "rss_growth_%")
	if growth > 10 {
		b.Errorf("resident memory grew %.1f%% after warm-up: %s", growth, strings.Join(curve, " "))
	}
}
