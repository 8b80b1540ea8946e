package heropay

import (
	"context"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

// LinkOptions configure a Link.
type LinkOptions struct {
	// NetworkFee is taken from every delivered amount, as a blockchain's
	// fee would be (zero: none).
	NetworkFee decimal.Decimal
	// Interval is how often, on the Heropayments clock, the link looks
	// for finished withdrawals when no status step is due; zero means the
	// simulator's Step.
	Interval time.Duration
}

// Link joins the Heropayments simulator to the Hercle venue simulator the
// way a blockchain joins the real services: a withdrawal whose address is
// one of the venue's deposit addresses, in the same currency, is credited
// to the venue as a deposit (less LinkOptions.NetworkFee) once it has a
// successful status, and only once. Paper mode and tests of the
// settlement chain start one next to both simulators.
//
// It is safe for concurrent use. Its goroutine stops on Close or when the
// context given to StartLink ends.
type Link struct {
	hp   *Server
	v    *sim.Venue
	opts LinkOptions
	stop context.CancelFunc
	done chan struct{}

	mu        sync.Mutex        // serialises Sync; guards delivered
	delivered map[string]string // payment id → venue transaction id ("" when not for the venue)
}

// StartLink starts a link from hp to v.
func StartLink(ctx context.Context, hp *Server, v *sim.Venue, opts LinkOptions) *Link {
	if opts.Interval <= 0 {
		opts.Interval = hp.opts.Step
	}
	l := &Link{hp: hp, v: v, opts: opts, done: make(chan struct{}), delivered: map[string]string{}}
	ctx, l.stop = context.WithCancel(ctx)
	go l.run(ctx)
	return l
}

// Close stops the link's goroutine and waits for it.
func (l *Link) Close() {
	l.stop()
	<-l.done
}

func (l *Link) run(ctx context.Context) {
	defer close(l.done)
	clock := l.hp.clock
	for ctx.Err() == nil {
		l.Sync()
		next := l.nextDue()
		t := clock.NewTimer(next.Sub(clock.Now()))
		// The clock may have moved between reading it and arming the
		// timer; look again at once rather than wait for a late timer.
		if !clock.Now().Before(next) {
			t.Stop()
			continue
		}
		select {
		case <-t.C():
		case <-ctx.Done():
		}
		t.Stop()
	}
}

// nextDue is when a withdrawal's next status step is due, or one Interval
// from now.
func (l *Link) nextDue() time.Time {
	l.hp.mu.Lock()
	defer l.hp.mu.Unlock()
	next := l.hp.clock.Now().Add(l.opts.Interval)
	for _, p := range l.hp.payments {
		if p.Type == KindWithdrawal && len(p.steps) > 0 && p.next.Before(next) {
			next = p.next
		}
	}
	return next
}

// Sync delivers every successful withdrawal not delivered yet and returns
// the venue deposits it made.
func (l *Link) Sync() []sim.Transaction {
	l.mu.Lock()
	defer l.mu.Unlock()
	var todo []Payment
	l.hp.mu.Lock()
	l.hp.advanceLocked(l.hp.clock.Now())
	for _, p := range l.hp.payments {
		if _, done := l.delivered[p.ID]; !done && p.Type == KindWithdrawal && ClassOf(p.Flow, p.Type, p.Status) == Succeeded {
			todo = append(todo, p.Payment)
		}
	}
	l.hp.mu.Unlock()
	var out []sim.Transaction
	for _, p := range todo {
		tx, ok := l.v.Receive(p.Address, market.Asset(p.Currency), p.Amount.Sub(l.opts.NetworkFee), "heropayments")
		l.delivered[p.ID] = tx.ID
		if ok {
			out = append(out, tx)
		}
	}
	return out
}

// Delivered returns the venue transaction id a withdrawal was credited
// as, and whether it was.
func (l *Link) Delivered(paymentID string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.delivered[paymentID]
	return id, ok && id != ""
}
