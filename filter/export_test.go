package filter

import "os"

func defaultRuleYAML() ([]byte, error) {
	return os.ReadFile("../rules/default/image_load_dll_unsigned_node_load.yml")
}
