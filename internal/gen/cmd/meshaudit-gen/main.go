// Command meshaudit-gen writes a generated cluster (package
// internal/gen) as manifests and/or a live-shaped snapshot, and prints the
// expected finding counts of the planted violations as JSON.
//
//	meshaudit-gen -n 10000 -seed 1 -manifests /tmp/c10k -snapshot /tmp/c10k.json
//	meshaudit-gen -n 10000 -shape messy -manifests /tmp/messy10k
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/meshaudit/meshaudit/internal/gen"
)

func main() {
	n := flag.Int("n", 1000, "number of objects (the result is within one namespace of it)")
	seed := flag.Uint64("seed", 1, "random seed (same seed and size: identical output)")
	manifests := flag.String("manifests", "", "write manifests (one YAML file per namespace) into this directory")
	snap := flag.String("snapshot", "", "write a live-shaped snapshot to this file")
	cluster := flag.String("cluster", "generated", "cluster name recorded in the snapshot")
	shapeName := flag.String("shape", "default", "cluster shape: default, messy, manifests (a repository: no Pods, no ReplicaSets) or policy (mesh-policy heavy)")
	flag.Parse()
	shape, err := gen.ParseShape(*shapeName)
	if err != nil {
		fmt.Fprintln(os.Stderr, "meshaudit-gen:", err)
		os.Exit(2)
	}
	if *manifests == "" && *snap == "" {
		fmt.Fprintln(os.Stderr, "meshaudit-gen: give -manifests DIR and/or -snapshot FILE")
		os.Exit(2)
	}
	c := gen.Generate(gen.Config{Objects: *n, Seed: *seed, Shape: shape})
	out := map[string]any{"objects": len(c.Objects), "namespaces": c.Namespaces, "seed": *seed, "shape": shape.Name(), "expectedFindings": c.Expected, "kinds": c.Summary()}
	if *manifests != "" {
		b, err := c.WriteManifests(*manifests)
		if err != nil {
			fail(err)
		}
		out["manifestBytes"] = b
	}
	if *snap != "" {
		s := c.Snapshot(*cluster)
		f, err := os.Create(*snap)
		if err != nil {
			fail(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		if err := s.Write(w); err != nil {
			fail(err)
		}
		if err := w.Flush(); err != nil {
			fail(err)
		}
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "meshaudit-gen:", err)
	os.Exit(1)
}
