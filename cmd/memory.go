package cmd

import (
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultMemoryLimit is the soft limit on the Go heap of a scan (see
// addMemoryFlags).
const DefaultMemoryLimit = "1280Mi"

// minMemoryLimit: a smaller soft limit (say "1280", bytes) would make the
// garbage collector run without pause; it is refused as a typo.
const minMemoryLimit = 64 << 20

// scanGCPercent is the garbage collector's target during a scan when GOGC
// is not set: policy evaluation allocates several times the input, and
// collecting at 150 % instead of 100 % of the live heap saves ~10 % of CPU;
// the memory limit bounds what that costs on large inputs.
const scanGCPercent = 150

func addMemoryFlags(c *cobra.Command) {
	c.Flags().String("memory-limit", DefaultMemoryLimit, "soft limit on the Go heap (e.g. 1280Mi, 4Gi; 0: none): near it the garbage collector works harder instead of growing; GOMEMLIMIT, when set, wins over the default. Set it below a container's memory limit")
}

// tuneMemory applies the scan's GC target and soft memory limit, unless
// GOGC / GOMEMLIMIT say otherwise, and returns the function restoring the
// previous settings.
func (a *app) tuneMemory(cmd *cobra.Command) (restore func(), err error) {
	limit := int64(-1) // unchanged
	env := os.Getenv("GOMEMLIMIT") != ""
	if given := cmd.Flags().Changed("memory-limit") || a.v.GetString("memory-limit") != DefaultMemoryLimit; !env || given {
		q, err := resource.ParseQuantity(a.v.GetString("memory-limit"))
		if err != nil || q.Sign() < 0 || (q.Sign() > 0 && q.Value() < minMemoryLimit) {
			return nil, usageErr("--memory-limit %q: want a size of at least 64Mi such as 1280Mi or 4Gi (a bare number is bytes), or 0 for none", a.v.GetString("memory-limit"))
		}
		if limit = q.Value(); limit == 0 {
			limit = 1<<63 - 1 // no limit
		}
	}
	prevLimit := debug.SetMemoryLimit(limit)
	prevGC := -2
	if os.Getenv("GOGC") == "" {
		prevGC = debug.SetGCPercent(scanGCPercent)
	}
	return func() {
		debug.SetMemoryLimit(prevLimit)
		if prevGC != -2 {
			debug.SetGCPercent(prevGC)
		}
	}, nil
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
