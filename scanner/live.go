package scanner

import (
	"context"
	"fmt"
	"sync"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/snapshot"
)

// collectLive snapshots each selected cluster, concurrently. A cluster that
// cannot be reached at all gets a snapshot whose kinds are all errors, so
// its rules are unknown — never pass; only when no cluster can be reached
// is it "nothing could be evaluated".
func (c collector) collectLive(parent context.Context, namespaces []string) ([]*snapshot.Snapshot, error) {
	lo := c.in.Live
	kubeconfig := lo.Kubeconfig
	contexts := lo.Contexts
	if lo.AllContexts {
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
	if len(contexts) > 1 && c.in.ClusterName != "" {
		return nil, usageErr("--cluster-name names one cluster; with several contexts the context names are used")
	}
	ctx, cancel := context.WithTimeout(parent, c.in.Timeout)
	defer cancel()
	progress := newProgress(c.io.Stderr, lo.Quiet)
	defer progress.Close()

	snaps := make([]*snapshot.Snapshot, len(contexts))
	errs := make([]error, len(contexts))
	sem := make(chan struct{}, max(1, lo.ClusterConcurrency))
	var wg sync.WaitGroup
	for i, name := range contexts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			snaps[i], errs[i] = c.collectContext(ctx, kubeconfig, name, len(contexts) == 1, progress, namespaces)
		}()
	}
	wg.Wait()
	progress.Close()
	if err := parent.Err(); err != nil {
		return nil, InterruptedError(err)
	}
	reached := 0
	for i, err := range errs {
		if err == nil {
			reached++
			continue
		}
		fmt.Fprintf(c.io.Stderr, "meshaudit: %v\n", err)
		snaps[i] = unreachable(contexts[i], c.version, err)
	}
	if reached == 0 {
		if len(contexts) == 1 && contexts[0] == "" {
			return nil, usageErr("nothing to scan: no -f, no --snapshot, and no reachable cluster: %v", errs[0])
		}
		return nil, usageErr("nothing could be evaluated: no cluster could be reached")
	}
	return snaps, nil
}

func (c collector) collectContext(ctx context.Context, kubeconfig, name string, single bool, progress *progress, namespaces []string) (*snapshot.Snapshot, error) {
	lo := c.in.Live
	cfg, ctxName, err := collectors.KubeConfig(kubeconfig, name)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", name, err)
	}
	clients, err := collectors.NewClients(cfg, lo.QPS, lo.Burst)
	if err != nil {
		return nil, fmt.Errorf("context %q: %w", ctxName, err)
	}
	cluster := ctxName
	if single && c.in.ClusterName != "" {
		cluster = c.in.ClusterName
	}
	s, err := collectors.FromCluster(ctx, clients, collectors.LiveOptions{
		Convert:       c.converter(),
		Cluster:       cluster,
		RootNamespace: c.params.RootNamespace,
		ToolVersion:   c.version,
		PageSize:      lo.PageSize,
		Concurrency:   lo.Concurrency,
		KindTimeout:   lo.KindTimeout,
		SecretNames:   lo.SecretNames,
		Progress:      progress.Update,
		Namespaces:    namespaces,
		Listing:       ListingGC,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	return s, nil
}

// unreachable is the snapshot of a cluster that could not be read: every
// kind is an error with the reason.
func unreachable(context, toolVersion string, err error) *snapshot.Snapshot {
	name := context
	if name == "" {
		name = "in-cluster"
	}
	s := &snapshot.Snapshot{SchemaVersion: snapshot.SchemaVersion, Cluster: name, Source: snapshot.Source{Type: snapshot.SourceCluster}, ToolVersion: toolVersion,
		Kinds: []snapshot.KindStatus{}, ParseErrors: []snapshot.ParseError{}, Objects: []snapshot.Object{}}
	for _, k := range collectors.LiveKinds {
		s.Kinds = append(s.Kinds, snapshot.KindStatus{Kind: k.Key(), Status: snapshot.StatusError, Reason: "cluster unreachable: " + err.Error()})
	}
	s.Sort()
	return s
}
