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
