package inbound_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
	"github.com/shopspring/decimal"
)

// timing records the acknowledgement latency of every post: from sending
// the request to receiving the answer's headers.
type timing struct {
	next http.RoundTripper
	mu   sync.Mutex
	lat  []time.Duration
}

func (tr *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := tr.next.RoundTrip(r)
	d := time.Since(start)
	tr.mu.Lock()
	tr.lat = append(tr.lat, d)
	tr.mu.Unlock()
	return res, err
}

type loadResult struct {
	rate       float64 // distinct events acknowledged per second
	p99        time.Duration
	duplicates int
}

// runLoad posts n deposit events from senders concurrent simulator
// senders, each duplicating a fraction dup of its deliveries, and checks
// that every distinct event is stored once and credited once.
func runLoad(t testing.TB, n, senders int, dup float64, seed uint64) loadResult {
	t.Logf("seed %d, %d events, %d senders, %.0f%% duplicates", seed, n, senders, dup*100)
	ctx := deadline(t, 5*time.Minute)
	e := newEnv(t, envOptions{})
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = senders
	tr := &timing{next: base, lat: make([]time.Duration, 0, n+n/5)}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer base.CloseIdleConnections()

	ss := make([]*sim.WebhookSender, senders)
	for i := range ss {
		s, err := sim.NewWebhookSender(ctx, sim.WebhookSenderConfig{
			URL: e.srv.URL, Signer: e.signer, Client: client, Seed: seed + uint64(i),
			Faults:     sim.WebhookFaults{Duplicate: dup},
			MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		ss[i] = s
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i, s := range ss {
		wg.Go(func() {
			for j := i; j < n; j += senders {
				if _, err := s.Send(ctx, string(hercle.EventDepositStatusUpdated), deposit(loadTxID(i, j), "SUCCESS", "1.01")); err != nil {
					errs <- err
					return
				}
			}
			if err := s.Close(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	acked := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var dups int64
	for _, s := range ss {
		st := s.Stats()
		if st.Failed != 0 {
			t.Fatalf("a sender gave up: %+v", st)
		}
		dups += st.Duplicates
	}
	e.sync(ctx)

	// Every distinct event stored once and processed; duplicates counted.
	var stored, deliveries int
	if err := e.store.Events(ctx, ledger.SourceHercleWebhook, func(ev ledger.Event) error {
		stored++
		deliveries += ev.Deliveries
		if ev.Processed.IsZero() {
			t.Errorf("event %s not processed", ev.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Fatalf("stored %d distinct events, want %d", stored, n)
	}
	if int64(deliveries-n) != dups || dups == 0 {
		t.Errorf("extra deliveries recorded = %d, sender duplicated %d", deliveries-n, dups)
	}
	// Every event credited exactly once.
	entries, err := e.store.Entries(ctx, ledger.Filter{Kind: ledger.KindDeposit})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != n {
		t.Fatalf("deposit entries = %d, want %d", len(entries), n)
	}
	want := decimal.NewFromInt(int64(n)).Mul(d("1.01"))
	if got := balance(t, e.store, ledger.VenueAvailable(ledger.Hercle), "EUR"); !got.Equal(want) {
		t.Errorf("venue available = %s, want %s", got, want)
	}
	if got := e.nDeposit.Load(); got != int64(n) {
		t.Errorf("deposit notifications = %d, want %d", got, n)
	}
	mustVerify(t, e.store)

	tr.mu.Lock()
	lat := slices.Clone(tr.lat)
	tr.mu.Unlock()
	slices.Sort(lat)
	return loadResult{
		rate:       float64(n) / acked.Seconds(),
		p99:        lat[len(lat)*99/100],
		duplicates: int(dups),
	}
}

// BenchmarkWebhookLoad reports the acknowledgement throughput (distinct
// events/s) and p99 latency of signed webhooks stored in the bbolt inbox
// by 64 concurrent senders, 10% duplicated, with the processor applying
// them concurrently. Each iteration is a full 20,000-event run.
func BenchmarkWebhookLoad(b *testing.B) {
	const n = 20000
	var rate, p99 float64
	iters := 0
	for b.Loop() {
		r := runLoad(b, n, 64, 0.10, 8800)
		rate += r.rate
		p99 = max(p99, float64(r.p99.Microseconds())/1000)
		iters++
	}
	b.ReportMetric(rate/float64(iters), "events/s")
	b.ReportMetric(p99, "p99_ack_ms")
}
