// Command yamldecode is the benchmark floor: it reads every .yaml/.yml/.json
// file under the given directories and decodes each document with
// sigs.k8s.io/yaml into a map, on one core, and does nothing else. bench/run.sh
// times it beside meshaudit on the same manifests.
package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"sigs.k8s.io/yaml"
)

func main() {
	runtime.GOMAXPROCS(1)
	docs, objs := 0, 0
	for _, dir := range os.Args[1:] {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, doc := range bytes.Split(b, []byte("\n---\n")) {
				doc = bytes.TrimPrefix(doc, []byte("---\n"))
				if len(bytes.TrimSpace(doc)) == 0 {
					continue
				}
				docs++
				var m map[string]any
				if err := yaml.Unmarshal(doc, &m); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				if m != nil {
					objs++
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "yamldecode:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("%d documents, %d objects\n", docs, objs)
}
