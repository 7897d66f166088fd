package openreports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"
)

// FieldManager is the server-side apply field manager of meshaudit's writes.
const FieldManager = "meshaudit"

// GVRs of the OpenReports resources.
var (
	ReportsGVR        = schema.GroupVersionResource{Group: OpenReportsGroup, Version: "v1alpha1", Resource: "reports"}
	ClusterReportsGVR = schema.GroupVersionResource{Group: OpenReportsGroup, Version: "v1alpha1", Resource: "clusterreports"}
)

// DefaultBackoff retries a failed request four times, 0.25 s to 2 s apart.
var DefaultBackoff = wait.Backoff{Steps: 5, Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Cap: 5 * time.Second}

// DefaultTimeout bounds a whole Write.
const DefaultTimeout = 2 * time.Minute

// Writer writes a scan's OpenReports objects to the scanned cluster.
type Writer struct {
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Namespaces the scan was limited to (-n); stale reports are deleted
	// only there. Empty: the whole cluster.
	Namespaces []string
	// Backoff of the retries of each request (zero: DefaultBackoff):
	// timeouts, 429, 5xx, conflicts and broken connections are retried.
	Backoff wait.Backoff
	// Timeout of the whole write (0: DefaultTimeout).
	Timeout time.Duration
	// Concurrency: objects applied at the same time (0: 4).
	Concurrency int
}

// NewWriter builds a Writer's clients from a REST config.
func NewWriter(cfg *rest.Config) (*Writer, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "meshaudit (reports)"
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Writer{Dynamic: dyn, Discovery: disc}, nil
}

// Outcome is what a Write did, each entry "Kind namespace/name".
type Outcome struct {
	Applied []string
	Deleted []string
	// Skipped: reports of namespaces deleted (or being deleted) since the
	// scan; their results are moot.
	Skipped []string
}

// Write server-side applies objs (from Build) with field manager
// meshaudit, then deletes meshaudit's reports (label
// app.kubernetes.io/managed-by=meshaudit) that objs do not hold any more —
// in the scanned namespaces only — so no stale result survives. Every
// request is retried on transient errors; the whole write is bounded by
// Timeout. The error names every object that could not be written or
// deleted; the others are written regardless.
func (w *Writer) Write(ctx context.Context, objs []*unstructured.Unstructured) (Outcome, error) {
	var out Outcome
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := w.checkAPI(ctx); err != nil {
		return out, err
	}
	want := map[string]bool{}
	for _, o := range objs {
		if o.GetAPIVersion() != OpenReportsVersion {
			return out, fmt.Errorf("%s %s: only %s objects are written", o.GetKind(), name(o.GetNamespace(), o.GetName()), OpenReportsVersion)
		}
		want[key(o.GetKind(), o.GetNamespace(), o.GetName())] = true
	}

	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, max(1, w.concurrency()))
	var wg sync.WaitGroup
	for _, o := range objs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			k := key(o.GetKind(), o.GetNamespace(), o.GetName())
			body, err := json.Marshal(o.Object)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("apply %s: %w", k, err))
				mu.Unlock()
				return
			}
			force := true
			err = w.retry(ctx, func(ctx context.Context) error {
				_, err := w.resource(o.GetKind(), o.GetNamespace()).Patch(ctx, o.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
					FieldManager: FieldManager, Force: &force,
					// A field the CRD does not know is an error, never
					// silently pruned.
					FieldValidation: metav1.FieldValidationStrict,
				})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out.Applied = append(out.Applied, k)
			case namespaceGone(err):
				out.Skipped = append(out.Skipped, k)
			default:
				errs = append(errs, fmt.Errorf("apply %s: %w", k, err))
			}
		}()
	}
	wg.Wait()

	stale, err := w.stale(ctx, want)
	if err != nil {
		errs = append(errs, err)
	}
	for _, s := range stale {
		k := key(s.GetKind(), s.GetNamespace(), s.GetName())
		uid := s.GetUID()
		gone := false
		err := w.retry(ctx, func(ctx context.Context) error {
			err := w.resource(s.GetKind(), s.GetNamespace()).Delete(ctx, s.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) { // gone, or replaced since listed
				gone, err = true, nil
			}
			return err
		})
		switch {
		case err == nil && !gone:
			out.Deleted = append(out.Deleted, k)
		case err == nil:
		default:
			errs = append(errs, fmt.Errorf("delete stale %s: %w", k, err))
		}
	}
	sort.Strings(out.Applied)
	sort.Strings(out.Deleted)
	sort.Strings(out.Skipped)
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return out, errors.Join(errs...)
}

func (w *Writer) concurrency() int {
	if w.Concurrency > 0 {
		return w.Concurrency
	}
	return 4
}

// checkAPI: the cluster serves openreports.io/v1alpha1 reports and
// clusterreports (the CRDs of deploy/crds are installed).
func (w *Writer) checkAPI(ctx context.Context) error {
	var rl *metav1.APIResourceList
	err := w.retry(ctx, func(context.Context) error {
		var err error
		rl, err = w.Discovery.ServerResourcesForGroupVersion(OpenReportsVersion)
		return err
	})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("the cluster does not serve %s: install the OpenReports CRDs (kubectl apply --server-side -f deploy/crds/)", OpenReportsVersion)
	}
	if err != nil {
		return fmt.Errorf("discover %s: %w", OpenReportsVersion, err)
	}
	have := map[string]bool{}
	for _, r := range rl.APIResources {
		have[r.Name] = true
	}
	for _, r := range []string{ReportsGVR.Resource, ClusterReportsGVR.Resource} {
		if !have[r] {
			return fmt.Errorf("the cluster serves %s without %s: install the OpenReports CRDs (kubectl apply --server-side -f deploy/crds/)", OpenReportsVersion, r)
		}
	}
	return nil
}

// stale lists meshaudit's reports not in want: ClusterReports, and Reports
// of the scanned namespaces (every namespace when the scan was not limited).
func (w *Writer) stale(ctx context.Context, want map[string]bool) ([]*unstructured.Unstructured, error) {
	sel := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}
	type list struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	lists := []list{{ClusterReportsGVR, ""}}
	if len(w.Namespaces) == 0 {
		lists = append(lists, list{ReportsGVR, metav1.NamespaceAll})
	}
	for _, ns := range w.Namespaces {
		lists = append(lists, list{ReportsGVR, ns})
	}
	var out []*unstructured.Unstructured
	for _, l := range lists {
		var ri dynamic.ResourceInterface = w.Dynamic.Resource(l.gvr)
		if l.gvr == ReportsGVR {
			ri = w.Dynamic.Resource(l.gvr).Namespace(l.ns)
		}
		p := pager.New(pager.SimplePageFunc(func(opts metav1.ListOptions) (runtime.Object, error) {
			var res *unstructured.UnstructuredList
			err := w.retry(ctx, func(ctx context.Context) error {
				var err error
				res, err = ri.List(ctx, opts)
				return err
			})
			return res, err
		}))
		p.PageSize = 500
		err := p.EachListItem(ctx, sel, func(obj runtime.Object) error {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return fmt.Errorf("unexpected list item %T", obj)
			}
			if u.GetLabels()[ManagedByLabel] == ManagedBy && !want[key(u.GetKind(), u.GetNamespace(), u.GetName())] {
				out = append(out, u)
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("list %s to delete stale ones: %w", l.gvr.Resource, err)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return key(out[i].GetKind(), out[i].GetNamespace(), out[i].GetName()) < key(out[j].GetKind(), out[j].GetNamespace(), out[j].GetName())
	})
	return out, nil
}

func (w *Writer) resource(kind, ns string) dynamic.ResourceInterface {
	if kind == KindClusterReport {
		return w.Dynamic.Resource(ClusterReportsGVR)
	}
	return w.Dynamic.Resource(ReportsGVR).Namespace(ns)
}

// retry runs op with exponential backoff (apimachinery's wait) while it
// fails transiently, within ctx.
func (w *Writer) retry(ctx context.Context, op func(context.Context) error) error {
	b := w.Backoff
	if b.Steps == 0 {
		b = DefaultBackoff
	}
	var last error
	attempts := 0
	err := wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		attempts++
		last = op(ctx)
		switch {
		case last == nil:
			return true, nil
		case Transient(last):
			return false, nil
		}
		return false, last
	})
	if err != nil && wait.Interrupted(err) && last != nil {
		return fmt.Errorf("%w (gave up after %d attempt(s))", last, attempts)
	}
	return err
}

// Transient reports whether a request may succeed when retried: server
// timeouts, 429, 500, 503, conflicts and broken or refused connections.
func Transient(err error) bool {
	if apierrors.IsRequestEntityTooLargeError(err) || strings.Contains(err.Error(), "request is too large") {
		return false // etcd's limit, reported as a 500: the same request fails again
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsConflict(err) ||
		utilnet.IsConnectionReset(err) || utilnet.IsConnectionRefused(err) || utilnet.IsProbableEOF(err)
}

// namespaceGone: the report's namespace was deleted, or is being deleted,
// since the scan.
func namespaceGone(err error) bool {
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return true
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) && apierrors.IsNotFound(err) {
		d := se.Status().Details
		return d != nil && d.Kind == "namespaces"
	}
	return false
}

func key(kind, ns, n string) string { return kind + " " + name(ns, n) }

func name(ns, n string) string {
	if ns == "" {
		return n
	}
	return ns + "/" + n
}

// String summarises an outcome for the terminal.
func (o Outcome) String() string {
	s := fmt.Sprintf("%d report(s) applied, %d stale deleted", len(o.Applied), len(o.Deleted))
	if len(o.Skipped) > 0 {
		s += fmt.Sprintf(", %d skipped (namespace deleted since the scan: %s)", len(o.Skipped), strings.Join(o.Skipped, ", "))
	}
	return s
}
