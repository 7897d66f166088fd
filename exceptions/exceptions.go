// Package exceptions reads the exceptions file: documented, approved,
// time-limited acceptances of findings. An excepted finding stays in every
// report, marked with its exception; it does not count toward --fail-on.
package exceptions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// MaxFileBytes bounds an exceptions file (a regular file: a FIFO is
// refused, never waited on).
const MaxFileBytes = 16 << 20

// APIVersion and Kind of an exceptions file.
const (
	APIVersion = "meshaudit.io/v1"
	Kind       = "Exceptions"
	// Annotation holds self-declared exceptions on an object (only honoured
	// when enabled in the configuration).
	Annotation = "meshaudit.io/exceptions"
	dateLayout = "2006-01-02"
)

// File is an exceptions file.
type File struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Exceptions []Exception `json:"exceptions"`
}

// Exception accepts the findings it matches until it expires.
type Exception struct {
	ID            string   `json:"id"`
	Rules         []string `json:"rules,omitempty"`    // rule ids (globs)
	Controls      []string `json:"controls,omitempty"` // NIST controls; a control matches its enhancements
	Selector      Selector `json:"selector"`
	Justification string   `json:"justification"`
	Approver      string   `json:"approver"`
	Ticket        string   `json:"ticket"`
	Created       string   `json:"created"` // YYYY-MM-DD
	Expires       string   `json:"expires"` // YYYY-MM-DD; the last day it applies
	// SelfDeclared marks an exception read from an object's annotation.
	SelfDeclared bool `json:"selfDeclared,omitempty"`

	expires time.Time
}

// Selector narrows an exception to resources; every field given must
// match; globs (path.Match) are allowed in every string.
type Selector struct {
	Clusters   []string          `json:"clusters,omitempty"`
	Namespaces []string          `json:"namespaces,omitempty"`
	Kinds      []string          `json:"kinds,omitempty"`
	Names      []string          `json:"names,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// Subject is what an exception is matched against.
type Subject struct {
	RuleID    string
	Controls  []string
	Cluster   string
	Namespace string
	Kind      string
	Name      string
	Labels    map[string]string
}

// Load reads and validates an exceptions file. Errors name the entry.
func Load(file string) ([]Exception, error) {
	b, err := fsutil.ReadRegular(file, MaxFileBytes, false)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	return Parse(file, b)
}

// Parse decodes an exceptions document strictly.
func Parse(name string, b []byte) ([]Exception, error) {
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		return nil, fmt.Errorf("exceptions %s: %w", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("exceptions %s: %w", name, err)
	}
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return nil, fmt.Errorf("exceptions %s: want apiVersion %s and kind %s", name, APIVersion, Kind)
	}
	seen := map[string]bool{}
	for i := range f.Exceptions {
		e := &f.Exceptions[i]
		if err := e.validate(); err != nil {
			ref := fmt.Sprintf("entry %d", i+1)
			if e.ID != "" {
				ref += " (" + e.ID + ")"
			}
			return nil, fmt.Errorf("exceptions %s: %s: %w", name, ref, err)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("exceptions %s: entry %d: duplicate id %s", name, i+1, e.ID)
		}
		seen[e.ID] = true
	}
	return f.Exceptions, nil
}

func (e *Exception) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{{"id", e.ID}, {"justification", e.Justification}, {"approver", e.Approver}, {"ticket", e.Ticket}, {"created", e.Created}, {"expires", e.Expires}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if e.SelfDeclared {
		missing = nil
		if strings.TrimSpace(e.Justification) == "" {
			missing = append(missing, "justification")
		}
		if e.Expires == "" {
			missing = append(missing, "expires")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if len(e.Rules) == 0 && len(e.Controls) == 0 {
		return fmt.Errorf("give rules or controls")
	}
	if e.Created != "" {
		if _, err := time.Parse(dateLayout, e.Created); err != nil {
			return fmt.Errorf("created %q: want YYYY-MM-DD", e.Created)
		}
	}
	t, err := time.Parse(dateLayout, e.Expires)
	if err != nil {
		return fmt.Errorf("expires %q: want YYYY-MM-DD", e.Expires)
	}
	if e.Created != "" {
		if c, _ := time.Parse(dateLayout, e.Created); t.Before(c) {
			return fmt.Errorf("expires %s is before created %s", e.Expires, e.Created)
		}
	}
	e.expires = t
	for _, g := range append(append(append(append(append([]string{}, e.Rules...), e.Selector.Clusters...), e.Selector.Namespaces...), e.Selector.Kinds...), e.Selector.Names...) {
		if _, err := path.Match(g, ""); err != nil {
			return fmt.Errorf("bad glob %q", g)
		}
	}
	return nil
}

// Expired reports whether the exception no longer applies on day now: it
// applies through its expiry date.
func (e Exception) Expired(now time.Time) bool {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return today.After(e.expires)
}

// Matches reports whether the exception covers the subject.
func (e Exception) Matches(s Subject) bool {
	if len(e.Rules) > 0 && !anyGlob(e.Rules, s.RuleID) {
		return false
	}
	if len(e.Controls) > 0 && !controlMatch(e.Controls, s.Controls) {
		return false
	}
	sel := e.Selector
	if len(sel.Clusters) > 0 && !anyGlob(sel.Clusters, s.Cluster) ||
		len(sel.Namespaces) > 0 && !anyGlob(sel.Namespaces, s.Namespace) ||
		len(sel.Kinds) > 0 && !anyGlob(sel.Kinds, s.Kind) ||
		len(sel.Names) > 0 && !anyGlob(sel.Names, s.Name) {
		return false
	}
	for k, v := range sel.Labels {
		got, ok := s.Labels[k]
		if !ok {
			return false
		}
		if m, _ := path.Match(v, got); !m {
			return false
		}
	}
	return true
}

func anyGlob(globs []string, v string) bool {
	for _, g := range globs {
		if m, _ := path.Match(g, v); m {
			return true
		}
	}
	return false
}

func controlMatch(want, have []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w || (!strings.Contains(w, "(") && strings.HasPrefix(h, w+"(")) {
				return true
			}
		}
	}
	return false
}

// SelfDeclared parses an object's meshaudit.io/exceptions annotation: a
// YAML/JSON list of {rules|controls, justification, expires, ticket?,
// approver?}. The object itself is the selector.
func SelfDeclared(value, cluster, namespace, kind, name string) ([]Exception, error) {
	j, err := yaml.YAMLToJSONStrict([]byte(value))
	if err != nil {
		return nil, fmt.Errorf("annotation %s: %w", Annotation, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var list []Exception
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", Annotation, err)
	}
	for i := range list {
		e := &list[i]
		e.SelfDeclared = true
		if e.ID == "" {
			e.ID = fmt.Sprintf("self:%s/%s/%s/%d", kind, namespace, name, i+1)
		}
		e.Selector = Selector{Clusters: []string{escapeGlob(cluster)}, Namespaces: []string{escapeGlob(namespace)}, Kinds: []string{escapeGlob(kind)}, Names: []string{escapeGlob(name)}}
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("annotation %s entry %d: %w", Annotation, i+1, err)
		}
	}
	return list, nil
}

func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
