package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// fastSeeds are documents where fastjson and encoding/json could differ.
var fastSeeds = []string{
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"apiVersion":"v1","kind":"Pod","name":"p","line":3,"object":{"metadata":{"name":"p","labels":null,"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","a":"b"},"managedFields":[{}]},"spec":{"containers":[{"name":"c","image":"i","command":["sh","-c","curl localhost:15020/quitquitquit"],"args":["--a=b","--grpcAddr=x","-v",""],"env":[{"name":"SECRET","value":"s"},{"name":"CA_ADDR","value":"x"},{"name":"N","value":null},{"name":"F","valueFrom":{"k":1}}]}]}}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Secret","name":"s","object":{"data":{"k":"dg=="},"stringData":{"a":"b"},"type":"Opaque"}},{"kind":"ConfigMap","name":"istio","object":{"metadata":{"namespace":"istio-system","name":"istio"},"data":{"mesh":"m","other":"o"},"binaryData":{}}},{"kind":"ConfigMap","name":"x","object":{"metadata":{"namespace":"a","name":"x"},"data":{"mesh":"m"}}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"KIND":"Pod","Name":"p","apiverſion":"v1","object":{"a":1,"a":2}},{"kind":"Pod","name":"q","object":{"a":1},"Object":{"b":2}},{"kind":"Pod","name":"r","object":{"a":1},"object":null}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":{"s":"\ud800","t":"\ud83d\ude00","u":"\u00e9\n\"\\\/","k\u0065y":1,"n":[1,1.0,1e2,-0,12345678901234567890,null,true,false,{}]}}]}`,
	"{\"schemaVersion\":\"meshaudit.io/snapshot/v1\",\"objects\":[{\"kind\":\"Pod\",\"name\":\"p\",\"object\":{\"s\":\"\xff\xfe\"}}]}",
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","line":1.5,"object":{}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","line":1e2,"object":{}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","line":null,"kind":null,"object":{}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":{}},{"kind":5,"name":"q","object":{}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":[]}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[null,{"kind":"Pod","name":"p","object":{}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p"}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[3]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":{"x":1} ,  {"kind":"Pod"}]}`,
	`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[{"kind":"Pod","name":"p","object":{"x":01}}]}`,
}

// readMaps reads data as the collectors did before ReadValues: every object
// decoded into maps, nulls dropped, redacted.
func readMaps(data []byte) (*Snapshot, error) {
	return ReadEach(bytes.NewReader(data), func(o *Object) {
		DropNulls(o.Object)
		Redact(o.Kind, o.Object, "istio-system")
	})
}

// readFast reads data with ReadValues, dropping nulls and redacting the
// parsed document, then turning it back into maps (through its JSON) so
// that both can be compared.
func readFast(data []byte) (*Snapshot, error) {
	return ReadValues(bytes.NewReader(data), func(o *Object) {
		DropNulls(o.Object)
		Redact(o.Kind, o.Object, "istio-system")
	}, func(o *Object, v *fastjson.Value, a *fastjson.Arena) bool {
		DropNullsValue(v)
		RedactValue(o.Kind, v, "istio-system", a)
		dec := json.NewDecoder(bytes.NewReader(v.MarshalTo(nil)))
		dec.UseNumber()
		if err := dec.Decode(&o.Object); err != nil {
			panic(fmt.Sprintf("fastjson document does not re-decode: %v", err))
		}
		return true
	})
}

// readOld reads data as readMaps does with the reader as it was before
// the splitter.
func readOld(data []byte) (*Snapshot, error) {
	return checked(oldReadStream(bytes.NewReader(data), func(o *Object) {
		DropNulls(o.Object)
		Redact(o.Kind, o.Object, "istio-system")
	}, nil))
}

// sameRead fails unless the three reads of data agree: the reader before
// the splitter, ReadEach and ReadValues accept it or not alike (ReadEach
// and ReadValues with the same error), and what they accept is deeply
// equal.
func sameRead(t *testing.T, data []byte) {
	t.Helper()
	old, oerr := readOld(data)
	want, werr := readMaps(data)
	got, gerr := readFast(data)
	if (oerr == nil) != (werr == nil) {
		t.Fatalf("the splitter reads differently:\nbefore: %v\nnow:    %v", oerr, werr)
	}
	if fmt.Sprint(werr) != fmt.Sprint(gerr) {
		t.Fatalf("errors differ:\nReadEach:   %v\nReadValues: %v", werr, gerr)
	}
	if !reflect.DeepEqual(old, want) {
		a, _ := json.Marshal(old)
		b, _ := json.Marshal(want)
		t.Fatalf("snapshots differ:\nbefore:   %s\nReadEach: %s", a, b)
	}
	if !reflect.DeepEqual(want, got) {
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(got)
		t.Fatalf("snapshots differ:\nReadEach:   %s\nReadValues: %s", a, b)
	}
}

func TestReadValuesMatchesReadEach(t *testing.T) {
	for i, doc := range fastSeeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameRead(t, []byte(doc)) })
	}
}

// TestReadValuesFastPath: the fast path does decode ordinary objects (the
// comparison above would pass were it never taken).
func TestReadValuesFastPath(t *testing.T) {
	var objs []string
	for i := 0; i < 2*readBatch+3; i++ {
		objs = append(objs, fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","namespace":"ns","name":"p%d","object":{"metadata":{"name":"p%d"},"spec":{"containers":[{"image":"x","env":[{"name":"A","value":"b"}]}]}}}`, i, i))
	}
	data := []byte(`{"schemaVersion":"meshaudit.io/snapshot/v1","objects":[` + strings.Join(objs, ",") + `]}`)
	sameRead(t, data)
	var mu = make(chan struct{}, 1)
	n := 0
	_, err := ReadValues(bytes.NewReader(data), func(*Object) { t.Error("an ordinary object fell back to encoding/json") },
		func(o *Object, v *fastjson.Value, a *fastjson.Arena) bool {
			o.Value = v.String()
			mu <- struct{}{}
			n++
			<-mu
			return true
		})
	if err != nil || n != len(objs) {
		t.Fatalf("fast path decoded %d of %d objects: %v", n, len(objs), err)
	}
}
