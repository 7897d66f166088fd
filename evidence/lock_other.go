//go:build !unix

package evidence

import (
	"os"
	"time"
)

func lockDir(string) func() { return func() {} }

// abandoned: without locks, a temporary bundle untouched for an hour.
func abandoned(p string) bool {
	st, err := os.Stat(p)
	return err == nil && time.Since(st.ModTime()) > time.Hour
}
