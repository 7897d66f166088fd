// Command meshaudit audits Istio service-mesh clusters against NIST SP
// 800-53 controls.
package main

import (
	"os"

	"github.com/meshaudit/meshaudit/cmd"
)

func main() {
	os.Exit(cmd.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
