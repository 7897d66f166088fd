package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// fieldManager owns everything the tests apply (server-side apply).
const fieldManager = "meshaudit-e2e"

// loadManifests reads every .yaml/.yml/.json file under the paths (files or
// directories, recursively, in name order): multi-document YAML and List
// kinds are split into objects.
func loadManifests(t *testing.T, paths ...string) []*unstructured.Unstructured {
	t.Helper()
	var files []string
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				if !d.IsDir() {
					files = append(files, path)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read manifests %s: %v", p, err)
		}
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
		for {
			var doc map[string]any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				t.Fatalf("%s: %v", f, err)
			}
			if len(doc) == 0 {
				continue
			}
			out = append(out, expandList(&unstructured.Unstructured{Object: doc})...)
		}
		r.Close()
	}
	return out
}

func expandList(u *unstructured.Unstructured) []*unstructured.Unstructured {
	if !u.IsList() {
		return []*unstructured.Unstructured{u}
	}
	var out []*unstructured.Unstructured
	items, _, _ := unstructured.NestedSlice(u.Object, "items")
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, expandList(&unstructured.Unstructured{Object: m})...)
		}
	}
	return out
}

// appliedObject is one object the tests put on the API server.
type appliedObject struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

// applied records what an apply did, to undo it.
type applied struct {
	c       *cluster
	manager string
	objects []appliedObject // in apply order (namespaces excluded)
	created []string        // namespaces the apply created
	touched []string        // namespaces that existed and got applied over
}

func (c *cluster) mapping(u *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil && meta.IsNoMatchError(err) {
		c.mapper.Reset() // a CRD installed since the last discovery
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	return m, err
}

func (c *cluster) resource(m *meta.RESTMapping, ns string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(ns)
	}
	return c.dyn.Resource(m.Resource)
}

// apply server-side-applies the objects as cluster admin: namespaces first
// (the declared ones, and any a namespaced object uses), then the rest in
// order. Namespaced objects without a namespace go to "default", as in a
// file scan. t.Cleanup undoes it unless the caller does first.
func (c *cluster) apply(t *testing.T, objs []*unstructured.Unstructured) *applied {
	t.Helper()
	return c.applyAs(t, fieldManager, objs)
}

// applyAs is apply with another field manager.
func (c *cluster) applyAs(t *testing.T, manager string, objs []*unstructured.Unstructured) *applied {
	t.Helper()
	ctx := context.Background()
	a := &applied{c: c, manager: manager}
	type item struct {
		u *unstructured.Unstructured
		m *meta.RESTMapping
	}
	declaredNS := map[string]*unstructured.Unstructured{}
	var nsOrder []string
	var rest []item
	for _, u := range objs {
		u = u.DeepCopy()
		m, err := c.mapping(u)
		if err != nil {
			t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
		}
		if u.GetKind() == "Namespace" && u.GroupVersionKind().Group == "" {
			if declaredNS[u.GetName()] == nil {
				nsOrder = append(nsOrder, u.GetName())
			}
			declaredNS[u.GetName()] = u
			continue
		}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			if u.GetNamespace() == "" {
				u.SetNamespace("default")
			}
			if _, ok := declaredNS[u.GetNamespace()]; !ok {
				declaredNS[u.GetNamespace()] = nil
				nsOrder = append(nsOrder, u.GetNamespace())
			}
		} else {
			u.SetNamespace("")
		}
		rest = append(rest, item{u, m})
	}
	t.Cleanup(func() { a.cleanup(t) })
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for _, ns := range nsOrder {
		_, err := c.dyn.Resource(nsGVR).Get(ctx, ns, metav1.GetOptions{})
		existed := err == nil
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("get namespace %s: %v", ns, err)
		}
		u := declaredNS[ns]
		if u == nil {
			u = &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		}
		if existed {
			a.touched = append(a.touched, ns)
		} else {
			a.created = append(a.created, ns)
		}
		if _, err := c.dyn.Resource(nsGVR).Apply(ctx, ns, u, metav1.ApplyOptions{FieldManager: a.manager, Force: true}); err != nil {
			t.Fatalf("apply namespace %s: %v", ns, err)
		}
	}
	for _, it := range rest {
		if _, err := c.resource(it.m, it.u.GetNamespace()).Apply(ctx, it.u.GetName(), it.u, metav1.ApplyOptions{FieldManager: a.manager, Force: true}); err != nil {
			t.Fatalf("apply %s %s/%s: %v", it.u.GetKind(), it.u.GetNamespace(), it.u.GetName(), err)
		}
		a.objects = append(a.objects, appliedObject{gvr: it.m.Resource, namespace: it.u.GetNamespace(), name: it.u.GetName()})
	}
	return a
}

// cleanup deletes what the apply created, in reverse order, and gives
// namespaces that existed before back their own fields. No controller
// manager runs, so a deleted namespace would stay Terminating: the test
// finalizes it itself (it is empty by then: its objects were deleted one
// by one).
func (a *applied) cleanup(t *testing.T) {
	if a == nil || a.c == nil {
		return
	}
	c := a.c
	a.c = nil // once
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bg := metav1.DeletePropagationBackground
	for i := len(a.objects) - 1; i >= 0; i-- {
		o := a.objects[i]
		var ri dynamic.ResourceInterface = c.dyn.Resource(o.gvr)
		if o.namespace != "" {
			ri = c.dyn.Resource(o.gvr).Namespace(o.namespace)
		}
		if err := ri.Delete(ctx, o.name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cleanup: delete %s %s/%s: %v", o.gvr.Resource, o.namespace, o.name, err)
		}
	}
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for _, ns := range a.touched {
		// Applying an empty object with the same field manager removes
		// the labels and annotations the fixture set.
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
		if _, err := c.dyn.Resource(nsGVR).Apply(ctx, ns, u, metav1.ApplyOptions{FieldManager: a.manager, Force: true}); err != nil {
			t.Errorf("cleanup: restore namespace %s: %v", ns, err)
		}
	}
	for _, ns := range a.created {
		if err := c.deleteNamespace(ctx, ns); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

// deleteNamespace deletes an (emptied) namespace and finalizes it, as the
// namespace controller would.
func (c *cluster) deleteNamespace(ctx context.Context, name string) error {
	nsi := c.cs.CoreV1().Namespaces()
	if err := nsi.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	for {
		ns, err := nsi.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("namespace %s: %w", name, err)
		}
		if len(ns.Spec.Finalizers) > 0 {
			ns.Spec.Finalizers = nil
			if _, err := nsi.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("finalize namespace %s: %w", name, err)
			}
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("namespace %s still there: %w", name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
