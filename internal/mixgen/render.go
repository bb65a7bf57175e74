package mixgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
)

// Shape is the record shape a transport gives an event (DESIGN.md's
// table of record shapes).
type Shape int

const (
	// Flat: the system fields (EventID, Channel, ProviderName, Computer,
	// TimeCreated, EventRecordID) and the event data at the top level, as
	// NXLog and most JSON shippers write them.
	Flat Shape = iota
	// Evtx: evtx_dump's JSON, Event.System and Event.EventData, as
	// SigmaHQ's regression data and attack recordings are.
	Evtx
)

var shapeNames = []string{Flat: "flat", Evtx: "evtx"}

func (s Shape) String() string { return shapeNames[s] }

// ParseShape returns the shape named name (flat or evtx).
func ParseShape(name string) (Shape, error) {
	for i, n := range shapeNames {
		if strings.EqualFold(n, name) {
			return Shape(i), nil
		}
	}
	return 0, fmt.Errorf("mixgen: unknown shape %q (want flat or evtx)", name)
}

// Render returns ev as a record of shape.
func Render(shape Shape, ev Event) fixture.Map {
	created := ev.Time.UTC().Format("2006-01-02T15:04:05.0000000Z")
	if shape == Flat {
		m := fixture.Map{{K: "EventID", V: ev.ID}, {K: "Channel", V: ev.Channel}, {K: "ProviderName", V: ev.Provider},
			{K: "Computer", V: ev.Computer}, {K: "TimeCreated", V: created}, {K: "EventRecordID", V: ev.RecordID}}
		return append(append(m, ev.Data...), flatUserData(ev.userData)...)
	}
	system := ev.system
	if system == nil {
		system = fixture.Map{
			{K: "Provider", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "Name", V: ev.Provider}}}}},
			{K: "EventID", V: ev.ID}, {K: "Version", V: 5}, {K: "Level", V: 4}, {K: "Task", V: 0}, {K: "Opcode", V: 0},
			{K: "Keywords", V: "0x8000000000000000"},
			{K: "TimeCreated", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "SystemTime", V: created}}}}},
			{K: "EventRecordID", V: ev.RecordID}, {K: "Correlation", V: nil},
			{K: "Execution", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "ProcessID", V: 3412}, {K: "ThreadID", V: 4756}}}}},
			{K: "Channel", V: ev.Channel}, {K: "Computer", V: ev.Computer},
			{K: "Security", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "UserID", V: "S-1-5-18"}}}}},
		}
	}
	event := fixture.Map{{K: "System", V: system}}
	if ev.Data != nil || ev.userData == nil {
		event = append(event, fixture.KV{K: "EventData", V: ev.Data})
	}
	if ev.userData != nil {
		event = append(event, fixture.KV{K: "UserData", V: ev.userData})
	}
	return fixture.Map{{K: "Event", V: event}}
}

// flatUserData returns the fields of an event's UserData (one element
// holding the fields, <UserData><Operation_ClientFailure><Id>...), as a
// shipper that flattens events sets them: at the top level, beside the
// EventData a classic event would have.
func flatUserData(userData any) fixture.Map {
	var out fixture.Map
	outer, _ := userData.(fixture.Map)
	for _, element := range outer {
		fields, ok := element.V.(fixture.Map)
		if !ok {
			out = append(out, element)
			continue
		}
		for _, kv := range fields {
			if kv.K != "#attributes" {
				out = append(out, kv)
			}
		}
	}
	return out
}

// AppendJSONLine appends ev as one line of JSON in shape.
func AppendJSONLine(dst []byte, shape Shape, ev Event) []byte {
	dst = append(dst, fixture.JSON(Render(shape, ev))...)
	return append(dst, '\n')
}

// ParseEvtxJSON reads events in evtx_dump's JSON (SigmaHQ's regression
// data: one or more objects, one after the other), keeping each object's
// key order.
func ParseEvtxJSON(data []byte) ([]Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var events []Event
	for dec.More() {
		v, err := decodeValue(dec)
		if errors.Is(err, io.EOF) { // within a value
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, fmt.Errorf("mixgen: evtx JSON: %w", err)
		}
		ev, err := evtxEvent(v)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// evtxEvent takes an evtx_dump object apart.
func evtxEvent(v any) (Event, error) {
	root, _ := v.(fixture.Map)
	event, _ := get(root, "Event").(fixture.Map)
	system, _ := get(event, "System").(fixture.Map)
	if system == nil {
		return Event{}, errors.New("mixgen: evtx JSON: no Event.System")
	}
	ev := Event{system: system, userData: get(event, "UserData")}
	ev.Data, _ = get(event, "EventData").(fixture.Map)
	id := get(system, "EventID")
	if m, ok := id.(fixture.Map); ok { // {"#attributes": {"Qualifiers": ...}, "#text": id}
		id = get(m, "#text")
	}
	n, ok := id.(int64)
	if !ok {
		return Event{}, fmt.Errorf("mixgen: evtx JSON: EventID %v is not a number", id)
	}
	ev.ID = int(n)
	ev.Channel, _ = get(system, "Channel").(string)
	ev.Computer, _ = get(system, "Computer").(string)
	ev.Provider, _ = get(get(get(system, "Provider"), "#attributes"), "Name").(string)
	if rid, ok := get(system, "EventRecordID").(int64); ok {
		ev.RecordID = int(rid)
	}
	if t, ok := get(get(get(system, "TimeCreated"), "#attributes"), "SystemTime").(string); ok {
		ev.Time, _ = time.Parse(time.RFC3339Nano, t)
	}
	return ev, nil
}

// get returns the value of key in v when v is a map.
func get(v any, key string) any {
	m, _ := v.(fixture.Map)
	x, _ := m.Get(key)
	return x
}

// decodeValue reads one JSON value: objects as fixture.Map in their key
// order, integers as int64, other numbers as float64.
func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			var arr []any
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		m := fixture.Map{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			m = append(m, fixture.KV{K: k.(string), V: v})
		}
		_, err := dec.Token()
		return m, err
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n, nil
		}
		return t.Float64()
	}
	return tok, nil // string, bool or nil
}

// ReadRegression reads every .json file under dir (SigmaHQ's
// regression_data), in lexical path order, as evtx JSON events.
func ReadRegression(dir string) ([]Event, error) {
	var events []Event
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		evs, err := ParseEvtxJSON(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		events = append(events, evs...)
		return nil
	})
	if err == nil && len(events) == 0 {
		err = fmt.Errorf("mixgen: no regression events under %s", dir)
	}
	return events, err
}
