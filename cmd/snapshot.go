package cmd

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/scanner"
)

func newSnapshotCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "snapshot",
		Short: "Collect a snapshot (JSON) from manifests, to scan later with scan --snapshot",
		Long: `Read manifests exactly as scan does and write the redacted snapshot as JSON
(stdout by default, or -o snapshot=FILE, written atomically; -o is a format in
every command: snapshot, or its synonym json). Secret data, the data of
ConfigMaps other than Istio's mesh ConfigMaps, env values, managedFields and
the last-applied-configuration annotation are never written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec, _ := cmd.Flags().GetString("output")
			file, err := scanner.SnapshotTarget(spec)
			if err != nil {
				return err
			}
			var in scanner.InputOptions
			if err := a.decode(&in); err != nil {
				return err
			}
			a.paramLayers(&in.Params)
			params, err := in.Params.Params()
			if err != nil {
				return err
			}
			snaps, err := scanner.Collect(cmd.Context(), in, params, Version(), a.streams())
			if cerr := cmd.Context().Err(); cerr != nil {
				return scanner.InterruptedError(cerr)
			}
			if err != nil {
				return err
			}
			if len(snaps) != 1 {
				return usageErr("snapshot takes one cluster at a time (give one --context)")
			}
			snap := snaps[0]
			for _, pe := range snap.ParseErrors {
				fmt.Fprintf(a.stderr, "meshaudit: skipped %s\n", scanner.FormatParseError(pe))
			}
			if line := scanner.NoticeSummary(snap.Notices); line != "" {
				fmt.Fprintf(a.stderr, "meshaudit: %s\n", strings.Replace(line, "listed in the report", "kept in the snapshot", 1))
			}
			if len(snap.Objects) == 0 {
				return usageErr("nothing to snapshot: no Kubernetes objects in the input")
			}
			if file == "" {
				var buf bytes.Buffer
				if err := snap.Write(&buf); err != nil {
					return err
				}
				_, err = a.stdout.Write(buf.Bytes())
			} else {
				err = output.WriteFile(file, func(w io.Writer) error { return snap.Write(w) })
			}
			if err != nil {
				return err
			}
			if len(snap.ParseErrors) > 0 {
				return &scanner.Error{Kind: scanner.Incomplete, Err: fmt.Errorf("%d input(s) could not be parsed", len(snap.ParseErrors))}
			}
			return nil
		},
	}
	addInputFlags(c)
	c.Flags().StringP("output", "o", "snapshot", "format snapshot (or json, the same) to stdout, or snapshot=FILE written atomically")
	return c
}
