//go:build !linux

package evidence

func renameNoReplace(from, to string) error { return renameChecked(from, to) }
