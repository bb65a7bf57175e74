package correlate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

// The state file: magic, one version byte, the body, then the CRC-32
// (Castagnoli) of everything before it, little endian. Body: the watermark
// (varint), the number of specs, then per spec its Key, Kind and the byte
// length of its groups, so a spec this engine does not know is skipped
// whole. Per group: key, newest, window start, floor, mute, refs mask,
// whether a window is open, then the kind's own encoding. Groups are
// written least recently updated first, so Load restores the LRU order.
const (
	stateMagic = "SIGMACORRSTATE"
	// stateVersion 2 may hold up to 2N-1 times per sliding event_count
	// group (version 1, N): a build that reads only 1 refuses it as a
	// newer version's rather than taking it for damaged. Version 1 files
	// read as version 2 ones.
	stateVersion = 2
	minVersion   = 1
	maxStateSize = 1 << 32 // a state file larger than this is refused before it is read
	maxKeyLen    = 1 << 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptState is wrapped by every Load error about the file's content
// (as opposed to failing to read it).
var ErrCorruptState = errors.New("corrupt state file")

// ErrForeignState is wrapped, instead of ErrCorruptState, by a Load error
// about a file that is not a state file this build reads: another file at
// that path, or one a newer version wrote. Unlike a damaged state file it
// may hold something worth keeping, so a caller should not save over it.
var ErrForeignState = errors.New("not a correlation state file this build reads")

// LoadReport says what Load restored.
type LoadReport struct {
	Specs        int // specs whose state was restored
	Groups       int // groups restored
	DroppedSpecs int // specs in the file whose Key no spec of the engine has
	// FutureGroups are groups the file held but the caller did not keep:
	// their newest event was later than a record may be now (DropAfter).
	FutureGroups int
}

// Save writes the engine's state to path atomically: a temporary file in
// the same directory, fsync, rename over path, fsync of the directory. Each
// shard is copied under its own lock, so a Save concurrent with Observe is
// consistent per group, not across groups.
func (e *Engine) Save(path string) error {
	data, err := e.marshalWithin(maxStateSize)
	if err != nil {
		return fmt.Errorf("correlate: save state %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return fmt.Errorf("correlate: save state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("correlate: save state %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("correlate: save state %s: %w", path, err)
	}
	return nil
}

// syncDir makes the rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// marshalWithin encodes the state, or refuses to when it is larger than
// limit, the most Load reads: a file that could not be restored would only
// replace the last one that can.
func (e *Engine) marshalWithin(limit int) ([]byte, error) {
	data := e.marshal()
	if len(data) > limit {
		return nil, fmt.Errorf("the state takes %d bytes, more than the %d a start reads: not saved, the file keeps the last checkpoint (fewer groups: correlation_max_groups)", len(data), limit)
	}
	return data, nil
}

func (e *Engine) marshal() []byte {
	w := &encoder{b: append([]byte(stateMagic), stateVersion)}
	w.varint(e.watermark.Load())
	w.uvarint(uint64(len(e.specs)))
	var body encoder
	for _, ss := range e.specs {
		body.b = body.b[:0]
		n := ss.encodeGroups(&body)
		w.str(ss.p.Key)
		w.uvarint(uint64(ss.p.Kind))
		w.uvarint(uint64(n))
		w.uvarint(uint64(len(body.b)))
		w.b = append(w.b, body.b...)
	}
	return binary.LittleEndian.AppendUint32(w.b, crc32.Checksum(w.b, castagnoli))
}

// encodeGroups writes every group of ss and returns how many.
func (ss *specState) encodeGroups(w *encoder) int {
	n := 0
	for i := range ss.shards {
		n += ss.shards[i].encode(w)
	}
	return n
}

// encode writes the shard's groups, least recently updated first, under
// its lock, released even if encoding panics (a checkpoint recovers it:
// the shard must not stay locked for the records that follow).
func (sh *shard) encode(w *encoder) int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := 0
	for g := sh.lru.prev; g != &sh.lru; g = g.prev {
		w.str(g.key)
		w.varint(g.newest)
		x := g.ext
		if x == nil {
			x = &groupExt{floor: noTime, muted: noTime, heapIdx: -1}
		}
		w.varint(x.start)
		w.varint(x.floor)
		w.varint(x.muted)
		w.uvarint(x.refs)
		w.uvarint(boolByte(x.heapIdx >= 0))
		g.agg.encode(w)
		n++
	}
	return n
}

func boolByte(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Load replaces the engine's state with the state saved at path, for the
// specs whose Key matches. A missing file is an empty start (nil error). A
// path that is not a regular file, or a truncated, foreign or corrupt file
// is an error naming the fault (ErrCorruptState for a damaged state file,
// ErrForeignState for a file that is not a state file this build reads),
// and leaves the engine empty. Windows that
// were open at Save are decided by the next Advance or Observe past their
// end.
func (e *Engine) Load(path string) (LoadReport, error) {
	// safefile refuses a directory, pipe or device before opening it and
	// never blocks on one that replaces the file meanwhile.
	data, err := safefile.Read(path, maxStateSize)
	if errors.Is(err, fs.ErrNotExist) {
		return LoadReport{}, nil
	}
	if err != nil {
		e.clear()
		return LoadReport{}, fmt.Errorf("correlate: state file: %w", err)
	}
	e.clear()
	rep, err := e.unmarshal(data)
	if err != nil {
		e.clear()
		if errors.Is(err, ErrForeignState) {
			return LoadReport{}, fmt.Errorf("correlate: state file %s: %w", path, err)
		}
		return LoadReport{}, fmt.Errorf("correlate: state file %s: %w: %w", path, ErrCorruptState, err)
	}
	return rep, nil
}

// clear drops every group and the watermark.
func (e *Engine) clear() {
	e.watermark.Store(noTime)
	for _, ss := range e.specs {
		for i := range ss.shards {
			sh := &ss.shards[i]
			sh.mu.Lock()
			ss.groups.Add(-int64(len(sh.groups)))
			sh.due = nil
			sh.init(&ss.groups)
			sh.mu.Unlock()
		}
	}
}

// checkFrame verifies length, magic, version and checksum and returns the
// body.
func checkFrame(data []byte) ([]byte, error) {
	head := len(stateMagic) + 1
	if n := min(len(data), len(stateMagic)); string(data[:n]) != stateMagic[:n] {
		return nil, fmt.Errorf("%w: bad magic (it does not begin %q)", ErrForeignState, stateMagic)
	}
	if len(data) < head+4 {
		return nil, fmt.Errorf("truncated: %d bytes, a state file has at least %d", len(data), head+4)
	}
	if v := data[len(stateMagic)]; v < minVersion || v > stateVersion {
		return nil, fmt.Errorf("%w: unsupported format version %d (this build reads %d to %d)", ErrForeignState, v, minVersion, stateVersion)
	}
	end := len(data) - 4
	if got, want := crc32.Checksum(data[:end], castagnoli), binary.LittleEndian.Uint32(data[end:]); got != want {
		return nil, fmt.Errorf("checksum mismatch (file truncated or damaged): computed %08x, stored %08x", got, want)
	}
	return data[head:end], nil
}

// unmarshal decodes every spec into detached groups first and installs
// them only when the whole file decoded.
func (e *Engine) unmarshal(data []byte) (LoadReport, error) {
	body, err := checkFrame(data)
	if err != nil {
		return LoadReport{}, err
	}
	r := &decoder{b: body}
	wm := r.varint()
	nspecs := r.count("specs", len(body), 4)
	byKey := make(map[string]*specState, len(e.specs))
	for _, ss := range e.specs {
		if _, dup := byKey[ss.p.Key]; !dup {
			byKey[ss.p.Key] = ss
		}
	}
	var rep LoadReport
	restored := make(map[*specState][]*group)
	for range nspecs {
		key := r.str("spec key", maxKeyLen)
		kind := r.uvarint()
		ngroups := r.count("groups", len(body), 7)
		size := r.count("spec body", len(body), 1)
		if r.err != nil {
			return LoadReport{}, fmt.Errorf("decode: %w", r.err)
		}
		ss := byKey[key]
		if ss == nil || uint64(ss.p.Kind) != kind || restored[ss] != nil {
			rep.DroppedSpecs++
			r.off += size
			continue
		}
		sub := &decoder{b: r.b[:r.off+size], off: r.off}
		groups := decodeGroups(sub, &ss.p, ngroups)
		if sub.err == nil && sub.off != r.off+size {
			sub.fail("%d bytes left over in spec %q", r.off+size-sub.off, key)
		}
		if sub.err != nil {
			return LoadReport{}, fmt.Errorf("decode spec %q: %w", key, sub.err)
		}
		r.off += size
		restored[ss] = groups
	}
	if r.err == nil && r.off != len(body) {
		r.fail("%d bytes after the last spec", len(body)-r.off)
	}
	if r.err != nil {
		return LoadReport{}, fmt.Errorf("decode: %w", r.err)
	}
	e.install(wm, restored, &rep)
	return rep, nil
}

// decodeGroups decodes the n groups of a spec. Only p.MaxGroups of them
// can be kept, install evicting the rest: the last written (shard by
// shard, each least recently updated first; with one shard, the newest),
// as install would keep. A group's aggregate takes its full size when it
// is made (16 KiB of event times for gte 4096): the others are decoded
// into one scratch group and dropped, so a file of many small groups takes
// no more memory than the spec may hold.
func decodeGroups(r *decoder, p *plan, n int) []*group {
	keep := min(n, p.MaxGroups)
	var scratch *group
	for range n - keep {
		if scratch == nil {
			scratch = newGroup("", p)
		}
		if !decodeGroup(r, p, scratch) {
			return nil
		}
	}
	groups := make([]*group, 0, keep)
	for range keep {
		g := newGroup("", p)
		if !decodeGroup(r, p, g) {
			return nil
		}
		groups = append(groups, g)
	}
	return groups
}

// decodeGroup decodes one group into g, reporting whether it did.
func decodeGroup(r *decoder, p *plan, g *group) bool {
	// A key is as long as the values it was made of: the data left bounds
	// it, as Save bounds nothing.
	g.key = r.str("group key", len(r.b))
	g.newest = r.varint()
	x := groupExt{start: r.varint(), floor: r.varint(), muted: r.varint(), refs: r.uvarint(), heapIdx: -1}
	if p.refs < 64 && x.refs>>uint(p.refs) != 0 {
		r.fail("rules mask %#x names more rules than the correlation's %d", x.refs, p.refs)
	}
	switch open := r.uvarint(); {
	case open == 1 && p.sliding:
		r.fail("open window in a spec decided as events arrive")
	case open == 1:
		x.heapIdx = 0
	case open != 0:
		r.fail("window flag %d", open)
	}
	if g.ext != nil {
		*g.ext = x
	}
	g.agg.decode(r, p)
	if _, ok := decodeKey(g.key); r.err == nil && !ok {
		r.fail("malformed group key")
	}
	return r.err == nil
}

func (e *Engine) install(wm int64, restored map[*specState][]*group, rep *LoadReport) {
	e.raise(wm)
	for ss, groups := range restored {
		rep.Specs++
		for _, g := range groups {
			e.place(ss, g, false)
		}
		rep.Groups += int(ss.groups.Load())
	}
}

// LockFile takes an exclusive flock on path+".lock" so two instances
// cannot write one state file. flock locks belong to the open file
// description, so a second LockFile in the same process fails too. The
// lock file is left in place: removing it would race with a new locker.
func LockFile(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("correlate: lock state file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("correlate: state file %s is in use: another instance holds the lock %s: %w", path, name, err)
		}
		return nil, fmt.Errorf("correlate: lock %s: %w", name, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
