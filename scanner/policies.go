package scanner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/rules/catalog"
)

// LoadPolicies loads the embedded policies and every custom policy
// directory, and decodes the catalog (custom rules follow the same
// annotation contract). A broken custom policy is a Usage error.
func LoadPolicies(dirs []string) ([]policies.Module, *rules.Catalog, error) {
	mods, _, cat, err := loadParsed(dirs)
	return mods, cat, err
}

// loadParsed is LoadPolicies with the modules parsed, once, for both the
// catalog and the engine (evaluate.NewParsed).
func loadParsed(dirs []string) ([]policies.Module, []*ast.Module, *rules.Catalog, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, dir := range dirs {
		custom, err := policies.LoadDir(dir)
		if err != nil {
			return nil, nil, nil, usageErr("%v", err)
		}
		if err := policies.CheckCustom(custom); err != nil {
			return nil, nil, nil, usageErr("policies: %v", err)
		}
		for _, m := range custom {
			if !strings.HasSuffix(m.Path, "_test.rego") {
				mods = append(mods, m)
			}
		}
	}
	parsed, err := policies.Parse(mods)
	if err != nil {
		return nil, nil, nil, usageErr("policies: %v", err)
	}
	cat, err := catalog.LoadModules(parsed)
	if err != nil {
		return nil, nil, nil, usageErr("policies: %v", err)
	}
	return mods, parsed, cat, nil
}

// Filter applies the rule filters: only Rules, not SkipRules, only rules
// mapped to Controls (a control selects its enhancements), only rules that
// can reach Severity. An id or control that selects nothing, and filters
// that leave no rule, are Usage errors (a typo must not silently evaluate
// nothing).
func (o SelectOptions) Filter(cat *rules.Catalog) (*rules.Catalog, error) {
	only, skip := idSet(o.Rules), idSet(o.SkipRules)
	for _, list := range []map[string]bool{only, skip} {
		for id := range list {
			if _, ok := cat.Get(id); !ok {
				return nil, usageErr("no rule %q (meshaudit rules lists them)", id)
			}
		}
	}
	for _, c := range o.Controls {
		if _, ok, _ := rules.NISTControl(c); !ok {
			return nil, usageErr("--controls: %s is not a NIST SP 800-53 Rev5 control", c)
		}
	}
	out := cat.Filter(func(r rules.Rule) bool {
		if len(only) > 0 && !only[r.ID] || skip[r.ID] || r.Severity < rules.Severity(o.Severity) {
			return false
		}
		if len(o.Controls) == 0 {
			return true
		}
		for _, want := range o.Controls {
			for _, have := range r.Controls {
				if have == want || (!strings.Contains(want, "(") && rules.BaseID(have) == want) {
					return true
				}
			}
		}
		return false
	})
	if len(out.Rules) == 0 {
		return nil, usageErr("the filters select no rule")
	}
	return out, nil
}

func idSet(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	return m
}

// PolicyDigest is the SHA-256 of the embedded policy bundle (paths and
// sources of every non-test Rego file, in order).
func PolicyDigest() (string, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range mods {
		fmt.Fprintf(h, "%s\x00%d\x00%s", m.Path, len(m.Source), m.Source)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
