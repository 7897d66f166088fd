package evaluate

import (
	"github.com/meshaudit/meshaudit/snapshot"
)

// Object lookup: where a finding's resource is in the input (file, line,
// apiVersion), and which kinds the input holds.

// index answers lookups on the snapshot's objects.
type index struct {
	byRef      map[string]*snapshot.Object // key/ns/name
	byKindName map[string]*snapshot.Object // Kind/ns/name (first, when the group is not given)
	firstInNS  map[string]*snapshot.Object
	kinds      map[string]int
}

func newIndex(s *snapshot.Snapshot) *index {
	ix := &index{byRef: map[string]*snapshot.Object{}, byKindName: map[string]*snapshot.Object{}, firstInNS: map[string]*snapshot.Object{}, kinds: map[string]int{}}
	for i := range s.Objects {
		o := &s.Objects[i]
		ix.byRef[o.Key()+"/"+o.Namespace+"/"+o.Name] = o
		if _, ok := ix.byKindName[o.Kind+"/"+o.Namespace+"/"+o.Name]; !ok {
			ix.byKindName[o.Kind+"/"+o.Namespace+"/"+o.Name] = o
		}
		ix.kinds[o.Key()]++
		ns := o.Namespace
		if o.Kind == "Namespace" && o.Group() == "" {
			ns = o.Name
		}
		if ns != "" {
			if f := ix.firstInNS[ns]; f == nil || o.File < f.File || (o.File == f.File && o.Line < f.Line) {
				ix.firstInNS[ns] = o
			}
		}
	}
	return ix
}

// locate finds the object a finding is about; an implied Namespace (no
// object in the input) is located at the first object in it.
func (ix *index) locate(r snapshot.Ref) *snapshot.Object {
	if r.APIVersion != "" {
		if o := ix.byRef[snapshot.Key(snapshot.GroupOf(r.APIVersion), r.Kind)+"/"+r.Namespace+"/"+r.Name]; o != nil {
			return o
		}
	} else if o := ix.byKindName[r.Kind+"/"+r.Namespace+"/"+r.Name]; o != nil {
		return o
	}
	if r.Kind == "Namespace" && r.Namespace == "" {
		return ix.firstInNS[r.Name]
	}
	return nil
}
