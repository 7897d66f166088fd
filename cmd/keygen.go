package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
)

func newKeygenCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Make an ed25519 key pair for signing evidence bundles",
		Long: `Write PREFIX.key (the private key, PEM PKCS #8, mode 0600) and PREFIX.pub
(the public key, PEM PKIX) for scan --sign-key and verify --pub-key.
Existing files are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			prefix, _ := cmd.Flags().GetString("out")
			if prefix == "" {
				return usageErr("keygen: --out PREFIX is required")
			}
			key, pub, err := evidence.GenerateKeyPair(prefix)
			if err != nil {
				return usageErr("keygen: %v", err)
			}
			fmt.Fprintf(a.stdout, "private key %s (keep it secret)\npublic key  %s\n", key, pub)
			return nil
		},
	}
	c.Flags().String("out", "", "file name prefix: writes PREFIX.key and PREFIX.pub")
	return c
}
