package cmd

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/scanner"
)

// version is set at build time with -ldflags "-X github.com/meshaudit/meshaudit/cmd.version=v1.2.3".
var version = ""

// Version returns meshaudit's version: the linker-set one, else the module
// version of the build, else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "version",
		Short: "Print meshaudit's version and policy bundle digest",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			digest, err := scanner.PolicyDigest()
			if err != nil {
				return err
			}
			info := map[string]string{"version": Version(), "policies": digest, "go": runtime.Version()}
			format, _ := cmd.Flags().GetString("output")
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			case "", "text":
				fmt.Fprintf(a.stdout, "meshaudit %s (policies %s, %s)\n", info["version"], info["policies"], info["go"])
				return nil
			default:
				return usageErr("version: unknown output %q (want text or json)", format)
			}
		},
	}
	c.Flags().StringP("output", "o", "text", "output format: text or json")
	return c
}
