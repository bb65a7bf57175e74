package mixgen

import (
	"math/rand/v2"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
)

// Event is one Windows event before a transport shapes it.
type Event struct {
	Kind     Kind
	ID       int
	Channel  string
	Provider string
	Computer string
	Time     time.Time
	RecordID int
	// Data is the event data, in the provider's layout order.
	Data fixture.Map

	// system and userData are a parsed evtx event's own, kept as they were
	// so that the evtx shape renders it unchanged.
	system   fixture.Map
	userData any
}

// Kind names an entry of Shares.
type Kind string

// Share is how often a kind of event occurs, in thousandths.
type Share struct {
	Kind     Kind
	ID       int
	Provider string
	PerMille float64
}

// Regression is the kind of the SigmaHQ regression events mixed in.
const Regression Kind = "regression"

// The channels and providers of the non-Sysmon events.
const (
	securityChannel    = "Security"
	powerShellChannel  = "Microsoft-Windows-PowerShell/Operational"
	powerShellProvider = "Microsoft-Windows-PowerShell"
	systemChannel      = "System"
)

// Shares are the kinds of event and their shares of the stream (see the
// package comment). They sum to 1,000.
var Shares = []Share{
	{"sysmon1", 1, sysmon.Provider, 150},
	{"sysmon3", 3, sysmon.Provider, 150},
	{"sysmon5", 5, sysmon.Provider, 50},
	{"sysmon7", 7, sysmon.Provider, 250},
	{"sysmon10", 10, sysmon.Provider, 50},
	{"sysmon11", 11, sysmon.Provider, 100},
	{"sysmon12", 12, sysmon.Provider, 40},
	{"sysmon13", 13, sysmon.Provider, 60},
	{"sysmon22", 22, sysmon.Provider, 50},
	{"sysmon23", 23, sysmon.Provider, 10},
	{"security4624", 4624, winlayout.Security, 25},
	{"security4625", 4625, winlayout.Security, 3},
	{"security4688", 4688, winlayout.Security, 15},
	{"security4663", 4663, winlayout.Security, 12},
	{"security4672", 4672, winlayout.Security, 10},
	{"powershell4104", 4104, powerShellProvider, 10},
	{"system7045", 7045, winlayout.ServiceControlManager, 5},
	{Regression, 0, "", 10},
}

// Generator produces the stream. It is not safe for concurrent use.
type Generator struct {
	rng        *rand.Rand
	host       *host
	now        time.Time
	record     int
	regression []Event
	nextReg    int
	cumulative []float64 // running sums of the shares drawn from
}

// Options configure a Generator.
type Options struct {
	// Seed selects the stream: the same seed gives the same events.
	Seed uint64
	// Regression events (ParseEvtxJSON) are mixed in at their share, in
	// order, cycling; none leaves their share to the others.
	Regression []Event
}

// New returns a generator of the stream opts select.
func New(opts Options) *Generator {
	g := &Generator{
		rng:        rand.New(rand.NewPCG(opts.Seed, 0x6d6978676e)),
		now:        time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC),
		record:     4211000,
		regression: opts.Regression,
	}
	total := 0.0
	for _, s := range Shares {
		if s.Kind != Regression || len(g.regression) > 0 { // else its share goes to the others
			total += s.PerMille
		}
		g.cumulative = append(g.cumulative, total)
	}
	g.host = newHost(g.rng)
	return g
}

// Next returns the next event of the stream.
func (g *Generator) Next() Event {
	// Events arrive at about 50 a second, in irregular gaps.
	g.now = g.now.Add(time.Duration(g.rng.ExpFloat64() * float64(20*time.Millisecond)))
	g.record++
	kind := g.draw()
	if kind.Kind == Regression {
		ev := g.regression[g.nextReg%len(g.regression)]
		g.nextReg++
		ev.Kind = Regression
		return ev
	}
	ev := Event{Kind: kind.Kind, ID: kind.ID, Provider: kind.Provider, Computer: g.host.computer, Time: g.now,
		RecordID: g.record}
	switch kind.Provider {
	case sysmon.Provider:
		ev.Channel = sysmon.Channel
		ev.Data = g.sysmonData(kind.ID)
	case winlayout.Security:
		ev.Channel = securityChannel
		ev.Data = g.securityData(kind.ID)
	case powerShellProvider:
		ev.Channel = powerShellChannel
		ev.Data = g.scriptBlock()
	case winlayout.ServiceControlManager:
		ev.Channel = systemChannel
		ev.Data = g.serviceInstall()
	}
	return ev
}

// draw picks the kind of the next event.
func (g *Generator) draw() Share {
	x := g.rng.Float64() * g.cumulative[len(g.cumulative)-1]
	for i, c := range g.cumulative {
		if x < c {
			return Shares[i]
		}
	}
	return Shares[0] // unreachable: x < the last sum
}

// AppendChunk appends n events in shape to dst as a Fluent Bit chunk
// (current event format, the event's time as the timestamp).
func (g *Generator) AppendChunk(dst []byte, n int, shape Shape) []byte {
	for i := 0; i < n; i++ {
		ev := g.Next()
		dst = fixture.Event(dst, fixture.Time(ev.Time), nil, Render(shape, ev))
	}
	return dst
}

// ordered returns the values of fields in order; fields without a value
// are "-", as Sysmon and the Security provider write them.
func ordered(fields []string, values map[string]any) fixture.Map {
	m := make(fixture.Map, len(fields))
	for i, f := range fields {
		v, ok := values[f]
		if !ok {
			v = "-"
		}
		m[i] = fixture.KV{K: f, V: v}
	}
	return m
}
