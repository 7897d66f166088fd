package scanner

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// evidenceKey checks the evidence options before anything is collected and
// loads the signing key (nil when none).
func (o Options) evidenceKey() (ed25519.PrivateKey, error) {
	dir, keyFile := o.EvidenceDir, o.SignKey
	if days := o.RetainDays; days != 0 {
		if days < 0 {
			return nil, usageErr("--retain-days %d: want a positive number of days", days)
		}
		if !evidence.IsS3URL(dir) {
			return nil, usageErr("--retain-days needs an s3:// --evidence-dir (Object Lock retention)")
		}
	}
	if evidence.IsS3URL(dir) {
		if _, err := evidence.ParseS3URL(dir); err != nil {
			return nil, usageErr("--evidence-dir: %v", err)
		}
		if _, err := evidence.NewS3Client(evidence.S3ClientOptions{}); err != nil {
			return nil, usageErr("--evidence-dir: %v", err)
		}
	}
	if keyFile == "" {
		return nil, nil
	}
	if dir == "" {
		return nil, usageErr("--sign-key needs --evidence-dir")
	}
	key, err := evidence.LoadPrivateKey(keyFile)
	if err != nil {
		return nil, usageErr("--sign-key: %v", err)
	}
	return key, nil
}

// writeEvidence writes one evidence bundle per cluster when EvidenceDir
// is set, signed with key when not nil, and returns them for the OSCAL
// report. snaps and reps are in the same order.
func (r *run) writeEvidence(ctx context.Context, snaps []*snapshot.Snapshot, reps []*report.Report, cat *rules.Catalog, mods []policies.Module, params policies.Params, now time.Time, key ed25519.PrivateKey) ([]output.OSCALBundle, error) {
	o := r.o
	dir := o.EvidenceDir
	if dir == "" {
		return nil, nil
	}
	in := evidence.Input{
		Catalog:      cat,
		Modules:      mods,
		Params:       params,
		SelfDeclared: o.SelfDeclaredExceptions,
		EvaluatedAt:  now,
		Deadline:     o.EvalTimeout,
		ToolVersion:  o.ToolVersion,
		CreatedAt:    time.Now(),
		SignKey:      key,
		OSCALVersion: o.OSCALVersion,
	}
	var err error
	if in.PolicyDigest, err = PolicyDigest(); err != nil {
		return nil, err
	}
	if f := o.Exceptions; f != "" {
		if in.Exceptions, err = fsutil.ReadRegular(f, exceptions.MaxFileBytes, false); err != nil {
			return nil, usageErr("--exceptions: %v", err)
		}
	}
	var store evidence.Store = evidence.DirStore(dir)
	var s3 *evidence.S3Store
	if evidence.IsS3URL(dir) {
		loc, err := evidence.ParseS3URL(dir)
		if err != nil {
			return nil, usageErr("--evidence-dir: %v", err)
		}
		client, err := evidence.NewS3Client(evidence.S3ClientOptions{})
		if err != nil {
			return nil, usageErr("--evidence-dir: %v", err)
		}
		s3 = &evidence.S3Store{Client: client, S3Location: loc, RetainDays: o.RetainDays}
		store = s3
	}
	var bundles []output.OSCALBundle
	for i, rep := range reps {
		in.Snapshot, in.Report = snaps[i], rep
		w, err := evidence.BuildTo(ctx, store, in)
		if s3 != nil {
			for _, n := range s3.Notes {
				fmt.Fprintf(r.io.Stderr, "meshaudit: note: %s\n", n)
			}
			s3.Notes = nil
		}
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(r.io.Stderr, "meshaudit: evidence bundle %s\n", w.Location)
		bundles = append(bundles, output.OSCALBundle{Cluster: rep.Cluster, Path: w.Location, ManifestSHA256: w.ManifestSHA256})
	}
	return bundles, nil
}
