package mixgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
)

// sysmonData returns the event data of a Sysmon event id, in the order of
// its current schema.
func (g *Generator) sysmonData(id int) fixture.Map {
	v := map[string]any{"RuleName": "-", "UtcTime": utcTime(g.now)}
	switch id {
	case 1:
		g.processCreate(v)
	case 3:
		g.networkConnect(v)
	case 5:
		p := g.host.terminate(g.rng)
		g.actor(v, p)
	case 7:
		g.imageLoad(v)
	case 10:
		g.processAccess(v)
	case 11:
		p := g.host.pick(g.rng, anyProcess)
		g.actor(v, p)
		v["TargetFilename"] = userFile(g.rng, p)
		created := g.now // a new file, or one rewritten: its creation time is kept
		if g.rng.IntN(2) == 0 {
			created = created.Add(-time.Duration(g.rng.Int64N(int64(48 * time.Hour))))
		}
		v["CreationUtcTime"] = utcTime(created)
	case 12, 13:
		g.registryEvent(v, id)
	case 22:
		g.dnsQuery(v)
	case 23:
		p := g.host.pick(g.rng, anyProcess)
		g.actor(v, p)
		file := userFile(g.rng, p)
		for strings.HasSuffix(file, ".pf") { // prefetch files are SysMain's to delete
			file = userFile(g.rng, p)
		}
		v["TargetFilename"] = file
		v["Hashes"] = hashes(file)
		v["IsExecutable"] = "false"
		v["Archived"] = "true"
	}
	return ordered(sysmon.Schemas(id)[0], v)
}

func anyProcess(*process) bool { return true }

func networkProcess(p *process) bool {
	return p.prog.net || strings.EqualFold(p.prog.base(), "svchost.exe")
}

// actor sets the fields naming the process an event is about.
func (g *Generator) actor(v map[string]any, p *process) {
	v["ProcessGuid"] = p.guid
	v["ProcessId"] = p.pid
	v["Image"] = p.prog.image
	v["User"] = p.prog.account.user()
}

func (g *Generator) processCreate(v map[string]any) {
	p := g.host.spawn(g.rng)
	prog, parent := p.prog, p.parent
	g.actor(v, p)
	v["FileVersion"] = prog.version
	v["Description"] = prog.description
	v["Product"] = prog.product
	v["Company"] = prog.company
	v["OriginalFileName"] = prog.origin
	v["CommandLine"] = p.cmd
	v["CurrentDirectory"] = prog.currentDirectory()
	v["LogonGuid"] = prog.account.logonGUID
	v["LogonId"] = prog.account.logonID
	v["TerminalSessionId"] = prog.account.session
	v["IntegrityLevel"] = prog.integrity
	v["Hashes"] = hashes(prog.image)
	v["ParentProcessGuid"] = parent.guid
	v["ParentProcessId"] = parent.pid
	v["ParentImage"] = parent.prog.image
	v["ParentCommandLine"] = parent.cmd
	v["ParentUser"] = parent.prog.account.user()
}

func (g *Generator) networkConnect(v map[string]any) {
	p := g.host.pick(g.rng, networkProcess)
	g.actor(v, p)
	d := g.destination(p)
	v["Protocol"] = "tcp"
	v["Initiated"] = true
	v["SourceIsIpv6"] = false
	v["SourceIp"] = hostIP
	v["SourceHostname"] = g.host.computer
	v["SourcePort"] = 49152 + g.rng.IntN(16000)
	v["DestinationIsIpv6"] = false
	v["DestinationIp"] = d.ip
	v["DestinationHostname"] = d.rdns
	v["DestinationPort"] = d.port
	v["DestinationPortName"] = portNames[d.port]
}

// destination picks where p connects to.
func (g *Generator) destination(p *process) destination {
	if ds, ok := destinations[p.prog.base()]; ok {
		return oneOf(g.rng, ds)
	}
	return oneOf(g.rng, windowsServices)
}

func (g *Generator) imageLoad(v map[string]any) {
	p := g.host.pick(g.rng, anyProcess)
	g.actor(v, p)
	m := oneOf(g.rng, systemModules)
	if own := appModules[p.prog.base()]; own != nil && g.rng.IntN(3) == 0 {
		m = oneOf(g.rng, own)
	}
	v["ImageLoaded"] = m.path
	v["FileVersion"] = m.version
	v["Description"] = m.description
	v["Product"] = m.product
	v["Company"] = m.company
	v["OriginalFileName"] = m.origin
	v["Hashes"] = hashes(m.path)
	v["Signed"] = "true"
	v["Signature"] = m.signature
	v["SignatureStatus"] = "Valid"
}

// processAccess: one process opening another, mostly for the limited
// query rights that enumerating windows, reading versions or scanning
// need.
func (g *Generator) processAccess(v map[string]any) {
	src := g.host.pick(g.rng, anyProcess)
	dst := g.host.pick(g.rng, func(p *process) bool { return p != src })
	v["SourceProcessGUID"] = src.guid
	v["SourceProcessId"] = src.pid
	v["SourceThreadId"] = src.pid + 4*(1+g.rng.IntN(500))
	v["SourceImage"] = src.prog.image
	v["TargetProcessGUID"] = dst.guid
	v["TargetProcessId"] = dst.pid
	v["TargetImage"] = dst.prog.image
	v["GrantedAccess"] = oneOf(g.rng, []string{"0x1000", "0x1000", "0x1400", "0x101000", "0x2000", "0x100000"})
	v["CallTrace"] = fmt.Sprintf(`C:\Windows\SYSTEM32\ntdll.dll+%x|C:\Windows\System32\KERNELBASE.dll+%x|%s+%x|%s+%x`,
		0x9d000+g.rng.IntN(0x1000), 0x2c000+g.rng.IntN(0x1000), oneOf(g.rng, systemModules).path, g.rng.IntN(0x80000),
		src.prog.image, g.rng.IntN(0x200000))
	v["SourceUser"] = src.prog.account.user()
	v["TargetUser"] = dst.prog.account.user()
}

func (g *Generator) registryEvent(v map[string]any, id int) {
	p := g.host.pick(g.rng, anyProcess)
	g.actor(v, p)
	target, details := registryWrite(g.rng, p)
	if id == 12 {
		v["EventType"] = "CreateKey"
		if g.rng.IntN(4) == 0 {
			v["EventType"] = "DeleteKey"
		}
		target = target[:strings.LastIndexByte(target, '\\')]
	} else {
		v["EventType"] = "SetValue"
		v["Details"] = details
	}
	v["TargetObject"] = target
}

func (g *Generator) dnsQuery(v map[string]any) {
	p := g.host.pick(g.rng, networkProcess)
	g.actor(v, p)
	d := g.destination(p)
	v["QueryName"] = d.name
	v["QueryStatus"] = "0"
	results := "::ffff:" + d.ip + ";"
	if d.rdns != "-" && d.rdns != d.name {
		results = "type:  5 " + d.rdns + ";" + results
	}
	v["QueryResults"] = results
}
