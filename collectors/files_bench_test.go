package collectors_test

import (
	"testing"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/internal/gen"
)

// BenchmarkCollectFiles reads generated manifests (one file per namespace)
// of 1k and 10k objects (100k with MESHAUDIT_BENCH_LARGE=1).
func BenchmarkCollectFiles(b *testing.B) {
	for _, n := range gen.BenchSizes() {
		dir := b.TempDir()
		c := gen.Generate(gen.Config{Objects: n, Seed: 1})
		size, err := c.WriteManifests(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(gen.SizeName(n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			for b.Loop() {
				s := collectors.FromFiles(collectors.FileOptions{Paths: []string{dir}, Namespace: "default", Cluster: "bench", RootNamespace: "istio-system"})
				if len(s.ParseErrors) > 0 || len(s.Objects) != len(c.Objects) {
					b.Fatalf("%d objects, %d parse errors (first %v); want %d objects", len(s.Objects), len(s.ParseErrors), s.ParseErrors, len(c.Objects))
				}
			}
		})
	}
}
