package filter

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

// maxFieldMapSize bounds the field_map file: a mapping is a few lines per
// field, and a larger file is a mistake (or an attack on the YAML parser).
const maxFieldMapSize = 1 << 20

// LoadFieldMap reads a field_map file: a YAML map from Sigma field names to
// one record path or a list of them. A path is dotted ("proc.image");
// a backslash escapes a dot that is part of a key ("host\.name" is the key
// host.name). EventID, Channel and Provider_Name map the logsource fields.
// Mapped paths are added to the built-in shapes' (the one a record holds
// first gives the value). Only a regular file is read (see safefile.Read).
func LoadFieldMap(path string) (map[string][][]string, error) {
	data, err := safefile.Read(path, maxFieldMapSize)
	if err != nil {
		return nil, fmt.Errorf("field_map: %w", err)
	}
	return parseFieldMap(path, data)
}

func parseFieldMap(name string, data []byte) (map[string][][]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("field_map %s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("field_map %s: empty file", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("field_map %s: line %d: want a map of field names to record paths", name, root.Line)
	}
	out := map[string][][]string{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, fmt.Errorf("field_map %s: line %d: a field name must be a string", name, k.Line)
		}
		var values []*yaml.Node
		switch v.Kind {
		case yaml.ScalarNode:
			values = []*yaml.Node{v}
		case yaml.SequenceNode:
			values = v.Content
		default:
			return nil, fmt.Errorf("field_map %s: line %d: %s: want a path or a list of paths", name, v.Line, k.Value)
		}
		for _, p := range values {
			if p.Kind != yaml.ScalarNode || strings.TrimSpace(p.Value) == "" {
				return nil, fmt.Errorf("field_map %s: line %d: %s: a path must be a non-empty string", name, p.Line, k.Value)
			}
			keys := splitPath(strings.TrimSpace(p.Value))
			for _, key := range keys {
				if key == "" {
					return nil, fmt.Errorf("field_map %s: line %d: %s: path %q has an empty key", name, p.Line, k.Value, p.Value)
				}
			}
			out[k.Value] = append(out[k.Value], keys)
		}
	}
	return out, nil
}
