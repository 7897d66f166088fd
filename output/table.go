package output

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
)

// Table writes a human-readable report per cluster: findings grouped by
// severity and rule, the per-control summary, rules that could not be
// judged, and the inputs that could not be parsed; with several clusters, a
// fleet summary (controls × clusters) follows.
func Table(w io.Writer, reps []*evaluate.Report, _ *rules.Catalog) error {
	for i, rep := range reps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := tableOf(w, rep); err != nil {
			return err
		}
	}
	if len(reps) > 1 {
		return fleetTable(w, reps)
	}
	return nil
}

// fleetTable: one row per control, one column per cluster.
func fleetTable(w io.Writer, reps []*evaluate.Report) error {
	status := map[string]map[string]evaluate.Status{}
	var ids []string
	for _, rep := range reps {
		for _, c := range rep.Controls {
			if status[c.ID] == nil {
				status[c.ID] = map[string]evaluate.Status{}
				ids = append(ids, c.ID)
			}
			status[c.ID][rep.Cluster] = c.Status
		}
	}
	sort.Slice(ids, func(i, j int) bool { return evaluate.ControlLess(ids[i], ids[j]) })
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
	return render(w, header, rows, false)
}

func tableOf(w io.Writer, rep *evaluate.Report) error {
	src := rep.Source.Type
	if len(rep.Source.Inputs) > 0 {
		src += ": " + strings.Join(rep.Source.Inputs, ", ")
	}
	fmt.Fprintf(w, "meshaudit %s: cluster %q (%s)\n", rep.Tool.Version, rep.Cluster, src)
	if rep.CollectedAt != "" {
		fmt.Fprintf(w, "collected at %s\n", rep.CollectedAt)
	}
	tableHeadline(w, rep)
	s := rep.Summary
	fmt.Fprintf(w, "\nFindings: %d (critical %d, high %d, medium %d, low %d)", len(rep.Findings)-s.Excepted,
		s.Findings["critical"], s.Findings["high"], s.Findings["medium"], s.Findings["low"])
	if s.Excepted > 0 {
		fmt.Fprintf(w, ", %d excepted", s.Excepted)
	}
	fmt.Fprintln(w)
	var rows, excepted [][]string
	for _, f := range rep.Findings {
		loc := ""
		if f.File != "" {
			loc = Printable(f.File)
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", loc, f.Line)
			}
		}
		if e := f.Exception; e != nil {
			who := e.Approver
			if e.SelfDeclared {
				who = "self-declared"
			}
			excepted = append(excepted, []string{f.RuleID, f.FQN(), f.Message, fmt.Sprintf("%s (%s, %s, until %s): %s", e.ID, who, e.Ticket, e.Expires, e.Justification)})
			continue
		}
		rows = append(rows, []string{strings.ToUpper(f.Severity.String()), f.RuleID, f.FQN(), loc, f.Message, strings.Join(f.Controls, ", ")})
	}
	if len(rows) > 0 {
		if err := render(w, []string{"Severity", "Rule", "Resource", "Location", "Message", "NIST 800-53"}, rows, true); err != nil {
			return err
		}
	}
	if len(excepted) > 0 {
		fmt.Fprintf(w, "\nExcepted findings: %d (kept in the record; not counted toward --fail-on)\n", len(excepted))
		if err := render(w, []string{"Rule", "Resource", "Message", "Exception"}, excepted, false); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\nNIST SP 800-53 controls: %d (fail %d, unknown %d, excepted %d, pass %d, not applicable %d)\n", len(rep.Controls),
		s.Controls["fail"], s.Controls["unknown"], s.Controls["excepted"], s.Controls["pass"], s.Controls["not_applicable"])
	if len(rep.Controls) > 0 {
		rows := make([][]string, 0, len(rep.Controls))
		for _, c := range rep.Controls {
			rows = append(rows, []string{c.ID, statusText(c.Status), c.Title, strings.Join(c.Rules, ", "), strings.Join(c.Failed, ", ")})
		}
		if err := render(w, []string{"Control", "Status", "Title", "Rules", "Failed"}, rows, false); err != nil {
			return err
		}
	}

	var open [][]string
	for _, r := range rep.Rules {
		if r.Status == evaluate.StatusUnknown || r.Status == evaluate.StatusNotApplicable {
			open = append(open, []string{r.ID, statusText(r.Status), r.Reason})
		}
	}
	fmt.Fprintf(w, "\nRules: %d evaluated (fail %d, pass %d, unknown %d, not applicable %d, excepted %d)\n", len(rep.Rules),
		s.Rules["fail"], s.Rules["pass"], s.Rules["unknown"], s.Rules["not_applicable"], s.Rules["excepted"])
	if len(open) > 0 {
		if err := render(w, []string{"Rule", "Status", "Reason"}, open, false); err != nil {
			return err
		}
	}

	var problems [][]string
	for _, pe := range rep.ParseErrors {
		loc := Printable(pe.File)
		if pe.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, pe.Line)
		}
		problems = append(problems, []string{"parse error", loc, Printable(pe.Reason)})
	}
	for _, k := range rep.Kinds {
		if k.Status != "collected" {
			problems = append(problems, []string{k.Status, k.Kind, k.Reason})
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(w, "\nCollection problems: %d\n", len(problems))
		if err := render(w, []string{"Problem", "Input", "Reason"}, problems, false); err != nil {
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
			rows = append(rows, []string{n.Kind, n.Location(), n.Object, msg})
		}
		fmt.Fprintf(w, "\nNotices: %d (they change no verdict)\n", len(rows))
		if err := render(w, []string{"Notice", "Input", "Object", "Message"}, rows, false); err != nil {
			return err
		}
	}
	for _, warn := range s.Warnings {
		fmt.Fprintf(w, "\nWARNING: %s", warn)
	}
	if len(s.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	if !s.Complete {
		fmt.Fprintf(w, "\nINCOMPLETE: %s\n", strings.Join(s.Incomplete, "; "))
	}
	return nil
}

func statusText(s evaluate.Status) string {
	return strings.ToUpper(strings.ReplaceAll(string(s), "_", " "))
}

func render(w io.Writer, header []string, rows [][]string, merge bool) error {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(60),
	}
	if merge {
		opts = append(opts, tablewriter.WithRowMergeMode(tw.MergeHierarchical))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}
