package mixgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// account is who a process runs as.
type account struct {
	domain, name, sid string
	logonID           string // hex, as Sysmon writes LogonId
	logonGUID         string
	session           int
}

// user is the qualified name Sysmon's User fields hold.
func (a *account) user() string { return a.domain + `\` + a.name }

var (
	system         = &account{"NT AUTHORITY", "SYSTEM", "S-1-5-18", "0x3e7", "{9a4e1c2b-0000-0000-e703-000000000000}", 0}
	localService   = &account{"NT AUTHORITY", "LOCAL SERVICE", "S-1-5-19", "0x3e5", "{9a4e1c2b-0000-0000-e503-000000000000}", 0}
	networkService = &account{"NT AUTHORITY", "NETWORK SERVICE", "S-1-5-20", "0x3e4", "{9a4e1c2b-0000-0000-e403-000000000000}", 0}
	interactive    = &account{"CORP", "jdoe", "S-1-5-21-3623811015-3361044348-30300820-1013", "0x60f8a",
		"{9a4e1c2b-13a2-6740-8a0f-060000000000}", 1}
)

// process is a running process of the simulated host.
type process struct {
	prog     *program
	guid     string
	pid      int
	cmd      string
	parent   *process
	resident bool // started at boot; never exits
}

// host is the simulated workstation: its name and its running processes.
type host struct {
	computer string
	procs    []*process
	nextPID  int
}

// maxTransient bounds the short-lived processes kept running; beyond it
// the oldest exits without an event (its termination was not sampled).
const maxTransient = 80

func newHost(rng *rand.Rand) *host {
	h := &host{computer: "WKS-0142.corp.example.com", nextPID: 4}
	for _, p := range catalogue {
		if p.resident {
			parent := h.running(rng, p.parents, p.account)
			h.start(rng, p, parent, true)
		}
	}
	return h
}

// start adds a process of prog under parent.
func (h *host) start(rng *rand.Rand, prog *program, parent *process, resident bool) *process {
	h.nextPID += 4 * (1 + rng.IntN(64)) // Windows process ids are multiples of 4
	if h.nextPID > 40000 {
		h.nextPID = 100
	}
	p := &process{prog: prog, pid: h.nextPID, parent: parent, resident: resident,
		guid: fmt.Sprintf("{9a4e1c2b-%04x-%04x-%04x-%012x}", rng.IntN(0x10000), 0x6740+rng.IntN(4),
			rng.IntN(0x10000), 0x1700+rng.IntN(0x100000))}
	p.cmd = prog.commandLine(rng)
	h.procs = append(h.procs, p)
	if !resident && h.transients() > maxTransient {
		h.exit(h.firstTransient())
	}
	return p
}

func (h *host) transients() int {
	n := 0
	for _, p := range h.procs {
		if !p.resident {
			n++
		}
	}
	return n
}

func (h *host) firstTransient() int {
	for i, p := range h.procs {
		if !p.resident {
			return i
		}
	}
	return -1
}

func (h *host) exit(i int) { h.procs = append(h.procs[:i], h.procs[i+1:]...) }

// running returns a random running process whose image's file name is one
// of names and that can start a process of acct, or nil. Only the system
// starts the system's processes (a service running as LOCAL SERVICE does
// not start one as SYSTEM).
func (h *host) running(rng *rand.Rand, names []string, acct *account) *process {
	var found []*process
	for _, p := range h.procs {
		if acct == system && p.prog.account != system {
			continue
		}
		for _, n := range names {
			if strings.EqualFold(p.prog.base(), n) {
				found = append(found, p)
			}
		}
	}
	if len(found) == 0 {
		return nil
	}
	return found[rng.IntN(len(found))]
}

// pick returns a random running process that ok accepts.
func (h *host) pick(rng *rand.Rand, ok func(*process) bool) *process {
	for {
		if p := h.procs[rng.IntN(len(h.procs))]; ok(p) {
			return p
		}
	}
}

// spawn starts a program drawn by weight under a running parent it names.
func (h *host) spawn(rng *rand.Rand) *process {
	for {
		prog := spawnable[pickWeighted(rng, spawnWeights)]
		if parent := h.running(rng, prog.parents, prog.account); parent != nil {
			return h.start(rng, prog, parent, false)
		}
	}
}

// terminate ends a short-lived process and returns it; with none running,
// a resident one is reported (a service restarting).
func (h *host) terminate(rng *rand.Rand) *process {
	var idx []int
	for i, p := range h.procs {
		if !p.resident {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return h.procs[rng.IntN(len(h.procs))]
	}
	i := idx[rng.IntN(len(idx))]
	p := h.procs[i]
	h.exit(i)
	return p
}

// pickWeighted returns an index drawn with the given weights.
func pickWeighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func oneOf[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
