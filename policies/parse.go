package policies

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// ParserOptions are how every meshaudit module is parsed: Rego v1, with
// `# METADATA` annotations processed (the rule catalog is decoded from them).
func ParserOptions() ast.ParserOptions {
	return ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}
}

// Parse parses the modules once, for both the catalog loader and the
// engine (neither parses again): _test.rego files are skipped, the rest
// keep their order; each module's locations name its Path. A syntax error
// names the file and line.
func Parse(mods []Module) ([]*ast.Module, error) {
	out := make([]*ast.Module, 0, len(mods))
	for _, m := range mods {
		if strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ParserOptions())
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", m.Path, err)
		}
		out = append(out, pm)
	}
	return out, nil
}
