package main

import (
	"errors"
	"fmt"
	"strings"
)

// ErrCopyleft is returned for a license the project cannot ship in its
// Apache-2.0 binaries.
var ErrCopyleft = errors.New("GPL-family license: not allowed in what fluent-bit-sigma ships")

// copyleft are the markers of the GPL family, checked before anything
// else: a text that mentions them is never taken for a permissive one.
var copyleft = []string{"GNU GENERAL PUBLIC LICENSE", "GNU LESSER GENERAL PUBLIC LICENSE", "GNU LIBRARY GENERAL PUBLIC LICENSE", "GNU AFFERO GENERAL PUBLIC LICENSE"}

// permissive maps a phrase every copy of a license carries to its SPDX id.
var permissive = []struct{ marker, spdx string }{
	{"Apache License", "Apache-2.0"},
	{"Permission is hereby granted, free of charge", "MIT"},
	{"Neither the name", "BSD-3-Clause"},
}

// Classify names the license of text, a module's license files
// concatenated, as an SPDX expression ("Apache-2.0 AND MIT" when a module
// is under several). It fails on the GPL family and on text it does not
// recognise, so that a new license is read by a person before it ships.
func Classify(text string) (string, error) {
	upper := strings.ToUpper(text)
	for _, m := range copyleft {
		if strings.Contains(upper, m) {
			return "", fmt.Errorf("%w (%s)", ErrCopyleft, strings.ToLower(m))
		}
	}
	var ids []string
	for _, p := range permissive {
		if strings.Contains(text, p.marker) {
			ids = append(ids, p.spdx)
		}
	}
	if len(ids) == 0 && strings.Contains(text, "Redistribution and use in source and binary forms") {
		ids = append(ids, "BSD-2-Clause")
	}
	if len(ids) == 0 {
		return "", errors.New("license not recognised: add it to internal/licenses/classify.go after reading it")
	}
	return strings.Join(ids, " AND "), nil
}
