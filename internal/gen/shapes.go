package gen

import (
	"fmt"
	"strings"
)

// Shape is the kind of cluster Generate builds. Every shape has the same
// infrastructure (kube-system, istio-system, cluster RBAC) and differs in its
// application namespaces; every shape counts its planted violations in
// Cluster.Expected.
type Shape string

const (
	// ShapeDefault is a well-kept live cluster (the package comment): few
	// findings, about 60 objects per namespace.
	ShapeDefault Shape = ""
	// ShapeMessy is what a first scan of a real cluster looks like: teams
	// deployed charts with their defaults, so most workloads break several
	// pod, availability and mesh rules at once (no securityContext, no
	// probes, one replica, no PodDisruptionBudget, the default rollout
	// strategy, moving image tags, a PERMISSIVE namespace left over from a
	// migration, Istio installed without CNI), and namespaces hold little
	// besides their workloads. Small objects, more than two findings per
	// object. See messyNamespace for what is planted and counted.
	ShapeMessy Shape = "messy"
	// ShapeManifests is the same cluster as ShapeDefault as a GitOps
	// repository declares it: no Pods, no ReplicaSets, no status and no
	// server-set metadata, and a ConfigMap of application settings beside
	// each app. The planted violations are the default shape's.
	ShapeManifests Shape = "manifests"
	// ShapePolicy is a cluster whose namespaces carry a lot of mesh policy:
	// the default shape plus, per namespace, several AuthorizationPolicies
	// per app, a Sidecar per workload, and ServiceEntries to cloud and SaaS
	// APIs (wildcard hosts among them) each with a DestinationRule. See
	// policyNamespace.
	ShapePolicy Shape = "policy"
)

// Shapes lists every shape, in the order benchmarks report them.
var Shapes = []Shape{ShapeDefault, ShapeMessy, ShapeManifests, ShapePolicy}

// Name is the shape's name for flags and reports ("default" for ShapeDefault).
func (s Shape) Name() string {
	if s == ShapeDefault {
		return "default"
	}
	return string(s)
}

// ParseShape reads a shape name ("default", "messy", "manifests", "policy").
func ParseShape(name string) (Shape, error) {
	for _, s := range Shapes {
		if name == s.Name() || (name == "" && s == ShapeDefault) {
			return s, nil
		}
	}
	names := make([]string, len(Shapes))
	for i, s := range Shapes {
		names[i] = s.Name()
	}
	return "", fmt.Errorf("unknown shape %q (want one of %s)", name, strings.Join(names, ", "))
}

// Rule ids the shapes count (besides the default shape's).
const (
	RuleCNI           = "POD-02"
	RuleNonRoot       = "POD-05"
	RuleSeccompRO     = "POD-06"
	RuleImagePinned   = "POD-11"
	RuleProbes        = "HA-01"
	RuleReplicas      = "HA-05"
	RulePDB           = "HA-06"
	RuleRollout       = "HA-07"
	RuleStrictMTLS    = "MTLS-02"
	RuleAllowAll      = "AUTHZ-02"
	RuleJobSidecar    = "MESH-08"
	RuleInboundBypass = "MESH-03"
	messyAppsPerNSMin = 6
)

// messyRules are the rules ShapeMessy counts.
var messyRules = []string{RuleCNI, RuleNonRoot, RuleSeccompRO, RuleImagePinned, RuleProbes, RuleReplicas, RulePDB, RuleRollout, RuleStrictMTLS, RuleJobSidecar, RuleInboundBypass, RuleOutboundBypass}

var messyAppNames = []string{"api", "web", "worker", "frontend", "backend", "scheduler", "gateway-bff", "notifier", "redis", "postgres", "exporter", "admin"}

// chance is true with probability p/100, drawn from the shapes' own source.
func (b *builder) chance(p int) bool { return b.flaw.IntN(100) < p }

// messyNamespace writes one application namespace of ShapeMessy: a
// Namespace (nine in ten enrolled by istio-injection=enabled; half without a
// Pod Security label), in three in ten enrolled ones a PERMISSIVE namespace
// PeerAuthentication left from a migration, and 6–10 apps, each a
// Deployment (StatefulSet for the data stores) with its ReplicaSet and
// live-shaped Pods (injected with istio-proxy and istio-init when enrolled:
// the cluster has no Istio CNI) and a Service, one in five with its own
// ServiceAccount (the others run as `default` with a mounted token), four in
// ten with a PodDisruptionBudget. Each app draws its flaws independently:
//
//   - no securityContext at all (75 %): POD-05 and POD-06; else a writable
//     root filesystem (half of the rest): POD-06;
//   - no readiness/liveness probes (55 %): HA-01;
//   - image tag `latest` (30 %, else a version tag): POD-11;
//   - one replica (65 %, else 2) or no zone spread (60 %): HA-05;
//   - with 2 or more replicas and no PodDisruptionBudget: HA-06;
//   - Deployments: strategy omitted (60 %: 25 %/25 %, which fails from 2
//     replicas), Recreate (15 %: always fails) or maxUnavailable 1 /
//     maxSurge 0 (which fails with one replica): HA-07;
//   - enrolled: POD-02 (istio-init without CNI); in a PERMISSIVE
//     namespace also MTLS-02;
//   - no resources (40 %), a Secret in an env var (always, as the default
//     shape): HA-03 and POD-09, not counted.
//
// One finding per workload and rule: each counted rule's expectation is the
// number of apps whose flaws the rule's documented semantics fail.
func (b *builder) messyNamespace(i int) {
	team := teams[i%len(teams)]
	ns := fmt.Sprintf("%s-%03d", team, i)
	b.file = fmt.Sprintf("%04d-%s.yaml", i+10, ns)
	b.c.Namespaces++
	enrolled := !b.chance(10)
	nsLabels := m{"kubernetes.io/metadata.name": ns, "team": team}
	if b.chance(50) {
		nsLabels["pod-security.kubernetes.io/enforce"] = "baseline"
	}
	if enrolled {
		nsLabels["istio-injection"] = "enabled"
	}
	b.add(obj("v1", "Namespace", b.meta(ns, "", nsLabels, nil), m{"spec": m{"finalizers": l{"kubernetes"}}}))
	permissive := enrolled && b.chance(30)
	if permissive {
		b.add(obj("security.istio.io/v1", "PeerAuthentication", b.meta("default", ns, nil, m{"meshaudit.io/note": "migration to STRICT pending"}), m{"spec": m{"mtls": m{"mode": "PERMISSIVE"}}}))
	}
	if b.chance(40) {
		b.add(obj("v1", "LimitRange", b.meta("defaults", ns, nil, nil), m{"spec": m{"limits": l{m{"type": "Container", "default": m{"cpu": "500m", "memory": "256Mi"}, "defaultRequest": m{"cpu": "50m", "memory": "64Mi"}}}}}))
	}
	if b.chance(50) {
		// One team's first NetworkPolicy: ingress to its frontend only.
		b.add(obj("networking.k8s.io/v1", "NetworkPolicy", b.meta("frontend-ingress", ns, nil, nil), m{"spec": m{
			"podSelector": m{"matchLabels": m{"app": "frontend"}}, "policyTypes": l{"Ingress"},
			"ingress": l{m{"from": l{m{"namespaceSelector": m{"matchLabels": m{"kubernetes.io/metadata.name": "istio-system"}}}}}}}}))
	}
	count := func(id string, fails bool) {
		if fails {
			b.c.Expected[id]++
		}
	}
	apps := messyAppsPerNSMin + b.flaw.IntN(5)
	start := b.flaw.IntN(len(messyAppNames))
	for a := 0; a < apps; a++ {
		name := messyAppNames[(start+a)%len(messyAppNames)]
		kind := "Deployment"
		if name == "redis" || name == "postgres" {
			kind = "StatefulSet"
		}
		b.app++
		port := 8080 + a
		t, f := b.messyPod(team, ns, name, port)
		spec := t["spec"].(m)
		noSpread := b.chance(60)
		if noSpread {
			delete(spec, "topologySpreadConstraints")
		}
		replicas := 2
		if b.chance(65) {
			replicas = 1
		}
		var strategy m
		recreate := false
		switch d := b.flaw.IntN(100); {
		case d < 60: // omitted
		case d < 75:
			strategy, recreate = m{"type": "Recreate"}, true
		default:
			strategy = rollout
		}
		pdb := b.chance(40)
		b.emit(workload{ns: ns, name: name, kind: kind, replicas: replicas, template: t, injected: enrolled, strategy: strategy})
		if name != "worker" && name != "scheduler" && name != "exporter" {
			b.add(obj("v1", "Service", b.meta(name, ns, m{"app": name}, nil), m{"spec": m{"selector": m{"app": name}, "type": "ClusterIP",
				"ports": l{m{"name": "http", "port": num(80), "targetPort": num(port), "protocol": "TCP"}}}}))
		}
		if pdb {
			b.add(obj("policy/v1", "PodDisruptionBudget", b.meta(name, ns, nil, nil), m{"spec": m{"maxUnavailable": num(1), "selector": m{"matchLabels": m{"app": name}}}}))
		}

		// What the rules' documented semantics make of these flaws.
		count(RuleNonRoot, f.insecure)
		count(RuleSeccompRO, f.insecure || f.writable)
		count(RuleProbes, f.noProbes)
		count(RuleImagePinned, f.latest)
		count(RuleReplicas, replicas < 2 || noSpread)
		count(RulePDB, replicas >= 2 && !pdb)
		count(RuleRollout, kind == "Deployment" && (recreate || (strategy == nil && replicas >= 2) || (strategy != nil && !recreate && replicas == 1)))
		count(RuleCNI, enrolled)
		count(RuleStrictMTLS, permissive)
		count(RuleInboundBypass, enrolled && f.inboundBypass)
		count(RuleOutboundBypass, enrolled && f.outboundBypass)
	}
	// Batch work: CronJobs with a classic sidecar (the talk's Jobs that
	// never complete).
	for j, n := 0, b.flaw.IntN(3); j < n; j++ {
		name := []string{"nightly-export", "cleanup", "report"}[j]
		t, f := b.messyPod(team, ns, name, 9090)
		spec := t["spec"].(m)
		delete(spec, "topologySpreadConstraints")
		spec["restartPolicy"] = "OnFailure"
		b.add(obj("batch/v1", "CronJob", b.meta(name, ns, nil, nil), m{"spec": m{"schedule": fmt.Sprintf("%d 3 * * *", j*10), "concurrencyPolicy": "Forbid",
			"jobTemplate": m{"spec": m{"backoffLimit": num(2), "template": t}}}}))
		count(RuleNonRoot, f.insecure)
		count(RuleSeccompRO, f.insecure || f.writable)
		count(RuleImagePinned, f.latest)
		count(RuleJobSidecar, enrolled)
		count(RuleStrictMTLS, permissive)
		count(RuleInboundBypass, enrolled && f.inboundBypass)
		count(RuleOutboundBypass, enrolled && f.outboundBypass)
	}
}

// messyFlaws are the flaws messyPod drew.
type messyFlaws struct{ insecure, writable, noProbes, latest, inboundBypass, outboundBypass bool }

// messyPod draws one app's pod template of ShapeMessy (see messyNamespace).
func (b *builder) messyPod(team, ns, name string, port int) (m, messyFlaws) {
	var f messyFlaws
	tag := fmt.Sprintf("%d.%d.%d", 1+b.flaw.IntN(3), b.flaw.IntN(20), b.flaw.IntN(10))
	f.latest = b.chance(30)
	if f.latest {
		tag = "latest"
	}
	c := appContainer(name, fmt.Sprintf("registry.example.com/%s/%s:%s", team, name, tag), port, false)
	f.insecure = b.chance(75)
	f.writable = !f.insecure && b.chance(50)
	switch {
	case f.insecure:
		delete(c, "securityContext")
	case f.writable:
		c["securityContext"].(m)["readOnlyRootFilesystem"] = false
	}
	f.noProbes = b.chance(55)
	if f.noProbes {
		delete(c, "readinessProbe")
		delete(c, "livenessProbe")
	}
	if b.chance(50) {
		delete(c, "resources")
	}
	sa := ""
	if b.chance(20) {
		sa = name
		b.add(obj("v1", "ServiceAccount", b.meta(name, ns, m{"app": name}, nil), nil))
	}
	t := podTemplate(name, sa, nil, nil, l{c})
	spec := t["spec"].(m)
	if sa == "" {
		delete(spec, "serviceAccountName")
		delete(spec, "automountServiceAccountToken")
	}
	delete(spec, "priorityClassName")
	if f.insecure {
		delete(spec, "securityContext")
	}
	if b.chance(25) {
		// A metrics or admin port kept out of the sidecar (the talk's
		// inbound-port annotations).
		f.inboundBypass = true
		t["metadata"].(m)["annotations"].(m)["traffic.sidecar.istio.io/excludeInboundPorts"] = "9102"
	}
	if b.chance(20) {
		// The database traffic kept out of the mesh (the talk's
		// databases bypassing the mesh).
		f.outboundBypass = true
		t["metadata"].(m)["annotations"].(m)["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = "10.20.0.0/16"
	}
	if b.chance(15) {
		// Node logs read from the host.
		spec["volumes"] = append(spec["volumes"].(l), m{"name": "varlog", "hostPath": m{"path": "/var/log", "type": "Directory"}})
		c["volumeMounts"] = append(c["volumeMounts"].(l), m{"name": "varlog", "mountPath": "/host/var/log", "readOnly": true})
	}
	return t, f
}

// policyNamespace writes one application namespace of ShapePolicy: the
// default shape's namespace, then per app three more AuthorizationPolicies
// (callers from two other namespaces, a DENY on admin paths, metrics from
// the monitoring namespace) and a Sidecar selecting it, and four
// ServiceEntries to external APIs (two with wildcard hosts such as
// `*.googleapis.com`, resolved with DYNAMIC_DNS as Istio requires), each
// with a DestinationRule setting connection limits.
//
// Planted and counted, besides the default shape's: AUTHZ-02, every added
// ALLOW policy whose global index k has k%13 == 4 holds a catch-all rule
// `{}` (one finding per policy); EGR-04, every added ServiceEntry with
// global index j%7 == 2 lacks its justification (as in the default shape),
// and every one with j%11 == 6 has the catch-all host `*.com` (one finding
// per ServiceEntry whatever its problems).
func (b *builder) policyNamespace(i int) {
	b.appNamespace(i)
	team := teams[i%len(teams)]
	ns := fmt.Sprintf("%s-%03d", team, i)
	for a, app := range appNames {
		callers := l{fmt.Sprintf("cluster.local/ns/%s/sa/web", teams[(i+1)%len(teams)]+fmt.Sprintf("-%03d", i+1)),
			fmt.Sprintf("cluster.local/ns/%s/sa/api", teams[(i+3)%len(teams)]+fmt.Sprintf("-%03d", i+3))}
		allow := func(name string, rule m) {
			if b.ap%13 == 4 {
				rule = m{}
				b.c.Expected[RuleAllowAll]++
			}
			b.ap++
			b.add(obj("security.istio.io/v1", "AuthorizationPolicy", b.meta(name, ns, nil, nil), m{"spec": m{
				"selector": m{"matchLabels": m{"app": app}}, "action": "ALLOW", "rules": l{rule}}}))
		}
		allow(fmt.Sprintf("allow-%s-partners", app), m{"from": l{m{"source": m{"principals": callers}}},
			"to": l{m{"operation": m{"methods": l{"GET"}, "paths": l{fmt.Sprintf("/v%d/*", 1+a%2)}}}}})
		allow(fmt.Sprintf("allow-%s-metrics", app), m{"from": l{m{"source": m{"namespaces": l{"monitoring"}}}},
			"to": l{m{"operation": m{"ports": l{"15020", "15090"}}}}})
		b.add(obj("security.istio.io/v1", "AuthorizationPolicy", b.meta(fmt.Sprintf("deny-%s-admin", app), ns, nil, nil), m{"spec": m{
			"selector": m{"matchLabels": m{"app": app}}, "action": "DENY",
			"rules": l{m{"to": l{m{"operation": m{"paths": l{"/admin", "/admin/*", "/debug/*"}}}}}}}}))
		b.add(obj("networking.istio.io/v1", "Sidecar", b.meta(app, ns, nil, nil), m{"spec": m{
			"workloadSelector": m{"labels": m{"app": app}},
			"egress":           l{m{"hosts": l{"./*", "istio-system/*", fmt.Sprintf("./api-%03d.partner.example.com", i)}}}}}))
	}
	hosts := []string{"*.googleapis.com", "*.s3.eu-west-1.amazonaws.com", fmt.Sprintf("hooks-%03d.saas.example.net", i), fmt.Sprintf("ledger-%03d.bank.example.org", i)}
	for k, host := range hosts {
		ann := m{"meshaudit.io/owner": "team-" + team, "meshaudit.io/justification": "external dependency of " + ns}
		bad := false
		if b.se%7 == 2 {
			delete(ann, "meshaudit.io/justification")
			bad = true
		}
		if b.se%11 == 6 {
			host = "*.com"
			bad = true
		}
		if bad {
			b.c.Expected[RuleServiceEntry]++
		}
		b.se++
		resolution := "DNS"
		if strings.HasPrefix(host, "*") {
			resolution = "DYNAMIC_DNS"
		}
		name := fmt.Sprintf("external-%d", k)
		b.add(obj("networking.istio.io/v1", "ServiceEntry", b.meta(name, ns, nil, ann), m{"spec": m{
			"hosts": l{host}, "ports": l{m{"number": num(443), "name": "tls", "protocol": "TLS"}}, "resolution": resolution, "location": "MESH_EXTERNAL", "exportTo": l{"."}}}))
		b.add(obj("networking.istio.io/v1", "DestinationRule", b.meta(name, ns, nil, nil), m{"spec": m{"host": host, "exportTo": l{"."},
			"trafficPolicy": m{"connectionPool": m{"tcp": m{"maxConnections": num(50), "connectTimeout": "2s"}}, "outlierDetection": m{"consecutive5xxErrors": num(3), "interval": "30s"}}}}))
	}
}

// manifestsConfigMap is the application settings ConfigMap a repository
// keeps beside each app (ShapeManifests).
func (b *builder) manifestsConfigMap(ns, app string, port int) {
	props := fmt.Sprintf("server.port=%d\nlogging.level.root=INFO\nmanagement.endpoints.web.exposure.include=health,prometheus\nspring.datasource.url=jdbc:postgresql://db.%s.svc.cluster.local:5432/%s\nfeature.flags=checkout-v2,search-boost\n", port, ns, app)
	b.add(obj("v1", "ConfigMap", b.meta(app+"-config", ns, m{"app": app}, nil), m{"data": m{
		"application.properties": props, "LOG_FORMAT": "json", "HTTP_TIMEOUT": "5s"}}))
}
