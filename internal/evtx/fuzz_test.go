package evtx_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// fuzzFile turns fuzz input into a file: input that starts with the file
// signature is a file as it stands; other input is the records of one
// chunk, wrapped in a file and chunk header with their checksums set, so
// that the fuzzer spends its time on records and binary XML.
func fuzzFile(data []byte) []byte {
	if bytes.HasPrefix(data, []byte("ElfFile\x00")) {
		return data
	}
	data = data[:min(len(data), evtx.ChunkSize-512)]
	file := evtxtest.RawFile()
	c := file[evtx.FileHeaderSize:]
	copy(c[512:], data)
	binary.LittleEndian.PutUint32(c[48:], uint32(512+len(data)))
	binary.LittleEndian.PutUint64(c[16:], 100) // last record number: any plausible count
	evtxtest.FixChecksums(file)
	return file
}

// recordsOf is the records area of a file's first chunk, a fuzz seed.
func recordsOf(file []byte) []byte {
	c := file[evtx.FileHeaderSize:]
	return bytes.Clone(c[512:binary.LittleEndian.Uint32(c[48:])])
}

func FuzzEvtx(f *testing.F) {
	f.Add(recordsOf(evtxtest.Write(evtxtest.Sample(t0))))
	f.Add(recordsOf(evtxtest.RawFile(func(off int) []byte { return goodRecord(f, off) })))
	f.Add([]byte("ElfFile\x00"))
	f.Add(recordsOf(evtxtest.RawFile(clashingKeys)))
	f.Fuzz(func(t *testing.T, data []byte) {
		events := 0
		st, err := evtx.Read(bytes.NewReader(fuzzFile(data)), func(r evtx.Record) error {
			events++
			if end, err := msgpack.Skip(r.Event, 0); err != nil || end != len(r.Event) {
				t.Fatalf("record %d: event is not one msgpack value: %v", r.ID, err)
			}
			if err := uniqueKeys(r.Event, 0); err != nil {
				t.Fatalf("record %d: %v", r.ID, err)
			}
			return nil
		})
		if err != nil && err != evtx.ErrNotEVTX {
			t.Fatal(err)
		}
		if events != st.Events || len(st.Problems) > 20 {
			t.Fatalf("%d events, stats %+v", events, st)
		}
	})
}

// uniqueKeys fails when a map at or below b[p:] holds a key twice: a
// reader keeping one of the two would lose the other's value.
func uniqueKeys(b []byte, p int) error {
	if n, q, err := msgpack.ReadArrayHeader(b, p); err == nil {
		for i := 0; i < n; i++ {
			if err := uniqueKeys(b, q); err != nil {
				return err
			}
			q, _ = msgpack.Skip(b, q)
		}
		return nil
	}
	n, q, err := msgpack.ReadMapHeader(b, p)
	if err != nil {
		return nil // a scalar
	}
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		k, vp, _, _ := msgpack.ReadStr(b, q)
		if seen[string(k)] {
			return fmt.Errorf("key %q written twice", k)
		}
		seen[string(k)] = true
		if err := uniqueKeys(b, vp); err != nil {
			return err
		}
		q, _ = msgpack.Skip(b, vp)
	}
	return nil
}
