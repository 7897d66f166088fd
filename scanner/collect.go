package scanner

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Collect builds the snapshots of in: one from Files or Snapshot, else one
// per live cluster, each limited to in.Namespaces when given. It is what
// the snapshot command writes.
func Collect(ctx context.Context, in InputOptions, params policies.Params, toolVersion string, s Streams) ([]*snapshot.Snapshot, error) {
	c := collector{in: in, params: params, version: toolVersion, io: s}
	return c.collect(ctx)
}

// collector reads one run's input. With release, objects are converted for
// evaluation as they are read, releasing their decoded maps
// (evaluate.Converter).
type collector struct {
	in      InputOptions
	params  policies.Params
	version string
	io      Streams
	release bool
	// configs, when set, receives each live cluster's REST config by
	// cluster name (--write-reports writes to it).
	configs *sync.Map
}

func (c collector) collect(ctx context.Context) ([]*snapshot.Snapshot, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	namespaces, err := c.namespaces()
	if err != nil {
		return nil, err
	}
	var snaps []*snapshot.Snapshot
	if c.in.Snapshot != "" || len(c.in.Files) > 0 {
		s, err := c.collectFiles(ctx)
		if err != nil {
			return nil, err
		}
		snaps = []*snapshot.Snapshot{s}
	} else if snaps, err = c.collectLive(ctx, namespaces); err != nil {
		return nil, err
	}
	if len(namespaces) > 0 {
		for _, s := range snaps {
			s.KeepNamespaces(namespaces, c.params.RootNamespace)
		}
	}
	return snaps, nil
}

// namespaces are the namespaces to limit the scan to, or none (all).
func (c collector) namespaces() ([]string, error) {
	var out []string
	for _, n := range c.in.Namespaces {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if c.in.AllNamespaces && len(out) > 0 {
		return nil, usageErr("give either -n/--namespace or -A/--all-namespaces")
	}
	return out, nil
}

// collectFiles reads Files or Snapshot within Timeout, and returns as soon
// as ctx ends: reading is not interruptible (standard input that never
// closes, a slow file system), so it runs on its own and is abandoned when
// the run is cancelled or times out.
func (c collector) collectFiles(ctx context.Context) (*snapshot.Snapshot, error) {
	timeout := c.in.Timeout
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	type result struct {
		s   *snapshot.Snapshot
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := c.collectOne()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-tctx.Done():
		if err := ctx.Err(); err != nil {
			return nil, InterruptedError(err)
		}
		return nil, usageErr("the input was not read within --timeout %s (a stream that never ends?): nothing evaluated", timeout)
	}
}

// converter returns a new snapshot's object converter, or nil.
func (c collector) converter() func(*snapshot.Object) {
	if !c.release {
		return nil
	}
	return evaluate.NewConverter().Convert
}

// collectOne builds the snapshot from Files or Snapshot.
func (c collector) collectOne() (*snapshot.Snapshot, error) {
	in := c.in
	switch {
	case in.Snapshot != "" && len(in.Files) > 0:
		return nil, usageErr("give either -f or --snapshot, not both")
	case in.Snapshot != "":
		stdin, _ := c.io.Stdin.(*os.File)
		if in.Snapshot == collectors.Stdin && stdin == nil {
			return nil, usageErr("--snapshot -: standard input is not readable")
		}
		var s *snapshot.Snapshot
		var err error
		if c.release {
			s, err = collectors.FromSnapshotFileConverted(in.Snapshot, stdin, c.params.RootNamespace, evaluate.NewConverter())
		} else {
			s, err = collectors.FromSnapshotFile(in.Snapshot, stdin, c.params.RootNamespace, nil)
		}
		if err != nil {
			return nil, &Error{Kind: Usage, Err: err}
		}
		if in.ClusterName != "" {
			s.Cluster = in.ClusterName
		}
		return s, nil
	}
	wd, _ := os.Getwd()
	collectedAt, err := SourceDateEpoch()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cluster := in.ClusterName
	if cluster == "" {
		cluster = "manifests"
	}
	ex, err := collectors.NewExcluder(in.Exclude)
	if err != nil {
		return nil, usageErr("--exclude: %v", err)
	}
	return collectors.FromFiles(collectors.FileOptions{
		Exclude: ex,
		Helm: collectors.HelmOptions{
			ReleaseName: in.ReleaseName,
			Namespace:   in.DefaultNamespace,
			ValueFiles:  in.Values,
			Set:         in.Set,
		},
		MeshConfigFile:   in.MeshConfig,
		IstioValues:      in.IstioValues,
		Paths:            in.Files,
		Namespace:        in.DefaultNamespace,
		Cluster:          cluster,
		RootNamespace:    c.params.RootNamespace,
		ToolVersion:      c.version,
		Stdin:            c.io.Stdin,
		WorkDir:          wd,
		CollectedAt:      collectedAt,
		MaxDocumentBytes: in.MaxDocumentBytes,
		MaxFileBytes:     in.MaxFileBytes,
		Convert:          c.converter(),
	}), nil
}
