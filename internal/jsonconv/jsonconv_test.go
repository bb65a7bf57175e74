package jsonconv

import (
	"bytes"
	"strings"
	"testing"

	jsoniter "github.com/json-iterator/go"
)

func TestRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"b":1,"a":[true,false,null,-5,18446744073709551615,2.5,"x\"y\\\\z"],"c":{"d":{}}}`,
		`{"EventID":7,"Image":"C:\\Windows\\x.exe","k":"ü€😀"}`,
		`[]`,
	} {
		mp, err := AppendJSONValue(nil, jsoniter.ParseString(jsoniter.ConfigDefault, in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var buf bytes.Buffer
		s := jsoniter.NewStream(jsoniter.ConfigDefault, &buf, 64)
		end, err := WriteMsgpack(s, mp, 0)
		s.Flush()
		if err != nil || end != len(mp) {
			t.Fatalf("%s: WriteMsgpack: %d/%d, %v", in, end, len(mp), err)
		}
		if buf.String() != in {
			t.Errorf("round trip:\n got %s\nwant %s", buf.String(), in)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)
	if _, err := AppendJSONValue(nil, jsoniter.ParseString(jsoniter.ConfigDefault, deep)); err == nil {
		t.Error("want an error for nesting past MaxDepth")
	}
}
