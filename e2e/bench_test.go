package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/scanner"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The live-collection benchmarks (issue 3, item 10): a generated cluster of
// 10,000 (and, with MESHAUDIT_BENCH_LARGE=1, 50,000) objects of the kinds
// the collector lists, spread over 100 namespaces, on a control plane of
// their own (so the shared one stays clean, and everything goes when it
// stops), then collectors.FromCluster with the CLI's defaults (page size
// 500, 4 kinds at once, QPS 20 / burst 40). Reported per collection:
//
//	objects/s      objects collected per second of wall time
//	snap-MB        the snapshot's size in memory (heap retained by it)
//	json-MB        the snapshot's encoded size (meshaudit snapshot -o snapshot=FILE)
//	peak-heap-MB   peak HeapInuse during the collection, above the heap before it
//	peak-rss-MB    peak RSS (VmHWM, reset before the collection) above the RSS before it
//	heap/snap, rss/snap  the peaks over the snapshot's size: the target is ≤ 2
//
// Run (not part of plain go test; benchmarks run only with -bench):
//
//	go test ./e2e/ -run '^$' -bench LiveCollect10k -benchtime 1x -timeout 20m
//	MESHAUDIT_BENCH_LARGE=1 go test ./e2e/ -run '^$' -bench LiveCollect -benchtime 1x -timeout 30m

func BenchmarkLiveCollect10k(b *testing.B) { benchLiveCollect(b, 10_000) }

func BenchmarkLiveCollect50k(b *testing.B) {
	if os.Getenv("MESHAUDIT_BENCH_LARGE") != "1" {
		b.Skip("set MESHAUDIT_BENCH_LARGE=1 to create and collect 50,000 objects")
	}
	benchLiveCollect(b, 50_000)
}

const benchNamespaces = 100

// benchKind is one generated kind and its share of the objects.
type benchKind struct {
	gvr    schema.GroupVersionResource
	weight int
	object func(ns, name string, i int) map[string]any
}

var benchKinds = []benchKind{
	{schema.GroupVersionResource{Version: "v1", Resource: "pods"}, 30, benchPod},
	{schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, 15, benchDeployment},
	{schema.GroupVersionResource{Version: "v1", Resource: "services"}, 15, benchService},
	{schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, 10, benchServiceAccount},
	{schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}, 10, benchNetworkPolicy},
	{schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"}, 5, benchPeerAuthentication},
	{schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"}, 5, benchAuthorizationPolicy},
	{schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}, 5, benchDestinationRule},
	{schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}, 5, benchVirtualService},
}

func benchMeta(ns, name string, i int) map[string]any {
	return map[string]any{"name": name, "namespace": ns, "labels": map[string]any{
		"app": fmt.Sprintf("app-%d", i%50), "version": "v1", "team": fmt.Sprintf("team-%d", i%7),
	}}
}

func podSpec(i int) map[string]any {
	return map[string]any{
		"automountServiceAccountToken": false,
		"containers": []any{map[string]any{
			"name":  "app",
			"image": fmt.Sprintf("registry.example.com/team/app-%d:1.%d.0", i%50, i%10),
			"ports": []any{map[string]any{"containerPort": int64(8080), "name": "http"}},
			"env": []any{
				map[string]any{"name": "LOG_LEVEL", "value": "info"},
				map[string]any{"name": "DB_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db", "key": "password"}}},
			},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "100m", "memory": "128Mi"},
				"limits":   map[string]any{"cpu": "500m", "memory": "256Mi"},
			},
			"securityContext": map[string]any{"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
		}},
	}
}

func benchPod(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": benchMeta(ns, name, i), "spec": podSpec(i)}
}

func benchDeployment(ns, name string, i int) map[string]any {
	sel := map[string]any{"app": fmt.Sprintf("app-%d", i%50)}
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"replicas": int64(2), "selector": map[string]any{"matchLabels": sel},
		"template": map[string]any{"metadata": map[string]any{"labels": sel}, "spec": podSpec(i)},
	}}
}

func benchService(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		// Headless: envtest's service IP range holds 254 addresses.
		"clusterIP": "None",
		"selector":  map[string]any{"app": fmt.Sprintf("app-%d", i%50)},
		"ports":     []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}},
	}}
}

func benchServiceAccount(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": benchMeta(ns, name, i)}
}

func benchNetworkPolicy(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"podSelector": map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("app-%d", i%50)}},
		"policyTypes": []any{"Ingress"},
		"ingress":     []any{map[string]any{"from": []any{map[string]any{"podSelector": map[string]any{}}}}},
	}}
}

func benchPeerAuthentication(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("app-%d", i%50)}},
		"mtls":     map[string]any{"mode": "STRICT"},
	}}
}

func benchAuthorizationPolicy(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("app-%d", i%50)}},
		"action":   "ALLOW",
		"rules": []any{map[string]any{
			"from": []any{map[string]any{"source": map[string]any{"principals": []any{"cluster.local/ns/" + ns + "/sa/frontend"}}}},
			"to":   []any{map[string]any{"operation": map[string]any{"methods": []any{"GET"}, "paths": []any{"/api/*"}}}},
		}},
	}}
}

func benchDestinationRule(ns, name string, i int) map[string]any {
	return map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"host":          fmt.Sprintf("app-%d.%s.svc.cluster.local", i%50, ns),
		"trafficPolicy": map[string]any{"tls": map[string]any{"mode": "ISTIO_MUTUAL"}},
	}}
}

func benchVirtualService(ns, name string, i int) map[string]any {
	host := fmt.Sprintf("app-%d.%s.svc.cluster.local", i%50, ns)
	return map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": benchMeta(ns, name, i), "spec": map[string]any{
		"hosts": []any{host},
		"http":  []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": host}}}, "timeout": "5s"}},
	}}
}

func benchLiveCollect(b *testing.B, n int) {
	if shared == nil {
		b.Skip(missingBinaries)
	}
	start := time.Now()
	c, err := startCluster(fmt.Sprintf("bench-%d", n), true)
	if err != nil {
		b.Fatalf("start a control plane for the benchmark: %v", err)
	}
	defer func() {
		if err := c.stop(); err != nil {
			b.Errorf("stop the benchmark's control plane: %v", err)
		}
	}()
	b.Logf("control plane up in %s", time.Since(start).Round(100*time.Millisecond))

	start = time.Now()
	created := populate(b, c.cfg, n)
	b.Logf("created %d objects in %d namespaces in %s (%.0f/s)", created, benchNamespaces, time.Since(start).Round(100*time.Millisecond), float64(created)/time.Since(start).Seconds())

	clients, err := collectors.NewClients(c.cfg, 20, 40) // the CLI's defaults
	if err != nil {
		b.Fatal(err)
	}
	b.Run("collect", func(b *testing.B) {
		b.ReportAllocs()
		var m benchMeasure
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			m.before()
			b.StartTimer()
			t0 := time.Now()
			s, err := collectors.FromCluster(context.Background(), clients, collectors.LiveOptions{
				Cluster: "bench", RootNamespace: rootNamespace, ToolVersion: "bench", KindTimeout: 5 * time.Minute,
				Listing: scanner.ListingGC, // the scan's memory policy while listing
			})
			elapsed := time.Since(t0)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			m.after(b, s, elapsed, created)
			b.StartTimer()
		}
		m.report(b)
	})
}

// populate creates n objects of benchKinds (by weight) over the
// namespaces, with a bounded pool of workers and a raised client rate
// limit; it returns how many it created.
func populate(b *testing.B, cfg *rest.Config, n int) int {
	b.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 5000, 10000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	nsGVR := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	for i := 0; i < benchNamespaces; i++ {
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": fmt.Sprintf("bench-%03d", i), "labels": map[string]any{"istio-injection": "enabled"}}}}
		if _, err := dyn.Resource(nsGVR).Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatalf("create namespace: %v", err)
		}
	}
	total := 0
	for _, k := range benchKinds {
		total += k.weight
	}
	type job struct {
		k    benchKind
		ns   string
		name string
		i    int
	}
	jobs := make(chan job, 256)
	var created atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				u := &unstructured.Unstructured{Object: j.k.object(j.ns, j.name, j.i)}
				_, err := dyn.Resource(j.k.gvr).Namespace(j.ns).Create(ctx, u, metav1.CreateOptions{})
				if err != nil && !apierrors.IsAlreadyExists(err) {
					errOnce.Do(func() { firstErr = fmt.Errorf("create %s %s/%s: %w", j.k.gvr.Resource, j.ns, j.name, err) })
					continue
				}
				created.Add(1)
			}
		}()
	}
	i := 0
	for _, k := range benchKinds {
		count := n * k.weight / total
		for c := 0; c < count; c++ {
			ns := fmt.Sprintf("bench-%03d", i%benchNamespaces)
			jobs <- job{k: k, ns: ns, name: fmt.Sprintf("%s-%d", strings.TrimSuffix(k.gvr.Resource, "s"), c), i: i}
			i++
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return int(created.Load())
}

// benchMeasure samples the heap during a collection and keeps the worst
// figures over the iterations.
type benchMeasure struct {
	heapBefore, rssBefore uint64
	stop                  chan struct{}
	done                  chan uint64

	n                                                int
	objects                                          int
	objPerSec, snapMB, jsonMB, peakHeapMB, peakRSSMB float64
}

func (m *benchMeasure) before() {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heapBefore = ms.HeapInuse
	resetPeakRSS()
	m.rssBefore = procStatus("VmRSS")
	m.stop, m.done = make(chan struct{}), make(chan uint64)
	go func() {
		peak := uint64(0)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-m.stop:
				m.done <- peak
				return
			case <-t.C:
			}
		}
	}()
}

func (m *benchMeasure) after(b *testing.B, s *snapshot.Snapshot, elapsed time.Duration, created int) {
	close(m.stop)
	peakHeap := <-m.done
	peakRSS := procStatus("VmHWM")
	// The snapshot's size in memory: the heap it keeps alive.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	retained := ms.HeapAlloc
	kinds := s.Kinds
	objects := len(s.Objects)
	var cw countWriter
	if err := s.Write(&cw); err != nil {
		b.Fatal(err)
	}
	s = nil
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if retained > ms.HeapAlloc {
		retained -= ms.HeapAlloc
	} else {
		retained = 0
	}
	for _, k := range kinds {
		if k.Status != snapshot.StatusCollected && !(k.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Kind)) {
			b.Errorf("kind %s %s: %s", k.Kind, k.Status, k.Reason)
		}
	}
	if objects < created {
		b.Errorf("collected %d objects, created %d", objects, created)
	}
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	m.n++
	m.objects = objects
	m.objPerSec += float64(objects) / elapsed.Seconds()
	m.snapMB = max(m.snapMB, mb(retained))
	m.jsonMB = max(m.jsonMB, mb(uint64(cw)))
	if peakHeap > m.heapBefore {
		m.peakHeapMB = max(m.peakHeapMB, mb(peakHeap-m.heapBefore))
	}
	if peakRSS > m.rssBefore {
		m.peakRSSMB = max(m.peakRSSMB, mb(peakRSS-m.rssBefore))
	}
	b.Logf("collected %d objects in %s: %.0f objects/s; snapshot %.1f MB in memory, %.1f MB encoded; peak heap +%.1f MB, peak RSS +%.1f MB (RSS before %.1f MB, VmHWM %.1f MB)",
		objects, elapsed.Round(time.Millisecond), float64(objects)/elapsed.Seconds(), mb(retained), mb(uint64(cw)),
		mb(peakHeap-min(peakHeap, m.heapBefore)), mb(peakRSS-min(peakRSS, m.rssBefore)), mb(m.rssBefore), mb(peakRSS))
}

func (m *benchMeasure) report(b *testing.B) {
	if m.n == 0 {
		return
	}
	b.ReportMetric(float64(m.objects), "objects")
	b.ReportMetric(m.objPerSec/float64(m.n), "objects/s")
	b.ReportMetric(m.snapMB, "snap-MB")
	b.ReportMetric(m.jsonMB, "json-MB")
	b.ReportMetric(m.peakHeapMB, "peak-heap-MB")
	b.ReportMetric(m.peakRSSMB, "peak-rss-MB")
	if m.snapMB > 0 {
		b.ReportMetric(m.peakHeapMB/m.snapMB, "heap/snap")
		b.ReportMetric(m.peakRSSMB/m.snapMB, "rss/snap")
	}
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// procStatus reads a size field of /proc/self/status in bytes (0 where
// there is none).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			return 0
		}
		kb, _ := strconv.ParseUint(fs[0], 10, 64)
		return kb << 10
	}
	return 0
}

// resetPeakRSS resets VmHWM to the current RSS (Linux: clear_refs 5).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
