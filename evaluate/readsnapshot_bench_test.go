package evaluate

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/internal/gen"
)

// BenchmarkReadSnapshot reads a saved snapshot converting every object, as
// `scan --snapshot` does: "values" decodes straight into terms
// (collectors.FromSnapshotFileConverted), "maps" through map[string]any
// (collectors.FromSnapshotFile with Convert). MESHAUDIT_BENCH_SNAPSHOT
// names the file (e.g. a 100k snapshot of meshaudit-gen); else a 10k messy
// one is generated. live-MB is the heap the read snapshot holds (its
// terms, the floor of reading), measured after a collection.
func BenchmarkReadSnapshot(b *testing.B) {
	path := os.Getenv("MESHAUDIT_BENCH_SNAPSHOT")
	if path == "" {
		path = filepath.Join(b.TempDir(), "snap.json")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := gen.Generate(gen.Config{Objects: 10000, Seed: 1, Shape: gen.ShapeMessy}).Snapshot("bench").Write(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"values", "maps"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(fi.Size())
			var live uint64
			for i := 0; i < b.N; i++ {
				var err error
				var n int
				if mode == "values" {
					s, e := collectors.FromSnapshotFileConverted(path, nil, "istio-system", NewConverter())
					err, n = e, len(s.Objects)
					live = liveHeap(b, s)
				} else {
					s, e := collectors.FromSnapshotFile(path, nil, "istio-system", NewConverter().Convert)
					err, n = e, len(s.Objects)
					live = liveHeap(b, s)
				}
				if err != nil || n == 0 {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(live)/(1<<20), "live-MB")
		})
	}
}

// liveHeap is the heap in use once collected, keep being alive.
func liveHeap(b *testing.B, keep any) uint64 {
	b.StopTimer()
	defer b.StartTimer()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	runtime.KeepAlive(keep)
	return m.HeapAlloc
}
