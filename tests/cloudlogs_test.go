package tests

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCloudLogs runs records of the JSON logs beyond Windows
// (testdata/cloudlogs/*.jsonl, written from each provider's documented
// record format: CloudTrail's record contents (also in EventBridge's
// envelope), the Kubernetes audit.k8s.io
// Event, GCP's AuditLog, Okta's System Log LogEvent, Azure's SigninLogs
// table) through the plugin in the host, with every SigmaHQ rule of those
// products loaded, and requires exactly the SigmaHQ rules listed per
// record: nested fields, arrays of maps and the logsource each log is
// recognised as, at work on real rules, and near misses matching nothing.
func TestCloudLogs(t *testing.T) {
	dir := filepath.Join(sigmaHQ(t), "rules")
	rulePaths := strings.Join([]string{filepath.Join(dir, "cloud"), filepath.Join(dir, "application", "kubernetes"),
		filepath.Join(dir, "identity")}, ",")
	for _, tc := range []struct {
		file string
		want [][]string // per record, the ids of the rules it matches
	}{
		{"cloudtrail.jsonl", [][]string{
			// root console login without MFA: userIdentity.type, additionalEventData.MFAUsed
			{"77caf516-34e5-4df9-b4db-20744fea0a60", "8ad1600d-e9dc-4251-b0ee-a65268f29add"},
			{"4db60cc0-36fb-42b7-9b58-a5b53019fb74"}, // StopLogging
			nil,                                      // DescribeTrails: a near miss
			nil,                                      // root, but an AwsServiceEvent
			{"0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2"}, // CreateAccessKey for another user
		}},
		// The same records as Amazon EventBridge delivers them in real
		// time ({"detail-type": "AWS API Call via CloudTrail", "detail":
		// {...}}): the same verdicts.
		{"cloudtrail-eventbridge.jsonl", [][]string{
			{"77caf516-34e5-4df9-b4db-20744fea0a60", "8ad1600d-e9dc-4251-b0ee-a65268f29add"},
			{"4db60cc0-36fb-42b7-9b58-a5b53019fb74"},
			nil,
			nil,
			{"0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2"},
		}},
		{"kubernetes-audit.jsonl", [][]string{
			{"a1b0ca4e-7835-413e-8471-3ff2b8a66be6"}, // exec into a pod: objectRef.resource, objectRef.subresource
			nil,                                      // reading a pod's log
		}},
		{"gcp-audit.jsonl", [][]string{
			// Workspace login audit: protoPayload.metadata.event is an array of maps
			{"eafe6f2b-cfec-4612-aec2-49563c33a087"},
			nil, // a plain login
			// access policy deleted, as a Pub/Sub export (data.): authorizationInfo is an array of maps
			{"32438676-1dba-4ac7-bf69-b86cba995e05"},
			nil, // an access policy read
		}},
		{"okta.jsonl", [][]string{
			{"b6c718dd-8f53-4b9f-98d8-93fdca966969"}, // user created
			// sign-on to the Admin Console from a new device: target is an array of maps
			{"a0b38b70-3cb5-484b-a4eb-c4d8e7bcc0a9"},
			nil, // the same to another app
		}},
		{"azure-signin.jsonl", [][]string{
			// account locked, from a non-compliant device: ResultType, DeviceDetail.isCompliant
			{"2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a", "4f77e1d7-3982-4ee0-8489-abf2d6b75284"},
			nil, // a successful sign-in from a compliant device
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			chunk, _, n := readEvents(t, filepath.Join("testdata", "cloudlogs", tc.file))
			if n != len(tc.want) {
				t.Fatalf("%d records, %d expectations", n, len(tc.want))
			}
			requireMatches(t, runHost(t, "v5.0.3", chunk, "-p", "rules="+rulePaths), tc.want)
		})
	}
}

// TestLogsourcePropertyThroughHost: with logsource declaring the records
// CloudTrail, the Okta rules do not run on Okta records (which match two
// of them in TestCloudLogs): the property decides, not the keys.
func TestLogsourcePropertyThroughHost(t *testing.T) {
	dir := filepath.Join(sigmaHQ(t), "rules")
	rulePaths := filepath.Join(dir, "cloud") + "," + filepath.Join(dir, "identity")
	okta, _, _ := readEvents(t, filepath.Join("testdata", "cloudlogs", "okta.jsonl"))
	r := runHost(t, "v5.0.3", okta, "-p", "rules="+rulePaths, "-p", "logsource=product=aws service=cloudtrail")
	if r.exit != 0 {
		t.Fatalf("host exit %d: %s", r.exit, r.stdout)
	}
	for i, ids := range decode(t, r.out, "sigma") {
		if len(ids) > 0 {
			t.Errorf("okta record %d matched %v as CloudTrail", i+1, ids)
		}
	}
}

// TestCloudLogBatches: the Azure sign-ins of TestCloudLogs as Azure's
// diagnostic export sends them through Event Hubs: in the export's fields
// (resultType, properties.deviceDetail; the Log Analytics rows' columns
// are ResultType, DeviceDetail) and in one record ({"records": [...]}),
// split by batch_key inside the host: a record per sign-in, with the same
// verdicts; without batch_key the batch is one record that no sign-in
// rule matches.
func TestCloudLogBatches(t *testing.T) {
	rulePaths := filepath.Join(sigmaHQ(t), "rules", "cloud")
	batch, _, n := readEvents(t, filepath.Join("testdata", "cloudlogs", "azure-eventhub.json"))
	if n != 1 {
		t.Fatalf("%d records in the batch file, want 1", n)
	}
	want := [][]string{{"2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a", "4f77e1d7-3982-4ee0-8489-abf2d6b75284"}, nil}
	requireMatches(t, runHost(t, "v5.0.3", batch, "-p", "rules="+rulePaths, "-p", "batch_key=records"), want)
	r := runHost(t, "v5.0.3", batch, "-p", "rules="+rulePaths)
	if got := decode(t, r.out, "sigma"); r.exit != 0 || len(got) != 1 || len(got[0]) > 0 {
		t.Errorf("without batch_key: exit %d, %v; want the batch as one record, unmatched", r.exit, got)
	}
}
