package exceptions

import (
	"testing"
	"time"
)

// FuzzParse: the exceptions reader rejects or accepts, never panics; what it
// accepts can be matched.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("apiVersion: meshaudit.io/v1\nkind: Exceptions\nexceptions: [{id: x}]\n"))
	f.Add([]byte("exceptions: 3"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := Parse("f.yaml", data)
		if err != nil {
			return
		}
		for _, e := range list {
			e.Matches(Subject{RuleID: "MESH-04", Controls: []string{"SC-8(1)"}, Cluster: "c", Namespace: "n", Kind: "Pod", Name: "p"})
			e.Expired(time.Now())
		}
	})
}
