package mixgen

import (
	"fmt"
	"math"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
)

// securityData returns the event data of a Security event id, in the
// order of the provider's newest layout of it.
func (g *Generator) securityData(id int) fixture.Map {
	v := map[string]any{}
	switch id {
	case 4624:
		g.logon(v)
	case 4625:
		g.failedLogon(v)
	case 4688:
		g.securityProcess(v)
	case 4663:
		p := g.host.pick(g.rng, func(p *process) bool { return p.prog.account == interactive })
		subject(v, p.prog.account)
		v["ObjectServer"] = "Security"
		v["ObjectType"] = "File"
		v["ObjectName"] = userFile(g.rng, p)
		v["HandleId"] = fmt.Sprintf("0x%x", 0x100+4*g.rng.IntN(0x800))
		v["AccessList"] = "%%4417\r\n\t\t\t\t"
		v["AccessMask"] = "0x2"
		v["ProcessId"] = fmt.Sprintf("0x%x", p.pid)
		v["ProcessName"] = p.prog.image
		v["ResourceAttributes"] = "S:AI"
	case 4672:
		subject(v, system)
		v["PrivilegeList"] = "SeAssignPrimaryTokenPrivilege\r\n\t\t\tSeTcbPrivilege\r\n\t\t\tSeSecurityPrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeAuditPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege"
	}
	return ordered(winlayout.Layouts(winlayout.Security, id)[0], v)
}

// subject sets the Subject fields: the machine account for the system.
func subject(v map[string]any, a *account) {
	v["SubjectUserSid"] = a.sid
	v["SubjectUserName"] = a.name
	v["SubjectDomainName"] = a.domain
	if a == system {
		v["SubjectUserName"] = "WKS-0142$"
		v["SubjectDomainName"] = "CORP"
	}
	v["SubjectLogonId"] = a.logonID
}

// logon: mostly services starting (type 5), then network logons from the
// domain controller, then the user's own (interactive, unlock, cached).
func (g *Generator) logon(v map[string]any) {
	subject(v, system)
	target, logonType, process, ip := system, 5, `C:\Windows\System32\services.exe`, "-"
	pkg, logonProcess := "Negotiate", "Advapi  "
	switch x := g.rng.IntN(20); {
	case x < 5:
		subject(v, &account{"NULL SID", "-", "S-1-0-0", "0x0", "", 0})
		v["SubjectDomainName"] = "-"
		target, logonType, process, ip = interactive, 3, "-", "10.20.0.10"
		pkg, logonProcess = "Kerberos", "Kerberos"
	case x < 7:
		target, logonType, process = interactive, oneOf(g.rng, []int{2, 7, 11}), sys32+"svchost.exe"
		ip, logonProcess = "127.0.0.1", "User32 "
	}
	v["TargetUserSid"] = target.sid
	v["TargetUserName"] = target.name
	v["TargetDomainName"] = target.domain
	v["TargetLogonId"] = fmt.Sprintf("0x%x", 0x3e7+g.rng.IntN(0x100000))
	v["LogonType"] = logonType
	v["LogonProcessName"] = logonProcess
	v["AuthenticationPackageName"] = pkg
	v["WorkstationName"] = "-"
	v["LogonGuid"] = "{00000000-0000-0000-0000-000000000000}"
	if pkg == "Kerberos" {
		v["LogonGuid"] = "{" + guid(g.rng) + "}"
	}
	v["TransmittedServices"] = "-"
	v["LmPackageName"] = "-"
	v["KeyLength"] = 0
	v["ProcessId"] = "0x0"
	if process != "-" {
		v["ProcessId"] = fmt.Sprintf("0x%x", 0x2b0+4*g.rng.IntN(64))
	}
	v["ProcessName"] = process
	v["IpAddress"] = ip
	v["IpPort"] = "0"
	if logonType == 3 {
		v["IpPort"] = fmt.Sprint(49152 + g.rng.IntN(16000))
	}
	v["ImpersonationLevel"] = "%%1833"
	v["VirtualAccount"] = "%%1843"
	v["TargetLinkedLogonId"] = "0x0"
	v["ElevatedToken"] = "%%1842"
}

// failedLogon: a mistyped password, now and then a user name that does
// not exist, over the network from another workstation.
func (g *Generator) failedLogon(v map[string]any) {
	subject(v, &account{"NULL SID", "-", "S-1-0-0", "0x0", "", 0})
	v["SubjectDomainName"] = "-"
	v["TargetUserSid"] = "S-1-0-0"
	v["TargetUserName"] = oneOf(g.rng, []string{"jdoe", "jdoe", "j.doe", "asmith"})
	v["TargetDomainName"] = "CORP"
	v["Status"] = "0xc000006d"
	v["SubStatus"] = "0xc000006a"
	if v["TargetUserName"] == "j.doe" {
		v["SubStatus"] = "0xc0000064"
	}
	v["FailureReason"] = "%%2313"
	v["LogonType"] = 3
	v["LogonProcessName"] = "NtLmSsp "
	v["AuthenticationPackageName"] = "NTLM"
	v["WorkstationName"] = "WKS-0117"
	v["KeyLength"] = 0
	v["ProcessId"] = "0x0"
	v["IpAddress"] = "10.20.31.117"
	v["IpPort"] = fmt.Sprint(49152 + g.rng.IntN(16000))
}

// securityProcess is Security's process creation (4688), of a process
// started like Sysmon's.
func (g *Generator) securityProcess(v map[string]any) {
	p := g.host.spawn(g.rng)
	subject(v, p.prog.account)
	v["NewProcessId"] = fmt.Sprintf("0x%x", p.pid)
	v["NewProcessName"] = p.prog.image
	v["TokenElevationType"] = "%%1936"
	v["MandatoryLabel"] = "S-1-16-16384"
	if p.prog.account == interactive {
		v["TokenElevationType"] = "%%1938"
		v["MandatoryLabel"] = "S-1-16-8192"
		if p.prog.integrity == "Low" {
			v["MandatoryLabel"] = "S-1-16-4096"
		}
	}
	v["ProcessId"] = fmt.Sprintf("0x%x", p.parent.pid)
	v["CommandLine"] = p.cmd
	v["TargetUserSid"] = "S-1-0-0"
	v["TargetLogonId"] = "0x0"
	v["ParentProcessName"] = p.parent.prog.image
}

// serviceInstall is the System log's 7045: an updater's or a driver's
// service being installed.
func (g *Generator) serviceInstall() fixture.Map {
	s := oneOf(g.rng, []struct{ name, path, kind, start, account string }{
		{"Google Chrome Elevation Service (GoogleChromeElevationService)", `"C:\Program Files\Google\Chrome\Application\` + chromeV + `\elevation_service.exe"`, "user mode service", "demand start", "LocalSystem"},
		{"Microsoft Edge Update Service (edgeupdate)", `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /svc`, "user mode service", "auto start", "LocalSystem"},
		{"Google Updater Internal Service (GoogleUpdaterInternalService131.0.6778.86)", `"C:\Program Files (x86)\Google\GoogleUpdater\131.0.6778.86\updater.exe" --system --windows-service --service=update-internal`, "user mode service", "auto start", "LocalSystem"},
		{"Mozilla Maintenance Service", `"C:\Program Files (x86)\Mozilla Maintenance Service\maintenanceservice.exe"`, "user mode service", "demand start", "LocalSystem"},
		{"Microsoft Update Health Service", `"C:\Program Files\Microsoft Update Health Tools\uhssvc.exe"`, "user mode service", "auto start", "LocalSystem"},
		{"Intel(R) Management Engine Interface", `\SystemRoot\System32\drivers\TeeDriverW10x64.sys`, "kernel mode driver", "demand start", ""},
		{"Realtek Audio Universal Service", `"C:\Windows\System32\DriverStore\FileRepository\realtekservice.inf_amd64_3a2b1c0d4e5f6a7b\RtkAudUService64.exe"`, "user mode service", "auto start", "LocalSystem"},
	})
	return ordered(winlayout.Layouts(winlayout.ServiceControlManager, 7045)[0], map[string]any{
		"ServiceName": s.name, "ImagePath": s.path, "ServiceType": s.kind, "StartType": s.start, "AccountName": s.account,
	})
}

// scriptBlock is PowerShell's 4104: administrative module code, 1 to 16
// KB, sizes log-uniform.
func (g *Generator) scriptBlock() fixture.Map {
	target := int(math.Exp(math.Log(1024) + g.rng.Float64()*(math.Log(16384)-math.Log(1024))))
	var b strings.Builder
	b.WriteString("# Copyright (c) Contoso Ltd. All rights reserved.\r\n# Inventory and maintenance helpers for managed workstations.\r\n\r\nSet-StrictMode -Version Latest\r\n\r\n")
	const export = "Export-ModuleMember -Function %s\r\n"
	var names []string
	exportLen := len(export) // an upper bound: the names and their separators are added
	for b.Len() < target {
		name := oneOf(g.rng, psVerbs) + "-Contoso" + oneOf(g.rng, psNouns)
		block := psFunction(g, name)
		if b.Len()+len(block)+exportLen+len(name)+2 > 16384 {
			break
		}
		b.WriteString(block)
		names = append(names, name)
		exportLen += len(name) + 2
	}
	fmt.Fprintf(&b, export, strings.Join(names, ", "))
	path := `C:\Program Files\WindowsPowerShell\Modules\Contoso.Inventory\2.4.1\Contoso.Inventory.psm1`
	return fixture.Map{{K: "MessageNumber", V: 1}, {K: "MessageTotal", V: 1}, {K: "ScriptBlockText", V: b.String()},
		{K: "ScriptBlockId", V: guid(g.rng)}, {K: "Path", V: path}}
}

var (
	psVerbs = []string{"Get", "Set", "Test", "Update", "Export", "Clear", "Register", "Resolve"}
	psNouns = []string{"Inventory", "Config", "DiskUsage", "ServiceState", "PrinterMapping", "DriveMapping", "LogArchive",
		"PatchLevel", "Certificate", "ProxySetting", "Shortcut", "AppVersion"}
	psStatements = []string{
		"$items = @(Get-ChildItem -LiteralPath $Path -Filter '*.json' -File -ErrorAction SilentlyContinue)",
		"foreach ($item in $items) {\r\n        $name = $item.BaseName.Trim()\r\n        $result[$name] = $item.LastWriteTimeUtc\r\n    }",
		"if (-not (Test-Path -LiteralPath $Path)) {\r\n        Write-Verbose \"Path $Path not found, using defaults\"\r\n        return [pscustomobject]@{ Interval = 300; LogLevel = 'Information' }\r\n    }",
		"$content = Get-Content -LiteralPath $Path -Raw -ErrorAction Stop | ConvertFrom-Json",
		"$service = Get-Service -Name 'Spooler' -ErrorAction SilentlyContinue\r\n    if ($service -and $service.Status -ne 'Running') {\r\n        Write-Warning \"Spooler is $($service.Status)\"\r\n    }",
		"$culture = [System.Globalization.CultureInfo]::InvariantCulture\r\n    $stamp = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $culture)",
		"$result = [ordered]@{}\r\n    $result['ComputerName'] = $env:COMPUTERNAME\r\n    $result['OSVersion'] = [Environment]::OSVersion.VersionString",
		"Write-Verbose -Message ('Processed {0} entries in {1:N0} ms' -f $count, $watch.Elapsed.TotalMilliseconds)",
		"$watch = [System.Diagnostics.Stopwatch]::StartNew()\r\n    $count = 0",
		"try {\r\n        $value = Get-ItemPropertyValue -Path 'HKCU:\\Software\\Contoso\\Agent' -Name 'Interval' -ErrorAction Stop\r\n    }\r\n    catch {\r\n        $value = 300\r\n    }",
		"$lines = $content -split \"`r?`n\" | Where-Object { $_ -and -not $_.StartsWith('#') }",
		"$output = Join-Path -Path $env:LOCALAPPDATA -ChildPath 'Contoso\\Agent\\state.json'\r\n    $result | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $output -Encoding UTF8",
		"$sorted = $entries | Sort-Object -Property Name -Unique | Select-Object -First $MaxCount",
		"switch ($Mode) {\r\n        'Full' { $depth = 8 }\r\n        'Quick' { $depth = 2 }\r\n        default { $depth = 4 }\r\n    }",
		"$version = [version]$item.Version\r\n    if ($version -lt [version]'2.4.0') {\r\n        $outdated += $item.Name\r\n    }",
		"$PSCmdlet.WriteObject([pscustomobject]$result)",
	}
)

// psFunction returns an advanced function of a few statements.
func psFunction(g *Generator, name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "function %s {\r\n    [CmdletBinding()]\r\n    param(\r\n        [Parameter(Mandatory = $false)]\r\n        [string]$Path = (Join-Path $env:ProgramData 'Contoso\\Agent'),\r\n        [ValidateSet('Full', 'Quick')]\r\n        [string]$Mode = 'Quick',\r\n        [int]$MaxCount = %d\r\n    )\r\n\r\n", name, 10+g.rng.IntN(990))
	for i, n := 0, 3+g.rng.IntN(6); i < n; i++ {
		fmt.Fprintf(&b, "    %s\r\n", oneOf(g.rng, psStatements))
	}
	b.WriteString("}\r\n\r\n")
	return b.String()
}
