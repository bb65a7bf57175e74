// Package mixgen generates a realistic stream of Windows events, the mix
// one workstation's collector ships: every common Sysmon event, the
// Security, PowerShell and System events SigmaHQ's rules read, interleaved
// in fixed shares, with optional SigmaHQ regression events mixed in. The
// corpus benchmark (BenchmarkCorpus/mixed in tests/) and cmd/mixgen (JSON
// lines for measuring inside a real Fluent Bit) use it.
//
// # Shares
//
// Each event is drawn independently with these probabilities (Shares
// holds the table; with no regression events the others scale up by
// 1/0.99):
//
//	Sysmon 1 process creation    15%     Security 4624 logon          2.5%
//	Sysmon 3 network connection  15%     Security 4625 failed logon   0.3%
//	Sysmon 5 process terminated   5%     Security 4688 process        1.5%
//	Sysmon 7 image load          25%     Security 4663 object access  1.2%
//	Sysmon 10 process access      5%     Security 4672 privileges     1.0%
//	Sysmon 11 file create        10%     PowerShell 4104 script block 1%
//	Sysmon 12 registry key        4%     System 7045 service install  0.5%
//	Sysmon 13 registry value      6%     SigmaHQ regression events    1%
//	Sysmon 22 DNS query           5%
//	Sysmon 23 file delete         1%
//
// # Values
//
// The events come from one simulated host (WKS-0142.corp.example.com, a
// domain workstation of user CORP\jdoe) that keeps a table of running
// processes: system services under services.exe and svchost.exe, the
// user's shell, browsers, Office, Teams, VS Code and the tools they start.
// A process creation picks a program from a catalogue of about 40 (real
// install paths, version resources, the parents that start each, the user
// and integrity level it runs at), starts it under a running parent and
// adds it to the table; a termination removes a short-lived one. Every
// other event is done by a running process the kind suits (network and
// DNS by programs that talk to the network, file and registry writes by
// any), so Image, ProcessGuid, ProcessId, User and ParentImage agree
// across the events of one process, as on a real host.
//
//   - Command lines are each program's real syntax: short for services and
//     tools (20 to 200 bytes), long for the Chromium-based programs' child
//     processes (renderer, GPU and utility processes carry 300 to 2,000
//     bytes of switches and feature lists). About 80% are under 200 bytes,
//     none over 2,000.
//   - Paths are the usual Windows ones: System32, Program Files (x86),
//     ProgramData, the user's AppData\Local, AppData\Roaming and Temp,
//     browser caches, Prefetch, Office's recent files.
//   - Hashes are in Sysmon's Hashes format (SHA1=...,MD5=...,SHA256=...,
//     IMPHASH=..., uppercase hex), derived from the file's path, so one
//     binary always has the same hashes; GUIDs are Sysmon's
//     {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} with a fixed host part.
//   - Network connections and DNS queries go to a table of real services
//     (Google, Microsoft 365, GitHub, Windows Update, the domain
//     controller and file server) with plausible addresses and ports; the
//     source port is ephemeral.
//   - Registry events write under HKLM\SOFTWARE, HKLM\SYSTEM and the user's
//     HKU\S-1-5-21-...\Software (Explorer's MRU and UserAssist keys, BAM,
//     Office, network interfaces), with Sysmon's Details formats.
//   - Security events follow the provider's newest layout (winlayout):
//     logons mostly by the system (type 5) and network logons from the
//     domain controller, the odd failed logon, process creations that
//     mirror the Sysmon ones, file object accesses, special privileges.
//   - PowerShell script blocks are 1 to 16 KB (sizes log-uniform) of
//     administrative module code assembled from ordinary statements.
//   - Service installations are of real vendors' updaters and drivers.
//
// What is not realistic: the host never changes (one computer, one user),
// the shares do not vary over time (a real host bursts: a logon brings
// hundreds of image loads), events are independent draws rather than
// causal sequences (a process's image loads do not follow its creation),
// and the catalogues are small, so values repeat more than on a real host
// (a cache keyed on values would do better here than in the field). The
// values are benign: over the whole SigmaHQ set a few percent of the
// generated events match something (threat-hunting rules are written to be
// noisy), which the corpus test measures; the regression events, when
// given, match.
//
// The stream is a pure function of the seed (math/rand/v2's PCG): the same
// seed gives the same events, so benchmark runs are comparable.
package mixgen
