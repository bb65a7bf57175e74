package msgpack

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/ugorji/go/codec"
)

// encode uses ugorji/go/codec (fluent-bit-go's msgpack library) as an
// independent encoder.
func encode(t *testing.T, v any) []byte {
	t.Helper()
	var b []byte
	h := new(codec.MsgpackHandle)
	h.WriteExt = true
	if err := codec.NewEncoderBytes(&b, h).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b
}

func values() map[string]any {
	long := make([]byte, 70000)
	return map[string]any{
		"nil": nil, "true": true, "false": false,
		"fixint": 5, "negfixint": -3, "int8": -100, "int16": -30000, "int32": -2000000000, "int64": int64(math.MinInt64),
		"uint8": uint8(200), "uint16": uint16(60000), "uint32": uint32(4000000000), "uint64": uint64(math.MaxUint64),
		"float32": float32(1.5), "float64": 2.25,
		"fixstr": "abc", "str8": string(make([]byte, 200)), "str16": string(make([]byte, 1000)), "str32": string(long),
		"bin": []byte{1, 2, 3}, "bin16": make([]byte, 300), "bin32": long,
		"fixarray": []any{1, "a", nil}, "array16": make([]any, 20), "array32": make([]any, 70000),
		"fixmap": map[string]any{"a": 1}, "map16": bigMap(20), "map32": bigMap(70000),
		"nested": map[string]any{"a": []any{map[string]any{"b": []any{1, 2, map[string]any{"c": nil}}}}},
	}
}

func bigMap(n int) map[int]int {
	m := make(map[int]int, n)
	for i := 0; i < n; i++ {
		m[i] = i
	}
	return m
}

func TestSkipEveryType(t *testing.T) {
	for name, v := range values() {
		b := encode(t, v)
		end, err := Skip(b, 0)
		if err != nil || end != len(b) {
			t.Errorf("%s: Skip = %d, %v; want %d, nil", name, end, err, len(b))
		}
		// Every strict prefix is truncated data (sampled for the long ones).
		step := 1 + len(b)/200
		for n := 0; n < len(b); n += step {
			if _, err := Skip(b[:n], 0); !errors.Is(err, ErrShortBytes) {
				t.Errorf("%s: Skip of %d/%d bytes: got %v, want ErrShortBytes", name, n, len(b), err)
				break
			}
		}
	}
}

func TestSkipExtensions(t *testing.T) {
	for _, size := range []int{1, 2, 4, 8, 16, 3, 300, 70000} {
		b := AppendExt(nil, 5, make([]byte, size))
		if size != 8 { // AppendExt writes ext32 for these; build fixext by hand
			switch size {
			case 1, 2, 4, 16:
				code := map[int]byte{1: 0xd4, 2: 0xd5, 4: 0xd6, 16: 0xd8}[size]
				b = append([]byte{code, 5}, make([]byte, size)...)
			case 3:
				b = append([]byte{0xc7, 3, 5}, make([]byte, 3)...)
			case 300:
				b = append([]byte{0xc8, 1, 44, 5}, make([]byte, 300)...)
			}
		}
		end, err := Skip(b, 0)
		if err != nil || end != len(b) {
			t.Errorf("ext of %d bytes: Skip = %d, %v; want %d", size, end, err, len(b))
		}
	}
}

func TestSkipRejectsGarbage(t *testing.T) {
	if _, err := Skip([]byte{0xc1}, 0); err == nil {
		t.Error("0xc1 must be an error")
	}
	// An array header announcing 4 billion elements in a 5-byte buffer is
	// truncated data, found at once.
	if _, err := Skip([]byte{0xdd, 0xff, 0xff, 0xff, 0xff}, 0); !errors.Is(err, ErrShortBytes) {
		t.Errorf("huge array header: got %v, want ErrShortBytes", err)
	}
}

func TestSkipDeepNesting(t *testing.T) {
	// 100,000 nested arrays: Skip counts, it does not recurse.
	b := make([]byte, 0, 100001)
	for i := 0; i < 100000; i++ {
		b = append(b, 0x91)
	}
	b = append(b, 0xc0)
	if end, err := Skip(b, 0); err != nil || end != len(b) {
		t.Errorf("Skip = %d, %v", end, err)
	}
}

func TestScalarText(t *testing.T) {
	tests := []struct {
		v    any
		want string
		ok   bool
	}{
		{7, "7", true}, {-3, "-3", true}, {uint8(200), "200", true}, {int16(-30000), "-30000", true},
		{uint64(math.MaxUint64), "18446744073709551615", true}, {int64(math.MinInt64), "-9223372036854775808", true},
		{true, "true", true}, {false, "false", true}, {"Abc", "Abc", true}, {2.5, "2.5", true}, {float32(0.5), "0.5", true},
		{nil, "", false}, {[]any{1}, "", false}, {map[string]int{"a": 1}, "", false},
		{[]byte("x"), "x", true}, // bin reads as the string Fluent Bit's JSON writer makes of it
	}
	for _, tc := range tests {
		got, ok := ScalarText(encode(t, tc.v), 0, nil)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%#v: got %q, %v; want %q, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWritersRoundTrip(t *testing.T) {
	var b []byte
	b = AppendMapHeader(b, 3)
	b = AppendStr(b, "n")
	b = AppendInt(b, -70000)
	b = AppendStr(b, "list")
	b = AppendArrayHeader(b, 17)
	for i := 0; i < 17; i++ {
		b = AppendUint(b, uint64(i)*1000)
	}
	b = AppendStr(b, string(make([]byte, 300)))
	b = AppendFloat(b, 1.25)
	var got map[string]any
	if err := codec.NewDecoderBytes(b, new(codec.MsgpackHandle)).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got["n"] != int64(-70000) || len(got["list"].([]any)) != 17 || got[string(make([]byte, 300))] != 1.25 {
		t.Errorf("round trip: got %v", got)
	}
}

// TestPredicates holds the type-byte predicates against an independent
// encoder's output, and against the readers over every type byte.
func TestPredicates(t *testing.T) {
	for _, tc := range []struct {
		is    func(byte) bool
		name  string
		holds []string // the values of values() the predicate holds for
	}{
		{IsFixInt, "IsFixInt", []string{"fixint"}},
		{IsNegFixInt, "IsNegFixInt", []string{"negfixint"}},
		{IsInt, "IsInt", []string{"int8", "int16", "int32", "int64"}},
		{IsUint, "IsUint", []string{"uint8", "uint16", "uint32", "uint64"}},
		{IsFloat, "IsFloat", []string{"float32", "float64"}},
		{IsFixStr, "IsFixStr", []string{"fixstr"}},
		{IsStr, "IsStr", []string{"fixstr", "str8", "str16", "str32"}},
		{IsBin, "IsBin", []string{"bin", "bin16", "bin32"}},
		{IsFixMap, "IsFixMap", []string{"fixmap", "nested"}},
		{IsMap, "IsMap", []string{"fixmap", "map16", "map32", "nested"}},
		{IsFixArray, "IsFixArray", []string{"fixarray"}},
		{IsContainer, "IsContainer", []string{"fixmap", "map16", "map32", "nested", "fixarray", "array16", "array32"}},
	} {
		for name, v := range values() {
			c := encode(t, v)[0]
			if got, want := tc.is(c), slices.Contains(tc.holds, name); got != want {
				t.Errorf("%s (0x%02x): %s = %v, want %v", name, c, tc.name, got, want)
			}
		}
	}
	for i := 0; i < 256; i++ {
		b := append([]byte{byte(i)}, make([]byte, 40)...) // room for any fixstr
		_, _, mapErr := ReadMapHeader(b, 0)
		_, _, arrErr := ReadArrayHeader(b, 0)
		_, _, isStr, _ := ReadStr(b, 0) // str or bin
		if c := byte(i); IsMap(c) != (mapErr == nil) || IsContainer(c) != (mapErr == nil || arrErr == nil) || (IsStr(c) || IsBin(c)) != isStr {
			t.Errorf("0x%02x: IsMap %v, IsContainer %v, IsStr %v; readers: map %v, array %v, str %v",
				c, IsMap(c), IsContainer(c), IsStr(c), mapErr, arrErr, isStr)
		}
	}
}

func TestReadFixStr(t *testing.T) {
	for _, tc := range []struct {
		b      []byte
		ok     bool
		s      string
		next   int
		reason string
	}{
		{[]byte{FixStr | 2, 'h', 'i', 0}, true, "hi", 3, "fixstr"},
		{[]byte{FixStr}, true, "", 1, "empty fixstr"},
		{[]byte{FixStr | 3, 'h', 'i'}, false, "", 0, "truncated"},
		{[]byte{Str8, 2, 'h', 'i'}, false, "", 0, "str8"},
		{[]byte{FixMap}, false, "", 0, "not a string"},
		{nil, false, "", 0, "empty input"},
	} {
		s, next, ok := ReadFixStr(tc.b, 0)
		if ok != tc.ok || string(s) != tc.s || next != tc.next {
			t.Errorf("%s: got %q, %d, %v; want %q, %d, %v", tc.reason, s, next, ok, tc.s, tc.next, tc.ok)
		}
		if rs, rnext, rok, err := ReadStr(tc.b, 0); ok && (string(rs) != string(s) || rnext != next || !rok || err != nil) {
			t.Errorf("%s: ReadStr disagrees: %q, %d, %v, %v", tc.reason, rs, rnext, rok, err)
		}
	}
}

// TestReadExt reads an extension in each encoding, and refuses what is
// not one or is cut short.
func TestReadExt(t *testing.T) {
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	for name, c := range map[string]struct {
		b    []byte
		ok   bool
		data []byte
	}{
		"fixext 8":        {append([]byte{FixExt8, 0}, data...), true, data},
		"fixext 1":        {[]byte{FixExt1, 0, 9}, true, []byte{9}},
		"ext 8":           {append([]byte{Ext8, 8, 0}, data...), true, data},
		"ext 16":          {append([]byte{Ext16, 0, 8, 0}, data...), true, data},
		"ext 32":          {append([]byte{Ext32, 0, 0, 0, 8, 0}, data...), true, data},
		"ext 8, cut":      {append([]byte{Ext8, 9, 0}, data...), false, nil},
		"ext 32, huge":    {append([]byte{Ext32, 0xff, 0xff, 0xff, 0xff, 0}, data...), false, nil},
		"ext 16, no size": {[]byte{Ext16, 0}, false, nil},
		"fixext 8, cut":   {[]byte{FixExt8, 0, 1}, false, nil},
		"a string":        {[]byte{0xa1, 'x'}, false, nil},
		"nothing":         {nil, false, nil},
	} {
		typ, got, ok := ReadExt(c.b, 0)
		if ok != c.ok || !bytes.Equal(got, c.data) || (ok && typ != 0) {
			t.Errorf("%s: type %d, data %v, ok %v; want %v, %v", name, typ, got, ok, c.data, c.ok)
		}
	}
}
