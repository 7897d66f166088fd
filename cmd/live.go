package cmd

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

func addLiveFlags(c *cobra.Command) {
	f := c.Flags()
	f.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster config)")
	f.String("context", "", "kubeconfig context (default: the current context)")
	f.Float32("qps", 20, "API client queries per second")
	f.Int("burst", 40, "API client burst")
	f.Int64("page-size", 500, "objects per list page")
	f.Int("concurrency", 4, "kinds listed at the same time")
	f.Duration("kind-timeout", 2*time.Minute, "time limit to list one kind (all pages and retries)")
	f.Duration("timeout", 10*time.Minute, "time limit for the whole collection")
	f.Bool("secret-names", false, "also list Secret names (metadata only; never data) for the checks that need them")
}

// collectLive snapshots the cluster of the kubeconfig context. A cluster
// that cannot be reached at all is "nothing could be evaluated" (exit 2);
// kinds that cannot be listed are recorded in the snapshot.
func (a *app) collectLive(params policies.Params) (*snapshot.Snapshot, error) {
	cfg, ctxName, err := collectors.KubeConfig(a.v.GetString("kubeconfig"), a.v.GetString("context"))
	if err != nil {
		return nil, usageErr("nothing to scan: no -f, no --snapshot, and no cluster: %v", err)
	}
	clients, err := collectors.NewClients(cfg, float32(a.v.GetFloat64("qps")), a.v.GetInt("burst"))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cluster := a.v.GetString("cluster-name")
	if cluster == "" {
		cluster = ctxName
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.v.GetDuration("timeout"))
	defer cancel()
	s, err := collectors.FromCluster(ctx, clients, collectors.LiveOptions{
		Cluster:       cluster,
		RootNamespace: params.RootNamespace,
		ToolVersion:   Version(),
		PageSize:      a.v.GetInt64("page-size"),
		Concurrency:   a.v.GetInt("concurrency"),
		KindTimeout:   a.v.GetDuration("kind-timeout"),
		SecretNames:   a.v.GetBool("secret-names"),
	})
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	return s, nil
}
