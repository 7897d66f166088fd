package collectors

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// Excluder matches --exclude globs against paths relative to the scanned
// root: `*` and `?` within one path element, `**` across elements, `[...]`
// classes. A glob without a slash matches any element's name (`testdata`,
// `*.tmpl.yaml`); a glob with one matches the relative path
// (`deploy/legacy/**`). A directory that matches is not entered.
type Excluder struct {
	globs []glob
}

type glob struct {
	src     string
	re      *regexp.Regexp
	anyName bool
}

// NewExcluder compiles the globs; a malformed glob is an error.
func NewExcluder(globs []string) (*Excluder, error) {
	e := &Excluder{}
	for _, g := range globs {
		g = strings.TrimPrefix(strings.TrimSuffix(g, "/"), "./")
		if g == "" {
			return nil, fmt.Errorf("empty exclude glob")
		}
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return nil, fmt.Errorf("exclude glob %q: %w", g, err)
		}
		re, err := regexp.Compile("^" + globRegexp(g) + "$")
		if err != nil {
			return nil, fmt.Errorf("exclude glob %q: %w", g, err)
		}
		e.globs = append(e.globs, glob{src: g, re: re, anyName: !strings.Contains(g, "/")})
	}
	return e, nil
}

func globRegexp(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c == '*' && i+1 < len(g) && g[i+1] == '*':
			i++
			if i+1 < len(g) && g[i+1] == '/' {
				i++
				b.WriteString(`(?:.*/)?`)
			} else {
				b.WriteString(`.*`)
			}
		case c == '*':
			b.WriteString(`[^/]*`)
		case c == '?':
			b.WriteString(`[^/]`)
		case c == '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				b.WriteString(regexp.QuoteMeta(string(c)))
				continue
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j
		case c == '\\' && i+1 < len(g):
			i++
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// Excluded reports whether rel (slash-separated, relative to the scanned
// root) matches a glob, and which.
func (e *Excluder) Excluded(rel string) (bool, string) {
	if e == nil || rel == "" || rel == "." {
		return false, ""
	}
	rel = strings.TrimPrefix(rel, "./")
	for _, g := range e.globs {
		if g.re.MatchString(rel) {
			return true, g.src
		}
		if g.anyName && g.re.MatchString(path.Base(rel)) {
			return true, g.src
		}
	}
	return false, ""
}
