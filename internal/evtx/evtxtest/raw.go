package evtxtest

import (
	"encoding/binary"
	"hash/crc32"
	"time"
)

// RawFile returns a file of one chunk whose records hold the binary XML
// the functions return, each given the chunk offset it is written at (a
// name or template is referenced by chunk offset). For hand-made,
// malformed records.
func RawFile(records ...func(off int) []byte) []byte {
	w := newChunkWriter()
	for i, rec := range records {
		start := len(w.buf)
		w.buf = append(w.buf, 0x2a, 0x2a, 0, 0, 0, 0, 0, 0)
		w.buf = binary.LittleEndian.AppendUint64(w.buf, uint64(i+1))
		w.buf = binary.LittleEndian.AppendUint64(w.buf, fileTime(time.Unix(0, 0)))
		w.buf = append(w.buf, rec(len(w.buf))...)
		size := len(w.buf) - start + 4
		w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(size))
		binary.LittleEndian.PutUint32(w.buf[start+4:], uint32(size))
		if w.records == 0 {
			w.firstID = uint64(i + 1)
		}
		w.records++
		w.lastID, w.lastOff = uint64(i+1), start
	}
	return append(fileHeader(1, uint64(len(records)+1)), w.finish()...)
}

// FixChecksums sets the checksums of the file header and of every chunk
// that has a chunk signature to match their bytes, so that a test (or a
// fuzzer) that changed a file reaches what lies behind the checksums.
func FixChecksums(file []byte) {
	if len(file) < fileHeaderSize {
		return
	}
	binary.LittleEndian.PutUint32(file[124:], crc32.ChecksumIEEE(file[:120]))
	for off := fileHeaderSize; off+chunkHeaderSize <= len(file); off += chunkSize {
		c := file[off:min(off+chunkSize, len(file))]
		if string(c[:8]) != "ElfChnk\x00" {
			continue
		}
		free := int(binary.LittleEndian.Uint32(c[48:]))
		if free >= chunkHeaderSize && free <= len(c) {
			binary.LittleEndian.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
		}
		h := crc32.ChecksumIEEE(c[:120])
		h = crc32.Update(h, crc32.IEEETable, c[128:chunkHeaderSize])
		binary.LittleEndian.PutUint32(c[124:], h)
	}
}
