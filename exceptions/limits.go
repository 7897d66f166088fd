package exceptions

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// DefaultMaxDays is the default longest lifetime of an exception
// (params.max_exception_days).
const DefaultMaxDays = 365

// Limits bound what an exceptions file may accept.
type Limits struct {
	// MaxDays: the longest lifetime, from created (or, for a self-declared
	// exception, which has none, from Now) to expires; 0: no limit.
	MaxDays int
	// AllowBroad accepts wildcard rules or controls and selectors that
	// match every resource (--allow-broad-exceptions).
	AllowBroad bool
	// Now is the day the exceptions are judged at.
	Now time.Time
}

// Check refuses exceptions that are broad (unless allowed) or live longer
// than the limit, and creation dates in the future. The error names every
// such entry.
func Check(list []Exception, lim Limits) error {
	var errs []string
	y, m, d := lim.Now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for _, e := range list {
		var why []string
		if !lim.AllowBroad {
			if b := e.Broad(); b != "" {
				why = append(why, b+" (--allow-broad-exceptions accepts it)")
			}
		}
		from := today
		if e.Created != "" {
			c, err := time.Parse(dateLayout, e.Created)
			if err != nil {
				why = append(why, fmt.Sprintf("created %q: want YYYY-MM-DD", e.Created))
			} else if c.After(today.AddDate(0, 0, 1)) { // a day of slack for time zones
				why = append(why, fmt.Sprintf("created %s is in the future", e.Created))
			} else {
				from = c
			}
		}
		if lim.MaxDays > 0 {
			if exp, err := time.Parse(dateLayout, e.Expires); err == nil {
				if days := int(exp.Sub(from).Hours() / 24); days > lim.MaxDays {
					since := "created " + from.Format(dateLayout)
					if e.Created == "" {
						since = "today, " + from.Format(dateLayout)
					}
					why = append(why, fmt.Sprintf("expires %s, %d days after %s: longer than params.max_exception_days (%d)", e.Expires, days, since, lim.MaxDays))
				}
			}
		}
		if len(why) > 0 {
			errs = append(errs, fmt.Sprintf("%s: %s", e.ID, strings.Join(why, "; ")))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("exceptions refused: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Broad says why an exception is a blanket one, or "": a rule pattern that
// matches any rule id, a wildcard control, or a selector that narrows
// neither by namespace, kind, name nor labels (clusters alone do not narrow
// a one-cluster scan). Self-declared exceptions are bound to their object.
func (e Exception) Broad() string {
	for _, r := range e.Rules {
		if matchesAnything(r) {
			return fmt.Sprintf("rule pattern %q matches every rule", r)
		}
	}
	for _, c := range e.Controls {
		if strings.ContainsAny(c, "*?[") {
			return fmt.Sprintf("control %q is a wildcard", c)
		}
	}
	if e.SelfDeclared {
		return ""
	}
	sel := e.Selector
	narrows := len(sel.Labels) > 0
	for _, globs := range [][]string{sel.Namespaces, sel.Kinds, sel.Names} {
		if len(globs) > 0 && !anyMatchesAnything(globs) {
			narrows = true
		}
	}
	if !narrows {
		return "the selector matches every resource (give namespaces, kinds, names or labels)"
	}
	return ""
}

// probes are unrelated strings: a glob matching all of them matches
// anything (`*`, `?*`, `*[!x]*`…).
var probes = []string{"", "a", "MTLS-01", "POD-03", "zz-9", "kube-system", "Deployment", "x.y_z", "0123456789abcdefghijklmnopqrstuvwxyz"}

func matchesAnything(glob string) bool {
	n := 0
	for _, p := range probes {
		if ok, _ := path.Match(glob, p); ok {
			n++
		}
	}
	// The empty string aside (`?*` does not match it), every probe.
	return n >= len(probes)-1
}

func anyMatchesAnything(globs []string) bool {
	for _, g := range globs {
		if matchesAnything(g) {
			return true
		}
	}
	return false
}
