package rules

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:generate go run ./internal/nistgen/cmd -nist ../../shared/nist -o nist_controls.gen.json

//go:embed nist_controls.gen.json
var nistJSON []byte

// Control is a NIST SP 800-53 Rev5 control or enhancement.
type Control struct {
	ID        string   `json:"id"` // "SC-8(1)"
	Title     string   `json:"title"`
	Family    string   `json:"family"`
	Baselines []string `json:"baselines"` // LOW, MODERATE, HIGH
	Withdrawn bool     `json:"withdrawn,omitempty"`
}

// Base returns the id of the base control ("SC-8" for "SC-8(1)").
func (c Control) Base() string { return BaseID(c.ID) }

// BaseID strips an enhancement suffix: "SC-8(1)" → "SC-8".
func BaseID(id string) string {
	if i := strings.IndexByte(id, '('); i >= 0 {
		return id[:i]
	}
	return id
}

var (
	nistOnce  sync.Once
	nistTable map[string]Control
	nistOrder []Control
	nistErr   error
)

func loadNIST() {
	var rows []Control
	if err := json.Unmarshal(nistJSON, &rows); err != nil {
		nistErr = fmt.Errorf("decode NIST control table: %w", err)
		return
	}
	nistTable = make(map[string]Control, len(rows))
	for _, r := range rows {
		nistTable[r.ID] = r
	}
	nistOrder = rows
}

// NISTControl looks up a control by id ("SC-8(1)").
func NISTControl(id string) (Control, bool, error) {
	nistOnce.Do(loadNIST)
	if nistErr != nil {
		return Control{}, false, nistErr
	}
	c, ok := nistTable[id]
	return c, ok, nil
}

// NISTControls returns the whole table, sorted by id.
func NISTControls() ([]Control, error) {
	nistOnce.Do(loadNIST)
	return nistOrder, nistErr
}
