// Command meshaudit-fleetgen writes signed evidence bundles of a generated
// fleet for the fleet benchmark (bench/fleet.sh): -bases clusters of
// about -objects objects each are generated (package internal/gen, seeds
// 1…bases, taking the -shapes in turn) and evaluated with the embedded policies once; each of the
// -clusters clusters then gets -history bundles, each a base cluster under
// the cluster's own name (the snapshot's and report's cluster, and the
// mesh-wide findings that name it, with their fingerprints), rendered,
// digested and signed by evidence.Build like scan --evidence-dir. Every
// bundle verifies with meshaudit verify (re-evaluation included); the
// bases rotate between a cluster's bundles, so the fleet sees changes.
//
//	meshaudit-fleetgen -clusters 1000 -objects 10000 -out /tmp/fleet -key /tmp/fleet-key
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"
	"github.com/meshaudit/meshaudit/scanner"
	"github.com/meshaudit/meshaudit/snapshot"
)

func main() {
	clusters := flag.Int("clusters", 1000, "clusters")
	objects := flag.Int("objects", 10000, "objects per cluster")
	bases := flag.Int("bases", 3, "distinct generated clusters (evaluated once each)")
	history := flag.Int("history", 2, "bundles per cluster (a day apart)")
	out := flag.String("out", "", "evidence folder to write the bundles into")
	key := flag.String("key", "", "key prefix: PREFIX.key signs (made with PREFIX.pub when absent)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "bundles rendered at once")
	startDay := flag.String("start", "2026-11-01", "UTC day of each cluster's latest bundle (the others are a day apart before it); another -start adds bundles to a fleet")
	shapeList := flag.String("shapes", "default", "comma-separated shapes the bases take in turn (internal/gen: default, messy, manifests, policy)")
	flag.Parse()
	var shapes []gen.Shape
	for _, n := range strings.Split(*shapeList, ",") {
		sh, err := gen.ParseShape(strings.TrimSpace(n))
		if err != nil {
			fail(err)
		}
		shapes = append(shapes, sh)
	}
	if *out == "" || *key == "" || *clusters <= 0 || *bases <= 0 || *history <= 0 {
		fmt.Fprintln(os.Stderr, "meshaudit-fleetgen: give -out DIR and -key PREFIX")
		os.Exit(2)
	}
	if _, err := os.Stat(*key + ".key"); err != nil {
		if _, _, err := evidence.GenerateKeyPair(*key); err != nil {
			fail(err)
		}
	}
	priv, err := evidence.LoadPrivateKey(*key + ".key")
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	params := policies.Defaults()
	mods, err := policies.Modules(false)
	if err != nil {
		fail(err)
	}
	cat, err := catalog.Load(mods)
	if err != nil {
		fail(err)
	}
	eng, err := evaluate.New(ctx, cat, mods, params, "fleetgen")
	if err != nil {
		fail(err)
	}
	digest, err := scanner.PolicyDigest() // as scan records it: verify compares
	if err != nil {
		fail(err)
	}
	start := time.Now()
	type base struct {
		snap *snapshot.Snapshot
		rep  *report.Report
	}
	var bs []base
	for b := 0; b < *bases; b++ {
		shape := shapes[b%len(shapes)]
		c := gen.Generate(gen.Config{Objects: *objects, Seed: uint64(b + 1), Shape: shape})
		snap := c.Snapshot("base")
		rep, err := eng.Evaluate(ctx, snap)
		if err != nil {
			fail(err)
		}
		bs = append(bs, base{snap, rep})
		fmt.Fprintf(os.Stderr, "fleetgen: base %d (%s): %d objects, %d findings (%s)\n", b+1, shape.Name(), len(snap.Objects), len(rep.Findings), time.Since(start).Round(time.Second))
	}
	t0, err := time.Parse(time.DateOnly, *startDay)
	if err != nil {
		fail(err)
	}
	epoch := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type job struct{ cluster, h int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var done, size atomic.Int64
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				day := j.h - *history + 1
				created := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(j.cluster)*time.Second)
				// The base follows the bundle's day, so consecutive days differ
				// whichever run wrote them.
				d := int(math.Floor(created.Sub(epoch).Hours() / 24))
				b := bs[((j.cluster+d)%len(bs)+len(bs))%len(bs)]
				name := fmt.Sprintf("cluster-%04d", j.cluster)
				snap, rep := rename(b.snap, b.rep, name)
				in := evidence.Input{Snapshot: snap, Report: rep, Catalog: cat, Modules: mods, Params: params, EvaluatedAt: created,
					ToolVersion: "fleetgen", PolicyDigest: digest, CreatedAt: created, SignKey: priv}
				p, err := evidence.Build(*out, in)
				if err != nil {
					fail(err)
				}
				if n := done.Add(1); n%100 == 0 {
					fmt.Fprintf(os.Stderr, "fleetgen: %d bundles (%s)\n", n, time.Since(start).Round(time.Second))
				}
				size.Add(dirSize(p))
			}
		}()
	}
	for c := 0; c < *clusters; c++ {
		for h := 0; h < *history; h++ {
			jobs <- job{c, h}
		}
	}
	close(jobs)
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(map[string]any{"clusters": *clusters, "bundles": done.Load(), "bytes": size.Load(), "objectsPerCluster": len(bs[0].snap.Objects), "seconds": time.Since(start).Seconds(), "policyDigest": digest})
}

// rename gives a base cluster another name: the snapshot's and report's
// cluster, and the mesh-wide findings whose resource is the cluster, with
// the fingerprint evaluate gives them (evaluate.fingerprint).
func rename(s *snapshot.Snapshot, r *report.Report, name string) (*snapshot.Snapshot, *report.Report) {
	s2 := *s
	s2.Cluster = name
	r2 := *r
	r2.Cluster = name
	r2.Findings = append([]report.Finding{}, r.Findings...)
	for i, f := range r2.Findings {
		if f.Resource.Kind == "Mesh" && f.Resource.Name == s.Cluster {
			f.Resource.Name = name
			h := sha256.Sum256([]byte(f.RuleID + "\x00" + snapshot.GroupOf(f.Resource.APIVersion) + "\x00" + f.Resource.FQN() + "\x00" + f.Message))
			f.Fingerprint = hex.EncodeToString(h[:16])
			r2.Findings[i] = f
		}
	}
	return &s2, &r2
}

func dirSize(p string) int64 {
	var n int64
	entries, _ := os.ReadDir(p)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "meshaudit-fleetgen:", err)
	os.Exit(1)
}
