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
		// A zone names the interface: the address is in its prefixes.
		{"10.1.2.3", true}, {" 10.1.2.3\t", true}, {"::ffff:10.0.0.1", true}, {"fe80::1%eth0", true}, {"fe80::1c2d:3e4f%12", true},

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
			a = a.WithZone("").Unmap()
			want = ct.prefixes[0].Contains(a) || ct.prefixes[1].Contains(a)
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

// TestCIDRAndNumbersWithAll: with |all, an address must be in every
// prefix and a number must meet every limit (the generic modifier links
// the values with AND, whatever the comparison); an IPv4-mapped address is
// in IPv6 prefixes that hold it too.
func TestCIDRAndNumbersWithAll(t *testing.T) {
	for _, tc := range []struct {
		field, value string
		want         bool
	}{
		{"A|cidr|all: ['10.0.0.0/8', '10.1.0.0/16']", "10.1.0.1", true},
		{"A|cidr|all: ['10.0.0.0/8', '10.1.0.0/16']", "10.2.0.1", false},
		{"A|cidr: ['10.0.0.0/8', '10.1.0.0/16']", "10.2.0.1", true},
		{"A|cidr: '::ffff:0:0/96'", "::ffff:10.0.0.1", true},
		{"A|lt|all: [10, 20]", "15", false},
		{"A|lt|all: [10, 20]", "5", true},
		{"A|lt: [10, 20]", "15", true},
		{"A|gt|all: [10, 20]", "15", false},
		{"A|gt: 10", "inf", false},
		{"A|gt: 10", "0x1p4", false},
		{"A|lt: 10", "-Inf", false},
		{"A|gt: 10", "1e3", true},
		{"A|lt: 10", "-2.5", true},
		{"A|gt: 10", "1_000", false},
	} {
		set := compileOne(t, "title: t\nid: t\nlogsource: {product: p}\ndetection:\n  s: {"+tc.field+"}\n  condition: s\n")
		if got := matches(set, map[string]string{"A": tc.value}); got != tc.want {
			t.Errorf("%s on %q: matched %v, want %v", tc.field, tc.value, got, tc.want)
		}
	}
}
