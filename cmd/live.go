package cmd

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

func addLiveFlags(c *cobra.Command) {
	f := c.Flags()
	f.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster config)")
	f.StringArray("context", nil, "kubeconfig context; repeatable, clusters are scanned concurrently (default: the current context)")
	f.Bool("all-contexts", false, "scan every context of the kubeconfig")
	f.Float32("qps", 20, "API client queries per second")
	f.Int("burst", 40, "API client burst")
	f.Int64("page-size", 500, "objects per list page")
	f.Int("concurrency", 4, "kinds listed at the same time, per cluster")
	f.Int("cluster-concurrency", 4, "clusters collected at the same time")
	f.Duration("kind-timeout", 2*time.Minute, "time limit to list one kind (all pages and retries)")
	f.Duration("timeout", 10*time.Minute, "time limit for the whole collection")
	f.Bool("secret-names", false, "also list Secret names (metadata only; never data) for the checks that need them")
	f.BoolP("quiet", "q", false, "no progress display")
}

// collectLive snapshots each selected cluster, concurrently. A cluster that
// cannot be reached at all gets a snapshot whose kinds are all errors, so
// its rules are unknown — never pass; only when no cluster can be reached
// is it "nothing could be evaluated".
func (a *app) collectLive(parent context.Context, params policies.Params, release bool, namespaces []string) ([]*snapshot.Snapshot, error) {
	kubeconfig := a.v.GetString("kubeconfig")
	contexts := a.list("context")
	if a.v.GetBool("all-contexts") {
		if len(contexts) > 0 {
			return nil, usageErr("give either --context or --all-contexts")
		}
		all, err := collectors.Contexts(kubeconfig)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		if len(all) == 0 {
			return nil, usageErr("--all-contexts: the kubeconfig has no contexts")
		}
		contexts = all
	}
	if len(contexts) == 0 {
		contexts = []string{""} // the current context (or in-cluster)
	}
	if len(contexts) > 1 && a.v.GetString("cluster-name") != "" {
		return nil, usageErr("--cluster-name names one cluster; with several contexts the context names are used")
	}
	ctx, cancel := context.WithTimeout(parent, a.v.GetDuration("timeout"))
	defer cancel()
	progress := newProgress(a.stderr, a.v.GetBool("quiet"))
	defer progress.Close()

	snaps := make([]*snapshot.Snapshot, len(contexts))
	errs := make([]error, len(contexts))
	sem := make(chan struct{}, max(1, a.v.GetInt("cluster-concurrency")))
	var wg sync.WaitGroup
	for i, name := range contexts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			snaps[i], errs[i] = a.collectContext(ctx, kubeconfig, name, len(contexts) == 1, params, progress, release, namespaces)
		}()
	}
	wg.Wait()
	progress.Close()
	if err := parent.Err(); err != nil {
		return nil, interrupted(err)
	}
	reached := 0
	for i, err := range errs {
		if err == nil {
			reached++
			continue
		}
		fmt.Fprintf(a.stderr, "meshaudit: %v\n", err)
		snaps[i] = unreachable(contexts[i], err)
	}
	if reached == 0 {
		if len(contexts) == 1 && contexts[0] == "" {
			return nil, usageErr("nothing to scan: no -f, no --snapshot, and no reachable cluster: %v", errs[0])
		}
		return nil, usageErr("nothing could be evaluated: no cluster could be reached")
	}
	return snaps, nil
}

func (a *app) collectContext(ctx context.Context, kubeconfig, name string, single bool, params policies.Params, progress *progress, release bool, namespaces []string) (*snapshot.Snapshot, error) {
	cfg, ctxName, err := collectors.KubeConfig(kubeconfig, name)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", name, err)
	}
	clients, err := collectors.NewClients(cfg, float32(a.v.GetFloat64("qps")), a.v.GetInt("burst"))
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", ctxName, err)
	}
	cluster := ctxName
	if c := a.v.GetString("cluster-name"); single && c != "" {
		cluster = c
	}
	s, err := collectors.FromCluster(ctx, clients, collectors.LiveOptions{
		Convert:       converter(release),
		Cluster:       cluster,
		RootNamespace: params.RootNamespace,
		ToolVersion:   Version(),
		PageSize:      a.v.GetInt64("page-size"),
		Concurrency:   a.v.GetInt("concurrency"),
		KindTimeout:   a.v.GetDuration("kind-timeout"),
		SecretNames:   a.v.GetBool("secret-names"),
		Progress:      progress.Update,
		Namespaces:    namespaces,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return s, nil
}

// unreachable is the snapshot of a cluster that could not be read: every
// kind is an error with the reason.
func unreachable(context string, err error) *snapshot.Snapshot {
	name := context
	if name == "" {
		name = "in-cluster"
	}
	s := &snapshot.Snapshot{SchemaVersion: snapshot.SchemaVersion, Cluster: name, Source: snapshot.Source{Type: snapshot.SourceCluster}, ToolVersion: Version(),
		Kinds: []snapshot.KindStatus{}, ParseErrors: []snapshot.ParseError{}, Objects: []snapshot.Object{}}
	for _, k := range collectors.LiveKinds {
		s.Kinds = append(s.Kinds, snapshot.KindStatus{Kind: k.Key(), Status: snapshot.StatusError, Reason: "cluster unreachable: " + err.Error()})
	}
	s.Sort()
	return s
}
