package deploy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/rules"
)

// TestChartMetrics: with metrics.pushgateway set, the scanner pushes
// there, its NetworkPolicy and Sidecar let it reach the Pushgateway, and
// the chart still passes meshaudit's own rules; by default nothing of it is
// rendered (deploy/manifests stays as it was).
func TestChartMetrics(t *testing.T) {
	const url = "http://prometheus-pushgateway.monitoring.svc:9091"
	rendered := render(t, map[string]any{"metrics": map[string]any{"pushgateway": url}})
	objs := decode(t, rendered)
	scanner := containers(podSpec(find(t, objs, "CronJob", "meshaudit")), "containers")["scanner"]
	args := strings.Join(strs(get(scanner, "args")), " ")
	for _, want := range []string{"--pushgateway=" + url, "--pushgateway-timeout=30s"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %s: %s", want, args)
		}
	}
	np := find(t, objs, "NetworkPolicy", "meshaudit-scanner")
	if s := fmt.Sprint(get(np.raw, "spec", "egress")); !strings.Contains(s, "prometheus-pushgateway") || !strings.Contains(s, "port:9091") {
		t.Errorf("no egress to the Pushgateway: %s", s)
	}
	sc := find(t, objs, "Sidecar", "default")
	if s := fmt.Sprint(get(sc.raw, "spec", "egress", 0, "hosts")); !strings.Contains(s, "monitoring/*") {
		t.Errorf("Sidecar hosts lack the Pushgateway's namespace: %s", s)
	}
	r := scanRendered(t, rendered, meshContext)
	for _, f := range r.rep.Findings {
		if f.Exception == nil && f.Severity >= rules.SeverityMedium {
			t.Errorf("finding %s (%s) on %s %s/%s: %s", f.RuleID, f.Severity, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Message)
		}
	}

	def := render(t, nil)
	if strings.Contains(def, "pushgateway") || strings.Contains(def, "monitoring/*") {
		t.Errorf("metrics rendered by default")
	}
}
