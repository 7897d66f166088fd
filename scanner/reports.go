package scanner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
)

// outputSpec is one -o FORMAT[=FILE].
type outputSpec struct {
	format string
	file   string // "" = stdout
}

func parseOutputs(specs []string, def string) ([]outputSpec, error) {
	if len(specs) == 0 {
		specs = []string{def}
	}
	var out []outputSpec
	stdout := 0
	files := map[string]string{}
	for _, s := range specs {
		format, file, _ := strings.Cut(s, "=")
		if _, err := output.Lookup(format); err != nil {
			return nil, usageErr("-o %s: %v", s, err)
		}
		if file == "-" {
			file = ""
		}
		if strings.Contains(s, "=") && file == "" && !strings.HasSuffix(s, "=-") {
			return nil, usageErr("-o %s: empty file name", s)
		}
		if file == "" {
			stdout++
		} else if !strings.Contains(file, ClusterPlaceholder) {
			key := sameFileKey(file)
			if prev, dup := files[key]; dup {
				return nil, usageErr("-o %s and -o %s write the same file: give each output its own file", prev, s)
			}
			files[key] = s
		}
		out = append(out, outputSpec{format: format, file: file})
	}
	if stdout > 1 {
		return nil, usageErr("at most one output format may go to stdout; give the others a file (-o FORMAT=FILE)")
	}
	return out, nil
}

// ClusterPlaceholder in an output file name is replaced by each cluster's
// name, writing one file per cluster.
const ClusterPlaceholder = "{cluster}"

// writeReports renders each requested format. The files of a run are
// written together or not at all (output.WriteAll: temporary files, then
// renames; a device or FIFO target is written in place); stdout is written
// only once every file is, and its report has rendered completely. Two
// outputs naming one file are a usage error.
func (r *run) writeReports(ctx context.Context, outs []outputSpec, reps []*report.Report, cat *rules.Catalog, view output.Options, oscal output.OSCALOptions) error {
	var targets []output.Target
	var toStdout *outputSpec
	seen := map[string]string{}
	for i, o := range outs {
		w, err := forTarget(r.o.View, r.io.Stdout, view, o.file == "").Lookup(o.format)
		if err != nil {
			return err
		}
		if o.format == "oscal" {
			w = output.OSCALWith(oscal)
		}
		if o.file == "" {
			toStdout = &outs[i]
			continue
		}
		add := func(name string, reps []*report.Report) error {
			key := sameFileKey(name)
			if prev, dup := seen[key]; dup {
				return usageErr("-o %s=%s and -o %s write the same file %s: give each output its own file", o.format, o.file, prev, name)
			}
			seen[key] = o.format + "=" + o.file
			targets = append(targets, output.Target{Path: name, Render: func(dst io.Writer) error { return w(dst, reps, cat) }})
			return nil
		}
		if strings.Contains(o.file, ClusterPlaceholder) {
			for _, rep := range reps {
				if err := add(strings.ReplaceAll(o.file, ClusterPlaceholder, safeFileName(rep.Cluster)), []*report.Report{rep}); err != nil {
					return err
				}
			}
			continue
		}
		if err := add(o.file, reps); err != nil {
			return err
		}
	}
	if err := output.WriteAll(ctx, targets); err != nil {
		return &Error{Kind: WriteFailed, Err: fmt.Errorf("reports not written (none of them): %w", err)}
	}
	if toStdout != nil {
		w, _ := forTarget(r.o.View, r.io.Stdout, view, true).Lookup(toStdout.format)
		if toStdout.format == "oscal" {
			w = output.OSCALWith(oscal)
		}
		var buf bytes.Buffer
		if err := w(&buf, reps, cat); err != nil {
			return &Error{Kind: WriteFailed, Err: fmt.Errorf("render %s: %w", toStdout.format, err)}
		}
		if _, err := r.io.Stdout.Write(buf.Bytes()); err != nil {
			return &Error{Kind: WriteFailed, Err: fmt.Errorf("write stdout: %w", err)}
		}
	}
	return nil
}

// sameFileKey identifies the file a path names: its absolute, cleaned
// path, or the device and inode of an existing file (two spellings, or a
// link, of one file).
func sameFileKey(name string) string {
	if st, err := os.Stat(name); err == nil {
		if id, ok := fileID(st); ok {
			return id
		}
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.Clean(name)
	}
	return abs
}

// safeFileName keeps a cluster name usable in a file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// oscalOptions configure -o oscal: --oscal-version; the evaluation's
// start (a result's start when the snapshot has no collection time); the
// time written (now, or SOURCE_DATE_EPOCH: reproducible pre-merge
// reports); the policy digest and the evidence bundles of this scan.
func (r *run) oscalOptions(started time.Time, bundles []output.OSCALBundle) (output.OSCALOptions, error) {
	generated := now()
	digest, err := PolicyDigest()
	if err != nil {
		return output.OSCALOptions{}, err
	}
	return output.OSCALOptions{Version: r.o.OSCALVersion, Generated: generated, Started: started, PolicyDigest: digest, Bundles: bundles}, nil
}
