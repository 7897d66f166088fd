// Package nistgen derives meshaudit's compact NIST SP 800-53 Rev5 control
// table (id, title, family, baseline membership) from the OSCAL catalog and
// baseline profiles in ../shared/nist. Run through `go generate ./rules`.
package nistgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type part struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Props    []prop `json:"props"`
	Controls []part `json:"controls"`
}

type prop struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Control is one row of the generated table (the rules package reads the
// same shape).
type Control struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Family    string   `json:"family"`
	Baselines []string `json:"baselines"`
	Withdrawn bool     `json:"withdrawn,omitempty"`
}

// Generate returns the table as JSON, one control per line.
func Generate(dir string) ([]byte, error) {
	var cat struct {
		Catalog struct {
			Groups []struct {
				ID       string `json:"id"`
				Title    string `json:"title"`
				Controls []part `json:"controls"`
			} `json:"groups"`
		} `json:"catalog"`
	}
	if err := readJSON(filepath.Join(dir, "NIST_SP-800-53_rev5_catalog-5.0.1.json"), &cat); err != nil {
		return nil, err
	}
	baselines := map[string][]string{}
	for _, bl := range []string{"LOW", "MODERATE", "HIGH"} {
		var prof struct {
			Profile struct {
				Imports []struct {
					Include []struct {
						WithIDs []string `json:"with-ids"`
					} `json:"include-controls"`
				} `json:"imports"`
			} `json:"profile"`
		}
		if err := readJSON(filepath.Join(dir, "NIST_SP-800-53_rev5_"+bl+"-baseline_profile-5.1.1-min.json"), &prof); err != nil {
			return nil, err
		}
		for _, imp := range prof.Profile.Imports {
			for _, inc := range imp.Include {
				for _, id := range inc.WithIDs {
					baselines[id] = append(baselines[id], bl)
				}
			}
		}
	}
	var rows []Control
	var walk func(family string, ps []part)
	walk = func(family string, ps []part) {
		for _, p := range ps {
			c := Control{ID: label(p), Title: p.Title, Family: family, Baselines: baselines[p.ID]}
			if c.Baselines == nil {
				c.Baselines = []string{}
			}
			for _, pr := range p.Props {
				if pr.Name == "status" && pr.Value == "withdrawn" {
					c.Withdrawn = true
				}
			}
			rows = append(rows, c)
			walk(family, p.Controls)
		}
	}
	for _, g := range cat.Catalog.Groups {
		walk(g.Title, g.Controls)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no controls found in %s", dir)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	var sb strings.Builder
	sb.WriteString("[\n")
	for i, r := range rows {
		line, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		sb.Write(line)
		if i < len(rows)-1 {
			sb.WriteString(",")
		}
		sb.WriteString("\n")
	}
	sb.WriteString("]\n")
	return []byte(sb.String()), nil
}

// label returns the control's display id ("SC-8(1)") from its label prop,
// falling back to the OSCAL id.
func label(p part) string {
	for _, pr := range p.Props {
		if pr.Name == "label" {
			return pr.Value
		}
	}
	return strings.ToUpper(p.ID)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
