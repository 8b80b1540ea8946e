package execution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
)

// Method is how a movement is sent.
type Method string

// Methods.
const (
	MethodWithdrawal Method = "withdrawal"         // POST /api/v1/withdrawals
	MethodInstant    Method = "withdrawal_instant" // POST /api/v1/withdrawals/instant
	MethodParams     Method = "withdrawal_params"  // POST /api/v1/withdrawals/address
	MethodLightning  Method = "lightning"          // POST /api/v1/lightning/withdrawals
	MethodTransfer   Method = "transfer"           // POST /api/v1/transfer
	MethodSettlement Method = "settlement"         // Heropayments withdrawal to our Hercle deposit address
	MethodPayout     Method = "payout"             // Heropayments withdrawal to a customer's address
)

// Origins of movements: who decided them.
const (
	OriginTreasury  = "treasury"  // a treasury policy
	OriginCustomers = "customers" // a customer payout asked through the admin API
)

// Movement is money the engine sends out of a venue: a crypto withdrawal,
// a bank transfer, a Lightning payment, a settlement from Heropayments
// into Hercle, or a payout from Heropayments to a customer. Its JSON form is what the ledger keeps of it
// (Intent.Request): enough to look it up, settle it and release its caps
// after a restart.
//
// The amount leaves Source's available balance for a transit account
// when the movement is recorded (one write with the intent, before the
// request), and moves on to Account (less the venue's fee) when it
// settles, or back to Source when it fails.
type Movement struct {
	// ID is the Client-Id; the event loop assigns it. Not stored: the
	// intent is keyed by it.
	ID          string            `json:"-"`
	Origin      string            `json:"origin"`
	Policy      string            `json:"policy"`
	Method      Method            `json:"method"`
	Destination string            `json:"destination"` // configured name
	Account     string            `json:"account"`     // the destination's ledger account
	Source      ledger.Venue      `json:"source"`      // where the money leaves from
	Asset       market.Asset      `json:"asset"`
	Amount      decimal.Decimal   `json:"amount"` // debited from the source
	Fee         decimal.Decimal   `json:"fee"`    // expected
	Day         string            `json:"day"`    // UTC day the caps count it against
	Global      bool              `json:"global"`
	Address     string            `json:"address,omitempty"`
	Network     string            `json:"network,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Instant     bool              `json:"instant,omitempty"`
	PayeeAddr   string            `json:"payee_address_id,omitempty"`
	Internal    string            `json:"internal_address_id,omitempty"`
	Invoice     string            `json:"invoice,omitempty"`
	Flow        string            `json:"flow,omitempty"`
	Customer    string            `json:"customer_id,omitempty"`
	CallbackURL string            `json:"callback_url,omitempty"` // Heropayments posts the payout's statuses here
	MaxNetFee   decimal.Decimal   `json:"max_network_fee"`
	// Caps are the daily counters the movement counts against: reserved
	// (Amount, op id the Client-Id) with its record, released
	// (-Amount, op id "<Client-Id>:release") when it fails.
	Caps []ledger.CounterKey `json:"caps,omitempty"`
}

// MovementOf returns the movement an intent records (a treasury movement
// or a customer payout); ok is false for intents of other kinds.
func MovementOf(it ledger.Intent) (Movement, bool) {
	var m Movement
	if len(it.Request) == 0 || json.Unmarshal(it.Request, &m) != nil || m.Origin != OriginTreasury && m.Origin != OriginCustomers {
		return Movement{}, false
	}
	m.ID = it.ClientID
	return m, true
}

// Validate reports what makes m unsendable.
func (m Movement) Validate() error {
	var errs []error
	switch m.Method {
	case MethodWithdrawal, MethodInstant, MethodParams, MethodLightning, MethodTransfer, MethodSettlement, MethodPayout:
	default:
		errs = append(errs, fmt.Errorf("unknown method %q", m.Method))
	}
	if m.Origin == "" || m.Policy == "" || m.Destination == "" {
		errs = append(errs, errors.New("origin, policy and destination are required"))
	}
	if _, err := ledger.ParseAccount(m.Account); err != nil {
		errs = append(errs, fmt.Errorf("account: %w", err))
	}
	if m.Asset == "" || !m.Amount.IsPositive() {
		errs = append(errs, errors.New("an asset and a positive amount are required"))
	}
	if m.Method == MethodLightning && m.Invoice == "" {
		errs = append(errs, errors.New("a Lightning payment needs its invoice"))
	}
	if m.Method == MethodPayout && (m.Address == "" || m.Flow == "" || m.Customer == "") {
		errs = append(errs, errors.New("a payout needs an address, a flow and a customer id"))
	}
	if m.Source != m.source() {
		errs = append(errs, fmt.Errorf("source %q, want %q for method %s", m.Source, m.source(), m.Method))
	}
	return errors.Join(errs...)
}

// BetweenVenues reports whether the movement stays between two of our
// venues (a settlement): no money leaves the business.
func (m Movement) BetweenVenues() bool { return m.Method == MethodSettlement }

func (m Movement) source() ledger.Venue {
	if m.Method == MethodSettlement || m.Method == MethodPayout {
		return ledger.Heropayments
	}
	return ledger.Hercle
}

// IntentKind is the ledger kind of the movement's intent.
func (m Movement) IntentKind() ledger.IntentKind {
	switch m.Method {
	case MethodLightning:
		return ledger.IntentLightning
	case MethodTransfer:
		return ledger.IntentTransfer
	case MethodSettlement, MethodPayout:
		return ledger.IntentPayout
	}
	return ledger.IntentWithdrawal
}

// Transit is the account the movement's money sits in while in flight.
func (m Movement) Transit() ledger.Account {
	kind := ledger.TransitWithdrawal
	switch m.Method {
	case MethodLightning:
		kind = ledger.TransitLightning
	case MethodTransfer:
		kind = ledger.TransitBank
	case MethodSettlement:
		kind = ledger.TransitSettlement
	}
	return ledger.Transit(kind, m.ID)
}

// String describes the movement for logs.
func (m Movement) String() string {
	return fmt.Sprintf("%s %s %s to %s (%s)", m.Method, m.Amount, m.Asset, m.Destination, m.Policy)
}

// SentEntry moves the amount out of the source's available balance into
// the movement's transit account, naming the destination (ledger.RefTo).
func (m Movement) SentEntry() ledger.Entry {
	kind := ledger.KindWithdrawal
	if m.Method == MethodSettlement {
		kind = ledger.KindTransfer
	}
	return ledger.Entry{
		Key:      ledger.SentKey(m.ID),
		Kind:     kind,
		ClientID: m.ID,
		Refs:     map[string]string{"policy": m.Policy, "destination": m.Destination, "method": string(m.Method), ledger.RefTo: m.Account},
		Memo:     clip(fmt.Sprintf("%s %s: %s %s to %s", m.Origin, m.Policy, m.Amount, m.Asset, m.Destination)),
		Postings: []ledger.Posting{
			{Account: ledger.VenueAvailable(m.Source), Asset: m.Asset, Amount: m.Amount.Neg()},
			{Account: m.Transit(), Asset: m.Asset, Amount: m.Amount},
		},
	}
}

// SettledEntry moves amount out of transit to the destination, the fee
// the venue reported (when it is less than the amount) to its fees
// account.
func (m Movement) SettledEntry(amount, fee decimal.Decimal, refs map[string]string) ledger.Entry {
	dest, err := ledger.ParseAccount(m.Account)
	if err != nil {
		dest = ledger.ExternalUnknown()
	}
	ps := []ledger.Posting{{Account: m.Transit(), Asset: m.Asset, Amount: amount.Neg()}}
	if fee.IsPositive() && fee.LessThan(amount) {
		ps = append(ps,
			ledger.Posting{Account: dest, Asset: m.Asset, Amount: amount.Sub(fee)},
			ledger.Posting{Account: ledger.Fees(m.Source), Asset: m.Asset, Amount: fee})
	} else {
		ps = append(ps, ledger.Posting{Account: dest, Asset: m.Asset, Amount: amount})
	}
	return ledger.Entry{Key: ledger.SettledKey(m.ID), Kind: ledger.KindWithdrawalSettled, ClientID: m.ID, Refs: refs, Postings: ps}
}

// movement is a Movement under the send protocol.
type movement struct {
	x *Executor
	m Movement
}

var _ op = movement{}

func (o movement) submission(cid string) (ledger.Submission, error) {
	m := o.m
	m.ID = cid
	if err := m.Validate(); err != nil {
		return ledger.Submission{}, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return ledger.Submission{}, err
	}
	sub := ledger.Submission{
		Intent:  ledger.Intent{ClientID: cid, Kind: m.IntentKind(), Venue: m.Source, Request: body},
		Entries: []ledger.Entry{m.SentEntry()},
	}
	for _, k := range m.Caps {
		sub.Counters = append(sub.Counters, ledger.CounterAdd{Key: k, OpID: cid, Delta: m.Amount})
	}
	return sub, nil
}

func (o movement) send(ctx context.Context, cid string) (answer, error) {
	m := o.m
	amount := hercle.N(m.Amount)
	wr := hercle.WithdrawalRequest{Asset: string(m.Asset), Amount: amount, Address: m.Address, Network: m.Network}
	var ref string
	var err error
	switch m.Method {
	case MethodWithdrawal:
		var w hercle.Withdrawal
		w, _, err = o.x.o.Transfers.Withdraw(ctx, wr, cid)
		ref = w.ID
	case MethodInstant:
		var w hercle.Withdrawal
		w, _, err = o.x.o.Transfers.WithdrawInstant(ctx, wr, cid)
		ref = w.ID
	case MethodParams:
		var w hercle.Withdrawal
		w, _, err = o.x.o.Transfers.WithdrawWithAddressParams(ctx, hercle.AddressParamsWithdrawalRequest{Asset: wr.Asset, Amount: amount,
			Address: m.Address, AddressParams: hercle.Params(m.Params), Network: m.Network, IsInstant: m.Instant}, cid)
		ref = w.ID
	case MethodLightning:
		var p hercle.LightningPayment
		p, _, err = o.x.o.Transfers.WithdrawLightning(ctx, hercle.LightningWithdrawalRequest{PaymentRequestHash: m.Invoice}, cid)
		ref = p.PaymentID
	case MethodTransfer:
		var rc hercle.TransferReceipt
		rc, _, err = o.x.o.Transfers.CreateTransfer(ctx, hercle.TransferRequest{Asset: wr.Asset, Amount: amount, InternalAddressID: m.Internal,
			PayeeAddressID: m.PayeeAddr, Description: m.Origin + " " + m.Policy + " " + cid}, cid)
		ref = rc.ID
	case MethodSettlement, MethodPayout:
		var p heropayments.Payment
		p, err = o.x.o.Payments.CreateWithdrawal(ctx, heropayments.Flow(m.Flow), heropayments.WithdrawalRequest{
			ExternalOrderID: cid, CustomerID: m.Customer, Currency: string(m.Asset), Network: m.Network,
			Amount: heropayments.A(m.Amount), Address: m.Address, CallbackURL: m.CallbackURL}, heropayments.WithdrawalOptions{})
		ref = p.ID
	default:
		return answer{}, fmt.Errorf("%w: unknown method %q", hercle.ErrInvalidInput, m.Method)
	}
	if err != nil {
		return answer{}, err
	}
	return answer{verdict: accepted, ref: ref, detail: "sent"}, nil
}

func (o movement) lookup(ctx context.Context, it ledger.Intent) (answer, error) {
	switch o.m.Method {
	case MethodSettlement, MethodPayout:
		return o.lookupHeropayments(ctx, it)
	case MethodTransfer:
		q := hercle.TransferQuery{StartDate: it.Created.Add(-24 * time.Hour), EndDate: o.x.clock.Now().Add(time.Hour), TransferClientID: it.ClientID}
		var found []movementState
		for tr, err := range o.x.o.Transfers.Transfers(ctx, q) {
			if err != nil {
				return answer{}, err
			}
			found = append(found, movementState{clientID: tr.ClientID, ref: tr.ID, status: string(tr.Status)})
		}
		return o.state(ctx, it, o.pick(it.ClientID, found))
	}
	ws, err := o.x.o.Transfers.WithdrawalsByClientID(ctx, it.ClientID)
	if err != nil && !errors.Is(err, hercle.ErrNotFound) {
		return answer{}, err
	}
	found := make([]movementState, len(ws))
	for i, w := range ws {
		found[i] = movementState{clientID: w.ClientID, ref: w.ID, status: string(w.Status), fee: w.Fee.Decimal}
	}
	st := o.pick(it.ClientID, found)
	if st.ref == "" && o.m.Method == MethodLightning {
		// Hercle does not document a Lightning payment's lookup by
		// Client-Id; its invoice names it as surely in the listing.
		if st, err = o.byInvoice(ctx, it); err != nil {
			return answer{}, err
		}
	}
	return o.state(ctx, it, st)
}

// byInvoice finds a Lightning payment in the venue's withdrawals by the
// invoice it paid, which names one payment only.
func (o movement) byInvoice(ctx context.Context, it ledger.Intent) (movementState, error) {
	ws, err := o.x.o.Transfers.Withdrawals(ctx, hercle.WithdrawalFilter{Network: "Lightning", Asset: string(o.m.Asset), Address: o.m.Invoice,
		StartDate: it.Created.Add(-time.Hour), EndDate: o.x.clock.Now().Add(time.Hour)})
	if err != nil && !errors.Is(err, hercle.ErrNotFound) {
		return movementState{}, fmt.Errorf("list Lightning withdrawals: %w", err)
	}
	var found []movementState
	for _, w := range ws {
		if w.Destination == "" || strings.EqualFold(w.Destination, o.m.Invoice) {
			found = append(found, movementState{clientID: w.ClientID, ref: w.ID, status: string(w.Status), fee: w.Fee.Decimal})
		}
	}
	return o.pick(it.ClientID, found), nil
}

// lookupHeropayments asks Heropayments about a settlement or a payout by
// its external order id (the Client-Id). For a settlement, Heropayments'
// success means the money left: it lands at Hercle later as a deposit,
// which settles it in the books. A payout's success settles it at the
// customer's address.
func (o movement) lookupHeropayments(ctx context.Context, it ledger.Intent) (answer, error) {
	cid := it.ClientID
	if o.x.o.Payments == nil {
		return answer{}, errors.New("no Heropayments client to look a " + string(o.m.Method) + " up")
	}
	p, err := o.x.o.Payments.PaymentStatus(ctx, heropayments.Flow(o.m.Flow), heropayments.Ref{ExternalOrderID: cid})
	if errors.Is(err, heropayments.ErrNotFound) {
		return answer{verdict: missing, detail: "no record at Heropayments"}, nil
	}
	if err != nil {
		return answer{}, err
	}
	if p.ExternalOrderID == "" {
		p.ExternalOrderID = cid
	}
	if want := (heropayments.PaymentKey{ExternalOrderID: cid, Sequence: heropayments.SequenceOriginal}); p.Key() != want {
		// Not this movement's status: applying it could fail a
		// withdrawal Heropayments is sending.
		return answer{}, fmt.Errorf("the Heropayments status lookup of %s answered for payment %s", cid, p.Key())
	}
	ans := answer{verdict: accepted, ref: p.ID, detail: "Heropayments status " + string(p.Status)}
	switch heropayments.Classify(heropayments.Flow(o.m.Flow), heropayments.KindWithdrawal, p.Status) {
	case heropayments.OutcomeSuccess:
		if o.m.Method == MethodSettlement {
			ans.landed = true
			break
		}
		amount, err := o.x.o.Store.Balance(ctx, o.m.Transit(), o.m.Asset)
		if err != nil {
			return answer{}, fmt.Errorf("transit balance of %s: %w", cid, err)
		}
		ans.verdict = done
		if amount.IsPositive() {
			ans.entries = []ledger.Entry{o.m.SettledEntry(amount, decimal.Zero,
				map[string]string{"heropayments_id": p.ID, "status": string(p.Status), "source": "execution.lookup"})}
		}
	case heropayments.OutcomeFailed:
		ans.verdict = refused
	case heropayments.OutcomeUnknown:
		o.x.log.Warn("undocumented Heropayments status; treated as in progress", "client_id", cid, "status", p.Status)
	}
	return ans, nil
}

// movementState is one record a lookup by Client-Id found.
type movementState struct {
	clientID string
	ref      string // the venue's id; "" when nothing was found
	status   string // as the venue spells it
	fee      decimal.Decimal
}

// pick chooses the record of cid among those a lookup by cid returned. A
// record naming another Client-Id is not ours. One that names none is
// taken to be ours: the venue filtered by cid, and treating a movement
// that happened as absent would fail it and let a later run send it
// again. More than one candidate is logged for reconciliation and followed
// as in progress, never failed.
func (o movement) pick(cid string, found []movementState) movementState {
	var exact, unnamed []movementState
	for _, st := range found {
		switch st.clientID {
		case cid:
			exact = append(exact, st)
		case "":
			unnamed = append(unnamed, st)
		}
	}
	cands := exact
	if len(cands) == 0 {
		cands = unnamed
	}
	switch len(cands) {
	case 0:
		return movementState{}
	case 1:
		return cands[0]
	}
	o.x.log.Error("the venue lists more than one movement for one Client-Id; followed as in progress, reconcile by hand",
		"client_id", cid, "count", len(cands))
	return movementState{ref: cands[0].ref, status: "ambiguous"}
}

// state turns a Hercle movement's status into an answer; a success comes
// with its settled entry, for the amount in transit.
func (o movement) state(ctx context.Context, it ledger.Intent, st movementState) (answer, error) {
	if st.ref == "" {
		return answer{verdict: missing, detail: "no record at the venue"}, nil
	}
	ans := answer{verdict: accepted, ref: st.ref, detail: "venue status " + st.status}
	switch hercle.MovementStatus(st.status).Effect() {
	case hercle.EffectSucceed:
		amount, err := o.x.o.Store.Balance(ctx, o.m.Transit(), o.m.Asset)
		if err != nil {
			return answer{}, fmt.Errorf("transit balance of %s: %w", it.ClientID, err)
		}
		ans.verdict = done
		if amount.IsPositive() {
			ans.entries = []ledger.Entry{o.m.SettledEntry(amount, st.fee,
				map[string]string{"venue_id": st.ref, "status": st.status, "source": "execution.lookup"})}
		}
	case hercle.EffectFail:
		ans.verdict = refused
	}
	return ans, nil
}

// failed reverses what is in the movement's transit account to its source
// and releases its caps. A movement recorded by an older engine before its
// transit entry has nothing in transit: nothing to reverse.
func (o movement) failed(ctx context.Context, it ledger.Intent, note string) ([]ledger.Entry, []ledger.CounterAdd, error) {
	m := o.m
	var entries []ledger.Entry
	amount, err := o.x.o.Store.Balance(ctx, m.Transit(), m.Asset)
	if err != nil {
		return nil, nil, fmt.Errorf("transit balance of %s: %w", it.ClientID, err)
	}
	if amount.IsPositive() {
		entries = append(entries, ledger.Entry{
			Key: ledger.FailedKey(m.ID), Kind: ledger.KindWithdrawalFailed, ClientID: m.ID,
			Refs: map[string]string{"policy": m.Policy, "source": m.Origin}, Memo: clip(note),
			Postings: []ledger.Posting{
				{Account: m.Transit(), Asset: m.Asset, Amount: amount.Neg()},
				{Account: ledger.VenueAvailable(m.Source), Asset: m.Asset, Amount: amount},
			},
		})
	}
	var releases []ledger.CounterAdd
	for _, k := range m.Caps {
		releases = append(releases, ledger.CounterAdd{Key: k, OpID: m.ID + ":release", Delta: m.Amount.Neg()})
	}
	return entries, releases, nil
}

func (o movement) patience() int { return o.x.o.MovementLookups }

// unlisted: Hercle does not document looking a Lightning payment up by
// Client-Id, so not finding it never fails it.
type lightning struct{ movement }

func (lightning) unlisted() {}

// opFor is the op that sends or resolves m.
func (x *Executor) opFor(m Movement) op {
	o := movement{x: x, m: m}
	if m.Method == MethodLightning {
		return lightning{o}
	}
	return o
}

// Move records and sends a movement under the send protocol: the intent,
// its transit entry and its cap reservations in one write, then the
// request, once. m.ID, if set, is the Client-Id. The result is Sent when
// the venue accepted it (it settles later: Follow, or the venue's webhook,
// finishes it), Settled if it is already final, Failed if it did not
// happen (its transit reversed, its caps released), Unresolved if the
// outcome is unknown: it is then looked up, never sent again.
func (x *Executor) Move(ctx context.Context, m Movement) Result {
	if x.o.Transfers == nil || m.source() == ledger.Heropayments && x.o.Payments == nil {
		return Result{Movement: m, Status: Failed, Detail: "no venue client for " + string(m.Method), Time: x.clock.Now()}
	}
	if m.ID == "" {
		id, err := x.o.NewClientID()
		if err != nil {
			return Result{Movement: m, Status: Failed, Detail: "client id: " + err.Error(), Time: x.clock.Now()}
		}
		m.ID = id
	}
	if x.o.Stopped != nil {
		if err := x.o.Stopped(x.clock.Now()); err != nil {
			return Result{Movement: m, Status: Failed, Detail: "not sent: " + err.Error(), Time: x.clock.Now()}
		}
	}
	r := x.movementResult(m, protocol{x}.send(ctx, m.ID, x.opFor(m)))
	x.results.WithLabelValues(string(m.Method), r.Status.String()).Inc()
	return r
}

// Follow looks an unfinished movement up once by its Client-Id and applies
// what the venue says (settled, failed, still in progress); it never sends.
// A movement the venue still has no record of after Lookups follows did
// not happen and fails, unless the venue acknowledged it.
func (x *Executor) Follow(ctx context.Context, it ledger.Intent) (Result, error) {
	m, ok := MovementOf(it)
	if !ok {
		return Result{}, fmt.Errorf("execution: intent %s is not a movement", it.ClientID)
	}
	if x.o.Transfers == nil {
		return Result{}, errors.New("execution: no venue client for movements")
	}
	return x.movementResult(m, protocol{x}.resolve(ctx, it, x.opFor(m))), nil
}

// Finish records a movement's success with the entries that settle it (a
// settlement's arrival at Hercle, matched by treasury) and the intent's
// end, in one write.
func (x *Executor) Finish(ctx context.Context, it ledger.Intent, ref, note string, entries []ledger.Entry) Result {
	m, _ := MovementOf(it)
	return x.movementResult(m, protocol{x}.finish(ctx, it, answer{verdict: done, ref: ref, detail: note, entries: entries}))
}

func (x *Executor) movementResult(m Movement, out outcome) Result {
	r := Result{Movement: m, Status: Unresolved, Detail: out.detail, Err: out.err, VenueRef: out.ans.ref, Landed: out.ans.landed, Time: x.clock.Now()}
	switch out.stage {
	case stageDone:
		r.Status = Settled
	case stageFailed:
		r.Status = Failed
	case stagePending:
		r.Status = Sent
	}
	return r
}
