package evaluate

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/snapshot"
)

// The input: the Rego input document of a snapshot, and input.derived, the
// library facts computed in Go (derive.go).

// input is the Rego input document of a snapshot and what it was built
// from.
type input struct {
	doc   ast.Object
	keys  []string               // kind keys, in the snapshot's order
	lists map[string][]*ast.Term // kind key → its objects
	// fallbacks are the facts derive left to lib.rego, and why.
	fallbacks []fallback
}

// inputValue builds the Rego input document of a snapshot as an ast.Value
// ({cluster, source: the source type, objects: {kind key: [objects]},
// kinds: {kind key: collection status}, derived: see derive}).
func inputValue(s *snapshot.Snapshot) (ast.Value, error) {
	return inputValueOf(s, true)
}

func inputValueOf(s *snapshot.Snapshot, derived bool) (ast.Value, error) {
	in, err := buildInput(s, derived)
	if err != nil {
		return nil, err
	}
	return in.doc, nil
}

// buildInput builds the input document, converting the objects on every
// core, and with derived, input.derived: every fact derive could compute
// (see derive; the others lib.rego computes). Equal strings and equal
// sub-documents share one term (see converter). Objects a Converter
// converted as they were collected are used as they are; the others are
// converted here and keep their maps.
func buildInput(s *snapshot.Snapshot, derived bool) (*input, error) {
	terms := make([]*ast.Term, len(s.Objects))
	errs := make([]error, len(s.Objects))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		// Contiguous shares: neighbouring objects (the pods of one
		// ReplicaSet) are the ones most alike.
		lo, hi := w*len(s.Objects)/workers, (w+1)*len(s.Objects)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConverter()
			for i := lo; i < hi; i++ {
				if t, ok := s.Objects[i].Value.(*ast.Term); ok && s.Objects[i].Object == nil {
					terms[i] = t // converted as it was collected
					continue
				}
				if s.Objects[i].Object == nil {
					// Released without a converted value: never judge
					// an object as empty.
					errs[i] = fmt.Errorf("object %s has no content (released?)", s.Objects[i].Ref().FQN())
					continue
				}
				terms[i], errs[i] = c.term(s.Objects[i].Object)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	in := &input{lists: map[string][]*ast.Term{}}
	for i := range s.Objects {
		k := s.Objects[i].Key()
		if _, ok := in.lists[k]; !ok {
			in.keys = append(in.keys, k)
		}
		in.lists[k] = append(in.lists[k], terms[i])
	}
	objs := ast.NewObject()
	for _, k := range in.keys {
		objs.Insert(ast.StringTerm(k), ast.ArrayTerm(in.lists[k]...))
	}
	kinds := map[string]any{}
	for _, k := range s.Kinds {
		kinds[k.Kind] = k.Status
	}
	top := map[string]any{"cluster": s.Cluster, "source": s.Source.Type, "kinds": kinds}
	if len(s.ImagePlaceholders) > 0 {
		// input.image_placeholders: [{image, tool, file, line, field}]
		// (snapshot.ImagePlaceholder), read by POD-11.
		ps := make([]any, 0, len(s.ImagePlaceholders))
		for _, p := range s.ImagePlaceholders {
			ps = append(ps, map[string]any{"image": p.Image, "tool": p.Tool, "file": p.File, "line": p.Line, "field": p.Field})
		}
		top["image_placeholders"] = ps
	}
	rest, err := ast.InterfaceToValue(top)
	if err != nil {
		return nil, err
	}
	in.doc = rest.(ast.Object)
	in.doc.Insert(ast.StringTerm("objects"), ast.NewTerm(objs))
	if derived {
		var d ast.Object
		d, in.fallbacks = derive(in.keys, in.lists)
		in.doc.Insert(ast.StringTerm("derived"), ast.NewTerm(d))
	}
	return in, nil
}
