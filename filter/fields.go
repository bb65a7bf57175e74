package filter

import (
	"bytes"
	"strings"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/sysmon"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/winlayout"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// fieldIndex resolves record keys to slots. It is a tree of keys, built
// once per filter from the record shapes the filter knows: a flat record
// keeps Sysmon fields at the top level; an evtx JSON record (evtx_dump,
// SigmaHQ's regression data) under Event.System and Event.EventData;
// Winlogbeat under winlog (event_data for the fields, or user_data for
// an event that has UserData instead, as 1102 and 104 do); Fluent Bit's
// in_winevtlog with event_data_as_map under EventData; the OpenTelemetry
// windowseventlog receiver under event_data, with event_id.id and
// provider.name. At each level keys are bucketed by length, so most keys
// of a record are dismissed by one load of a per-first-byte bit set of key
// lengths and the rest by a string compare or two; only a length crowded
// with more than maxBucket keys is looked up in a map, one hash per key
// of that length. The tree is a few levels deep, which bounds the descent
// whatever the record's nesting.
//
// Slots [0, fields) are the rule set's fields. The slots after them are
// auxiliary: the places that need a second step once the whole record has
// been seen (shapes.go): positional StringInserts, the Message text, text
// keys that may carry a JSON or XML record, the ECS fields Elastic's
// Sysmon pipeline moved event data to, and Winlogbeat's param1..N (the
// unnamed event data, when a rule reads Data: one slot for them all).
type fieldIndex struct {
	root   *keyNode
	data   *keyNode // EventData's node: every field by its Sysmon name
	fields int      // rule set fields
	slots  int      // fields and auxiliary slots

	eventID, channel, provider int // where the logsource fields are
	inserts, message           int // auxiliary: StringInserts, Message
	text                       []int
	// auxiliary: an EventBridge event's detail-type and detail (shapes.go)
	detailType, detail int
	// auxiliary: any key of batch_key at the top level (batch.go), or -1
	batch int

	// Per Sysmon event id: which slots its StringInserts fill, per schema
	// (-1 for a position no rule reads); the ECS moves and derivations.
	insertSlots [][][]int
	ecsMoves    [][]slotMove
	ecsDerive   [][]slotDerivation
	ecsHashes   [2][4]int // process, file: the aux slots of hashPaths
	ecsInputs   [4]int    // aux slots of derivationInput, -1 when unused

	// The StringInserts slots of the other providers whose layouts are known.
	layouts []providerSlots
	// The unnamed event data: the slot of the field Data (-1 when no rule
	// reads it), and the aux slot of the first of Winlogbeat's param1..N
	// the walk met (the others are read when it did, shapes.go).
	dataSlot, params int

	// Azure's diagnostic export (jsonlogs.go): per field Azure rules read,
	// the aux slot its export paths fill; and whether the configured
	// logsource is Azure's.
	azureMoves      []azureMove
	azureConfigured bool

	// The record's logsource (jsonlogs.go): the slot of
	// rules.FieldLogsource (-1 when no rule has a logsource) and the
	// configured value as msgpack (nil: recognise).
	logsource      int
	logsourceValue []byte
	otherProducts  bool // some rule is not of product windows

	extra []int // slots of indexOptions.extra, in its order
}

// providerSlots: per event id of one provider, which slots each position
// of its StringInserts fills, per layout.
type providerSlots struct {
	name []byte
	byID map[int][][]int
}

// slotMove fills slot to from slot from when to is empty.
type slotMove struct{ to, from int }

type slotDerivation struct {
	to   int
	kind ecsDerivation
}

// Roles of an edge: what a record holding the key may need after the walk.
const (
	roleData    uint8 = 1 << iota // an event data field under its own name
	roleInserts                   // StringInserts
	roleMessage                   // Message text
	roleText                      // a key that may carry a JSON or XML record
	roleECS                       // a field Elastic's pipeline moved
	roleUnnamed                   // unnamed event data: a list, or param1..N
	roleWrapped                   // an EventBridge event's detail-type or detail
)

// maxParams is how many of Winlogbeat's param1..N keys are read as the
// unnamed event data: classic providers write a handful of values; the
// rest of a longer list is left out of Data.
const maxParams = 32

type keyNode struct {
	byLen [][]keyEdge // index: key length
	// big: the edges of the crowded lengths. With many keys of one length
	// (a large rule set reads hundreds of fields) comparing against each
	// would cost more than hashing once; the other lengths stay compared,
	// so one crowded length does not cost every key a hash.
	big    keyTable
	bigLen []bool // per length: look up in big
	// first: per first byte, a bit per key length (mod 64) of the keys
	// here. Most keys of a record are none of the filter's, and most of
	// those are dismissed by this one load, before any bucket is searched.
	first [256]uint64
	any   *keyEdge // the "*" key: matches any key (evtx UserData's element)
	// numbered: the keys prefix1..prefixN (Winlogbeat's param1..N), one
	// edge for them all, found by parsing rather than by a bucket each: so
	// many keys of two lengths would crowd those buckets into the map.
	numbered *numberedKeys
}

type keyEdge struct {
	name  string
	slots []int    // a value under this key fills these slots
	roles uint8    // the roles of the slots
	child *keyNode // a map value under this key is searched with child
}

// DefaultTextKeys are the keys searched for a record carried as text when
// text_key is not set: tail without a parser (log), syslog (message),
// in_winevtlog's render_event_as_xml (System) and the systemd input's
// journal entries (MESSAGE: Sysmon for Linux logs through journald too).
var DefaultTextKeys = []string{"log", "message", "System", "MESSAGE"}

// indexOptions are the configurable parts of the index.
type indexOptions struct {
	textKeys  []string              // nil: DefaultTextKeys
	logsource string                // the logsource property, normalised
	fieldMap  map[string][][]string // field_map: extra paths per field (see fieldPaths for which wins)
	// otherProducts: some rule is of a product other than Windows, so
	// records with a Windows channel are told they are Windows.
	otherProducts bool
	// extra are fields the filter itself reads (time_key, the offline
	// time fields), resolved through the shapes as rules' fields are.
	extra []string
	// azureFields are the fields Azure rules read: also found where
	// Azure's diagnostic export keeps them (azureExportPaths).
	azureFields []string
	// batchKeys are batch_key's keys: the walk notes whether a record has
	// one, so that only such records are looked at for a batch.
	batchKeys []string
}

// fieldPaths returns where the shapes keep the field name. When a record
// has several of a field's paths, the one it holds last (in its own key
// order) gives the value.
func fieldPaths(name string) [][]string {
	switch name {
	case rules.FieldLogsource: // not a record key: set by setLogsource
		return nil
	case rules.FieldEventID:
		return [][]string{{"EventID"}, {"EventCode"}, {"Event", "System", "EventID"}, {"Event", "System", "EventID", "#text"},
			{"winlog", "event_id"}, {"event_id", "id"}, {"event", "code"}}
	case rules.FieldChannel:
		return [][]string{{"Channel"}, {"Event", "System", "Channel"}, {"winlog", "channel"}, {"channel"}}
	case rules.FieldProvider:
		return [][]string{{"Provider_Name"}, {"ProviderName"}, {"SourceName"},
			{"Event", "System", "Provider", "#attributes", "Name"}, {"winlog", "provider_name"}, {"provider", "name"},
			{"event", "provider"}}
	}
	paths := [][]string{{name}, {"Event", "EventData", name}, {"Event", "System", name}, {"Event", "UserData", "*", name},
		{"winlog", "event_data", name}, {"winlog", "user_data", name}, {"EventData", name}, {"event_data", name},
		{"event_data", "data", name}}
	if name == unnamedData { // evtx_dump writes several unnamed values {"#text": [...]}
		paths = append(paths, []string{"Event", "EventData", name, "#text"})
	}
	if column, ok := logAnalyticsColumns[name]; ok {
		paths = append(paths, []string{column})
	}
	return append(paths, dottedPaths(name)...)
}

// logAnalyticsColumns are the Log Analytics columns that hold what a field
// of Azure's diagnostic export holds under another name, for rules written
// against the export: SigmaHQ's activity-log rules read operationName
// ("MICROSOFT.KEYVAULT/VAULTS/DELETE"), which an AzureActivity row keeps
// in OperationNameValue (its OperationName is the display text).
var logAnalyticsColumns = map[string]string{"operationName": "OperationNameValue"}

// Bounds of dottedPaths: a name of more than maxDottedKeys keys is looked
// up as it is only; at most maxDottedPaths splits of one name are indexed.
const (
	maxDottedKeys  = 8
	maxDottedPaths = 32
)

// dottedPaths returns the nested paths a field name with dots reaches in
// any record, after the exact key (fieldPaths' first path): the name split
// at its dots from the left, each tail split again, so a.b.c tries a ->
// b.c, a -> b -> c, then a.b -> c. A key holding dots itself is found
// this way at any level. The splits are index edges, built once: a record
// pays for them only when it has the keys.
func dottedPaths(name string) [][]string {
	if strings.Count(name, ".") == 0 || strings.Count(name, ".") >= maxDottedKeys {
		return nil
	}
	var out [][]string
	var split func(prefix []string, rest string)
	split = func(prefix []string, rest string) {
		for i := 0; i < len(rest) && len(out) < maxDottedPaths; i++ {
			if rest[i] != '.' || i == 0 || i == len(rest)-1 {
				continue
			}
			head := append(append([]string(nil), prefix...), rest[:i])
			out = append(out, append(append([]string(nil), head...), rest[i+1:]))
			split(head, rest[i+1:])
		}
	}
	split(nil, name)
	return out
}

// unnamedData is the field that holds the event data values written
// without a name (by classic providers), as SigmaHQ's rules name it.
const unnamedData = "Data"

// maxBucket is the most keys of one length a node compares one by one.
const maxBucket = 6

// newFieldIndex builds the index for a rule set's fields. Slots are given
// out in a fixed order: the fields, the logsource fields no rule reads,
// StringInserts and Message, the text keys, then the ECS paths.
func newFieldIndex(fields []string, opt indexOptions) fieldIndex {
	b := indexBuilder{
		idx:     fieldIndex{root: &keyNode{}, fields: len(fields), slots: len(fields)},
		slotOf:  make(map[string]int, len(fields)),
		ecsSlot: map[string]int{},
	}
	for i, name := range fields {
		b.slotOf[name] = i
	}
	b.addFields(fields, opt.fieldMap)
	b.addAzureExportPaths(opt.azureFields)
	b.idx.batch = -1
	if len(opt.batchKeys) > 0 {
		b.idx.batch = b.aux()
		for _, k := range opt.batchKeys {
			b.add([]string{k}, b.idx.batch, 0)
		}
	}
	b.idx.data = &keyNode{}
	if e := b.idx.root.edge("EventData"); e.child != nil {
		b.idx.data = e.child
	}
	b.addSecondStepKeys(opt.textKeys)
	b.addUnnamedData()
	b.mapInserts()
	b.mapLayouts()
	b.addECSMoves()
	b.addECSDerivations()
	b.addLogsource(opt.logsource, opt.otherProducts)
	b.idx.extra = b.addExtraFields(opt.extra, opt.fieldMap)
	b.idx.root.finish()
	return b.idx
}

// addExtraFields gives each extra field a slot: the rules' own when some
// rule reads it, else an aux slot, found where the field map and the
// shapes keep it, as a rule's field is. An extra field has no data role:
// the filter reading it does not make a record need a second step.
func (b *indexBuilder) addExtraFields(names []string, fieldMap map[string][][]string) []int {
	var slots []int
	for _, name := range names {
		s, ok := b.slotOf[name]
		if !ok {
			s = b.aux()
			b.slotOf[name] = s
			for _, path := range fieldMap[name] {
				b.add(path, s, 0)
			}
			for _, path := range fieldPaths(name) {
				b.add(path, s, 0)
			}
		}
		slots = append(slots, s)
	}
	return slots
}

// indexBuilder is the state of newFieldIndex while it adds paths.
type indexBuilder struct {
	idx     fieldIndex
	slotOf  map[string]int // field name -> slot
	ecsSlot map[string]int // ECS path -> its aux slot
}

// aux adds an auxiliary slot.
func (b *indexBuilder) aux() int {
	b.idx.slots++
	return b.idx.slots - 1
}

// add makes a value at path fill slot, with role.
func (b *indexBuilder) add(path []string, slot int, role uint8) {
	if len(path) == 0 {
		return
	}
	node := b.idx.root
	for _, key := range path[:len(path)-1] {
		e := node.edge(key)
		if e.child == nil {
			e.child = &keyNode{}
		}
		node = e.child
	}
	e := node.edge(path[len(path)-1])
	e.slots = append(e.slots, slot)
	e.roles |= role
}

// sysmonFields are the names of Sysmon's event data fields, in any event
// and schema.
var sysmonFields = func() map[string]bool {
	m := map[string]bool{}
	for id := 0; id <= 255; id++ {
		for _, schema := range sysmon.Schemas(id) {
			for _, f := range schema {
				m[f] = true
			}
		}
	}
	return m
}()

// ruleSlot returns the slot of a field some rule reads.
func (b *indexBuilder) ruleSlot(name string) (int, bool) {
	s, ok := b.slotOf[name]
	return s, ok && s < b.idx.fields
}

// addFields indexes every path of the rule set's fields and of the
// logsource fields. Those always have a slot: the second step needs the
// event id and provider even when no rule reads them. A logsource field
// has no data role: it alone does not make a record need a second step.
func (b *indexBuilder) addFields(fields []string, fieldMap map[string][][]string) {
	names := append([]string(nil), fields...)
	isLogsource := map[string]bool{}
	for _, ls := range []struct {
		name string
		slot *int
	}{{rules.FieldEventID, &b.idx.eventID}, {rules.FieldChannel, &b.idx.channel}, {rules.FieldProvider, &b.idx.provider}} {
		isLogsource[ls.name] = true
		s, ok := b.slotOf[ls.name]
		if !ok {
			s = b.aux()
			b.slotOf[ls.name] = s
			names = append(names, ls.name)
		}
		*ls.slot = s
	}
	for _, name := range names {
		if name == "" {
			continue // a slot another index fills (see lateFields)
		}
		role := roleData
		if isLogsource[name] || !sysmonFields[name] && name != unnamedData {
			// roleData says Sysmon's fields are there by name, so its
			// Message text needs no reading: an in_winevtlog record's own
			// keys (Computer, Level) must not say so.
			role = 0
		} else if name == unnamedData {
			role |= roleUnnamed
		}
		for _, path := range fieldMap[name] {
			b.add(path, b.slotOf[name], role)
		}
		for _, path := range fieldPaths(name) {
			b.add(path, b.slotOf[name], role)
		}
	}
}

// addAzureExportPaths gives each field Azure rules read auxiliary slots
// that the paths of Azure's diagnostic export fill (azureExportPaths);
// fillAzure moves their value into the field for a record recognised as
// Azure's.
func (b *indexBuilder) addAzureExportPaths(names []string) {
	for _, name := range names {
		slot, ok := b.slotOf[name]
		props, top := azureExportPaths(name)
		if !ok || len(props) == 0 {
			continue
		}
		m := azureMove{to: slot, props: b.aux(), top: -1}
		for _, path := range props {
			b.add(path, m.props, 0)
		}
		if len(top) > 0 {
			m.top = b.aux()
			for _, path := range top {
				b.add(path, m.top, 0)
			}
		}
		b.idx.azureMoves = append(b.idx.azureMoves, m)
	}
}

// textKeysOr returns the text keys configured: DefaultTextKeys for nil.
func textKeysOr(keys []string) []string {
	if keys == nil {
		return DefaultTextKeys
	}
	return keys
}

// addSecondStepKeys gives StringInserts, Message and the text keys
// (DefaultTextKeys when textKeys is nil) their aux slots.
func (b *indexBuilder) addSecondStepKeys(textKeys []string) {
	b.idx.inserts, b.idx.message = b.aux(), b.aux()
	b.add([]string{"StringInserts"}, b.idx.inserts, roleInserts)
	b.add([]string{"Message"}, b.idx.message, roleMessage)
	for _, k := range textKeysOr(textKeys) {
		s := b.aux()
		b.idx.text = append(b.idx.text, s)
		b.add([]string{k}, s, roleText)
	}
	b.idx.detailType, b.idx.detail = b.aux(), b.aux()
	b.add([]string{"detail-type"}, b.idx.detailType, roleWrapped)
	b.add([]string{"detail"}, b.idx.detail, roleWrapped)
}

// addUnnamedData finds the slot of the field Data and gives Winlogbeat's
// param1..N their aux slots, when some rule reads Data.
func (b *indexBuilder) addUnnamedData() {
	s, ok := b.ruleSlot(unnamedData)
	if !ok {
		b.idx.dataSlot, b.idx.params = -1, -1
		return
	}
	b.idx.dataSlot = s
	b.idx.params = b.aux()
	// winlog.event_data.Data is one of Data's paths: the node exists.
	node := b.idx.root.edge("winlog").child.edge("event_data").child
	params := winlogParams
	params.edge = keyEdge{name: "param", slots: []int{b.idx.params}, roles: roleUnnamed}
	node.numbered = &params
	// Rules read some paramN by name (System 7036's param1): those keys
	// have their own edges, which must mark the unnamed data too.
	for _, bucket := range node.byLen {
		for i := range bucket {
			if e := &bucket[i]; params.number([]byte(e.name)) > 0 {
				e.slots = append(e.slots, b.idx.params)
				e.roles |= roleUnnamed
			}
		}
	}
}

// layoutSlots maps a layout's names to the slots they fill (-1 for a
// position no rule reads).
func (b *indexBuilder) layoutSlots(layout []string) []int {
	slots := make([]int, len(layout))
	for i, name := range layout {
		slots[i] = -1
		if s, ok := b.ruleSlot(name); ok {
			slots[i] = s
		}
	}
	return slots
}

// mapLayouts records the StringInserts slots of the providers other than
// Sysmon whose layouts are known.
func (b *indexBuilder) mapLayouts() {
	for _, p := range winlayout.Providers() {
		if p == sysmon.Provider {
			continue
		}
		ps := providerSlots{name: []byte(p), byID: map[int][][]int{}}
		for _, id := range winlayout.EventIDs(p) {
			for _, layout := range winlayout.Layouts(p, id) {
				ps.byID[id] = append(ps.byID[id], b.layoutSlots(layout))
			}
		}
		b.idx.layouts = append(b.idx.layouts, ps)
	}
}

// mapInserts records, per Sysmon event id and schema, the slot each
// position of StringInserts fills (-1 for a position no rule reads).
func (b *indexBuilder) mapInserts() {
	for id := 0; id <= 255; id++ {
		schemas := sysmon.Schemas(id)
		if schemas == nil {
			continue
		}
		for len(b.idx.insertSlots) <= id {
			b.idx.insertSlots = append(b.idx.insertSlots, nil)
		}
		for _, schema := range schemas {
			b.idx.insertSlots[id] = append(b.idx.insertSlots[id], b.layoutSlots(schema))
		}
	}
}

// ecsAux returns the aux slot of an ECS path some rule field may have been
// moved to, adding it the first time.
func (b *indexBuilder) ecsAux(path string) int {
	if s, ok := b.ecsSlot[path]; ok {
		return s
	}
	s := b.aux()
	b.ecsSlot[path] = s
	b.add(splitPath(path), s, roleECS)
	return s
}

// addECSMoves: per event id, the rule fields Elastic's pipeline moved, and
// the slots of the paths it moved them to.
func (b *indexBuilder) addECSMoves() {
	b.idx.ecsMoves = make([][]slotMove, len(ecsMoves))
	for id, moves := range ecsMoves {
		for _, m := range moves {
			if to, ok := b.ruleSlot(m.field); ok {
				b.idx.ecsMoves[id] = append(b.idx.ecsMoves[id], slotMove{to: to, from: b.ecsAux(m.path)})
			}
		}
	}
}

// addECSDerivations: per event id, the rule fields the pipeline split,
// and the slots of the ECS fields each is put back together from.
func (b *indexBuilder) addECSDerivations() {
	for i := range b.idx.ecsInputs {
		b.idx.ecsInputs[i] = -1
	}
	for i := range b.idx.ecsHashes {
		for j := range b.idx.ecsHashes[i] {
			b.idx.ecsHashes[i][j] = -1
		}
	}
	b.idx.ecsDerive = make([][]slotDerivation, len(ecsDerived))
	for id, kinds := range ecsDerived {
		for _, kind := range kinds {
			to, ok := b.ruleSlot(derivedField[kind])
			if !ok {
				continue
			}
			b.idx.ecsDerive[id] = append(b.idx.ecsDerive[id], slotDerivation{to: to, kind: kind})
			b.addDerivationInputs(kind)
		}
	}
}

// addDerivationInputs gives the ECS fields a derivation reads their slots.
func (b *indexBuilder) addDerivationInputs(kind ecsDerivation) {
	idx := &b.idx
	switch kind {
	case deriveUser:
		idx.ecsInputs[0], idx.ecsInputs[1] = b.ecsAux(derivationInput[0]), b.ecsAux(derivationInput[1])
	case deriveInitiated:
		idx.ecsInputs[2] = b.ecsAux(derivationInput[2])
	case deriveSourceIsIpv6, deriveDestinationIsIpv6:
		idx.ecsInputs[3] = b.ecsAux(derivationInput[3])
	case deriveProcessHashes:
		for j, p := range processHashPath {
			idx.ecsHashes[0][j] = b.ecsAux(p)
		}
	case deriveFileHashes, deriveFileHash:
		for j, p := range fileHashPath {
			idx.ecsHashes[1][j] = b.ecsAux(p)
		}
	}
}

// splitPath splits a dotted path; a backslash escapes a dot (or a
// backslash) that belongs to a key.
func splitPath(path string) []string {
	var out []string
	var key strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '\\' && i+1 < len(path) && (path[i+1] == '.' || path[i+1] == '\\'):
			key.WriteByte(path[i+1])
			i++
		case c == '.':
			out = append(out, key.String())
			key.Reset()
		default:
			key.WriteByte(c)
		}
	}
	return append(out, key.String())
}

// finish switches crowded buckets to a keyTable, recursively.
func (n *keyNode) finish() {
	n.bigLen = make([]bool, len(n.byLen))
	for _, bucket := range n.byLen {
		for _, e := range bucket {
			if e.name != "" {
				n.first[e.name[0]] |= 1 << (len(e.name) & 63)
			}
		}
	}
	var crowded []*keyEdge
	for i := range n.byLen {
		n.bigLen[i] = len(n.byLen[i]) > maxBucket
		for j := range n.byLen[i] {
			e := &n.byLen[i][j]
			if n.bigLen[i] {
				crowded = append(crowded, e)
			}
			if e.child != nil {
				e.child.finish()
			}
		}
	}
	n.big = newKeyTable(crowded)
	if n.any != nil && n.any.child != nil {
		n.any.child.finish()
	}
}

// edge returns the edge for key, adding it if needed.
func (n *keyNode) edge(key string) *keyEdge {
	if key == "*" {
		if n.any == nil {
			n.any = &keyEdge{name: key}
		}
		return n.any
	}
	for len(n.byLen) <= len(key) {
		n.byLen = append(n.byLen, nil)
	}
	bucket := n.byLen[len(key)]
	for i := range bucket {
		if bucket[i].name == key {
			return &bucket[i]
		}
	}
	n.byLen[len(key)] = append(bucket, keyEdge{name: key})
	return &n.byLen[len(key)][len(bucket)]
}

// lookup finds the edge for key. A key with spaces ("Threat Name", as
// Windows Defender writes EventData) also matches the field name without
// them ("ThreatName"), as Sigma rules spell it: the specification has
// field names as the log source has them, "strip all spaces".
func (n *keyNode) lookup(key []byte) *keyEdge {
	if e := n.lookupExact(key); e != nil {
		return e
	}
	// Only for a key that may be one of the two kinds: most keys are
	// neither.
	if bytes.IndexByte(key, ' ') >= 0 || n.numbered != nil && len(key) > 0 && key[0] == n.numbered.prefix[0] {
		if e := n.lookupLoosely(key); e != nil {
			return e
		}
	}
	return n.any
}

// lookupLoosely finds the edge of a key that is not there as it is: by
// its name without spaces, or as a numbered key.
func (n *keyNode) lookupLoosely(key []byte) *keyEdge {
	if len(key) <= 64 && bytes.IndexByte(key, ' ') >= 0 {
		var buf [64]byte
		squeezed := buf[:0]
		for _, c := range key {
			if c != ' ' {
				squeezed = append(squeezed, c)
			}
		}
		if e := n.lookupExact(squeezed); e != nil {
			return e
		}
	}
	if n.numbered != nil && n.numbered.number(key) > 0 {
		return &n.numbered.edge
	}
	return nil
}

// numberedKeys are the keys prefix1..prefixN of a node.
type numberedKeys struct {
	prefix string
	max    int
	edge   keyEdge
}

// number returns N of a key prefixN with N from 1 to max written without
// leading zeros, or 0.
func (k *numberedKeys) number(key []byte) int {
	digits := len(key) - len(k.prefix)
	if digits < 1 || digits > 3 || string(key[:len(k.prefix)]) != k.prefix || key[len(k.prefix)] == '0' {
		return 0
	}
	n := 0
	for _, c := range key[len(k.prefix):] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if n > k.max {
		return 0
	}
	return n
}

// winlogParams are Winlogbeat's names of unnamed event data.
var winlogParams = numberedKeys{prefix: "param", max: maxParams}

func (n *keyNode) lookupExact(key []byte) *keyEdge {
	if len(key) >= len(n.byLen) || len(key) == 0 || n.first[key[0]]&(1<<(len(key)&63)) == 0 {
		return nil
	}
	if n.bigLen[len(key)] {
		return n.big.lookup(key)
	}
	bucket := n.byLen[len(key)]
	if len(bucket) == 0 {
		return nil
	}
	// Keys of one length mostly differ in their first or last byte:
	// compare those before the whole key.
	first, last := key[0], key[len(key)-1]
	for i := range bucket {
		name := bucket[i].name
		if name[0] == first && name[len(name)-1] == last && name == string(key) {
			return &bucket[i]
		}
	}
	return nil
}
