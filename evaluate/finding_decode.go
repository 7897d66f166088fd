package evaluate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/snapshot"
)

// decodeRawFinding decodes one element of a rule's deny set; b is its
// JSON text for error messages (made lazily: it formats when printed).
func decodeRawFinding(item any) (rawFinding, lazyJSON, error) {
	if rf, ok := rawFindingFast(item); ok {
		return rf, lazyJSON{v: item}, nil
	}
	b, err := json.Marshal(item)
	if err != nil {
		return rawFinding{}, lazyJSON{}, err
	}
	var rf rawFinding
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rf); err != nil {
		return rawFinding{}, lazyJSON{}, fmt.Errorf("finding %s: %w", b, err)
	}
	return rf, lazyJSON{v: item}, nil
}

// lazyJSON prints as the JSON text of v (only an error message prints it).
type lazyJSON struct{ v any }

func (l lazyJSON) String() string {
	b, _ := json.Marshal(l.v)
	return string(b)
}

// rawFindingFast decodes one element of a rule's deny set straight from the
// Go value the query returned, without the JSON round trip (marshal, then
// a strict decode) decodeFindings otherwise makes per finding: on the
// findings-heavy shape that round trip was a third of the Go-side cost of
// the findings. It handles exactly the well-formed case — an object whose
// keys are among msg, resource, severity and evidence spelled as the JSON
// tags are, of the right types, every string valid UTF-8 — and returns ok
// false for anything else, so that the JSON path decides (and words) every
// error, and every value it accepts decodes as that path would decode it
// (numbers in evidence values become float64, as encoding/json makes
// them). TestRawFindingFastMatchesJSON holds the two paths together.
func rawFindingFast(item any) (rawFinding, bool) {
	var rf rawFinding
	obj, ok := item.(map[string]any)
	if !ok {
		return rf, false
	}
	for k, v := range obj {
		switch k {
		case "msg":
			if rf.Msg, ok = v.(string); !ok || !utf8.ValidString(rf.Msg) {
				return rf, false
			}
		case "severity":
			if rf.Severity, ok = v.(string); !ok || !utf8.ValidString(rf.Severity) {
				return rf, false
			}
		case "resource":
			if rf.Resource, ok = refFast(v); !ok {
				return rf, false
			}
		case "evidence":
			if v == nil {
				continue
			}
			list, ok := v.([]any)
			if !ok {
				return rf, false
			}
			rf.Evidence = make([]report.Evidence, len(list))
			for i, e := range list {
				if rf.Evidence[i], ok = evidenceFast(e); !ok {
					return rf, false
				}
			}
		default:
			return rf, false
		}
	}
	return rf, true
}

func refFast(v any) (*snapshot.Ref, bool) {
	if v == nil {
		return nil, true
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	r := &snapshot.Ref{}
	for k, x := range obj {
		var dst *string
		switch k {
		case "apiVersion":
			dst = &r.APIVersion
		case "kind":
			dst = &r.Kind
		case "namespace":
			dst = &r.Namespace
		case "name":
			dst = &r.Name
		default:
			return nil, false
		}
		if x == nil {
			continue // JSON null leaves a string field as it is
		}
		s, ok := x.(string)
		if !ok || !utf8.ValidString(s) {
			return nil, false
		}
		*dst = s
	}
	return r, true
}

func evidenceFast(v any) (report.Evidence, bool) {
	var ev report.Evidence
	obj, ok := v.(map[string]any)
	if !ok {
		return ev, false
	}
	for k, x := range obj {
		switch k {
		case "path":
			if x == nil {
				continue
			}
			if ev.Path, ok = x.(string); !ok || !utf8.ValidString(ev.Path) {
				return ev, false
			}
		case "value":
			if ev.Value, ok = jsonValueFast(x); !ok {
				return ev, false
			}
		case "resource":
			if ev.Resource, ok = refFast(x); !ok {
				return ev, false
			}
		default:
			return ev, false
		}
	}
	return ev, true
}

// jsonValueFast is v as encoding/json decodes its encoding into an any:
// numbers float64, objects map[string]any, arrays []any.
func jsonValueFast(v any) (any, bool) {
	switch t := v.(type) {
	case nil, bool:
		return t, true
	case string:
		return t, utf8.ValidString(t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		return f, err == nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			var ok bool
			if out[i], ok = jsonValueFast(x); !ok {
				return nil, false
			}
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if !utf8.ValidString(k) {
				return nil, false
			}
			y, ok := jsonValueFast(x)
			if !ok {
				return nil, false
			}
			out[k] = y
		}
		return out, true
	}
	return nil, false
}
