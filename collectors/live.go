package collectors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Clients are the read-only interfaces the live collector uses; tests may
// hand in fakes, the end-to-end tests a real API server.
type Clients struct {
	Discovery discovery.DiscoveryInterface
	Dynamic   dynamic.Interface
	Metadata  metadata.Interface
	Server    string // API server URL, recorded in the snapshot
}

// KubeConfig resolves a REST config with kubectl's loading rules: an
// explicit kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the
// in-cluster config; context overrides the current context. It returns
// the context name ("in-cluster" when none).
func KubeConfig(kubeconfig, context string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	name := context
	if name == "" {
		if raw, err := cc.RawConfig(); err == nil && raw.CurrentContext != "" {
			name = raw.CurrentContext
		} else {
			name = "in-cluster"
		}
	}
	return cfg, name, nil
}

// Contexts lists the context names of the kubeconfig, sorted.
func Contexts(kubeconfig string) ([]string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	var out []string
	for name := range raw.Contexts {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// NewClients builds the clients from a REST config, with the QPS and burst
// given (0 keeps client-go's defaults).
func NewClients(cfg *rest.Config, qps float32, burst int) (*Clients, error) {
	cfg = rest.CopyConfig(cfg)
	if qps > 0 {
		cfg.QPS = qps
	}
	if burst > 0 {
		cfg.Burst = burst
	}
	cfg.UserAgent = "meshaudit (read-only)"
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return faultRecorder{rt} })
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return &Clients{Discovery: disc, Dynamic: dyn, Metadata: md, Server: cfg.Host}, nil
}

// LiveOptions configure a live collection.
type LiveOptions struct {
	Cluster       string
	RootNamespace string
	ToolVersion   string
	PageSize      int64         // items per list page (default 500)
	Concurrency   int           // kinds listed at once (default 4)
	KindTimeout   time.Duration // per kind, all pages and retries (default 2m)
	Retries       int           // attempts per request on transient errors (default 5)
	SecretNames   bool          // also list Secret names (metadata only)
	Now           func() time.Time
	// Progress, when set, is called after each page and each finished kind.
	Progress func(p Progress)
	// Convert, when set, is called on each object once redacted, from the
	// listing goroutines, page by page (see FileOptions.Convert).
	Convert func(*snapshot.Object)
	// Listing, when set, is called as the listing starts, and the function
	// it returns as it ends: a hint for the process's memory policy
	// (scanner.ListingGC lowers the GC target meanwhile). The collector
	// never changes the garbage collector's settings itself.
	Listing func() (done func())
	// notices collects the validity notices of the objects listed (set
	// by FromCluster).
	notices *noticeSink
	// Namespaces, when set (-n), limits the listing of namespaced kinds to
	// these namespaces, plus the root namespace for the kinds mesh-wide
	// rules read there (snapshot.MeshWide); the snapshot is then limited
	// with Snapshot.KeepNamespaces.
	Namespaces []string
}

// Progress reports collection progress.
type Progress struct {
	Cluster   string
	Kind      string
	Objects   int  // objects of this kind so far
	KindDone  bool // this kind is finished
	KindsDone int
	Kinds     int
}

func (o *LiveOptions) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.KindTimeout <= 0 {
		o.KindTimeout = 2 * time.Minute
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RootNamespace == "" {
		o.RootNamespace = "istio-system"
	}
}

// FromCluster lists every kind of LiveKinds (and Secret names when enabled)
// and returns the redacted snapshot. Per-kind failures are recorded as kind
// statuses, never returned as errors: the caller always gets a snapshot.
// The error is for when nothing could be read at all (discovery failed).
// ctx bounds the whole collection.
func FromCluster(ctx context.Context, c *Clients, opts LiveOptions) (*snapshot.Snapshot, error) {
	opts.defaults()
	if opts.Listing != nil {
		defer opts.Listing()()
	}
	// client-go logs what it retries or fails to read (a body cut short...)
	// through the context's logger, else klog's global one on stderr: the
	// collector records those errors in the kind statuses instead.
	ctx = klog.NewContext(ctx, logr.Discard())
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Cluster:       opts.Cluster,
		Source:        snapshot.Source{Type: snapshot.SourceCluster, Inputs: []string{c.Server}},
		CollectedAt:   opts.Now().UTC().Format(time.RFC3339),
		ToolVersion:   opts.ToolVersion,
		Kinds:         []snapshot.KindStatus{},
		ParseErrors:   []snapshot.ParseError{},
		Objects:       []snapshot.Object{},
	}
	opts.notices = &noticeSink{}
	served, discErr := discover(ctx, c.Discovery, opts.Retries)
	if served == nil {
		return nil, fmt.Errorf("discover API resources of %s: %w", c.Server, discErr)
	}
	kinds := LiveKinds
	if opts.SecretNames {
		kinds = append(append([]KindSpec{}, kinds...), SecretKind)
	}
	var mu sync.Mutex
	done := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for _, k := range kinds {
		g.Go(func() error {
			st, objs := collectKind(gctx, c, served, k, opts)
			mu.Lock()
			defer mu.Unlock()
			s.Kinds = append(s.Kinds, st)
			s.Objects = append(s.Objects, objs...)
			done++
			if opts.Progress != nil {
				opts.Progress(Progress{Cluster: opts.Cluster, Kind: k.Key(), Objects: st.Count, KindDone: true, KindsDone: done, Kinds: len(kinds)})
			}
			return nil
		})
	}
	_ = g.Wait()
	s.Notices = opts.notices.list
	s.Sort()
	return s, nil
}

// servedResources maps "group/resource" to the served versions, and records
// groups whose discovery failed.
type servedResources struct {
	versions map[string]map[string]bool // group/resource → version set
	failed   map[string]error           // group → discovery error
}

func discover(ctx context.Context, d discovery.DiscoveryInterface, retries int) (*servedResources, error) {
	var lists []*metav1.APIResourceList
	var partial error
	err := retryTransient(ctx, retries, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Discovery takes no context: run it aside so that cancellation
		// (SIGTERM, --timeout) is not held up by a hanging server.
		type result struct {
			lists []*metav1.APIResourceList
			err   error
		}
		ch := make(chan result, 1)
		go func() {
			_, l, err := d.ServerGroupsAndResources()
			ch <- result{l, err}
		}()
		var err error
		select {
		case r := <-ch:
			lists, err = r.lists, r.err
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil && discovery.IsGroupDiscoveryFailedError(err) {
			partial = err // some groups failed: their kinds are errors
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sr := &servedResources{versions: map[string]map[string]bool{}, failed: map[string]error{}}
	var gdf *discovery.ErrGroupDiscoveryFailed
	if errors.As(partial, &gdf) {
		for gv, e := range gdf.Groups {
			sr.failed[gv.Group] = e
		}
	}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // subresource
			}
			key := gv.Group + "/" + r.Name
			if sr.versions[key] == nil {
				sr.versions[key] = map[string]bool{}
			}
			sr.versions[key][gv.Version] = true
		}
	}
	return sr, nil
}

func backoff(retries int) wait.Backoff {
	return wait.Backoff{Steps: retries, Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Cap: 5 * time.Second}
}

// retryTransient calls fn until it succeeds, fails with an error that is
// not transient, has been tried `retries` times, or ctx is done. Unlike
// retry.OnError its backoff sleep ends with ctx, so that the retries of a
// kind stay within --kind-timeout. When ctx ends the retries, the error
// keeps the last transient error seen (throttled, reset...) for the
// kind's reason.
func retryTransient(ctx context.Context, retries int, fn func() error) error {
	b := backoff(retries)
	var last error
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return &budgetError{err: err, last: last}
		}
		if !transient(err) || b.Steps <= 1 {
			return err
		}
		last = err
		t := time.NewTimer(b.Step())
		select {
		case <-ctx.Done():
			t.Stop()
			return &budgetError{err: ctx.Err(), last: last}
		case <-t.C:
		}
	}
}

// budgetError: the time ran out while retrying; last is the transient
// error the retries were for (nil when none was seen).
type budgetError struct {
	err, last error
}

func (e *budgetError) Error() string {
	if e.last == nil {
		return e.err.Error()
	}
	return fmt.Sprintf("%v (last error: %v)", e.err, e.last)
}

func (e *budgetError) Unwrap() error { return e.err }

// lastFault is the last throttled or failed response of one kind's
// requests. client-go retries a 429 or 5xx with Retry-After itself (up to
// 10 times, sleeping as told, within the request's context) and returns no
// error until it gives up, so a kind that times out while throttled would
// otherwise say only "timed out".
type lastFault struct {
	mu  sync.Mutex
	msg string
}

type lastFaultKey struct{}

func (l *lastFault) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msg
}

// faultRecorder notes failed responses in the request context's lastFault.
type faultRecorder struct{ rt http.RoundTripper }

func (f faultRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.rt.RoundTrip(req)
	l, _ := req.Context().Value(lastFaultKey{}).(*lastFault)
	if l == nil || req.Context().Err() != nil {
		return resp, err
	}
	msg := ""
	switch {
	case err != nil:
		msg = err.Error()
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		msg = fmt.Sprintf("%d %s", resp.StatusCode, strings.ToLower(http.StatusText(resp.StatusCode)))
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			msg += ", Retry-After " + ra + "s"
		}
	}
	if msg != "" {
		l.mu.Lock()
		l.msg = msg
		l.mu.Unlock()
	}
	return resp, err
}

// cause is what a kind's time was spent on when it timed out: the last
// transient error retried, else what client-go's own retries (429 and 5xx
// with Retry-After, connection resets on GETs) report as the error of a
// previous attempt; "" when the server was just slow.
func cause(err error) string {
	var be *budgetError
	if errors.As(err, &be) && be.last != nil {
		return be.last.Error()
	}
	if _, prev, ok := strings.Cut(err.Error(), "error from a previous attempt: "); ok {
		return prev
	}
	return ""
}

// transient: worth retrying (throttling, server errors, timeouts, resets).
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		code := se.Status().Code
		return code == 429 || code >= 500
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	// A response cut short: the connection closed mid-body (unexpected
	// EOF, an HTTP/2 stream error), or a body that ends before its JSON
	// does (a proxy or load balancer that truncated it).
	msg := err.Error()
	for _, s := range []string{"connection reset", "EOF", "connection refused", "broken pipe",
		"stream error", "unexpected end of JSON input", "json parse error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func collectKind(ctx context.Context, c *Clients, served *servedResources, k KindSpec, opts LiveOptions) (snapshot.KindStatus, []snapshot.Object) {
	st := snapshot.KindStatus{Kind: k.Key()}
	if e, ok := served.failed[k.Group]; ok {
		st.Status, st.Reason = snapshot.StatusError, "discovery of group "+k.Group+" failed: "+e.Error()
		return st, nil
	}
	version := ""
	for _, v := range k.Versions {
		if served.versions[k.Group+"/"+k.Resource][v] {
			version = v
			break
		}
	}
	if version == "" {
		st.Status, st.Reason = snapshot.StatusAbsent, fmt.Sprintf("%s is not served by the API server", groupResource(k))
		return st, nil
	}
	gvr := schema.GroupVersionResource{Group: k.Group, Version: version, Resource: k.Resource}
	limit := timeLimit(ctx, opts.KindTimeout)
	kctx, cancel := context.WithTimeout(ctx, opts.KindTimeout)
	defer cancel()
	faults := &lastFault{}
	kctx = context.WithValue(kctx, lastFaultKey{}, faults)
	var objs []snapshot.Object
	var err error
	switch {
	case k.RootOnly:
		objs, err = listMeshConfigMaps(kctx, c, gvr, opts)
	case k.MetadataOnly:
		objs, err = listMetadata(kctx, c, gvr, k, opts)
	default:
		objs, err = listAll(kctx, c, gvr, k, opts)
	}
	if err != nil {
		st.Status, st.Reason = classify(err, k, limit, faults.get())
		return st, nil
	}
	if opts.Convert != nil {
		for i := range objs {
			opts.Convert(&objs[i]) // metadata-only lists, mesh ConfigMaps (listAll's are converted)
		}
	}
	st.Status, st.Count = snapshot.StatusCollected, len(objs)
	return st, objs
}

func groupResource(k KindSpec) string {
	if k.Group == "" {
		return k.Resource
	}
	return k.Resource + "." + k.Group
}

// timeLimit names the limit a kind's list runs under from now: its own
// --kind-timeout, or what remains of the collection's --timeout when that
// ends first (a 15 s --timeout is not reported as the 2 m kind timeout).
func timeLimit(ctx context.Context, kindTimeout time.Duration) string {
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < kindTimeout {
			return fmt.Sprintf("%s (the collection's --timeout)", left.Round(100*time.Millisecond))
		}
	}
	return kindTimeout.String()
}

// classify gives a kind's status and reason from its list error; lastFault
// is the last failed response its requests got (see faultRecorder).
func classify(err error, k KindSpec, timeout string, lastFault string) (string, string) {
	switch {
	case apierrors.IsForbidden(err):
		return snapshot.StatusForbidden, fmt.Sprintf("list %s forbidden: %s", groupResource(k), apierrors.ReasonForError(err))
	case apierrors.IsNotFound(err):
		return snapshot.StatusAbsent, fmt.Sprintf("%s is not served by the API server", groupResource(k))
	case errors.Is(err, context.DeadlineExceeded):
		reason := fmt.Sprintf("list %s: timed out after %s", groupResource(k), timeout)
		if c := cause(err); c != "" {
			reason += " (retrying: " + c + ")"
		} else if lastFault != "" {
			reason += " (retrying: " + lastFault + ")"
		}
		return snapshot.StatusError, reason
	}
	return snapshot.StatusError, fmt.Sprintf("list %s: %v", groupResource(k), err)
}

// paginate runs a paginated list: page(cont) returns one page's objects
// and the continue token. Transient errors are retried with backoff; a 410
// Gone on a continue token restarts the list from scratch (a bounded number
// of times).
func paginate(ctx context.Context, opts LiveOptions, kind string, page func(cont string) ([]snapshot.Object, string, error)) ([]snapshot.Object, error) {
	for restart := 0; ; restart++ {
		var out []snapshot.Object
		cont := ""
		for {
			var objs []snapshot.Object
			var next string
			err := retryTransient(ctx, opts.Retries, func() error {
				var err error
				objs, next, err = page(cont)
				return err
			})
			if err != nil && (apierrors.IsResourceExpired(err) || apierrors.IsGone(err)) {
				if restart >= opts.Retries {
					return nil, fmt.Errorf("continue token expired %d times: %w", restart+1, err)
				}
				break // restart the whole list
			}
			if err != nil && cont != "" && apierrors.IsNotFound(err) {
				// The kind vanished mid-list (CRD deleted): partial data is
				// an error, never "absent" (which would read as collected).
				return nil, fmt.Errorf("kind disappeared while listing (page after %d objects): %v", len(out), err)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
			if opts.Progress != nil && kind != "" {
				opts.Progress(Progress{Cluster: opts.Cluster, Kind: kind, Objects: len(out)})
			}
			if next == "" {
				return out, nil
			}
			cont = next
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// listAll lists every object of a kind across namespaces, page by page.
// With opts.Namespaces, a namespaced kind is listed in those namespaces
// only (and in the root namespace when mesh-wide rules read it there).
func listAll(ctx context.Context, c *Clients, gvr schema.GroupVersionResource, k KindSpec, opts LiveOptions) ([]snapshot.Object, error) {
	if len(opts.Namespaces) == 0 || !k.Namespaced {
		return listIn(ctx, c, gvr, k, opts, metav1.NamespaceAll)
	}
	namespaces := append([]string{}, opts.Namespaces...)
	if snapshot.MeshWide(k.Kind, opts.RootNamespace, "", opts.RootNamespace) && !slices.Contains(namespaces, opts.RootNamespace) {
		namespaces = append(namespaces, opts.RootNamespace)
	}
	var all []snapshot.Object
	for _, ns := range namespaces {
		objs, err := listIn(ctx, c, gvr, k, opts, ns)
		if err != nil {
			return nil, err
		}
		all = append(all, objs...)
	}
	return all, nil
}

// listIn lists every object of a kind in one namespace (or all), page by
// page.
func listIn(ctx context.Context, c *Clients, gvr schema.GroupVersionResource, k KindSpec, opts LiveOptions, ns string) ([]snapshot.Object, error) {
	return paginate(ctx, opts, k.Key(), func(cont string) ([]snapshot.Object, string, error) {
		l, err := c.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
		if err != nil {
			return nil, "", err
		}
		objs := make([]snapshot.Object, 0, len(l.Items))
		for i := range l.Items {
			objs = append(objs, liveObject(gvr, k, l.Items[i].Object, opts.RootNamespace))
			opts.notices.validate(&objs[len(objs)-1])
			if opts.Convert != nil {
				opts.Convert(&objs[len(objs)-1])
			}
			l.Items[i].Object = nil // the page's items are garbage as they are converted
		}
		return objs, l.GetContinue(), nil
	})
}

// listMetadata lists names and labels only (PartialObjectMetadata).
func listMetadata(ctx context.Context, c *Clients, gvr schema.GroupVersionResource, k KindSpec, opts LiveOptions) ([]snapshot.Object, error) {
	return paginate(ctx, opts, k.Key(), func(cont string) ([]snapshot.Object, string, error) {
		l, err := c.Metadata.Resource(gvr).List(ctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
		if err != nil {
			return nil, "", err
		}
		objs := make([]snapshot.Object, 0, len(l.Items))
		for _, it := range l.Items {
			md := map[string]any{"name": it.Name, "namespace": it.Namespace}
			if len(it.Labels) > 0 {
				lbl := map[string]any{}
				for k, v := range it.Labels {
					lbl[k] = v
				}
				md["labels"] = lbl
			}
			obj := map[string]any{"apiVersion": gvr.GroupVersion().String(), "kind": k.Kind, "metadata": md}
			objs = append(objs, liveObject(gvr, k, obj, opts.RootNamespace))
		}
		return objs, l.Continue, nil
	})
}

// listMeshConfigMaps reads only Istio's mesh ConfigMaps: names are listed
// through the metadata client in the root namespace, and only `istio` and
// `istio-<revision>` are fetched; no other ConfigMap's data is ever read.
func listMeshConfigMaps(ctx context.Context, c *Clients, gvr schema.GroupVersionResource, opts LiveOptions) ([]snapshot.Object, error) {
	// Names only, paginated like every list.
	var names []metav1.PartialObjectMetadata
	_, err := paginate(ctx, opts, "", func(cont string) ([]snapshot.Object, string, error) {
		l, err := c.Metadata.Resource(gvr).Namespace(opts.RootNamespace).List(ctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
		if err != nil {
			return nil, "", err
		}
		if cont == "" {
			names = names[:0]
		}
		names = append(names, l.Items...)
		return nil, l.Continue, nil
	})
	if err != nil {
		return nil, err
	}
	var out []snapshot.Object
	for _, it := range names {
		if !snapshot.IsMeshConfigMap(it.Namespace, it.Name, opts.RootNamespace) {
			continue
		}
		var obj map[string]any
		err := retryTransient(ctx, opts.Retries, func() error {
			u, err := c.Dynamic.Resource(gvr).Namespace(it.Namespace).Get(ctx, it.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			obj = u.Object
			return nil
		})
		if apierrors.IsNotFound(err) {
			continue // deleted since listed
		}
		if err != nil {
			return nil, err
		}
		if data, _ := obj["data"].(map[string]any); data["mesh"] == nil {
			continue // istio-ca-root-cert, istio-sidecar-injector, ...: not mesh config
		}
		out = append(out, liveObject(gvr, KindSpec{Kind: "ConfigMap"}, obj, opts.RootNamespace))
	}
	return out, nil
}

// noticeSink gathers the validity notices of a live collection: the API
// server accepted every object, but an Istio object can still hold fields
// or enum values its API type does not know (a CRD without a strict
// schema, a newer Istio), as istioctl validate would say.
type noticeSink struct {
	mu   sync.Mutex
	list []snapshot.Notice
}

func (n *noticeSink) validate(o *snapshot.Object) {
	if n == nil || !snapshot.IstioKind(o.Key()) {
		return
	}
	issues, _ := validateIstio(o.APIVersion, o.Kind, o.Object)
	if len(issues) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, is := range issues {
		n.list = append(n.list, snapshot.Notice{Kind: snapshot.NoticeValidity, Object: o.Ref().FQN(), Field: is.path, Message: is.msg})
	}
}

func liveObject(gvr schema.GroupVersionResource, k KindSpec, obj map[string]any, root string) snapshot.Object {
	if obj["apiVersion"] == nil {
		obj["apiVersion"] = gvr.GroupVersion().String()
	}
	if obj["kind"] == nil {
		obj["kind"] = k.Kind
	}
	snapshot.DropNulls(obj)
	snapshot.Redact(k.Kind, obj, root)
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	ns, _ := md["namespace"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	return snapshot.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: obj}
}
