package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// grid is a table to render within a width: columns get their natural
// width when the table fits, else the widest ones are narrowed and their
// cells word-wrapped (a word longer than its column is broken).
type grid struct {
	header []string
	rows   [][]string
	// merge: a cell of the first merge columns that repeats the row above
	// (and so do the cells left of it) is left blank.
	merge int
	// style returns the ANSI SGR code of a cell ("" for none), by row and
	// column; applied only when colour is on.
	style func(row, col int) string
}

// layout is how a table is drawn: width is the widest a line may be
// (unlimited for -o wide).
type layout struct {
	width int
	color bool
}

// minColumn is the narrowest a column is made before every column is.
const minColumn = 8

func (l layout) render(w io.Writer, g grid) error {
	n := len(g.header)
	rows := make([][]string, len(g.rows))
	for i, r := range g.rows {
		rows[i] = make([]string, n)
		copy(rows[i], r)
		if i > 0 {
			for c := 0; c < g.merge && c < n; c++ {
				if g.rows[i][c] != g.rows[i-1][c] {
					break
				}
				rows[i][c] = ""
			}
		}
	}
	natural := make([]int, n)
	for c := range n {
		natural[c] = textWidth(g.header[c])
		for _, r := range rows {
			natural[c] = max(natural[c], textWidth(r[c]))
		}
		natural[c] = max(natural[c], 1)
	}
	// A column is narrowed to its longest word before any word is broken.
	words := make([]int, n)
	for c := range n {
		for _, cell := range append([]string{g.header[c]}, column(rows, c)...) {
			for _, word := range strings.Fields(cell) {
				words[c] = max(words[c], runewidth.StringWidth(word))
			}
		}
		words[c] = min(natural[c], max(minColumn, words[c]))
	}
	widths := fit(natural, words, l.width-(3*n+1))
	var b strings.Builder
	rule := func(left, mid, right string) {
		b.WriteString(left)
		for c, cw := range widths {
			if c > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", cw+2))
		}
		b.WriteString(right + "\n")
	}
	line := func(cells []string, style func(c int) string) {
		wrapped := make([][]string, n)
		height := 1
		for c := range n {
			wrapped[c] = wrap(cells[c], widths[c])
			height = max(height, len(wrapped[c]))
		}
		for i := range height {
			b.WriteString("│")
			for c := range n {
				text := ""
				if i < len(wrapped[c]) {
					text = wrapped[c][i]
				}
				pad := strings.Repeat(" ", widths[c]-runewidth.StringWidth(text))
				if code := style(c); l.color && code != "" && text != "" {
					text = "\x1b[" + code + "m" + text + "\x1b[0m"
				}
				b.WriteString(" " + text + pad + " │")
			}
			b.WriteString("\n")
		}
	}
	rule("┌", "┬", "┐")
	line(g.header, func(int) string { return "1" })
	rule("├", "┼", "┤")
	for i, r := range rows {
		line(r, func(c int) string {
			if g.style == nil {
				return ""
			}
			return g.style(i, c)
		})
	}
	rule("└", "┴", "┘")
	_, err := io.WriteString(w, b.String())
	return err
}

func column(rows [][]string, c int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[c]
	}
	return out
}

// fit narrows the widest columns, one character at a time, until they sum
// to avail or less: first down to their longest word (words), then to
// minColumn, then to 1.
func fit(natural, words []int, avail int) []int {
	widths := append([]int(nil), natural...)
	sum := 0
	for _, w := range widths {
		sum += w
	}
	for pass := range 3 {
		floor := func(c int) int { return []int{words[c], minColumn, 1}[pass] }
		for sum > avail {
			widest := -1
			for c, w := range widths {
				if w > floor(c) && (widest < 0 || w > widths[widest]) {
					widest = c
				}
			}
			if widest < 0 {
				break
			}
			widths[widest]--
			sum--
		}
	}
	return widths
}

// unlimited is a width large enough for any table.
const unlimited = 1 << 30

// textWidth is the display width of the widest line of s.
func textWidth(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, runewidth.StringWidth(l))
	}
	return w
}

// wrap breaks s into lines of at most width display columns, at spaces
// where it can, inside a word where it must (after its last / . : - _ , =
// that fits, else at the width). Line breaks in s are kept.
func wrap(s string, width int) []string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		flush := func() {
			out = append(out, line)
			line = ""
		}
		for _, word := range strings.Fields(para) {
			for runewidth.StringWidth(word) > width {
				if line != "" {
					flush()
				}
				head := runewidth.Truncate(word, width, "")
				if head == "" { // a character wider than the column
					head = string([]rune(word)[:1])
				}
				// Break a path or a dotted name after a separator.
				if i := strings.LastIndexAny(head, "/.:-_,="); i > 0 && i < len(head)-1 {
					head = head[:i+1]
				}
				out = append(out, head)
				word = word[len(head):]
			}
			switch {
			case line == "":
				line = word
			case runewidth.StringWidth(line)+1+runewidth.StringWidth(word) <= width:
				line += " " + word
			default:
				flush()
				line = word
			}
		}
		if line != "" || len(out) == 0 || para == "" {
			flush()
		}
	}
	return out
}

// para writes free text wrapped to the layout's width, continuation lines
// indented by two spaces.
func (l layout) para(w io.Writer, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if l.width >= unlimited {
		fmt.Fprintln(w, text)
		return
	}
	lines := wrap(text, l.width)
	for i, ln := range lines {
		if i > 0 {
			// Re-wrap what follows the first line with the indent.
			rest := strings.Join(lines[i:], " ")
			for _, r := range wrap(rest, l.width-2) {
				fmt.Fprintln(w, "  "+r)
			}
			return
		}
		fmt.Fprintln(w, ln)
	}
}

// TextTable writes a table of header and rows in the table format's style,
// no wider than width (unlimited when width <= 0): for the commands that
// print a table of their own (rules, controls, diff).
func TextTable(w io.Writer, width int, header []string, rows [][]string) error {
	if width <= 0 {
		width = unlimited
	}
	return layout{width: width}.render(w, grid{header: header, rows: rows})
}

// Wrap writes free text wrapped to width (unlimited when width <= 0),
// continuation lines indented by two spaces.
func Wrap(w io.Writer, width int, text string) {
	if width <= 0 {
		width = unlimited
	}
	layout{width: width}.para(w, "%s", text)
}
