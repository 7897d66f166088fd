//go:build !unix

package scanner

import "io/fs"

func fileID(fs.FileInfo) (string, bool) { return "", false }
