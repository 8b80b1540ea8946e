// Package grafana holds the engine's Grafana dashboard (engine-dashboard.json)
// and the tests that keep it honest: every metric a panel queries is one the
// engine defines, read the way its type allows, with labels it has, on the
// data source the file asks for at import.
package grafana

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

const (
	dashboardFile = "engine-dashboard.json"
	repoRoot      = "../.."
	wantUID       = "otc-engine"
	dsInput       = "DS_PROMETHEUS"
	dsUID         = "${" + dsInput + "}"
)

// The parts of Grafana's dashboard model the checks read.
type dashboard struct {
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Inputs        []input `json:"__inputs"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type input struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	PluginID string `json:"pluginId"`
}

type panel struct {
	ID         int         `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Datasource *datasource `json:"datasource"`
	Targets    []target    `json:"targets"`
	Panels     []panel     `json:"panels"` // a collapsed row's panels
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type target struct {
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat"`
	RefID        string      `json:"refId"`
	Datasource   *datasource `json:"datasource"`
}

type variable struct {
	Name       string      `json:"name"`
	Type       string      `json:"type"`
	Definition string      `json:"definition"`
	Datasource *datasource `json:"datasource"`
}

// Metric kinds, named as client_golang names its Opts types.
const (
	counter   = "Counter"
	gauge     = "Gauge"
	histogram = "Histogram"
	summary   = "Summary"
)

// metricDef is what the checks know about one metric the engine exports.
type metricDef struct {
	kind string
	// labels are its variable labels; known is false when the source does
	// not spell them out as a []string literal, and then they go unchecked.
	labels []string
	known  bool
}

var (
	// metricRef finds a metric name in PromQL with its label selector and
	// whether a range ("[5m]") follows. No label name the dashboard uses
	// starts with these prefixes or is "up".
	metricRef = regexp.MustCompile(`\b((?:engine|go|process)_[a-z0-9_]+|up)\b(\{[^}]*\})?(\[)?`)
	// rangeFunc matches the text just before a counter or histogram series
	// that is read correctly: as the argument of rate or increase.
	rangeFunc  = regexp.MustCompile(`\b(?:rate|irate|increase)\(\s*$`)
	quantile   = regexp.MustCompile(`histogram_quantile\(\s*0?\.\d+\s*,\s*sum\s*by\s*\(([^)]*)\)\s*\(\s*rate\(`)
	matcher    = regexp.MustCompile(`([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)`)
	byClause   = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
	legendVar  = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)
	scrapeKeys = []string{"job", "instance"} // added by Prometheus to every series
)

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// allPanels returns every panel, a collapsed row's panels included.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// definedMetrics returns the metrics the engine can export: every
// `Name: "engine_…"` in a prometheus Opts literal of the module's non-test Go
// source (with the labels of the New…Vec call around it), what the Go and
// process collectors the daemon registers gather on this machine, and the up
// series Prometheus records for every scrape.
// Reading the source instead of building the daemon's registry keeps the
// test fast and also finds metrics of components the daemon does not start.
func definedMetrics(t *testing.T) map[string]metricDef {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil || !strings.Contains(string(mod), "module github.com/otcdesk/engine\n") {
		t.Fatalf("%s is not the engine's module root (go.mod: %v)", repoRoot, err)
	}
	defined := map[string]metricDef{"up": {kind: gauge, known: true}}
	add := func(pos token.Position, name string, def metricDef) {
		prev, dup := defined[name]
		switch {
		case !dup || (!prev.known && def.known && prev.kind == def.kind):
			defined[name] = def
		case prev.kind != def.kind:
			t.Errorf("%s: %s is a %s here and a %s elsewhere", pos, name, def.kind, prev.kind)
		case prev.known && def.known && !slices.Equal(prev.labels, def.labels):
			t.Errorf("%s: %s has labels %q here and %q elsewhere", pos, name, def.labels, prev.labels)
		}
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(repoRoot, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		if e.IsDir() {
			if path != repoRoot && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if name, def, ok := constructor(n); ok {
					add(fset.Position(n.Pos()), name, def)
					return false
				}
			case *ast.CompositeLit:
				// Opts built apart from the New… call: labels unknown.
				if kind, name, ok := opts(n); ok {
					add(fset.Position(n.Pos()), name, metricDef{kind: kind})
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", repoRoot, err)
	}
	if len(defined) == 1 {
		t.Fatalf("found no engine_ metric in the Go source under %s", repoRoot)
	}

	// The collectors daemon.New registers next to the engine's own.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather the Go and process collectors: %v", err)
	}
	kinds := map[dto.MetricType]string{
		dto.MetricType_COUNTER: counter, dto.MetricType_GAUGE: gauge,
		dto.MetricType_HISTOGRAM: histogram, dto.MetricType_SUMMARY: summary,
	}
	for _, mf := range mfs {
		def := metricDef{kind: kinds[mf.GetType()], known: true}
		if len(mf.GetMetric()) > 0 {
			for _, l := range mf.GetMetric()[0].GetLabel() {
				def.labels = append(def.labels, l.GetName())
			}
		}
		defined[mf.GetName()] = def
	}
	return defined
}

// constructor recognises prometheus.NewCounter(prometheus.CounterOpts{Name:
// "engine_…"}) and its Gauge, Histogram and Summary forms, and the …Vec
// forms with their label list.
func constructor(call *ast.CallExpr) (string, metricDef, bool) {
	fn, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || !isPrometheus(fn.X) || len(call.Args) == 0 {
		return "", metricDef{}, false
	}
	lit, ok := call.Args[0].(*ast.CompositeLit)
	if !ok {
		return "", metricDef{}, false
	}
	kind, name, ok := opts(lit)
	if !ok {
		return "", metricDef{}, false
	}
	switch fn.Sel.Name {
	case "New" + kind:
		return name, metricDef{kind: kind, known: true}, true
	case "New" + kind + "Vec":
		def := metricDef{kind: kind}
		if len(call.Args) == 2 {
			def.labels, def.known = stringList(call.Args[1])
		}
		return name, def, true
	}
	return "", metricDef{}, false
}

// opts returns the kind and name of a prometheus.CounterOpts (GaugeOpts,
// HistogramOpts, SummaryOpts) literal whose Name is an engine_ string.
func opts(lit *ast.CompositeLit) (kind, name string, ok bool) {
	typ, isSel := lit.Type.(*ast.SelectorExpr)
	if !isSel || !isPrometheus(typ.X) {
		return "", "", false
	}
	switch kind = strings.TrimSuffix(typ.Sel.Name, "Opts"); kind {
	case counter, gauge, histogram, summary:
	default:
		return "", "", false
	}
	for _, el := range lit.Elts {
		kv, isKV := el.(*ast.KeyValueExpr)
		if !isKV {
			continue
		}
		if key, isIdent := kv.Key.(*ast.Ident); !isIdent || key.Name != "Name" {
			continue
		}
		if s, isStr := stringLit(kv.Value); isStr && strings.HasPrefix(s, "engine_") {
			return kind, s, true
		}
	}
	return "", "", false
}

func isPrometheus(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "prometheus"
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// stringList returns the elements of a []string{"a", "b"} literal.
func stringList(e ast.Expr) ([]string, bool) {
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(lit.Elts))
	for _, el := range lit.Elts {
		s, ok := stringLit(el)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// resolve maps a series name from PromQL to the metric that exports it:
// itself, or a histogram or summary for its _bucket, _sum and _count series.
func resolve(defined map[string]metricDef, series string) (metric, suffix string, ok bool) {
	if _, ok := defined[series]; ok {
		return series, "", true
	}
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		base, found := strings.CutSuffix(series, s)
		if !found {
			continue
		}
		if k := defined[base].kind; k == histogram || (k == summary && s != "_bucket") {
			return base, s, true
		}
	}
	return "", "", false
}

// TestDashboardMetricsAreDefined fails when a panel or a variable queries a
// metric no engine code defines, and when a panel reads one wrongly: a
// counter outside rate or increase, a histogram other than through its
// _bucket (under histogram_quantile by le), _sum or _count series, a label
// the metric does not have, or a series without the $job and $instance
// selectors of the dashboard's variables. It also fails when an engine_
// metric the source defines is on no panel, so a new metric comes with its
// chart.
func TestDashboardMetricsAreDefined(t *testing.T) {
	d := loadDashboard(t)
	defined := definedMetrics(t)

	used := map[string]bool{}
	queries := 0
	check := func(where, expr, legend string, inPanel bool) {
		queries++
		metrics, problems := checkQuery(defined, expr, legend, inPanel)
		for _, m := range metrics {
			used[m] = true
		}
		for _, p := range problems {
			t.Errorf("%s: %s", where, p)
		}
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			check(strconv.Quote(p.Title)+" query "+tg.RefID, tg.Expr, tg.LegendFormat, true)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			check("variable "+v.Name, v.Definition, "", false)
		}
	}
	if queries == 0 {
		t.Fatal("the dashboard has no queries")
	}

	var uncharted []string
	for name := range defined {
		if strings.HasPrefix(name, "engine_") && !used[name] {
			uncharted = append(uncharted, name)
		}
	}
	slices.Sort(uncharted)
	if len(uncharted) > 0 {
		t.Errorf("engine metrics defined in code but on no panel (chart them in %s): %s", dashboardFile, strings.Join(uncharted, ", "))
	}
}

// checkQuery returns the defined metrics expr reads and what is wrong with
// it. A panel's query (inPanel) is also checked for how it reads each metric
// and for the labels it names; a variable's label_values may name any metric
// plainly.
func checkQuery(defined map[string]metricDef, expr, legend string, inPanel bool) (metrics, problems []string) {
	refs := metricRef.FindAllStringSubmatchIndex(expr, -1)
	if len(refs) == 0 {
		problems = append(problems, fmt.Sprintf("query %q names no engine_, go_ or process_ metric nor up", expr))
	}
	// Labels the query's results can carry: those of the metrics it reads.
	available, allKnown := slices.Clone(scrapeKeys), true
	for _, m := range refs {
		series := expr[m[2]:m[3]]
		metric, suffix, ok := resolve(defined, series)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not defined by any engine code (no Name: %q in a prometheus Opts literal, not a Go or process collector metric)", series, series))
			allKnown = false
			continue
		}
		metrics = append(metrics, metric)
		if !inPanel {
			continue
		}
		def := defined[metric]
		labels := slices.Clone(scrapeKeys)
		for _, l := range def.labels {
			if slices.Contains(scrapeKeys, l) {
				// Prometheus keeps the target's job and instance and
				// stores the metric's own label of that name as exported_….
				l = "exported_" + l
			}
			labels = append(labels, l)
		}
		switch {
		case suffix == "_bucket":
			labels = append(labels, "le")
		case def.kind == summary && suffix == "":
			labels = append(labels, "quantile")
		}
		available = append(available, labels...)
		allKnown = allKnown && def.known

		selector := ""
		if m[4] >= 0 {
			selector = expr[m[4]:m[5]]
		}
		if !strings.Contains(selector, `job=~"$job"`) || !strings.Contains(selector, `instance=~"$instance"`) {
			problems = append(problems, fmt.Sprintf("%s selects %q; want the $job and $instance selectors", series, selector))
		}
		if def.known {
			for _, lm := range matcher.FindAllStringSubmatch(selector, -1) {
				if !slices.Contains(labels, lm[1]) {
					problems = append(problems, fmt.Sprintf("%s has no label %q (it has %q)", series, lm[1], def.labels))
				}
			}
		}

		ranged := m[6] >= 0 && rangeFunc.MatchString(expr[:m[0]])
		switch {
		case def.kind == counter || suffix == "_sum" || suffix == "_count":
			if !ranged {
				problems = append(problems, fmt.Sprintf("counter %s must be read through rate() or increase() over a range", series))
			}
		case def.kind == histogram && suffix == "_bucket":
			if !ranged || !histogramQuantileByLe(expr) {
				problems = append(problems, fmt.Sprintf("%s must be read as histogram_quantile(q, sum by (le, …) (rate(…[…])))", series))
			}
		case def.kind == histogram:
			problems = append(problems, fmt.Sprintf("%s is a histogram; query its _bucket, _sum or _count series", series))
		case ranged:
			// A gauge, or a summary's quantiles.
			problems = append(problems, fmt.Sprintf("%s is not a counter; rate() or increase() of it means nothing", series))
		}
	}
	if !inPanel || !allKnown {
		return metrics, problems
	}
	var grouped []string
	for _, bm := range byClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(bm[1], ",") {
			l = strings.TrimSpace(l)
			grouped = append(grouped, l)
			if !slices.Contains(available, l) {
				problems = append(problems, fmt.Sprintf("groups by %q, a label none of its metrics has", l))
			}
		}
	}
	for _, lm := range legendVar.FindAllStringSubmatch(legend, -1) {
		in := grouped
		if len(grouped) == 0 {
			in = available
		}
		if !slices.Contains(in, lm[1]) {
			problems = append(problems, fmt.Sprintf("legend %q uses {{%s}}, which the query's results do not carry", legend, lm[1]))
		}
	}
	return metrics, problems
}

// histogramQuantileByLe reports whether every histogram_quantile in expr
// aggregates the rate of its buckets by le.
func histogramQuantileByLe(expr string) bool {
	ms := quantile.FindAllStringSubmatch(expr, -1)
	if len(ms) == 0 || len(ms) != strings.Count(expr, "histogram_quantile(") {
		return false
	}
	for _, m := range ms {
		labels := strings.Split(m[1], ",")
		for i := range labels {
			labels[i] = strings.TrimSpace(labels[i])
		}
		if !slices.Contains(labels, "le") {
			return false
		}
	}
	return true
}

// TestDashboardPanels checks what makes the file importable anywhere: the
// uid, the ${DS_PROMETHEUS} input that every panel, query and variable uses
// (no data source of one particular Grafana), unique panel ids and a layout
// inside Grafana's 24-column grid.
func TestDashboardPanels(t *testing.T) {
	d := loadDashboard(t)
	if d.UID != wantUID {
		t.Errorf("uid = %q, want %q", d.UID, wantUID)
	}
	// 36 is the first schema that writes datasources as {type, uid}, as
	// Grafana 10 expects.
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion = %d, want at least 36", d.SchemaVersion)
	}
	if !slices.ContainsFunc(d.Inputs, func(in input) bool {
		return in.Name == dsInput && in.Type == "datasource" && in.PluginID == "prometheus"
	}) {
		t.Errorf("__inputs has no Prometheus datasource input %s", dsInput)
	}

	wantDS := func(where string, ds *datasource) {
		if ds == nil {
			t.Errorf("%s has no datasource", where)
		} else if ds.Type != "prometheus" || ds.UID != dsUID {
			t.Errorf("%s: datasource = %+v, want {prometheus %s}", where, *ds, dsUID)
		}
	}
	panels := allPanels(d.Panels)
	if len(panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	ids := map[int]string{}
	for _, p := range panels {
		where := "panel " + strconv.Quote(p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id = %d, want a positive id", where, p.ID)
		} else if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id %d already used by %q", where, p.ID, other)
		}
		ids[p.ID] = p.Title
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v is outside the 24-column grid", where, g)
		}
		if p.Type == "row" {
			// A row holds panels, not queries; Grafana gives it no datasource.
			if len(p.Targets) > 0 {
				t.Errorf("%s: a row with queries", where)
			}
			continue
		}
		if len(p.Panels) > 0 {
			t.Errorf("%s: a %s panel holding panels", where, p.Type)
		}
		wantDS(where, p.Datasource)
		if len(p.Targets) == 0 {
			t.Errorf("%s has no queries", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			wantDS(where+" query "+tg.RefID, tg.Datasource)
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: missing or repeated refId %q", where, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	for _, v := range d.Templating.List {
		switch v.Type {
		case "query":
			wantDS("variable "+v.Name, v.Datasource)
		case "datasource":
			// Lets the file also be provisioned, where Grafana fills no
			// __inputs: ${DS_PROMETHEUS} then resolves to this variable.
			if v.Name != dsInput {
				t.Errorf("datasource variable %q, want %q", v.Name, dsInput)
			}
		}
	}
}

// TestCheckQuery feeds the checks good and broken queries, so a regression
// in the checks cannot let a broken dashboard pass.
func TestCheckQuery(t *testing.T) {
	defined := map[string]metricDef{
		"engine_x_total":   {kind: counter, labels: []string{"route", "outcome"}, known: true},
		"engine_h_seconds": {kind: histogram, labels: []string{"path"}, known: true},
		"engine_g":         {kind: gauge, labels: []string{"pair"}, known: true},
		"engine_u":         {kind: gauge},
		"engine_j_total":   {kind: counter, labels: []string{"job"}, known: true},
		"go_gc_seconds":    {kind: summary, known: true},
		"up":               {kind: gauge, known: true},
	}
	const sel = `{job=~"$job", instance=~"$instance"}`
	for _, tc := range []struct {
		expr, legend string
		inPanel      bool
		want         string // a problem's prefix; "" for none
	}{
		{`sum by (route, outcome) (rate(engine_x_total` + sel + `[$__rate_interval]))`, "{{route}} {{outcome}}", true, ""},
		{`sum(increase(engine_x_total{job=~"$job", instance=~"$instance", outcome="ok"}[$__range]))`, "", true, ""},
		{`histogram_quantile(0.99, sum by (le, path) (rate(engine_h_seconds_bucket` + sel + `[5m])))`, "{{path}}", true, ""},
		{`sum(rate(engine_h_seconds_count` + sel + `[5m]))`, "", true, ""},
		{`max by (pair) (engine_g` + sel + `)`, "{{pair}}", true, ""},
		{`max by (instance) (engine_g` + sel + ` * 2 or engine_g` + sel + `)`, "{{instance}}", true, ""},
		{`sum by (anything) (engine_u` + sel + `)`, "{{anything}}", true, ""},
		{`label_values(engine_x_total, job)`, "", false, ""},
		{`min(up` + sel + `)`, "", true, ""},
		{`sum(engine_g` + sel + `) or 0 * max(up` + sel + `)`, "", true, ""},
		{`rate(up` + sel + `[5m])`, "", true, "up is not a counter"},
		{`sum(rate(engine_missing_total` + sel + `[5m]))`, "", true, "engine_missing_total is not defined"},
		{`label_values(engine_missing, job)`, "", false, "engine_missing is not defined"},
		{`sum(engine_g_bucket` + sel + `)`, "", true, "engine_g_bucket is not defined"},
		{`sum(engine_x_total` + sel + `)`, "", true, "counter engine_x_total"},
		{`sum(max_over_time(engine_x_total` + sel + `[5m]))`, "", true, "counter engine_x_total"},
		{`sum(rate(engine_x_total{instance=~"$instance"}[5m]))`, "", true, "engine_x_total selects"},
		{`sum(rate(engine_x_total[5m]))`, "", true, "engine_x_total selects"},
		{`histogram_quantile(0.99, sum by (path) (rate(engine_h_seconds_bucket` + sel + `[5m])))`, "", true, "engine_h_seconds_bucket must be read"},
		{`sum(rate(engine_h_seconds_bucket` + sel + `[5m]))`, "", true, "engine_h_seconds_bucket must be read"},
		{`engine_h_seconds` + sel, "", true, "engine_h_seconds is a histogram"},
		{`max(go_gc_seconds{job=~"$job", instance=~"$instance", quantile="1"})`, "", true, ""},
		{`sum(rate(go_gc_seconds_count` + sel + `[5m]))`, "", true, ""},
		{`rate(go_gc_seconds` + sel + `[5m])`, "", true, "go_gc_seconds is not a counter"},
		{`go_gc_seconds_bucket` + sel, "", true, "go_gc_seconds_bucket is not defined"},
		{`rate(engine_g` + sel + `[5m])`, "", true, "engine_g is not a counter"},
		{`vector(1)`, "", true, `query "vector(1)" names no`},
		{`sum(rate(engine_x_total{job=~"$job", instance=~"$instance", code="500"}[5m]))`, "", true, `engine_x_total has no label "code"`},
		{`sum by (route, code) (rate(engine_x_total` + sel + `[5m]))`, "", true, `groups by "code"`},
		{`sum by (exported_job) (rate(engine_j_total` + sel + `[5m]))`, "{{exported_job}}", true, ""},
		{`sum by (job) (rate(engine_j_total` + sel + `[5m]))`, "", true, ""},
		{`sum(rate(engine_j_total{job=~"$job", instance=~"$instance", exported_job="sweep"}[5m]))`, "", true, ""},
		{`sum by (instance) (rate(engine_x_total` + sel + `[5m]))`, "{{job}}", true, `legend "{{job}}" uses {{job}}`},
		{`sum by (route) (rate(engine_x_total` + sel + `[5m]))`, "{{outcome}}", true, `legend "{{outcome}}" uses {{outcome}}`},
		{`max(engine_g` + sel + `)`, "{{route}}", true, `legend "{{route}}" uses {{route}}`},
	} {
		_, problems := checkQuery(defined, tc.expr, tc.legend, tc.inPanel)
		switch {
		case tc.want == "" && len(problems) > 0:
			t.Errorf("checkQuery(%s) = %q, want no problem", tc.expr, problems)
		case tc.want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, tc.want) }):
			t.Errorf("checkQuery(%s) = %q, want a problem starting %q", tc.expr, problems, tc.want)
		}
	}
}
