package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// CustomRoot is the package root of custom (--policy) modules: a team's
// rule is in package meshaudit.custom.rules.<id>, its helpers anywhere under
// meshaudit.custom or outside data.meshaudit. Every other package under
// data.meshaudit (the library meshaudit.lib, the rules meshaudit.rules.*,
// the parameters) is meshaudit's own: a custom module declaring one would
// merge into it and could change what the built-in rules decide.
const CustomRoot = "meshaudit.custom"

// CustomRulesRoot is the package prefix of custom rules.
const CustomRulesRoot = CustomRoot + ".rules"

// CheckCustom refuses custom modules that declare a package of
// meshaudit's own; the error names file and line. _test.rego files are
// checked too (they are never evaluated as rules, but may be run as tests
// beside the library).
func CheckCustom(mods []Module) error {
	var errs []string
	for _, m := range mods {
		mod, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("parse %s: %w", m.Path, err)
		}
		if !strings.HasSuffix(m.Path, "_test.rego") && Reserved(mod.Package.Path) {
			errs = append(errs, fmt.Sprintf("%s:%d: package %s is meshaudit's own: a custom policy may not declare it (custom rules are in package %s.<id>, helpers under %s)",
				m.Path, mod.Package.Location.Row, strings.TrimPrefix(mod.Package.Path.String(), "data."), CustomRulesRoot, CustomRoot))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// Reserved reports whether a package path (data.…) is meshaudit's: under
// data.meshaudit and not under the custom root.
func Reserved(pkg ast.Ref) bool {
	s := pkg.String()
	if s != "data.meshaudit" && !strings.HasPrefix(s, "data.meshaudit.") {
		// data["meshaudit"] spelled with brackets prints the same way, so
		// the string form is enough.
		return false
	}
	custom := "data." + CustomRoot
	return s != custom && !strings.HasPrefix(s, custom+".")
}

// Digest is the SHA-256 of a module's source, "sha256:<hex>".
func (m Module) Digest() string {
	sum := sha256.Sum256([]byte(m.Source))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Custom returns the modules of mods that are not embedded ones (same path
// and source), in order.
func Custom(mods []Module) ([]Module, error) {
	emb, err := Modules(false)
	if err != nil {
		return nil, err
	}
	embedded := map[string]string{}
	for _, m := range emb {
		embedded[m.Path] = m.Source
	}
	var out []Module
	for _, m := range mods {
		if src, ok := embedded[m.Path]; ok && src == m.Source {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}
