package textevent

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/fixture"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/msgpack"
)

// decodeXML runs AppendXMLEvent and checks that what it wrote is one
// msgpack object.
func decodeXML(t *testing.T, text string) ([]byte, error) {
	t.Helper()
	out, err := AppendXMLEvent(nil, []byte(text))
	if err != nil {
		return nil, err
	}
	if end, err := msgpack.Skip(out, 0); err != nil || end != len(out) {
		t.Fatalf("%q: encoded %d of %d bytes, %v", text, end, len(out), err)
	}
	return out, nil
}

func TestXMLEvent(t *testing.T) {
	out, err := decodeXML(t, `<Event xmlns="urn:x"><!-- c --><System><EventID Qualifiers="0">7</EventID><Correlation/>`+
		`<Execution ProcessID='4' /></System><EventData><Data Name="A">x &lt;&amp;&gt; &#65;&#x42; &bogus; <![CDATA[<raw>]]></Data>`+
		`<Data Name="Empty"></Data><Data>unnamed</Data></EventData></Event>`)
	if err != nil {
		t.Fatal(err)
	}
	want := fixture.Encode(nil, fixture.Map{{K: "Event", V: fixture.Map{
		{K: "#attributes", V: fixture.Map{{K: "xmlns", V: "urn:x"}}},
		{K: "System", V: fixture.Map{
			{K: "EventID", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "Qualifiers", V: "0"}}}, {K: "#text", V: "7"}}},
			{K: "Correlation", V: nil},
			{K: "Execution", V: fixture.Map{{K: "#attributes", V: fixture.Map{{K: "ProcessID", V: "4"}}}}},
		}},
		{K: "EventData", V: fixture.Map{{K: "A", V: "x <&> AB &bogus; <raw>"}, {K: "Empty", V: ""}, {K: "Data", V: "unnamed"}}},
	}}})
	if got := normalizeMsgpack(t, out); string(got) != string(want) {
		t.Errorf("decoded\n%q\nwant\n%q", got, want)
	}
	for _, bad := range []string{
		`<Events><Event/></Events>`,
		`<!DOCTYPE Event [<!ENTITY a "aaaa">]><Event/>`,
		`<Event><System></Event>`,
		`<Event><System>`,
		`<Event a=b/>`,
		`<Event>` + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + `</Event>`,
		`<Event><x><!DOCTYPE y></x></Event>`,
	} {
		if _, err := decodeXML(t, bad); err == nil {
			t.Errorf("%.40q: decoded", bad)
		}
	}
}

// TestXMLEventData: empty Data elements, named or not, hold "", not null;
// unnamed ones gather under one key Data, in order, as evtx_dump writes
// them, whatever else the parent holds; a Message given beside the XML is
// a key beside Event.
func TestXMLEventData(t *testing.T) {
	for _, c := range []struct {
		xml  string
		want fixture.Map
	}{
		{`<EventData><Data Name="A"/><Data Name='B'></Data><Data Name="C">c</Data></EventData>`,
			fixture.Map{{K: "A", V: ""}, {K: "B", V: ""}, {K: "C", V: "c"}}},
		{`<EventData><Data>v1</Data><Data/><Data>v&amp;3</Data><Binary>00</Binary></EventData>`,
			fixture.Map{{K: "Binary", V: "00"}, {K: "Data", V: fixture.Map{{K: "#text", V: []any{"v1", "", "v&3"}}}}}},
		{`<EventData><Data></Data></EventData>`, fixture.Map{{K: "Data", V: ""}}},
		{`<EventData><Data Name="N">n</Data><Data>u</Data><Empty/></EventData>`,
			fixture.Map{{K: "N", V: "n"}, {K: "Empty", V: nil}, {K: "Data", V: "u"}}},
	} {
		out, err := decodeXML(t, `<Event>`+c.xml+`</Event>`)
		if err != nil {
			t.Fatalf("%s: %v", c.xml, err)
		}
		want := fixture.Encode(nil, fixture.Map{{K: "Event", V: fixture.Map{{K: "EventData", V: c.want}}}})
		if got := normalizeMsgpack(t, out); string(got) != string(want) {
			t.Errorf("%s: decoded\n%q\nwant\n%q", c.xml, got, want)
		}
	}
	out, err := AppendXMLEventWith(nil, []byte(`<Event><System/></Event>`), "Message", []byte("text"))
	if err != nil {
		t.Fatal(err)
	}
	want := fixture.Encode(nil, fixture.Map{{K: "Event", V: fixture.Map{{K: "System", V: nil}}}, {K: "Message", V: "text"}})
	if got := normalizeMsgpack(t, out); string(got) != string(want) {
		t.Errorf("with Message: decoded\n%q\nwant\n%q", got, want)
	}
}

// TestXMLAttributes: an element keeps its first maxXMLAttrs attributes,
// more than a fixmap holds.
func TestXMLAttributes(t *testing.T) {
	var attrs []string
	want := fixture.Map{}
	for i := 0; i < maxXMLAttrs+2; i++ {
		attrs = append(attrs, fmt.Sprintf(`a%d="%d"`, i, i))
		if i < maxXMLAttrs {
			want = append(want, fixture.KV{K: fmt.Sprintf("a%d", i), V: strconv.Itoa(i)})
		}
	}
	for _, text := range []string{
		`<Event><System ` + strings.Join(attrs, " ") + `/></Event>`,
		`<Event><System ` + strings.Join(attrs, " ") + `>x</System></Event>`,
	} {
		out, err := decodeXML(t, text)
		if err != nil {
			t.Fatal(err)
		}
		attributes := fixture.Map{{K: "#attributes", V: want}}
		if strings.Contains(text, ">x<") {
			attributes = append(attributes, fixture.KV{K: "#text", V: "x"})
		}
		wantOut := fixture.Encode(nil, fixture.Map{{K: "Event", V: fixture.Map{{K: "System", V: attributes}}}})
		if got := normalizeMsgpack(t, out); string(got) != string(wantOut) {
			t.Errorf("%.60q: decoded\n%q\nwant\n%q", text, got, wantOut)
		}
	}
}

// normalizeMsgpack re-encodes msgpack with the smallest headers, as the
// fixture encoder writes it: the XML decoder writes 32-bit ones.
func normalizeMsgpack(t *testing.T, b []byte) []byte {
	t.Helper()
	var out []byte
	var walk func(off int) int
	walk = func(off int) int {
		if n, p, err := msgpack.ReadMapHeader(b, off); err == nil {
			out = msgpack.AppendMapHeader(out, n)
			for i := 0; i < 2*n; i++ {
				p = walk(p)
			}
			return p
		}
		if n, p, err := msgpack.ReadArrayHeader(b, off); err == nil {
			out = msgpack.AppendArrayHeader(out, n)
			for i := 0; i < n; i++ {
				p = walk(p)
			}
			return p
		}
		if s, p, ok, err := msgpack.ReadStr(b, off); err == nil && ok {
			out = msgpack.AppendStrBytes(out, s)
			return p
		}
		end, err := msgpack.Skip(b, off)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b[off:end]...)
		return end
	}
	walk(0)
	return out
}
