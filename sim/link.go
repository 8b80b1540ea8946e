package sim

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/heropayments"
)

// LinkOptions configure a HeropaymentsLink.
type LinkOptions struct {
	// NetworkFee is taken from every delivered amount, as a blockchain's
	// fee would be (zero: none).
	NetworkFee decimal.Decimal
	// Interval is how often, on the Heropayments clock, the link looks
	// for finished withdrawals when no status step is due; zero means the
	// simulator's Step.
	Interval time.Duration
}

// HeropaymentsLink joins the two simulators the way a blockchain joins the
// real services: a Heropayments withdrawal whose address is one of the
// Venue's deposit addresses, in the same currency, is credited to the Venue
// as a deposit (less LinkOptions.NetworkFee) once Heropayments reports it
// finished, and only once. Paper mode and tests of the settlement chain
// start one next to both simulators.
//
// It is safe for concurrent use. Its goroutine stops on Close or when the
// context given to LinkHeropayments ends.
type HeropaymentsLink struct {
	hp   *HeropaymentsServer
	v    *Venue
	opts LinkOptions
	stop context.CancelFunc
	done chan struct{}

	mu        sync.Mutex        // serialises Sync; guards delivered
	delivered map[string]string // Heropayments payment id -> Hercle transaction id ("" when not for the Venue)
}

// LinkHeropayments starts a link between hp and v.
func LinkHeropayments(ctx context.Context, hp *HeropaymentsServer, v *Venue, opts LinkOptions) *HeropaymentsLink {
	if opts.Interval <= 0 {
		opts.Interval = hp.opts.Step
	}
	l := &HeropaymentsLink{hp: hp, v: v, opts: opts, done: make(chan struct{}), delivered: map[string]string{}}
	ctx, l.stop = context.WithCancel(ctx)
	go l.run(ctx)
	return l
}

// Close stops the link's goroutine and waits for it.
func (l *HeropaymentsLink) Close() {
	l.stop()
	<-l.done
}

func (l *HeropaymentsLink) run(ctx context.Context) {
	defer close(l.done)
	clock := l.hp.clock
	for {
		l.Sync()
		next := l.nextDue()
		t := clock.NewTimer(next.Sub(clock.Now()))
		// The clock may have moved between reading it and arming the
		// timer; look again at once rather than wait for a late timer.
		if !clock.Now().Before(next) {
			t.Stop()
			if ctx.Err() != nil {
				return
			}
			continue
		}
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// nextDue is when a withdrawal's next status step is due, or one Interval
// from now.
func (l *HeropaymentsLink) nextDue() time.Time {
	l.hp.mu.Lock()
	defer l.hp.mu.Unlock()
	next := l.hp.clock.Now().Add(l.opts.Interval)
	for _, p := range l.hp.payments {
		if p.kind == heropayments.KindWithdrawal && len(p.steps) > 0 && p.next.Before(next) {
			next = p.next
		}
	}
	return next
}

// Sync delivers every finished withdrawal not delivered yet and returns
// the Venue deposits it made.
func (l *HeropaymentsLink) Sync() []Transaction {
	l.mu.Lock()
	defer l.mu.Unlock()
	type due struct {
		id, currency, address string
		amount                decimal.Decimal
	}
	var todo []due
	l.hp.mu.Lock()
	l.hp.advanceLocked(l.hp.clock.Now())
	for _, p := range l.hp.payments {
		if _, done := l.delivered[p.id]; done || p.kind != heropayments.KindWithdrawal ||
			heropayments.Classify(p.flow, p.kind, p.status) != heropayments.OutcomeSuccess {
			continue
		}
		todo = append(todo, due{p.id, p.currency, p.address, p.amount})
	}
	l.hp.mu.Unlock()
	var out []Transaction
	for _, d := range todo {
		tx, ok := l.credit(d.currency, d.address, d.amount.Sub(l.opts.NetworkFee))
		l.delivered[d.id] = tx.ID
		if ok {
			out = append(out, tx)
		}
	}
	return out
}

// credit deposits amount at the Venue if address is one of its deposit
// addresses for currency.
func (l *HeropaymentsLink) credit(currency, address string, amount decimal.Decimal) (Transaction, bool) {
	now := l.v.begin()
	defer l.v.mu.Unlock()
	for _, d := range l.v.deposits {
		if d.Address == address && strings.EqualFold(string(d.Asset), currency) {
			if !amount.IsPositive() {
				return Transaction{}, false
			}
			return l.v.creditLocked(now, d.Asset, amount, "", &Account{Address: "heropayments"}), true
		}
	}
	return Transaction{}, false
}

// Delivered returns the Venue transaction id a Heropayments withdrawal was
// credited as, and whether it was.
func (l *HeropaymentsLink) Delivered(paymentID string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.delivered[paymentID]
	return id, ok && id != ""
}
