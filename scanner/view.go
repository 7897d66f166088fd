package scanner

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/meshaudit/meshaudit/output"
)

// options are the table's options from --color and --summary. Width and
// colour are settled per target by forTarget.
func (v ViewOptions) options() (output.Options, error) {
	o := output.Options{Summary: v.Summary}
	switch c := strings.ToLower(v.Color); c {
	case "auto", "always", "never":
	default:
		return o, usageErr("--color %q: want auto, always or never", c)
	}
	return o, nil
}

// forTarget settles width and colour for one target. Standard output on a
// terminal: the terminal's width, colour unless --color never, NO_COLOR or
// TERM=dumb (--color always colours anyway). Otherwise (a pipe, a file):
// $COLUMNS, else 80, and colour only with --color always on standard output.
func forTarget(v ViewOptions, stdoutWriter io.Writer, o output.Options, stdout bool) output.Options {
	tty := false
	if f, ok := stdoutWriter.(*os.File); ok && stdout && term.IsTerminal(int(f.Fd())) {
		tty = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			o.Width = w
		}
	}
	if o.Width == 0 {
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			o.Width = n
		} else {
			o.Width = output.DefaultWidth
		}
	}
	switch strings.ToLower(v.Color) {
	case "always":
		o.Color = stdout
	case "never":
		o.Color = false
	default:
		o.Color = tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return o
}

// Width is the width of a table written to w (standard output): the
// terminal's, else $COLUMNS, else output.DefaultWidth.
func Width(w io.Writer) int {
	return forTarget(ViewOptions{}, w, output.Options{}, true).Width
}
