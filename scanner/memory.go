package scanner

import (
	"os"
	"runtime/debug"
	"runtime/pprof"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
)

// The process's memory policy lives here, and only here: the soft limit on
// the Go heap and the garbage collector's target during a scan, and the
// tighter target while live clusters are listed (collectors call ListingGC
// through collectors.LiveOptions.Listing; they never change the setting
// themselves). GOGC and GOMEMLIMIT from the environment win over the
// defaults.

// DefaultMemoryLimit is the soft limit on the Go heap of a scan.
const DefaultMemoryLimit = "1280Mi"

// minMemoryLimit: a smaller soft limit (say "1280", bytes) would make the
// garbage collector run without pause; it is refused as a typo.
const minMemoryLimit = 64 << 20

// scanGCPercent is the garbage collector's target during a scan when GOGC
// is not set: policy evaluation allocates several times the input, and
// collecting at 150 % instead of 100 % of the live heap saves ~10 % of CPU;
// the memory limit bounds what that costs on large inputs.
const scanGCPercent = 150

// listingGCPercent is the target while live clusters are listed. The
// collector mostly waits on the API server, so collecting more often costs
// idle CPU; with Go's default (100) the heap peaks near twice what the
// snapshot keeps, plus the page being decoded.
const listingGCPercent = 30

// TuneMemory applies the scan's GC target and soft memory limit — limit (a
// Kubernetes quantity, "0" for none) when given, or when GOMEMLIMIT is not
// set — and returns the function restoring the previous settings. A bad
// limit is a Usage error.
func TuneMemory(limit string, given bool) (restore func(), err error) {
	bytes := int64(-1) // unchanged
	if given = given || limit != DefaultMemoryLimit; os.Getenv("GOMEMLIMIT") == "" || given {
		q, err := resource.ParseQuantity(limit)
		if err != nil || q.Sign() < 0 || (q.Sign() > 0 && q.Value() < minMemoryLimit) {
			return nil, usageErr("--memory-limit %q: want a size of at least 64Mi such as 1280Mi or 4Gi (a bare number is bytes), or 0 for none", limit)
		}
		if bytes = q.Value(); bytes == 0 {
			bytes = 1<<63 - 1 // no limit
		}
	}
	prevLimit := debug.SetMemoryLimit(bytes)
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

var listing struct {
	sync.Mutex
	users, prev int
}

// ListingGC lowers the GC target (never raises it, never turns a GOGC=off
// back on, and leaves a GOGC from the environment alone) while at least
// one live collection runs, and returns the function that restores it. It
// is the collectors.LiveOptions.Listing hint.
func ListingGC() (done func()) {
	if os.Getenv("GOGC") != "" {
		return func() {} // the user's setting stands
	}
	listing.Lock()
	defer listing.Unlock()
	if listing.users == 0 {
		listing.prev = debug.SetGCPercent(listingGCPercent)
		if listing.prev < 0 || listing.prev < listingGCPercent {
			debug.SetGCPercent(listing.prev)
		}
	}
	listing.users++
	return func() {
		listing.Lock()
		defer listing.Unlock()
		if listing.users--; listing.users == 0 {
			debug.SetGCPercent(listing.prev)
		}
	}
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
