package evidence

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// Source is one bundle to read: a local directory (DirSource) or the
// objects under a prefix of a bucket (S3Source).
type Source interface {
	// String names the bundle in messages (a path, an s3:// URL).
	String() string
	// Read returns one file of the bundle (a slash-separated path), of at
	// most max bytes: fsutil.ErrTooLarge beyond, fs.ErrNotExist when
	// absent, fsutil.ErrNotRegular for what is not a regular file.
	Read(ctx context.Context, path string, max int64) ([]byte, error)
	// Open opens one file for a streamed read, on the same terms as Read
	// (a file larger than max may fail here or when read past max).
	Open(ctx context.Context, path string, max int64) (io.ReadCloser, error)
	// List returns every file of the bundle, directories left out.
	List(ctx context.Context) ([]Entry, error)
}

// Entry is one file of a bundle.
type Entry struct {
	Path string      // slash-separated, relative to the bundle
	Mode fs.FileMode // its type: only regular files are ever read
}

// DirSource is a bundle directory.
type DirSource string

func (d DirSource) String() string { return string(d) }

// Read implements Source: a regular file only, never through a link.
func (d DirSource) Read(_ context.Context, p string, max int64) ([]byte, error) {
	return fsutil.ReadRegular(filepath.Join(string(d), filepath.FromSlash(p)), max, true)
}

// Open implements Source: a regular file only, never through a link.
func (d DirSource) Open(_ context.Context, p string, max int64) (io.ReadCloser, error) {
	f, st, err := fsutil.OpenRegular(filepath.Join(string(d), filepath.FromSlash(p)), true)
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", p, st.Size(), fsutil.ErrTooLarge, max)
	}
	return f, nil
}

// List implements Source.
func (d DirSource) List(context.Context) ([]Entry, error) {
	var out []Entry
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(string(d), p)
		if err != nil {
			return err
		}
		out = append(out, Entry{Path: filepath.ToSlash(rel), Mode: e.Type()})
		return nil
	})
	return out, err
}
