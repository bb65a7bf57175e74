package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progressMinBytes is the input size from which a file gets a progress
// line: smaller ones are read before one would be useful.
const progressMinBytes = 16 << 20

// progress writes a line on a terminal while a large file is read, over
// itself with \r, and clears it before other output to stderr. It stays
// silent when stderr is not a terminal (a file, a pipe, a test), so
// redirected output never holds it.
type progress struct {
	w      io.Writer
	active bool // the current file is large and stderr is a terminal
	shown  bool // a line is on the screen
	name   string
	size   int64
	events int
	last   time.Time
	start  time.Time
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{}
	if f, ok := stderr.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.w = f
		}
	}
	return p
}

// startFile starts a file; in is its reader, whose size says whether it
// is large.
func (p *progress) startFile(name string, in io.Reader) {
	p.active, p.name, p.events, p.start = false, name, 0, time.Now()
	if p.w == nil {
		return
	}
	if f, ok := in.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Size() >= progressMinBytes {
			p.active, p.size = true, info.Size()
		}
	}
}

// event counts an event and redraws the line at most four times a second.
func (p *progress) event() {
	if !p.active {
		return
	}
	p.events++
	if p.events%1024 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 250*time.Millisecond {
		p.last = now
		rate := float64(p.events) / now.Sub(p.start).Seconds()
		fmt.Fprintf(p.w, "\rsigma-check: %s (%d MiB): %d event(s), %.0f/s ", p.name, p.size>>20, p.events, rate)
		p.shown = true
	}
}

func (p *progress) endFile() { p.clear() }

// clear erases the line, if one is shown.
func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
