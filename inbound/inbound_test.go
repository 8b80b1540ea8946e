package inbound_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/inbound"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/sim"
)

func withdrawal(cid, status string) map[string]any {
	return map[string]any{"Id": "venue-" + cid, "ClientId": cid, "Asset": "BTC", "Network": "BTC",
		"Destination": "bc1qxy", "Amount": hercle.MustNumber("1"), "Fee": hercle.MustNumber("0.0001"), "Status": status}
}

// TestWithdrawalSettlesOnceDespiteSenderFaults sends a withdrawal's whole
// life, twice over with duplicated, reordered, delayed and badly signed
// deliveries, and checks that it settles exactly once; then that a late
// progress status and a contradicting failure change nothing.
func TestWithdrawalSettlesOnceDespiteSenderFaults(t *testing.T) {
	const seed = 7101
	t.Logf("seed %d", seed)
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	sendingIntent(t, e.store, "W1", ledger.IntentWithdrawal, ledger.TransitWithdrawal, "BTC", "1")

	faults := sim.WebhookFaults{Duplicate: 0.5, Reorder: 0.5, Delay: 0.3, BadSignature: 0.2, MaxDelay: 20 * time.Millisecond}
	s := e.sender(ctx, seed, faults, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventWithdrawalCreated, withdrawal("W1", "CREATED"))
	for _, st := range []string{"CONFIRMING", "CONFIRMED", "EXECUTING", "SUCCESS", "SUCCESS", "CONFIRMING"} {
		e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, withdrawal("W1", st))
	}
	e.deliver(ctx, s)
	if st := s.Stats(); st.Duplicates == 0 || st.Reordered == 0 || st.BadSignatures == 0 {
		t.Fatalf("faults not exercised: %+v", st)
	}

	check := func(when string) {
		t.Helper()
		in, err := e.store.Intent(ctx, "W1")
		if err != nil || in.State != ledger.StateSucceeded || in.VenueRef != "venue-W1" {
			t.Fatalf("%s: intent = %+v, %v; want succeeded with venue ref", when, in, err)
		}
		if _, err := e.store.Entry(ctx, "W1:failed"); !errors.Is(err, ledger.ErrNotFound) {
			t.Fatalf("%s: W1:failed = %v, want none", when, err)
		}
		for _, c := range []struct {
			a    ledger.Account
			want string
		}{
			{ledger.Transit(ledger.TransitWithdrawal, "W1"), "0"},
			{ledger.ExternalAddress("BTC", "bc1qxy"), "0.9999"},
			{ledger.Fees(ledger.Hercle), "0.0001"},
			{ledger.VenueAvailable(ledger.Hercle), "0"},
		} {
			if got := balance(t, e.store, c.a, "BTC"); !got.Equal(d(c.want)) {
				t.Errorf("%s: %s = %s, want %s", when, c.a, got, c.want)
			}
		}
		entries, err := e.store.Entries(ctx, ledger.Filter{Kind: ledger.KindWithdrawalSettled})
		if err != nil || len(entries) != 1 || entries[0].Key != "W1:settled" {
			t.Fatalf("%s: settled entries = %v, %v; want exactly W1:settled", when, entries, err)
		}
		mustVerify(t, e.store)
	}
	check("after the lifecycle")
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeSettled); n != 1 {
		t.Errorf("settled outcomes = %d, want 1", n)
	}

	// Late: a progress status after SUCCESS, and a contradicting FAILURE.
	stale0 := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeStale)
	s = e.sender(ctx, seed+1, sim.WebhookFaults{}, sim.WebhookFormat{CamelCase: true, EmbeddedData: true}, clock.Clock{})
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, withdrawal("W1", "CONFIRMING"))
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, withdrawal("W1", "FAILURE"))
	e.deliver(ctx, s)
	check("after late events")
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeStale); n != stale0+1 {
		t.Errorf("stale outcomes = %d, want %d", n, stale0+1)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeConflict); n != 1 {
		t.Errorf("conflict outcomes = %d, want 1", n)
	}
}

// TestSettlementDestination: a settled withdrawal credits the account its
// sent entry names (ledger.RefTo), not the one the event's destination
// would make; and a banking event never settles a movement at another
// venue, whether it names it by Client-Id or by venue id.
func TestSettlementDestination(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	cold := ledger.ExternalAddress("BTC", "bc1qcold")
	if _, _, err := e.store.Post(ctx, ledger.Entry{Key: "opening", Kind: ledger.KindOpening, Postings: []ledger.Posting{
		{Account: ledger.VenueAvailable(ledger.Hercle), Asset: "BTC", Amount: d("1")},
		{Account: ledger.VenueAvailable(ledger.Heropayments), Asset: "USDT", Amount: d("200")},
		{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: d("-1")},
		{Account: ledger.OpeningBalance(), Asset: "USDT", Amount: d("-200")},
	}}); err != nil {
		t.Fatal(err)
	}
	sent := func(cid string, kind ledger.IntentKind, v ledger.Venue, tk ledger.TransitKind, asset market.Asset, amount string, refs map[string]string) {
		t.Helper()
		if _, _, err := e.store.CreateIntent(ctx, ledger.Intent{ClientID: cid, Kind: kind, Venue: v, Request: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Transition(ctx, cid, ledger.StateSubmitted, ledger.Detail{VenueRef: "venue-" + cid}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.store.Post(ctx, ledger.Entry{Key: ledger.SentKey(cid), Kind: ledger.KindWithdrawal, ClientID: cid, Refs: refs,
			Postings: []ledger.Posting{
				{Account: ledger.VenueAvailable(v), Asset: asset, Amount: d(amount).Neg()},
				{Account: ledger.Transit(tk, cid), Asset: asset, Amount: d(amount)},
			}}); err != nil {
			t.Fatal(err)
		}
	}
	sent("W1", ledger.IntentWithdrawal, ledger.Hercle, ledger.TransitWithdrawal, "BTC", "1", map[string]string{ledger.RefTo: cold.String()})
	sent("HP1", ledger.IntentPayout, ledger.Heropayments, ledger.TransitWithdrawal, "USDT", "100", nil)
	sent("HP2", ledger.IntentPayout, ledger.Heropayments, ledger.TransitWithdrawal, "USDT", "100", nil)

	s := e.sender(ctx, 7151, sim.WebhookFaults{}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, withdrawal("W1", "SUCCESS")) // reports bc1qxy
	byCID := e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "venue-other", "ClientId": "HP1",
		"Asset": "USDT", "Network": "TRX", "Destination": "TXYZ", "Amount": hercle.MustNumber("100"), "Status": "SUCCESS"})
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "venue-HP2",
		"Asset": "USDT", "Network": "TRX", "Destination": "TXYZ", "Amount": hercle.MustNumber("100"), "Status": "SUCCESS"})
	e.deliver(ctx, s)

	if got := balance(t, e.store, cold, "BTC"); !got.Equal(d("0.9999")) {
		t.Errorf("%s = %s, want 0.9999: the sent entry's destination", cold, got)
	}
	if got := balance(t, e.store, ledger.ExternalAddress("BTC", "bc1qxy"), "BTC"); !got.IsZero() {
		t.Errorf("the event's destination received %s, want nothing", got)
	}
	for _, cid := range []string{"HP1", "HP2"} {
		if got := balance(t, e.store, ledger.Transit(ledger.TransitWithdrawal, cid), "USDT"); !got.Equal(d("100")) {
			t.Errorf("%s in transit = %s, want 100 untouched", cid, got)
		}
		if in, err := e.store.Intent(ctx, cid); err != nil || in.State != ledger.StateSubmitted {
			t.Errorf("%s = %+v, %v; want still submitted", cid, in, err)
		}
	}
	if q := e.proc.Quarantined(); len(q) != 1 || q[byCID] == "" {
		t.Errorf("quarantined = %v, want the event naming HP1 by Client-Id", q)
	}
	if n := e.outcome(webhook.EventWithdrawalStatusUpdated, inbound.OutcomeUnmatched); n != 1 {
		t.Errorf("unmatched = %d, want 1 (the event naming HP2 by venue id)", n)
	}
	mustVerify(t, e.store)
}

// TestFailureReverses: a failed withdrawal and a rejected payout put the
// money back at the venue and fail their intents; found by ClientId, or by
// the venue id when the event carries none.
func TestFailureReverses(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	sendingIntent(t, e.store, "W2", ledger.IntentWithdrawal, ledger.TransitWithdrawal, "BTC", "0.5")
	sendingIntent(t, e.store, "P1", ledger.IntentTransfer, ledger.TransitBank, "EUR", "100")
	// P1's venue id is known from the create response; its events carry no ClientId.
	if _, err := e.store.Transition(ctx, "P1", ledger.StateUnknown, ledger.Detail{VenueRef: "payout-9", Note: "timeout"}); err != nil {
		t.Fatal(err)
	}
	s := e.sender(ctx, 7201, sim.WebhookFaults{Duplicate: 0.5}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "w-2", "ClientId": "W2", "Asset": "BTC", "Status": "FAILURE"})
	payout := func(status string) map[string]any {
		return map[string]any{"Id": "payout-9", "Status": status,
			"Debtor":   map[string]any{"Asset": "EUR", "Amount": 100, "Fee": hercle.MustNumber("1.5")},
			"Creditor": map[string]any{"Asset": "EUR", "Address": "IT60X0542811101000000123456", "Network": "SEPA", "Amount": 100}}
	}
	e.send(ctx, s, webhook.EventPayoutCreated, payout("CREATED"))
	e.send(ctx, s, webhook.EventPayoutStatusUpdated, payout("REJECTED"))
	e.deliver(ctx, s)

	for _, c := range []struct {
		cid   string
		tk    ledger.TransitKind
		asset market.Asset
		amt   string
		state ledger.IntentState
	}{
		{"W2", ledger.TransitWithdrawal, "BTC", "0.5", ledger.StateFailed},
		{"P1", ledger.TransitBank, "EUR", "100", ledger.StateResolved},
	} {
		in, err := e.store.Intent(ctx, c.cid)
		if err != nil || in.State != c.state || in.State == ledger.StateResolved && in.Outcome != ledger.StateFailed {
			t.Errorf("%s: intent %+v, %v; want %s (outcome failed)", c.cid, in, err, c.state)
		}
		if _, err := e.store.Entry(ctx, c.cid+":failed"); err != nil {
			t.Errorf("%s:failed: %v", c.cid, err)
		}
		if got := balance(t, e.store, ledger.Transit(c.tk, c.cid), c.asset); !got.IsZero() {
			t.Errorf("%s transit = %s, want 0", c.cid, got)
		}
		if got := balance(t, e.store, ledger.VenueAvailable(ledger.Hercle), c.asset); !got.Equal(d(c.amt)) {
			t.Errorf("%s: venue available %s = %s, want %s back", c.cid, c.asset, got, c.amt)
		}
	}
	mustVerify(t, e.store)
}

func deposit(tx, status, amount string) map[string]any {
	return map[string]any{"Id": tx, "Type": "DEPOSIT", "Status": status, "Asset": "EUR", "Amount": hercle.MustNumber(amount),
		"Debtor": map[string]any{"Iban": "IT123A456B789C012D345E678F90"}}
}

// TestDepositCreditsOnce: progress statuses record, SUCCESS credits once
// however often it is delivered or re-sent under a new event id, and the
// Deposit notification fires once.
func TestDepositCreditsOnce(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.sender(ctx, 7301, sim.WebhookFaults{Duplicate: 1, Reorder: 0.5}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventDepositStatusUpdated, deposit("tx-1", "CONFIRMING", "1000.10"))
	first := e.send(ctx, s, webhook.EventDepositStatusUpdated, deposit("tx-1", "SUCCESS", "1000.10"))
	second := e.send(ctx, s, webhook.EventDepositStatusUpdated, deposit("tx-1", "SUCCESS", "1000.10"))
	e.deliver(ctx, s)

	if got := balance(t, e.store, ledger.VenuePending(ledger.Hercle), "EUR"); !got.Equal(d("1000.10")) {
		t.Errorf("venue pending EUR = %s, want 1000.10", got)
	}
	if got := balance(t, e.store, ledger.ExternalBank("IT123A456B789C012D345E678F90"), "EUR"); !got.Equal(d("-1000.10")) {
		t.Errorf("debtor bank = %s, want -1000.10", got)
	}
	if n := e.nDeposit.Load(); n != 1 {
		t.Fatalf("deposit notifications = %d, want 1", n)
	}
	dep := <-e.deposits
	if dep.EntryKey != "hercle:deposit:tx-1" || !dep.Amount.Equal(d("1000.10")) || dep.Asset != "EUR" ||
		(dep.EventID != first && dep.EventID != second) {
		t.Errorf("deposit = %+v", dep)
	}
	if n := e.outcome(webhook.EventDepositStatusUpdated, inbound.OutcomeDuplicate); n != 1 {
		t.Errorf("duplicate outcomes = %d, want 1 (the second SUCCESS event)", n)
	}
	mustVerify(t, e.store)
}

// TestRegistryPayeeApprovalAndBalances: payee address approval is
// queryable, never moves backwards on an older update, and survives a
// restart (rebuilt from the inbox); balance snapshots keep the highest
// Sequence.
func TestRegistryPayeeApprovalAndBalances(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	stamp := &offsetClock{base: time.Now().Add(-time.Minute)}
	s := e.sender(ctx, 7401, sim.WebhookFaults{Duplicate: 0.5}, sim.WebhookFormat{}, clock.New(stamp))
	at := func(sec int64) { stamp.offset.Store(sec) }
	addr := func(status string) map[string]any {
		return map[string]any{"Id": "pa-1", "PayeeId": "payee-1", "Asset": "EUR", "Address": "IT60X0542811101000000123456",
			"Network": "SEPA", "Status": status}
	}
	at(1)
	e.send(ctx, s, webhook.EventPayeeCreated, map[string]any{"Id": "payee-1", "Name": "John", "Type": "PERSON"})
	at(2)
	e.send(ctx, s, webhook.EventPayeeStatusUpdated, addr("REVIEWING"))
	at(4)
	e.send(ctx, s, webhook.EventPayeeStatusUpdated, addr("APPROVED"))
	at(3) // older than APPROVED, delivered after it
	e.send(ctx, s, webhook.EventPayeeStatusUpdated, addr("PENDING"))
	at(5)
	e.send(ctx, s, webhook.EventPayeeStatusUpdated, map[string]any{"Id": "pa-2", "PayeeId": "payee-1", "Status": 2})
	e.send(ctx, s, webhook.EventBalanceUpdated, map[string]any{"UserId": "u", "Sequence": 7, "Assets": []any{map[string]any{"Name": "EUR", "Available": hercle.MustNumber("1500.5"), "Allocated": 100}}})
	e.send(ctx, s, webhook.EventBalanceUpdated, map[string]any{"UserId": "u", "Sequence": 6, "Assets": []any{map[string]any{"Name": "EUR", "Available": 1}}})
	e.send(ctx, s, webhook.EventEndUserStatusUpdated, map[string]any{"Id": "eu-1", "Business": map[string]any{"CompanyName": "Acme"}, "RegistrationStatus": "ACTIVE"})
	e.send(ctx, s, webhook.EventVirtualAccountRegistered, map[string]any{"Id": "ia-1", "Asset": "EUR", "Address": "DE89370400440532013000"})
	e.deliver(ctx, s)

	check := func(when string) {
		t.Helper()
		r := e.proc.Registry()
		approved := r.ApprovedPayeeAddresses()
		if len(approved) != 1 || approved[0].ID != "pa-1" || approved[0].PayeeID != "payee-1" {
			t.Errorf("%s: approved = %+v, want only pa-1", when, approved)
		}
		if a, ok := r.PayeeAddress("pa-2"); !ok || a.Status != webhook.PayeeAddressRefused {
			t.Errorf("%s: pa-2 = %+v, %v; want REFUSED", when, a, ok)
		}
		if p, ok := r.Payee("payee-1"); !ok || p.Name != "John" {
			t.Errorf("%s: payee-1 = %+v, %v", when, p, ok)
		}
		if b, ok := r.Balance("EUR"); !ok || b.Sequence != 7 || !b.Available.Equal(d("1500.5")) || !b.Allocated.Equal(d("100")) {
			t.Errorf("%s: EUR snapshot = %+v, %v; want sequence 7", when, b, ok)
		}
		if u, ok := r.EndUser("eu-1"); !ok || !u.Business || u.Status != webhook.RegistrationActive {
			t.Errorf("%s: eu-1 = %+v, %v", when, u, ok)
		}
		if v, ok := r.VirtualAccount("ia-1"); !ok || v.Asset != "EUR" {
			t.Errorf("%s: ia-1 = %+v, %v", when, v, ok)
		}
	}
	check("live")
	if n := e.outcome(webhook.EventPayeeStatusUpdated, inbound.OutcomeStale); n != 1 {
		t.Errorf("stale payee updates = %d, want 1", n)
	}
	e.restart()
	e.sync(ctx)
	check("after restart")
}

// TestCrashBetweenStoreAndProcessing: events acknowledged while no
// processor ran (it crashed after Store) are applied exactly once by the
// next one, after the ledger is reopened; a second restart changes
// nothing.
func TestCrashBetweenStoreAndProcessing(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{noProcessor: true})
	sendingIntent(t, e.store, "W3", ledger.IntentWithdrawal, ledger.TransitWithdrawal, "USDT", "250")
	s := e.sender(ctx, 7501, sim.WebhookFaults{Duplicate: 0.5}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventDepositStatusUpdated, deposit("tx-9", "SUCCESS", "42"))
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "w-3", "ClientId": "W3", "Asset": "USDT", "Network": "TRX", "Destination": "TXYZ", "Status": "SUCCESS"})
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	pending, err := e.store.Unprocessed(ctx)
	if err != nil || len(pending) != 2 {
		t.Fatalf("stored before the crash: %d, %v; want 2 unprocessed", len(pending), err)
	}
	for _, ev := range pending {
		if ev.Meta[inbound.MetaDeliveryID] == "" || ev.Meta[inbound.MetaKeyID] == "" || ev.Meta[inbound.MetaTimestamp] == "" || ev.Meta[inbound.MetaSignature] == "" {
			t.Errorf("event %s meta = %v; want delivery id, key id, timestamp and signature", ev.ID, ev.Meta)
		}
	}

	e.restart()
	e.sync(ctx)
	e.restart()
	e.sync(ctx)

	if got := balance(t, e.store, ledger.VenuePending(ledger.Hercle), "EUR"); !got.Equal(d("42")) {
		t.Errorf("EUR credited = %s, want 42 once", got)
	}
	if got := balance(t, e.store, ledger.ExternalAddress("TRX", "TXYZ"), "USDT"); !got.Equal(d("250")) {
		t.Errorf("USDT settled = %s, want 250 once", got)
	}
	if in, err := e.store.Intent(ctx, "W3"); err != nil || in.State != ledger.StateSucceeded {
		t.Errorf("W3 = %+v, %v", in, err)
	}
	if n := e.nDeposit.Load(); n != 1 {
		t.Errorf("deposit notifications = %d, want 1", n)
	}
	if left, err := e.store.Unprocessed(ctx); err != nil || len(left) != 0 {
		t.Errorf("unprocessed after restart = %d, %v", len(left), err)
	}
	mustVerify(t, e.store)
}

// TestUnknownAndMalformedEvents: an unknown type is marked processed and
// counted as ignored; an event whose data does not fit its model is
// quarantined: left unprocessed, counted once, not retried by later
// passes; the journal is untouched.
func TestUnknownAndMalformedEvents(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	s := e.sender(ctx, 7601, sim.WebhookFaults{}, sim.WebhookFormat{}, clock.Clock{})
	unknown := e.send(ctx, s, "Something.Undocumented", map[string]any{"x": 1})
	bad := e.send(ctx, s, webhook.EventDepositStatusUpdated, map[string]any{"Id": "tx-bad", "Status": "SUCCESS", "Amount": "not a number"})
	zero := e.send(ctx, s, webhook.EventDepositStatusUpdated, deposit("tx-zero", "SUCCESS", "0"))
	e.deliver(ctx, s)
	e.sync(ctx) // a second pass must not count them again

	if ev, err := e.store.GetEvent(ctx, ledger.SourceHercleWebhook, unknown); err != nil || ev.Processed.IsZero() {
		t.Errorf("unknown event = %+v, %v; want processed", ev, err)
	}
	if n := int(series(t, e.reg, "engine_inbound_events_total", map[string]string{"type": "other", "outcome": inbound.OutcomeIgnored})); n != 1 {
		t.Errorf("ignored = %d, want 1", n)
	}
	for _, id := range []string{bad, zero} {
		if ev, err := e.store.GetEvent(ctx, ledger.SourceHercleWebhook, id); err != nil || !ev.Processed.IsZero() {
			t.Errorf("malformed event %s = %+v, %v; want left unprocessed", id, ev, err)
		}
	}
	if q := e.proc.Quarantined(); len(q) != 2 || q[bad] == "" || q[zero] == "" {
		t.Errorf("quarantined = %v, want both malformed events", q)
	}
	if n := e.outcome(webhook.EventDepositStatusUpdated, inbound.OutcomeQuarantined); n != 2 {
		t.Errorf("quarantined outcomes = %d, want 2 (once each, not per pass)", n)
	}
	if g := series(t, e.reg, "engine_inbound_quarantined", nil); g != 2 {
		t.Errorf("quarantined gauge = %v, want 2", g)
	}
	if g := series(t, e.reg, "engine_inbound_lag_seconds", nil); g != 0 {
		t.Errorf("lag = %v, want 0 (quarantined events do not count)", g)
	}
	if entries, err := e.store.Entries(ctx, ledger.Filter{}); err != nil || len(entries) != 0 {
		t.Errorf("journal = %d entries, %v; want none", len(entries), err)
	}
}

// TestWebhookInboxDuplicateAndFailure: the adapter reports duplicates and
// passes store failures up, so the handler answers 200 and 503.
func TestWebhookInboxDuplicateAndFailure(t *testing.T) {
	ctx := deadline(t, 10*time.Second)
	e := newEnv(t, envOptions{noProcessor: true})
	notified := 0
	in := inbound.NewWebhookInbox(e.store, func() { notified++ }, nil)
	w := webhook.Received{EventID: "evt-1", EventType: "X", Body: []byte(`{"EventId":"evt-1"}`), ReceivedAt: time.Now()}
	if dup, err := in.Store(ctx, w); dup || err != nil {
		t.Fatalf("first Store = %v, %v", dup, err)
	}
	if dup, err := in.Store(ctx, w); !dup || err != nil {
		t.Fatalf("second Store = %v, %v; want duplicate", dup, err)
	}
	if notified != 1 {
		t.Errorf("notified %d times, want 1 (duplicates do not wake the processor)", notified)
	}
	if ev, err := e.store.GetEvent(ctx, ledger.SourceHercleWebhook, "evt-1"); err != nil || ev.Deliveries != 2 {
		t.Errorf("stored = %+v, %v; want 2 deliveries", ev, err)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Store(ctx, webhook.Received{EventID: "evt-2", Body: []byte(`{}`)}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Store on a closed ledger = %v, want ErrClosed (the handler answers 503)", err)
	}
	e.open()
}

// loadEvents is the load test's size; see TestWebhookLoad.
func loadEvents() int {
	if testing.Short() {
		return 2000
	}
	return 20000
}

// TestWebhookLoad: 64 concurrent senders post signed deposit events with
// 10% duplicate deliveries; every distinct event is stored once and
// credited once.
func TestWebhookLoad(t *testing.T) {
	n := loadEvents()
	res := runLoad(t, n, 64, 0.10, 8800)
	t.Logf("%d events, %d duplicate deliveries, %.0f events/s, p99 ack %v", n, res.duplicates, res.rate, res.p99)
}

func loadTxID(sender, i int) string { return fmt.Sprintf("load-%02d-%05d", sender, i) }

// offsetClock reads base plus a number of seconds the test sets, backwards
// too (to stamp an older update delivered after a newer one). The sender
// waits on real timers whatever its clock, so those are the system's.
type offsetClock struct {
	base   time.Time
	offset atomic.Int64 // seconds after base
}

func (c *offsetClock) Now() time.Time {
	return c.base.Add(time.Duration(c.offset.Load()) * time.Second)
}

func (c *offsetClock) NewTimer(d time.Duration) clock.Timer { return clock.Clock{}.NewTimer(d) }
