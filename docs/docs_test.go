package docs

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// readmeMaxLines is how long README.md may grow: it is the front door, and
// everything else belongs on a page of docs/.
const readmeMaxLines = 260

// repoRoot is the repository's root, seen from this package's directory
// (where go test runs).
const repoRoot = ".."

// markdown is one page, split into what the tests look at.
type markdown struct {
	path     string   // relative to the repository root, slash-separated
	lines    int      // number of lines
	anchors  []string // GitHub anchors of its headings, in order
	links    []link   // links and images outside code
	commands []shown  // lines of code: fenced blocks and inline code spans
}

type link struct {
	line   int
	target string
}

type shown struct {
	line int
	text string
}

// pages reads README.md and every docs/*.md.
func pages(t *testing.T) []markdown {
	t.Helper()
	paths := []string{"README.md"}
	names, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no docs/*.md page found")
	}
	for _, n := range names {
		paths = append(paths, "docs/"+n)
	}
	var out []markdown
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parse(p, string(b)))
	}
	return out
}

var (
	fenceRE   = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	headingRE = regexp.MustCompile(`^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	// linkRE matches an inline link or image, [text](target "title").
	linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	// refDefRE matches a reference definition, [label]: target.
	refDefRE = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
)

// parse splits a Markdown page into headings, links and code. Fenced code
// blocks hold neither headings nor links; inline code spans hold no links.
func parse(path, text string) markdown {
	m := markdown{path: path}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	m.lines = len(lines)
	seen := map[string]int{}
	var fence string // the open fence's marker, or ""
	for i, line := range lines {
		n := i + 1
		if f := fenceRE.FindStringSubmatch(line); f != nil {
			switch {
			case fence == "":
				fence = f[1]
				continue
			case f[1][0] == fence[0] && len(f[1]) >= len(fence) && strings.TrimSpace(line) == f[1]:
				fence = ""
				continue
			}
		}
		if fence != "" {
			m.commands = append(m.commands, shown{n, line})
			continue
		}
		prose, spans := splitCode(line)
		for _, s := range spans {
			m.commands = append(m.commands, shown{n, s})
		}
		if h := headingRE.FindStringSubmatch(line); h != nil {
			a := anchor(h[1])
			if k := seen[a]; k > 0 {
				seen[a] = k + 1
				a = fmt.Sprintf("%s-%d", a, k)
			} else {
				seen[a] = 1
			}
			m.anchors = append(m.anchors, a)
		}
		for _, l := range linkRE.FindAllStringSubmatch(prose, -1) {
			m.links = append(m.links, link{n, l[1]})
		}
		if d := refDefRE.FindStringSubmatch(prose); d != nil {
			m.links = append(m.links, link{n, d[1]})
		}
	}
	return m
}

// splitCode returns the line with the content of every inline code span
// replaced by "code", and the contents of those spans. A span opens with a
// run of backticks and closes with the next run of the same length.
func splitCode(line string) (prose string, spans []string) {
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(line)
			return b.String(), spans
		}
		n := tickRun(line[i:])
		rest := line[i+n:]
		end := -1
		for off := 0; off < len(rest); {
			j := strings.IndexByte(rest[off:], '`')
			if j < 0 {
				break
			}
			j += off
			m := tickRun(rest[j:])
			if m == n {
				end = j
				break
			}
			off = j + m
		}
		if end < 0 { // no closing run: the backticks are literal
			b.WriteString(line[:i+n])
			line = rest
			continue
		}
		b.WriteString(line[:i])
		b.WriteString("code")
		spans = append(spans, strings.TrimSpace(rest[:end]))
		line = rest[end+n:]
	}
}

// tickRun returns the number of backticks s starts with.
func tickRun(s string) int { return len(s) - len(strings.TrimLeft(s, "`")) }

var (
	inlineLinkRE = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTagRE    = regexp.MustCompile(`</?[a-zA-Z][^>]*>`)
)

// anchor returns the anchor GitHub gives a heading: its text without
// markup, lower-cased, every space turned into '-', and every character
// other than a letter, a digit, '-' or '_' dropped. A repeated anchor gets
// "-1", "-2", ... (see parse).
func anchor(heading string) string {
	s := inlineLinkRE.ReplaceAllString(heading, "$1")
	s = htmlTagRE.ReplaceAllString(s, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestAnchor(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"Configuration", "configuration"},
		{"Start-up, recovery and shutdown", "start-up-recovery-and-shutdown"},
		{"`[webhook]`: the endpoint", "webhook-the-endpoint"},
		{"Health and readiness (`/healthz`, `/readyz`)", "health-and-readiness-healthz-readyz"},
		{"Kill switch & pause", "kill-switch--pause"},
		{"See [the API](hercle-api.md)", "see-the-api"},
		{"Über *fast* routes", "über-fast-routes"},
		{"sim_faults", "sim_faults"},
	} {
		if got := anchor(tc.heading); got != tc.want {
			t.Errorf("anchor(%q) = %q, want %q", tc.heading, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	text := "# Title\n" +
		"See [a](a.md#x), ![img](i.png) and `[not](a link)`, [ext](https://e.x).\n" +
		"```sh\n" +
		"# not a heading\n" +
		"engine run [see](nolink.md)\n" +
		"```\n" +
		"## Title\n" +
		"[ref]: b.md\n"
	m := parse("p.md", text)
	if want := []string{"title", "title-1"}; !slices.Equal(m.anchors, want) {
		t.Errorf("anchors = %q, want %q", m.anchors, want)
	}
	var targets []string
	for _, l := range m.links {
		targets = append(targets, l.target)
	}
	if want := []string{"a.md#x", "i.png", "https://e.x", "b.md"}; !slices.Equal(targets, want) {
		t.Errorf("links = %q, want %q", targets, want)
	}
	var code []string
	for _, c := range m.commands {
		code = append(code, c.text)
	}
	if want := []string{"[not](a link)", "# not a heading", "engine run [see](nolink.md)"}; !slices.Equal(code, want) {
		t.Errorf("code = %q, want %q", code, want)
	}
	if m.lines != 8 {
		t.Errorf("lines = %d, want 8", m.lines)
	}
}

// TestLinks fails on a relative link or image whose file does not exist,
// or whose #anchor names no heading of the Markdown page it points at.
// External links are not fetched.
func TestLinks(t *testing.T) {
	all := pages(t)
	byPath := map[string]markdown{}
	for _, m := range all {
		byPath[m.path] = m
	}
	checked := 0
	for _, m := range all {
		for _, l := range m.links {
			where := fmt.Sprintf("%s:%d: link %q", m.path, l.line, l.target)
			u, err := url.Parse(l.target)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue // external: http, https, mailto
			}
			checked++
			target := m.path
			if u.Path != "" {
				if strings.HasPrefix(u.Path, "/") {
					target = strings.TrimPrefix(u.Path, "/")
				} else {
					target = filepath.ToSlash(filepath.Join(filepath.Dir(m.path), u.Path))
				}
				if target == ".." || strings.HasPrefix(target, "../") {
					t.Errorf("%s: points outside the repository", where)
					continue
				}
				if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(target))); err != nil {
					t.Errorf("%s: %s does not exist", where, target)
					continue
				}
			}
			if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			page, ok := byPath[target]
			if !ok {
				b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(target)))
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				page = parse(target, string(b))
			}
			if !slices.Contains(page.anchors, u.Fragment) {
				t.Errorf("%s: %s has no heading with anchor #%s", where, target, u.Fragment)
			}
		}
	}
	if checked == 0 {
		t.Error("no relative link found: the parser is broken")
	}
}

// TestReadmeLinksEveryPage fails when a page of docs/ is not linked from
// README.md, the front door.
func TestReadmeLinksEveryPage(t *testing.T) {
	all := pages(t)
	linked := map[string]bool{}
	for _, l := range all[0].links {
		if u, err := url.Parse(l.target); err == nil && u.Scheme == "" {
			linked[filepath.ToSlash(filepath.Clean(u.Path))] = true
		}
	}
	for _, m := range all[1:] {
		if !linked[m.path] {
			t.Errorf("README.md does not link %s", m.path)
		}
	}
}

func TestReadmeLength(t *testing.T) {
	readme := pages(t)[0]
	if readme.lines > readmeMaxLines {
		t.Errorf("README.md has %d lines, want at most %d: move detail to a page of docs/", readme.lines, readmeMaxLines)
	}
}

// subcommands reads the names in cmd/engine/main.go's commands() list.
func subcommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "cmd", "engine", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	start := strings.Index(src, "func commands() []command {")
	if start < 0 {
		t.Fatal("cmd/engine/main.go: func commands() []command not found")
	}
	body := src[start:]
	if end := strings.Index(body, "\n}\n"); end >= 0 {
		body = body[:end]
	}
	var names []string
	for _, m := range regexp.MustCompile(`\{\s*"([a-z][a-z0-9-]*)"\s*,`).FindAllStringSubmatch(body, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatal("cmd/engine/main.go: no command found in commands()")
	}
	return names
}

// commandRE matches a command line that runs the engine: after an optional
// prompt, environment assignments and "go run", a first word that is
// engine or a path ending in /engine, then the subcommand. Only a
// subcommand that is a word (wordRE) is checked: "engine <command>",
// "engine -h" and "cmd/engine → daemon" are not command lines.
var (
	commandRE = regexp.MustCompile(`^\s*(?:\$\s+)?(?:[A-Z][A-Z0-9_]*=\S*\s+)*(?:go\s+run\s+)?(?:\S*/)?engine\s+(\S+)`)
	wordRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// TestCommandsExist fails when a page shows an engine command line whose
// subcommand cmd/engine does not have, or when README.md leaves a
// subcommand out.
func TestCommandsExist(t *testing.T) {
	names := subcommands(t)
	all := pages(t)
	inReadme := map[string]bool{}
	found := 0
	for i, m := range all {
		for _, c := range m.commands {
			sub := commandRE.FindStringSubmatch(c.text)
			if sub == nil || !wordRE.MatchString(sub[1]) {
				continue // not a command line, or a placeholder (<command>), a flag or an arrow
			}
			found++
			if !slices.Contains(names, sub[1]) {
				t.Errorf("%s:%d: %q: engine has no command %q (it has %s)", m.path, c.line, c.text, sub[1], strings.Join(names, ", "))
			}
			if i == 0 {
				inReadme[sub[1]] = true
			}
		}
	}
	if found == 0 {
		t.Fatal("no engine command line found: the parser is broken")
	}
	for _, n := range names {
		if !inReadme[n] {
			t.Errorf("README.md shows no `engine %s` command line: its command table must list every command", n)
		}
	}
}
