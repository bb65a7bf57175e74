package ahocorasick

import (
	"bytes"
	"fmt"
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// sigmaLikePatterns returns n distinct literals of the kind Sigma rules
// look for in process creation events: executables, arguments, DLLs and
// path fragments, and executables with an argument. They are synthesized
// here (no rule text is copied), folded as the rules package folds them.
func sigmaLikePatterns(n int) []string {
	tools := []string{"powershell", "pwsh", "cmd", "rundll32", "regsvr32", "mshta", "wscript", "cscript",
		"certutil", "bitsadmin", "wmic", "schtasks", "reg", "net", "net1", "sc", "vssadmin", "wbadmin",
		"bcdedit", "msiexec", "installutil", "regasm", "regsvcs", "msbuild", "cmstp", "forfiles", "hh",
		"curl", "wget", "ftp", "tar", "expand", "extrac32", "esentutl", "ntdsutil", "procdump", "psexec",
		"whoami", "nltest", "dsquery", "adfind", "tasklist", "taskkill", "netsh", "fodhelper", "sdbinst"}
	args := []string{" -enc ", " -encodedcommand ", " -nop ", " -w hidden", " -windowstyle hidden",
		" bypass", "invoke-expression", "iex(", "downloadstring", "downloadfile", "frombase64string",
		"-urlcache", " /transfer ", "shadowcopy delete", "delete shadows", " /create ", " /sc minute",
		" add ", " /f ", "-decode", " /i:http", "javascript:", "vbscript:", "comsvcs.dll", "minidump",
		" sekurlsa", "lsass", " /domain_trusts", "objectcategory=computer", " stop ", " config ",
		"recoveryenabled no", "bootstatuspolicy", "-accepteula", " -ma ", "start-bitstransfer"}
	paths := []string{"\\appdata\\local\\temp\\", "\\users\\public\\", "\\programdata\\", "\\windows\\temp\\",
		"\\perflogs\\", "\\$recycle.bin\\", "\\desktop\\", "\\downloads\\", "\\system32\\tasks\\",
		"\\microsoft\\windows\\start menu\\programs\\startup\\", ".hta", ".vbs", ".js", ".ps1", ".bat", ".lnk",
		".scr", ".dmp", "\\\\127.0.0.1\\", "\\\\localhost\\admin$", "\\sysvol\\", "ntds.dit"}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] && len(out) < n {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, t := range tools {
		add("\\" + t + ".exe")
	}
	for _, a := range args {
		add(a)
	}
	for _, p := range paths {
		add(p)
	}
	for i := 0; len(out) < n; i++ {
		add(tools[i%len(tools)] + ".exe" + args[(i/len(tools)+i)%len(args)])
	}
	return out
}

// sysmonCommandLines are process creation command lines and images as
// Sysmon reports them, mostly benign, 100 to 400 bytes; one has a user
// name outside ASCII, which makes the automaton fold.
var sysmonCommandLines = []string{
	`"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --display-capture-permissions-policy-allowed --lang=en-US --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=8 --mojo-platform-channel-handle=4220 /prefetch:1`,
	`C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule C:\Windows\System32\svchost.exe NT AUTHORITY\SYSTEM {3A1B2C4D-0E5F-4A6B-8C7D-9E0F1A2B3C4D}`,
	`C:\Windows\System32\RuntimeBroker.exe -Embedding C:\Windows\System32\RuntimeBroker.exe NT AUTHORITY\SYSTEM`,
	`"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE" /recycle C:\Users\jsmith\AppData\Local\Microsoft\Outlook\jsmith@example.com.ost`,
	`C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding C:\Windows\System32\wbem\WmiPrvSE.exe {4F2E1C0B-8D3A-4B5E-9F10-2A6C7D8E9F01}`,
	`"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=2040 --field-trial-handle=1884,i,1234567890123456789,9876543210987654321,262144 /prefetch:8`,
	`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\Sense\Scripts\collect.ps1 -OutputDir C:\ProgramData\Sense\Temp`,
	`C:\Users\jürgen.müller\AppData\Local\Programs\Microsoft VS Code\Code.exe --type=gpu-process --enable-crash-reporter=4f1e2d3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f,no_channel --user-data-dir=C:\Users\jürgen.müller\AppData\Roaming\Code`,
	`C:\Windows\system32\cmd.exe /c ""C:\Program Files\Git\cmd\git.exe" fetch --prune --quiet origin" C:\Users\dev\source\repos\service`,
	`"C:\Windows\System32\rundll32.exe" C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Windows\Temp\lsass.dmp full`,
}

// TestBenchmarkInputs checks the benchmark's patterns and inputs against
// the reference, so the benchmark measures correct scans, and that some
// inputs hit patterns.
func TestBenchmarkInputs(t *testing.T) {
	patterns := sigmaLikePatterns(300)
	if len(patterns) != 300 {
		t.Fatalf("%d patterns, want 300", len(patterns))
	}
	a := New(patterns, simpleFold)
	var scratch []byte
	hit := 0
	for _, s := range sysmonCommandLines {
		checkAgainstReference(t, a, patterns, []byte(s))
		if len(a.Scan([]byte(s), nil, &scratch)) > 0 {
			hit++
		}
	}
	if hit == 0 || hit == len(sysmonCommandLines) {
		t.Errorf("%d of %d inputs hit patterns, want some but not all", hit, len(sysmonCommandLines))
	}
}

func BenchmarkScan(b *testing.B) {
	texts := make([][]byte, len(sysmonCommandLines))
	size := 0
	for i, s := range sysmonCommandLines {
		texts[i] = []byte(s)
		size += len(s)
	}
	for _, n := range []int{10, 300} {
		patterns := sigmaLikePatterns(n)
		b.Run(fmt.Sprintf("ahocorasick/%d", n), func(b *testing.B) {
			a := New(patterns, simpleFold)
			var hits []int32
			var scratch []byte
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, text := range texts {
					hits = a.Scan(text, hits[:0], &scratch)
				}
			}
		})
		// Contains: each pattern looked for in the folded text, which
		// is what Scan answers (bytes.Contains is strings.Contains on
		// bytes, so folding needs no conversion).
		b.Run(fmt.Sprintf("Contains/%d", n), func(b *testing.B) {
			folded := make([][]byte, len(patterns))
			for i, p := range patterns {
				folded[i] = simpleFold(nil, []byte(p))
			}
			var buf []byte
			found := 0
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, text := range texts {
					buf = simpleFold(buf[:0], text)
					for _, p := range folded {
						if bytes.Contains(buf, p) {
							found++
						}
					}
				}
			}
		})
		// regexp: one case-insensitive alternation, which answers less
		// (whether any pattern occurs, not which).
		b.Run(fmt.Sprintf("regexp/%d", n), func(b *testing.B) {
			quoted := make([]string, len(patterns))
			for i, p := range patterns {
				quoted[i] = regexp.QuoteMeta(p)
			}
			re := regexp.MustCompile("(?i)" + strings.Join(quoted, "|"))
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, text := range texts {
					re.Match(text)
				}
			}
		})
	}
}

// BenchmarkSampled: thousands of hash literals, as SigmaHQ's Hashes
// field has (the last 24 bytes of each, as the rules package keeps
// them), sampled in Sysmon Hashes values that hold none of them.
func BenchmarkSampled(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	hex := func(n int) string {
		const digits = "0123456789ABCDEF"
		s := make([]byte, n)
		for i := range s {
			s[i] = digits[rng.Intn(16)]
		}
		return string(s)
	}
	var patterns []string
	for i := range 5000 {
		h := []string{"MD5=" + hex(32), "SHA256=" + hex(64), "IMPHASH=" + hex(32)}[i%3]
		patterns = append(patterns, h[len(h)-24:])
	}
	x := NewSampled(patterns, simpleFold)
	var texts [][]byte
	size := 0
	for range 64 {
		t := []byte("SHA1=" + hex(40) + ",MD5=" + hex(32) + ",SHA256=" + hex(64) + ",IMPHASH=" + hex(32))
		texts = append(texts, t)
		size += len(t)
	}
	var hits []int32
	for _, t := range texts {
		if hits = x.ScanFolded(t, hits[:0]); len(hits) > 0 {
			b.Fatalf("%q holds a pattern", t)
		}
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, t := range texts {
			hits = x.ScanFolded(t, hits[:0])
		}
	}
}
