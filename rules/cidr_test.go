package rules

import (
	"net/netip"
	"testing"
)

// TestCIDRTest checks the cidr test on the shapes Sysmon and Security
// events carry, and that deciding one costs no allocation, addresses and
// non-addresses alike.
func TestCIDRTest(t *testing.T) {
	ct := &cidrTest{prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fe80::/10")}}
	cases := []struct {
		v    string
		want bool
	}{
		{"10.1.2.3", true}, {" 10.1.2.3\t", true}, {"::ffff:10.0.0.1", true}, {"fe80::1%eth0", false}, // Prefix.Contains: a zoned address is in no prefix

		{"FE80::1", true}, {"11.0.0.1", false}, {"10.1.2", false}, {"010.1.2.3", false},
		{"-", false}, {"", false}, {"host.example", false}, {"abc", false}, {"%", false},
		{"fe80::1%", false}, {"10.1.2.3%x", false}, {"::1", false},
	}
	var m matcher
	for _, c := range cases {
		if got := ct.test([]byte(c.v), &m); got != c.want {
			t.Errorf("cidr test on %q = %v, want %v", c.v, got, c.want)
		}
		want := false
		if a, err := netip.ParseAddr(c.v); err == nil {
			want = ct.prefixes[0].Contains(a.Unmap()) || ct.prefixes[1].Contains(a.Unmap())
		}
		if trimmed := c.v != "" && (c.v[0] == ' ' || c.v[len(c.v)-1] == '\t'); !trimmed && want != c.want {
			t.Errorf("case %q disagrees with netip: %v", c.v, want)
		}
	}
	values := [][]byte{[]byte("10.1.2.3"), []byte("2001:db8::68"), []byte("-"), []byte("workstation-7"), []byte("fe80::1%eth0")}
	if n := testing.AllocsPerRun(100, func() {
		for _, v := range values {
			ct.test(v, &m)
		}
	}); n != 0 {
		t.Errorf("cidr test allocates %v times per round", n)
	}
}
