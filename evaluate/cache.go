package evaluate

import (
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// leanCache is OPA's per-query cache of virtual documents and function
// results, except that it does not keep the results of function calls
// taking an object or array argument (lib.meshed(w), all_containers(w) …
// called once per workload): at 100k objects those entries held ~650 MB
// until the query ended. Calls on strings and numbers (a namespace's
// labels, a host's resolution) and documents (lib.namespaces …), which
// many objects share, are cached as before. Functions are pure, so
// caching less changes no result.
type leanCache struct{ topdown.VirtualCache }

func newLeanCache() topdown.VirtualCache { return leanCache{topdown.NewVirtualCache()} }

func perObjectCall(ref ast.Ref) bool {
	if len(ref) < 2 {
		return false
	}
	if _, call := ref[0].Value.(ast.Ref); !call {
		return false // a document, not a function call
	}
	for _, a := range ref[1:] {
		switch a.Value.(type) {
		case ast.Object, *ast.Array, ast.Set:
			return true
		}
	}
	return false
}

func (c leanCache) Get(ref ast.Ref) (*ast.Term, bool) {
	if perObjectCall(ref) {
		return nil, false
	}
	return c.VirtualCache.Get(ref)
}

func (c leanCache) Put(ref ast.Ref, value *ast.Term) {
	if perObjectCall(ref) {
		leanSkipped.Add(1)
		return
	}
	c.VirtualCache.Put(ref, value)
}

// leanSkipped counts the results leanCache did not keep (tests check it
// still recognises OPA's function-call keys).
var leanSkipped atomic.Int64
