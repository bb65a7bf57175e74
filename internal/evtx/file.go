package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// Sizes of the file layout.
const (
	FileHeaderSize  = 4096
	ChunkSize       = 64 << 10
	chunkHeaderSize = 512
	recordHeader    = 24 // signature, size, record id, time
	minRecordSize   = recordHeader + 4
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte{0x2a, 0x2a, 0x00, 0x00}
)

// ErrNotEVTX is returned for input that does not start with an EVTX file
// header.
var ErrNotEVTX = errors.New("evtx: not an EVTX file (no ElfFile header)")

// maxProblems is how many problems Stats keeps; the others are counted.
const maxProblems = 20

// Record is one event read from a file.
type Record struct {
	ID   uint64    // event record id
	Time time.Time // when the record was written (UTC)
	// Event is the msgpack map {"Event": {...}}, valid until the callback
	// returns.
	Event []byte
}

// Stats says what was read from one file.
type Stats struct {
	Chunks     int     // chunks read
	Events     int     // records read into events
	Unreadable int     // records that could not be read
	BadChunks  int     // chunks skipped whole (corrupt header, truncated)
	Problems   []error // the first maxProblems problems met
	Dropped    int     // problems beyond those kept
}

func (s *Stats) problem(err error) {
	if len(s.Problems) < maxProblems {
		s.Problems = append(s.Problems, err)
		return
	}
	s.Dropped++
}

// Read reads the EVTX file from r, a chunk at a time, and calls fn with
// each event. Corrupt records and chunks are counted in Stats and skipped;
// the error is ErrNotEVTX, a read error of r, or fn's error, which stops
// the reading.
func Read(r io.Reader, fn func(Record) error) (Stats, error) {
	var st Stats
	header := make([]byte, FileHeaderSize)
	n, err := io.ReadFull(r, header)
	if n < len(fileMagic) || !bytes.Equal(header[:len(fileMagic)], fileMagic) {
		return st, ErrNotEVTX
	}
	if err != nil {
		st.problem(fmt.Errorf("evtx: file header truncated at %d bytes", n))
		return st, nil
	}
	f := fileInfo{chunks: int(le16(header[42:])), noCRC: le32(header[120:])&flagNoCRC32 != 0}
	if !f.noCRC && crc32.ChecksumIEEE(header[:120]) != le32(header[124:]) {
		st.problem(errors.New("evtx: file header checksum mismatch (read on)"))
	}
	cr := newChunkReader()
	buf := make([]byte, ChunkSize)
	var out []byte
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, buf)
		if n == 0 && (err == io.EOF || err == nil) {
			// Cut at a chunk's boundary, a copy looks whole but for the
			// header's count of chunks in use (a dirty file may use more,
			// never fewer).
			if i < f.chunks {
				st.problem(fmt.Errorf("evtx: file truncated: %d of the %d chunks the header counts", i, f.chunks))
			}
			return st, nil
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return st, fmt.Errorf("evtx: chunk %d: %w", i, err)
		}
		if n < ChunkSize {
			st.problem(fmt.Errorf("evtx: file truncated: chunk %d has %d of %d bytes", i, n, ChunkSize))
		}
		out, err = readChunk(cr, f, buf[:n], i, &st, out, fn)
		if err != nil || n < ChunkSize {
			return st, err
		}
	}
}

// flagNoCRC32 is the file header flag that says checksums are not kept.
const flagNoCRC32 = 0x4

// fileInfo is what the file header says about the chunks.
type fileInfo struct {
	chunks int  // chunks in use; a dirty file may use more
	noCRC  bool // checksums are not kept
}

// readChunk reads the records of chunk number i (short when the file is
// truncated) and calls fn with each.
func readChunk(cr *chunkReader, f fileInfo, chunk []byte, i int, st *Stats, out []byte, fn func(Record) error) ([]byte, error) {
	hasMagic := len(chunk) >= len(chunkMagic) && bytes.Equal(chunk[:len(chunkMagic)], chunkMagic)
	if !hasMagic && (i >= f.chunks || isZero(chunk[:min(len(chunk), len(chunkMagic))])) {
		return out, nil // unused space: zeros, or what an older log left past the chunks in use
	}
	if len(chunk) < chunkHeaderSize || !hasMagic {
		st.BadChunks++
		st.problem(fmt.Errorf("evtx: chunk %d: no chunk header (%d bytes)", i, len(chunk)))
		return out, nil
	}
	h := crc32.ChecksumIEEE(chunk[:120])
	h = crc32.Update(h, crc32.IEEETable, chunk[128:chunkHeaderSize])
	if !f.noCRC && h != le32(chunk[124:]) {
		st.BadChunks++
		st.Unreadable += plausibleRecords(chunk)
		st.problem(fmt.Errorf("evtx: chunk %d: header checksum mismatch, chunk skipped", i))
		return out, nil
	}
	st.Chunks++
	free := int(le32(chunk[48:]))
	if free < chunkHeaderSize || free > ChunkSize {
		st.BadChunks++
		st.Unreadable += plausibleRecords(chunk)
		st.problem(fmt.Errorf("evtx: chunk %d: free space offset %d out of range, chunk skipped", i, free))
		return out, nil
	}
	if free > len(chunk) {
		st.problem(fmt.Errorf("evtx: chunk %d: records cut at %d of %d bytes", i, len(chunk), free))
		free = len(chunk)
	} else if !f.noCRC && crc32.ChecksumIEEE(chunk[chunkHeaderSize:free]) != le32(chunk[52:]) {
		st.problem(fmt.Errorf("evtx: chunk %d: records checksum mismatch (each record checked)", i))
	}
	cr.reset(chunk)
	return readRecords(cr, chunk[:free], i, st, out, fn)
}

// plausibleRecords is how many records a chunk header says it holds, 0
// when that cannot be so.
func plausibleRecords(chunk []byte) int {
	first, last := le64(chunk[8:]), le64(chunk[16:])
	if last < first || last-first >= ChunkSize/minRecordSize {
		return 0
	}
	return int(last-first) + 1
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readRecords reads the records in data (a chunk up to its free space).
// A record whose framing is corrupt is skipped by looking for the next
// record signature.
func readRecords(cr *chunkReader, data []byte, chunkNo int, st *Stats, out []byte, fn func(Record) error) ([]byte, error) {
	for off := chunkHeaderSize; off+minRecordSize <= len(data); {
		size, ok := recordSize(data, off)
		if !ok {
			st.Unreadable++
			st.problem(fmt.Errorf("evtx: chunk %d: bad record framing at offset %d", chunkNo, off))
			next := bytes.Index(data[off+1:], recordMagic)
			if next < 0 {
				return out, nil
			}
			off += 1 + next
			continue
		}
		rec := Record{ID: le64(data[off+8:]), Time: FileTime(le64(data[off+16:]))}
		cr.nodes, cr.text, cr.slab = 0, 0, cr.slab[:0]
		nodes, err := cr.parseFragment(&cursor{c: cr, p: off + recordHeader, end: off + size - 4}, 0)
		if err == nil {
			out, err = appendEvent(out[:0], nodes)
		}
		off += size
		if err != nil {
			st.Unreadable++
			st.problem(fmt.Errorf("evtx: chunk %d: record %d: %w", chunkNo, rec.ID, err))
			continue
		}
		st.Events++
		rec.Event = out
		if err := fn(rec); err != nil {
			return out, err
		}
	}
	return out, nil
}

// recordSize checks a record's signature and size. The copy of the size
// that ends a record is not required to match: Windows leaves it stale in
// records of dirty logs whose binary XML is whole, and the binary XML is
// checked anyway.
func recordSize(data []byte, off int) (int, bool) {
	if !bytes.Equal(data[off:off+4], recordMagic) {
		return 0, false
	}
	size := int(binary.LittleEndian.Uint32(data[off+4:]))
	return size, size >= minRecordSize && size <= len(data)-off
}
