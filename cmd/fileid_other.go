//go:build !unix

package cmd

import "io/fs"

func fileID(fs.FileInfo) (string, bool) { return "", false }
