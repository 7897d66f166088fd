package evidence

import "os"

// renameChecked refuses an existing target, then renames (a target created
// between the check and the rename is the only race left).
func renameChecked(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return os.ErrExist
	}
	return os.Rename(from, to)
}
