package policies

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"strings"
)

// ParamsMarkdown renders docs/params.md from the Params struct: each field's
// key (json tag), its default and its doc comment. src is params.go's
// source (the comments are the documentation).
func ParamsMarkdown(src []byte) (string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "params.go", src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Params" {
			return true
		}
		for _, fld := range ts.Type.(*ast.StructType).Fields.List {
			if len(fld.Names) == 1 && fld.Doc != nil {
				docs[fld.Names[0].Name] = strings.Join(strings.Fields(fld.Doc.Text()), " ")
			}
		}
		return false
	})
	def := Defaults()
	v := reflect.ValueOf(def)
	var b strings.Builder
	b.WriteString("# Organisation parameters\n\n")
	b.WriteString("<!-- Generated from policies/params.go by `MESHAUDIT_UPDATE_GOLDEN=1 go test ./policies/`. Do not edit. -->\n\n")
	b.WriteString("Set them in the config file's `params:` section (`meshaudit.yaml`); the rules read them as\n`data.meshaudit.params`. An unknown key, or a value of the wrong type, is an error.\n\n")
	b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	for i := 0; i < v.NumField(); i++ {
		field := v.Type().Field(i)
		key := strings.Split(field.Tag.Get("json"), ",")[0]
		doc, ok := docs[field.Name]
		if !ok {
			return "", fmt.Errorf("params.go: field %s has no doc comment", field.Name)
		}
		val, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", key, val, doc)
	}
	return b.String(), nil
}
