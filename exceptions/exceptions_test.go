package exceptions

import (
	"strings"
	"testing"
	"time"
)

const good = `apiVersion: meshaudit.io/v1
kind: Exceptions
exceptions:
  - id: E1
    rules: [MESH-0*]
    selector: {namespaces: [shop], kinds: [Deployment], names: ["pay*"], labels: {tier: backend}}
    justification: j
    approver: a
    ticket: T-1
    created: "2026-01-01"
    expires: "2026-06-30"
  - id: E2
    controls: [SC-8]
    selector: {clusters: ["prod-*"]}
    justification: j
    approver: a
    ticket: T-2
    created: "2026-01-01"
    expires: "2026-12-31"
`

func TestParseAndMatch(t *testing.T) {
	list, err := Parse("x.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	s := Subject{RuleID: "MESH-04", Controls: []string{"SC-7(8)"}, Cluster: "dev", Namespace: "shop", Kind: "Deployment", Name: "payments", Labels: map[string]string{"tier": "backend"}}
	if !list[0].Matches(s) {
		t.Error("E1 should match")
	}
	s.Labels = nil
	if list[0].Matches(s) {
		t.Error("E1 matched without its label")
	}
	if !list[1].Matches(Subject{RuleID: "MTLS-02", Controls: []string{"SC-8(1)"}, Cluster: "prod-eu"}) {
		t.Error("E2: SC-8 must match SC-8(1)")
	}
	if list[1].Matches(Subject{RuleID: "MTLS-02", Controls: []string{"SC-8(1)"}, Cluster: "dev"}) {
		t.Error("E2 matched another cluster")
	}
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d.Add(15 * time.Hour) }
	if list[0].Expired(day("2026-06-30")) || !list[0].Expired(day("2026-07-01")) {
		t.Error("an exception applies through its expiry day, not after")
	}
}

func TestMalformedNamesEntry(t *testing.T) {
	cases := map[string]string{
		"missing approver": strings.Replace(good, "    approver: a\n    ticket: T-1", "    ticket: T-1", 1),
		"bad date":         strings.Replace(good, `expires: "2026-06-30"`, `expires: "30/06/2026"`, 1),
		"unknown field":    strings.Replace(good, "    ticket: T-1", "    ticket: T-1\n    approved: yes", 1),
		"duplicate id":     strings.Replace(good, "id: E2", "id: E1", 1),
		"no target":        strings.Replace(good, "    controls: [SC-8]\n", "", 1),
		"wrong kind":       strings.Replace(good, "kind: Exceptions", "kind: Exception", 1),
	}
	for name, src := range cases {
		_, err := Parse("x.yaml", []byte(src))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if name != "unknown field" && name != "wrong kind" && !strings.Contains(err.Error(), "entry ") {
			t.Errorf("%s: error does not name the entry: %v", name, err)
		}
	}
}

func TestSelfDeclared(t *testing.T) {
	list, err := SelfDeclared(`[{"rules": ["MESH-04"], "justification": "db latency", "expires": "2099-01-01"}]`, "c", "shop", "Deployment", "db")
	if err != nil || len(list) != 1 || !list[0].SelfDeclared {
		t.Fatalf("%+v %v", list, err)
	}
	if !list[0].Matches(Subject{RuleID: "MESH-04", Cluster: "c", Namespace: "shop", Kind: "Deployment", Name: "db"}) || list[0].Matches(Subject{RuleID: "MESH-04", Cluster: "c", Namespace: "shop", Kind: "Deployment", Name: "other"}) {
		t.Error("self-declared exception must cover only its own object")
	}
	if _, err := SelfDeclared(`[{"rules": ["MESH-04"]}]`, "c", "ns", "Deployment", "db"); err == nil {
		t.Error("self-declared without justification accepted")
	}
}
