package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressMinBytes is the input size from which a progress line is shown:
// smaller inputs are read before one would be useful.
const progressMinBytes = 16 << 20

// progress writes a line on a terminal while large inputs are read (one
// big file, or a directory of many logs), over itself with \r, and
// clears it before other output to stderr. It stays silent when stderr is
// not a terminal (a file, a pipe, a test), so redirected output never
// holds it. Sizes are those of the named files; stdin counts as none.
type progress struct {
	w      io.Writer // nil: silent
	files  int
	total  int64 // bytes of all inputs
	done   int64 // bytes of the inputs read to the end
	read   int64 // bytes of the current input read so far
	file   int   // inputs started
	name   string
	size   int64 // of the current input
	events int
	shown  bool // a line is on the screen
	last   time.Time
	start  time.Time
}

func newProgress(stderr io.Writer, names []string) *progress {
	p := &progress{files: len(names), start: time.Now()}
	f, ok := stderr.(*os.File)
	if !ok {
		return p
	}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return p
	}
	for _, name := range names {
		if info, err := os.Stat(name); err == nil && name != "-" {
			p.total += info.Size()
		}
	}
	if p.total >= progressMinBytes {
		p.w = f
	}
	return p
}

// startFile starts the next input, of size bytes.
func (p *progress) startFile(name string, size int64) {
	p.file++
	p.name, p.size = name, size
}

// endFile counts an input as read and clears the line.
func (p *progress) endFile() {
	p.done += p.size
	p.read = 0
	p.clear()
}

// reader counts what is read from r as read of the current input, so that
// one large file shows its share read too.
func (p *progress) reader(r io.Reader) io.Reader {
	if p.w == nil {
		return r
	}
	return countingReader{r, &p.read}
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	return n, err
}

// event counts an event and redraws the line at most four times a second.
func (p *progress) event() {
	if p.w == nil {
		return
	}
	p.events++
	if p.events%1024 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 250*time.Millisecond {
		p.last = now
		rate := float64(p.events) / now.Sub(p.start).Seconds()
		fmt.Fprintf(p.w, "\rsigma-check: %3d%% [%d/%d] %s: %d event(s), %.0f/s\033[K",
			100*min(p.done+p.read, p.total)/p.total, p.file, p.files, p.name, p.events, rate)
		p.shown = true
	}
}

// clear erases the line, if one is shown.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
