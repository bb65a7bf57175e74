module github.com/fluent-bit-sigma/fluent-bit-sigma

go 1.26

require (
	github.com/bradleyjkemp/sigma-go v0.6.6
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/alecthomas/participle v0.7.1 // indirect
