// Package refusals logs the requests an endpoint refuses in aggregate: one
// summary line per interval with the counts by reason and path and the
// busiest remote hosts, plus the first few refusals of the interval in
// detail. A flood of forged requests therefore costs a counter increment
// each and a bounded number of log lines per interval, never a line per
// request: an endpoint on the internet cannot be made to fill the disk.
//
// The webhook listener (package webhookd) and the Heropayments callback
// handler (package merchant) both use it.
//
// # Concurrency
//
// A Log is safe for concurrent use. Its owner runs Run in one goroutine,
// which writes the summary at each tick and once more when it ends.
//
// # What it must never do
//
// Log a request body, a header value, a signature or a secret: it sees
// the remote address, the method, the path (cut short and cleaned), the
// reason and the error, which callers build without any of those.
// Keep more than a bounded amount of state between two summaries,
// whatever paths and addresses the requests carry.
package refusals

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultEvery   = time.Minute
	DefaultSamples = 5
)

// Bounds of the state kept between two summaries: past them, further
// paths, reasons (per path, and in all) and hosts are counted under Other.
const (
	maxPaths   = 16
	maxReasons = 32
	maxHosts   = 64
	topHosts   = 5
	maxValue   = 128 // bytes of a path or an error kept for a log line
)

// Other is the path, reason or host under which the distinct values past
// the bounds of one interval are counted.
const Other = "(other)"

// Options configures a Log.
type Options struct {
	// Subject names what is refused in the log lines, such as "webhook
	// request": the detail lines read "<Subject> refused", the summary
	// "<Subject> refusals". Empty means "request".
	Subject string
	// Logger receives the lines, at Warn; nil discards.
	Logger *slog.Logger
	// Every is the interval of the summary Run writes; zero means
	// DefaultEvery.
	Every time.Duration
	// Samples is how many refusals of each interval are logged in
	// detail; zero means DefaultSamples, a negative value none.
	Samples int
	// Counter, when not nil, is incremented for every refusal with the
	// reason as its only label value.
	Counter *prometheus.CounterVec
}

// Log counts and logs refusals in aggregate. Create it with New; the zero
// value is not usable. It is safe for concurrent use. Its state between
// two summaries is bounded: maxPaths paths, maxReasons reasons and
// maxHosts hosts, the rest counted under Other.
type Log struct {
	subject string
	log     *slog.Logger
	every   time.Duration
	samples int
	counter *prometheus.CounterVec

	mu      sync.Mutex // guards the fields below: the interval in progress
	total   int
	sampled int
	reasons map[string]int
	paths   map[string]map[string]int // path -> reason -> count
	hosts   map[string]int
}

// New returns a Log. It starts nothing: the owner runs Run.
func New(opts Options) *Log {
	l := &Log{
		subject: cmp.Or(opts.Subject, "request"),
		log:     opts.Logger,
		every:   cmp.Or(opts.Every, DefaultEvery),
		samples: cmp.Or(opts.Samples, DefaultSamples),
		counter: opts.Counter,
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.reset()
	return l
}

// Refused records that r was refused for reason. reason must come from a
// small fixed set (it is a metric label); err, if not nil, must not carry
// a body, a signature or a secret. Refused neither reads r's body nor
// keeps r.
func (l *Log) Refused(r *http.Request, reason string, err error) {
	l.add(r.RemoteAddr, r.Method, r.URL.Path, reason, err)
}

// RefusedConn records a refusal that has no request, such as a failed TLS
// handshake, from remote.
func (l *Log) RefusedConn(remote, reason string, err error) {
	l.add(remote, "", "", reason, err)
}

func (l *Log) add(remote, method, path, reason string, err error) {
	if l.counter != nil {
		l.counter.WithLabelValues(reason).Inc()
	}
	path = clean(path)
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	host = clean(host)

	l.mu.Lock()
	l.total++
	r := bounded(l.reasons, reason, maxReasons)
	l.reasons[r]++
	p := bounded(l.paths, path, maxPaths)
	if l.paths[p] == nil {
		l.paths[p] = map[string]int{}
	}
	l.paths[p][bounded(l.paths[p], reason, maxReasons)]++
	l.hosts[bounded(l.hosts, host, maxHosts)]++
	sample := l.sampled < l.samples
	if sample {
		l.sampled++
	}
	n := l.sampled
	l.mu.Unlock()

	if !sample {
		return
	}
	attrs := []any{"reason", r, "remote", clean(remote)}
	if method != "" {
		attrs = append(attrs, "method", clean(method), "path", path)
	}
	if err != nil {
		attrs = append(attrs, "err", clean(err.Error()))
	}
	attrs = append(attrs, "sample", fmt.Sprintf("%d/%d", n, l.samples), "summary_every", l.every)
	l.log.Warn(l.subject+" refused", attrs...)
}

// Flush writes the summary of the refusals recorded since the last one,
// if there were any, and starts a new interval.
func (l *Log) Flush() {
	l.mu.Lock()
	total, sampled, reasons, paths, hosts := l.total, l.sampled, l.reasons, l.paths, l.hosts
	l.reset()
	l.mu.Unlock()
	if total == 0 {
		return
	}

	byReason := make([]any, 0, len(reasons))
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		byReason = append(byReason, slog.Int(r, reasons[r]))
	}
	byPath := make([]any, 0, len(paths))
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		var rs []any
		for _, r := range slices.Sorted(maps.Keys(paths[p])) {
			rs = append(rs, slog.Int(r, paths[p][r]))
		}
		byPath = append(byPath, slog.Group(cmp.Or(p, "(none)"), rs...))
	}
	busiest := slices.Sorted(maps.Keys(hosts))
	slices.SortStableFunc(busiest, func(a, b string) int { return cmp.Compare(hosts[b], hosts[a]) })
	var top strings.Builder
	for i, h := range busiest[:min(len(busiest), topHosts)] {
		if i > 0 {
			top.WriteByte(' ')
		}
		fmt.Fprintf(&top, "%s=%d", h, hosts[h])
	}
	l.log.Warn(l.subject+" refusals", "total", total, "every", l.every,
		slog.Group("by_reason", byReason...), slog.Group("by_path", byPath...),
		"hosts", len(hosts), "top_hosts", top.String(), "logged_in_detail", sampled)
}

// Run calls Flush every Every, at the ticks of the timers newTimer makes
// (it returns the timer's channel and its Stop), until ctx ends; then it
// flushes once more and returns.
func (l *Log) Run(ctx context.Context, newTimer func(time.Duration) (<-chan time.Time, func() bool)) {
	defer l.Flush()
	for {
		c, stop := newTimer(l.every)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
			l.Flush()
		}
	}
}

func (l *Log) reset() {
	l.total, l.sampled = 0, 0
	l.reasons = map[string]int{}
	l.paths = map[string]map[string]int{}
	l.hosts = map[string]int{}
}

// bounded returns k, or Other when m is full and has no k.
func bounded[V any](m map[string]V, k string, limit int) string {
	if _, ok := m[k]; !ok && len(m) >= limit {
		return Other
	}
	return k
}

// clean makes a sender-supplied value safe and short for a log line:
// valid UTF-8, no control characters, at most maxValue bytes.
func clean(s string) string {
	cut := len(s) > maxValue
	if cut {
		s = s[:maxValue] // a rune cut in two becomes "?" below
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if cut {
		s += "…"
	}
	return s
}
