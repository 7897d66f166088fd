package policies

import (
	"strings"
	"testing"
)

func TestCheckCustomRefusesOurPackages(t *testing.T) {
	for pkg, refused := range map[string]bool{
		"meshaudit":                      true,
		"meshaudit.lib":                  true,
		"meshaudit.rules.mtls_01":        true,
		"meshaudit.rules.team_01":        true,
		"meshaudit.params":               true,
		`meshaudit["lib"]`:               true,
		"meshaudit.customs":              true,
		"meshaudit.custom":               false,
		"meshaudit.custom.rules.team_01": false,
		"meshaudit.custom.lib":           false,
		"team.helpers":                   false,
		"meshaudit_lib":                  false,
	} {
		src := "# a comment\npackage " + pkg + "\n\nx := 1\n"
		err := CheckCustom([]Module{{Path: "p/x.rego", Source: src}})
		if refused != (err != nil) {
			t.Errorf("package %s: refused %v, want %v (%v)", pkg, err != nil, refused, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "p/x.rego:2: package ") {
			t.Errorf("package %s: error does not name file and line: %v", pkg, err)
		}
	}
	// A test module may import our packages (it is never evaluated).
	if err := CheckCustom([]Module{{Path: "p/x_test.rego", Source: "package meshaudit.rules.x_test\n"}}); err != nil {
		t.Errorf("test module: %v", err)
	}
	ex, err := LoadDir("../examples/policies/team")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCustom(ex); err != nil {
		t.Errorf("the documented example is refused: %v", err)
	}
}

func TestCustomAndDigest(t *testing.T) {
	emb, err := Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	own := Module{Path: "team/t.rego", Source: "package meshaudit.custom.t\n"}
	edited := Module{Path: emb[0].Path, Source: emb[0].Source + "\n"}
	got, err := Custom(append(append([]Module{}, emb...), own, edited))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Path != own.Path || got[1].Source != edited.Source {
		t.Fatalf("custom: %+v", got)
	}
	if d := own.Digest(); d != "sha256:f4abfbb901b779a42672b8eb171f073b433e9031f8834703353c0b9a338bf90b" {
		t.Fatalf("digest %s", d)
	}
}
