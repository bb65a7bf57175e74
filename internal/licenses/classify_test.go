package main

import (
	"errors"
	"testing"
)

func TestClassify(t *testing.T) {
	mit := "Copyright (c) 2020 A\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"
	apache := "                                 Apache License\n                           Version 2.0, January 2004"
	bsd3 := "Redistribution and use in source and binary forms, with or without\n... Neither the name of Google Inc. nor"
	bsd2 := "Redistribution and use in source and binary forms, with or without modification, are permitted"
	for text, want := range map[string]string{
		mit: "MIT", apache: "Apache-2.0", bsd3: "BSD-3-Clause", bsd2: "BSD-2-Clause",
		"This project is covered by two different licenses: MIT and Apache.\n" + mit + "\n" + apache: "Apache-2.0 AND MIT",
	} {
		got, err := Classify(text)
		if err != nil || got != want {
			t.Errorf("Classify(%.40q) = %q, %v; want %q", text, got, err, want)
		}
	}
	for _, text := range []string{
		"                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007",
		"GNU Lesser General Public License, version 2.1",
		mit + "\n\nParts are under the GNU AFFERO GENERAL PUBLIC LICENSE",
	} {
		if _, err := Classify(text); !errors.Is(err, ErrCopyleft) {
			t.Errorf("Classify(%.40q): %v, want ErrCopyleft", text, err)
		}
	}
	if got, err := Classify("All rights reserved."); err == nil {
		t.Errorf("an unknown license was taken for %q", got)
	}
}
