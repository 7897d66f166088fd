package output

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// artifactURI turns a slash-separated relative file path into a SARIF
// artifact URI reference: each segment percent-encoded (spaces, control
// characters, '%', '?', '#'… are not valid in a URI).
func artifactURI(file string) string {
	parts := strings.Split(file, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// Printable escapes control and other non-printable characters of a name
// (a file name may hold an escape sequence) for a terminal: "a\x1b[2Jb"
// prints as a\x1b[2Jb, never clearing the screen.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if !unicode.IsPrint(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
