// Package gen generates realistic, deterministic Kubernetes + Istio clusters
// for benchmarks: as manifest files (one multi-document YAML file per
// namespace) and as a live-shaped snapshot.
//
// A cluster of about N objects has a fixed infrastructure part (kube-system
// with privileged node agents, istio-system with istiod, ingress and egress
// gateways, the mesh ConfigMap, a mesh-wide STRICT PeerAuthentication, an
// allow-nothing AuthorizationPolicy, the injector and validator webhooks,
// Telemetry, EnvoyFilter, a Gateway API Gateway, cluster RBAC) and then
// application namespaces until N is reached. Every application namespace
// holds five apps (four Deployments and one StatefulSet) with a
// ServiceAccount, Service, PodDisruptionBudget, DestinationRule and
// VirtualService each, the Deployment's ReplicaSet and two live-shaped Pods
// per app (owned via the ReplicaSet / StatefulSet, carrying the injected
// istio-proxy and istio-init containers and the sidecar.istio.io/status
// annotation when the namespace is enrolled), plus namespace policy:
// PeerAuthentication, allow-nothing and per-app AuthorizationPolicies,
// RequestAuthentication, default-deny and allow NetworkPolicies, Sidecar,
// ServiceEntry routed through the egress gateway (VirtualService), Role,
// RoleBinding, LimitRange, ResourceQuota, and in some namespaces a
// CronJob (and the completed Job it owns), a WorkloadEntry, a Telemetry, an
// HTTPRoute or an Ingress served by Istio (ingressClassName istio).
//
// One namespace in ten is not enrolled in the mesh (no injection label, no
// sidecars); one in ten is enrolled by revision label (istio.io/rev).
//
// Planted violations, counted in Cluster.Expected (findings per rule id):
//
//   - POD-03: every app whose global index i has i%37 == 5 runs its app
//     container with securityContext.privileged: true (one finding per
//     owning workload; the Pods and ReplicaSets it owns are not reported).
//     kube-system's privileged kube-proxy and istio-cni-node DaemonSets are
//     not counted: kube-system is an excluded namespace.
//   - MESH-04: every app in an enrolled namespace with i%23 == 3 carries
//     traffic.sidecar.istio.io/excludeOutboundIPRanges: 10.96.0.0/12 on its
//     pod template (and its Pods): one finding per owning workload.
//   - EGR-04: every ServiceEntry whose global index j has j%7 == 2 lacks the
//     meshaudit.io/justification annotation: one finding each. Every other
//     ServiceEntry is fully documented and narrow.
//
// Expected counts are the same for the manifests and for the snapshot.
//
// That is the default shape (Config.Shape ""); shapes.go adds a messy,
// findings-heavy cluster, a manifest repository and a mesh-policy-heavy
// cluster, each with its own planted and counted violations. The default
// shape's output does not depend on the others.
package gen

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Config sizes a generated cluster.
type Config struct {
	Objects int    // target object count (the result is within one namespace of it)
	Seed    uint64 // same seed and size: byte-identical output
	// Shape is the kind of cluster (see shapes.go); "" is ShapeDefault,
	// whose output is unchanged by the other shapes.
	Shape Shape
}

// Cluster is a generated cluster.
type Cluster struct {
	Objects    []map[string]any // in generation order
	Namespaces int              // namespaces, infrastructure ones included
	// Expected is the number of findings per planted rule id.
	Expected map[string]int
	// files maps a manifest file name to the indexes of its objects.
	files map[string][]int
	order []string
}

// Counted rule ids (see the package comment).
const (
	RulePrivileged     = "POD-03"
	RuleOutboundBypass = "MESH-04"
	RuleServiceEntry   = "EGR-04"
)

type builder struct {
	c    *Cluster
	rnd  *rand.Rand
	file string
	t0   time.Time
	uid  uint64
	app  int // global app index
	se   int // global ServiceEntry index
	ap   int // global AuthorizationPolicy index (policy-heavy shape)

	shape Shape
	flaw  *rand.Rand // the shapes' own draws (the default shape never uses it)
}

// Generate builds a cluster. It is deterministic in cfg.
func Generate(cfg Config) *Cluster {
	if cfg.Objects <= 0 {
		cfg.Objects = 1000
	}
	b := &builder{
		c:     &Cluster{Expected: map[string]int{RulePrivileged: 0, RuleOutboundBypass: 0, RuleServiceEntry: 0}, files: map[string][]int{}},
		rnd:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		t0:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		shape: cfg.Shape,
		flaw:  rand.New(rand.NewPCG(cfg.Seed^0x5deece66d, cfg.Seed+0xb)),
	}
	nsFunc := b.appNamespace
	switch cfg.Shape {
	case ShapeDefault, ShapeManifests:
	case ShapeMessy:
		b.c.Expected = map[string]int{}
		for _, id := range messyRules {
			b.c.Expected[id] = 0
		}
		// istiod (infrastructure, every shape) runs 2 replicas without
		// a PodDisruptionBudget.
		b.c.Expected[RulePDB] = 1
		nsFunc = b.messyNamespace
	case ShapePolicy:
		b.c.Expected[RuleAllowAll] = 0
		nsFunc = b.policyNamespace
	default:
		panic("gen: unknown shape " + string(cfg.Shape))
	}
	b.infra()
	for i := 0; len(b.c.Objects) < cfg.Objects; i++ {
		nsFunc(i)
	}
	return b.c
}

// ---- low-level helpers ------------------------------------------------------

type m = map[string]any
type l = []any

func num(i int) json.Number { return json.Number(strconv.Itoa(i)) }

func (b *builder) add(o m) m {
	b.c.files[b.file] = append(b.c.files[b.file], len(b.c.Objects))
	if len(b.c.files[b.file]) == 1 {
		b.c.order = append(b.c.order, b.file)
	}
	b.c.Objects = append(b.c.Objects, o)
	return o
}

func (b *builder) nextUID() string {
	b.uid++
	x := b.uid*0x9e3779b97f4a7c15 ^ 0xdeadbeef
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(x>>32), uint16(x>>16), uint16(x), uint16(b.uid), b.uid)
}

func (b *builder) meta(name, ns string, labels, ann m) m {
	if b.shape == ShapeManifests {
		// As written in a repository: no server-set fields.
		b.uid++
		md := m{"name": name}
		if ns != "" {
			md["namespace"] = ns
		}
		if len(labels) > 0 {
			md["labels"] = labels
		}
		if len(ann) > 0 {
			md["annotations"] = ann
		}
		return md
	}
	md := m{
		"name":              name,
		"uid":               b.nextUID(),
		"resourceVersion":   strconv.FormatUint(100000+b.uid, 10),
		"creationTimestamp": b.t0.Add(time.Duration(b.uid) * time.Second).Format(time.RFC3339),
	}
	if ns != "" {
		md["namespace"] = ns
	}
	if len(labels) > 0 {
		md["labels"] = labels
	}
	if len(ann) > 0 {
		md["annotations"] = ann
	}
	return md
}

func obj(apiVersion, kind string, md m, rest m) m {
	o := m{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range rest {
		o[k] = v
	}
	return o
}

func copyMap(x m) m {
	out := make(m, len(x))
	for k, v := range x {
		out[k] = v
	}
	return out
}

// deepCopy copies a JSON-shaped value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case m:
		out := make(m, len(t))
		for k, c := range t {
			out[k] = deepCopy(c)
		}
		return out
	case l:
		out := make(l, len(t))
		for i, c := range t {
			out[i] = deepCopy(c)
		}
		return out
	}
	return v
}

func ownerRef(apiVersion, kind, name, uid string) l {
	return l{m{"apiVersion": apiVersion, "kind": kind, "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}}
}

// ---- containers -------------------------------------------------------------

func appContainer(name, image string, port int, privileged bool) m {
	sc := m{"runAsNonRoot": true, "runAsUser": num(10001), "allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true, "capabilities": m{"drop": l{"ALL"}}, "seccompProfile": m{"type": "RuntimeDefault"}}
	if privileged {
		sc = m{"privileged": true, "runAsUser": num(0)}
	}
	return m{
		"name":            name,
		"image":           image,
		"imagePullPolicy": "IfNotPresent",
		"ports":           l{m{"name": "http", "containerPort": num(port), "protocol": "TCP"}},
		"env": l{
			m{"name": "LOG_LEVEL", "value": "info"},
			m{"name": "POD_NAME", "valueFrom": m{"fieldRef": m{"fieldPath": "metadata.name"}}},
			m{"name": "DB_PASSWORD", "valueFrom": m{"secretKeyRef": m{"name": name + "-db", "key": "password"}}},
		},
		"resources": m{
			"requests": m{"cpu": "100m", "memory": "128Mi"},
			"limits":   m{"cpu": "1", "memory": "512Mi"},
		},
		"readinessProbe":  m{"httpGet": m{"path": "/ready", "port": num(port)}, "periodSeconds": num(5)},
		"livenessProbe":   m{"httpGet": m{"path": "/healthz", "port": num(port)}, "periodSeconds": num(10)},
		"securityContext": sc,
		"volumeMounts":    l{m{"name": "tmp", "mountPath": "/tmp"}},
	}
}

// proxyContainer is the istio-proxy container as the injector writes it.
func proxyContainer(app string, gateway bool) m {
	args := l{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"}
	if gateway {
		args = l{"proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning"}
	}
	env := l{}
	for _, kv := range [][2]string{
		{"PILOT_CERT_PROVIDER", "istiod"}, {"CA_ADDR", "istiod.istio-system.svc:15012"},
		{"ISTIO_META_CLUSTER_ID", "Kubernetes"}, {"ISTIO_META_WORKLOAD_NAME", app},
		{"ISTIO_META_MESH_ID", "cluster.local"}, {"TRUST_DOMAIN", "cluster.local"},
		{"ISTIO_META_INTERCEPTION_MODE", "REDIRECT"}, {"ISTIO_META_APP_CONTAINERS", app},
	} {
		env = append(env, m{"name": kv[0], "value": kv[1]})
	}
	env = append(env,
		m{"name": "POD_NAME", "valueFrom": m{"fieldRef": m{"fieldPath": "metadata.name"}}},
		m{"name": "POD_NAMESPACE", "valueFrom": m{"fieldRef": m{"fieldPath": "metadata.namespace"}}},
		m{"name": "INSTANCE_IP", "valueFrom": m{"fieldRef": m{"fieldPath": "status.podIP"}}},
	)
	return m{
		"name":  "istio-proxy",
		"image": "docker.io/istio/proxyv2:1.31.2",
		"args":  args,
		"env":   env,
		"ports": l{m{"name": "http-envoy-prom", "containerPort": num(15090), "protocol": "TCP"}},
		"readinessProbe": m{"httpGet": m{"path": "/healthz/ready", "port": num(15021)},
			"periodSeconds": num(15), "failureThreshold": num(4), "timeoutSeconds": num(3)},
		"resources": m{"requests": m{"cpu": "100m", "memory": "128Mi"}, "limits": m{"cpu": "2", "memory": "1Gi"}},
		"securityContext": m{"allowPrivilegeEscalation": false, "privileged": false, "readOnlyRootFilesystem": true,
			"runAsGroup": num(1337), "runAsNonRoot": true, "runAsUser": num(1337), "capabilities": m{"drop": l{"ALL"}}},
		"volumeMounts": l{
			m{"name": "workload-socket", "mountPath": "/var/run/secrets/workload-spiffe-uds"},
			m{"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
			m{"name": "istio-data", "mountPath": "/var/lib/istio/data"},
			m{"name": "istio-token", "mountPath": "/var/run/secrets/tokens"},
			m{"name": "istiod-ca-cert", "mountPath": "/var/run/secrets/istio"},
		},
	}
}

func initContainer() m {
	return m{
		"name":  "istio-init",
		"image": "docker.io/istio/proxyv2:1.31.2",
		"args":  l{"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"},
		"securityContext": m{"allowPrivilegeEscalation": false, "privileged": false, "runAsNonRoot": false, "runAsUser": num(0),
			"capabilities": m{"add": l{"NET_ADMIN", "NET_RAW"}, "drop": l{"ALL"}}},
		"resources": m{"requests": m{"cpu": "10m", "memory": "40Mi"}, "limits": m{"cpu": "2", "memory": "1Gi"}},
	}
}

var proxyVolumes = l{
	m{"name": "workload-socket", "emptyDir": m{}},
	m{"name": "istio-envoy", "emptyDir": m{"medium": "Memory"}},
	m{"name": "istio-data", "emptyDir": m{}},
	m{"name": "istio-token", "projected": m{"sources": l{m{"serviceAccountToken": m{"audience": "istio-ca", "expirationSeconds": num(43200), "path": "istio-token"}}}}},
	m{"name": "istiod-ca-cert", "configMap": m{"name": "istio-ca-root-cert"}},
}

const sidecarStatus = `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}`

// injectPod turns a pod spec/metadata into what the injector writes.
func injectPod(md, spec m, app string) {
	ann, _ := md["annotations"].(m)
	if ann == nil {
		ann = m{}
		md["annotations"] = ann
	}
	ann["sidecar.istio.io/status"] = sidecarStatus
	ann["kubectl.kubernetes.io/default-container"] = app
	ann["prometheus.io/path"] = "/stats/prometheus"
	ann["prometheus.io/port"] = "15020"
	ann["prometheus.io/scrape"] = "true"
	ann["istio.io/rev"] = "default"
	lbls, _ := md["labels"].(m)
	if lbls != nil {
		lbls["security.istio.io/tlsMode"] = "istio"
		lbls["service.istio.io/canonical-name"] = app
		lbls["service.istio.io/canonical-revision"] = "v1"
	}
	spec["containers"] = append(spec["containers"].(l), proxyContainer(app, false))
	spec["initContainers"] = l{initContainer()}
	spec["volumes"] = append(spec["volumes"].(l), deepCopy(proxyVolumes).(l)...)
}

// ---- workloads ----------------------------------------------------------------

type workload struct {
	ns, name, kind string
	replicas       int
	template       m // pod template (metadata + spec), uninjected
	injected       bool
	gateway        bool
	strategy       m
}

// emit writes a workload (Deployment + ReplicaSet + Pods, or StatefulSet +
// Pods, or DaemonSet) in live shape.
func (b *builder) emit(w workload) {
	tmplMD := w.template["metadata"].(m)
	sel := m{"matchLabels": m{"app": tmplMD["labels"].(m)["app"]}}
	spec := m{"replicas": num(w.replicas), "selector": sel, "template": w.template, "revisionHistoryLimit": num(10)}
	status := m{"replicas": num(w.replicas), "readyReplicas": num(w.replicas), "availableReplicas": num(w.replicas), "observedGeneration": num(1)}
	switch w.kind {
	case "StatefulSet":
		spec["serviceName"] = w.name
		spec["podManagementPolicy"] = "OrderedReady"
		spec["updateStrategy"] = m{"type": "RollingUpdate", "rollingUpdate": m{"partition": num(0)}}
	case "DaemonSet":
		delete(spec, "replicas")
		spec["updateStrategy"] = m{"type": "RollingUpdate", "rollingUpdate": m{"maxUnavailable": num(1)}}
		status = m{"desiredNumberScheduled": num(3), "numberReady": num(3)}
	default:
		if w.strategy != nil {
			spec["strategy"] = w.strategy
		}
		spec["progressDeadlineSeconds"] = num(600)
	}
	if b.shape == ShapeManifests {
		// Declared state only: no status, no ReplicaSet, no Pods.
		b.add(obj("apps/v1", w.kind, b.meta(w.name, w.ns, m{"app": w.name, "app.kubernetes.io/part-of": "shop"}, nil), m{"spec": spec}))
		return
	}
	owner := obj("apps/v1", w.kind, b.meta(w.name, w.ns, m{"app": w.name, "app.kubernetes.io/part-of": "shop"}, m{"deployment.kubernetes.io/revision": "1"}),
		m{"spec": spec, "status": status})
	b.add(owner)
	if w.kind == "DaemonSet" {
		return
	}
	podOwnerKind, podOwnerName, podOwnerUID := w.kind, w.name, owner["metadata"].(m)["uid"].(string)
	hash := fmt.Sprintf("%x", b.rnd.Uint32()&0xfffffff)
	if w.kind == "Deployment" {
		rsName := w.name + "-" + hash
		rsTmpl := deepCopy(w.template).(m)
		rsTmpl["metadata"].(m)["labels"].(m)["pod-template-hash"] = hash
		rsMD := b.meta(rsName, w.ns, m{"app": w.name, "pod-template-hash": hash}, m{"deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": strconv.Itoa(w.replicas)})
		rsMD["ownerReferences"] = ownerRef("apps/v1", "Deployment", w.name, podOwnerUID)
		rs := b.add(obj("apps/v1", "ReplicaSet", rsMD, m{
			"spec":   m{"replicas": num(w.replicas), "selector": m{"matchLabels": m{"app": w.name, "pod-template-hash": hash}}, "template": rsTmpl},
			"status": m{"replicas": num(w.replicas), "readyReplicas": num(w.replicas), "availableReplicas": num(w.replicas)},
		}))
		podOwnerKind, podOwnerName, podOwnerUID = "ReplicaSet", rsName, rs["metadata"].(m)["uid"].(string)
	}
	for r := 0; r < w.replicas; r++ {
		pt := deepCopy(w.template).(m)
		pmd := pt["metadata"].(m)
		pspec := pt["spec"].(m)
		var podName string
		if w.kind == "StatefulSet" {
			podName = fmt.Sprintf("%s-%d", w.name, r)
		} else {
			podName = fmt.Sprintf("%s-%s-%05x", w.name, hash, b.rnd.Uint32()&0xfffff)
			pmd["labels"].(m)["pod-template-hash"] = hash
		}
		md := b.meta(podName, w.ns, pmd["labels"].(m), copyMap(pmd["annotations"].(m)))
		md["ownerReferences"] = ownerRef("apps/v1", podOwnerKind, podOwnerName, podOwnerUID)
		if w.injected {
			injectPod(md, pspec, w.name)
		}
		pspec["nodeName"] = fmt.Sprintf("node-%03d", b.rnd.IntN(64))
		pspec["tolerations"] = l{
			m{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": num(300)},
			m{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": num(300)},
		}
		ip := fmt.Sprintf("10.%d.%d.%d", 64+b.rnd.IntN(64), b.rnd.IntN(256), 1+b.rnd.IntN(254))
		b.add(obj("v1", "Pod", md, m{"spec": pspec, "status": m{
			"phase": "Running", "podIP": ip, "podIPs": l{m{"ip": ip}}, "hostIP": "192.168.0." + strconv.Itoa(1+b.rnd.IntN(64)),
			"qosClass":   "Burstable",
			"conditions": l{m{"type": "Ready", "status": "True"}, m{"type": "ContainersReady", "status": "True"}, m{"type": "PodScheduled", "status": "True"}},
		}}))
	}
}

func podTemplate(app, sa string, labels, ann m, containers l) m {
	lbls := m{"app": app, "version": "v1"}
	for k, v := range labels {
		lbls[k] = v
	}
	if ann == nil {
		ann = m{}
	}
	return m{
		"metadata": m{"labels": lbls, "annotations": ann},
		"spec": m{
			"serviceAccountName":            sa,
			"automountServiceAccountToken":  false,
			"securityContext":               m{"runAsNonRoot": true, "seccompProfile": m{"type": "RuntimeDefault"}, "fsGroup": num(10001)},
			"containers":                    containers,
			"volumes":                       l{m{"name": "tmp", "emptyDir": m{}}},
			"terminationGracePeriodSeconds": num(30),
			"priorityClassName":             "app-default",
			"topologySpreadConstraints": l{m{"maxSkew": num(1), "topologyKey": "topology.kubernetes.io/zone",
				"whenUnsatisfiable": "ScheduleAnyway", "labelSelector": m{"matchLabels": m{"app": app}}}},
		},
	}
}

var rollout = m{"type": "RollingUpdate", "rollingUpdate": m{"maxUnavailable": num(1), "maxSurge": num(0)}}

// ---- infrastructure -------------------------------------------------------------

const meshConfig = `accessLogFile: /dev/stdout
accessLogEncoding: JSON
enableAutoMtls: true
enablePrometheusMerge: true
rootNamespace: istio-system
trustDomain: cluster.local
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
defaultServiceExportTo: ["."]
defaultVirtualServiceExportTo: ["."]
defaultDestinationRuleExportTo: ["."]
pathNormalization:
  normalization: MERGE_SLASHES
meshMTLS:
  minProtocolVersion: TLSV1_2
defaultConfig:
  holdApplicationUntilProxyStarts: true
  discoveryAddress: istiod.istio-system.svc:15012
`

func (b *builder) infra() {
	b.file = "0000-cluster.yaml"
	b.add(obj("scheduling.k8s.io/v1", "PriorityClass", b.meta("app-default", "", nil, nil), m{"value": num(1000), "globalDefault": false, "description": "default priority of application pods"}))
	b.add(obj("scheduling.k8s.io/v1", "PriorityClass", b.meta("mesh-critical", "", nil, nil), m{"value": num(1000000), "globalDefault": false}))
	b.add(obj("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", b.meta("istio-sidecar-injector", "", m{"app": "sidecar-injector", "istio.io/rev": "default"}, nil), m{
		"webhooks": l{m{"name": "namespace.sidecar-injector.istio.io", "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": l{"v1"},
			"clientConfig":      m{"service": m{"name": "istiod", "namespace": "istio-system", "path": "/inject", "port": num(443)}},
			"namespaceSelector": m{"matchExpressions": l{m{"key": "istio-injection", "operator": "In", "values": l{"enabled"}}}},
			"rules":             l{m{"apiGroups": l{""}, "apiVersions": l{"v1"}, "operations": l{"CREATE"}, "resources": l{"pods"}}}}},
	}))
	b.add(obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", b.meta("istio-validator-istio-system", "", m{"app": "istiod", "istio.io/rev": "default"}, nil), m{
		"webhooks": l{m{"name": "rev.validation.istio.io", "failurePolicy": "Fail", "sideEffects": "None", "admissionReviewVersions": l{"v1"},
			"clientConfig": m{"service": m{"name": "istiod", "namespace": "istio-system", "path": "/validate", "port": num(443)}}}},
	}))
	for i, role := range []string{"view", "edit", "admin", "istio-reader", "mesh-admin", "monitoring", "ci-deployer", "cert-manager"} {
		rules := l{m{"apiGroups": l{"", "apps"}, "resources": l{"pods", "services", "deployments"}, "verbs": l{"get", "list", "watch"}}}
		if role == "mesh-admin" {
			rules = append(rules, m{"apiGroups": l{"security.istio.io", "networking.istio.io"}, "resources": l{"authorizationpolicies", "peerauthentications", "sidecars", "gateways", "serviceentries"}, "verbs": l{"*"}})
		}
		b.add(obj("rbac.authorization.k8s.io/v1", "ClusterRole", b.meta("platform-"+role, "", m{"rbac.example.com/tier": strconv.Itoa(i)}, nil), m{"rules": rules}))
		b.add(obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", b.meta("platform-"+role, "", nil, nil), m{
			"roleRef":  m{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "platform-" + role},
			"subjects": l{m{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "platform:" + role}},
		}))
	}

	// kube-system: excluded; privileged node agents are not findings.
	b.file = "0001-kube-system.yaml"
	b.c.Namespaces++
	b.add(obj("v1", "Namespace", b.meta("kube-system", "", m{"kubernetes.io/metadata.name": "kube-system"}, nil), m{"spec": m{"finalizers": l{"kubernetes"}}}))
	nodeAgents := []string{"kube-proxy", "istio-cni-node"}
	if b.shape == ShapeMessy {
		nodeAgents = nodeAgents[:1] // Istio installed without CNI, its default
	}
	for _, ds := range nodeAgents {
		c := appContainer(ds, "registry.k8s.io/"+ds+":v1.37.2", 10256, true)
		t := podTemplate(ds, ds, nil, nil, l{c})
		t["spec"].(m)["hostNetwork"] = true
		t["spec"].(m)["priorityClassName"] = "system-node-critical"
		b.emit(workload{ns: "kube-system", name: ds, kind: "DaemonSet", template: t})
	}
	b.emit(workload{ns: "kube-system", name: "coredns", kind: "Deployment", replicas: 2, strategy: rollout,
		template: podTemplate("coredns", "coredns", nil, nil, l{appContainer("coredns", "registry.k8s.io/coredns/coredns:v1.12.1", 53, false)})})

	// istio-system: the control plane and gateways.
	b.file = "0002-istio-system.yaml"
	b.c.Namespaces++
	ns := "istio-system"
	b.add(obj("v1", "Namespace", b.meta(ns, "", m{"kubernetes.io/metadata.name": ns, "pod-security.kubernetes.io/enforce": "baseline"}, nil), nil))
	b.add(obj("v1", "ConfigMap", b.meta("istio", ns, m{"istio.io/rev": "default"}, nil), m{"data": m{"mesh": meshConfig, "meshNetworks": "networks: {}\n"}}))
	b.add(obj("v1", "ConfigMap", b.meta("istio-ca-root-cert", ns, nil, nil), m{"data": m{"root-cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"}}))
	istiod := appContainer("discovery", "docker.io/istio/pilot:1.31.2", 15010, false)
	istiod["env"] = append(istiod["env"].(l), m{"name": "ENABLE_DEBUG_ON_HTTP", "value": "false"}, m{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "24h"})
	b.emit(workload{ns: ns, name: "istiod", kind: "Deployment", replicas: 2, strategy: rollout,
		template: podTemplate("istiod", "istiod", m{"istio": "pilot", "istio.io/rev": "default", "sidecar.istio.io/inject": "false"}, nil, l{istiod})})
	b.add(obj("v1", "Service", b.meta("istiod", ns, m{"app": "istiod", "istio": "pilot"}, nil), m{"spec": m{"selector": m{"app": "istiod"}, "type": "ClusterIP",
		"ports": l{m{"name": "grpc-xds", "port": num(15010)}, m{"name": "https-dns", "port": num(15012)}, m{"name": "https-webhook", "port": num(443), "targetPort": num(15017)}}}}))
	for _, gw := range []struct{ name, label, svcType string }{{"istio-ingressgateway", "ingressgateway", "LoadBalancer"}, {"istio-egressgateway", "egressgateway", "ClusterIP"}} {
		c := proxyContainer(gw.name, true)
		c["image"] = "auto"
		t := podTemplate(gw.name, gw.name, m{"istio": gw.label}, m{"inject.istio.io/templates": "gateway"}, l{c})
		b.emit(workload{ns: ns, name: gw.name, kind: "Deployment", replicas: 2, strategy: rollout, template: t, gateway: true})
		spec := m{"selector": m{"istio": gw.label}, "type": gw.svcType, "ports": l{m{"name": "http2", "port": num(80), "targetPort": num(8080)}, m{"name": "https", "port": num(443), "targetPort": num(8443)}}}
		if gw.svcType == "LoadBalancer" {
			spec["loadBalancerSourceRanges"] = l{"10.0.0.0/8"}
		}
		b.add(obj("v1", "Service", b.meta(gw.name, ns, m{"istio": gw.label}, nil), m{"spec": spec}))
		b.add(obj("policy/v1", "PodDisruptionBudget", b.meta(gw.name, ns, nil, nil), m{"spec": m{"minAvailable": num(1), "selector": m{"matchLabels": m{"istio": gw.label}}}}))
		b.add(obj("autoscaling/v2", "HorizontalPodAutoscaler", b.meta(gw.name, ns, nil, nil), m{"spec": m{"minReplicas": num(2), "maxReplicas": num(10),
			"scaleTargetRef": m{"apiVersion": "apps/v1", "kind": "Deployment", "name": gw.name}}}))
	}
	b.add(obj("networking.istio.io/v1", "Gateway", b.meta("public-gateway", ns, nil, nil), m{"spec": m{"selector": m{"istio": "ingressgateway"}, "servers": l{
		m{"port": m{"number": num(443), "name": "https", "protocol": "HTTPS"}, "hosts": l{"*.shop.example.com"}, "tls": m{"mode": "SIMPLE", "credentialName": "shop-cert", "minProtocolVersion": "TLSV1_2"}},
		m{"port": m{"number": num(80), "name": "http", "protocol": "HTTP"}, "hosts": l{"*.shop.example.com"}, "tls": m{"httpsRedirect": true}},
	}}}))
	b.add(obj("networking.istio.io/v1", "Gateway", b.meta("egress-gateway", ns, nil, nil), m{"spec": m{"selector": m{"istio": "egressgateway"}, "servers": l{
		m{"port": m{"number": num(443), "name": "tls", "protocol": "TLS"}, "hosts": l{"*.partner.example.com"}, "tls": m{"mode": "ISTIO_MUTUAL"}},
	}}}))
	b.add(obj("gateway.networking.k8s.io/v1", "Gateway", b.meta("api-gateway", ns, nil, nil), m{"spec": m{"gatewayClassName": "istio", "listeners": l{
		m{"name": "https", "port": num(443), "protocol": "HTTPS", "hostname": "api.example.com", "tls": m{"mode": "Terminate", "certificateRefs": l{m{"name": "api-cert"}}}}}}}))
	b.add(obj("security.istio.io/v1", "PeerAuthentication", b.meta("default", ns, nil, nil), m{"spec": m{"mtls": m{"mode": "STRICT"}}}))
	b.add(obj("security.istio.io/v1", "AuthorizationPolicy", b.meta("allow-nothing", ns, nil, nil), m{"spec": m{}}))
	b.add(obj("telemetry.istio.io/v1", "Telemetry", b.meta("mesh-default", ns, nil, nil), m{"spec": m{"accessLogging": l{m{"providers": l{m{"name": "envoy"}}}}}}))
	b.add(obj("networking.istio.io/v1", "Sidecar", b.meta("default", ns, nil, nil), m{"spec": m{"egress": l{m{"hosts": l{"./*", "istio-system/*"}}}, "outboundTrafficPolicy": m{"mode": "REGISTRY_ONLY"}}}))
	b.add(obj("networking.istio.io/v1alpha3", "EnvoyFilter", b.meta("ingress-limits", ns, nil, nil), m{"spec": m{"workloadSelector": m{"labels": m{"istio": "ingressgateway"}},
		"configPatches": l{m{"applyTo": "NETWORK_FILTER", "match": m{"context": "GATEWAY"}, "patch": m{"operation": "MERGE", "value": m{"typed_config": m{"max_connections": num(10000)}}}}}}}))
	b.add(obj("v1", "ServiceAccount", b.meta("istiod", ns, nil, nil), nil))
	b.add(obj("rbac.authorization.k8s.io/v1", "Role", b.meta("istiod", ns, nil, nil), m{"rules": l{m{"apiGroups": l{""}, "resources": l{"secrets"}, "verbs": l{"get", "watch", "list"}}}}))
	b.add(obj("rbac.authorization.k8s.io/v1", "RoleBinding", b.meta("istiod", ns, nil, nil), m{"roleRef": m{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "istiod"},
		"subjects": l{m{"kind": "ServiceAccount", "name": "istiod", "namespace": ns}}}))
}

// ---- application namespaces ------------------------------------------------------

var teams = []string{"payments", "orders", "catalog", "search", "users", "shipping", "billing", "reviews", "cart", "ledger", "media", "notify"}

var appNames = []string{"api", "web", "worker", "cache", "db"}

func (b *builder) appNamespace(i int) {
	ns := fmt.Sprintf("%s-%03d", teams[i%len(teams)], i)
	b.file = fmt.Sprintf("%04d-%s.yaml", i+10, ns)
	b.c.Namespaces++
	enrolled := i%10 != 9
	nsLabels := m{"kubernetes.io/metadata.name": ns, "team": teams[i%len(teams)], "pod-security.kubernetes.io/enforce": "restricted"}
	switch {
	case i%10 == 8:
		nsLabels["istio.io/rev"] = "default"
	case enrolled:
		nsLabels["istio-injection"] = "enabled"
	}
	b.add(obj("v1", "Namespace", b.meta(ns, "", nsLabels, nil), m{"spec": m{"finalizers": l{"kubernetes"}}}))
	b.add(obj("security.istio.io/v1", "PeerAuthentication", b.meta("default", ns, nil, nil), m{"spec": m{"mtls": m{"mode": "STRICT"}}}))
	b.add(obj("security.istio.io/v1", "AuthorizationPolicy", b.meta("allow-nothing", ns, nil, nil), m{"spec": m{}}))
	b.add(obj("security.istio.io/v1", "RequestAuthentication", b.meta("jwt", ns, nil, nil), m{"spec": m{"selector": m{"matchLabels": m{"app": "api"}},
		"jwtRules": l{m{"issuer": "https://issuer.example.com", "jwksUri": "https://issuer.example.com/.well-known/jwks.json"}}}}))
	b.add(obj("networking.k8s.io/v1", "NetworkPolicy", b.meta("default-deny", ns, nil, nil), m{"spec": m{"podSelector": m{}, "policyTypes": l{"Ingress", "Egress"}}}))
	b.add(obj("networking.k8s.io/v1", "NetworkPolicy", b.meta("allow-mesh", ns, nil, nil), m{"spec": m{"podSelector": m{}, "policyTypes": l{"Ingress", "Egress"},
		"ingress": l{m{"from": l{m{"namespaceSelector": m{"matchLabels": m{"kubernetes.io/metadata.name": "istio-system"}}}, m{"podSelector": m{}}}}},
		"egress": l{
			m{"to": l{m{"namespaceSelector": m{"matchLabels": m{"kubernetes.io/metadata.name": "istio-system"}}}}, "ports": l{m{"port": num(15012), "protocol": "TCP"}}},
			m{"to": l{m{"namespaceSelector": m{"matchLabels": m{"kubernetes.io/metadata.name": "kube-system"}}}}, "ports": l{m{"port": num(53), "protocol": "UDP"}}},
			m{"to": l{m{"podSelector": m{}}}},
		}}}))
	b.add(obj("networking.istio.io/v1", "Sidecar", b.meta("default", ns, nil, nil), m{"spec": m{"egress": l{m{"hosts": l{"./*", "istio-system/*"}}}}}))
	b.add(obj("v1", "LimitRange", b.meta("defaults", ns, nil, nil), m{"spec": m{"limits": l{m{"type": "Container", "default": m{"cpu": "500m", "memory": "256Mi"}, "defaultRequest": m{"cpu": "50m", "memory": "64Mi"}}}}}))
	b.add(obj("v1", "ResourceQuota", b.meta("quota", ns, nil, nil), m{"spec": m{"hard": m{"requests.cpu": "20", "requests.memory": "64Gi", "pods": "200"}}}))
	b.add(obj("rbac.authorization.k8s.io/v1", "Role", b.meta("developer", ns, nil, nil), m{"rules": l{
		m{"apiGroups": l{"", "apps"}, "resources": l{"pods", "pods/log", "deployments", "services"}, "verbs": l{"get", "list", "watch"}},
		m{"apiGroups": l{"networking.istio.io"}, "resources": l{"virtualservices", "destinationrules"}, "verbs": l{"get", "list", "watch", "create", "update", "patch"}},
	}}))
	b.add(obj("rbac.authorization.k8s.io/v1", "RoleBinding", b.meta("developers", ns, nil, nil), m{"roleRef": m{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "developer"},
		"subjects": l{m{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "team:" + teams[i%len(teams)]}}}))

	// An external dependency, documented and routed through the egress gateway.
	host := fmt.Sprintf("api-%03d.partner.example.com", i)
	seAnn := m{"meshaudit.io/owner": "team-" + teams[i%len(teams)], "meshaudit.io/justification": "partner API used for " + ns}
	if b.se%7 == 2 {
		delete(seAnn, "meshaudit.io/justification")
		b.c.Expected[RuleServiceEntry]++
	}
	b.se++
	b.add(obj("networking.istio.io/v1", "ServiceEntry", b.meta("partner-api", ns, nil, seAnn), m{"spec": m{
		"hosts": l{host}, "ports": l{m{"number": num(443), "name": "tls", "protocol": "TLS"}}, "resolution": "DNS", "location": "MESH_EXTERNAL", "exportTo": l{"."}}}))
	b.add(obj("networking.istio.io/v1", "VirtualService", b.meta("partner-api-via-egress", ns, nil, nil), m{"spec": m{
		"hosts": l{host}, "gateways": l{"mesh", "istio-system/egress-gateway"}, "exportTo": l{"."},
		"tls": l{
			m{"match": l{m{"gateways": l{"mesh"}, "port": num(443), "sniHosts": l{host}}}, "route": l{m{"destination": m{"host": "istio-egressgateway.istio-system.svc.cluster.local", "port": m{"number": num(443)}}}}},
			m{"match": l{m{"gateways": l{"istio-system/egress-gateway"}, "port": num(443), "sniHosts": l{host}}}, "route": l{m{"destination": m{"host": host, "port": m{"number": num(443)}}}}},
		}}}))

	for a, app := range appNames {
		name := app
		kind := "Deployment"
		if app == "db" {
			kind = "StatefulSet"
		}
		idx := b.app
		b.app++
		privileged := idx%37 == 5
		if privileged {
			b.c.Expected[RulePrivileged]++
		}
		ann := m{}
		if enrolled && idx%23 == 3 {
			ann["traffic.sidecar.istio.io/excludeOutboundIPRanges"] = "10.96.0.0/12"
			b.c.Expected[RuleOutboundBypass]++
		}
		port := 8080 + a
		img := fmt.Sprintf("registry.example.com/%s/%s@sha256:%064x", teams[i%len(teams)], app, b.rnd.Uint64())
		t := podTemplate(name, name, nil, ann, l{appContainer(name, img, port, privileged)})
		b.add(obj("v1", "ServiceAccount", b.meta(name, ns, m{"app": name}, nil), m{"automountServiceAccountToken": false}))
		b.emit(workload{ns: ns, name: name, kind: kind, replicas: 2, template: t, injected: enrolled, strategy: rollout})
		b.add(obj("v1", "Service", b.meta(name, ns, m{"app": name}, nil), m{"spec": m{"selector": m{"app": name}, "type": "ClusterIP",
			"clusterIP": fmt.Sprintf("10.96.%d.%d", b.rnd.IntN(256), 1+b.rnd.IntN(254)),
			"ports":     l{m{"name": "http", "port": num(80), "targetPort": num(port), "protocol": "TCP"}}}}))
		if b.shape == ShapeManifests {
			b.manifestsConfigMap(ns, name, port)
		}
		b.add(obj("policy/v1", "PodDisruptionBudget", b.meta(name, ns, nil, nil), m{"spec": m{"maxUnavailable": num(1), "selector": m{"matchLabels": m{"app": name}}}}))
		svcHost := fmt.Sprintf("%s.%s.svc.cluster.local", name, ns)
		b.add(obj("networking.istio.io/v1", "DestinationRule", b.meta(name, ns, nil, nil), m{"spec": m{"host": svcHost, "exportTo": l{"."},
			"trafficPolicy": m{"tls": m{"mode": "ISTIO_MUTUAL"}, "connectionPool": m{"tcp": m{"maxConnections": num(100)}, "http": m{"http2MaxRequests": num(1000)}},
				"outlierDetection": m{"consecutive5xxErrors": num(5), "interval": "10s", "baseEjectionTime": "30s"}},
			"subsets": l{m{"name": "v1", "labels": m{"version": "v1"}}}}}))
		b.add(obj("networking.istio.io/v1", "VirtualService", b.meta(name, ns, nil, nil), m{"spec": m{"hosts": l{svcHost}, "exportTo": l{"."},
			"http": l{m{"route": l{m{"destination": m{"host": svcHost, "subset": "v1"}}}, "timeout": "5s", "retries": m{"attempts": num(2), "perTryTimeout": "2s"}}}}}))
		b.add(obj("security.istio.io/v1", "AuthorizationPolicy", b.meta("allow-"+name, ns, nil, nil), m{"spec": m{"selector": m{"matchLabels": m{"app": name}}, "action": "ALLOW",
			"rules": l{m{"from": l{m{"source": m{"principals": l{fmt.Sprintf("cluster.local/ns/%s/sa/web", ns), "cluster.local/ns/istio-system/sa/istio-ingressgateway"}}}},
				"to": l{m{"operation": m{"methods": l{"GET", "POST"}, "paths": l{"/api/*"}}}}}}}}))
	}

	if i%5 == 0 {
		c := appContainer("report", fmt.Sprintf("registry.example.com/%s/report@sha256:%064x", teams[i%len(teams)], b.rnd.Uint64()), 9090, false)
		t := podTemplate("report", "report", nil, m{"sidecar.istio.io/nativeSidecar": "true"}, l{c})
		t["spec"].(m)["restartPolicy"] = "OnFailure"
		cj := b.add(obj("batch/v1", "CronJob", b.meta("nightly-report", ns, nil, nil), m{"spec": m{"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid",
			"jobTemplate": m{"spec": m{"backoffLimit": num(2), "template": t}}}}))
		// Its last run: a completed Job it owns (cluster state: a
		// repository of the manifests shape holds no Job).
		if b.shape != ShapeManifests {
			jmd := b.meta("nightly-report-29400000", ns, m{"app": "report"}, nil)
			jmd["ownerReferences"] = ownerRef("batch/v1", "CronJob", "nightly-report", cj["metadata"].(m)["uid"].(string))
			b.add(obj("batch/v1", "Job", jmd, m{"spec": m{"backoffLimit": num(2), "template": deepCopy(t)}, "status": m{"succeeded": num(1)}}))
		}
	}
	if i%7 == 0 {
		b.add(obj("networking.istio.io/v1", "WorkloadEntry", b.meta("legacy-vm", ns, nil, nil), m{"spec": m{"address": fmt.Sprintf("192.168.%d.%d", i%256, 10), "labels": m{"app": "legacy"}, "serviceAccount": "api"}}))
	}
	if i%10 == 3 {
		b.add(obj("gateway.networking.k8s.io/v1", "HTTPRoute", b.meta("public", ns, nil, nil), m{"spec": m{
			"parentRefs": l{m{"name": "api-gateway", "namespace": "istio-system"}}, "hostnames": l{"api.example.com"},
			"rules": l{m{"matches": l{m{"path": m{"type": "PathPrefix", "value": "/" + ns}}}, "backendRefs": l{m{"name": "api", "port": num(80)}}}}}}))
		b.add(obj("telemetry.istio.io/v1", "Telemetry", b.meta("tracing", ns, nil, nil), m{"spec": m{"tracing": l{m{"randomSamplingPercentage": num(1)}}}}))
		b.add(obj("networking.k8s.io/v1", "Ingress", b.meta("public", ns, nil, nil), m{"spec": m{"ingressClassName": "istio",
			"rules": l{m{"host": ns + ".example.com", "http": m{"paths": l{m{"path": "/", "pathType": "Prefix",
				"backend": m{"service": m{"name": "api", "port": m{"number": num(80)}}}}}}}}}}))
	}
}

// ---- outputs -----------------------------------------------------------------

// WriteManifests writes the cluster as multi-document YAML files into dir
// (created), one per namespace plus one of cluster-scoped objects, and
// returns the number of bytes written.
func (c *Cluster) WriteManifests(dir string) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var total int64
	for _, f := range c.order {
		var buf []byte
		for _, i := range c.files[f] {
			y, err := yaml.Marshal(c.Objects[i])
			if err != nil {
				return total, err
			}
			buf = append(buf, "---\n"...)
			buf = append(buf, y...)
		}
		if err := os.WriteFile(filepath.Join(dir, f), buf, 0o644); err != nil {
			return total, err
		}
		total += int64(len(buf))
	}
	return total, nil
}

// LiveKinds are the kind keys a live-shaped snapshot records as collected.
// It mirrors collectors.LiveKinds (not imported here to keep the generator
// free of client-go).
var LiveKinds = []string{
	"Namespace", "Pod", "Service", "ServiceAccount", "LimitRange", "ResourceQuota", "ConfigMap",
	"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Ingress", "NetworkPolicy",
	"PodDisruptionBudget", "HorizontalPodAutoscaler", "PriorityClass", "Role", "RoleBinding", "ClusterRole",
	"ClusterRoleBinding", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
	"VirtualService", "DestinationRule", "Gateway", "ServiceEntry", "Sidecar", "EnvoyFilter", "WorkloadEntry",
	"PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication", "Telemetry",
	"Gateway.gateway.networking.k8s.io", "HTTPRoute.gateway.networking.k8s.io",
}

// Snapshot returns the cluster as a live-shaped snapshot (source cluster,
// every live kind collected), redacted and sorted as the live collector
// leaves it. The objects are copies: the cluster is not modified.
func (c *Cluster) Snapshot(cluster string) *snapshot.Snapshot {
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Cluster:       cluster,
		Source:        snapshot.Source{Type: snapshot.SourceCluster, Inputs: []string{"generated"}},
		CollectedAt:   "2026-01-02T00:00:00Z",
		ToolVersion:   "gen",
		ParseErrors:   []snapshot.ParseError{},
		Objects:       make([]snapshot.Object, 0, len(c.Objects)),
	}
	counts := map[string]int{}
	for _, o := range c.Objects {
		oc := deepCopy(o).(m)
		md := oc["metadata"].(m)
		name, _ := md["name"].(string)
		ns, _ := md["namespace"].(string)
		apiVersion, _ := oc["apiVersion"].(string)
		kind, _ := oc["kind"].(string)
		// The live collector keeps only the root namespace's ConfigMaps.
		if kind == "ConfigMap" && ns != "istio-system" {
			continue
		}
		snapshot.Redact(kind, oc, "istio-system")
		so := snapshot.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Object: oc}
		counts[so.Key()]++
		s.Objects = append(s.Objects, so)
	}
	for _, k := range LiveKinds {
		s.Kinds = append(s.Kinds, snapshot.KindStatus{Kind: k, Status: snapshot.StatusCollected, Count: counts[k]})
	}
	s.Sort()
	return s
}

// Summary counts objects by kind, sorted by kind.
func (c *Cluster) Summary() []KindCount {
	counts := map[string]int{}
	for _, o := range c.Objects {
		counts[o["kind"].(string)]++
	}
	out := make([]KindCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, KindCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// KindCount is one line of Summary.
type KindCount struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}
