package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/otcdesk/engine/internal/clock"
)

// Options are a Notifier's dependencies. Only Getenv is required (when
// there are sinks).
type Options struct {
	// Getenv reads the variables the sinks name (os.Getenv in the daemon);
	// NAME_FILE variants are read through it too.
	Getenv func(string) string
	// Clock drives backoff, rate limits, deduplication and the drain
	// grace; the zero value is the system clock.
	Clock clock.Clock
	// Rand draws backoff jitter; each sink gets its own source seeded
	// from it, in configuration order. nil means a fixed seed.
	Rand *rand.Rand
	// Logger receives the drop lines; nil discards them.
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
	// Client sends the requests; nil means a default client. Redirects
	// are never followed, whatever the client says.
	Client *http.Client
}

// Notifier fans events out to the configured sinks. Notify never blocks:
// each sink has a bounded queue and its own delivery goroutine, started by
// Run. The zero value is not usable; create it with New. A nil *Notifier
// discards events. It is safe for concurrent use.
type Notifier struct {
	clock   clock.Clock
	m       *metrics
	grace   time.Duration
	workers []*worker
	byClass map[Class][]*worker // read-only after New

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	done      chan struct{} // closed when Run returns

	mu      sync.Mutex // guards closed, started and every worker's dedup
	closed  bool       // no more events are queued
	started bool       // Run was called
}

// New validates cfg (with its defaults applied), reads the sinks' secrets
// through opts.Getenv and returns a Notifier ready to Run. Every problem
// is reported at once: validation errors name their key path, a missing
// or unreadable secret is a *SecretError naming its variable. No error
// contains a secret's value.
func New(cfg Config, opts Options) (*Notifier, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Getenv == nil && len(cfg.Sinks) > 0 {
		return nil, errors.New("notify: Options.Getenv is required to read the sinks' secrets")
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(1, 2))
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.CheckRedirect = noRedirect
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("notify: metrics: %w", err)
	}

	n := &Notifier{
		clock:   opts.Clock,
		m:       m,
		grace:   cfg.DrainGrace.Duration,
		byClass: map[Class][]*worker{},
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	// Message ids start with the start time so they do not repeat across
	// restarts.
	started := opts.Clock.Now().UnixNano()
	var errs []error
	for _, sc := range cfg.Sinks {
		to, err := newSender(sc, opts.Getenv, poster{sink: sc.Name, client: client, clock: opts.Clock})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w := &worker{
			name:     sc.Name,
			to:       to,
			queue:    make(chan queued, cfg.QueueSize),
			dedup:    newDedup(cfg.DedupWindow.Duration),
			clock:    opts.Clock,
			log:      log,
			m:        m.forSink(sc.Name),
			giveUp:   cfg.GiveUpAfter.Duration,
			timeout:  cfg.RequestTimeout.Duration,
			logEvery: cfg.DropLogEvery.Duration,
			idPrefix: fmt.Sprintf("%x-%s", started, sc.Name),
			rng:      rand.New(rand.NewPCG(opts.Rand.Uint64(), opts.Rand.Uint64())),
			limiter:  rate.NewLimiter(rate.Limit(sc.RatePerMinute/60), sc.Burst),
			piles:    map[Class]*pile{},
		}
		n.workers = append(n.workers, w)
		for _, c := range sc.Classes {
			n.byClass[Class(c)] = append(n.byClass[Class(c)], w)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return n, nil
}

// newSender builds the sink sc describes, with its secrets.
func newSender(sc SinkConfig, getenv func(string) string, p poster) (sender, error) {
	sec, err := sc.resolveSecrets(getenv)
	if err != nil {
		return nil, err
	}
	switch sc.Type {
	case TypeSlack:
		return &slack{poster: p, url: sec.url}, nil
	case TypeTelegram:
		return newTelegram(p, sc.BaseURL, sec.token, sc.ChatID)
	default:
		u := sc.URL
		if sc.URLEnv != "" {
			u = sec.url
		}
		return &webhook{poster: p, url: u, secret: []byte(sec.signer)}, nil
	}
}

// Notify queues ev for every sink that receives its class, and returns at
// once: it does no I/O and waits for no lock held across I/O. A sink
// whose queue is full drops the event (counted, and logged once per
// interval by the sink); an event whose Key the sink queued within the
// dedup window is skipped; after shutdown began, events are dropped as
// "closed". A zero ev.Time is set to now.
func (n *Notifier) Notify(ev Event) {
	if n == nil {
		return
	}
	targets := n.byClass[ev.Class]
	class := string(ev.Class)
	if !ev.Class.known() {
		class = "unknown"
	}
	n.m.events.WithLabelValues(class).Inc()
	if len(targets) == 0 {
		return
	}
	now := n.clock.Now()
	if ev.Time.IsZero() {
		ev.Time = now
	}
	ev.Fields = slices.Clone(ev.Fields)

	n.mu.Lock()
	defer n.mu.Unlock()
	for _, w := range targets {
		switch {
		case n.closed:
			w.drop(reasonClosed)
		case w.dedup.seen(ev.Key, now):
			w.m.deduplicated.Inc()
		default:
			select {
			case w.queue <- queued{ev: ev, at: now}:
				w.dedup.add(ev.Key, now)
			default:
				w.drop(reasonQueueFull)
			}
		}
	}
}

// Run delivers events until ctx ends or Close is called. Then it stops
// queueing, keeps sending what is queued for at most the drain grace (on
// the Notifier's clock), counts what is left as dropped, and returns once
// every goroutine it started has stopped. It returns nil, or ErrRunTwice
// when called again.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	if n.started {
		n.mu.Unlock()
		return ErrRunTwice
	}
	n.started = true
	n.mu.Unlock()
	defer close(n.done)

	// life outlives ctx by the grace: sends in flight finish or are cut.
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	defer endLife()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range n.workers {
		wg.Go(func() { w.run(stop, life) })
	}

	select {
	case <-ctx.Done():
	case <-n.closing:
	}
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	close(stop)

	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	grace := n.clock.NewTimer(n.grace)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C():
		endLife()
		<-finished
	}
	return nil
}

// Close stops queueing and makes Run drain and return, and waits for it
// if Run has started. It returns nil; calling it again does nothing more.
func (n *Notifier) Close() error {
	n.closeOnce.Do(func() { close(n.closing) })
	n.mu.Lock()
	n.closed = true
	started := n.started
	n.mu.Unlock()
	if started {
		<-n.done
	}
	return nil
}
