package evidence

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Target is what `meshaudit verify` was pointed at: one bundle, or every
// bundle of a folder or of an s3:// prefix, oldest first.
type Target struct {
	// Single: the argument is one bundle (Bundles holds it alone).
	Single  bool
	Bundles []TargetBundle
	// Skipped: unfinished bundles (a failed or running write, never
	// verifiable), one line each.
	Skipped []string
}

// TargetBundle is one bundle of a Target.
type TargetBundle struct {
	Name   string // the path or s3:// URL printed for it
	verify func(context.Context, VerifyOptions) (*Result, error)
}

// Verify authenticates and checks the bundle (Verify / VerifySource).
func (b TargetBundle) Verify(ctx context.Context, opt VerifyOptions) (*Result, error) {
	return b.verify(ctx, opt)
}

// OpenTarget resolves a verify argument: a bundle folder, a folder of
// bundles (an --evidence-dir), an s3://BUCKET/PREFIX/BUNDLE URL or an
// s3://BUCKET/PREFIX of bundles (endpoint and credentials from the AWS_*
// variables). latest keeps only the newest bundle of a folder or prefix.
// An argument that holds no bundle is an error.
func OpenTarget(ctx context.Context, arg string, latest bool) (*Target, error) {
	if IsS3URL(arg) {
		return openS3Target(ctx, arg, latest)
	}
	if _, err := os.Lstat(filepath.Join(arg, FileManifest)); err == nil {
		dir := arg
		return &Target{Single: true, Bundles: []TargetBundle{{Name: dir, verify: func(ctx context.Context, opt VerifyOptions) (*Result, error) {
			return Verify(ctx, dir, opt)
		}}}}, nil
	}
	entries, err := os.ReadDir(arg)
	if err != nil {
		return nil, err
	}
	type bundle struct {
		name  string
		mtime time.Time
	}
	t := &Target{}
	var bundles []bundle
	for _, e := range entries {
		if IsUnfinished(e.Name()) {
			t.Skipped = append(t.Skipped, e.Name()+": unfinished bundle, never verifiable (the next scan or prune removes it)")
			continue
		}
		if !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		st, err := os.Lstat(filepath.Join(arg, e.Name(), FileManifest))
		if err != nil || st.Mode().Type() == fs.ModeDir {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		bundles = append(bundles, bundle{e.Name(), info.ModTime()})
	}
	if len(bundles) == 0 {
		return nil, fmt.Errorf("%s is neither an evidence bundle nor a folder of bundles (no %s)", arg, FileManifest)
	}
	// Oldest first; --latest keeps the newest (modification time, then
	// name: the name ends with the UTC time of the scan).
	sort.Slice(bundles, func(i, j int) bool {
		if !bundles[i].mtime.Equal(bundles[j].mtime) {
			return bundles[i].mtime.Before(bundles[j].mtime)
		}
		return bundles[i].name < bundles[j].name
	})
	if latest {
		bundles = bundles[len(bundles)-1:]
	}
	for _, b := range bundles {
		p := filepath.Join(arg, b.name)
		t.Bundles = append(t.Bundles, TargetBundle{Name: p, verify: func(ctx context.Context, opt VerifyOptions) (*Result, error) {
			return Verify(ctx, p, opt)
		}})
	}
	return t, nil
}

func openS3Target(ctx context.Context, url string, latest bool) (*Target, error) {
	loc, err := ParseS3URL(url)
	if err != nil {
		return nil, err
	}
	client, err := NewS3Client(S3ClientOptions{})
	if err != nil {
		return nil, err
	}
	one, err := HasS3Manifest(ctx, client, loc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if one {
		src := S3Source{Client: client, S3Location: loc}
		return &Target{Single: true, Bundles: []TargetBundle{{Name: url, verify: func(ctx context.Context, opt VerifyOptions) (*Result, error) {
			return VerifySource(ctx, src, opt)
		}}}}, nil
	}
	names, incomplete, err := S3Bundles(ctx, client, loc)
	if err != nil {
		return nil, err
	}
	t := &Target{}
	for _, n := range incomplete {
		t.Skipped = append(t.Skipped, fmt.Sprintf("%s: no %s: an upload that failed or is still running, never verifiable", loc.URL(n), FileManifest))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s is neither an evidence bundle nor a prefix of bundles (no %s)", url, FileManifest)
	}
	// Names end with the UTC time of the scan: oldest first by time.
	sort.SliceStable(names, func(i, j int) bool { return bundleTime(names[i]) < bundleTime(names[j]) })
	if latest {
		names = names[len(names)-1:]
	}
	for _, n := range names {
		src := S3Source{Client: client, S3Location: S3Location{Bucket: loc.Bucket, Prefix: loc.Key(n)}}
		t.Bundles = append(t.Bundles, TargetBundle{Name: src.URL(), verify: func(ctx context.Context, opt VerifyOptions) (*Result, error) {
			return VerifySource(ctx, src, opt)
		}})
	}
	return t, nil
}

// bundleTime is the UTC time a bundle name ends with (<cluster>-<time>).
func bundleTime(name string) string {
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		return name[i+1:]
	}
	return ""
}
