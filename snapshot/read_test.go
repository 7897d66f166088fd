package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// reference is how snapshots were decoded before the streaming reader:
// one encoding/json Decode of the whole document.
func reference(t *testing.T, data string) *Snapshot {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestReadEqualsOneDecode(t *testing.T) {
	var objs []string
	for i := 0; i < 3*readBatch+17; i++ { // several batches and a partial one
		objs = append(objs, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","namespace":"ns%d","name":"p%d","line":%d,"object":{"metadata":{"name":"p%d"},"spec":{"n":%d.0,"x":null}}}`, i%7, i, i, i, i))
	}
	list := "[" + strings.Join(objs, ",") + "]"
	for name, doc := range map[string]string{
		"header first":      `{"schemaVersion":"meshaudit.io/snapshot/v1","cluster":"c","source":{"type":"cluster","inputs":["ctx"]},"toolVersion":"x","kinds":[{"kind":"Pod","status":"collected","count":3}],"parseErrors":[],"objects":` + list + `}`,
		"objects first":     `{"objects":` + list + `,"schemaVersion":"meshaudit.io/snapshot/v1","cluster":"c","unknown":{"a":[1]}}`,
		"field name case":   `{"SchemaVersion":"meshaudit.io/snapshot/v1","Objects":` + list + `}`,
		"repeated objects":  `{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[` + objs[0] + `],"objects":` + list + `}`,
		"objects null":      `{"schemaVersion":"meshaudit.io/snapshot/v1","objects":null}`,
		"objects empty":     `{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[]}`,
		"trailing document": `{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[]} {"x":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readStream(strings.NewReader(doc), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(t, doc); !reflect.DeepEqual(got, want) {
				t.Fatalf("streaming read differs from one Decode")
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	good := `{"apiVersion":"v1","kind":"Pod","name":"p","object":{"metadata":{"name":"p"}}}`
	many := strings.Repeat(good+",", 2*readBatch)
	for name, c := range map[string]struct{ doc, want string }{
		"bad object names its index": {`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[` + many + `{"kind":5}]}`, fmt.Sprintf("objects[%d]", 2*readBatch)},
		"truncated":                  {`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[` + many, "EOF"},
		"objects not an array":       {`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":"x"}`, "objects: want an array"},
		"not an object":              {`[]`, `want "{"`},
		"wrong version":              {`{"schemaVersion":"v0","objects":[]}`, "unsupported snapshot schemaVersion"},
		"object without name":        {`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","object":{}}]}`, "snapshot object 0"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(strings.NewReader(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadEachSeesEveryObject(t *testing.T) {
	var b bytes.Buffer
	s := &Snapshot{SchemaVersion: SchemaVersion, Kinds: []KindStatus{}, ParseErrors: []ParseError{}}
	for i := 0; i < 1000; i++ {
		s.Objects = append(s.Objects, Object{APIVersion: "v1", Kind: "Pod", Name: fmt.Sprint("p", i), Object: map[string]any{"i": json.Number(fmt.Sprint(i))}})
	}
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEach(&b, func(o *Object) { o.Object["seen"] = true })
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range got.Objects {
		if o.Name != fmt.Sprint("p", i) || o.Object["seen"] != true {
			t.Fatalf("object %d: %s %v", i, o.Name, o.Object)
		}
	}
}
