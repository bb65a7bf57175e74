package main

import (
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
)

// lastGood remembers, for each sigma filter of the configuration, the
// filter its instance last ran, so that a hot reload whose rules fail to
// load keeps the aggregator running on them. A reload exits every old
// instance and then initialises the new ones in the same process (the Go
// runtime is never unloaded), so this memory is package state. Failing the
// new instance instead would make Fluent Bit abort the reload and exit.
//
// A filter is the same one across reloads when it has the same alias, or,
// without an alias, the same position among the sigma instances of the
// configuration (the order Fluent Bit initialises them in).
//
// Fluent Bit does not check that aliases are unique: the second instance
// of an alias in one configuration is "alias <name> #2", and so on, so
// that two instances never share what either ran.
//
// Only the configuration before this one is remembered: what an instance
// of the new configuration takes over is dropped from it, and what none
// takes over (an instance removed or renamed) goes at the next reload, so
// a rule set is never held long after its filter is gone. A running
// instance's filter is noted only when it exits (a refresh replaces it
// meanwhile), and when the last instance has exited and none enters
// within forgetAfter (a reload removed every sigma filter), all is
// forgotten.
type lastGood struct {
	mu          sync.Mutex
	live        int            // instances entered (initialising or running), not yet exited or failed
	next        int            // position of the next instance in this configuration
	aliases     map[string]int // instances of each alias in this configuration
	current     map[string]*filter.Filter
	previous    map[string]*filter.Filter // of the configuration before
	forgetAfter time.Duration
	forget      *time.Timer // armed when live falls to 0
}

// forgetAfter is how long the filters of exited instances are kept when
// no instance follows: far longer than a reload takes between its exits
// and its inits (Fluent Bit's grace period, a few seconds by default).
const forgetAfter = 10 * time.Minute

var remembered = newLastGood(forgetAfter)

func newLastGood(after time.Duration) *lastGood {
	return &lastGood{current: map[string]*filter.Filter{}, previous: map[string]*filter.Filter{},
		aliases: map[string]int{}, forgetAfter: after}
}

// unaliased matches the names Fluent Bit gives instances without an alias.
var unaliased = regexp.MustCompile(`^sigma\.[0-9]+$`)

// enter starts an instance's init and returns its identity. The first
// instance after all others have exited starts a new configuration: a
// reload, or the first start.
func (g *lastGood) enter(name string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.forget != nil {
		g.forget.Stop()
		g.forget = nil
	}
	if g.live == 0 {
		g.next = 0
		g.previous, g.current = g.current, map[string]*filter.Filter{}
		clear(g.aliases)
	}
	pos := g.next
	g.next++
	g.live++
	if name != "" && !unaliased.MatchString(name) {
		g.aliases[name]++
		if n := g.aliases[name]; n > 1 {
			return "alias " + name + " #" + strconv.Itoa(n)
		}
		return "alias " + name
	}
	return "position " + strconv.Itoa(pos)
}

// started records a successful init: what the instance took over from the
// configuration before is no longer held for it there.
func (g *lastGood) started(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.previous, id)
}

// failed records an init that failed after enter.
func (g *lastGood) failed() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.live--
	g.armForget()
}

// exited records an instance's exit and the filter it ran last (a refresh
// may have replaced the one it started with).
func (g *lastGood) exited(id string, f *filter.Filter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.live--
	g.current[id] = f
	g.armForget()
}

// armForget, once no instance is live, forgets every filter after
// forgetAfter unless an instance enters first. g.mu is held.
func (g *lastGood) armForget() {
	if g.live > 0 || g.forget != nil {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(g.forgetAfter, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.forget == t && g.live == 0 {
			g.current, g.previous = map[string]*filter.Filter{}, map[string]*filter.Filter{}
			g.forget = nil
		}
	})
	g.forget = t
}

// last returns the filter the instance id ran last, if any ran: in the
// configuration before, or earlier in this one (an instance that came and
// went without a reload, as in tests).
func (g *lastGood) last(id string) (*filter.Filter, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.previous[id]; ok {
		return f, true
	}
	f, ok := g.current[id]
	return f, ok
}
