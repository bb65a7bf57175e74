package evtx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/evtx/evtxtest"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/textevent"
)

var t0 = time.Date(2026, 11, 25, 10, 42, 7, 118000000, time.UTC)

// sampleEvents exercise each layout the writer has: named data of several
// types, empty named data, Qualifiers, unnamed classic data, a string
// array, a user SID.
func sampleEvents() []evtxtest.Event {
	return []evtxtest.Event{
		{RecordID: 1, Time: t0, Provider: "Microsoft-Windows-Sysmon", EventID: 1, Qualifiers: -1, Level: 4,
			Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1", UserSID: "S-1-5-18",
			Data: []evtxtest.Data{{"Image", `C:\Windows\System32\cmd.exe`}, {"CommandLine", "cmd /c whoami"},
				{"ProcessId", uint32(4460)}, {"StartModule", nil}, {"Signed", true}}},
		{RecordID: 2, Time: t0.Add(time.Second), Provider: "Microsoft-Windows-Security-Auditing", EventID: 4625,
			Qualifiers: 16384, Level: 0, Channel: "Security", Computer: "dc1",
			Data: []evtxtest.Data{{"TargetUserName", "admin"}, {"LogonType", uint32(3)}, {"Status", int32(-1073741715)}}},
		{RecordID: 3, Time: t0.Add(2 * time.Second), Provider: "ESENT", EventID: 325, Qualifiers: 0, Level: 4,
			Channel: "Application", Computer: "dc1", Classic: true,
			Data: []evtxtest.Data{{"", "NTDS"}, {"", "1234"}, {"", ""}, {"", `C:\Windows\Temp\ntds.dit`}}},
		{RecordID: 4, Time: t0.Add(3 * time.Second), Provider: "Microsoft-Windows-Sysmon", EventID: 1, Qualifiers: -1,
			Level: 4, Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "ws1 ünïcode",
			Data: []evtxtest.Data{{"Image", `C:\Temp\ä.exe`}, {"CommandLine", ""}, {"ProcessId", uint32(1)},
				{"StartModule", "x"}, {"Signed", false}}},
		{RecordID: 5, Time: t0.Add(4 * time.Second), Provider: "Windows PowerShell", EventID: 400, Qualifiers: 0,
			Level: 4, Channel: "Windows PowerShell", Computer: "ws1",
			Data: []evtxtest.Data{{"", []string{"Available", "None", "HostName=ConsoleHost"}}}},
	}
}

// readJSON reads a file into JSON events, failing on any problem.
func readJSON(t testing.TB, file []byte) ([]string, []evtx.Record, evtx.Stats) {
	t.Helper()
	var events []string
	var recs []evtx.Record
	st, err := evtx.Read(bytes.NewReader(file), func(r evtx.Record) error {
		events = append(events, toJSON(t, r.Event))
		r.Event = nil
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, recs, st
}

func toJSON(t testing.TB, msg []byte) string {
	var buf bytes.Buffer
	s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 1024)
	if _, err := textevent.WriteMsgpack(s, msg, 0); err != nil {
		t.Fatal(err)
	}
	s.Flush()
	return buf.String()
}

func TestRoundTrip(t *testing.T) {
	events, recs, st := readJSON(t, evtxtest.Write(sampleEvents()))
	if st.Events != 5 || st.Unreadable != 0 || len(st.Problems) != 0 || st.Chunks != 1 {
		t.Fatalf("stats %+v", st)
	}
	for i, e := range events {
		fmt.Println(e)
		_ = recs[i]
	}
}

var _ = json.Unmarshal
var _ = errors.New
