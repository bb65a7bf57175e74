package rules

import (
	"bytes"
	"fmt"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// FieldLogsource is the canonical name of what a record says it is, beyond
// Windows: the text of a logsource list, items separated by commas, each
// one or more space-separated key=value pairs of product, category and
// service ("product=aws service=cloudtrail, product=kubernetes
// service=audit"). An Event gives it from configuration (the logsource
// property) or from keys that identify a well-known JSON log. It is not a
// record key: no record names it.
const FieldLogsource = "sigma.logsource"

// logsourceKind is a rule's logsource, for the guard on FieldLogsource.
type logsourceKind struct {
	product, category, service string // folded; "" when the rule has none
	// ownLog: the rule names, without a product, the category or service
	// of logs of their own (see ownLogKinds); a record of an event log
	// product must then name that category or service too.
	ownLog bool
	// keyed: the rule's product is one whose records the filter knows by
	// their keys (keyedProducts): a record must say it is of that product.
	keyed bool
}

// keyedProducts are the products whose every record the filter
// recognises by its own keys (CloudTrail's eventSource, eventName and
// awsRegion, Zeek's _path and ts, ...), in every layout SigmaHQ's rules
// for them read, or which a logsource property declares. A record that
// says nothing of what it is is none of them: were it one, its keys would
// have said so. Their rules then do not run on it, where they would judge
// an application's or a syslog record by fields it lacks: SigmaHQ's Zeek
// rule "Publicly Accessible RDP Service" (condition: not selection) fired
// on every such record. Products the filter cannot tell in every layout
// keep running on fields alone: GCP's rules read Elastic's layout
// (gcp.audit.method_name) and the Reports API's (eventService) too,
// Azure's read risk-detection and PIM tables the filter does not know,
// and linux's auditd, macos, cisco and application logs have no keys of
// their own.
var keyedProducts = map[string]bool{
	"aws": true, "kubernetes": true, "okta": true, "github": true, "zeek": true,
}

// ownLogKinds are the categories and services SigmaHQ's rules name without
// a product for logs of their own: web servers, proxies, DNS resolvers,
// firewalls and databases write them. The event logs and audit trails of
// the products in eventLogProducts are none of them unless their record
// says so (an IIS log read from its Windows channel says category
// webserver): "Suspicious SQL Query" (category database, keywords drop,
// select *) is not for a Dropbox process creation or an Athena query. A
// category a product's logs do carry (antivirus: Windows Defender's
// events) is not listed.
var ownLogKinds = map[string]bool{
	"category=webserver": true, "category=proxy": true, "category=dns": true, "category=firewall": true,
	"category=database": true, "service=apache": true, "service=nginx": true,
}

// eventLogProducts are the products whose records the filter recognises
// itself (Windows event logs, Sysmon for Linux, the cloud audit logs):
// event logs and audit trails, not a web server's, proxy's, resolver's,
// firewall's or database's log. Other products (zeek, nginx, a product a
// user declares) may be such logs.
var eventLogProducts = map[string]bool{
	"windows": true, "linux": true, "aws": true, "gcp": true, "azure": true, "kubernetes": true, "okta": true,
	"github": true,
}

// kindGuard returns the guard that keeps a rule with logsource ls off
// records that say they are of another logsource, or false for a rule
// without one (it runs on every record).
func kindGuard(ls sigma.Logsource, slot func(string) int) (guard, bool) {
	k := logsourceKindOf(ls)
	if k == (logsourceKind{}) {
		return guard{}, false
	}
	return guard{slot: slot(FieldLogsource), kind: &k}, true
}

// logsourceKindOf is ls folded, with ownLog set when it names no product
// but the category or service of logs of their own (ownLogKinds), and
// keyed when its product is one of keyedProducts.
func logsourceKindOf(ls sigma.Logsource) logsourceKind {
	k := logsourceKind{product: foldString(strings.TrimSpace(ls.Product)), category: foldString(strings.TrimSpace(ls.Category)),
		service: foldString(strings.TrimSpace(ls.Service))}
	k.ownLog = k.product == "" && (ownLogKinds["category="+k.category] || ownLogKinds["service="+k.service])
	k.keyed = keyedProducts[k.product]
	return k
}

// passAbsent reports whether a rule of logsource k runs on a record that
// says nothing of what it is: unless its product is one the filter would
// have recognised (keyed).
func (k *logsourceKind) passAbsent() bool { return !k.keyed }

// passKind reports whether some item of the folded logsource list v is
// compatible with k: every key both name has the same value.
func (k *logsourceKind) passKind(v []byte) bool {
	for len(v) > 0 {
		item := v
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if k.compatible(item) {
			return true
		}
	}
	return false
}

func (k *logsourceKind) compatible(item []byte) bool {
	// What the item names of the keys an ownLog rule needs named.
	var category, service bool
	var product []byte
	for len(item) > 0 {
		// The pairs one by one, without a slice of them: this runs when
		// consecutive records are of different kinds, on the hot path.
		item = bytes.TrimLeft(item, " ")
		pair := item
		if i := bytes.IndexByte(item, ' '); i >= 0 {
			pair, item = item[:i], item[i+1:]
		} else {
			item = nil
		}
		key, value, ok := bytes.Cut(pair, []byte{'='})
		if !ok {
			continue
		}
		var want string
		switch string(key) {
		case "product":
			want, product = k.product, value
		case "category":
			want, category = k.category, true
		case "service":
			want, service = k.service, true
		}
		if want != "" && want != string(value) {
			return false
		}
	}
	if k.keyed && product == nil {
		return false // the item must name the product (see keyedProducts)
	}
	return !k.ownLog || !eventLogProducts[string(product)] || (k.category == "" || category) && (k.service == "" || service)
}

// ParseLogsourceList checks a logsource list (see FieldLogsource) and
// returns it normalised: lower case, one space between pairs, commas
// between items, no other space.
func ParseLogsourceList(s string) (string, error) {
	var items []string
	for _, item := range strings.Split(s, ",") {
		pairs := strings.Fields(strings.ToLower(item))
		if len(pairs) == 0 {
			return "", fmt.Errorf("rules: logsource %q: an empty item", s)
		}
		seen := map[string]bool{}
		for _, p := range pairs {
			key, value, ok := strings.Cut(p, "=")
			if !ok || value == "" || strings.ContainsAny(value, "=,") {
				return "", fmt.Errorf("rules: logsource %q: %q is not key=value", s, p)
			}
			if key != "product" && key != "category" && key != "service" {
				return "", fmt.Errorf("rules: logsource %q: unknown key %q (product, category or service)", s, key)
			}
			if seen[key] {
				return "", fmt.Errorf("rules: logsource %q: %s given twice in one item", s, key)
			}
			seen[key] = true
		}
		items = append(items, strings.Join(pairs, " "))
	}
	return strings.Join(items, ","), nil
}
