package filter

import (
	"bytes"
	"slices"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// What a record is beyond Windows: the value of rules.FieldLogsource, a
// logsource list that the rules' logsource guards read. With the
// logsource property every record of the instance is what the property
// says; without it, the well-known JSON logs below are recognised by keys
// of their own, and any other record has no logsource (every rule's
// Windows guards decide, as before).
//
//	log                        keys                                               logsource
//	AWS CloudTrail             eventSource, eventName and awsRegion               product=aws service=cloudtrail
//	GCP audit log              protoPayload.@type ...google.cloud.audit.AuditLog  product=gcp service=gcp.audit
//	                             (or data.protoPayload.@type: Pub/Sub's form)
//	  (Google Workspace          and protoPayload.serviceName login. or             service=google_workspace.login
//	  login and admin)           admin.googleapis.com                               or google_workspace.admin)
//	Kubernetes audit           kind Event, apiVersion audit.k8s.io/*              product=kubernetes service=audit
//	Okta system log            eventType, actor and published                     product=okta service=okta
//	GitHub audit log           action, actor and @timestamp or created_at         product=github service=audit
//	Azure sign-in, audit,      category, and operationName, resourceId or         product=azure service=signinlogs,
//	  activity logs              properties; the service by category                auditlogs or activitylogs
//	  (Log Analytics rows)       or TimeGenerated and Type SigninLogs, AuditLogs...
//	Zeek                       _path                                              product=zeek service=<_path>

// Recognition reads these keys of the top-level map (protoPayload.@type
// one level down).
const (
	keyEventSource = iota
	keyEventName
	keyAwsRegion
	keyProtoType
	keyKind
	keyAPIVersion
	keyEventType
	keyActor
	keyPublished
	keyAction
	keyTimestamp
	keyCreatedAt
	keyCategory
	keyOperationName
	keyResourceID
	keyProperties
	keyPath
	keyProtoService // protoPayload.serviceName, read with keyProtoType
	keyType
	keyTimeGenerated
	keyTs // Zeek's ts
	jsonLogKeys
)

// jsonLogKey returns the key's number, or -1 for a key recognition does
// not read.
func jsonLogKey(key []byte) int {
	switch string(key) {
	case "eventSource":
		return keyEventSource
	case "eventName":
		return keyEventName
	case "awsRegion":
		return keyAwsRegion
	case "protoPayload":
		return keyProtoType
	case "kind":
		return keyKind
	case "apiVersion":
		return keyAPIVersion
	case "eventType":
		return keyEventType
	case "actor":
		return keyActor
	case "published":
		return keyPublished
	case "action":
		return keyAction
	case "@timestamp":
		return keyTimestamp
	case "created_at":
		return keyCreatedAt
	case "category":
		return keyCategory
	case "operationName":
		return keyOperationName
	case "resourceId":
		return keyResourceID
	case "properties":
		return keyProperties
	case "_path":
		return keyPath
	case "Type":
		return keyType
	case "TimeGenerated":
		return keyTimeGenerated
	case "ts":
		return keyTs
	}
	return -1
}

// jsonLogView is what recognition saw of a record's top level: per key,
// the offset of its value in b, or 0 when absent (a value never starts a
// chunk).
type jsonLogView struct {
	b  []byte
	at [jsonLogKeys]int
}

func (v *jsonLogView) has(k int) bool { return v.at[k] > 0 }

// text returns the string value of key k, or nil.
func (v *jsonLogView) text(k int) []byte {
	if !v.has(k) {
		return nil
	}
	s, _, isStr, err := msgpack.ReadStr(v.b, v.at[k])
	if err != nil || !isStr {
		return nil
	}
	return s
}

// read walks the top-level map at b[off:], and protoPayload's keys for
// its @type. A malformed record is left unrecognised.
func (v *jsonLogView) read(b []byte, off int) bool {
	v.b = b
	n, p, err := msgpack.ReadMapHeader(b, off)
	for i := 0; i < n && err == nil; i++ {
		var key []byte
		if key, _, p, err = readKey(b, p); err != nil {
			return false
		}
		k := jsonLogKey(key)
		if k < 0 && string(key) == "data" && p < len(b) && msgpack.IsMap(b[p]) {
			// A log entry as Pub/Sub delivers it (a log sink's topic):
			// {"data": {"protoPayload": ...}}, the form SigmaHQ's GCP
			// rules' data.protoPayload... fields read.
			if pp := mapValue(b, p, "protoPayload"); pp > 0 && msgpack.IsMap(b[pp]) && v.at[keyProtoType] == 0 {
				v.readProtoPayload(b, pp)
			}
		}
		if k == keyProtoType && p < len(b) && msgpack.IsMap(b[p]) {
			v.readProtoPayload(b, p)
		} else if k >= 0 {
			v.at[k] = p // a key twice: the last copy, as the rules read it
		}
		p, err = msgpack.Skip(b, p)
	}
	return err == nil
}

// readProtoPayload notes the @type and serviceName of the protoPayload map
// at b[p:].
func (v *jsonLogView) readProtoPayload(b []byte, p int) {
	v.at[keyProtoType], v.at[keyProtoService] = mapValue(b, p, "@type"), mapValue(b, p, "serviceName")
}

// azureServices maps an Azure log's category to the service SigmaHQ's
// rules name.
var azureServices = map[string]string{
	"signinlogs": "signinlogs", "noninteractiveusersigninlogs": "signinlogs",
	"serviceprincipalsigninlogs": "signinlogs", "managedidentitysigninlogs": "signinlogs",
	"auditlogs": "auditlogs", "administrative": "activitylogs", "security": "activitylogs",
	"servicehealth": "activitylogs", "alert": "activitylogs", "recommendation": "activitylogs",
	"policy": "activitylogs", "autoscale": "activitylogs", "resourcehealth": "activitylogs",
}

// azureTables maps the Log Analytics tables (a record's Type, beside
// TimeGenerated) to the services SigmaHQ's rules name; their columns are
// the field names those rules read (ResultType, DeviceDetail.deviceId).
var azureTables = map[string]string{
	"SigninLogs": "signinlogs", "AADNonInteractiveUserSignInLogs": "signinlogs",
	"AADServicePrincipalSignInLogs": "signinlogs", "AADManagedIdentitySignInLogs": "signinlogs",
	"AuditLogs": "auditlogs", "AzureActivity": "activitylogs",
}

// fillAzure gives each field Azure rules read that the record lacks the
// value its diagnostic export keeps elsewhere (azureExportPaths), under
// properties first (an audit log's properties.category is the Log
// Analytics Category, the top-level category the log's name): only on a
// record that is Azure's, so that other records' properties stay theirs,
// and never over the record's own key of the field's name.
func (r *record) fillAzure(idx *fieldIndex) {
	for _, m := range idx.azureMoves {
		if r.at[m.to] != absent {
			continue
		}
		from := m.props
		if r.at[from] == absent {
			from = m.top
		}
		if from < 0 || r.at[from] == absent {
			continue
		}
		r.put(m.to, r.at[from])
		if r.at[from] != severalValues {
			continue
		}
		for _, x := range r.extra {
			if x.slot == from && len(r.extra) < maxExtraValues {
				r.extra = append(r.extra, slotValue{slot: m.to, off: x.off})
			}
		}
	}
}

// azureFields are the fields whose export paths fillAzure reads: those
// Azure rules read, and the group-by and value fields of correlations
// (which may count Azure records whatever other rules read them too).
func azureFields(set *rules.Set) []string {
	names := set.ProductFields("azure")
	fields := set.Fields()
	for _, c := range set.Correlations() {
		for _, slots := range c.GroupSlots {
			for _, slot := range slots {
				if slot >= 0 && slot < len(fields) {
					names = append(names, fields[slot])
				}
			}
		}
		if c.FieldSlot >= 0 && c.FieldSlot < len(fields) {
			names = append(names, fields[c.FieldSlot])
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// declaresAzure reports whether every item of the normalised (lower case)
// logsource list names product=azure: then every record is Azure's.
func declaresAzure(list string) bool {
	for _, item := range strings.Split(list, ",") {
		if !slices.Contains(strings.Fields(item), "product=azure") {
			return false
		}
	}
	return true
}

// isAzure reports whether the record was found or declared Azure's.
func (r *record) isAzure(idx *fieldIndex) bool {
	if idx.azureConfigured {
		return true
	}
	if idx.logsource < 0 {
		return false
	}
	v, ok := r.Field(idx.logsource)
	return ok && bytes.HasPrefix(v, []byte("product=azure"))
}

// azureMove is where fillAzure finds a field's value: the aux slots of
// its paths under properties and at the top level (-1 for none).
type azureMove struct{ to, props, top int }

// azureExportPaths returns where Azure's diagnostic export (the records
// diagnostic settings send to Event Hubs or a storage account) keeps what
// a Log Analytics column holds: SigmaHQ's Azure rules read the columns
// (ResultType, AuthenticationRequirement, DeviceDetail.isCompliant), the
// export has the fields of its common schema at the top level in camel
// case (resultType, resultDescription) and the log's own under properties
// (properties.authenticationRequirement, properties.deviceDetail). So a
// name whose first key starts with a capital letter is looked up under
// properties with that letter in lower case, the keys after it as they
// are (props), and at the top level so when it is a common schema field
// (top; nil otherwise).
func azureExportPaths(name string) (props, top [][]string) {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return nil, nil
	}
	lower := string(name[0]+'a'-'A') + name[1:]
	if azureCommonFields[lower] {
		top = [][]string{{lower}}
	}
	firsts := []string{lower}
	if l := lowerInitialism(name); l != "" && l != lower {
		firsts = append(firsts, l) // IPAddress: ipAddress
	}
	for _, first := range firsts {
		for _, keys := range append([][]string{{first}}, dottedPaths(first)...) {
			props = append(props, append([]string{"properties"}, keys...))
		}
	}
	return props, top
}

// lowerInitialism returns name with a leading initialism lowered as camel
// case lowers it (IPAddress: ipAddress), or "" when name does not start
// with two capitals.
func lowerInitialism(name string) string {
	n := 0
	for n < len(name) && 'A' <= name[n] && name[n] <= 'Z' {
		n++
	}
	if n < 2 {
		return ""
	}
	if n < len(name) && 'a' <= name[n] && name[n] <= 'z' {
		n-- // the last capital begins the next word
	}
	return strings.ToLower(name[:n]) + name[n:]
}

// azureCommonFields are the top-level fields of the export's common
// schema (Azure Monitor's resource log schema).
var azureCommonFields = map[string]bool{
	"time": true, "resourceId": true, "tenantId": true, "operationName": true, "operationVersion": true,
	"category": true, "resultType": true, "resultSignature": true, "resultDescription": true,
	"durationMs": true, "callerIpAddress": true, "correlationId": true, "identity": true, "location": true,
}

// addLogsource finds the slot of rules.FieldLogsource (-1 when no rule
// has a logsource) and keeps the configured logsource.
func (b *indexBuilder) addLogsource(configured string, otherProducts bool) {
	idx := &b.idx
	idx.logsource = -1
	if s, ok := b.ruleSlot(rules.FieldLogsource); ok {
		idx.logsource = s
		if configured != "" {
			idx.logsourceValue = msgpack.AppendStr(nil, configured)
			idx.azureConfigured = declaresAzure(configured)

		}
	}
	// A Windows record is told its product only when some rule is of
	// another product, which it keeps from running; otherwise the list
	// would change nothing and cost every record.
	idx.otherProducts = otherProducts
}

// otherProducts says whether some rule of set is of a product other than
// Windows, or of a log of its own without a product (a web server's):
// then Windows records must say they are Windows.
func otherProducts(set *rules.Set) bool {
	for _, r := range set.Rules() {
		if r.Product != "" && r.Product != "windows" || r.OwnLog {
			return true
		}
	}
	return false
}

// setLogsource gives the record its logsource: the configured one, or,
// for a record that has no Windows event ID or channel, the one of a JSON
// log recognised by its top-level keys.
func (r *record) setLogsource(idx *fieldIndex) {
	if idx.logsourceValue != nil {
		r.setDerived(idx.logsource, idx.logsourceValue)
		if idx.azureConfigured {
			r.fillAzure(idx)
		}
		return
	}
	b, body := r.chunk, r.body
	if r.inner >= 0 {
		b, body = r.derived, r.inner
	}
	var v jsonLogView
	if !v.read(b, body) {
		return
	}
	var kind string
	switch {
	case v.has(keyEventSource) && v.has(keyEventName) && v.has(keyAwsRegion):
		kind = "product=aws service=cloudtrail"
	case string(v.text(keyProtoType)) == "type.googleapis.com/google.cloud.audit.AuditLog":
		kind = gcpService(v.text(keyProtoService))
	case string(v.text(keyKind)) == "Event" && bytes.HasPrefix(v.text(keyAPIVersion), []byte("audit.k8s.io/")):
		kind = "product=kubernetes service=audit"
	case v.has(keyEventType) && v.has(keyActor) && v.has(keyPublished):
		kind = "product=okta service=okta"
	case v.has(keyActor) && bytes.IndexByte(v.text(keyAction), '.') > 0 && (v.has(keyTimestamp) || v.has(keyCreatedAt)):
		kind = "product=github service=audit" // actions are "repo.create", "org.add_member"...
	case v.has(keyCategory) && (azureResource(v.text(keyResourceID)) ||
		(azureService(v.text(keyCategory)) != "" && (v.has(keyOperationName) || v.has(keyProperties)))):
		kind = azureKind(azureService(v.text(keyCategory)))
		r.fillAzure(idx)
	case v.has(keyTimeGenerated) && azureTables[string(v.text(keyType))] != "":
		kind = azureKind(azureTables[string(v.text(keyType))])
	case v.has(keyPath) && v.has(keyTs):
		path := v.text(keyPath)
		if len(path) == 0 || len(path) > 64 || bytes.ContainsAny(path, " ,=") {
			return
		}
		var buf [64]byte
		r.setDerivedStr(idx.logsource, "product=zeek service=", appendLower(buf[:0], path))
		return
	default:
		return
	}
	r.setDerivedStr(idx.logsource, kind, nil)
}

// azureService is the service of an Azure diagnostic category SigmaHQ's
// rules name, or "".
func azureService(category []byte) string {
	var buf [32]byte
	if len(category) > len(buf) {
		return ""
	}
	return azureServices[string(appendLower(buf[:0], category))]
}

// azureKinds are the logsource lists of the Azure services, built once:
// a record's kind is looked up, not concatenated.
var azureKinds = func() map[string]string {
	kinds := map[string]string{"": "product=azure"}
	for _, service := range azureServices {
		kinds[service] = "product=azure service=" + service
	}
	for _, service := range azureTables {
		kinds[service] = "product=azure service=" + service
	}
	return kinds
}()

// azureKind is the logsource list of an Azure service ("" for none).
func azureKind(service string) string { return azureKinds[service] }

// azureResource says whether id is an Azure resource id: a subscription's
// or a tenant's (Entra ID's logs).
func azureResource(id []byte) bool {
	var buf [16]byte
	if len(id) < len("/tenants/") {
		return false
	}
	head := appendLower(buf[:0], id[:min(len(id), len("/subscriptions/"))])
	return bytes.HasPrefix(head, []byte("/subscriptions/")) || bytes.HasPrefix(head, []byte("/tenants/"))
}

// gcpService tells Google Workspace's audit logs, which are Cloud Audit
// Logs too, from the others by their serviceName.
func gcpService(serviceName []byte) string {
	switch string(serviceName) {
	case "login.googleapis.com":
		return "product=gcp service=google_workspace.login"
	case "admin.googleapis.com":
		return "product=gcp service=google_workspace.admin"
	}
	return "product=gcp service=gcp.audit"
}

func appendLower(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// setDerived makes the msgpack value v, copied to derived, the value of
// slot.
// The logsource lists of records with a Windows event log channel,
// encoded once: Sysmon for Linux writes Windows-shaped events on the
// Linux-Sysmon/Operational channel.
const iisLogChannel = "Microsoft-IIS-Logging/Logs"

var (
	windowsKind = msgpack.AppendStr(nil, "product=windows")
	// IIS logging to its Windows channel (event 6200) is a web server's
	// log: SigmaHQ's webserver rules read its W3C fields.
	iisKind = msgpack.AppendStr(nil, "product=windows category=webserver")
	// Sysmon for Linux's events by event ID, with the category of the
	// Sigma taxonomy they carry (numbered as Windows Sysmon's are, see the
	// rules package's sysmonCategories), so that a Linux
	// process_creation rule does not run on a network connection or a
	// process's end; service=sysmon keeps the rules of other Linux
	// services (auditd, sshd) off them.
	linuxSysmonKinds = map[int][]byte{
		1:  msgpack.AppendStr(nil, "product=linux category=process_creation service=sysmon"),
		3:  msgpack.AppendStr(nil, "product=linux category=network_connection service=sysmon"),
		4:  msgpack.AppendStr(nil, "product=linux category=sysmon_status service=sysmon"),
		5:  msgpack.AppendStr(nil, "product=linux category=process_termination service=sysmon"),
		9:  msgpack.AppendStr(nil, "product=linux category=raw_access_thread service=sysmon"),
		11: msgpack.AppendStr(nil, "product=linux category=file_event service=sysmon"),
		16: msgpack.AppendStr(nil, "product=linux category=sysmon_status service=sysmon"),
		23: msgpack.AppendStr(nil, "product=linux category=file_delete service=sysmon"),
	}
	// The others are of no category a rule names.
	linuxSysmonOther = msgpack.AppendStr(nil, "product=linux category=sysmon_other service=sysmon")
)

// setWindowsLogsource gives a record with a channel and an event ID its
// logsource.
func (r *record) setWindowsLogsource(idx *fieldIndex) {
	channel, _ := r.Field(idx.channel)
	if len(channel) >= 6 && bytes.EqualFold(channel[:6], []byte("linux-")) {
		kind := linuxSysmonOther
		if id, ok := r.eventID(idx); ok && linuxSysmonKinds[id] != nil {
			kind = linuxSysmonKinds[id]
		}
		r.setDerived(idx.logsource, kind)
		return
	}
	if bytes.EqualFold(channel, []byte(iisLogChannel)) {
		r.setDerived(idx.logsource, iisKind)
		return
	}
	r.setDerived(idx.logsource, windowsKind)
}

func (r *record) setDerived(slot int, v []byte) {
	r.put(slot, r.split+len(r.derived))
	r.derived = append(r.derived, v...)
}

// setDerivedStr makes the string a followed by b, written to derived, the
// value of slot. b may be in derived: it lies before what is appended.
func (r *record) setDerivedStr(slot int, a string, b []byte) {
	r.put(slot, r.split+len(r.derived))
	r.derived = msgpack.AppendStrHeader(r.derived, len(a)+len(b))
	r.derived = append(append(r.derived, a...), b...)
}
