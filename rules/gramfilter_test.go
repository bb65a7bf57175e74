package rules

import (
	"bytes"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// mimikatz are the keywords of SigmaHQ's win_alert_mimikatz_keywords, the
// keyword scan every Windows event gets.
var mimikatz = []string{"dpapi::masterkey", "eo.oe.kiwi", "event::clear", "event::drop",
	"gentilkiwi.com", "kerberos::golden", "kerberos::ptc", "kerberos::ptt", "kerberos::tgt",
	"kiwi legit printer", "lsadump::", "mimidrv.sys", `\mimilib.dll`, "misc::printnightmare",
	"misc::shadowcopies", "misc::skeleton", "privilege::backup", "privilege::debug",
	"privilege::driver", "sekurlsa::"}

func gramLits(lits []string) []valueLit {
	var vl []valueLit
	for _, l := range lits {
		vl = append(vl, valueLit{lit: foldString(l)})
	}
	return vl
}

// checkGramFilter fails when a literal occurs, folded, in raw and the
// filter says none may.
func checkGramFilter(t *testing.T, f *gramFilter, lits []string, raw []byte) {
	t.Helper()
	folded := foldString(string(raw))
	for _, l := range lits {
		if strings.Contains(folded, foldString(l)) && !f.mayHold(raw) {
			t.Fatalf("%q holds %q, but the filter rules it out", raw, l)
		}
	}
}

// TestGramFilterFinds: wherever a literal lies in the bytes, in any case,
// and whatever surrounds it, the filter passes.
func TestGramFilterFinds(t *testing.T) {
	f := newGramFilter(gramLits(mimikatz))
	if f == nil {
		t.Fatal("no filter for the Mimikatz keywords")
	}
	rng := rand.New(rand.NewSource(1))
	filler := []byte("\x8a\xa7EventID\x07\xa5Image\xd9\x2dC:\\Windows\\System32\\kernelbase.dll:0 ")
	for range 2000 {
		l := mimikatz[rng.Intn(len(mimikatz))]
		b := []byte(l)
		for i := range b {
			if rng.Intn(2) == 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		pre := filler[:rng.Intn(len(filler))]
		raw := append(append(append([]byte{}, pre...), b...), filler[:rng.Intn(len(filler))]...)
		checkGramFilter(t, f, mimikatz, raw)
	}
}

// TestGramFilterRulesOut: ordinary records pass rarely, the point of the
// filter, also with text near the runes that fold to ASCII letters (a
// dash, a trademark sign, Polish letters: the same first bytes); those
// runes always pass.
func TestGramFilterRulesOut(t *testing.T) {
	f := newGramFilter(gramLits(mimikatz))
	for _, raw := range []string{
		"\x8a\xa7EventID\x07\xabImageLoaded\xd9\x22C:\\Windows\\System32\\kernelbase.dll",
		"\xabCommandLine\xd9\x46\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" /recycle",
		"\xabDescription\xb9Zażółć gęślą jaźń \u2013 Outlook\u2122",
	} {
		if f.mayHold([]byte(raw)) {
			t.Errorf("%q passes", raw)
		}
	}
	for _, r := range []string{"\u0130", "\u0131", "\u017f", "\u212a"} {
		if raw := "\xabDescription\xa2x" + r; !f.mayHold([]byte(raw)) {
			t.Errorf("%q, which folds to an ASCII letter, does not pass", raw)
		}
	}
	// KELVIN SIGN folds to k: "\u212aerberos::ptt" is kerberos::ptt.
	raw := []byte("\xad\u212aerberos::ptt")
	checkGramFilter(t, f, mimikatz, raw)
	if !f.mayHold(raw) {
		t.Errorf("%q does not pass", raw)
	}
}

// TestFoldsToASCII: the gram filter knows every rune that folds to an
// ASCII letter.
func TestFoldsToASCII(t *testing.T) {
	var want [][]byte
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		if foldRune(r) < utf8.RuneSelf {
			want = append(want, utf8.AppendRune(nil, r))
		}
	}
	if !slices.EqualFunc(foldsToASCII, want, bytes.Equal) {
		t.Errorf("foldsToASCII %q, want %q", foldsToASCII, want)
	}
}

// TestGramFilterRefuses: literals too short, not ASCII, or that a
// number's text could hold get no filter.
func TestGramFilterRefuses(t *testing.T) {
	for _, lits := range [][]string{{"sekurlsa::", "ptt"}, {"sekurlsa::", "überwachung"}, {"sekurlsa::", "1234567890"}, nil} {
		if newGramFilter(gramLits(lits)) != nil {
			t.Errorf("%q: got a filter", lits)
		}
	}
}

func FuzzGramFilter(f *testing.F) {
	f.Add([]byte("C:\\Windows\\mimidrv.sys"), uint8(3))
	f.Add([]byte("\xd9\x10PRIVILEGE::DEBUG\xc4"), uint8(0))
	f.Add([]byte("\u017fekurlsa::"), uint8(19))
	gf := newGramFilter(gramLits(mimikatz))
	f.Fuzz(func(t *testing.T, raw []byte, pick uint8) {
		// Also with a literal put in, so that hits are not left to chance.
		l := mimikatz[int(pick)%len(mimikatz)]
		at := int(pick) % (len(raw) + 1)
		with := append(append(append([]byte{}, raw[:at]...), l...), raw[at:]...)
		checkGramFilter(t, gf, mimikatz, raw)
		checkGramFilter(t, gf, mimikatz, with)
	})
}

// BenchmarkGramFilter: the Mimikatz keywords' filter over a record of
// 1.5 KB that holds none of them, as every Windows event without them
// is checked.
func BenchmarkGramFilter(b *testing.B) {
	f := newGramFilter(gramLits(mimikatz))
	raw := bytes.Repeat([]byte("\x8a\xa7EventID\x07\xa5Image\xd9\x2dC:\\Windows\\System32\\kernelbase.dll:0 "), 28)[:1500]
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if f.mayHold(raw) {
			b.Fatal("the record holds no keyword")
		}
	}
}
