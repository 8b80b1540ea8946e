package sim

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/market"
)

// MovementStatus is the status of a withdrawal, a transfer and a ledger
// entry.
type MovementStatus string

// Movement statuses. The REST pages list CREATED, CONFIRMING and
// CONFIRMED; a failed movement ends FAILURE (the webhook pages' word,
// which also call success SUCCESS).
const (
	MovementCreated    MovementStatus = "CREATED"
	MovementConfirming MovementStatus = "CONFIRMING"
	MovementConfirmed  MovementStatus = "CONFIRMED"
	MovementFailure    MovementStatus = "FAILURE"
)

// Final reports whether s is a final status.
func (s MovementStatus) Final() bool { return s == MovementConfirmed || s == MovementFailure }

// Withdrawal is a crypto, fiat or Lightning withdrawal.
type Withdrawal struct {
	ID          string
	ClientID    string
	Description string
	Destination string
	Params      map[string]string
	Network     string
	Amount      decimal.Decimal
	Fee         decimal.Decimal
	Asset       market.Asset
	Status      MovementStatus
	RefID       string
	Instant     bool
	Time        time.Time

	confirmAt, settleAt time.Time
	fail                bool
}

// WithdrawalRequest withdraws Amount of Asset to an approved whitelisted
// Address on Network.
type WithdrawalRequest struct {
	Asset    market.Asset
	Amount   decimal.Decimal
	Address  string
	Network  string
	Params   map[string]string
	Instant  bool
	ClientID string // idempotency key; may be empty
}

// Withdraw creates a withdrawal: the amount moves from available to
// allocated, the status goes CREATED, CONFIRMING after
// Options.ConfirmAfter and CONFIRMED (or FAILURE, refunded) after
// SettleAfter; an instant withdrawal takes a tenth of each. Errors:
// ErrMissing, ErrInvalid (destination not whitelisted and approved),
// ErrInsufficientFunds. With Options.Dedup, a repeat of an applied
// ClientID returns the first withdrawal as it was.
func (v *Venue) Withdraw(req WithdrawalRequest) (Withdrawal, error) {
	now := v.begin()
	defer v.mu.Unlock()
	if r, ok := v.replayLocked(opWithdraw, req.ClientID); ok {
		return r.(Withdrawal), nil
	}
	switch {
	case req.Asset == "":
		return Withdrawal{}, missing("asset")
	case req.Address == "":
		return Withdrawal{}, missing("address")
	case req.Network == "":
		return Withdrawal{}, missing("network")
	case !req.Amount.IsPositive():
		return Withdrawal{}, invalid("amount", "amount must be positive")
	}
	if !v.approvedLocked(req.Asset, req.Address, req.Network) {
		return Withdrawal{}, invalid("address", "address is not an approved whitelisted address for %s on %s", req.Asset, req.Network)
	}
	w, err := v.withdrawLocked(now, req, "withdrawal")
	if err != nil {
		return Withdrawal{}, err
	}
	wc := w.clone()
	v.appliedLocked(now, opWithdraw, req.ClientID, wc)
	return wc, nil
}

func (v *Venue) withdrawLocked(now time.Time, req WithdrawalRequest, desc string) (*Withdrawal, error) {
	if err := v.checkAvailableLocked(req.Asset, req.Amount); err != nil {
		return nil, err
	}
	confirm, settle := v.opts.ConfirmAfter, v.opts.SettleAfter
	if req.Instant {
		confirm, settle = confirm/10, settle/10
	}
	w := &Withdrawal{ID: v.newIDLocked(), ClientID: req.ClientID, Description: desc, Destination: req.Address,
		Params: maps.Clone(req.Params), Network: req.Network, Amount: req.Amount, Asset: req.Asset,
		Status: MovementCreated, Instant: req.Instant, Time: now,
		confirmAt: now.Add(confirm), settleAt: now.Add(settle),
		fail: v.opts.WithdrawalFailureRate > 0 && v.rng.Float64() < v.opts.WithdrawalFailureRate}
	if w.Params == nil {
		w.Params = map[string]string{}
	}
	if fee := v.opts.WithdrawalFee; fee.IsPositive() && fee.LessThan(req.Amount) {
		w.Fee = fee
	}
	w.RefID = v.newIDLocked()
	v.moveLocked(req.Asset, req.Amount.Neg(), req.Amount)
	v.txLocked(now, TxWithdrawal, req.Asset, req.Amount.Neg(), w.ID)
	v.balancesChangedLocked(now)
	v.withdrawals = append(v.withdrawals, w)
	v.ledger[w.ID] = &LedgerEntry{ID: w.ID, RefID: w.RefID, Type: "WITHDRAWAL", Status: MovementCreated,
		Description: desc, Asset: w.Asset, Amount: w.Amount, Creditor: &Account{Address: w.Destination}, Time: now}
	wc := w.clone()
	v.emitLocked(now, func(h EventHeader) Event { return WithdrawalChanged{h, wc} })
	return w, nil
}

func (w *Withdrawal) clone() Withdrawal {
	c := *w
	c.Params = maps.Clone(w.Params)
	return c
}

func (v *Venue) advanceWithdrawalsLocked(now time.Time) {
	for _, w := range v.withdrawals {
		if w.Status.Final() {
			continue
		}
		if w.Status == MovementCreated && !now.Before(w.confirmAt) {
			v.setWithdrawalLocked(now, w, MovementConfirming)
		}
		if w.Status == MovementConfirming && !now.Before(w.settleAt) {
			final := MovementConfirmed
			if w.fail {
				final = MovementFailure
			}
			v.setWithdrawalLocked(now, w, final)
		}
	}
}

func (v *Venue) setWithdrawalLocked(now time.Time, w *Withdrawal, st MovementStatus) {
	w.Status = st
	switch st {
	case MovementConfirmed:
		v.moveLocked(w.Asset, decimal.Zero, w.Amount.Neg())
		v.balancesChangedLocked(now)
	case MovementFailure:
		v.moveLocked(w.Asset, w.Amount, w.Amount.Neg())
		v.txLocked(now, TxWithdrawalRefund, w.Asset, w.Amount, w.ID)
		v.balancesChangedLocked(now)
	}
	if e, ok := v.ledger[w.ID]; ok {
		e.Status = st
	}
	wc := w.clone()
	v.emitLocked(now, func(h EventHeader) Event { return WithdrawalChanged{h, wc} })
}

// CompleteWithdrawal moves a withdrawal to its final status at once:
// CONFIRMED when ok, FAILURE (refunded) otherwise. A test hook; ErrConflict
// when it is already final.
func (v *Venue) CompleteWithdrawal(id string, ok bool) error {
	now := v.begin()
	defer v.mu.Unlock()
	for _, w := range v.withdrawals {
		if w.ID != id {
			continue
		}
		if w.Status.Final() {
			return conflict("withdrawal %s is already %s", id, w.Status)
		}
		if w.Status == MovementCreated {
			v.setWithdrawalLocked(now, w, MovementConfirming)
		}
		final := MovementConfirmed
		if !ok {
			final = MovementFailure
		}
		v.setWithdrawalLocked(now, w, final)
		return nil
	}
	return notFound("withdrawal", id)
}

// WithdrawalFilter selects withdrawals; zero fields match everything.
type WithdrawalFilter struct {
	ClientID     string
	WithdrawalID string
	Network      string
	Asset        market.Asset
	Address      string
	From, To     time.Time
	Page         int
	PageSize     int // zero: no paging
}

// Withdrawals returns the withdrawals matching f, oldest first.
func (v *Venue) Withdrawals(f WithdrawalFilter) ([]Withdrawal, error) {
	v.begin()
	defer v.mu.Unlock()
	if f.PageSize != 0 && (f.PageSize < MinPageSize || f.PageSize > MaxPageSize) {
		return nil, invalid("pageSize", "pageSize must be from %d to %d, got %d", MinPageSize, MaxPageSize, f.PageSize)
	}
	if f.Page < 0 {
		return nil, invalid("page", "page must be 0 or more")
	}
	var out []Withdrawal
	skip, ok := offset(f.Page, f.PageSize)
	if !ok {
		return out, nil
	}
	for _, w := range v.withdrawals {
		if (f.ClientID != "" && w.ClientID != f.ClientID) || (f.WithdrawalID != "" && w.ID != f.WithdrawalID) ||
			(f.Network != "" && !strings.EqualFold(w.Network, f.Network)) ||
			(f.Asset != "" && !strings.EqualFold(string(w.Asset), string(f.Asset))) ||
			(f.Address != "" && w.Destination != f.Address) ||
			(!f.From.IsZero() && w.Time.Before(f.From)) || (!f.To.IsZero() && w.Time.After(f.To)) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, w.clone())
		if f.PageSize > 0 && len(out) == f.PageSize {
			break
		}
	}
	return out, nil
}

// WithdrawalsByClientID returns the withdrawals made with clientID.
func (v *Venue) WithdrawalsByClientID(clientID string) []Withdrawal {
	out, _ := v.Withdrawals(WithdrawalFilter{ClientID: clientID})
	return out
}

// WithdrawalsPage returns one page of withdrawals; the range may span at
// most 30 days.
func (v *Venue) WithdrawalsPage(p Page) ([]Withdrawal, error) {
	v.begin()
	defer v.mu.Unlock()
	if err := p.check(Range30Days); err != nil {
		return nil, err
	}
	page := pageOf(v.withdrawals, func(w *Withdrawal) time.Time { return w.Time }, p)
	out := make([]Withdrawal, len(page))
	for i, w := range page {
		out[i] = w.clone()
	}
	return slices.Clip(out), nil
}
