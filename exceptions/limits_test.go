package exceptions

import (
	"strings"
	"testing"
	"time"
)

func TestCheckRefusesBlanketAndLongExceptions(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	ok := Exception{ID: "ok", Rules: []string{"MESH-04"}, Selector: Selector{Namespaces: []string{"shop"}}, Created: "2026-10-01", Expires: "2027-03-31"}
	cases := []struct {
		name string
		edit func(*Exception)
		want string // "" accepted
	}{
		{"specific", func(*Exception) {}, ""},
		{"rule glob of a family", func(e *Exception) { e.Rules = []string{"MESH-0*"} }, ""},
		{"labels narrow", func(e *Exception) { e.Selector = Selector{Labels: map[string]string{"app": "*"}} }, ""},
		{"wildcard rule", func(e *Exception) { e.Rules = []string{"*"} }, `rule pattern "*" matches every rule`},
		{"disguised wildcard rule", func(e *Exception) { e.Rules = []string{"MESH-04", "?*"} }, `rule pattern "?*" matches every rule`},
		{"wildcard control", func(e *Exception) { e.Rules, e.Controls = nil, []string{"*"} }, `control "*" is a wildcard`},
		{"empty selector", func(e *Exception) { e.Selector = Selector{} }, "the selector matches every resource"},
		{"wildcard selectors", func(e *Exception) {
			e.Selector = Selector{Clusters: []string{"prod"}, Namespaces: []string{"*"}, Kinds: []string{"*"}, Names: []string{"*"}}
		}, "the selector matches every resource"},
		{"365 days", func(e *Exception) { e.Created, e.Expires = "2026-01-01", "2027-01-01" }, ""},
		{"366 days", func(e *Exception) { e.Created, e.Expires = "2026-01-01", "2027-01-02" }, "366 days after created 2026-01-01: longer than params.max_exception_days (365)"},
		{"2036", func(e *Exception) { e.Expires = "2036-01-01" }, "longer than params.max_exception_days"},
		{"9999", func(e *Exception) { e.Expires = "9999-12-31" }, "longer than params.max_exception_days"},
		{"created in the future", func(e *Exception) { e.Created, e.Expires = "2036-01-01", "2036-06-01" }, "created 2036-01-01 is in the future"},
		{"self-declared counts from today", func(e *Exception) {
			e.Created, e.SelfDeclared, e.Selector, e.Expires = "", true, Selector{}, "2027-12-31"
		}, "after today, 2026-12-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := ok
			c.edit(&e)
			err := Check([]Exception{e}, Limits{MaxDays: DefaultMaxDays, Now: now})
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), e.ID+": ") {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// --allow-broad-exceptions accepts broad ones, never long ones.
	broad := ok
	broad.Rules, broad.Selector = []string{"*"}, Selector{}
	if err := Check([]Exception{broad}, Limits{MaxDays: 365, AllowBroad: true, Now: now}); err != nil {
		t.Errorf("allowed broad exception refused: %v", err)
	}
	broad.Expires = "9999-12-31"
	if err := Check([]Exception{broad}, Limits{MaxDays: 365, AllowBroad: true, Now: now}); err == nil {
		t.Error("a 9999 expiry accepted with --allow-broad-exceptions")
	}
}

// A broad exception really does match everything: the heuristic agrees
// with Matches on the findings it is meant to refuse.
func TestBroadMatchesEverySubject(t *testing.T) {
	e := Exception{ID: "x", Rules: []string{"*"}, Selector: Selector{Namespaces: []string{"*"}}}
	if e.Broad() == "" {
		t.Fatal("not broad")
	}
	for _, s := range []Subject{{RuleID: "MTLS-01", Namespace: "istio-system", Kind: "Mesh"}, {RuleID: "POD-03", Namespace: "shop", Kind: "Pod", Name: "p"}} {
		if !e.Matches(s) {
			t.Errorf("%+v not matched", s)
		}
	}
}
