package tests

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

// TestManifestOrder checks the Sysmon field orders the filter places
// StringInserts by against real events: evtx_dump keeps EventData in the
// order Sysmon wrote it, so every Sysmon event of the regression data must
// list its fields exactly as one of the schemas of its event id.
func TestManifestOrder(t *testing.T) {
	checkLayouts(t, 5, func(provider string, id int) [][]string {
		if provider != sysmon.Provider {
			return nil
		}
		return sysmon.Schemas(id)
	})
}

// checkLayouts requires every regression event whose provider and event id
// have layouts (by layoutsOf) to list its EventData exactly as one of them,
// and at least minIDs event ids to have been checked.
func checkLayouts(t *testing.T, minIDs int, layoutsOf func(provider string, id int) [][]string) {
	dir := sigmaHQ(t)
	checked := map[int]int{}
	filepath.WalkDir(filepath.Join(dir, "regression_data"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		chunk, _, err := textevent.ReadEvents(bytes.NewReader(data), time.Unix(0, 0))
		if err != nil {
			return nil
		}
		_, body, _ := msgpack.ReadArrayHeader(chunk, 0)
		body, _ = msgpack.Skip(chunk, body) // [ts, meta]
		provider := lookupText(chunk, body, "Event", "System", "Provider", "#attributes", "Name")
		id, _ := strconv.Atoi(lookupText(chunk, body, "Event", "System", "EventID"))
		layouts := layoutsOf(provider, id)
		if layouts == nil {
			return nil
		}
		got := keysAt(chunk, body, "Event", "EventData")
		for _, l := range layouts {
			if fmt.Sprint(l) == fmt.Sprint(got) {
				checked[id]++
				return nil
			}
		}
		t.Errorf("%s: %s %d fields %v are in no known layout", filepath.Base(filepath.Dir(path)), provider, id, got)
		return nil
	})
	t.Logf("events checked per event id: %v", checked)
	if len(checked) < minIDs {
		t.Errorf("only %d event ids checked", len(checked))
	}
}

// find returns the offset of the value at path under the map at off, or -1.
func find(b []byte, off int, path ...string) int {
	for _, key := range path {
		n, p, err := msgpack.ReadMapHeader(b, off)
		if err != nil {
			return -1
		}
		found := -1
		for i := 0; i < n && found < 0; i++ {
			k, vp, _, err := msgpack.ReadStr(b, p)
			if err != nil {
				return -1
			}
			if string(k) == key {
				found = vp
			}
			if p, err = msgpack.Skip(b, vp); err != nil {
				return -1
			}
		}
		if found < 0 {
			return -1
		}
		off = found
	}
	return off
}

func lookupText(b []byte, off int, path ...string) string {
	if v := find(b, off, path...); v >= 0 {
		text, _ := msgpack.ScalarText(b, v, nil)
		return string(text)
	}
	return ""
}

func keysAt(b []byte, off int, path ...string) []string {
	v := find(b, off, path...)
	n, p, err := msgpack.ReadMapHeader(b, v)
	if v < 0 || err != nil {
		return nil
	}
	var keys []string
	for i := 0; i < n; i++ {
		k, vp, _, _ := msgpack.ReadStr(b, p)
		keys = append(keys, string(k))
		p, _ = msgpack.Skip(b, vp)
	}
	return keys
}
