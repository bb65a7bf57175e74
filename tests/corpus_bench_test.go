package tests

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/jsonconv"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// regressionChunk returns SigmaHQ's regression events whose directory name
// starts with prefix (proc_creation_, image_load_, ...), each as one event,
// repeated to at least n events.
func regressionChunk(tb testing.TB, dir, prefix string, n int) ([]byte, int) {
	var events [][]byte
	filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") || !strings.HasPrefix(filepath.Base(filepath.Dir(path)), prefix) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		chunk, _, err := jsonconv.ReadEvents(f, time.Unix(1764067327, 0))
		if err != nil {
			return err
		}
		for off := 0; off < len(chunk); {
			end, err := msgpack.Skip(chunk, off)
			if err != nil {
				return err
			}
			events = append(events, chunk[off:end])
			off = end
		}
		return nil
	})
	if len(events) == 0 {
		tb.Fatalf("no regression events for %s", prefix)
	}
	var chunk []byte
	count := 0
	for count < n {
		for _, e := range events {
			chunk = append(chunk, e...)
			count++
		}
	}
	return chunk, count
}

func BenchmarkCorpus(b *testing.B) {
	t := &testing.T{}
	_ = t
	dir := os.Getenv("SIGMAHQ")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "sigmahq")
	}
	f := corpusFilterB(b, dir)
	for _, prefix := range []string{"proc_creation_", "image_load_"} {
		chunk, n := regressionChunk(b, dir, prefix, 1000)
		b.Run(strings.TrimSuffix(prefix, "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(chunk)))
			out := make([]byte, 0, 2*len(chunk))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, _, _ = f.Process(out[:0], chunk)
			}
			events := float64(b.N) * float64(n)
			b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
		})
	}
}
