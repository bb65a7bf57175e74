package rules

// Event is the matcher's view of one record. Slots are indexes into
// Set.Fields(); the implementation resolves each field name to wherever the
// record's shape keeps it.
type Event interface {
	// Field returns the value in slot as text: strings as they are, integers
	// in decimal, booleans as "true" or "false". ok is false when the record
	// lacks the field or holds null in it. The matcher reads the bytes before
	// its next call to Field and never retains them.
	Field(slot int) (text []byte, ok bool)

	// EachString calls v.Visit with every string, number and boolean
	// value of the record (numbers and booleans as Field gives them),
	// nested ones included, until Visit returns true, and reports whether
	// one did. Keyword searches use it: keywords apply to the full log
	// message.
	EachString(v Visitor) bool
}

// Visitor receives values from Event.EachString; the bytes are valid only
// during the call.
type Visitor interface {
	Visit(text []byte) bool
}

// Canonical names of the fields that logsource guards read. An Event
// implementation maps them to the shape of the record (for flat records
// EventID may be "EventID" or "EventCode", the provider "ProviderName" or
// "SourceName").
const (
	FieldEventID  = "EventID"
	FieldChannel  = "Channel"
	FieldProvider = "Provider_Name"
)

// MultiValued is implemented by events whose fields may hold several
// values: a JSON array, or a field path through an array of maps. For
// such a field Field gives no text; a value test holds when it holds for
// at least one value (|all over several values: each value holds for
// some element), null and exists: false do not match it (the field is
// present), and an empty array matches no value test.
type MultiValued interface {
	// Several reports whether any field of the event holds several
	// values; asked once per event, so that events without any pay
	// nothing more.
	Several() bool
	// HoldsSeveral reports whether the field in slot does.
	HoldsSeveral(slot int) bool
	// EachValue calls v.Visit with each scalar value of the field in
	// slot (as Field gives text) until Visit returns true, and reports
	// whether one did.
	EachValue(slot int, v Visitor) bool
}

// RawStrings is implemented by events whose strings all lie, as they
// are, in one byte slice: a msgpack body. Keyword scans read it in one
// pass to skip the walk of EachString when none of their literals can
// occur (see gramFilter).
type RawStrings interface {
	// RawStrings returns bytes holding every string EachString visits
	// as a contiguous part (numbers and booleans, visited as text, need
	// not be there), or false when the event has none such.
	RawStrings() ([]byte, bool)
}
