package evidence

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds Debian's headless-capable Chromium; the test is skipped
// without it locally, and fails in CI (.ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CI must have chromium installed (.ci/run: apt-get install -y chromium)")
	}
	t.Skip("skipped: chromium is not installed (apt-get install -y chromium); CI always runs this test")
	return ""
}

// artifactDir keeps test artifacts (the screenshot) after the test:
// $MESHAUDIT_ARTIFACTS_DIR, else <os temp dir>/meshaudit-test-artifacts.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("MESHAUDIT_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "meshaudit-test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSummaryInBrowser opens the bundle's summary.html from disk in headless
// Chromium (no network: background networking off, and the page's CSP
// forbids any fetch), asserts on the rendered content, and on no console
// error, exception or non-file request; the screenshot is kept.
func TestSummaryInBrowser(t *testing.T) {
	exe := chromium(t)
	in := shopInput(t)
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, FileSummary)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	if err := chromedp.Listen(bctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, fmt.Sprint(a.Value, a.Description))
				}
				note("console %s: %s", ev.Type, strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			note("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				note("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				note("network request: %s", u)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	u := (&url.URL{Scheme: "file", Path: page}).String()
	if err := chromedp.Do(bctx, chromedp.Navigate(u), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(bctx, chromedp.Text("body"))
	if err != nil {
		t.Fatal(err)
	}
	count := func(sel string) int {
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	failBg, err := chromedp.Run(bctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.badge.s-fail')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // late console messages
	out := filepath.Join(artifactDir(t), "summary.png")
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the rendered summary: %s (%d bytes)", out, len(shot))

	rep := in.Report
	if !strings.Contains(title, "meshaudit evidence: manifests") {
		t.Errorf("title %q", title)
	}
	open, excepted := 0, 0
	for _, f := range rep.Findings {
		if f.Exception != nil {
			excepted++
		} else {
			open++
		}
	}
	if n := count("tr[data-finding]"); n != open || n == 0 {
		t.Errorf("%d finding rows rendered, report has %d open findings", n, open)
	}
	if n := count("tr[data-exception]"); n != excepted || n == 0 {
		t.Errorf("%d exception rows rendered, report has %d excepted findings", n, excepted)
	}
	if n := count("tr[data-control]"); n != len(rep.Controls) {
		t.Errorf("%d control rows rendered, report has %d controls", n, len(rep.Controls))
	}
	for _, want := range []string{"Controls by family", "System and Communications Protection", "SC-8(1)", "EXC-2026-014", "ciso-office@example.com", "Collection problems", "Policy bundle", testDigest} {
		if !strings.Contains(body, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	if failBg != "rgb(207, 34, 46)" {
		t.Errorf("inline CSS not applied: fail badge background %q", failBg)
	}
	if len(shot) < 1000 || string(shot[1:4]) != "PNG" {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
}
