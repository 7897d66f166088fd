package snapshot

import (
	"bytes"
	"testing"
)

// FuzzRead: the snapshot reader rejects or accepts, never panics, and what
// it accepts re-encodes; ReadValues (the fast path) reads it as ReadEach does.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":"meshaudit.io/snapshot/v1","cluster":"c","source":{"type":"cluster"},"toolVersion":"x","kinds":[],"parseErrors":[],"objects":[{"apiVersion":"v1","kind":"Pod","name":"p","object":{"metadata":{"name":"p"}}}]}`))
	f.Add([]byte(`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"schemaVersion":"v0"}`))
	for _, doc := range fastSeeds {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameRead(t, data) // ReadValues decodes as ReadEach does
		s, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range s.Objects {
			DropNulls(s.Objects[i].Object)
			Redact(s.Objects[i].Kind, s.Objects[i].Object, "istio-system")
		}
		s.Sort()
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatalf("accepted snapshot does not re-encode: %v", err)
		}
	})
}
