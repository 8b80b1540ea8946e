// Package prometheus holds the engine's Prometheus alerting rules
// (alerts.yml), their promtool unit tests (alerts_test.yml) and the tests
// that keep both honest: promtool runs the unit tests; every alert has a
// severity, a summary, a description, a case that fires it and one that does
// not; and every metric, label and label value a rule reads is one the
// engine defines, unless it is allowlisted below with its reason.
package prometheus

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	rulesFile  = "alerts.yml"
	testsFile  = "alerts_test.yml"
	readmeFile = "README.md"
	repoRoot   = "../.."
	module     = "github.com/otcdesk/engine"
	// requireEnv makes a missing promtool a failure instead of a skip;
	// .ci/run sets it after installing promtool.
	requireEnv = "ENGINE_REQUIRE_PROMTOOL"
)

// external are series the rules read that the engine does not export,
// with who provides them.
var external = map[string]string{
	"up":                             "recorded by Prometheus for every scrape target",
	"probe_ssl_earliest_cert_expiry": "a blackbox exporter probing the webhook endpoint: webhookd exports no certificate metric",
}

// Severities an alert may carry: page (act now) or ticket (act within the
// working day). Alertmanager routes on them.
var severities = []string{"page", "ticket"}

// The parts of Prometheus' rule file format the checks read; decoding with
// known fields only also catches a misspelt key without promtool.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         *string           `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// The parts of promtool's unit test file format the checks read.
type testFile struct {
	RuleFiles          []string    `yaml:"rule_files"`
	EvaluationInterval string      `yaml:"evaluation_interval"`
	Tests              []testGroup `yaml:"tests"`
}

type testGroup struct {
	Name        string `yaml:"name"`
	Interval    string `yaml:"interval"`
	InputSeries []struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	} `yaml:"input_series"`
	AlertRuleTest []struct {
		EvalTime  string `yaml:"eval_time"`
		Alertname string `yaml:"alertname"`
		ExpAlerts []struct {
			ExpLabels      map[string]string `yaml:"exp_labels"`
			ExpAnnotations map[string]string `yaml:"exp_annotations"`
		} `yaml:"exp_alerts"`
	} `yaml:"alert_rule_test"`
}

func decodeYAML(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// loadRules returns the rules of alerts.yml in file order.
func loadRules(t *testing.T) []rule {
	t.Helper()
	var f ruleFile
	decodeYAML(t, rulesFile, &f)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatalf("%s has no rules", rulesFile)
	}
	return rules
}

// TestRulesPromtool runs promtool's checks of the rule file and its unit
// tests. Without promtool on PATH it skips, unless ENGINE_REQUIRE_PROMTOOL=1.
func TestRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool is not on PATH, so the alert rules' unit tests did not run: install Debian's prometheus package (apt-get install --no-install-recommends prometheus) or any Prometheus release's promtool"
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s (%s=1)", msg, requireEnv)
		}
		t.Skipf("%s; %s=1 makes this a failure", msg, requireEnv)
	}
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, promtool, args...).CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	}
	run("--version")
	run("check", "rules", rulesFile)
	run("test", "rules", testsFile)
}

// TestRulesHaveTests checks what promtool does not: every rule is an alert
// with a severity, a summary and a description, alerts_test.yml has a case
// where it fires, with its labels and annotations, and one where it does
// not, and README.md lists it with its severity.
func TestRulesHaveTests(t *testing.T) {
	rules := loadRules(t)
	severity := map[string]string{}
	for _, r := range rules {
		where := fmt.Sprintf("%s: alert %q", rulesFile, r.Alert)
		switch {
		case r.Alert == "":
			t.Errorf("%s: rule %q (record %q) is not an alert", rulesFile, r.Expr, r.Record)
			continue
		case severity[r.Alert] != "":
			t.Errorf("%s is defined twice", where)
		}
		severity[r.Alert] = r.Labels["severity"]
		if !slices.Contains(severities, r.Labels["severity"]) {
			t.Errorf("%s: severity %q, want one of %q", where, r.Labels["severity"], severities)
		}
		if r.For == nil {
			t.Errorf("%s has no for: (say for: 0m where it fires at once)", where)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s has no %s annotation", where, a)
			}
		}
	}

	var tf testFile
	decodeYAML(t, testsFile, &tf)
	if !slices.Equal(tf.RuleFiles, []string{rulesFile}) {
		t.Errorf("%s: rule_files = %q, want [%q]", testsFile, tf.RuleFiles, rulesFile)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, g := range tf.Tests {
		for _, c := range g.AlertRuleTest {
			where := fmt.Sprintf("%s: test %q at %s", testsFile, g.Name, c.EvalTime)
			sev, ok := severity[c.Alertname]
			if !ok {
				t.Errorf("%s: no alert %q in %s", where, c.Alertname, rulesFile)
				continue
			}
			if len(c.ExpAlerts) == 0 {
				quiet[c.Alertname] = true
				continue
			}
			fires[c.Alertname] = true
			for _, e := range c.ExpAlerts {
				if e.ExpLabels["severity"] != sev {
					t.Errorf("%s: %s expected with severity %q, the rule's is %q", where, c.Alertname, e.ExpLabels["severity"], sev)
				}
				for _, a := range []string{"summary", "description"} {
					if e.ExpAnnotations[a] == "" {
						t.Errorf("%s: %s expected without its %s annotation", where, c.Alertname, a)
					}
				}
			}
		}
	}
	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if !bytes.Contains(readme, []byte("| "+r.Alert+" | "+r.Labels["severity"]+" |")) {
			t.Errorf("%s: the table of alerts has no row \"| %s | %s |\"", readmeFile, r.Alert, r.Labels["severity"])
		}
		if !fires[r.Alert] {
			t.Errorf("%s: no case where %s fires (exp_alerts with its labels and annotations)", testsFile, r.Alert)
		}
		if !quiet[r.Alert] {
			t.Errorf("%s: no case where %s does not fire (exp_alerts: [])", testsFile, r.Alert)
		}
	}
}

// source is the engine's non-test Go source, file by file.
type source map[string]string

// readSource reads the Go files of the engine's packages, test files left
// out, as go list names them.
func readSource(t *testing.T) source {
	t.Helper()
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command lists the engine's source: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gotool, "list", "-f", "{{.Module.Path}}|{{.Dir}}{{range .GoFiles}}|{{.}}{{end}}", "./...")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./... in %s: %v", repoRoot, err)
	}
	src := source{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "|")
		if len(fields) < 2 || fields[0] != module {
			t.Fatalf("go list ./... in %s: %q is not a package of %s", repoRoot, line, module)
		}
		for _, name := range fields[2:] {
			path := filepath.Join(fields[1], name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			src[path] = string(b)
		}
	}
	return src
}

// definers returns the files that define metric name: those with the
// literal Name: "name", as in a prometheus Opts literal.
func (s source) definers(name string) []string {
	return s.find(`\bName:\s*` + regexp.QuoteMeta(strconv.Quote(name)))
}

// series returns the files that define the metric a series belongs to:
// the metric of that name, or the histogram (or, for _sum and _count, the
// summary) of which it is the _bucket, _sum or _count series, with that
// suffix.
func (s source) series(name string) (files []string, suffix string) {
	if files = s.definers(name); len(files) > 0 {
		return files, ""
	}
	kinds := map[string]string{"_bucket": "Histogram", "_sum": "(?:Histogram|Summary)", "_count": "(?:Histogram|Summary)"}
	for suffix, kind := range kinds {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			// The Name inside a HistogramOpts (SummaryOpts) literal.
			return s.find(`\b` + kind + `Opts\{[^}]*\bName:\s*` + regexp.QuoteMeta(strconv.Quote(base))), suffix
		}
	}
	return nil, ""
}

// find returns the files in which pattern matches.
func (s source) find(pattern string) []string {
	re := regexp.MustCompile(pattern)
	var files []string
	for f, text := range s {
		if re.MatchString(text) {
			files = append(files, f)
		}
	}
	slices.Sort(files)
	return files
}

// quoted reports whether one of files (every file when none are given)
// holds s as a Go string literal.
func (s source) quoted(str string, files ...string) bool {
	lit := strconv.Quote(str)
	if len(files) == 0 {
		for _, text := range s {
			if strings.Contains(text, lit) {
				return true
			}
		}
		return false
	}
	return slices.ContainsFunc(files, func(f string) bool { return strings.Contains(s[f], lit) })
}

// Labels every scraped series has, and the bucket label of histograms.
var (
	scrapeLabels = []string{"job", "instance"}
	simpleValue  = regexp.MustCompile(`^[a-z0-9_]+$`)
)

// TestRulesMetricsAreDefined fails when a rule reads a metric the engine's
// Go source does not define (no Name: "…" literal; a histogram's _bucket,
// _sum and _count count as its own) and that is not allowlisted in
// external; a label the defining file does not name, or a label value no Go
// string literal holds; and when an allowlist entry is stale: unused, or
// defined by the engine now.
func TestRulesMetricsAreDefined(t *testing.T) {
	src := readSource(t)
	used := map[string]bool{}
	for _, r := range loadRules(t) {
		for _, p := range checkExpr(src, r.Expr, used) {
			t.Errorf("%s: alert %s: %s", rulesFile, r.Alert, p)
		}
	}
	for name, why := range external {
		if !used[name] {
			t.Errorf("%s is allowlisted but no rule reads it: remove it", name)
		}
		if files := src.definers(name); len(files) > 0 {
			t.Errorf("%s is defined by the engine now (%s): remove it from external (%s) so the rules are checked against it", name, strings.Join(files, ", "), why)
		}
	}
}

// checkExpr returns what is wrong with the metrics, labels and label values
// expr reads, and marks each metric in used.
func checkExpr(src source, expr string, used map[string]bool) []string {
	sels, grouping, err := parseExpr(expr)
	if err != nil {
		return []string{err.Error()}
	}
	if len(sels) == 0 {
		return []string{fmt.Sprintf("%q reads no metric", expr)}
	}
	var problems []string
	// Labels the expression's series can carry, for its by and on clauses.
	available := slices.Clone(scrapeLabels)
	var files []string // the definers of every engine metric expr reads
	checkGrouping := true
	for _, s := range sels {
		used[s.metric] = true
		if _, ok := external[s.metric]; ok {
			checkGrouping = false
			continue
		}
		defs, suffix := src.series(s.metric)
		if len(defs) == 0 {
			problems = append(problems, fmt.Sprintf("%s is not defined in the engine's Go source (no Name: %q in a non-test .go file, nor a histogram's or summary's series) nor allowlisted", s.metric, s.metric))
			continue
		}
		given := slices.Clone(scrapeLabels) // labels the series has whatever the source says
		if suffix == "_bucket" {
			given = append(given, "le")
		}
		available = append(available, given...)
		files = append(files, defs...)
		for _, m := range s.matchers {
			if slices.Contains(given, m.label) {
				continue
			}
			if !src.quoted(m.label, defs...) {
				problems = append(problems, fmt.Sprintf("%s has no label %q (%s does not name it)", s.metric, m.label, strings.Join(defs, ", ")))
			}
			values := []string{m.value}
			if m.op == "=~" || m.op == "!~" {
				values = strings.Split(m.value, "|")
			}
			for _, v := range values {
				if simpleValue.MatchString(v) && !src.quoted(v) {
					problems = append(problems, fmt.Sprintf("%s{%s%s%q}: no Go string literal %q in the engine's source, so no series has that value", s.metric, m.label, m.op, m.value, v))
				}
			}
		}
	}
	if !checkGrouping {
		return problems
	}
	for _, l := range grouping {
		if !slices.Contains(available, l) && !src.quoted(l, files...) {
			problems = append(problems, fmt.Sprintf("groups or matches on %q, a label none of its metrics has", l))
		}
	}
	return problems
}

// selector is a vector selector of a PromQL expression.
type selector struct {
	metric   string
	matchers []matcher
}

type matcher struct {
	label, op, value string
}

// keywords are the PromQL words that are not metric names: binary and set
// operators, aggregations and modifiers. A name followed by "(" is a
// function.
var keywords = []string{
	"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2",
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio",
}

// groupings are the modifiers that take a list of labels.
var groupings = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

// parseExpr returns the vector selectors of a PromQL expression and the
// labels its by, without, on, ignoring, group_left and group_right clauses
// name. It knows as much PromQL as the checks need: strings, label
// matchers, ranges, numbers and durations, comments, function calls.
func parseExpr(expr string) (sels []selector, grouping []string, err error) {
	isIdent := func(c byte, first bool) bool {
		return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || !first && '0' <= c && c <= '9'
	}
	i := 0
	skipSpace := func() {
		for i < len(expr) && strings.IndexByte(" \t\r\n", expr[i]) >= 0 {
			i++
		}
	}
	ident := func() string {
		start := i
		for i < len(expr) && isIdent(expr[i], i == start) {
			i++
		}
		return expr[start:i]
	}
	str := func() (string, error) {
		q, start := expr[i], i
		for i++; i < len(expr) && expr[i] != q; i++ {
			if expr[i] == '\\' && q != '`' {
				i++
			}
		}
		if i >= len(expr) {
			return "", fmt.Errorf("%q: unterminated string at %d", expr, start)
		}
		i++
		lit := expr[start:i]
		if q == '\'' {
			lit = `"` + strings.ReplaceAll(strings.ReplaceAll(lit[1:len(lit)-1], `\'`, `'`), `"`, `\"`) + `"`
		}
		return strconv.Unquote(lit)
	}
	matchers := func() ([]matcher, error) {
		var ms []matcher
		for i++; ; {
			skipSpace()
			if i < len(expr) && expr[i] == '}' {
				i++
				return ms, nil
			}
			label := ident()
			skipSpace()
			var op string
			for _, o := range []string{"=~", "!~", "!=", "="} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			i += len(op)
			skipSpace()
			if label == "" || op == "" || i >= len(expr) || strings.IndexByte("\"'`", expr[i]) < 0 {
				return nil, fmt.Errorf("%q: bad label matcher at %d", expr, i)
			}
			v, err := str()
			if err != nil {
				return nil, err
			}
			ms = append(ms, matcher{label, op, v})
			skipSpace()
			if i < len(expr) && expr[i] == ',' {
				i++
			}
		}
	}
	for skipSpace(); i < len(expr); skipSpace() {
		c := expr[i]
		switch {
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			if _, err := str(); err != nil {
				return nil, nil, err
			}
		case c == '{':
			return nil, nil, fmt.Errorf("%q: a selector without a metric name at %d", expr, i)
		case c == '[':
			end := strings.IndexByte(expr[i:], ']')
			if end < 0 {
				return nil, nil, fmt.Errorf("%q: unterminated range at %d", expr, i)
			}
			i += end + 1
		case '0' <= c && c <= '9' || c == '.':
			for i < len(expr) && (isIdent(expr[i], false) || expr[i] == '.') {
				i++
			}
		case isIdent(c, true):
			name := ident()
			skipSpace()
			next := byte(0)
			if i < len(expr) {
				next = expr[i]
			}
			switch {
			case slices.Contains(groupings, name):
				if next != '(' {
					continue // group_left without labels
				}
				end := strings.IndexByte(expr[i:], ')')
				if end < 0 {
					return nil, nil, fmt.Errorf("%q: unterminated %s at %d", expr, name, i)
				}
				for _, l := range strings.Split(expr[i+1:i+end], ",") {
					if l = strings.TrimSpace(l); l != "" {
						grouping = append(grouping, l)
					}
				}
				i += end + 1
			case slices.Contains(keywords, name), next == '(':
			default:
				s := selector{metric: name}
				if next == '{' {
					ms, err := matchers()
					if err != nil {
						return nil, nil, err
					}
					s.matchers = ms
				}
				sels = append(sels, s)
			}
		default:
			i++
		}
	}
	return sels, grouping, nil
}

// TestRulesParseExpr feeds the PromQL reader and the checks good and broken
// expressions, so that a regression in them cannot let a wrong rule pass.
func TestRulesParseExpr(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		sels     []selector
		grouping []string
		err      string
	}{
		{expr: `up{job="otc-engine"} == 0`, sels: []selector{{"up", []matcher{{"job", "=", "otc-engine"}}}}},
		{expr: `absent(up{job='otc-engine'})`, sels: []selector{{"up", []matcher{{"job", "=", "otc-engine"}}}}},
		{
			expr:     "max by (job, instance) (a) == 1\nunless on (job, instance)\nmax by(job,instance)(b) == 1",
			sels:     []selector{{metric: "a"}, {metric: "b"}},
			grouping: []string{"job", "instance", "job", "instance", "job", "instance"},
		},
		{
			expr:     `sum by (job, reason) (rate(x_total{reason!~"a|b", path = "p"}[5m])) > 0.1`,
			sels:     []selector{{"x_total", []matcher{{"reason", "!~", "a|b"}, {"path", "=", "p"}}}},
			grouping: []string{"job", "reason"},
		},
		{
			expr:     `histogram_quantile(0.99, sum(rate(h_bucket[5m])) by (le)) > 1e3`,
			sels:     []selector{{metric: "h_bucket"}},
			grouping: []string{"le"},
		},
		{expr: `x - time() < 14 * 86400 >= 3 * 86400`, sels: []selector{{metric: "x"}}},
		{expr: `x unless x offset 10m # a comment naming y`, sels: []selector{{metric: "x"}, {metric: "x"}}},
		{expr: `a * on (pair) group_left b{c="}"}`, sels: []selector{{metric: "a"}, {"b", []matcher{{"c", "=", "}"}}}}, grouping: []string{"pair"}},
		{expr: `label_replace(a, "dst", "$1", "src", "(.*)")`, sels: []selector{{metric: "a"}}},
		{expr: `{__name__="a"}`, err: "a selector without a metric name"},
		{expr: `a{b="c"`, err: "bad label matcher"},
		{expr: `a{b="c}`, err: "unterminated string"},
		{expr: `rate(a[5m)`, err: "unterminated range"},
	} {
		sels, grouping, err := parseExpr(tc.expr)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseExpr(%q) error = %v, want one containing %q", tc.expr, err, tc.err)
			}
		case err != nil:
			t.Errorf("parseExpr(%q) error = %v", tc.expr, err)
		case !slices.EqualFunc(sels, tc.sels, func(a, b selector) bool {
			return a.metric == b.metric && slices.Equal(a.matchers, b.matchers)
		}) || !slices.Equal(grouping, tc.grouping):
			t.Errorf("parseExpr(%q) = %v, %q; want %v, %q", tc.expr, sels, grouping, tc.sels, tc.grouping)
		}
	}

	src := source{
		"m/metrics.go": `x := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "engine_x_total"}, []string{"reason"})
			h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "engine_h_seconds", Buckets: b})
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "engine_g"})`,
		"m/reasons.go": `const a, b = "too_big", "stale"`,
	}
	for _, tc := range []struct {
		expr string
		want string // a problem's prefix; "" for none
	}{
		{`sum by (job, reason) (rate(engine_x_total{reason=~"too_big|stale"}[5m])) > 1`, ""},
		{`histogram_quantile(0.9, sum by (instance, le) (rate(engine_h_seconds_bucket[5m]))) > 1`, ""},
		{`up{job="otc-engine"} == 0`, ""},
		{`sum by (anything) (probe_ssl_earliest_cert_expiry{module="tls"})`, ""},
		{`rate(engine_y_total[5m])`, "engine_y_total is not defined"},
		{`rate(engine_x{reason="stale"}[5m])`, "engine_x is not defined"},
		{`engine_h_seconds_total`, "engine_h_seconds_total is not defined"},
		{`rate(engine_h_seconds_sum[5m]) / rate(engine_h_seconds_count[5m]) > 1`, ""},
		{`rate(engine_h_seconds_bucket{le="+Inf"}[5m]) > 1`, ""},
		{`rate(engine_g_sum[5m])`, "engine_g_sum is not defined"},
		{`engine_g{le="1"}`, `engine_g has no label "le"`},
		{`rate(engine_x_total{outcome="stale"}[5m])`, `engine_x_total has no label "outcome"`},
		{`rate(engine_x_total{reason!="too-big"}[5m])`, ""},
		{`rate(engine_x_total{reason="too_small"}[5m])`, `engine_x_total{reason="too_small"}: no Go string literal "too_small"`},
		{`rate(engine_x_total{reason!~"stale|old"}[5m])`, `engine_x_total{reason!~"stale|old"}: no Go string literal "old"`},
		{`sum by (job, pair) (rate(engine_x_total[5m]))`, `groups or matches on "pair"`},
		{`sum by (le) (rate(engine_h_seconds_count[5m]))`, `groups or matches on "le"`},
		{`vector(1)`, `"vector(1)" reads no metric`},
	} {
		problems := checkExpr(src, tc.expr, map[string]bool{})
		switch {
		case tc.want == "" && len(problems) > 0:
			t.Errorf("checkExpr(%s) = %q, want no problem", tc.expr, problems)
		case tc.want != "" && !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, tc.want) }):
			t.Errorf("checkExpr(%s) = %q, want a problem starting %q", tc.expr, problems, tc.want)
		}
	}
}
