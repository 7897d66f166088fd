package cmd

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
)

func newSnapshotCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "snapshot",
		Short: "Collect a snapshot (JSON) from manifests, to scan later with scan --snapshot",
		Long: `Read manifests exactly as scan does and write the redacted snapshot as JSON
(stdout by default, or -o FILE, written atomically). Secret data, the data of
ConfigMaps other than Istio's mesh ConfigMaps, env values, managedFields and
the last-applied-configuration annotation are never written.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params, err := a.params()
			if err != nil {
				return err
			}
			snaps, err := a.collect(cmd.Context(), params, false)
			if cerr := cmd.Context().Err(); cerr != nil {
				return interrupted(cerr)
			}
			if err != nil {
				return err
			}
			if len(snaps) != 1 {
				return usageErr("snapshot takes one cluster at a time (give one --context)")
			}
			snap := snaps[0]
			for _, pe := range snap.ParseErrors {
				fmt.Fprintf(a.stderr, "meshaudit: skipped %s\n", formatParseError(pe))
			}
			if line := noticeSummary(snap.Notices); line != "" {
				fmt.Fprintf(a.stderr, "meshaudit: %s\n", strings.Replace(line, "listed in the report", "kept in the snapshot", 1))
			}
			if len(snap.Objects) == 0 {
				return usageErr("nothing to snapshot: no Kubernetes objects in the input")
			}
			file, _ := cmd.Flags().GetString("output")
			if file == "" || file == "-" {
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
				return &exitError{code: ExitIncomplete, err: fmt.Errorf("%d input(s) could not be parsed", len(snap.ParseErrors))}
			}
			return nil
		},
	}
	addInputFlags(c)
	c.Flags().StringP("output", "o", "", "write the snapshot to FILE (default stdout)")
	return c
}
