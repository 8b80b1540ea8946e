package treasury_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/market"
	"github.com/otcdesk/engine/scheduler"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/treasury"
	"github.com/otcdesk/engine/treasury/policy"
)

const coldAddress = "bc1qcoldwalletexample"

// coldSection is a BTC sweep to one crypto destination: above 2 BTC, the
// excess over 1 goes to cold storage.
func coldSection(dailyCap, extra string) string {
	return fmt.Sprintf(`
lookups = 3

[destinations.cold]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = %q
daily_cap = %q

[policies.btc-cold]
kind = "sweep"
asset = "BTC"
schedule = "0 */10 * * * *"
min = "0.5"
target = "1"
max = "2"
destination = "cold"
min_sweep = "0.01"
fee = "0.0001"
%s
`, coldAddress, dailyCap, extra)
}

var coldAccount = ledger.ExternalAddress("BITCOIN", coldAddress)

func TestSweepAboveMaxWithdrawsExcessOnceToTheWhitelistedAddress(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	r.whitelist("BTC", "bc1qsomeoneelse", "Bitcoin", true, nil)

	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want sent", res, err)
	}
	cid := res.ClientID
	if !res.Amount.Equal(d("4")) || res.Destination != "cold" {
		t.Errorf("Sweep amount %s to %s, want the excess 4 over target 1 of 5 to cold", res.Amount, res.Destination)
	}
	r.noViolations()
	if got := r.wire.sent(); len(got) != 1 || got[0] != cid {
		t.Fatalf("money-moving requests %v, want exactly one for %s", got, cid)
	}
	ws := r.withdrawals()
	if len(ws) != 1 || ws[0].ClientID != cid || ws[0].Destination != coldAddress || ws[0].Network != "Bitcoin" || !ws[0].Amount.Equal(d("4")) {
		t.Fatalf("venue withdrawals %+v, want one of 4 BTC to %s under %s", ws, coldAddress, cid)
	}
	if n := r.venue.Executions(cid); n != 1 {
		t.Errorf("venue executed %s %d times, want 1", cid, n)
	}
	in := r.intent(cid)
	if in.State != ledger.StateSubmitted || in.Kind != ledger.IntentWithdrawal || in.Venue != ledger.Hercle {
		t.Errorf("intent = %s %s %s, want a submitted Hercle withdrawal", in.State, in.Kind, in.Venue)
	}
	transit := ledger.Transit(ledger.TransitWithdrawal, cid)
	if b := r.balance(transit, "BTC"); !b.Equal(d("4")) {
		t.Errorf("in transit %s, want 4", b)
	}
	if b := r.balance(ledger.VenueAvailable(ledger.Hercle), "BTC"); !b.Equal(d("1")) {
		t.Errorf("venue:hercle:available %s, want 1 (5 less the 4 in transit)", b)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.Equal(d("4")) {
		t.Errorf("daily total of cold = %s, want 4", c)
	}

	// More BTC arrives: the policy would send again, but not while the
	// first sweep to cold is unresolved.
	r.credit("BTC", d("3"))
	res, err = r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSkipped || res.ClientID != cid {
		t.Fatalf("second Sweep = %+v, %v; want skipped because of %s", res, err, cid)
	}
	if n := len(r.wire.sent()); n != 1 {
		t.Fatalf("%d money-moving requests after the skipped sweep, want 1", n)
	}

	// The venue confirms. Before poll_after the webhook is expected and
	// polling leaves it alone; after, REST settles it.
	r.clock.Advance(time.Minute + time.Second)
	r.poll()
	if in := r.intent(cid); in.State != ledger.StateSubmitted {
		t.Fatalf("intent %s before poll_after, want still submitted", in.State)
	}
	r.clock.Advance(10 * time.Minute)
	r.poll()
	if in := r.intent(cid); in.State != ledger.StateSucceeded || in.VenueRef != ws[0].ID {
		t.Fatalf("intent %s ref %q after polling, want succeeded with %s", in.State, in.VenueRef, ws[0].ID)
	}
	if b := r.balance(transit, "BTC"); !b.IsZero() {
		t.Errorf("in transit %s after settlement, want 0", b)
	}
	if b := r.balance(coldAccount, "BTC"); !b.Equal(d("4")) {
		t.Errorf("%s received %s, want 4", coldAccount, b)
	}
	r.verify()

	// Resolved: the next run sends the new excess.
	res, err = r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("3")) {
		t.Fatalf("third Sweep = %+v, %v; want 3 sent", res, err)
	}
	if n := len(r.withdrawals()); n != 2 {
		t.Errorf("venue holds %d withdrawals, want 2", n)
	}
	if got := r.runs("btc-cold", "sent"); got != 2 {
		t.Errorf("engine_treasury_runs_total{outcome=sent} = %v, want 2", got)
	}
	r.noViolations()
}

func TestRefusesDestinationNotApprovedAtTheVenue(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(r *rig)
	}{
		{"not whitelisted", func(*rig) {}},
		{"pending", func(r *rig) { r.whitelist("BTC", coldAddress, "Bitcoin", false, nil) }},
		{"refused", func(r *rig) {
			if err := r.venue.RefuseWhitelist(r.whitelist("BTC", coldAddress, "Bitcoin", false, nil)); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(r *rig) {
			if _, err := r.venue.RemoveWhitelisted(r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)); err != nil {
				t.Fatal(err)
			}
		}},
		{"other network", func(r *rig) { r.whitelist("BTC", coldAddress, "Lightning", true, nil) }},
		{"other address", func(r *rig) { r.whitelist("BTC", coldAddress+"x", "Bitcoin", true, nil) }},
		// Approved only with a parameter the destination does not carry
		// (a memo an exchange credits by): a withdrawal without it is
		// not the approved destination.
		{"approved only with parameters", func(r *rig) {
			r.whitelist("BTC", coldAddress, "Bitcoin", true, map[string]string{"memo": "42"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
			tc.setup(r)
			res, err := r.sweep("btc-cold")
			if !errors.Is(err, treasury.ErrNotApproved) || res.Outcome != treasury.OutcomeRefused {
				t.Fatalf("Sweep = %+v, %v; want refused with ErrNotApproved", res, err)
			}
			if !strings.Contains(err.Error(), "cold") {
				t.Errorf("error %q does not name the destination", err)
			}
			if ws := r.withdrawals(); len(ws) != 0 || len(r.wire.sent()) != 0 {
				t.Errorf("venue holds %d withdrawals, %d requests sent; want none", len(ws), len(r.wire.sent()))
			}
			if ins := r.intents(); len(ins) != 0 {
				t.Errorf("ledger holds %d intents, want none", len(ins))
			}
			if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
				t.Errorf("daily total %s, want 0", c)
			}
			if got := r.runs("btc-cold", "refused"); got != 1 {
				t.Errorf("runs{refused} = %v, want 1", got)
			}
		})
	}
}

// A policy can only name a destination of the allowlist: anything else is
// refused when the configuration is read, before anything runs.
func TestDestinationOutsideTheAllowlistIsRefusedAtConfiguration(t *testing.T) {
	section := strings.Replace(coldSection("10", "dry_run = false"), `destination = "cold"`, `destination = "hot"`, 1)
	if _, err := policy.Parse("t", []byte(section)); err == nil || !strings.Contains(err.Error(), `unknown destination "hot"`) {
		t.Fatalf("Parse = %v, want an unknown destination", err)
	}
	cfg, err := policy.Parse("t", []byte(coldSection("10", "dry_run = false")))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policies["btc-cold"]
	p.Destination = "hot"
	cfg.Policies["btc-cold"] = p
	if _, err := treasury.New(cfg, treasury.Deps{}); err == nil || !strings.Contains(err.Error(), `unknown destination "hot"`) {
		t.Fatalf("New = %v, want the configuration refused", err)
	}
}

func TestDryRunIsTheDefaultAndSendsNothing(t *testing.T) {
	r := newRig(t, coldSection("10", ""), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeDryRun || !res.Amount.Equal(d("4")) {
		t.Fatalf("Sweep = %+v, %v; want a dry run of 4", res, err)
	}
	if len(r.wire.sent()) != 0 || len(r.withdrawals()) != 0 || len(r.intents()) != 0 {
		t.Errorf("dry run sent %d requests, left %d withdrawals and %d intents; want none",
			len(r.wire.sent()), len(r.withdrawals()), len(r.intents()))
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("dry run counted %s against the cap", c)
	}
	if got := r.metric("engine_treasury_dry_runs_total", map[string]string{"policy": "btc-cold"}); got != 1 {
		t.Errorf("engine_treasury_dry_runs_total = %v, want 1", got)
	}
	if !r.venueAvailable("BTC").Equal(d("5")) {
		t.Errorf("venue BTC %s, want 5 untouched", r.venueAvailable("BTC"))
	}
}

func TestDailyCapsPersistAcrossARestart(t *testing.T) {
	r := newRig(t, coldSection("1.5", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("1.5")) {
		t.Fatalf("Sweep = %+v, %v; want 1.5 sent, clipped by the daily cap", res, err)
	}
	if !strings.Contains(res.Reason, "clipped") {
		t.Errorf("reason %q does not say the amount was clipped", res.Reason)
	}
	ws := r.withdrawals()
	if err := r.venue.CompleteWithdrawal(ws[0].ID, true); err != nil {
		t.Fatal(err)
	}
	r.restart() // Recover settles it by lookup
	if in := r.intent(res.ClientID); in.State != ledger.StateSucceeded {
		t.Fatalf("intent after restart %s, want succeeded", in.State)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.Equal(d("1.5")) {
		t.Fatalf("daily total after restart %s, want 1.5", c)
	}
	// 3.5 BTC left, 2.5 above target: the cap is used up today.
	res, err = r.sweep("btc-cold")
	if !errors.Is(err, treasury.ErrCapReached) || res.Outcome != treasury.OutcomeRefused {
		t.Fatalf("Sweep after restart = %+v, %v; want refused by the cap", res, err)
	}
	if n := len(r.withdrawals()); n != 1 {
		t.Fatalf("venue holds %d withdrawals, want 1", n)
	}
	if got := r.metric("engine_treasury_cap_remaining", map[string]string{"scope": "cold", "asset": "BTC"}); got != 0 {
		t.Errorf("cap_remaining{cold} = %v, want 0", got)
	}
	// A new UTC day, a new cap.
	r.clock.Set(monday.Add(24 * time.Hour))
	res, err = r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("1.5")) {
		t.Fatalf("Sweep the next day = %+v, %v; want 1.5 sent", res, err)
	}
	r.noViolations()
}

// The global cap holds across policies and destinations of one asset.
func TestGlobalDailyCapAcrossDestinations(t *testing.T) {
	section := coldSection("10", "dry_run = false") + `
[daily_caps]
BTC = "2"

[destinations.vault]
type = "crypto"
asset = "BTC"
network = "Bitcoin"
address = "bc1qvault"
daily_cap = "10"

[policies.btc-vault]
kind = "sweep"
asset = "BTC"
schedule = "@hourly"
min = "3"
target = "3.5"
max = "4"
destination = "vault"
dry_run = false
`
	r := newRig(t, section, rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	r.whitelist("BTC", "bc1qvault", "Bitcoin", true, nil)
	res, err := r.sweep("btc-vault")
	if err != nil || !res.Amount.Equal(d("1.5")) {
		t.Fatalf("vault Sweep = %+v, %v; want 1.5", res, err)
	}
	res, err = r.sweep("btc-cold")
	if err != nil || !res.Amount.Equal(d("0.5")) || !strings.Contains(res.Reason, "daily_caps.BTC") {
		t.Fatalf("cold Sweep = %+v, %v; want 0.5, clipped by daily_caps.BTC", res, err)
	}
	var total = d("0")
	for _, w := range r.withdrawals() {
		total = total.Add(w.Amount)
	}
	if !total.Equal(d("2")) {
		t.Errorf("withdrawn %s today, want the global cap 2", total)
	}
}

// A withdrawal the venue fails is reversed (by the webhook, through
// package inbound) and its caps are given back.
func TestFailedWithdrawalIsReversedAndReleasesTheCaps(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if err != nil {
		t.Fatal(err)
	}
	w := r.withdrawals()[0]
	if err := r.venue.CompleteWithdrawal(w.ID, false); err != nil {
		t.Fatal(err)
	}
	r.webhook(webhook.EventWithdrawalStatusUpdated, webhook.Withdrawal{ID: w.ID, ClientID: res.ClientID, Asset: "BTC",
		Amount: hercle.N(w.Amount), Network: "Bitcoin", Destination: coldAddress, Status: hercle.BankingFailure})
	if in := r.intent(res.ClientID); in.State != ledger.StateFailed {
		t.Fatalf("intent after the FAILURE webhook %s, want failed", in.State)
	}
	r.poll()
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("daily total after the failure %s, want 0: the caps are released", c)
	}
	if b := r.balance(ledger.VenueAvailable(ledger.Hercle), "BTC"); !b.Equal(d("5")) {
		t.Errorf("venue:hercle:available %s, want 5 as at the start after the reversal", b)
	}
	r.verify()
	if got := r.metric("engine_treasury_resolved_total", map[string]string{"method": "withdrawal", "outcome": "failed"}); got != 1 {
		t.Errorf("resolved{failed} = %v, want 1", got)
	}
}

func TestMaintenanceWindowDefersTheSweep(t *testing.T) {
	cet := time.FixedZone("UTC+01:00", 3600)
	gate, err := scheduler.NewGate(scheduler.GateConfig{Weekly: []scheduler.Weekly{scheduler.HercleMaintenance()},
		Before: 5 * time.Minute, After: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 3, 9, 56, 0, 0, cet) // Wednesday, inside the margin before 10:00
	end := time.Date(2026, 6, 3, 11, 5, 0, 0, cet)
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{start: start, gate: gate,
		maintenance: sim.WeeklyWindow(time.Wednesday, 10*time.Hour, time.Hour, cet)})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	s, err := scheduler.New(scheduler.Options{Clock: r.clock.Clock(), Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.tr.Register(s); err != nil {
		t.Fatal(err)
	}
	if res, err := r.sweep("btc-cold"); !errors.Is(err, treasury.ErrMaintenance) || res.Outcome != treasury.OutcomeSkipped {
		t.Fatalf("Sweep inside the window = %+v, %v; want skipped with ErrMaintenance", res, err)
	}
	for _, at := range []time.Time{start.Add(4 * time.Minute), start.Add(34 * time.Minute), end.Add(-time.Second)} {
		r.clock.Set(at)
		if n := s.RunDue(r.ctx); n != 0 {
			t.Fatalf("%d jobs ran at %s, inside the window", n, at.Format(time.RFC3339))
		}
	}
	if len(r.wire.sent()) != 0 || len(r.withdrawals()) != 0 || len(r.intents()) != 0 {
		t.Fatalf("something was sent or recorded inside the window")
	}
	r.clock.Set(end)
	r.prices()
	s.RunDue(r.ctx)
	ws := r.withdrawals()
	if len(ws) != 1 {
		t.Fatalf("venue holds %d withdrawals after the window, want the deferred sweep's one", len(ws))
	}
	if ws[0].Time.Before(end) {
		t.Errorf("withdrawal at %s, before the window's end %s", ws[0].Time, end)
	}
	if next, ok := s.Next(); !ok || !next.After(end) {
		t.Errorf("next job at %v, want after the window", next)
	}
	r.noViolations()
}

// With in_window = "skip", a run due inside the window does not happen at
// all: the next one is the schedule's next activation, the next day.
func TestMaintenanceWindowSkipsWhenConfigured(t *testing.T) {
	cet := time.FixedZone("UTC+01:00", 3600)
	gate, err := scheduler.NewGate(scheduler.GateConfig{Weekly: []scheduler.Weekly{scheduler.HercleMaintenance()},
		Before: 5 * time.Minute, After: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 3, 9, 0, 0, 0, cet)
	section := strings.Replace(coldSection("10", "dry_run = false"), "lookups = 3", "lookups = 3\nin_window = \"skip\"", 1)
	section = strings.Replace(section, `schedule = "0 */10 * * * *"`, `schedule = "0 30 9 * * *"`, 1) // daily, 10:30 at UTC+01:00
	r := newRig(t, section, rigOptions{start: start, gate: gate})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	s, err := scheduler.New(scheduler.Options{Clock: r.clock.Clock(), Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.tr.Register(s); err != nil {
		t.Fatal(err)
	}
	for at := start; at.Before(start.Add(6 * time.Hour)); at = at.Add(5 * time.Minute) {
		r.clock.Set(at)
		s.RunDue(r.ctx)
	}
	if n := len(r.withdrawals()); n != 0 {
		t.Fatalf("%d withdrawals, want none: the only activation of the day fell inside the window", n)
	}
	r.clock.Set(time.Date(2026, 6, 4, 10, 30, 0, 0, cet)) // Thursday
	r.prices()
	s.RunDue(r.ctx)
	if n := len(r.withdrawals()); n != 1 {
		t.Fatalf("%d withdrawals on Thursday, want the day's one", n)
	}
}

func TestUnknownOutcomeIsResolvedByLookupWithoutASecondWithdrawal(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	r.wire.inject(faultAfterApply)
	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || !strings.Contains(res.Reason, "found by Client-Id") {
		t.Fatalf("Sweep = %+v, %v; want sent, found by Client-Id after the 500", res, err)
	}
	cid := res.ClientID
	if in := r.intent(cid); in.State != ledger.StateUnknown {
		t.Fatalf("intent %s, want unknown until the final status", in.State)
	}
	r.credit("BTC", d("3"))
	if res, err := r.sweep("btc-cold"); err != nil || res.Outcome != treasury.OutcomeSkipped {
		t.Fatalf("second Sweep = %+v, %v; want skipped while %s is unresolved", res, err, cid)
	}
	r.clock.Advance(61 * time.Second)
	r.poll() // unknown: looked up at once, not after poll_after
	if in := r.intent(cid); in.State != ledger.StateResolved || in.Outcome != ledger.StateSucceeded {
		t.Fatalf("intent %s/%s, want resolved succeeded", in.State, in.Outcome)
	}
	if n := r.venue.Executions(cid); n != 1 {
		t.Errorf("venue executed %s %d times, want 1", cid, n)
	}
	if got := r.wire.sent(); len(got) != 1 || len(r.withdrawals()) != 1 {
		t.Errorf("requests %v and %d withdrawals, want exactly one", got, len(r.withdrawals()))
	}
	if b := r.balance(coldAccount, "BTC"); !b.Equal(d("4")) {
		t.Errorf("cold received %s, want 4", b)
	}
	r.verify()
}

// A request that never reached the venue is looked up until the lookups
// run out, then failed and reversed; only then does a later run send anew.
func TestLostRequestFailsAfterItsLookups(t *testing.T) {
	r := newRig(t, coldSection("10", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	r.wire.inject(faultLost)
	res, err := r.sweep("btc-cold")
	if !errors.Is(err, treasury.ErrUnresolved) || res.Outcome != treasury.OutcomeUnknown {
		t.Fatalf("Sweep = %+v, %v; want unresolved", res, err)
	}
	cid := res.ClientID
	r.credit("BTC", d("3"))  // enough for the policy to send again, were the first not unresolved
	for i := 0; i < 2; i++ { // lookups = 3: one at once, two polls
		if in := r.intent(cid); in.State != ledger.StateUnknown {
			t.Fatalf("after %d polls intent %s, want unknown", i, in.State)
		}
		if res, err := r.sweep("btc-cold"); err != nil || res.Outcome != treasury.OutcomeSkipped {
			t.Fatalf("Sweep while unresolved = %+v, %v; want skipped", res, err)
		}
		r.poll()
	}
	if in := r.intent(cid); in.State != ledger.StateResolved || in.Outcome != ledger.StateFailed {
		t.Fatalf("intent %s/%s after the lookups, want resolved failed", in.State, in.Outcome)
	}
	if b := r.balance(ledger.Transit(ledger.TransitWithdrawal, cid), "BTC"); !b.IsZero() {
		t.Errorf("in transit %s, want 0 after the reversal", b)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("daily total %s, want 0", c)
	}
	res, err = r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || res.ClientID == cid {
		t.Fatalf("Sweep after the failure = %+v, %v; want a new movement sent", res, err)
	}
	if n := len(r.withdrawals()); n != 1 {
		t.Errorf("venue holds %d withdrawals, want 1", n)
	}
	r.verify()
}

// BenchmarkSweepSendAndSettle measures one whole movement against the
// simulator over loopback: balance, whitelist, caps, the durable intent and
// transit posting (bbolt fsyncs), the withdrawal, and its settlement by a
// REST lookup.
func BenchmarkSweepSendAndSettle(b *testing.B) {
	r := newRig(b, coldSection("1000000", "dry_run = false"), rigOptions{balances: map[market.Asset]decimal.Decimal{"BTC": d("2")}})
	r.tr.Sweep(r.ctx, "btc-cold") // within range: warms the connections
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	b.ResetTimer()
	for b.Loop() {
		r.credit("BTC", d("1.5"))
		res, err := r.tr.Sweep(r.ctx, "btc-cold")
		if err != nil || res.Outcome != treasury.OutcomeSent {
			b.Fatalf("Sweep = %+v, %v", res, err)
		}
		r.clock.Advance(11 * time.Minute)
		if err := r.tr.Poll(r.ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// A withdrawal the venue accepted (2xx, with its id) is not failed because
// a lookup by Client-Id lists nothing: the venue has it, so reversing its
// transit posting and releasing its caps would let the destination take
// more than its daily_cap and put money in the books that left.
func TestAcceptedWithdrawalIsNotFailedWhenItsLookupListsNothing(t *testing.T) {
	r := newRig(t, coldSection("5", "dry_run = false"), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if err != nil || res.Outcome != treasury.OutcomeSent || !res.Amount.Equal(d("4")) {
		t.Fatalf("Sweep = %+v, %v; want 4 sent", res, err)
	}
	cid := res.ClientID
	if in := r.intent(cid); !in.Acknowledged() || in.VenueRef != r.withdrawals()[0].ID {
		t.Fatalf("intent %+v: want acknowledged with the venue's id", in)
	}
	r.wire.hideLookups()
	r.restart()                       // what the venue acknowledged is known from the ledger, not memory
	r.clock.Advance(11 * time.Minute) // past poll_after: polled by Client-Id
	for range 5 {                     // lookups = 3
		r.poll()
		r.clock.Advance(time.Minute)
	}
	if in := r.intent(cid); outcomeFailed(in) {
		t.Fatalf("intent %s/%s: an accepted withdrawal was failed for want of a lookup", in.State, in.Outcome)
	}
	if b := r.balance(ledger.Transit(ledger.TransitWithdrawal, cid), "BTC"); !b.Equal(d("4")) {
		t.Errorf("in transit %s, want the 4 the venue accepted", b)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.Equal(d("4")) {
		t.Errorf("daily total of cold = %s, want 4 (not released)", c)
	}
	r.credit("BTC", d("3"))
	if res, err := r.sweep("btc-cold"); res.Outcome == treasury.OutcomeSent {
		t.Errorf("Sweep = %+v, %v; want nothing more sent to cold while %s is unresolved", res, err, cid)
	}
	if n := len(r.withdrawals()); n != 1 {
		t.Errorf("venue holds %d withdrawals, want 1 (daily_cap 5)", n)
	}
	r.noViolations()
	r.verify()
}

func outcomeFailed(in ledger.Intent) bool {
	return in.State == ledger.StateFailed || in.State == ledger.StateResolved && in.Outcome == ledger.StateFailed
}

// max_fee_ratio bounds the fee against the amount actually sent: an
// amount clipped by a daily cap is checked again, so a sweep the cap shrank
// does not go out paying more than the policy allows.
func TestClippedAmountStillHonoursMaxFeeRatio(t *testing.T) {
	// 4 BTC excess, fee 0.0001, max_fee_ratio 0.001: fine for 4 BTC,
	// not for the 0.05 the cap leaves (0.2%).
	r := newRig(t, coldSection("0.05", "dry_run = false\nmax_fee_ratio = \"0.001\""), rigOptions{})
	r.whitelist("BTC", coldAddress, "Bitcoin", true, nil)
	res, err := r.sweep("btc-cold")
	if res.Outcome == treasury.OutcomeSent {
		t.Fatalf("Sweep = %+v, %v; want nothing sent: fee 0.0001 on %s is above max_fee_ratio 0.001", res, err, res.Amount)
	}
	if n := len(r.withdrawals()); n != 0 {
		t.Errorf("venue holds %d withdrawals, want none", n)
	}
	if c := r.counter(ledger.DailyWithdrawn(monday, coldAccount)); !c.IsZero() {
		t.Errorf("daily total %s, want 0", c)
	}
}
