package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/filter"
	"github.com/fluent-bit-sigma/fluent-bit-sigma/rules"
)

// The configurations in conf/ are documentation users copy: these tests
// parse each one (classic and YAML), check the classic and YAML forms say
// the same, that every sigma property is one the filter has with a value
// it accepts, that routing reads keys the filter writes, and that the
// container and Kubernetes files agree with each other. A real Fluent Bit
// checks them too when one is at hand (see the README).

// section is one [SECTION] of a classic file or one entry of a YAML one.
type section struct {
	kind  string            // service, input, filter, output
	props map[string]string // lower-case keys
}

func (s section) name() string { return strings.ToLower(s.props["name"]) }

func parseClassic(t *testing.T, path string) (sections []section, pluginsFile string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			sections = append(sections, section{kind: strings.ToLower(strings.Trim(line, "[]")), props: map[string]string{}})
		default:
			key, value, _ := strings.Cut(line, " ")
			if len(sections) == 0 {
				t.Fatalf("%s:%d: property outside a section", path, n)
			}
			key = strings.ToLower(key)
			if key == "plugins_file" {
				pluginsFile = strings.TrimSpace(value)
				continue
			}
			sections[len(sections)-1].props[key] = strings.TrimSpace(value)
		}
	}
	return sections, pluginsFile
}

func parseYAMLConfig(t *testing.T, name string, data []byte) (sections []section, plugins []string) {
	t.Helper()
	var doc struct {
		Service  map[string]yaml.Node `yaml:"service"`
		Plugins  []string             `yaml:"plugins"`
		Pipeline struct {
			Inputs  []map[string]yaml.Node `yaml:"inputs"`
			Filters []map[string]yaml.Node `yaml:"filters"`
			Outputs []map[string]yaml.Node `yaml:"outputs"`
		} `yaml:"pipeline"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	conv := func(kind string, m map[string]yaml.Node) section {
		s := section{kind: kind, props: map[string]string{}}
		for k, v := range m {
			if v.Kind != yaml.ScalarNode {
				t.Errorf("%s: %s.%s is not a scalar", name, kind, k)
			}
			s.props[strings.ToLower(k)] = v.Value
		}
		return s
	}
	service := conv("service", doc.Service)
	delete(service.props, "parsers_file") // classic files set it the same way; compared below
	sections = append(sections, service)
	for kind, list := range map[string][]map[string]yaml.Node{"input": doc.Pipeline.Inputs, "filter": doc.Pipeline.Filters, "output": doc.Pipeline.Outputs} {
		for _, m := range list {
			sections = append(sections, conv(kind, m))
		}
	}
	return sections, doc.Plugins
}

// canonical renders sections for comparison: booleans spelled one way.
func canonical(sections []section) string {
	var lines []string
	counts := map[string]int{}
	for _, s := range sections {
		key := s.kind + "/" + s.name()
		counts[key]++
		for k, v := range s.props {
			if k == "parsers_file" {
				continue
			}
			switch strings.ToLower(v) {
			case "on", "true", "yes":
				v = "on"
			case "off", "false", "no":
				v = "off"
			}
			lines = append(lines, fmt.Sprintf("%s#%d %s=%s", key, counts[key], k, v))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

var knownPlugins = map[string]map[string]bool{
	"input":  {"tail": true, "forward": true, "winevtlog": true, "dummy": true, "syslog": true, "kafka": true},
	"filter": {"sigma": true, "rewrite_tag": true, "grep": true, "nest": true, "record_modifier": true},
	"output": {"stdout": true, "forward": true, "opensearch": true, "es": true, "http": true, "file": true, "kafka": true},
}

var filterCommon = map[string]bool{"name": true, "match": true, "match_regex": true, "alias": true, "log_level": true}

// checkSections checks plugin names, sigma properties and the keys
// rewrite_tag, grep and the kafka output's message key route on.
func checkSections(t *testing.T, name string, sections []section) {
	t.Helper()
	props := map[string]bool{}
	for _, p := range filter.Properties {
		props[p.Name] = true
	}
	var written []string // top-level keys the sigma filter writes
	var messageKeys []string
	sigmaSeen := false
	for _, s := range sections {
		if s.kind == "service" {
			continue
		}
		if !knownPlugins[s.kind][s.name()] {
			t.Errorf("%s: %s %q is not a plugin this check knows", name, s.kind, s.name())
		}
		if key, ok := s.props["message_key_field"]; ok && s.kind == "output" {
			messageKeys = append(messageKeys, key) // checked once every filter is seen: YAML's kinds come in any order
		}
		if s.kind != "filter" {
			continue
		}
		switch s.name() {
		case "sigma":
			sigmaSeen = true
			for k := range s.props {
				if !props[k] && !filterCommon[k] {
					t.Errorf("%s: sigma has no property %q", name, k)
				}
			}
			cfg, err := filter.ParseConfig(func(k string) (string, bool) { v, ok := s.props[k]; return v, ok })
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			switch cfg.Format {
			case filter.FormatSigma:
				written = append(written, cfg.AddKey)
			case filter.FormatFlat:
				written = append(written, filter.FlatRuleIDs, filter.FlatTitles, filter.FlatLevel, filter.FlatTags)
			case filter.FormatECS:
				written = append(written, "event", "rule", "threat", "tags")
			}
			if cfg.TagKey != "" {
				written = append(written, cfg.TagKey)
			}
			if len(cfg.ShardKey) > 0 {
				written = append(written, cfg.ShardKeyName)
			}
		case "rewrite_tag", "grep":
			if !sigmaSeen {
				t.Errorf("%s: %s before the sigma filter", name, s.name())
			}
			for _, k := range []string{"rule", "regex"} {
				if v, ok := s.props[k]; ok {
					checkAccessor(t, name, v, written)
				}
			}
		}
	}
	for _, key := range messageKeys {
		if !slices.Contains(written, key) {
			t.Errorf("%s: kafka keys messages by %s, which the sigma filter does not write (it writes %v)", name, key, written)
		}
	}
}

var accessorKey = regexp.MustCompile(`^\$([A-Za-z0-9_.-]+)`)

// checkAccessor requires a record accessor ($sigma['level']) to start at a
// key the sigma filter writes, and rewrite_tag's rule to have its four
// fields.
func checkAccessor(t *testing.T, name, rule string, written []string) {
	fields := strings.Fields(rule)
	m := accessorKey.FindStringSubmatch(fields[0])
	if m == nil {
		t.Errorf("%s: %q does not start with a record accessor", name, rule)
		return
	}
	for _, w := range written {
		if w == m[1] {
			if len(fields) != 4 {
				t.Errorf("%s: rewrite_tag rule %q: want KEY REGEX NEW_TAG KEEP", name, rule)
			}
			if _, err := regexp.Compile(fields[1]); err != nil {
				t.Errorf("%s: %q: %v", name, fields[1], err)
			}
			return
		}
	}
	t.Errorf("%s: routes on $%s, which the sigma filter does not write (it writes %v)", name, m[1], written)
}

func TestExampleConfigs(t *testing.T) {
	roles := map[string]deployRole{"fluent-bit": sampleRole, "aggregator": aggregatorRole, "windows-forwarder": forwarderRole,
		"shard-router-kafka": aggregatorRole, "shard-aggregator-kafka": aggregatorRole, "shard-router-forward": aggregatorRole}
	for _, base := range []string{"fluent-bit", "aggregator", "windows-forwarder", "shard-router-kafka", "shard-aggregator-kafka", "shard-router-forward"} {
		t.Run(base, func(t *testing.T) {
			classicPath := filepath.Join("..", "conf", base+".conf")
			classic, pluginsFile := parseClassic(t, classicPath)
			checkSections(t, classicPath, classic)
			checkLossless(t, classicPath, classic, roles[base])
			yamlPath := filepath.Join("..", "conf", base+".yaml")
			data, err := os.ReadFile(yamlPath)
			if err != nil {
				t.Fatal(err)
			}
			yamlSections, plugins := parseYAMLConfig(t, yamlPath, data)
			checkSections(t, yamlPath, yamlSections)
			checkLossless(t, yamlPath, yamlSections, roles[base])
			if got, want := canonical(yamlSections), canonical(classic); got != want {
				t.Errorf("%s and %s differ:\nYAML:\n%s\nclassic:\n%s", yamlPath, classicPath, got, want)
			}
			usesSigma := strings.Contains(canonical(classic), "filter/sigma")
			if usesSigma {
				if pluginsFile == "" || len(plugins) != 1 || filepath.Base(plugins[0]) != "flb-filter_sigma.so" {
					t.Errorf("plugins: file %q, YAML %v", pluginsFile, plugins)
				}
				pf, err := os.ReadFile(filepath.Join("..", "conf", pluginsFile))
				if err != nil || !strings.Contains(string(pf), "flb-filter_sigma.so") {
					t.Errorf("%s: %v", pluginsFile, err)
				}
			}
		})
	}
}

// TestContainerAndKubernetes: the image's default configuration, the
// Dockerfile and the Kubernetes manifest agree.
func TestContainerAndKubernetes(t *testing.T) {
	dockerConf, err := os.ReadFile("../conf/docker/fluent-bit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sections, plugins := parseYAMLConfig(t, "conf/docker/fluent-bit.yaml", dockerConf)
	checkSections(t, "conf/docker/fluent-bit.yaml", sections)
	port := sections[0].props["http_port"]
	dockerfile, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(dockerfile)
	for _, want := range []string{"ARG FLUENT_BIT_VERSION=", "USER 65532", "HEALTHCHECK", "EXPOSE " + port, "/etc/sigma/rules",
		"COPY --from=build /src/build/flb-filter_sigma.so " + plugins[0], "/fluent-bit/etc/fluent-bit.yaml"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^COPY (conf/\S+(?: conf/\S+)*) `).FindAllStringSubmatch(df, -1) {
		for _, src := range strings.Fields(m[1]) {
			if _, err := os.Stat(filepath.Join("..", src)); err != nil {
				t.Errorf("Dockerfile copies %s: %v", src, err)
			}
		}
	}

	data, err := os.ReadFile("../conf/kubernetes/fluent-bit-sigma.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type k8s struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name        string
			Annotations map[string]string
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
		Spec struct {
			Replicas             *int   `yaml:"replicas"`
			ServiceName          string `yaml:"serviceName"`
			MaxUnavailable       *int   `yaml:"maxUnavailable"`
			VolumeClaimTemplates []struct {
				Metadata struct{ Name string }
			} `yaml:"volumeClaimTemplates"`
			Ports []struct {
				Name       string
				Port       int
				TargetPort string `yaml:"targetPort"`
			}
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					Containers                    []struct {
						Image string `yaml:"image"`
						Args  []string
						Ports []struct {
							Name          string
							ContainerPort int `yaml:"containerPort"`
						}
						VolumeMounts []struct {
							Name      string
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
						LivenessProbe struct {
							HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
						} `yaml:"livenessProbe"`
						Resources struct {
							Requests, Limits map[string]string
						}
					}
					Volumes []struct {
						Name      string
						ConfigMap struct{ Name string } `yaml:"configMap"`
					}
				}
			}
		}
	}
	docs := map[string]k8s{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d k8s
		if err := dec.Decode(&d); err != nil {
			break
		}
		docs[d.Kind+"/"+d.Metadata.Name] = d
	}
	cm, ok := docs["ConfigMap/fluent-bit-sigma-config"]
	if !ok {
		t.Fatalf("no configuration ConfigMap in %v", docs)
	}
	k8sSections, _ := parseYAMLConfig(t, "kubernetes ConfigMap", []byte(cm.Data["fluent-bit.yaml"]))
	checkSections(t, "kubernetes ConfigMap", k8sSections)
	agg, err := os.ReadFile("../conf/aggregator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	aggSections, _ := parseYAMLConfig(t, "aggregator.yaml", agg)
	if canonical(k8sSections) != canonical(aggSections) {
		t.Error("the Kubernetes ConfigMap's pipeline is not conf/aggregator.yaml's")
	}
	var rulesPath string
	for _, s := range k8sSections {
		if s.name() == "sigma" {
			rulesPath = s.props["rules"]
		}
	}
	checkLossless(t, "kubernetes ConfigMap", k8sSections, aggregatorRole)
	deploy := docs["StatefulSet/fluent-bit-sigma"]
	checkStatefulSet(t, deploy.Spec.Replicas, deploy.Spec.ServiceName, deploy.Spec.Template.Spec.TerminationGracePeriodSeconds,
		k8sSections[0].props["grace"], docs["Service/"+deploy.Spec.ServiceName].Kind)
	if len(deploy.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one container")
	}
	c := deploy.Spec.Template.Spec.Containers[0]
	if !strings.HasPrefix(c.Image, "fluent-bit-sigma:") {
		t.Errorf("image %q is not the one make docker builds", c.Image)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts["rules"] != rulesPath {
		t.Errorf("rules mounted at %q, the filter reads %q", mounts["rules"], rulesPath)
	}
	// The buffer is on the persistent volume of each pod.
	if len(deploy.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("want one volume claim template (the buffer), got %d", len(deploy.Spec.VolumeClaimTemplates))
	}
	claim := deploy.Spec.VolumeClaimTemplates[0].Metadata.Name
	if storage := k8sSections[0].props["storage.path"]; mounts[claim] == "" || !strings.HasPrefix(storage, mounts[claim]+"/") {
		t.Errorf("storage.path %q is not on the volume %s (mounted at %q)", storage, claim, mounts[claim])
	}
	checkMemory(t, c.Resources.Requests, c.Resources.Limits)
	if pdb, ok := docs["PodDisruptionBudget/fluent-bit-sigma"]; !ok || pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != 1 {
		t.Error("want a PodDisruptionBudget fluent-bit-sigma with maxUnavailable 1")
	}
	svc := docs["Service/fluent-bit-sigma"]
	servicePorts := map[string]int{}
	for _, p := range svc.Spec.Ports {
		servicePorts[p.TargetPort] = p.Port
	}
	if servicePorts["forward"] != 24224 || fmt.Sprint(servicePorts[c.LivenessProbe.HTTPGet.Port]) != port {
		t.Errorf("Service ports %v: want the forward port and the HTTP port %s", servicePorts, port)
	}
	if a := svc.Metadata.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != port ||
		a["prometheus.io/path"] != "/api/v2/metrics/prometheus" {
		t.Errorf("Service annotations %v: want Prometheus to scrape :%s/api/v2/metrics/prometheus", a, port)
	}
	if c.LivenessProbe.HTTPGet.Path != "/api/v1/health" {
		t.Errorf("liveness probe %q", c.LivenessProbe.HTTPGet.Path)
	}
	httpPort := 0
	for _, p := range c.Ports {
		if p.Name == c.LivenessProbe.HTTPGet.Port {
			httpPort = p.ContainerPort
		}
	}
	if fmt.Sprint(httpPort) != port {
		t.Errorf("probe port %d, Fluent Bit listens on %s", httpPort, port)
	}
	// The rules ConfigMap compiles.
	var srcs []rules.Source
	for name, text := range docs["ConfigMap/sigma-rules"].Data {
		srcs = append(srcs, rules.Source{Name: name, Data: []byte(text)})
	}
	if _, report, err := rules.Compile(srcs, rules.Options{}); err != nil || len(report.Skipped) > 0 {
		t.Errorf("rules ConfigMap: %v %v", err, report.Skipped)
	}
}

// TestREADMEProperties holds the README's property table to
// filter.Properties, the table the filter, the config map and sigma-check
// are built from: the same properties, each with its default as applied
// (or an italic note when there is none) and its sigma-check flag (or —
// when it means nothing offline).
func TestREADMEProperties(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n#")
	rows := map[string][]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 4 {
			t.Errorf("README row %q: want 4 cells (property, default, sigma-check, description)", line)
			continue
		}
		name := strings.Trim(cells[0], "`")
		rows[name] = cells
	}
	if len(rows) == 0 {
		t.Fatal("no property rows found in the README's Configuration section")
	}
	for _, p := range filter.Properties {
		cells, ok := rows[p.Name]
		if !ok {
			t.Errorf("README's property table lacks %s", p.Name)
			continue
		}
		delete(rows, p.Name)
		switch def := cells[1]; {
		case p.Default == "" && !strings.HasPrefix(def, "*("):
			t.Errorf("README: %s has no default, the table says %q", p.Name, def)
		case p.Default != "" && !strings.HasPrefix(def, "`"+p.Default+"`"):
			t.Errorf("README: %s defaults to %q, the table says %q", p.Name, p.Default, def)
		}
		wantFlag := "—"
		if p.Offline {
			wantFlag = "`-" + strings.ReplaceAll(p.Name, "_", "-") + "`"
		}
		if cells[2] != wantFlag {
			t.Errorf("README: %s's sigma-check flag is %s, the table says %q", p.Name, wantFlag, cells[2])
		}
		if p.AliasOf != "" && !strings.HasPrefix(cells[3], "Deprecated") {
			t.Errorf("README: %s is a deprecated alias of %s; its description should start with Deprecated", p.Name, p.AliasOf)
		}
	}
	for name := range rows {
		t.Errorf("README documents a property %s the filter does not have", name)
	}
}

// deployRole is what an example configuration is for.
type deployRole int

const (
	sampleRole     deployRole = iota // a demonstration over sample files
	forwarderRole                    // an endpoint sending to the aggregator
	aggregatorRole                   // the aggregator running the rules
)

// checkLossless holds the deployment examples to the settings that make
// them lose nothing (README, "Deployment examples"): a forward output asks
// for acknowledgements; the deployments buffer every input on the file
// system, bound each output's buffer and retry without limit; the
// aggregator also bounds the backlog's memory, serves health and metrics,
// reloads, and refreshes its rules.
func checkLossless(t *testing.T, name string, sections []section, role deployRole) {
	t.Helper()
	for _, s := range sections {
		if s.kind == "output" && s.name() == "forward" && !isOn(s.props["require_ack_response"]) {
			t.Errorf("%s: forward output without require_ack_response true: records in flight are lost when the receiver restarts", name)
		}
	}
	if role == sampleRole {
		return
	}
	service := sections[0].props
	if service["storage.path"] == "" {
		t.Errorf("%s: no storage.path: buffered records do not survive a restart", name)
	}
	for _, s := range sections[1:] {
		switch {
		case s.kind == "input" && s.props["storage.type"] != "filesystem":
			t.Errorf("%s: input %s is not buffered on the file system", name, s.name())
		case s.kind == "output" && !regexp.MustCompile(`^[0-9]+[KMG]$`).MatchString(s.props["storage.total_limit_size"]):
			t.Errorf("%s: output %s: storage.total_limit_size %q, want a bound such as 2G", name, s.name(), s.props["storage.total_limit_size"])
		case s.kind == "output" && s.props["retry_limit"] != "no_limits":
			t.Errorf("%s: output %s: retry_limit %q drops records after the last retry; want no_limits", name, s.name(), s.props["retry_limit"])
		case s.kind == "filter" && s.name() == "rewrite_tag" && s.props["emitter_storage.type"] != "filesystem":
			t.Errorf("%s: rewrite_tag's emitter is not buffered on the file system", name)
		case s.kind == "filter" && s.name() == "sigma" && (s.props["alias"] == "" || s.props["refresh_interval"] == "" && s.props["rules"] != ""):
			t.Errorf("%s: the sigma filter wants an alias (its metrics' name label) and, with rule files, a refresh_interval", name)
		}
	}
	if role != aggregatorRole {
		return
	}
	for _, k := range []string{"http_server", "health_check", "hot_reload", "storage.metrics"} {
		if !isOn(service[k]) {
			t.Errorf("%s: service %s is %q, want on", name, k, service[k])
		}
	}
	if !regexp.MustCompile(`^[0-9]+[KMG]$`).MatchString(service["storage.backlog.mem_limit"]) {
		t.Errorf("%s: storage.backlog.mem_limit %q, want a bound", name, service["storage.backlog.mem_limit"])
	}
}

func isOn(v string) bool {
	switch strings.ToLower(v) {
	case "on", "true", "yes":
		return true
	}
	return false
}

// checkStatefulSet: one replica by default, a governing Service, and time
// to flush on SIGTERM beyond Fluent Bit's own grace period.
func checkStatefulSet(t *testing.T, replicas *int, serviceName string, terminationGrace int, grace, governingKind string) {
	t.Helper()
	if replicas == nil || *replicas != 1 {
		t.Errorf("want one replica by default, got %v", replicas)
	}
	if governingKind != "Service" {
		t.Errorf("the StatefulSet's serviceName %q names no Service in the manifest", serviceName)
	}
	var g int
	if _, err := fmt.Sscan(grace, &g); err != nil || terminationGrace <= g {
		t.Errorf("terminationGracePeriodSeconds %d, want more than the service's grace %q", terminationGrace, grace)
	}
}

// measuredResidentMiB is the resident memory of Fluent Bit 5.1.1 with the
// whole SigmaHQ rule set loaded (README, Deployment examples).
const measuredResidentMiB = 103

// checkMemory: the request covers the measured footprint, and the limit
// leaves room for a second rule set during a refresh or reload.
func checkMemory(t *testing.T, requests, limits map[string]string) {
	t.Helper()
	mib := func(v string) int {
		var n int
		if _, err := fmt.Sscanf(v, "%dMi", &n); err == nil {
			return n
		}
		if _, err := fmt.Sscanf(v, "%dGi", &n); err == nil {
			return n * 1024
		}
		t.Errorf("memory %q: want Mi or Gi", v)
		return 0
	}
	req, lim := mib(requests["memory"]), mib(limits["memory"])
	if req < measuredResidentMiB || lim < 2*measuredResidentMiB || lim < req {
		t.Errorf("memory request %s limit %s: want a request of at least %d Mi and a limit of at least twice that",
			requests["memory"], limits["memory"], measuredResidentMiB)
	}
}

// TestMetricsExamples: the Grafana dashboard and the Prometheus alerts in
// conf/ parse and use only metrics the plugin registers
// (plugin/metrics.go), and the README's Observability section documents
// each of those.
func TestMetricsExamples(t *testing.T) {
	src, err := os.ReadFile("../plugin/metrics.go")
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(sigma_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		registered["fluentbit_filter_"+m[1]] = true
	}
	if len(registered) < 9 {
		t.Fatalf("found %d metric names in plugin/metrics.go, want the 9 it registers", len(registered))
	}
	used := regexp.MustCompile(`fluentbit_filter_sigma_[a-z_]+`)
	check := func(name, text string) {
		names := used.FindAllString(text, -1)
		if len(names) == 0 {
			t.Errorf("%s uses no sigma metric", name)
		}
		for _, n := range names {
			if !registered[n] {
				t.Errorf("%s uses %s, which the plugin does not register", name, n)
			}
		}
	}

	dashboard, err := os.ReadFile("../conf/grafana/sigma-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(dashboard, &model); err != nil || len(model.Panels) == 0 {
		t.Fatalf("dashboard: %v, %d panels", err, len(model.Panels))
	}
	var exprs []string
	for _, p := range model.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	check("the dashboard", strings.Join(exprs, "\n"))
	for _, want := range []string{"rule_matches_total", "by (level)", "records_total", "dropped_records_total", "fluentbit_hot_reloaded_times"} {
		if !strings.Contains(strings.Join(exprs, "\n"), want) {
			t.Errorf("the dashboard has no panel on %s", want)
		}
	}

	alerts, err := os.ReadFile("../conf/prometheus/sigma-alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rulesFile struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
				Labels      map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(alerts, &rulesFile); err != nil || len(rulesFile.Groups) == 0 {
		t.Fatalf("alerts: %v", err)
	}
	var alertExprs []string
	for _, r := range rulesFile.Groups[0].Rules {
		if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" {
			t.Errorf("alert %q: want a name, an expression and a severity", r.Alert)
		}
		alertExprs = append(alertExprs, r.Expr)
	}
	all := strings.Join(alertExprs, "\n")
	check("the alerts", all)
	for _, want := range []string{`level="critical"`, "recovered_panics_total", "rules_fallback_active"} {
		if !strings.Contains(all, want) {
			t.Errorf("no alert on %s", want)
		}
	}

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, observability, _ := strings.Cut(string(readme), "\n## Observability\n")
	observability, _, _ = strings.Cut(observability, "\n## ")
	for n := range registered {
		if !strings.Contains(observability, "`"+n+"{") && !strings.Contains(observability, "`"+n+"`") {
			t.Errorf("README's Observability section does not document %s", n)
		}
	}
}
