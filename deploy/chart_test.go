package deploy_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"
)

func podSpec(cj object) any { return get(cj.raw, "spec", "jobTemplate", "spec", "template", "spec") }

func containers(spec any, field string) map[string]any {
	out := map[string]any{}
	l, _ := get(spec, field).([]any)
	for _, c := range l {
		out[get(c, "name").(string)] = c
	}
	return out
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestChartCronJob: the CronJob's schedule settings, the restricted
// security context of every container, requests and limits, the sidecar
// handling, the evidence volume with retention, the JSON report on stdout,
// and a token mounted only into the scanner.
func TestChartCronJob(t *testing.T) {
	cj := find(t, decode(t, render(t, nil)), "CronJob", "meshaudit")
	spec := get(cj.raw, "spec")
	for path, want := range map[string]any{
		"concurrencyPolicy": "Forbid", "startingDeadlineSeconds": float64(600),
		"successfulJobsHistoryLimit": float64(3), "failedJobsHistoryLimit": float64(3),
	} {
		if got := get(spec, path); got != want {
			t.Errorf("spec.%s = %v, want %v", path, got, want)
		}
	}
	if got := get(spec, "jobTemplate", "spec", "activeDeadlineSeconds"); got != float64(1800) {
		t.Errorf("activeDeadlineSeconds = %v", got)
	}
	ps := podSpec(cj)
	if get(ps, "automountServiceAccountToken") != false || get(ps, "restartPolicy") != "Never" {
		t.Errorf("pod: automount %v, restartPolicy %v", get(ps, "automountServiceAccountToken"), get(ps, "restartPolicy"))
	}
	if get(ps, "securityContext", "runAsNonRoot") != true || get(ps, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("pod securityContext %v", get(ps, "securityContext"))
	}
	all := containers(ps, "containers")
	for n, c := range containers(ps, "initContainers") {
		all[n] = c
	}
	if len(all) != 2 || all["scanner"] == nil || all["prune"] == nil {
		t.Fatalf("containers %v", all)
	}
	for name, c := range all {
		sc := get(c, "securityContext")
		if get(sc, "runAsNonRoot") != true || get(sc, "readOnlyRootFilesystem") != true || get(sc, "allowPrivilegeEscalation") != false ||
			!slices.Equal(strs(get(sc, "capabilities", "drop")), []string{"ALL"}) || get(sc, "seccompProfile", "type") != "RuntimeDefault" || get(sc, "capabilities", "add") != nil {
			t.Errorf("%s: securityContext %v", name, sc)
		}
		for _, k := range []string{"requests", "limits"} {
			for _, r := range []string{"cpu", "memory"} {
				if get(c, "resources", k, r) == nil {
					t.Errorf("%s: no resources.%s.%s", name, k, r)
				}
			}
		}
		for _, m := range get(c, "volumeMounts").([]any) {
			if name != "scanner" && (get(m, "name") == "api-token" || get(m, "name") == "signing-key") {
				t.Errorf("%s mounts %v", name, get(m, "name"))
			}
		}
	}
	args := strings.Join(strs(get(all["scanner"], "args")), " ")
	for _, want := range []string{"scan ", "--output=json", "--evidence-dir=/evidence", "--exceptions=/etc/meshaudit/exceptions.yaml",
		"--proxy-wait=auto", "--proxy-quit=auto", "--proxy-ready-url=http://localhost:15021/healthz/ready", "--proxy-quit-url=http://localhost:15020/quitquitquit"} {
		if !strings.Contains(args, want) {
			t.Errorf("scanner args lack %s: %s", want, args)
		}
	}
	if strings.Contains(args, "--sign-key") || strings.Contains(args, "--secret-names") {
		t.Errorf("default args sign or list secrets: %s", args)
	}
	if got := strings.Join(strs(get(all["prune"], "args")), " "); got != "prune --dir=/evidence --keep=29" {
		t.Errorf("prune args %q", got)
	}
	ann := get(cj.raw, "spec", "jobTemplate", "spec", "template", "metadata", "annotations")
	if get(ann, "sidecar.istio.io/nativeSidecar") != "true" || !strings.Contains(fmt.Sprint(get(ann, "proxy.istio.io/config")), `"holdApplicationUntilProxyStarts": true`) {
		t.Errorf("pod annotations %v", ann)
	}
	if get(ps, "priorityClassName") != nil {
		t.Errorf("priorityClassName set by default")
	}
}

// TestChartOptions: the signing key Secret is mounted into the scanner
// only; priorityClassName, evidence off and secret names.
func TestChartOptions(t *testing.T) {
	objs := decode(t, render(t, map[string]any{
		"signing":           map[string]any{"secretName": "meshaudit-signing"},
		"priorityClassName": "meshaudit-high",
		"rbac":              map[string]any{"secretNames": true},
		"scan":              map[string]any{"clusterName": "prod-eu-1"},
	}))
	ps := podSpec(find(t, objs, "CronJob", "meshaudit"))
	if get(ps, "priorityClassName") != "meshaudit-high" {
		t.Errorf("priorityClassName %v", get(ps, "priorityClassName"))
	}
	scanner := containers(ps, "containers")["scanner"]
	args := strings.Join(strs(get(scanner, "args")), " ")
	for _, want := range []string{"--sign-key=/var/run/meshaudit/signing/signing.key", "--secret-names", "--cluster-name=prod-eu-1"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %s: %s", want, args)
		}
	}
	mounted := 0
	for _, c := range append(get(ps, "containers").([]any), get(ps, "initContainers").([]any)...) {
		for _, m := range get(c, "volumeMounts").([]any) {
			if get(m, "name") == "signing-key" {
				mounted++
				if get(c, "name") != "scanner" || get(m, "readOnly") != true {
					t.Errorf("signing key mounted into %v (readOnly %v)", get(c, "name"), get(m, "readOnly"))
				}
			}
		}
	}
	if mounted != 1 {
		t.Errorf("signing key mounted %d times", mounted)
	}
	for _, v := range get(ps, "volumes").([]any) {
		if get(v, "name") == "signing-key" && (get(v, "secret", "secretName") != "meshaudit-signing" || get(v, "secret", "defaultMode") != float64(0o400)) {
			t.Errorf("signing volume %v", v)
		}
	}

	off := decode(t, render(t, map[string]any{"evidence": map[string]any{"enabled": false}, "namespace": map[string]any{"create": false}}))
	for _, o := range off {
		if o.Kind == "PersistentVolumeClaim" || o.Kind == "Namespace" {
			t.Errorf("%s rendered though disabled", o.Kind)
		}
	}
	ps = podSpec(find(t, off, "CronJob", "meshaudit"))
	if get(ps, "initContainers") != nil || strings.Contains(fmt.Sprint(get(ps, "containers")), "evidence") {
		t.Errorf("evidence disabled but still used: %v", ps)
	}
}

// TestChartSidecarVariants: MESH-08 (Jobs handle the sidecar lifecycle)
// passes for every supported way the chart runs beside Istio — native
// sidecar, holdApplicationUntilProxyStarts, or only the binary's own wait
// and quit — and fails when the scanner is opted out of injection.
func TestChartSidecarVariants(t *testing.T) {
	for _, tc := range []struct {
		name  string
		istio map[string]any
		want  report.Status
	}{
		{"defaults", nil, report.StatusPass},
		{"classic sidecar, hold", map[string]any{"nativeSidecar": false}, report.StatusPass},
		{"classic sidecar, binary only", map[string]any{"nativeSidecar": false, "holdApplicationUntilProxyStarts": false}, report.StatusPass},
		{"not injected", map[string]any{"inject": false}, report.StatusFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]any{}
			if tc.istio != nil {
				vals["istio"] = tc.istio
			}
			r := scanRendered(t, render(t, vals), meshContext)
			for _, rr := range r.rep.Rules {
				if rr.ID == "MESH-08" && rr.Status != tc.want {
					t.Errorf("MESH-08 %s, want %s (%s)", rr.Status, tc.want, rr.Reason)
				}
			}
		})
	}
}

// TestChartExceptionGoesStale: once the API server's addresses are set,
// the chart's NetworkPolicy needs no exception, and meshaudit says the
// shipped one is stale.
func TestChartExceptionGoesStale(t *testing.T) {
	r := scanRendered(t, render(t, map[string]any{
		"networkPolicy": map[string]any{"apiServerCIDRs": []any{"10.0.0.10/32"}},
	}), meshContext)
	for _, f := range r.rep.Findings {
		if f.RuleID == "NP-03" {
			t.Errorf("NP-03 finding with apiServerCIDRs set: %s (excepted: %v)", f.Message, f.Exception != nil)
		}
	}
	if !strings.Contains(strings.Join(r.rep.Summary.Warnings, "\n"), "MESHAUDIT-CHART-NP03") {
		t.Errorf("no stale warning for the shipped exception: %v", r.rep.Summary.Warnings)
	}
}

// TestChartEvidenceS3: evidence.s3.bucket sends the bundles to object
// storage instead of the claim: no claim, no prune, no evidence volume;
// --evidence-dir s3://bucket/prefix and --retain-days; endpoint, region
// and a credentials Secret as AWS_* variables of the scanner only, or a
// workload-identity annotation on the ServiceAccount; the object store
// reachable through the NetworkPolicy.
func TestChartEvidenceS3(t *testing.T) {
	objs := decode(t, render(t, map[string]any{
		"evidence": map[string]any{"s3": map[string]any{
			"bucket": "audit-evidence", "prefix": "/fleet/eu/", "endpoint": "https://minio.storage.svc:9000", "region": "eu-central-1",
			"retainDays": 400, "credentialsSecret": "meshaudit-s3",
			"serviceAccountAnnotations": map[string]any{"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/meshaudit-evidence"},
			"networkPolicyTo":           []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.20.0.0/16"}}},
			"networkPolicyPorts":        []any{9000},
		}},
		"networkPolicy": map[string]any{"enabled": true},
	}))
	for _, o := range objs {
		if o.Kind == "PersistentVolumeClaim" {
			t.Errorf("a claim is made though the bundles go to S3")
		}
	}
	ps := podSpec(find(t, objs, "CronJob", "meshaudit"))
	if get(ps, "initContainers") != nil {
		t.Errorf("prune runs though the bundles go to S3: %v", get(ps, "initContainers"))
	}
	if strings.Contains(fmt.Sprint(get(ps, "volumes")), "evidence") {
		t.Errorf("evidence volume with S3: %v", get(ps, "volumes"))
	}
	scanner := containers(ps, "containers")["scanner"]
	args := strings.Join(strs(get(scanner, "args")), " ")
	for _, want := range []string{"--evidence-dir=s3://audit-evidence/fleet/eu", "--retain-days=400"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %s: %s", want, args)
		}
	}
	env := map[string]any{}
	for _, e := range get(scanner, "env").([]any) {
		env[get(e, "name").(string)] = e
	}
	if get(env["AWS_ENDPOINT_URL"], "value") != "https://minio.storage.svc:9000" || get(env["AWS_REGION"], "value") != "eu-central-1" {
		t.Errorf("endpoint/region env: %v %v", env["AWS_ENDPOINT_URL"], env["AWS_REGION"])
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if get(env[k], "valueFrom", "secretKeyRef", "name") != "meshaudit-s3" || get(env[k], "valueFrom", "secretKeyRef", "key") != k {
			t.Errorf("%s: %v", k, env[k])
		}
	}
	sa := find(t, objs, "ServiceAccount", "meshaudit")
	if get(sa.raw, "metadata", "annotations", "eks.amazonaws.com/role-arn") != "arn:aws:iam::123456789012:role/meshaudit-evidence" {
		t.Errorf("service account annotations %v", get(sa.raw, "metadata", "annotations"))
	}
	np := find(t, objs, "NetworkPolicy", "meshaudit-scanner")
	if s := fmt.Sprint(get(np.raw, "spec", "egress")); !strings.Contains(s, "10.20.0.0/16") || !strings.Contains(s, "9000") {
		t.Errorf("egress to the object store missing: %s", s)
	}
	// Defaults: the claim, prune and no AWS variables.
	def := podSpec(find(t, decode(t, render(t, nil)), "CronJob", "meshaudit"))
	if get(def, "initContainers") == nil || strings.Contains(fmt.Sprint(get(def, "containers")), "AWS_") {
		t.Errorf("default chart changed: %v", def)
	}
}
