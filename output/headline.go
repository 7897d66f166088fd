package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/meshaudit/meshaudit/report"
)

// tableHeadline says on top of a cluster's table what changes how its
// findings read: the findings each exception excepts, and the custom
// policies evaluated (with their digests).
func tableHeadline(w io.Writer, l layout, rep *report.Report) {
	if n := rep.Summary.Excepted; n > 0 {
		var per []string
		applied := 0
		for _, e := range rep.Exceptions {
			if e.Matched > 0 && e.Status == report.ExceptionApplied {
				applied++
				who := e.ID
				if e.SelfDeclared {
					who += ", self-declared"
				}
				per = append(per, fmt.Sprintf("%s: %d", who, e.Matched))
			}
		}
		l.para(w, "EXCEPTED: %d finding(s) by %d exception(s) (%s)", n, applied, strings.Join(per, "; "))
	}
	for _, p := range rep.CustomPolicies {
		l.para(w, "custom policy %s (%s)", Printable(p.Path), p.SHA256)
	}
}
