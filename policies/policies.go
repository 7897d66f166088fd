// Package policies embeds meshaudit's Rego rules, their tests and the rule
// library, and holds the organisation parameters the rules read as
// data.meshaudit.params.
package policies

import (
	"embed"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// MaxModuleBytes bounds a custom Rego file.
const MaxModuleBytes = 16 << 20

//go:embed lib/*.rego rules/*.rego
var files embed.FS

// FS returns the embedded policy tree (lib/ and rules/).
func FS() fs.FS { return files }

// Module is one Rego source file.
type Module struct {
	Path   string // e.g. rules/mtls_01.rego
	Source string
}

// Modules returns the embedded Rego files, sorted by path. With tests, the
// _test.rego files are included.
func Modules(tests bool) ([]Module, error) {
	var out []Module
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return err
		}
		if !tests && strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		out = append(out, Module{Path: p, Source: string(b)})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// LoadDir reads a directory of custom Rego policies (recursively; *.rego,
// _test.rego files included so they can be run as tests, but never
// evaluated as rules). Paths are recorded as found, so that errors name the
// user's files.
func LoadDir(dir string) ([]Module, error) {
	var out []Module
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".rego") {
			return nil
		}
		// A regular file only (a FIFO named *.rego would block the run).
		b, err := fsutil.ReadRegular(p, MaxModuleBytes, false)
		if err != nil {
			return err
		}
		out = append(out, Module{Path: filepath.ToSlash(p), Source: string(b)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy directory %s: %w", dir, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("policy directory %s: no .rego files", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
