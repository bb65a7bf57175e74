package filter

// Elastic's Sysmon pipeline (Winlogbeat's sysmon module, the same script in
// the Windows integration) renames some event data fields to ECS fields and
// splits or translates others. The tables here undo that per event id, so
// a rule written against Sysmon's names reads the ECS record. A field is
// taken from ECS only when the record lacks it under its own name: a
// Winlogbeat record without the pipeline, or a field the pipeline copied
// rather than moved (Company, Signature, Signed ...), is read where it is.

// ecsMove is one field the pipeline renamed.
type ecsMove struct {
	field string // Sigma's (Sysmon's) name
	path  string // where the pipeline put it, dotted
}

var (
	ecsProcess = []ecsMove{{"ProcessGuid", "process.entity_id"}, {"ProcessId", "process.pid"},
		{"Image", "process.executable"}, {"RuleName", "rule.name"}}
	ecsTargetFile = append([]ecsMove{{"TargetFilename", "file.path"}}, ecsProcess...)
	ecsArchive    = append([]ecsMove{{"Archived", "sysmon.file.archived"},
		{"IsExecutable", "sysmon.file.is_executable"}}, ecsProcess...)
)

// ecsMoves is indexed by Sysmon event id.
var ecsMoves = [...][]ecsMove{
	1: append([]ecsMove{{"CommandLine", "process.command_line"}, {"CurrentDirectory", "process.working_directory"},
		{"ParentProcessGuid", "process.parent.entity_id"}, {"ParentProcessId", "process.parent.pid"},
		{"ParentImage", "process.parent.executable"}, {"ParentCommandLine", "process.parent.command_line"},
		{"OriginalFileName", "process.pe.original_file_name"}}, ecsProcess...),
	2: ecsTargetFile,
	3: append([]ecsMove{{"Protocol", "network.transport"}, {"SourceIp", "source.ip"}, {"SourceHostname", "source.domain"},
		{"SourcePort", "source.port"}, {"DestinationIp", "destination.ip"}, {"DestinationHostname", "destination.domain"},
		{"DestinationPort", "destination.port"}, {"DestinationPortName", "network.protocol"}}, ecsProcess...),
	5: ecsProcess,
	6: {{"ImageLoaded", "file.path"}, {"RuleName", "rule.name"}},
	7: append([]ecsMove{{"ImageLoaded", "file.path"}, {"OriginalFileName", "file.pe.original_file_name"}}, ecsProcess...),
	8: {{"SourceProcessGuid", "process.entity_id"}, {"SourceProcessId", "process.pid"},
		{"SourceImage", "process.executable"}, {"RuleName", "rule.name"}},
	9: append([]ecsMove{{"Device", "file.path"}}, ecsProcess...),
	10: {{"SourceProcessGUID", "process.entity_id"}, {"SourceProcessId", "process.pid"},
		{"SourceThreadId", "process.thread.id"}, {"SourceImage", "process.executable"}, {"RuleName", "rule.name"}},
	11: ecsTargetFile,
	12: ecsProcess,
	13: ecsProcess,
	14: ecsProcess,
	15: ecsTargetFile,
	17: append([]ecsMove{{"PipeName", "file.name"}}, ecsProcess...),
	18: append([]ecsMove{{"PipeName", "file.name"}}, ecsProcess...),
	19: {{"RuleName", "rule.name"}},
	20: {{"Destination", "process.executable"}, {"RuleName", "rule.name"}},
	21: {{"RuleName", "rule.name"}},
	22: append([]ecsMove{{"QueryName", "dns.question.name"}}, ecsProcess...),
	23: append([]ecsMove{{"TargetFilename", "file.path"}}, ecsArchive...),
	24: ecsArchive,
	25: ecsArchive,
	// 26 to 29 are newer than the pipeline, which leaves them as they are.
}

// ecsDerivation rebuilds a field the pipeline split or translated.
type ecsDerivation uint8

const (
	deriveUser              ecsDerivation = iota // user.domain \ user.name
	deriveProcessHashes                          // Hashes from process.hash.* and process.pe.imphash
	deriveFileHashes                             // Hashes from file.hash.* and file.pe.imphash
	deriveFileHash                               // Hash (stream hash) from file.hash.*
	deriveInitiated                              // network.direction egress/ingress
	deriveSourceIsIpv6                           // network.type ipv6/ipv4
	deriveDestinationIsIpv6                      // network.type again: the pipeline keeps only one
	numDerivations
)

// derivedField is the Sysmon field each derivation rebuilds.
var derivedField = [numDerivations]string{
	deriveUser: "User", deriveProcessHashes: "Hashes", deriveFileHashes: "Hashes", deriveFileHash: "Hash",
	deriveInitiated: "Initiated", deriveSourceIsIpv6: "SourceIsIpv6", deriveDestinationIsIpv6: "DestinationIsIpv6",
}

var ecsDerived = [...][]ecsDerivation{
	1:  {deriveUser, deriveProcessHashes},
	3:  {deriveUser, deriveInitiated, deriveSourceIsIpv6, deriveDestinationIsIpv6},
	6:  {deriveFileHashes},
	7:  {deriveFileHashes},
	15: {deriveFileHash},
	19: {deriveUser},
	20: {deriveUser},
	21: {deriveUser},
	23: {deriveUser, deriveProcessHashes},
	24: {deriveUser, deriveProcessHashes},
	25: {deriveUser, deriveProcessHashes},
}

// The ECS fields the derivations read. Sysmon writes hashes in this order.
var (
	hashNames       = []string{"SHA1", "MD5", "SHA256", "IMPHASH"}
	processHashPath = []string{"process.hash.sha1", "process.hash.md5", "process.hash.sha256", "process.pe.imphash"}
	fileHashPath    = []string{"file.hash.sha1", "file.hash.md5", "file.hash.sha256", "file.pe.imphash"}
	derivationInput = []string{"user.domain", "user.name", "network.direction", "network.type"}
)
