package cmd

import (
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/meshaudit/meshaudit/output"
)

func addViewFlags(c *cobra.Command) {
	c.Flags().String("color", "auto", "colour the table by severity and status: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never")
	c.Flags().Bool("summary", false, "table: counts only (per severity, control status and namespace), no finding rows")
}

// tableView reads the table's flags: --color and --summary. Width and
// colour are settled per target by forTarget.
func (a *app) tableView() (output.Options, error) {
	o := output.Options{Summary: a.v.GetBool("summary")}
	switch c := strings.ToLower(a.v.GetString("color")); c {
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
func (a *app) forTarget(o output.Options, stdout bool) output.Options {
	tty := false
	if f, ok := a.stdout.(*os.File); ok && stdout && term.IsTerminal(int(f.Fd())) {
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
	switch strings.ToLower(a.v.GetString("color")) {
	case "always":
		o.Color = stdout
	case "never":
		o.Color = false
	default:
		o.Color = tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	return o
}

// width is the width of a command's own table (rules, controls, diff):
// unlimited with -o wide, else as forTarget settles it for standard output.
func (a *app) width(cmd *cobra.Command) int {
	if f, _ := cmd.Flags().GetString("output"); f == "wide" {
		return 0
	}
	return a.forTarget(output.Options{}, true).Width
}
