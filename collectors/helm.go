package collectors

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/getter"

	"github.com/meshaudit/meshaudit/snapshot"
)

// HelmOptions are the `helm template` settings applied to every chart
// directory of the input.
type HelmOptions struct {
	ReleaseName string   // --release-name; default: the chart's name
	Namespace   string   // release namespace (the --namespace flag)
	ValueFiles  []string // --values FILE, in order (later wins)
	Set         []string // --set k=v, in order, over the files
}

// renderChart renders the chart in dir as `helm template` would (Helm's
// SDK, v4): values files and --set over the chart's values, dependencies
// from charts/ (conditions, tags, import-values), release name and
// namespace, default capabilities; every template's output (hooks and
// tests included, as helm template prints them) is read as manifests,
// each object located in its template file. A chart that fails to render
// is one parse error naming the template and line.
func (r *fileReader) renderChart(dir string) []decoded {
	disp := r.display(dir)
	fail := func(file string, line int, format string, args ...any) []decoded {
		return []decoded{{file: file, line: line, err: fmt.Sprintf(format, args...)}}
	}
	ch, err := loader.Load(dir)
	if err != nil {
		return fail(disp+"/Chart.yaml", 0, "helm: load chart: %v", err)
	}
	if err := ch.Validate(); err != nil {
		return fail(disp+"/Chart.yaml", 0, "helm: invalid chart: %v", err)
	}
	if ch.Metadata.Type == "library" {
		return []decoded{{file: disp + "/Chart.yaml", notice: &snapshot.Notice{Kind: snapshot.NoticeSkipped, Message: "not read as manifests: a Helm library chart renders no object of its own"}}}
	}
	if missing := missingDependencies(ch); len(missing) > 0 {
		return fail(disp+"/Chart.yaml", 0, "helm: dependencies found in Chart.yaml but missing in charts/: %s (run helm dependency build)", strings.Join(missing, ", "))
	}
	vopts := values.Options{ValueFiles: r.opts.Helm.ValueFiles, Values: r.opts.Helm.Set}
	vals, err := vopts.MergeValues(getter.Providers{})
	if err != nil {
		return fail(disp, 0, "helm: values: %v", err)
	}
	if err := chartv2util.ProcessDependencies(ch, vals); err != nil {
		return fail(disp+"/Chart.yaml", 0, "helm: dependencies: %v", err)
	}
	name := r.opts.Helm.ReleaseName
	if name == "" {
		name = ch.Name()
	}
	ns := r.opts.Helm.Namespace
	if ns == "" {
		ns = r.opts.Namespace
	}
	if ns == "" {
		ns = "default"
	}
	caps := common.DefaultCapabilities.Copy()
	rv, err := chartutil.ToRenderValues(ch, vals, common.ReleaseOptions{Name: name, Namespace: ns, Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return fail(disp, 0, "helm: values: %v", err)
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		file, line, msg := templateError(ch.Name(), disp, err)
		return fail(file, line, "helm: render: %s", msg)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(base, "NOTES.txt") || strings.TrimSpace(files[n]) == "" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var out []decoded
	for _, n := range names {
		file := templateFile(ch.Name(), disp, n)
		for _, d := range r.content([]byte(files[n])) {
			d.file = file
			out = append(out, d)
		}
	}
	return out
}

// missingDependencies names the dependencies of Chart.yaml not found in
// charts/ (helm template refuses such a chart).
func missingDependencies(ch *chart.Chart) []string {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	return missing
}

// templateFile maps a rendered template's name (<chart>/templates/x.yaml,
// <chart>/charts/<sub>/templates/x.yaml) to the file in the chart
// directory as displayed.
func templateFile(chartName, disp, name string) string {
	rest := strings.TrimPrefix(name, chartName+"/")
	return path.Join(filepath.ToSlash(disp), rest)
}

// templateErr finds "<chart>/templates/x.yaml:12:" in Helm's render error.
var templateErr = regexp.MustCompile(`([\w.\-]+(?:/[\w.\-]+)*/templates/[^\s:]+):(\d+)`)

// templateError locates a render error in its template file and line.
func templateError(chartName, disp string, err error) (string, int, string) {
	msg := err.Error()
	if m := templateErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		return templateFile(chartName, disp, m[1]), line, msg
	}
	return disp, 0, msg
}
