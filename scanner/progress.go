package scanner

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/meshaudit/meshaudit/collectors"
)

// progress shows one bar per cluster (kinds done, objects listed) on stderr
// when it is a terminal; otherwise, or with --quiet, it does nothing.
type progress struct {
	p     *mpb.Progress
	mu    sync.Mutex
	bars  map[string]*clusterBar
	close sync.Once
}

type clusterBar struct {
	bar     *mpb.Bar
	objects atomic.Int64
	perKind map[string]int
}

func newProgress(stderr io.Writer, quiet bool) *progress {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{p: mpb.New(mpb.WithOutput(f), mpb.WithWidth(30)), bars: map[string]*clusterBar{}}
}

// Update is a collectors.LiveOptions.Progress callback.
func (pr *progress) Update(u collectors.Progress) {
	if pr.p == nil {
		return
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	cb := pr.bars[u.Cluster]
	if cb == nil {
		cb = &clusterBar{perKind: map[string]int{}}
		cb.bar = pr.p.AddBar(int64(u.Kinds),
			mpb.PrependDecorators(decor.Name(u.Cluster, decor.WCSyncSpaceR), decor.CountersNoUnit("kinds %d/%d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return fmt.Sprintf("%d objects", cb.objects.Load()) })),
		)
		pr.bars[u.Cluster] = cb
	}
	if u.Kinds > 0 {
		cb.bar.SetTotal(int64(u.Kinds), false)
	}
	cb.objects.Add(int64(u.Objects - cb.perKind[u.Kind]))
	cb.perKind[u.Kind] = u.Objects
	if u.KindDone {
		cb.bar.Increment()
	}
}

// Close stops the display (idempotent).
func (pr *progress) Close() {
	if pr.p == nil {
		return
	}
	pr.close.Do(func() {
		pr.mu.Lock()
		for _, cb := range pr.bars {
			cb.bar.SetTotal(-1, true)
		}
		pr.mu.Unlock()
		pr.p.Wait()
	})
}
