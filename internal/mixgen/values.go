package mixgen

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// hexOf returns n uppercase hex digits derived from key: the same key
// always gives the same digits, as a file always has the same hash.
func hexOf(key string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(n)))
	const digits = "0123456789ABCDEF"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

// hashes returns Sysmon's Hashes value of a file (HashAlgorithms *).
func hashes(path string) string {
	key := strings.ToLower(path)
	return "SHA1=" + hexOf(key+"sha1", 40) + ",MD5=" + hexOf(key+"md5", 32) + ",SHA256=" + hexOf(key+"sha256", 64) +
		",IMPHASH=" + hexOf(key+"imphash", 32)
}

// guid returns a random GUID as Windows prints it, without braces.
func guid(rng *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.IntN(0x10000), 0x4000|rng.IntN(0x1000),
		0x8000|rng.IntN(0x4000), rng.Uint64()&(1<<48-1))
}

// utcTime formats t as Sysmon's UtcTime.
func utcTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// module is a DLL a process loads.
type module struct {
	path, version, description, product, company, origin, signature string
}

func sysModule(name, desc string) module {
	return module{sys32 + name, winVer, desc, windows, ms, name, "Microsoft Windows"}
}

// systemModules are what every process loads.
var systemModules = []module{
	sysModule("ntdll.dll", "NT Layer DLL"), sysModule("kernel32.dll", "Windows NT BASE API Client DLL"),
	sysModule("KernelBase.dll", "Windows NT BASE API Client DLL"), sysModule("user32.dll", "Multi-User Windows USER API Client DLL"),
	sysModule("win32u.dll", "Win32u"), sysModule("gdi32.dll", "GDI Client DLL"), sysModule("gdi32full.dll", "GDI Client DLL"),
	sysModule("msvcp_win.dll", "Microsoft® C Runtime Library"), sysModule("ucrtbase.dll", "Microsoft® C Runtime Library"),
	sysModule("advapi32.dll", "Advanced Windows 32 Base API"), sysModule("msvcrt.dll", "Windows NT CRT DLL"),
	sysModule("sechost.dll", "Host for SCM/SDDL/LSA Lookup APIs"), sysModule("rpcrt4.dll", "Remote Procedure Call Runtime"),
	sysModule("combase.dll", "Microsoft COM for Windows"), sysModule("ole32.dll", "Microsoft OLE for Windows"),
	sysModule("oleaut32.dll", "OLEAUT32.DLL"), sysModule("shell32.dll", "Windows Shell Common Dll"),
	sysModule("shlwapi.dll", "Shell Light-weight Utility Library"), sysModule("imm32.dll", "Multi-User Windows IMM32 API Client DLL"),
	sysModule("uxtheme.dll", "Microsoft UxTheme Library"), sysModule("windows.storage.dll", "Microsoft WinRT Storage API"),
	sysModule("wldp.dll", "Windows Lockdown Policy"), sysModule("SHCore.dll", "SHCORE"), sysModule("profapi.dll", "User Profile Basic API"),
	sysModule("kernel.appcore.dll", "AppModel API Host"), sysModule("bcryptprimitives.dll", "Windows Cryptographic Primitives Library"),
	sysModule("cryptbase.dll", "Base cryptographic API DLL"), sysModule("bcrypt.dll", "Windows Cryptographic Primitives Library"),
	sysModule("crypt32.dll", "Crypto API32"), sysModule("msasn1.dll", "ASN.1 Runtime APIs"), sysModule("wintrust.dll", "Microsoft Trust Verification APIs"),
	sysModule("ws2_32.dll", "Windows Socket 2.0 32-Bit DLL"), sysModule("mswsock.dll", "Microsoft Windows Sockets 2.0 Service Provider"),
	sysModule("IPHLPAPI.DLL", "IP Helper API"), sysModule("nsi.dll", "NSI User-mode interface DLL"), sysModule("dnsapi.dll", "DNS Client API DLL"),
	sysModule("winhttp.dll", "Windows HTTP Services"), sysModule("wininet.dll", "Internet Extensions for Win32"),
	sysModule("iertutil.dll", "Run time utility for Internet Explorer"), sysModule("version.dll", "Version Checking and File Installation Libraries"),
	sysModule("userenv.dll", "Userenv"), sysModule("powrprof.dll", "Power Profile Helper DLL"), sysModule("umpdc.dll", "User Mode Power Dependency Coordinator"),
	sysModule("cfgmgr32.dll", "Configuration Manager DLL"), sysModule("dwmapi.dll", "Microsoft Desktop Window Manager API"),
	sysModule("propsys.dll", "Microsoft Property System"), sysModule("clbcatq.dll", "COM+ Configuration Catalog"),
	sysModule("msctf.dll", "MSCTF Server DLL"), sysModule("TextInputFramework.dll", `"TextInputFramework.DYNLINK"`),
	sysModule("CoreMessaging.dll", "Microsoft CoreMessaging Dll"), sysModule("CoreUIComponents.dll", "Microsoft Core UI Components Dll"),
	sysModule("WinTypes.dll", "Windows Base Types DLL"), sysModule("twinapi.appcore.dll", "twinapi.appcore"),
	sysModule("sspicli.dll", "Security Support Provider Interface"), sysModule("d3d11.dll", "Direct3D 11 Runtime"),
	sysModule("dxgi.dll", "DirectX Graphics Infrastructure"), sysModule("dwrite.dll", "Microsoft DirectX Typography Services"),
	sysModule("winmm.dll", "MCI API DLL"), sysModule("netapi32.dll", "Net Win32 API DLL"), sysModule("wtsapi32.dll", "Windows Remote Desktop Session Host Server SDK APIs"),
	sysModule("mpr.dll", "Multiple Provider Router DLL"), sysModule("apphelp.dll", "Application Compatibility Client Library"),
}

// appModules are a program's own DLLs, by the program's file name.
var appModules = map[string][]module{
	"chrome.exe": {
		{`C:\Program Files\Google\Chrome\Application\` + chromeV + `\chrome.dll`, chromeV, "Google Chrome", "Google Chrome", "Google LLC", "chrome.dll", "Google LLC"},
		{`C:\Program Files\Google\Chrome\Application\` + chromeV + `\chrome_elf.dll`, chromeV, "Google Chrome", "Google Chrome", "Google LLC", "chrome_elf.dll", "Google LLC"},
		{`C:\Program Files\Google\Chrome\Application\` + chromeV + `\libegl.dll`, "2.1.23916 git hash: 4b9a3d1c5e6f", "ANGLE libEGL Dynamic Link Library", "ANGLE libEGL Dynamic Link Library", "Google LLC", "libEGL.dll", "Google LLC"},
	},
	"msedge.exe": {
		{`C:\Program Files (x86)\Microsoft\Edge\Application\` + edgeV + `\msedge.dll`, edgeV, "Microsoft Edge", "Microsoft Edge", ms, "msedge.dll", "Microsoft Corporation"},
		{`C:\Program Files (x86)\Microsoft\Edge\Application\` + edgeV + `\msedge_elf.dll`, edgeV, "Microsoft Edge", "Microsoft Edge", ms, "msedge_elf.dll", "Microsoft Corporation"},
	},
	"OUTLOOK.EXE": {
		{`C:\Program Files\Common Files\microsoft shared\office16\mso20win32client.dll`, "16.0.18129.20158", "Microsoft Office 2016 component", "Microsoft Office", ms, "mso20win32client.dll", "Microsoft Corporation"},
		{`C:\Program Files\Microsoft Office\root\Office16\olmapi32.dll`, "16.0.18129.20158", "Microsoft Outlook MAPI", "Microsoft Office", ms, "olmapi32.dll", "Microsoft Corporation"},
	},
	"Code.exe": {
		{userHome + `AppData\Local\Programs\Microsoft VS Code\ffmpeg.dll`, "", "-", "-", "-", "-", "Microsoft Corporation"},
		{userHome + `AppData\Local\Programs\Microsoft VS Code\libglesv2.dll`, "2.1.23916", "ANGLE libGLESv2 Dynamic Link Library", "ANGLE libGLESv2 Dynamic Link Library", "Google LLC", "libGLESv2.dll", "Microsoft Corporation"},
	},
	"MsMpEng.exe": {
		{`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0\mpsvc.dll`, "4.18.24090.11", "Microsoft Defender Antivirus Service", windows, ms, "mpsvc.dll", "Microsoft Windows Publisher"},
		{`C:\ProgramData\Microsoft\Windows Defender\Definition Updates\{4C7C4A3F-64E0-4F2E-9B4B-3C0E1D0E2F1A}\mpengine.dll`, "1.1.24100.5", "Microsoft Malware Protection Engine", "Microsoft Malware Protection", ms, "mpengine.dll", "Microsoft Corporation"},
	},
}

// destination is a service the host talks to.
type destination struct {
	name, ip, rdns string
	port           int
}

var (
	microsoft365 = []destination{
		{"outlook.office365.com", "52.97.146.162", "-", 443},
		{"login.microsoftonline.com", "20.190.159.2", "-", 443},
		{"graph.microsoft.com", "20.190.151.9", "-", 443},
	}
	teams = append([]destination{
		{"teams.microsoft.com", "52.113.194.132", "-", 443},
		{"teams.events.data.microsoft.com", "52.113.194.133", "-", 443},
	}, microsoft365...)
	web = append([]destination{
		{"www.google.com", "142.250.185.68", "fra16s48-in-f4.1e100.net", 443},
		{"clients4.google.com", "142.250.186.110", "fra24s06-in-f14.1e100.net", 443},
		{"fonts.gstatic.com", "142.250.185.67", "fra16s48-in-f3.1e100.net", 443},
		{"www.bing.com", "204.79.197.200", "a-0001.a-msedge.net", 443},
		{"github.com", "140.82.121.4", "lb-140-82-121-4-fra.github.com", 443},
		{"en.wikipedia.org", "185.15.59.224", "text-lb.esams.wikimedia.org", 443},
		{"www.linkedin.com", "13.107.42.14", "-", 443},
		{"intranet.corp.example.com", "10.20.0.40", "intranet.corp.example.com", 443},
	}, microsoft365...)
	development = []destination{
		{"github.com", "140.82.121.4", "lb-140-82-121-4-fra.github.com", 443},
		{"api.github.com", "140.82.121.6", "lb-140-82-121-6-fra.github.com", 443},
		{"registry.npmjs.org", "104.16.27.34", "-", 443},
		{"marketplace.visualstudio.com", "13.107.42.18", "-", 443},
		{"update.code.visualstudio.com", "13.107.246.40", "-", 443},
	}
	windowsServices = []destination{
		{"settings-win.data.microsoft.com", "20.42.65.85", "-", 443},
		{"v10.events.data.microsoft.com", "20.189.173.10", "-", 443},
		{"ctldl.windowsupdate.com", "93.184.221.240", "-", 80},
		{"wdcp.microsoft.com", "20.189.173.14", "-", 443},
		{"dc01.corp.example.com", "10.20.0.10", "dc01.corp.example.com", 389},
		{"dc01.corp.example.com", "10.20.0.10", "dc01.corp.example.com", 135},
	}
	// destinations are where each program connects, by file name; the
	// others are Windows services.
	destinations = map[string][]destination{
		"OUTLOOK.EXE": microsoft365, "WINWORD.EXE": microsoft365, "EXCEL.EXE": microsoft365,
		"ms-teams.exe": teams, "msedgewebview2.exe": teams, "OneDrive.exe": append([]destination{
			{"oneclient.sfx.ms", "23.62.226.10", "a23-62-226-10.deploy.static.akamaitechnologies.com", 443}}, microsoft365...),
		"chrome.exe": web, "msedge.exe": web, "explorer.exe": web,
		"Code.exe": development, "git.exe": development, "node.exe": development,
		"GoogleUpdate.exe":        {{"update.googleapis.com", "142.250.185.99", "fra16s51-in-f3.1e100.net", 443}},
		"MicrosoftEdgeUpdate.exe": {{"msedge.api.cdp.microsoft.com", "13.107.246.41", "-", 443}},
	}
)

var portNames = map[int]string{443: "https", 80: "http", 389: "ldap", 135: "epmap"}

// hostIP is the workstation's address.
const hostIP = "10.20.31.142"

// userFile returns a file a user program writes or deletes.
func userFile(rng *rand.Rand, p *process) string {
	switch p.prog.base() {
	case "chrome.exe":
		return fmt.Sprintf(`%sAppData\Local\Google\Chrome\User Data\Default\Cache\Cache_Data\f_%06x`, userHome, rng.IntN(0x20000))
	case "msedge.exe", "msedgewebview2.exe":
		return fmt.Sprintf(`%sAppData\Local\Microsoft\Edge\User Data\Default\Code Cache\js\%s_0`, userHome, strings.ToLower(hexOf(fmt.Sprint(rng.IntN(5000)), 16)))
	case "OUTLOOK.EXE", "WINWORD.EXE", "EXCEL.EXE":
		return oneOf(rng, []string{
			fmt.Sprintf(`%sAppData\Local\Microsoft\Windows\INetCache\Content.Outlook\8JQ2ZK1M\image%03d.png`, userHome, rng.IntN(300)),
			fmt.Sprintf(`%sAppData\Local\Microsoft\Office\16.0\OfficeFileCache\%d.tmp`, userHome, rng.IntN(900)),
			fmt.Sprintf(`%sDocuments\~$arterly report Q3 2026.docx`, userHome),
		})
	case "Code.exe", "git.exe", "node.exe":
		return oneOf(rng, []string{
			fmt.Sprintf(`%ssource\repos\webshop\dist\assets\index-%s.js`, userHome, strings.ToLower(hexOf(fmt.Sprint(rng.IntN(50)), 8))),
			fmt.Sprintf(`%ssource\repos\webshop\.git\objects\%02x\%s`, userHome, rng.IntN(256), strings.ToLower(hexOf(fmt.Sprint(rng.Uint32()), 38))),
			fmt.Sprintf(`%sAppData\Roaming\Code\logs\20261125T083000\window1\exthost\output_logging_%d\1-Git.log`, userHome, rng.IntN(9)),
		})
	}
	if p.prog.account == interactive {
		return oneOf(rng, []string{
			fmt.Sprintf(`%sAppData\Local\Temp\%s.tmp`, userHome, strings.ToUpper(guid(rng))),
			fmt.Sprintf(`%sAppData\Local\Microsoft\Windows\Notifications\wpndatabase.db-wal`, userHome),
			fmt.Sprintf(`%sAppData\Local\Microsoft\Windows\Explorer\iconcache_%d.db`, userHome, 16<<rng.IntN(6)),
		})
	}
	return oneOf(rng, []string{
		fmt.Sprintf(`C:\Windows\Prefetch\%s-%s.pf`, strings.ToUpper(oneOf(rng, spawnable).base()), hexOf(fmt.Sprint(rng.IntN(80)), 8)),
		fmt.Sprintf(`C:\Windows\ServiceProfiles\LocalService\AppData\Local\Temp\%s.tmp`, strings.ToUpper(guid(rng))),
		`C:\ProgramData\Microsoft\Windows\DeviceMetadataCache\dmrc.idx`,
		fmt.Sprintf(`C:\Windows\System32\LogFiles\WMI\RtBackup\EtwRTDiagLog%d.etl`, rng.IntN(3)),
		fmt.Sprintf(`C:\Windows\SoftwareDistribution\Download\%s`, strings.ToLower(hexOf(fmt.Sprint(rng.IntN(40)), 32))),
	})
}

// registryWrite returns a key or value a process writes, and Sysmon's
// Details of the value written.
func registryWrite(rng *rand.Rand, p *process) (target, details string) {
	hku := `HKU\` + interactive.sid
	device := `\Device\HarddiskVolume3` + p.prog.image[2:]
	if p.prog.account == interactive {
		v := oneOf(rng, []regValue{
			{hku + `\Software\Microsoft\Windows\CurrentVersion\Explorer\FeatureUsage\AppSwitched\` + p.prog.image, fmt.Sprintf("DWORD (0x%08x)", rng.IntN(200))},
			{hku + `\Software\Microsoft\Windows\CurrentVersion\Explorer\ComDlg32\OpenSavePidlMRU\docx\` + fmt.Sprint(rng.IntN(20)), "Binary Data"},
			{hku + `\Software\Microsoft\Windows\CurrentVersion\Explorer\UserAssist\{CEBFF5CD-ACE2-4F4F-9178-9926F41749EA}\Count\{6Q809377-6NS0-444O-8957-N3773S02200R}\Zvpebfbsg\Jvaqbjf\Fgneg\Zrah\Cebtenzf\Bhgybbx.yax`, "Binary Data"},
			{hku + `\Software\Microsoft\Office\16.0\Common\Roaming\Identities\` + strings.ToLower(hexOf("id", 32)) + `_ADAL\Settings\1186\{00000000-0000-0000-0000-000000000000}\PendingChanges`, "DWORD (0x00000000)"},
			{hku + `\Software\Microsoft\Windows\CurrentVersion\CloudStore\Store\Cache\DefaultAccount\$de${` + guid(rng) + `}$windows.data.unifiedtile.startglobalproperties\Current\Data`, "Binary Data"},
			{hku + `_Classes\Local Settings\Software\Microsoft\Windows\Shell\BagMRU\1\` + fmt.Sprint(rng.IntN(8)), "Binary Data"},
			{hku + `\Software\Microsoft\Windows\CurrentVersion\Explorer\SessionInfo\1\ApplicationViewManagement\W32:00000000000` + fmt.Sprintf("%X", 0x10000+rng.IntN(0x90000)) + `\VirtualDesktop`, "Binary Data"},
		})
		return v.t, v.d
	}
	v := oneOf(rng, []regValue{
		{`HKLM\System\CurrentControlSet\Services\bam\State\UserSettings\` + interactive.sid + `\` + device, "Binary Data"},
		{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\SessionsPending\Exclusive`, "DWORD (0x00000000)"},
		{`HKLM\System\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\{6f8b1c2a-9d3e-4a5b-8c7d-0e1f2a3b4c5d}\DhcpIPAddress`, hostIP},
		{`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\NetworkList\Profiles\{7A1E9C3B-5D2F-4B8A-9E6C-1F0D3A2B4C5E}\DateLastConnected`, "Binary Data"},
		{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Orchestrator\UScheduler\` + fmt.Sprint(rng.IntN(50000)) + `\workCompleted`, fmt.Sprintf("QWORD (0x%08x-0x%08x)", 0x01db3f1a, rng.Uint32())},
		{`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Diagnostics\DiagTrack\HeartBeats\Default\LastHeartBeatTime`, fmt.Sprintf("QWORD (0x01db3f1a-0x%08x)", rng.Uint32())},
		{`HKLM\SYSTEM\ControlSet001\Control\DeviceClasses\{53f56307-b6bf-11d0-94f2-00a0c91efb8b}\##?#STORAGE#Volume#{a1b2c3d4-0000-0000-0000-100000000000}#0000000000100000#{53f56307-b6bf-11d0-94f2-00a0c91efb8b}\#\Control\ReferenceCount`, "DWORD (0x00000001)"},
	})
	return v.t, v.d
}

// regValue is a registry key or value and its Details.
type regValue struct{ t, d string }
