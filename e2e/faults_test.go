package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/meshaudit/meshaudit/internal/testutil"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The fault tests put a reverse proxy on loopback in front of the real API
// server (TLS upstream with the admin's client certificate, plain HTTP
// towards meshaudit, whose kubeconfig points at the proxy) and inject API
// faults per test: throttling with Retry-After, server errors, connection
// resets, slow and truncated responses, 410 Gone on a continue token and a
// forbidden kind. Transient faults that recover must give the same reports
// as a fault-free scan; faults that do not recover must leave the kind
// not collected, with the reason, and every rule reading it unknown in
// every output (JSON, SARIF notifications, table) — never pass — within
// the --kind-timeout budget.

// faultRule injects a fault into the requests it matches, the first times
// of them (times < 0: every one).
type faultRule struct {
	name  string
	match func(r *http.Request) bool
	times int
	do    func(w http.ResponseWriter, r *http.Request, next http.Handler)
	hits  int
}

// faultProxy is the fault-injecting reverse proxy.
type faultProxy struct {
	srv        *httptest.Server
	next       http.Handler
	kubeconfig string

	mu    sync.Mutex
	rules []*faultRule
	log   []string // "GET /path?query -> fault name" of every request
}

const faultContext = "faults"

func newFaultProxy(t *testing.T, c *cluster) *faultProxy {
	t.Helper()
	target, err := url.Parse(c.cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := rest.TransportFor(c.cfg) // TLS, admin client certificate
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	p.next = &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: rt,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil {
				w.WriteHeader(http.StatusBadGateway)
			}
		},
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)

	kc := clientcmdapi.NewConfig()
	kc.Clusters[faultContext] = &clientcmdapi.Cluster{Server: p.srv.URL}
	kc.AuthInfos[faultContext] = &clientcmdapi.AuthInfo{}
	kc.Contexts[faultContext] = &clientcmdapi.Context{Cluster: faultContext, AuthInfo: faultContext}
	kc.CurrentContext = faultContext
	p.kubeconfig = filepath.Join(t.TempDir(), "proxy.kubeconfig")
	if err := clientcmd.WriteToFile(*kc, p.kubeconfig); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	var hit *faultRule
	for _, f := range p.rules {
		if f.match(r) && (f.times < 0 || f.hits < f.times) {
			f.hits++
			hit = f
			break
		}
	}
	entry := r.Method + " " + r.URL.RequestURI()
	if hit != nil {
		entry += " -> " + hit.name
	}
	p.log = append(p.log, entry)
	p.mu.Unlock()
	if hit != nil {
		hit.do(w, r, p.next)
		return
	}
	p.next.ServeHTTP(w, r)
}

// set replaces the fault rules and clears the log.
func (p *faultProxy) set(rules ...*faultRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.log = rules, nil
}

func (p *faultProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// listPath parses an API path: the resource of a collection request (a
// list, cluster-wide or in one namespace), "" for anything else
// (discovery, a named object).
func listPath(path string) string {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) >= 2 && seg[0] == "api":
		seg = seg[2:]
	case len(seg) >= 3 && seg[0] == "apis":
		seg = seg[3:]
	default:
		return ""
	}
	switch {
	case len(seg) == 1:
		return seg[0]
	case len(seg) == 3 && seg[0] == "namespaces":
		return seg[2]
	}
	return ""
}

// listOf matches list requests of a resource (plural name).
func listOf(resource string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodGet && listPath(r.URL.Path) == resource }
}

// continueOf matches list requests of a resource that carry a continue token.
func continueOf(resource string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return listOf(resource)(r) && r.URL.Query().Get("continue") != ""
	}
}

// pathIs matches one exact path (discovery).
func pathIs(path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Path == path }
}

// statusFault answers with a metav1.Status of the code and reason, and a
// Retry-After header when retryAfter is not "".
func statusFault(code int, reason metav1.StatusReason, retryAfter string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		st := metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
			Status:   metav1.StatusFailure, Code: int32(code), Reason: reason,
			Message: fmt.Sprintf("injected fault: %d %s", code, reason),
		}
		b, _ := json.Marshal(st)
		w.Header().Set("Content-Type", "application/json")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		_, _ = w.Write(b)
	}
}

// resetFault hijacks the connection and closes it with a TCP reset.
func resetFault(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, not FIN
	}
	_ = conn.Close()
}

// slowFault holds the request for d (or until the client gives up), then
// serves it.
func slowFault(d time.Duration) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		select {
		case <-time.After(d):
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}
}

// truncateFault serves half of the real response. abort: the declared
// Content-Length is the full one and the connection is cut mid-body;
// otherwise the framing is valid and the JSON is cut short.
func truncateFault(abort bool) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		half := body[:len(body)/2]
		if abort {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(half)))
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(half)
		if abort {
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			panic(http.ErrAbortHandler) // the server closes the connection
		}
	}
}

// faultScan is one CLI scan through the proxy and its outputs.
type faultScan struct {
	code    int
	stderr  string
	elapsed time.Duration
	report  *report.Report
	json    []byte
	sarif   []byte
	table   []byte
}

// faultArgs: every scan lists small pages (so lists paginate and have
// continue tokens) with a high client rate limit.
var faultArgs = []string{"--page-size", "3", "--qps", "500", "--burst", "1000", "--quiet", "--fail-on", "none"}

func (p *faultProxy) scan(t *testing.T, extra ...string) *faultScan {
	t.Helper()
	dir := t.TempDir()
	js, sf, tb := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.txt")
	args := append([]string{"scan", "--kubeconfig", p.kubeconfig}, faultArgs...)
	args = append(args, extra...)
	args = append(args, "-o", "json="+js, "-o", "sarif="+sf, "-o", "table="+tb)
	start := time.Now()
	code, _, stderr := cli(t, args...)
	s := &faultScan{code: code, stderr: stderr, elapsed: time.Since(start)}
	var err error
	if s.json, err = os.ReadFile(js); err != nil {
		t.Fatalf("scan %v exited %d without a JSON report: %v; stderr:\n%s", extra, code, err, stderr)
	}
	if s.sarif, err = os.ReadFile(sf); err != nil {
		t.Fatal(err)
	}
	if s.table, err = os.ReadFile(tb); err != nil {
		t.Fatal(err)
	}
	s.report = readReport(t, js)
	return s
}

// normalized outputs: the collection time is the only thing two scans of
// the same cluster may differ in.
func (s *faultScan) normalized() (js, sarif, table string) {
	norm := func(b []byte) string {
		if s.report.CollectedAt == "" {
			return string(b)
		}
		return strings.ReplaceAll(string(b), s.report.CollectedAt, "<collected-at>")
	}
	return norm(s.json), norm(s.sarif), norm(s.table)
}

// faultCase is one injected fault scenario.
type faultCase struct {
	name  string
	rules func() []*faultRule
	args  []string
	// down: kind key → the status it must end with (collected kinds
	// otherwise) and a substring its reason must hold. Empty: the fault
	// is transient, and the scan must equal the fault-free one.
	down map[string][2]string
	// budget: the scan must finish within it (kind timeout plus slack).
	budget time.Duration
	// check: extra assertions on the proxy's request log.
	check func(t *testing.T, log []string)
}

func TestFaults(t *testing.T) {
	c := needCluster(t)
	c.apply(t, loadManifests(t, repoPath("testdata/scenarios/bookinfo")))
	p := newFaultProxy(t, c)

	// The fault-free scan through the same proxy.
	p.set()
	base := p.scan(t)
	checkAllCollected(t, base.report.Kinds)
	if base.code != 0 && base.code != 3 {
		t.Fatalf("fault-free scan exited %d; stderr:\n%s", base.code, base.stderr)
	}
	baseRules := map[string]report.RuleResult{}
	for _, r := range base.report.Rules {
		baseRules[r.ID] = r
	}
	if st := kindStatuses(base.report.Kinds); st["Deployment"].Count < 6 || st["ClusterRole"].Count < 10 {
		t.Fatalf("bookinfo not on the server? Deployments %d, ClusterRoles %d", st["Deployment"].Count, st["ClusterRole"].Count)
	}
	t.Logf("fault-free scan: exit %d in %s, %d requests", base.code, base.elapsed.Round(10*time.Millisecond), len(p.requests()))
	_, cat := engine(t)

	times := func(n int, name string, match func(*http.Request) bool, do func(http.ResponseWriter, *http.Request, http.Handler)) *faultRule {
		return &faultRule{name: name, match: match, times: n, do: do}
	}
	always := func(name string, match func(*http.Request) bool, do func(http.ResponseWriter, *http.Request, http.Handler)) *faultRule {
		return times(-1, name, match, do)
	}

	cases := []faultCase{
		{
			name: "429-retry-after",
			rules: func() []*faultRule {
				return []*faultRule{
					times(2, "429", listOf("services"), statusFault(http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "1")),
					times(1, "429", listOf("deployments"), statusFault(http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "1")),
					times(2, "429-no-retry-after", listOf("virtualservices"), statusFault(http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "")),
				}
			},
		},
		{
			// Throttled for good: a Retry-After of 1s keeps client-go
			// retrying, one of an hour would sleep an hour; both must stop
			// at the kind timeout and say they were throttled.
			name: "429-persistent",
			rules: func() []*faultRule {
				return []*faultRule{
					always("429", listOf("peerauthentications"), statusFault(http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "1")),
					always("429-1h", listOf("authorizationpolicies"), statusFault(http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "3600")),
				}
			},
			args: []string{"--kind-timeout", "3s"},
			down: map[string][2]string{
				"PeerAuthentication":  {snapshot.StatusError, "too many requests"},
				"AuthorizationPolicy": {snapshot.StatusError, "too many requests"},
			},
			budget: 3 * time.Second,
		},
		{
			name: "5xx-then-success",
			rules: func() []*faultRule {
				return []*faultRule{
					times(2, "503", listOf("deployments"), statusFault(http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "")),
					times(3, "500", listOf("services"), statusFault(http.StatusInternalServerError, metav1.StatusReasonInternalError, "")),
					times(1, "502", listOf("destinationrules"), statusFault(http.StatusBadGateway, "", "")),
					times(2, "503-discovery", pathIs("/apis"), statusFault(http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "")),
				}
			},
		},
		{
			name: "5xx-persistent",
			rules: func() []*faultRule {
				return []*faultRule{
					always("503", listOf("destinationrules"), statusFault(http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "")),
					always("500", listOf("serviceentries"), statusFault(http.StatusInternalServerError, metav1.StatusReasonInternalError, "")),
				}
			},
			args: []string{"--kind-timeout", "20s"},
			down: map[string][2]string{
				"DestinationRule": {snapshot.StatusError, "injected fault: 503"},
				"ServiceEntry":    {snapshot.StatusError, "injected fault: 500"},
			},
			budget: 10 * time.Second, // gives up after its retries, before the kind timeout
		},
		{
			name: "connection-reset",
			rules: func() []*faultRule {
				return []*faultRule{
					times(2, "reset", listOf("virtualservices"), resetFault),
					times(1, "reset", listOf("namespaces"), resetFault),
					times(3, "reset", continueOf("clusterroles"), resetFault),
				}
			},
		},
		{
			name: "connection-reset-persistent",
			rules: func() []*faultRule {
				return []*faultRule{always("reset", listOf("gateways"), resetFault)}
			},
			args: []string{"--kind-timeout", "3s"},
			down: map[string][2]string{
				"Gateway": {snapshot.StatusError, "timed out after 3s"},
			},
			budget: 3 * time.Second,
		},
		{
			name: "slow-within-budget",
			rules: func() []*faultRule {
				return []*faultRule{
					times(2, "slow-700ms", listOf("services"), slowFault(700*time.Millisecond)),
					times(1, "slow-700ms", continueOf("clusterrolebindings"), slowFault(700*time.Millisecond)),
				}
			},
			args: []string{"--kind-timeout", "5s"},
		},
		{
			name: "slow-beyond-kind-timeout",
			rules: func() []*faultRule {
				return []*faultRule{
					always("slow-1m", listOf("networkpolicies"), slowFault(time.Minute)),
					always("slow-1m", continueOf("deployments"), slowFault(time.Minute)),
				}
			},
			args: []string{"--kind-timeout", "2s"},
			down: map[string][2]string{
				"NetworkPolicy": {snapshot.StatusError, "timed out after 2s"},
				"Deployment":    {snapshot.StatusError, "timed out after 2s"},
			},
			budget: 2 * time.Second,
		},
		{
			name: "truncated-then-success",
			rules: func() []*faultRule {
				return []*faultRule{
					times(2, "cut-connection", listOf("serviceaccounts"), truncateFault(true)),
					times(1, "cut-json", listOf("deployments"), truncateFault(false)),
					times(1, "cut-json", continueOf("clusterroles"), truncateFault(false)),
				}
			},
		},
		{
			name: "truncated-persistent",
			rules: func() []*faultRule {
				return []*faultRule{
					always("cut-connection", listOf("serviceentries"), truncateFault(true)),
					always("cut-json", listOf("sidecars"), truncateFault(false)),
				}
			},
			args: []string{"--kind-timeout", "20s"},
			down: map[string][2]string{
				"ServiceEntry": {snapshot.StatusError, "list serviceentries.networking.istio.io"},
				"Sidecar":      {snapshot.StatusError, "list sidecars.networking.istio.io"},
			},
			budget: 10 * time.Second,
		},
		{
			// The first continue request of a list gets 410 Gone: the
			// list restarts from the first page and completes.
			name: "410-gone-on-continue",
			rules: func() []*faultRule {
				return []*faultRule{
					times(1, "410", continueOf("deployments"), statusFault(http.StatusGone, metav1.StatusReasonExpired, "")),
					times(2, "410", continueOf("clusterroles"), statusFault(http.StatusGone, metav1.StatusReasonExpired, "")),
				}
			},
			check: func(t *testing.T, log []string) {
				for res, want := range map[string]int{"deployments": 2, "clusterroles": 3} {
					first := 0
					for _, l := range log {
						u, _ := url.Parse(strings.Fields(l)[1])
						if listPath(u.Path) == res && u.Query().Get("continue") == "" {
							first++
						}
					}
					if first != want {
						t.Errorf("%s: %d first-page list requests, want %d (a restart after each 410)", res, first, want)
					}
				}
			},
		},
		{
			name: "410-gone-persistent",
			rules: func() []*faultRule {
				return []*faultRule{always("410", continueOf("clusterroles"), statusFault(http.StatusGone, metav1.StatusReasonExpired, ""))}
			},
			down: map[string][2]string{
				"ClusterRole": {snapshot.StatusError, "continue token expired"},
			},
			budget: 5 * time.Second,
		},
		{
			name: "403-one-kind",
			rules: func() []*faultRule {
				return []*faultRule{always("403", listOf("authorizationpolicies"), statusFault(http.StatusForbidden, metav1.StatusReasonForbidden, ""))}
			},
			down: map[string][2]string{
				"AuthorizationPolicy": {snapshot.StatusForbidden, "forbidden"},
			},
			budget: 3 * time.Second,
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := tc.rules()
			p.set(rules...)
			s := p.scan(t, tc.args...)
			log := p.requests()
			p.set()
			t.Logf("exit %d in %s, %d requests", s.code, s.elapsed.Round(10*time.Millisecond), len(log))
			for _, r := range rules {
				if r.hits == 0 || (r.times > 0 && r.hits < r.times) {
					t.Errorf("fault %q injected %d times, want %d", r.name, r.hits, r.times)
				}
			}
			if tc.check != nil {
				tc.check(t, log)
			}
			if t.Failed() {
				t.Logf("requests:\n%s", strings.Join(log, "\n"))
			}
			if len(tc.down) == 0 {
				checkSameAsFaultFree(t, base, s)
				return
			}
			if limit := base.elapsed + tc.budget + 5*time.Second; s.elapsed > limit {
				t.Errorf("scan took %s, beyond its budget %s (fault-free %s + %s + 5s slack)", s.elapsed, limit, base.elapsed, tc.budget)
			}
			checkFaultedKinds(t, s, tc.down)
			checkUnknownEverywhere(t, cat, baseRules, s, tc.down)
		})
	}
}

// checkSameAsFaultFree: a transient fault that recovered leaves no trace:
// complete, same exit code and byte-identical reports (but for the
// collection time).
func checkSameAsFaultFree(t *testing.T, base, s *faultScan) {
	t.Helper()
	for _, k := range s.report.Kinds {
		if k.Status != snapshot.StatusCollected && !(k.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Kind)) {
			t.Errorf("kind %s %s after a transient fault: %s", k.Kind, k.Status, k.Reason)
		}
	}
	if s.code != base.code {
		t.Errorf("exit %d, fault-free scan %d; stderr:\n%s", s.code, base.code, s.stderr)
	}
	bj, bs, bt := base.normalized()
	sj, ss, st := s.normalized()
	for _, o := range []struct{ name, got, want string }{{"JSON", sj, bj}, {"SARIF", ss, bs}, {"table", st, bt}} {
		if o.got != o.want {
			t.Errorf("%s report differs from the fault-free scan's:\n%s", o.name, testutil.FirstDiff(o.want, o.got))
		}
	}
}

// checkFaultedKinds: the faulted kinds end with their status and a reason
// saying why; every other kind is collected.
func checkFaultedKinds(t *testing.T, s *faultScan, down map[string][2]string) {
	t.Helper()
	st := kindStatuses(s.report.Kinds)
	for kind, want := range down {
		got, ok := st[kind]
		switch {
		case !ok:
			t.Errorf("kind %s: no status in the report", kind)
		case got.Status != want[0]:
			t.Errorf("kind %s: %s (%s), want %s", kind, got.Status, got.Reason, want[0])
		case !strings.Contains(strings.ToLower(got.Reason), strings.ToLower(want[1])):
			t.Errorf("kind %s: reason %q does not say %q", kind, got.Reason, want[1])
		case got.Count != 0:
			t.Errorf("kind %s: %s with a count of %d", kind, got.Status, got.Count)
		default:
			t.Logf("kind %s: %s: %s", kind, got.Status, got.Reason)
		}
	}
	for _, k := range s.report.Kinds {
		if _, faulted := down[k.Kind]; faulted {
			continue
		}
		if k.Status != snapshot.StatusCollected && !(k.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Kind)) {
			t.Errorf("kind %s %s (%s), want collected (not faulted)", k.Kind, k.Status, k.Reason)
		}
	}
	if s.code != 3 {
		t.Errorf("exit %d, want 3 (incomplete); stderr:\n%s", s.code, s.stderr)
	}
	if s.report.Summary.Complete {
		t.Error("JSON summary says complete")
	}
}

// checkUnknownEverywhere: every rule reading a faulted kind is unknown in
// the JSON report, a SARIF error notification (never a result) and the
// table, and no control holding one passes; every other rule has its
// fault-free status.
func checkUnknownEverywhere(t *testing.T, cat *rules.Catalog, baseRules map[string]report.RuleResult, s *faultScan, down map[string][2]string) {
	t.Helper()
	dependent := map[string]bool{}
	for _, r := range cat.Rules {
		for _, in := range r.Inputs {
			if _, ok := down[in]; ok {
				dependent[r.ID] = true
			}
		}
	}
	if len(dependent) == 0 {
		t.Fatalf("no rule reads the faulted kinds %v: the case proves nothing", sortedKeys(down))
	}
	t.Logf("rules reading the faulted kinds: %v", sortedKeys(dependent))

	// JSON.
	for _, r := range s.report.Rules {
		switch {
		case dependent[r.ID] && r.Status != report.StatusUnknown:
			t.Errorf("JSON: rule %s is %s, want unknown (it reads a kind not fully collected)", r.ID, r.Status)
		case dependent[r.ID] && !strings.Contains(r.Reason, "input not collected"):
			t.Errorf("JSON: rule %s unknown with reason %q, want it to name the input not collected", r.ID, r.Reason)
		case !dependent[r.ID] && r.Status != baseRules[r.ID].Status:
			t.Errorf("JSON: rule %s (reads no faulted kind) is %s (%s), fault-free %s", r.ID, r.Status, r.Reason, baseRules[r.ID].Status)
		}
	}
	for _, f := range s.report.Findings {
		if dependent[f.RuleID] {
			t.Errorf("JSON: finding of unknown rule %s: %s", f.RuleID, f.Message)
		}
	}
	ctlHas := map[string]bool{} // controls holding a dependent rule
	for _, c := range s.report.Controls {
		for _, id := range c.Rules {
			if dependent[id] {
				ctlHas[c.ID] = true
			}
		}
		if ctlHas[c.ID] && c.Status != report.StatusUnknown && c.Status != report.StatusFail {
			t.Errorf("JSON: control %s is %s but holds a rule that is unknown", c.ID, c.Status)
		}
	}

	// SARIF: unknown rules are error notifications, never results.
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
			Invocations []struct {
				Notifications []struct {
					Level          string                `json:"level"`
					Message        struct{ Text string } `json:"message"`
					AssociatedRule *struct{ ID string }  `json:"associatedRule"`
					Properties     map[string]any        `json:"properties"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Properties map[string]any `json:"properties"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(s.sarif, &sarif); err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	if len(sarif.Runs) != 1 || len(sarif.Runs[0].Invocations) != 1 {
		t.Fatalf("SARIF: %d runs, want 1 with one invocation", len(sarif.Runs))
	}
	run := sarif.Runs[0]
	if run.Properties["complete"] != false {
		t.Errorf("SARIF: run properties complete = %v, want false", run.Properties["complete"])
	}
	for _, r := range run.Results {
		if dependent[r.RuleID] {
			t.Errorf("SARIF: result for rule %s, which is unknown", r.RuleID)
		}
	}
	noted := map[string]string{}
	for _, n := range run.Invocations[0].Notifications {
		if n.AssociatedRule != nil {
			st, _ := n.Properties["status"].(string)
			noted[n.AssociatedRule.ID] = st + "/" + n.Level
		}
	}
	for id := range dependent {
		if noted[id] != "unknown/error" {
			t.Errorf("SARIF: rule %s notification %q, want an unknown error notification", id, noted[id])
		}
	}

	// Table: the Rules section lists each as UNKNOWN; no control holding
	// one is PASS; the collection problems name the kinds.
	tbl := string(s.table)
	ruleRows, ctlRows := tableRows(tbl, "Rules:"), tableRows(tbl, "NIST SP 800-53 controls:")
	for id := range dependent {
		if ruleRows[id] != "UNKNOWN" {
			t.Errorf("table: rule %s listed as %q, want UNKNOWN", id, ruleRows[id])
		}
	}
	for id := range ctlHas {
		if st := ctlRows[id]; st != "UNKNOWN" && st != "FAIL" {
			t.Errorf("table: control %s is %q but holds a rule that is unknown", id, st)
		}
	}
	problems := tableRows(tbl, "Collection problems:")
	for kind, want := range down {
		if problems[want[0]] == "" || !strings.Contains(tbl, kind) {
			t.Errorf("table: collection problems do not list %s %s", want[0], kind)
		}
	}
	if !strings.Contains(tbl, "INCOMPLETE:") {
		t.Error("table does not say INCOMPLETE")
	}
	// The CLI says so on stderr too.
	for kind := range down {
		if dependentReads(cat, dependent, kind) && !strings.Contains(s.stderr, kind) {
			t.Errorf("stderr does not name %s:\n%s", kind, s.stderr)
		}
	}
}

// dependentReads: some rule reading kind is in dependent.
func dependentReads(cat *rules.Catalog, dependent map[string]bool, kind string) bool {
	for _, r := range cat.Rules {
		if !dependent[r.ID] {
			continue
		}
		for _, in := range r.Inputs {
			if in == kind {
				return true
			}
		}
	}
	return false
}

var tableRow = regexp.MustCompile(`^│\s*(\S[^│]*?)\s*│\s*(\S[^│]*?)\s*│`)

// tableRows maps the first cell of each row of the table that follows
// the heading line starting with heading (wrapped lines of the heading
// start with two spaces) to its second cell.
func tableRows(table, heading string) map[string]string {
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(table, "\n") {
		switch {
		case strings.HasPrefix(line, heading):
			in = true
			continue
		case in && line != "" && !strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "│") && !strings.HasPrefix(line, "┌") && !strings.HasPrefix(line, "├") && !strings.HasPrefix(line, "└"):
			in = false
		}
		if in {
			if m := tableRow.FindStringSubmatch(line); m != nil {
				out[m[1]] = m[2]
			}
		}
	}
	return out
}
