package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/rules"
)

// table writes a human-readable report per cluster: findings grouped by
// severity and rule, the per-control summary, rules that could not be
// judged, and the inputs that could not be parsed; with several clusters, a
// fleet summary (controls × clusters) follows. No line is wider than
// Options.Width (80 by default): long cells are wrapped. -o wide shows
// every column (file and line apart, NIST controls, a control's rules) at
// its natural width. With Summary, counts only.
func (o Options) table(w io.Writer, reps []*report.Report, _ *rules.Catalog) error {
	l := layout{width: o.Width, color: o.Color}
	switch {
	case o.Wide:
		l.width = unlimited
	case l.width <= 0:
		l.width = DefaultWidth
	}
	for i, rep := range reps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := o.tableOf(w, l, rep); err != nil {
			return err
		}
	}
	if len(reps) > 1 {
		return fleetTable(w, l, reps)
	}
	return nil
}

// fleetTable: one row per control, one column per cluster.
func fleetTable(w io.Writer, l layout, reps []*report.Report) error {
	status := map[string]map[string]report.Status{}
	var ids []string
	for _, rep := range reps {
		for _, c := range rep.Controls {
			if status[c.ID] == nil {
				status[c.ID] = map[string]report.Status{}
				ids = append(ids, c.ID)
			}
			status[c.ID][rep.Cluster] = c.Status
		}
	}
	sort.Slice(ids, func(i, j int) bool { return report.ControlLess(ids[i], ids[j]) })
	header := []string{"Control"}
	for _, rep := range reps {
		header = append(header, rep.Cluster)
	}
	rows := make([][]string, 0, len(ids))
	for _, id := range ids {
		row := []string{id}
		for _, rep := range reps {
			st, ok := status[id][rep.Cluster]
			if !ok {
				row = append(row, "-")
				continue
			}
			row = append(row, statusText(st))
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(w, "\nFleet: %d clusters\n", len(reps))
	return l.render(w, grid{header: header, rows: rows, style: func(r, c int) string {
		if c == 0 {
			return ""
		}
		return statusColor(rows[r][c])
	}})
}

// ANSI SGR codes by severity and status.
var (
	severityColors = map[string]string{"CRITICAL": "1;31", "HIGH": "31", "MEDIUM": "33", "LOW": "36"}
	statusColors   = map[string]string{"FAIL": "31", "PASS": "32", "UNKNOWN": "33", "EXCEPTED": "35", "NOT APPLICABLE": "2"}
)

func statusColor(s string) string { return statusColors[s] }

func location(file string, line int) string {
	file = Printable(file)
	if file != "" && line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// marks are the table's baseline markers (the unchanged have none).
var marks = map[string]string{diff.StateNew: "NEW", diff.StateUpdated: "UPDATED"}

func (o Options) tableOf(w io.Writer, l layout, rep *report.Report) error {
	src := rep.Source.Type
	if len(rep.Source.Inputs) > 0 {
		src += ": " + strings.Join(rep.Source.Inputs, ", ")
	}
	l.para(w, "meshaudit %s: cluster %q (%s)", rep.Tool.Version, rep.Cluster, src)
	if rep.CollectedAt != "" {
		l.para(w, "collected at %s", rep.CollectedAt)
	}
	tableHeadline(w, l, rep)
	s := rep.Summary
	fmt.Fprintln(w)
	excepted := fmt.Sprintf("%d excepted", s.Excepted)
	if s.Excepted == 0 {
		excepted = ""
	}
	l.para(w, "Findings: %d (critical %d, high %d, medium %d, low %d)%s", len(rep.Findings)-s.Excepted,
		s.Findings["critical"], s.Findings["high"], s.Findings["medium"], s.Findings["low"], prefixIf(", ", excepted))
	if o.Baseline != nil {
		n := o.Baseline.Counts(rep.Cluster)
		l.para(w, "Compared with the previous report: %d new, %d fixed, %d updated, %d unchanged", n.New, n.Absent, n.Updated, n.Unchanged)
	}
	if o.Summary {
		return o.summaryOf(w, l, rep)
	}
	if err := o.findingsTable(w, l, rep); err != nil {
		return err
	}

	fmt.Fprintln(w)
	l.para(w, "NIST SP 800-53 controls: %d (fail %d, unknown %d, excepted %d, pass %d, not applicable %d)", len(rep.Controls),
		s.Controls["fail"], s.Controls["unknown"], s.Controls["excepted"], s.Controls["pass"], s.Controls["not_applicable"])
	if len(rep.Controls) > 0 {
		header := []string{"Control", "Status", "Title", "Failed"}
		if o.Wide {
			header = []string{"Control", "Status", "Title", "Rules", "Failed"}
		}
		rows := make([][]string, 0, len(rep.Controls))
		for _, c := range rep.Controls {
			row := []string{c.ID, statusText(c.Status), c.Title, strings.Join(c.Failed, ", ")}
			if o.Wide {
				row = []string{c.ID, statusText(c.Status), c.Title, strings.Join(c.Rules, ", "), strings.Join(c.Failed, ", ")}
			}
			rows = append(rows, row)
		}
		if err := l.render(w, grid{header: header, rows: rows, style: func(r, c int) string {
			if c == 1 {
				return statusColor(rows[r][1])
			}
			return ""
		}}); err != nil {
			return err
		}
	}

	var open [][]string
	for _, r := range rep.Rules {
		if r.Status == report.StatusUnknown || r.Status == report.StatusNotApplicable {
			open = append(open, []string{r.ID, statusText(r.Status), r.Reason})
		}
	}
	fmt.Fprintln(w)
	l.para(w, "Rules: %d evaluated (fail %d, pass %d, unknown %d, not applicable %d, excepted %d)", len(rep.Rules),
		s.Rules["fail"], s.Rules["pass"], s.Rules["unknown"], s.Rules["not_applicable"], s.Rules["excepted"])
	if len(open) > 0 {
		if err := l.render(w, grid{header: []string{"Rule", "Status", "Reason"}, rows: open, style: func(r, c int) string {
			if c == 1 {
				return statusColor(open[r][1])
			}
			return ""
		}}); err != nil {
			return err
		}
	}

	problems := collectionProblems(rep)
	if len(problems) > 0 {
		fmt.Fprintln(w)
		l.para(w, "Collection problems: %d", len(problems))
		if err := l.render(w, grid{header: []string{"Problem", "Input", "Reason"}, rows: problems}); err != nil {
			return err
		}
	}
	if len(rep.Notices) > 0 {
		rows := make([][]string, 0, len(rep.Notices))
		for _, n := range rep.Notices {
			msg := n.Message
			if n.Field != "" {
				msg = n.Field + ": " + msg
			}
			rows = append(rows, []string{n.Kind, Printable(n.Location()), n.Object, Printable(msg)})
		}
		fmt.Fprintln(w)
		l.para(w, "Notices: %d (they change no verdict)", len(rows))
		if err := l.render(w, grid{header: []string{"Notice", "Input", "Object", "Message"}, rows: rows}); err != nil {
			return err
		}
	}
	o.footer(w, l, rep)
	return nil
}

func prefixIf(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// findingsTable: open findings (with a baseline marker column when
// comparing), fixed findings, excepted findings.
func (o Options) findingsTable(w io.Writer, l layout, rep *report.Report) error {
	var header []string
	if o.Baseline != nil {
		header = append(header, "Change")
	}
	first := len(header)
	if o.Wide {
		header = append(header, "Severity", "Rule", "Resource", "Location", "Message", "NIST 800-53")
	} else {
		header = append(header, "Severity", "Rule", "Resource, location", "Message")
	}
	row := func(f report.Finding) []string {
		sev := strings.ToUpper(f.Severity.String())
		if o.Wide {
			return []string{sev, f.RuleID, f.FQN(), location(f.File, f.Line), f.Message, strings.Join(f.Controls, ", ")}
		}
		res := f.FQN()
		if loc := location(f.File, f.Line); loc != "" {
			res += "\n" + loc
		}
		return []string{sev, f.RuleID, res, f.Message}
	}
	var rows, excepted [][]string
	for _, f := range rep.Findings {
		if e := f.Exception; e != nil {
			who := e.Approver
			if e.SelfDeclared {
				who = "self-declared"
			}
			excepted = append(excepted, []string{f.RuleID, f.FQN(), f.Message, fmt.Sprintf("%s (%s, %s, until %s): %s", e.ID, who, e.Ticket, e.Expires, e.Justification)})
			continue
		}
		r := row(f)
		if o.Baseline != nil {
			r = append([]string{marks[o.Baseline.State(rep.Cluster, f)]}, r...)
		}
		rows = append(rows, r)
	}
	style := func(rows [][]string) func(r, c int) string {
		return func(r, c int) string {
			switch c - first {
			case -1:
				if rows[r][c] != "" {
					return "1;33"
				}
			case 0:
				return severityColors[rows[r][c]]
			}
			return ""
		}
	}
	if len(rows) > 0 {
		// Merged: a severity (and a rule) repeated on the rows below it is
		// shown once; with a marker column, rows do not merge.
		merge := 2
		if o.Baseline != nil {
			merge = 0
		}
		if err := l.render(w, grid{header: header, rows: rows, merge: merge, style: style(rows)}); err != nil {
			return err
		}
	}
	if o.Baseline != nil {
		if fixed := o.Baseline.Absent(rep.Cluster); len(fixed) > 0 {
			fmt.Fprintln(w)
			l.para(w, "Fixed since the previous report: %d", len(fixed))
			var rows [][]string
			for _, f := range fixed {
				rows = append(rows, append([]string{"FIXED"}, row(f)...))
			}
			if err := l.render(w, grid{header: header, rows: rows, style: style(rows)}); err != nil {
				return err
			}
		}
	}
	if len(excepted) > 0 {
		fmt.Fprintln(w)
		l.para(w, "Excepted findings: %d (kept in the record; not counted toward --fail-on)", len(excepted))
		if err := l.render(w, grid{header: []string{"Rule", "Resource", "Message", "Exception"}, rows: excepted}); err != nil {
			return err
		}
	}
	return nil
}

func collectionProblems(rep *report.Report) [][]string {
	var problems [][]string
	for _, pe := range rep.ParseErrors {
		problems = append(problems, []string{"parse error", location(pe.File, pe.Line), Printable(pe.Reason)})
	}
	for _, k := range rep.Kinds {
		if k.Status != "collected" {
			problems = append(problems, []string{k.Status, k.Kind, k.Reason})
		}
	}
	return problems
}

func (o Options) footer(w io.Writer, l layout, rep *report.Report) {
	s := rep.Summary
	for _, warn := range s.Warnings {
		fmt.Fprintln(w)
		l.para(w, "WARNING: %s", warn)
	}
	if !s.Complete {
		fmt.Fprintln(w)
		l.para(w, "INCOMPLETE: %s", strings.Join(s.Incomplete, "; "))
	}
}

// summaryOf: counts per severity, per control status and per namespace,
// no rows of findings (--summary).
func (o Options) summaryOf(w io.Writer, l layout, rep *report.Report) error {
	s := rep.Summary
	sevs := []rules.Severity{rules.SeverityCritical, rules.SeverityHigh, rules.SeverityMedium, rules.SeverityLow}
	type counts struct{ open, excepted, new map[rules.Severity]int }
	byNS := map[string]*counts{}
	var nsOrder []string
	total := counts{map[rules.Severity]int{}, map[rules.Severity]int{}, map[rules.Severity]int{}}
	for _, f := range rep.Findings {
		ns := f.Resource.Namespace
		switch {
		case f.Resource.Kind == "Mesh":
			ns = "(mesh-wide)"
		case ns == "" && f.Resource.Kind == "Namespace":
			ns = f.Resource.Name
		case ns == "":
			ns = "(cluster-scoped)"
		}
		c := byNS[ns]
		if c == nil {
			c = &counts{map[rules.Severity]int{}, map[rules.Severity]int{}, map[rules.Severity]int{}}
			byNS[ns] = c
			nsOrder = append(nsOrder, ns)
		}
		for _, t := range []*counts{c, &total} {
			if f.Exception != nil {
				t.excepted[f.Severity]++
			} else {
				t.open[f.Severity]++
				if o.Baseline != nil && o.Baseline.State(rep.Cluster, f) == diff.StateNew {
					t.new[f.Severity]++
				}
			}
		}
	}
	fmt.Fprintln(w)
	header := []string{"Severity", "Open", "Excepted"}
	if o.Baseline != nil {
		header = append(header, "New")
	}
	var rows [][]string
	for _, sev := range sevs {
		r := []string{strings.ToUpper(sev.String()), fmt.Sprint(total.open[sev]), fmt.Sprint(total.excepted[sev])}
		if o.Baseline != nil {
			r = append(r, fmt.Sprint(total.new[sev]))
		}
		rows = append(rows, r)
	}
	if err := l.render(w, grid{header: header, rows: rows, style: func(r, c int) string {
		if c == 0 {
			return severityColors[rows[r][0]]
		}
		return ""
	}}); err != nil {
		return err
	}

	fmt.Fprintln(w)
	l.para(w, "NIST SP 800-53 controls: %d", len(rep.Controls))
	statuses := []report.Status{report.StatusFail, report.StatusUnknown, report.StatusExcepted, report.StatusPass, report.StatusNotApplicable}
	var crow [][]string
	for _, st := range statuses {
		crow = append(crow, []string{statusText(st), fmt.Sprint(s.Controls[string(st)])})
	}
	if err := l.render(w, grid{header: []string{"Status", "Controls"}, rows: crow, style: func(r, c int) string {
		if c == 0 {
			return statusColor(crow[r][0])
		}
		return ""
	}}); err != nil {
		return err
	}

	if len(nsOrder) > 0 {
		sort.Strings(nsOrder)
		fmt.Fprintln(w)
		l.para(w, "Findings by namespace: %d", len(nsOrder))
		var nrows [][]string
		for _, ns := range nsOrder {
			c := byNS[ns]
			r := []string{ns}
			ex := 0
			for _, sev := range sevs {
				r = append(r, fmt.Sprint(c.open[sev]))
				ex += c.excepted[sev]
			}
			nrows = append(nrows, append(r, fmt.Sprint(ex)))
		}
		if err := l.render(w, grid{header: []string{"Namespace", "Critical", "High", "Medium", "Low", "Excepted"}, rows: nrows}); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	l.para(w, "Rules: %d evaluated (fail %d, pass %d, unknown %d, not applicable %d, excepted %d)", len(rep.Rules),
		s.Rules["fail"], s.Rules["pass"], s.Rules["unknown"], s.Rules["not_applicable"], s.Rules["excepted"])
	if p := collectionProblems(rep); len(p) > 0 {
		l.para(w, "Collection problems: %d (the full table lists them)", len(p))
		if n := len(rep.Notices); n > 0 {
			l.para(w, "Notices: %d (they change no verdict; the full table lists them)", n)
		}
	}
	o.footer(w, l, rep)
	return nil
}

func statusText(s report.Status) string {
	return strings.ToUpper(strings.ReplaceAll(string(s), "_", " "))
}
