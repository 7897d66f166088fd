package evaluate

import (
	"fmt"
	"sort"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/snapshot"
)

// ApplyExceptions marks the findings covered by valid exceptions (the first
// matching exception, in file order, wins), records what became of every
// exception (applied, expired, stale), and recomputes rule statuses, the
// control roll-up and the summary. With selfDeclared, exceptions in objects'
// meshaudit.io/exceptions annotations are read too (always labelled
// self-declared); a malformed annotation is an error naming the object.
func ApplyExceptions(rep *report.Report, s *snapshot.Snapshot, list []exceptions.Exception, selfDeclared bool, now time.Time) error {
	for i := range s.Objects {
		if s.Objects[i].Object == nil {
			// Labels and annotations are gone: matching would be wrong.
			return fmt.Errorf("object %s was released for evaluation; exceptions need the objects (collect without a Converter)", s.Objects[i].Ref().FQN())
		}
	}
	ix := newIndex(s)
	all := append([]exceptions.Exception{}, list...)
	if selfDeclared {
		own, err := SelfDeclaredExceptions(s)
		if err != nil {
			return err
		}
		all = append(all, own...)
	}
	matched := make([]int, len(all))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		subj := exceptions.Subject{RuleID: f.RuleID, Controls: f.Controls, Cluster: rep.Cluster, Namespace: f.Resource.Namespace, Kind: f.Resource.Kind, Name: f.Resource.Name}
		if o := ix.locate(f.Resource); o != nil {
			subj.Labels = objectLabels(o)
		}
		for j, e := range all {
			if e.Expired(now) || !e.Matches(subj) {
				continue
			}
			matched[j]++
			f.Exception = &report.AppliedException{ID: e.ID, Justification: e.Justification, Approver: e.Approver, Ticket: e.Ticket, Expires: e.Expires, SelfDeclared: e.SelfDeclared}
			break
		}
	}
	rep.Exceptions = []report.ExceptionStatus{}
	for j, e := range all {
		st := report.ExceptionStatus{ID: e.ID, Matched: matched[j], Expires: e.Expires, SelfDeclared: e.SelfDeclared}
		switch {
		case e.Expired(now):
			st.Status = report.ExceptionExpired
		case matched[j] == 0:
			st.Status = report.ExceptionStale
		default:
			st.Status = report.ExceptionApplied
		}
		rep.Exceptions = append(rep.Exceptions, st)
	}
	sort.SliceStable(rep.Exceptions, func(i, j int) bool { return rep.Exceptions[i].ID < rep.Exceptions[j].ID })

	open := map[string]int{}
	for _, f := range rep.Findings {
		if f.Exception == nil {
			open[f.RuleID]++
		}
	}
	for i := range rep.Rules {
		r := &rep.Rules[i]
		if r.Status == report.StatusFail && open[r.ID] == 0 {
			r.Status, r.Reason = report.StatusExcepted, "every finding is covered by an exception"
		}
	}
	controls, err := rollUpResults(rep.Rules)
	if err != nil {
		return err
	}
	rep.Controls = controls
	rep.Summary = report.Summarize(rep)
	return nil
}

// SelfDeclaredExceptions reads the meshaudit.io/exceptions annotations of
// the snapshot's objects; a malformed annotation is an error naming the
// object.
func SelfDeclaredExceptions(s *snapshot.Snapshot) ([]exceptions.Exception, error) {
	var all []exceptions.Exception
	for i := range s.Objects {
		o := &s.Objects[i]
		md, _ := o.Object["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		v, ok := ann[exceptions.Annotation].(string)
		if !ok {
			continue
		}
		own, err := exceptions.SelfDeclared(v, s.Cluster, o.Namespace, o.Kind, o.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Ref().FQN(), err)
		}
		all = append(all, own...)
	}
	return all, nil
}

func objectLabels(o *snapshot.Object) map[string]string {
	md, _ := o.Object["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	out := make(map[string]string, len(l))
	for k, v := range l {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}
