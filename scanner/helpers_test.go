package scanner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/go-viper/mapstructure/v2"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// repoRoot is the repository's root directory.
var repoRoot string

// OK is the outcome of a clean run (no error).
const OK Kind = 0

// TestMain shares compiled engines between the runs of the tests: compiling
// the policies (~1 s of CPU) is most of a small scan's cost, and the
// engine is the same for the same rules, modules, parameters and version.
// evaluate's tests cover compilation; the cmd tests run uncached.
func TestMain(m *testing.M) {
	root, err := filepath.Abs("..")
	if err != nil {
		panic(err)
	}
	repoRoot = root
	compile := newEngine
	var mu sync.Mutex
	cache := map[string]*evaluate.Engine{}
	newEngine = func(ctx context.Context, cat *rules.Catalog, mods []*ast.Module, params policies.Params, version string) (*evaluate.Engine, error) {
		h := sha256.New()
		for _, r := range cat.Rules {
			fmt.Fprintf(h, "rule %s\x00", r.ID)
		}
		for _, m := range mods {
			fmt.Fprintf(h, "%s\x00%s\x00", m.Package.Location.File, m.String())
		}
		data, err := params.Data()
		if err != nil {
			return nil, err
		}
		pj, _ := json.Marshal(data)
		fmt.Fprintf(h, "%s\x00%s", pj, version)
		key := string(h.Sum(nil))
		mu.Lock()
		defer mu.Unlock()
		if e := cache[key]; e != nil {
			return e, nil
		}
		e, err := compile(ctx, cat, mods, params, version)
		if err == nil {
			cache[key] = e
		}
		return e, err
	}
	os.Exit(m.Run())
}

// shortFlags are the command line's one-letter flags.
var shortFlags = map[string]string{"f": "file", "o": "output", "n": "namespace", "A": "all-namespaces", "q": "quiet"}

// commaFlags split their values at commas on the command line.
var commaFlags = map[string]bool{"rules": true, "skip-rules": true, "controls": true, "namespace": true}

// optionKinds maps each option key (mapstructure tag) to its field type.
func optionKinds(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		switch {
		case tag == "-":
		case strings.HasSuffix(tag, ",squash"):
			optionKinds(f.Type, out)
		case tag != "":
			out[tag] = f.Type
		}
	}
}

// options builds Options from command-line style arguments (flag names
// are the options' keys; bare arguments are paths), decoded as the command
// line decodes its settings (DecodeHook) over Defaults.
func options(args []string) (Options, error) {
	kinds := map[string]reflect.Type{}
	optionKinds(reflect.TypeFor[Options](), kinds)
	settings := map[string]any{}
	o := Defaults()
	var paths []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			paths = append(paths, a)
			continue
		}
		name, val, hasVal := strings.TrimLeft(a, "-"), "", false
		if strings.HasPrefix(a, "--") {
			name, val, hasVal = strings.Cut(name, "=")
		}
		if long, ok := shortFlags[name]; ok {
			name = long
		}
		typ, ok := kinds[name]
		if !ok {
			return o, fmt.Errorf("unknown flag: %s", a)
		}
		if !hasVal {
			if typ.Kind() == reflect.Bool {
				val = "true"
			} else if i+1 < len(args) {
				i++
				val = args[i]
			} else {
				return o, fmt.Errorf("flag needs an argument: %s", a)
			}
		}
		if name == "memory-limit" {
			o.MemoryLimitSet = true
		}
		if typ.Kind() == reflect.Slice {
			list, _ := settings[name].([]string)
			if commaFlags[name] {
				list = append(list, strings.Split(val, ",")...)
			} else {
				list = append(list, val)
			}
			settings[name] = list
			continue
		}
		settings[name] = val
	}
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{DecodeHook: DecodeHook(), WeaklyTypedInput: true, ErrorUnused: true, Result: &o})
	if err != nil {
		return o, err
	}
	if err := dec.Decode(settings); err != nil {
		var se *Error
		if errors.As(err, &se) {
			return o, se
		}
		return o, err
	}
	o.Input.Files = append(o.Input.Files, paths...)
	o.ToolVersion = "test"
	return o, nil
}

// scanCLI scans as `meshaudit scan ARGS...` would, from the repository root
// (so recorded paths are relative to it, as for a user in their checkout),
// with stdin as standard input. stderr ends with the error as the command
// line prints it (not for Findings and Incomplete, which it does not
// print).
func scanCLI(t *testing.T, stdin string, args ...string) (kind Kind, stdout, stderr string) {
	t.Helper()
	if len(args) == 0 || args[0] != "scan" {
		t.Fatalf("run: only scan runs in the library: %q", args)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(repoRoot); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	o, err := options(args[1:])
	if err != nil && KindOf(err) == 0 {
		err = &Error{Kind: Usage, Err: err} // as cobra's flag errors
	}
	if err == nil {
		_, err = Run(context.Background(), o, Streams{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	}
	kind = KindOf(err)
	if err != nil && kind == 0 {
		t.Fatalf("scan %q: not a typed error: %v", args[1:], err)
	}
	if err != nil && kind != Findings && kind != Incomplete {
		fmt.Fprintln(&errb, "meshaudit:", err)
	}
	return kind, out.String(), errb.String()
}

func digest(t *testing.T) string {
	t.Helper()
	d, err := PolicyDigest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
