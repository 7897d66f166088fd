// Command nistgen writes rules/nist_controls.gen.json (see package nistgen).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/meshaudit/meshaudit/rules/internal/nistgen"
)

func main() {
	dir := flag.String("nist", "../../shared/nist", "folder with the NIST OSCAL files")
	out := flag.String("o", "nist_controls.gen.json", "output file")
	flag.Parse()
	b, err := nistgen.Generate(*dir)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nistgen:", err)
		os.Exit(1)
	}
}
