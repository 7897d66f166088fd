package evaluate

import (
	"context"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/policies"
)

// TestNondeterministicBuiltinsDenied: every built-in OPA marks
// nondeterministic is refused at compile time (a custom policy calling
// io.jwt.decode_verify would verify now and fail later), and nothing else.
func TestNondeterministicBuiltinsDenied(t *testing.T) {
	kept := map[string]bool{}
	for _, b := range Capabilities().Builtins {
		kept[b.Name] = true
	}
	nd := 0
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if b.Nondeterministic {
			nd++
		}
		if kept[b.Name] == b.Nondeterministic {
			t.Errorf("%s: nondeterministic %v, allowed %v", b.Name, b.Nondeterministic, kept[b.Name])
		}
	}
	for _, name := range []string{"http.send", "time.now_ns", "io.jwt.decode_verify", "rand.intn", "opa.runtime"} {
		if kept[name] {
			t.Errorf("%s allowed", name)
		}
	}
	if nd < 6 {
		t.Fatalf("only %d nondeterministic built-ins in OPA's metadata", nd)
	}
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	src := `# METADATA
# title: T
# description: D
# custom:
#   id: JWT-01
#   severity: low
#   controls: [AC-3]
#   inputs: [Pod]
#   remediation: r
package meshaudit.custom.rules.jwt_01

deny contains {"msg": "x", "resource": {"kind": "Pod", "name": "p"}} if {
	[ok, _, _] := io.jwt.decode_verify(input.token, {"secret": "s"})
	ok
}
`
	mods = append(mods, policies.Module{Path: "team/jwt_01.rego", Source: src})
	cat, err := catalog.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), cat, mods, policies.Defaults(), "test")
	if err == nil || !strings.Contains(err.Error(), "undefined function io.jwt.decode_verify") {
		t.Fatalf("io.jwt.decode_verify compiled: %v", err)
	}
}
