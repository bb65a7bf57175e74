package mixgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// program is an executable of the simulated host and how it is started.
type program struct {
	image                                          string
	version, description, product, company, origin string
	parents                                        []string // file names of the images that start it
	account                                        *account
	integrity                                      string
	net                                            bool // makes network connections and DNS queries
	resident                                       bool // running from boot
	weight                                         int  // how often it is started, relative to the others
	args                                           func(rng *rand.Rand) string
	unquoted                                       bool // the command line starts with the bare image path
}

// base returns the image's file name.
func (p *program) base() string { return p.image[strings.LastIndexByte(p.image, '\\')+1:] }

// commandLine returns a command line that starts p.
func (p *program) commandLine(rng *rand.Rand) string {
	cmd := `"` + p.image + `"`
	if p.unquoted {
		cmd = p.image
	}
	if p.args != nil {
		if a := p.args(rng); a != "" {
			cmd += " " + a
		}
	}
	return cmd
}

// currentDirectory is the directory a process started in.
func (p *program) currentDirectory() string {
	if p.account == interactive && !strings.HasPrefix(p.image, `C:\Windows`) {
		return p.image[:strings.LastIndexByte(p.image, '\\')+1]
	}
	return `C:\Windows\system32\`
}

// resident marks p as running from boot.
func resident(p *program) *program {
	p.resident = true
	return p
}

func fixed(s string) func(*rand.Rand) string { return func(*rand.Rand) string { return s } }

func choice(options ...string) func(*rand.Rand) string {
	return func(rng *rand.Rand) string { return oneOf(rng, options) }
}

const (
	ms       = "Microsoft Corporation"
	windows  = "Microsoft® Windows® Operating System"
	winVer   = "10.0.22621.4541 (WinBuild.160101.0800)"
	chromeV  = "131.0.6778.86"
	edgeV    = "131.0.2903.86"
	sys32    = `C:\Windows\System32\`
	userHome = `C:\Users\jdoe\`
)

// sysProgram is a Windows component in System32.
func sysProgram(name, desc string, parents []string, acct *account, weight int, args func(*rand.Rand) string) *program {
	integrity := "System"
	if acct == interactive {
		integrity = "Medium"
	}
	return &program{image: sys32 + name, version: winVer, description: desc, product: windows, company: ms,
		origin: name, parents: parents, account: acct, integrity: integrity, weight: weight, args: args, unquoted: true}
}

var (
	services   = []string{"services.exe"}
	svchost    = []string{"svchost.exe"}
	explorer   = []string{"explorer.exe"}
	shells     = []string{"cmd.exe", "powershell.exe"}
	chromeApp  = `C:\Program Files\Google\Chrome\Application\chrome.exe`
	edgeApp    = `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`
	webviewApp = `C:\Program Files (x86)\Microsoft\EdgeWebView\Application\` + edgeV + `\msedgewebview2.exe`
	codeApp    = userHome + `AppData\Local\Programs\Microsoft VS Code\Code.exe`
	teamsApp   = `C:\Program Files\WindowsApps\MSTeams_24335.206.3315.1921_x64__8wekyb3d8bbwe\ms-teams.exe`
	officeDir  = `C:\Program Files\Microsoft Office\root\Office16\`
)

// catalogue lists the host's programs: residents first, in start order.
var catalogue = []*program{
	resident(sysProgram("wininit.exe", "Windows Start-Up Application", nil, system, 0, nil)),
	resident(sysProgram("services.exe", "Services and Controller app", []string{"wininit.exe"}, system, 0, nil)),
	resident(sysProgram("svchost.exe", "Host Process for Windows Services", services, system, 4,
		choice("-k netsvcs -p -s Schedule", "-k DcomLaunch -p", "-k netsvcs -p -s BITS", "-k LocalSystemNetworkRestricted -p -s SysMain",
			"-k wsappx -p -s ClipSVC", "-k netsvcs -p -s wlidsvc", "-k UnistackSvcGroup -s CDPUserSvc_4a1b2"))),
	{image: `C:\Program Files\Windows Defender\MsMpEng.exe`, version: "4.18.24090.11", description: "Antimalware Service Executable",
		product: windows, company: ms, origin: "MsMpEng.exe", parents: services, account: system, integrity: "System",
		net: true, resident: true},
	resident(sysProgram("SearchIndexer.exe", "Microsoft Windows Search Indexer", services, system, 0, fixed("/Embedding"))),
	{image: `C:\Windows\explorer.exe`, version: winVer, description: "Windows Explorer", product: windows, company: ms,
		origin: "EXPLORER.EXE", parents: []string{"userinit.exe"}, account: interactive, integrity: "Medium", resident: true,
		unquoted: true, net: true},
	{image: chromeApp, version: chromeV, description: "Google Chrome", product: "Google Chrome", company: "Google LLC",
		origin: "chrome.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, resident: true},
	{image: edgeApp, version: edgeV, description: "Microsoft Edge", product: "Microsoft Edge", company: ms,
		origin: "msedge.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, resident: true,
		args: fixed("--profile-directory=Default")},
	{image: codeApp, version: "1.95.3", description: "Visual Studio Code", product: "Visual Studio Code", company: ms,
		origin: "electron.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, resident: true},
	{image: teamsApp, version: "24335.206.3315.1921", description: "Microsoft Teams", product: "Microsoft Teams", company: ms,
		origin: "ms-teams.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, resident: true,
		args: fixed("msteams:system-initiated")},
	{image: officeDir + "OUTLOOK.EXE", version: "16.0.18129.20158", description: "Microsoft Outlook", product: "Microsoft Office",
		company: ms, origin: "Outlook.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, resident: true,
		args: fixed("/recycle")},
	{image: userHome + `AppData\Local\Microsoft\OneDrive\24.226.1110.0004\OneDrive.exe`, version: "24.226.1110.0004",
		description: "Microsoft OneDrive", product: "Microsoft OneDrive", company: ms, origin: "OneDrive.exe", parents: explorer,
		account: interactive, integrity: "Medium", net: true, resident: true, args: fixed("/background")},

	// Started and exiting all the time.
	chromium(chromeApp, "Google Chrome", "Google LLC", chromeV, "chrome.exe", []string{"chrome.exe"}, 30, ""),
	chromium(edgeApp, "Microsoft Edge", ms, edgeV, "msedge.exe", []string{"msedge.exe"}, 15, ""),
	chromium(webviewApp, "Microsoft Edge WebView2", ms, edgeV, "msedgewebview2.exe", []string{"ms-teams.exe"}, 10,
		`--noerrdialogs --user-data-dir="`+userHome+`AppData\Local\Packages\MSTeams_8wekyb3d8bbwe\LocalCache\Microsoft\MSTeams\EBWebView" --webview-exe-name=ms-teams.exe --webview-exe-version=24335.206.3315.1921 --embedded-browser-webview=1`),
	chromium(codeApp, "Visual Studio Code", ms, "1.95.3", "electron.exe", []string{"Code.exe"}, 10,
		`--user-data-dir="`+userHome+`AppData\Roaming\Code" --standard-schemes=vscode-webview,vscode-file --enable-sandbox --secure-schemes=vscode-webview,vscode-file --cors-schemes=vscode-webview,vscode-file --fetch-schemes=vscode-webview,vscode-file --service-worker-schemes=vscode-webview --code-cache-schemes=vscode-webview,vscode-file`),
	sysProgram("conhost.exe", "Console Window Host", []string{"cmd.exe", "powershell.exe", "git.exe", "node.exe", "python.exe"},
		interactive, 60, fixed("0xffffffff -ForceV1")),
	sysProgram("RuntimeBroker.exe", "Runtime Broker", svchost, interactive, 40, fixed("-Embedding")),
	sysProgram("dllhost.exe", "COM Surrogate", svchost, interactive, 40, func(rng *rand.Rand) string {
		return "/Processid:" + oneOf(rng, []string{"{3EB3C877-1F16-487C-9050-104DBCD66683}", "{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
			"{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}", "{776DBC8D-7347-478C-8D71-791E12EF49D8}"})
	}),
	sysProgram("backgroundTaskHost.exe", "Background Task Host", svchost, interactive, 30, choice(
		"-ServerName:BackgroundTaskHost.WebAccountProvider", "-ServerName:App.AppXnme9zjyebb2xnyygh6q9ev6p5d234br2.mca",
		"-ServerName:CortanaUI.AppXy7vb4pc2dr3kc93kfc509b1d0arkfb2x.mca")),
	sysProgram("taskhostw.exe", "Host Process for Windows Tasks", svchost, interactive, 20,
		choice("{222A245B-E637-4AE9-A93F-A59CA119A75E}", "KEYROAMING", "Install $(Arg0)", "NGCKeyPregen")),
	sysProgram("SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host", []string{"SearchIndexer.exe"}, system, 10,
		fixed(`Global\UsGthrFltPipeMssGthrPipe5_ Global\UsGthrCtrlFltPipeMssGthrPipe5 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 6.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon"  "1"`)),
	sysProgram("SearchFilterHost.exe", "Microsoft Windows Search Filter Host", []string{"SearchIndexer.exe"}, system, 25,
		fixed("0 820 824 832 8192 828 804")),
	sysProgram(`wbem\WmiPrvSE.exe`, "WMI Provider Host", svchost, networkService, 10, fixed("-secured -Embedding")),
	sysProgram("MoUsoCoreWorker.exe", "MoUSO Core Worker Process", svchost, system, 5, fixed("-Embedding")),
	sysProgram("smartscreen.exe", "Windows Defender SmartScreen", svchost, interactive, 10, fixed("-Embedding")),
	sysProgram("ApplicationFrameHost.exe", "Application Frame Host", svchost, interactive, 8, fixed("-Embedding")),
	sysProgram("svchost.exe", "Host Process for Windows Services", services, localService, 10,
		choice("-k LocalServiceNetworkRestricted -p -s WinHttpAutoProxySvc", "-k LocalService -p -s fdPHost",
			"-k LocalServiceNoNetworkFirewall -p", "-k NetworkService -p -s DoSvc", "-k LocalSystemNetworkRestricted -p -s NcbService")),
	sysProgram("sppsvc.exe", "Microsoft Software Protection Platform Service", services, networkService, 3, nil),
	sysProgram("audiodg.exe", "Windows Audio Device Graph Isolation", svchost, localService, 3,
		func(rng *rand.Rand) string { return fmt.Sprintf("0x%x", 0x400+rng.IntN(0x400)*4) }),
	sysProgram("notepad.exe", "Notepad", explorer, interactive, 3, choice(`C:\Users\jdoe\Desktop\notes.txt`,
		`C:\Users\jdoe\Documents\meeting-2026-11-24.txt`, "")),
	sysProgram("cmd.exe", "Windows Command Processor", []string{"Code.exe", "explorer.exe"}, interactive, 6,
		choice(`/d /s /c "npm run build"`, `/d /s /c "npm test"`, `/d /s /c "git --version"`, `/d /s /c "where python"`)),
	sysProgram(`WindowsPowerShell\v1.0\powershell.exe`, "Windows PowerShell", explorer, interactive, 3,
		choice("", "-NoLogo")),
	{image: officeDir + "WINWORD.EXE", version: "16.0.18129.20158", description: "Microsoft Word", product: "Microsoft Office",
		company: ms, origin: "WinWord.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, weight: 3,
		args: choice(`/n "C:\Users\jdoe\Documents\Quarterly report Q3 2026.docx" /o ""`, `/n "C:\Users\jdoe\OneDrive - Contoso\Projects\Roadmap 2027.docx" /o ""`)},
	{image: officeDir + "EXCEL.EXE", version: "16.0.18129.20158", description: "Microsoft Excel", product: "Microsoft Office",
		company: ms, origin: "Excel.exe", parents: explorer, account: interactive, integrity: "Medium", net: true, weight: 3,
		args: choice(`"C:\Users\jdoe\Documents\Budget 2027.xlsx"`, `"C:\Users\jdoe\Downloads\sales-by-region-november.xlsx"`)},
	{image: `C:\Program Files\Git\cmd\git.exe`, version: "2.47.1.1", description: "Git for Windows", product: "Git",
		company: "The Git Development Community", origin: "git.exe", parents: []string{"Code.exe", "cmd.exe"}, account: interactive,
		integrity: "Medium", net: true, weight: 20, args: choice("-c core.quotepath=false -c color.ui=false rev-parse --show-toplevel",
			"status -z -uall", "-c core.quotepath=false -c color.ui=false for-each-ref --sort -committerdate --format %(refname)%00%(objectname)%00%(*objectname)",
			"fetch", "-c core.quotepath=false -c color.ui=false show --textconv :src/index.ts", "config --get commit.template")},
	{image: `C:\Program Files\nodejs\node.exe`, version: "22.11.0", description: "Node.js JavaScript Runtime", product: "Node.js",
		company: "Node.js", origin: "node.exe", parents: []string{"cmd.exe"}, account: interactive, integrity: "Medium", net: true,
		weight: 2, args: choice(`"C:\Program Files\nodejs\node_modules\npm\bin\npm-cli.js" run build`,
			`"C:\Users\jdoe\source\repos\webshop\node_modules\.bin\..\vite\bin\vite.js" build`)},
	{image: userHome + `AppData\Local\Programs\Python\Python312\python.exe`, version: "3.12.7", description: "Python",
		product: "Python", company: "Python Software Foundation", origin: "python.exe", parents: shells, account: interactive,
		integrity: "Medium", weight: 2, args: choice(`-m pytest tests\test_orders.py`, `manage.py runserver`, `-m black --check .`)},
	{image: `C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`, version: "1.3.36.412", description: "Google Installer",
		product: "Google Update", company: "Google LLC", origin: "GoogleUpdate.exe", parents: svchost, account: system,
		integrity: "System", net: true, weight: 2, args: choice("/ua /installsource scheduler", "/c /nocrashserver")},
	{image: `C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`, version: "1.3.195.35",
		description: "Microsoft Edge Update", product: "Microsoft Edge Update", company: ms, origin: "msedgeupdate.dll",
		parents: svchost, account: system, integrity: "System", net: true, weight: 2, args: fixed("/ua /installsource scheduler")},
}

// spawnable are the programs process creations start; spawnWeights their
// weights.
var spawnable, spawnWeights = func() ([]*program, []int) {
	var progs []*program
	var weights []int
	for _, p := range catalogue {
		if p.weight > 0 {
			progs = append(progs, p)
			weights = append(weights, p.weight)
		}
	}
	return progs, weights
}()

// chromium is a Chromium-based program's child processes: renderers, the
// GPU process and utilities, whose command lines are long (extra are the
// program's own switches).
func chromium(image, product, company, version, origin string, parents []string, weight int, extra string) *program {
	p := &program{image: image, version: version, description: product, product: product, company: company,
		origin: origin, parents: parents, account: interactive, integrity: "Low", weight: weight}
	// The whole command line stays under 2,000 bytes: the quoted image,
	// a space, the switches.
	p.args = func(rng *rand.Rand) string { return chromiumArgs(rng, extra, 1995-len(image)-3) }
	return p
}

func chromiumArgs(rng *rand.Rand, extra string, maxLen int) string {
	var b strings.Builder
	switch x := rng.IntN(10); {
	case x < 6:
		fmt.Fprintf(&b, "--type=renderer %s --string-annotations --video-capture-use-gpu-memory-buffer --lang=en-US --device-scale-factor=1 --num-raster-threads=2 --enable-main-frame-before-activation --renderer-client-id=%d --time-ticks-at-unix-epoch=-1764050391826458 --launch-time-ticks=%d",
			extra, 5+rng.IntN(400), 1000000+rng.IntN(90000000))
	case x < 7:
		fmt.Fprintf(&b, "--type=gpu-process %s --string-annotations --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAABAAAAAAAAAAEAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAA", extra)
	default:
		fmt.Fprintf(&b, "--type=utility --utility-sub-type=%s --lang=en-US --service-sandbox-type=%s %s --string-annotations",
			oneOf(rng, []string{"network.mojom.NetworkService", "storage.mojom.StorageService", "audio.mojom.AudioService",
				"data_decoder.mojom.DataDecoderService", "chrome.mojom.UtilWin"}), oneOf(rng, []string{"none", "service", "utility"}), extra)
	}
	fmt.Fprintf(&b, " --field-trial-handle=%d,i,%d,%d,262144", 1900+rng.IntN(200), rng.Uint64()>>1, rng.Uint64()>>1)
	// Feature lists make the long tail: the target length is log-uniform
	// up to maxLen (the tail's length is at most that of its template).
	target := int(math.Exp(math.Log(300) + rng.Float64()*(math.Log(float64(maxLen))-math.Log(300))))
	const tail = " --variations-seed-version=20261119-050048.637000 --mojo-platform-channel-handle=12345 /prefetch:12"
	end := target - len(tail)
	mid := b.Len() + (end-b.Len())/2
	for _, list := range []struct {
		flag string
		upTo int
	}{{" --enable-features=", mid}, {" --disable-features=", end}} {
		if b.Len()+len(list.flag)+60 > list.upTo {
			continue
		}
		b.WriteString(list.flag)
		for i, f := range rng.Perm(len(chromeFeatures)) {
			name := chromeFeatures[f]
			if b.Len()+len(name)+1 > list.upTo {
				break
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(name)
		}
	}
	fmt.Fprintf(&b, " --variations-seed-version=20261119-050048.637000 --mojo-platform-channel-handle=%d /prefetch:%d",
		1000+rng.IntN(9000), 1+rng.IntN(12))
	return strings.ReplaceAll(b.String(), "  ", " ")
}

var chromeFeatures = []string{
	"AutofillUpstream", "BackForwardCache", "CalculateNativeWinOcclusion", "DocumentPictureInPictureAPI",
	"EnableTabMuting", "FedCm", "HardwareMediaKeyHandling", "HeavyAdPrivacyMitigations", "InterestFeedContentSuggestions",
	"LensStandalone", "MediaSessionService", "msEdgeSidebarV2", "msWebAssist", "NetworkServiceInProcess2",
	"OptimizationHints", "PartitionedCookies", "PlzDedicatedWorker", "PrivacySandboxAdsAPIs", "ReadAnything",
	"SharedArrayBuffer", "SpareRendererForSitePerProcess", "ThirdPartyStoragePartitioning", "TranslateUI",
	"UseEcoQoSForBackgroundProcess", "WebRtcHideLocalIpsWithMdns", "WebUIDarkMode", "WinDelaySpellcheckServiceInit",
	"WinRetrieveSuggestionsOnlyOnDemand", "msAutofillEdgeCoupons", "msEdgeDevToolsWdpRemoteDebugging",
	"msImplicitSignin", "msShoppingTrigger", "AsyncDns", "CookieDeprecationFacilitatedTesting", "DIPS",
	"ExtensionsManifestV3Only", "GlobalMediaControls", "IsolateOrigins", "LazyFrameLoading", "LazyImageLoading",
	"MediaRouter", "OmniboxUIExperimentMaxAutocompleteMatches", "PaintHolding", "ProactivelyDownloadModelForPasswordChangeSubmission",
	"ReduceUserAgentMinorVersion", "SafeBrowsingEnhancedProtectionMessageInInterstitials", "SegmentationPlatform",
	"SidePanelPinning", "SubresourceFilter", "TabGroupsSave", "VerifyDidCommitParams", "WebAuthenticationConditionalUI",
}
