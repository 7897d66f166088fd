// Package fleet rolls evidence bundles of many clusters up into one view:
// it reads every bundle of a folder or an S3 prefix concurrently,
// authenticates each and checks its digests (a bundle that fails is named
// and left out), takes the latest verified bundle per cluster, and gives
// the controls × clusters matrix, the findings per rule and cluster, what
// changed since each cluster's previous bundle and which clusters are
// stale (docs/evidence.md, "Fleet").
package fleet

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/snapshot"
)

// SchemaVersion versions the fleet report (JSON).
const SchemaVersion = "meshaudit.io/fleet/v1"

// Options configure Roll.
type Options struct {
	// PubKey must have signed every bundle; without it a bundle is taken
	// only with AllowUnsigned (integrity only, not authenticated).
	PubKey        ed25519.PublicKey
	AllowUnsigned bool
	// Since: bundles created before it are not read (zero: all).
	Since time.Time
	// MaxAge: a cluster whose latest verified bundle is older than Now
	// minus MaxAge is stale (0: none is).
	MaxAge time.Duration
	// Now is the time of the roll-up (zero: time.Now()).
	Now time.Time
	// Concurrency: bundles read at once (0: 4 × GOMAXPROCS; reading an
	// object store is mostly waiting).
	Concurrency int
	// MaxFileBytes bounds each bundle file (0: evidence's default).
	MaxFileBytes int64
}

// Report is the fleet roll-up.
type Report struct {
	SchemaVersion string    `json:"schemaVersion"`
	GeneratedAt   string    `json:"generatedAt"`
	Source        string    `json:"source"`
	Since         string    `json:"since,omitempty"`
	MaxAge        string    `json:"maxAge,omitempty"`
	Summary       Summary   `json:"summary"`
	Clusters      []Cluster `json:"clusters"`
	// Controls: the controls × clusters matrix.
	Controls []ControlRow `json:"controls"`
	// Rules: open findings per rule and cluster.
	Rules []RuleRow `json:"rules"`
	// Failed: bundles that did not verify, left out of everything else.
	Failed []FailedBundle `json:"failedBundles"`
	// Incomplete: bundles without a manifest (an upload that failed or is
	// running; a scan killed before its rename), never read.
	Incomplete []string `json:"incompleteBundles"`
}

// Summary counts the roll-up.
type Summary struct {
	Clusters      int `json:"clusters"`
	Stale         int `json:"stale"`
	BundlesRead   int `json:"bundlesRead"`
	BundlesFailed int `json:"bundlesFailed"`
	// Controls: the worst status of each control across clusters, counted.
	Controls map[string]int `json:"controls"`
	Findings int            `json:"findings"` // open findings of the latest bundles
}

// Cluster is one cluster's latest verified bundle.
type Cluster struct {
	Name          string `json:"name"`
	Bundle        string `json:"bundle"` // its location
	CreatedAt     string `json:"createdAt"`
	Authenticated bool   `json:"authenticated"`
	// ManifestSHA256 (hex) identifies the bundle.
	ManifestSHA256 string `json:"manifestSha256"`
	Complete       bool   `json:"complete"`
	// Stale: CreatedAt is older than --max-age.
	Stale    bool           `json:"stale"`
	Bundles  int            `json:"bundles"`  // verified bundles of this cluster read
	Findings map[string]int `json:"findings"` // open findings by severity
	Excepted int            `json:"excepted"`
	Controls map[string]int `json:"controls"` // by status
	// Changes since the previous verified bundle; nil when there is none.
	Changes *Changes `json:"changes,omitempty"`
}

// Changes is what changed between a cluster's previous bundle and its
// latest.
type Changes struct {
	Previous          string          `json:"previous"` // the previous bundle's location
	PreviousCreatedAt string          `json:"previousCreatedAt"`
	New               []FindingRef    `json:"newFindings"`
	Fixed             []FindingRef    `json:"fixedFindings"`
	Controls          []ControlChange `json:"controls"`
}

// FindingRef names a finding.
type FindingRef struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Resource    string `json:"resource"`
	Fingerprint string `json:"fingerprint"`
}

// ControlChange is a control whose status changed (as meshaudit diff
// reports it).
type ControlChange = diff.ControlChange

// ControlRow is one control across the clusters.
type ControlRow struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Family string `json:"family"`
	// Status per cluster (absent: the cluster's bundle did not evaluate it).
	Clusters map[string]report.Status `json:"clusters"`
	Counts   map[string]int           `json:"counts"` // by status
}

// RuleRow is one rule's open findings per cluster.
type RuleRow struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity string         `json:"severity"`
	Clusters map[string]int `json:"clusters"` // open findings (failing clusters only)
	Excepted map[string]int `json:"excepted,omitempty"`
	Total    int            `json:"total"`
}

// FailedBundle is a bundle that did not verify.
type FailedBundle struct {
	Bundle   string   `json:"bundle"`
	Problems []string `json:"problems"`
}

// Bundle is one bundle to read.
type Bundle struct {
	Name   string // <cluster>-<UTC time>
	Source evidence.Source
}

// ListDir lists the bundles of a local evidence folder (scan
// --evidence-dir), and the unfinished ones.
func ListDir(dir string) (bundles []Bundle, incomplete []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case !e.IsDir():
		case evidence.IsUnfinished(e.Name()):
			incomplete = append(incomplete, p)
		case strings.HasPrefix(e.Name(), ".") || e.Name() == "lost+found":
		default:
			if _, err := os.Lstat(filepath.Join(p, evidence.FileManifest)); err != nil {
				incomplete = append(incomplete, p)
				continue
			}
			bundles = append(bundles, Bundle{Name: e.Name(), Source: evidence.DirSource(p)})
		}
	}
	return bundles, incomplete, nil
}

// ListS3 lists the bundles under an S3 prefix, and those without a
// manifest.
func ListS3(ctx context.Context, c *minio.Client, loc evidence.S3Location) (bundles []Bundle, incomplete []string, err error) {
	names, inc, err := evidence.S3Bundles(ctx, c, loc)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range names {
		bundles = append(bundles, Bundle{Name: n, Source: evidence.S3Source{Client: c, S3Location: evidence.S3Location{Bucket: loc.Bucket, Prefix: loc.Key(n)}}})
	}
	for _, n := range inc {
		incomplete = append(incomplete, loc.URL(n))
	}
	return bundles, incomplete, nil
}

// splitName splits <cluster>-<UTC time> (evidence.BundleName).
func splitName(name string) (cluster string, t time.Time, ok bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return "", time.Time{}, false
	}
	t, err := time.Parse(evidence.TimeFormat, name[i+1:])
	if err != nil {
		return "", time.Time{}, false
	}
	return name[:i], t, true
}

// Roll reads the bundles and rolls them up. source names them in the
// report. It fails only when nothing can be read at all; each bundle that
// fails is in Report.Failed.
func Roll(ctx context.Context, source string, bundles []Bundle, incomplete []string, opt Options) (*Report, error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{SchemaVersion: SchemaVersion, GeneratedAt: now.UTC().Format(time.RFC3339), Source: source, Incomplete: append([]string{}, incomplete...)}
	if !opt.Since.IsZero() {
		rep.Since = opt.Since.UTC().Format(time.RFC3339)
	}
	if opt.MaxAge > 0 {
		rep.MaxAge = opt.MaxAge.String()
	}
	// Group by the name's cluster part, newest first; a name that is not
	// <cluster>-<time> is no bundle of scan's and fails.
	groups := map[string][]named{}
	for _, b := range bundles {
		c, t, ok := splitName(b.Name)
		if !ok {
			rep.Failed = append(rep.Failed, FailedBundle{Bundle: b.Source.String(), Problems: []string{"the name is not <cluster>-<UTC time> as scan --evidence-dir writes it: not read"}})
			continue
		}
		if !opt.Since.IsZero() && t.Before(opt.Since) {
			continue
		}
		groups[c] = append(groups[c], named{b, t})
	}
	keys := make([]string, 0, len(groups))
	for k, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i].t.After(g[j].t) })
		keys = append(keys, k)
	}
	sort.Strings(keys)

	conc := opt.Concurrency
	if conc <= 0 {
		conc = 4 * runtime.GOMAXPROCS(0)
	}
	vopt := evidence.VerifyOptions{PubKey: opt.PubKey, AllowUnsigned: opt.AllowUnsigned, MaxFileBytes: opt.MaxFileBytes}
	// Every bundle is checked concurrently, cluster after cluster; the
	// worker that checks a cluster's last bundle rolls the cluster up
	// (rollCluster) and drops its reports, so only the clusters in flight
	// hold a report: memory does not grow with the fleet.
	results := make([][]checked, len(keys))
	rolls := make([]rolled, len(keys))
	left := make([]atomic.Int32, len(keys))
	for i, k := range keys {
		results[i] = make([]checked, len(groups[k]))
		left[i].Store(int32(len(groups[k])))
	}
	type job struct{ g, b int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results[j.g][j.b] = checkBundle(ctx, groups[keys[j.g]][j.b], vopt)
				if left[j.g].Add(-1) == 0 {
					rolls[j.g] = rollCluster(results[j.g], now, opt.MaxAge)
				}
			}
		}()
	}
feed:
	for g, k := range keys {
		for b := range groups[k] {
			select {
			case jobs <- job{g, b}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	ctrlRows := map[string]*ControlRow{}
	ruleRows := map[string]*RuleRow{}
	for gi := range keys {
		for _, r := range results[gi] {
			rep.Summary.BundlesRead++
			if len(r.problems) > 0 {
				rep.Failed = append(rep.Failed, FailedBundle{Bundle: r.location, Problems: r.problems})
			}
		}
		rc := rolls[gi]
		if rc.cluster == nil {
			continue
		}
		c := *rc.cluster
		rep.Clusters = append(rep.Clusters, c)
		for _, ct := range rc.controls {
			row := ctrlRows[ct.ID]
			if row == nil {
				row = &ControlRow{ID: ct.ID, Title: ct.Title, Family: ct.Family, Clusters: map[string]report.Status{}, Counts: map[string]int{}}
				ctrlRows[ct.ID] = row
			}
			row.Clusters[c.Name] = ct.Status
			row.Counts[string(ct.Status)]++
		}
		for _, r := range rc.rules {
			row := ruleRows[r.ID]
			if row == nil {
				row = &RuleRow{ID: r.ID, Title: r.Title, Severity: r.Severity, Clusters: map[string]int{}}
				ruleRows[r.ID] = row
			}
		}
		for _, f := range rc.findings {
			row := ruleRows[f.rule]
			if row == nil {
				row = &RuleRow{ID: f.rule, Severity: f.severity, Clusters: map[string]int{}}
				ruleRows[f.rule] = row
			}
			if f.excepted > 0 {
				if row.Excepted == nil {
					row.Excepted = map[string]int{}
				}
				row.Excepted[c.Name] += f.excepted
			}
			if f.open > 0 {
				row.Clusters[c.Name] += f.open
				row.Total += f.open
			}
		}
	}
	sort.Slice(rep.Clusters, func(i, j int) bool { return rep.Clusters[i].Name < rep.Clusters[j].Name })
	sort.Slice(rep.Failed, func(i, j int) bool { return rep.Failed[i].Bundle < rep.Failed[j].Bundle })
	sort.Strings(rep.Incomplete)
	for _, row := range ctrlRows {
		rep.Controls = append(rep.Controls, *row)
	}
	sort.Slice(rep.Controls, func(i, j int) bool { return report.ControlLess(rep.Controls[i].ID, rep.Controls[j].ID) })
	for _, row := range ruleRows {
		rep.Rules = append(rep.Rules, *row)
	}
	sort.Slice(rep.Rules, func(i, j int) bool { return rep.Rules[i].ID < rep.Rules[j].ID })
	rep.Summary.Clusters = len(rep.Clusters)
	rep.Summary.BundlesFailed = len(rep.Failed)
	rep.Summary.Controls = map[string]int{}
	for _, c := range rep.Clusters {
		if c.Stale {
			rep.Summary.Stale++
		}
		for _, n := range c.Findings {
			rep.Summary.Findings += n
		}
	}
	for _, row := range rep.Controls {
		rep.Summary.Controls[string(Worst(row.Clusters))]++
	}
	if rep.Clusters == nil {
		rep.Clusters = []Cluster{}
	}
	if rep.Failed == nil {
		rep.Failed = []FailedBundle{}
	}
	if rep.Controls == nil {
		rep.Controls = []ControlRow{}
	}
	if rep.Rules == nil {
		rep.Rules = []RuleRow{}
	}
	return rep, nil
}

// statusOrder: the worse status wins a fleet's control.
var statusOrder = map[report.Status]int{
	report.StatusFail: 5, report.StatusUnknown: 4, report.StatusExcepted: 3,
	report.StatusNotApplicable: 2, report.StatusPass: 1,
}

// Worst is a control's fleet-wide status: fail over unknown over excepted
// over not applicable over pass. A control is PASS only where it passed on
// every cluster that evaluated it.
func Worst(byCluster map[string]report.Status) report.Status {
	var w report.Status
	for _, s := range byCluster {
		if statusOrder[s] > statusOrder[w] {
			w = s
		}
	}
	return w
}

type named struct {
	Bundle
	t time.Time
}

// checked is one bundle read.
type checked struct {
	location       string
	problems       []string
	created        time.Time
	authenticated  bool
	manifestSHA256 string
	rep            *lite
}

// lite is the part of report.json the roll-up reads.
type lite struct {
	Cluster string `json:"cluster"`
	Summary struct {
		Complete bool           `json:"complete"`
		Findings map[string]int `json:"findings"`
		Excepted int            `json:"excepted"`
		Controls map[string]int `json:"controls"`
	} `json:"summary"`
	Findings []struct {
		RuleID      string       `json:"ruleId"`
		Severity    string       `json:"severity"`
		Resource    snapshot.Ref `json:"resource"`
		Fingerprint string       `json:"fingerprint"`
		Exception   *struct {
			ID string `json:"id"`
		} `json:"exception"`
	} `json:"findings"`
	Rules    []liteRule    `json:"rules"`
	Controls []liteControl `json:"controls"`
}

type liteRule struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
}

type liteControl struct {
	ID     string        `json:"id"`
	Title  string        `json:"title"`
	Family string        `json:"family"`
	Status report.Status `json:"status"`
}

// rolled is one cluster's part of the roll-up: its latest verified
// bundle's cluster entry (changes included), controls, rules and findings
// counted per rule; its bundles' reports are dropped.
type rolled struct {
	cluster  *Cluster
	controls []liteControl
	rules    []liteRule
	findings []ruleCount // per rule, in the report's order
}

// ruleCount counts one rule's findings in a bundle.
type ruleCount struct {
	rule, severity string
	open, excepted int
}

// rollCluster rolls up a cluster once all of its bundles (newest first)
// are checked: the latest verified bundle, changes since the previous
// verified one. It drops every bundle's report.
func rollCluster(res []checked, now time.Time, maxAge time.Duration) rolled {
	var latest, previous *checked
	n := 0
	for i := range res {
		r := &res[i]
		if len(r.problems) > 0 {
			continue
		}
		n++
		switch {
		case latest == nil:
			latest = r
		case previous == nil:
			previous = r
		}
	}
	var out rolled
	if latest != nil {
		c := clusterOf(latest, previous, n, now, maxAge)
		out.cluster = &c
		out.controls, out.rules = latest.rep.Controls, latest.rep.Rules
		idx := map[string]int{}
		for _, f := range latest.rep.Findings {
			i, ok := idx[f.RuleID]
			if !ok {
				i = len(out.findings)
				idx[f.RuleID] = i
				out.findings = append(out.findings, ruleCount{rule: f.RuleID, severity: f.Severity})
			}
			if f.Exception != nil {
				out.findings[i].excepted++
			} else {
				out.findings[i].open++
			}
		}
	}
	for i := range res {
		res[i].rep = nil
	}
	return out
}

// checkBundle authenticates a bundle, checks every file's digest, that
// its name is the one scan gave it (<manifest cluster>-<createdAt>: a
// renamed or copied bundle never passes for a newer one or another
// cluster's), and decodes its report.
func checkBundle(ctx context.Context, b named, opt evidence.VerifyOptions) checked {
	out := checked{location: b.Source.String(), created: b.t}
	res, files, err := evidence.CheckDigests(ctx, b.Source, opt, evidence.FileReport)
	if err != nil {
		out.problems = []string{err.Error()}
		return out
	}
	if !res.OK() {
		out.problems = res.Problems
		return out
	}
	man := res.Manifest
	created, err := time.Parse(time.RFC3339, man.CreatedAt)
	if err != nil {
		out.problems = []string{fmt.Sprintf("%s: createdAt %q: %v", evidence.FileManifest, man.CreatedAt, err)}
		return out
	}
	if want := evidence.BundleName(man.Cluster, created); want != b.Name {
		out.problems = []string{fmt.Sprintf("the bundle is named %s, its manifest says %s (cluster %q, created %s): renamed or copied, not read", b.Name, want, man.Cluster, man.CreatedAt)}
		return out
	}
	raw, ok := files[evidence.FileReport]
	if !ok {
		out.problems = []string{evidence.FileReport + ": not in the bundle"}
		return out
	}
	var l lite
	if err := json.Unmarshal(raw, &l); err != nil {
		out.problems = []string{fmt.Sprintf("%s: %v", evidence.FileReport, err)}
		return out
	}
	if l.Cluster != man.Cluster {
		out.problems = []string{fmt.Sprintf("%s: cluster %q, the manifest says %q", evidence.FileReport, l.Cluster, man.Cluster)}
		return out
	}
	out.authenticated = res.Authenticated
	out.manifestSHA256 = res.ManifestSHA256
	out.created = created
	out.rep = &l
	return out
}

func clusterOf(latest, previous *checked, n int, now time.Time, maxAge time.Duration) Cluster {
	l := latest.rep
	c := Cluster{
		Name: l.Cluster, Bundle: latest.location, CreatedAt: latest.created.UTC().Format(time.RFC3339),
		Authenticated: latest.authenticated, ManifestSHA256: latest.manifestSHA256, Complete: l.Summary.Complete,
		Stale: maxAge > 0 && now.Sub(latest.created) > maxAge, Bundles: n,
		Findings: l.Summary.Findings, Excepted: l.Summary.Excepted, Controls: l.Summary.Controls,
	}
	if c.Findings == nil {
		c.Findings = map[string]int{}
	}
	if c.Controls == nil {
		c.Controls = map[string]int{}
	}
	if previous == nil {
		return c
	}
	p := previous.rep
	ch := &Changes{Previous: previous.location, PreviousCreatedAt: previous.created.UTC().Format(time.RFC3339), New: []FindingRef{}, Fixed: []FindingRef{}, Controls: []ControlChange{}}
	open := func(r *lite) map[string]FindingRef {
		m := make(map[string]FindingRef, len(r.Findings))
		for _, f := range r.Findings {
			if f.Exception == nil {
				m[f.Fingerprint] = FindingRef{Rule: f.RuleID, Severity: f.Severity, Resource: f.Resource.FQN(), Fingerprint: f.Fingerprint}
			}
		}
		return m
	}
	was, is := open(p), open(l)
	for fp, f := range is {
		if _, ok := was[fp]; !ok {
			ch.New = append(ch.New, f)
		}
	}
	for fp, f := range was {
		if _, ok := is[fp]; !ok {
			ch.Fixed = append(ch.Fixed, f)
		}
	}
	less := func(s []FindingRef) func(i, j int) bool {
		return func(i, j int) bool {
			if s[i].Rule != s[j].Rule {
				return s[i].Rule < s[j].Rule
			}
			if s[i].Resource != s[j].Resource {
				return s[i].Resource < s[j].Resource
			}
			return s[i].Fingerprint < s[j].Fingerprint
		}
	}
	sort.Slice(ch.New, less(ch.New))
	sort.Slice(ch.Fixed, less(ch.Fixed))
	statuses := func(cs []liteControl) map[string]report.Status {
		m := make(map[string]report.Status, len(cs))
		for _, ct := range cs {
			m[ct.ID] = ct.Status
		}
		return m
	}
	ch.Controls = diff.ControlChanges(statuses(p.Controls), statuses(l.Controls))
	c.Changes = ch
	return c
}

// ErrFailed: some bundle did not verify (the roll-up leaves it out).
var ErrFailed = errors.New("bundles failed verification")

// List reads the bundle names under from: an s3://BUCKET/PREFIX (endpoint
// and credentials from the AWS_* variables) or a local evidence folder.
// incomplete names uploads or writes without a manifest.
func List(ctx context.Context, from string) (bundles []Bundle, incomplete []string, err error) {
	if !evidence.IsS3URL(from) {
		return ListDir(from)
	}
	loc, err := evidence.ParseS3URL(from)
	if err != nil {
		return nil, nil, fmt.Errorf("--from: %w", err)
	}
	client, err := evidence.NewS3Client(evidence.S3ClientOptions{})
	if err != nil {
		return nil, nil, err
	}
	return ListS3(ctx, client, loc)
}

// ParseSince reads --since: RFC 3339, or a date (UTC midnight).
func ParseSince(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01)", s)
		}
	}
	return t, nil
}

// ParseMaxAge reads --max-age: a Go duration or N days ("7d").
func ParseMaxAge(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--max-age %q: want a positive number of days (7d) or a Go duration (26h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--max-age %q: want a positive Go duration (26h) or days (7d)", s)
	}
	return d, nil
}
