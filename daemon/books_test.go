package daemon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/internal/tomlval"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
	"github.com/otcdesk/engine/sim/heropay"
	"github.com/otcdesk/engine/strategy"
)

// movementsTOML has one policy per kind of treasury movement, each sending
// once: a crypto withdrawal of ETH, a Lightning payment of BTC to a
// Lightning Address (served by the simulator's LNURL-pay), a bank transfer
// of EUR to a registered payee, and a settlement of the Heropayments USDT
// balance into Hercle.
const movementsTOML = `
poll_after = "1s"
poll_every = "1s"

[destinations.eth-cold]
type = "crypto"
asset = "ETH"
network = "Ethereum"
address = "0x00000000000000000000000000000000c01dc01d"
daily_cap = "100"

[destinations.ln]
type = "lightning"
asset = "BTC"
address = "treasury@wallet.example"
daily_cap = "1"

[destinations.bank]
type = "bank"
asset = "EUR"
network = "SEPA"
address = "IT60X0542811101000000123456"
address_params = { bic = "AABCDEFX" }
daily_cap = "100000"
payee = { type = "company", company = "Acme Treasury Srl", name = "Maria", surname = "Rossi", country = "IT", state = "MI", city = "Milano", address = "Via Roma 1", postal_code = "20121" }

[destinations.hercle-usdt]
type = "hercle_deposit"
asset = "USDT"
network = "Tron"
daily_cap = "1000000"

[policies.eth-cold]
kind = "sweep"
asset = "ETH"
schedule = "* * * * * *"
min = "10"
target = "80"
max = "90"
destination = "eth-cold"
min_sweep = "1"
dry_run = false

[policies.btc-ln]
kind = "sweep"
asset = "BTC"
schedule = "* * * * * *"
min = "1"
target = "9.9"
max = "9.95"
destination = "ln"
min_sweep = "0.001"
dry_run = false

[policies.eur-bank]
kind = "sweep"
asset = "EUR"
schedule = "* * * * * *"
min = "1"
target = "990000"
max = "995000"
destination = "bank"
min_sweep = "100"
dry_run = false

[policies.settle]
kind = "settlement"
asset = "USDT"
flow = "v2"
customer_id = "treasury"
schedule = "* * * * * *"
min = "0"
target = "1000"
max = "2000"
destination = "hercle-usdt"
min_sweep = "100"
max_network_fee = "2"
dry_run = false
`

// TestRiskSeesTheBooksAfterEveryMovement runs every kind of treasury
// movement in the paper-mode daemon and, after each, compares the
// balances risk checks the next intent against (the loop's, from the
// ledger's commit hook) with the ledger's own, without a restart: a crypto
// withdrawal sent and settled, a Lightning payment to a Lightning Address
// settled in the ledger (transit:lightning → external:lightning), a bank
// transfer, a settlement from Heropayments landing at Hercle, and a
// deposit.
func TestRiskSeesTheBooksAfterEveryMovement(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end over the simulators: about 15 s")
	}
	cfg := paperConfig(t.TempDir())
	if _, err := toml.Decode(movementsTOML, &cfg.Treasury); err != nil {
		t.Fatal(err)
	}
	cfg.Heropayments.Enabled = true
	big := tomlval.Dec(decimal.RequireFromString("100000000"))
	cfg.Risk.Transfers.MaxDaily = big
	cfg.Risk.Transfers.Destinations = map[string]tomlval.Decimal{"eth-cold": big, "ln": big, "bank": big}
	h := start(t, cfg, daemon.Options{
		Sim: func(o *sim.Options) {
			o.ConfirmAfter, o.SettleAfter = 200*time.Millisecond, 400*time.Millisecond
			o.Dedup = false
		},
		Heropayments: func(o *heropay.Options) { o.Balance, o.Step = decimal.NewFromInt(5000), 200*time.Millisecond },
	})
	v := h.info.Sim.Venue()
	w, err := v.WhitelistAddress(sim.WhitelistRequest{Name: "eth-cold", Asset: "ETH", Address: "0x00000000000000000000000000000000c01dc01d", Network: "Ethereum"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ApproveWhitelist(w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := v.CreateDepositAddress("EUR", "SEPA"); err != nil { // the account bank transfers are paid from
		t.Fatal(err)
	}
	h.waitMetric("engine_treasury_resolved_total", map[string]string{"method": "withdrawal", "outcome": "succeeded"}, 1)
	h.booksAgree("a crypto withdrawal settled")

	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "btc-ln", "outcome": "sent"}, 1)
	h.waitJournal("the Lightning payment settled", func(e ledger.Entry) bool {
		return e.Kind == ledger.KindWithdrawalSettled && hasPosting(e, "external:lightning:ln") && hasPosting(e, "transit:lightning:")
	})
	h.booksAgree("a Lightning payment settled")

	approvePayee(t, v)
	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "eur-bank", "outcome": "sent"}, 1)
	h.booksAgree("a bank transfer sent")

	h.waitMetric("engine_treasury_runs_total", map[string]string{"policy": "settle", "outcome": "sent"}, 1)
	h.waitJournal("the settlement landed at Hercle", func(e ledger.Entry) bool {
		return e.Kind == ledger.KindTransferSettled && hasPosting(e, "transit:settlement:")
	})
	h.booksAgree("a settlement landed")

	if _, err := v.Credit("BTC", decimal.RequireFromString("0.5")); err != nil {
		t.Fatal(err)
	}
	h.waitJournal("the deposit credited", func(e ledger.Entry) bool { return e.Kind == ledger.KindDeposit })
	h.booksAgree("a deposit credited")
}

// booksAgree waits until no intent is open and the balances risk sees
// equal the ledger's venue balances, asset by asset: available plus
// allocated for the total, available for what may be spent.
func (h *harness) booksAgree(after string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var diff string
	for {
		code, body := h.admin("GET", "/admin/status", adminToken)
		if code != 200 {
			h.t.Fatalf("after %s: /admin/status = %d %s", after, code, body)
		}
		var st daemon.Status
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			h.t.Fatal(err)
		}
		if diff = compareBooks(st); diff == "" && st.OpenIntents == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("after %s risk's balances differ from the ledger's (open intents %d): %s", after, st.OpenIntents, diff)
		}
		time.Sleep(20 * time.Millisecond) // polling an HTTP endpoint for a condition
	}
}

// compareBooks describes how st's risk balances differ from its ledger
// balances; "" if they agree.
func compareBooks(st daemon.Status) string {
	type key struct{ venue, asset string }
	total, avail := map[key]decimal.Decimal{}, map[key]decimal.Decimal{}
	for _, b := range st.Balances {
		parts := strings.Split(b.Account, ":")
		if len(parts) != 3 || parts[0] != "venue" {
			continue
		}
		k := key{parts[1], b.Asset}
		amt := decimal.RequireFromString(b.Amount)
		total[k] = total[k].Add(amt)
		if parts[2] == "available" {
			avail[k] = avail[k].Add(amt)
		}
	}
	var diffs []string
	seen := map[key]bool{}
	for _, r := range st.RiskBalances {
		k := key{r.Venue, r.Asset}
		seen[k] = true
		if !decimal.RequireFromString(r.Total).Equal(total[k]) || !decimal.RequireFromString(r.Available).Equal(avail[k]) {
			diffs = append(diffs, fmt.Sprintf("%s %s: risk %s/%s, ledger %s/%s", r.Venue, r.Asset, r.Total, r.Available, total[k], avail[k]))
		}
	}
	for k, v := range total {
		if !seen[k] && !v.IsZero() {
			diffs = append(diffs, fmt.Sprintf("%s %s: ledger %s, risk has none", k.venue, k.asset, v))
		}
	}
	return strings.Join(diffs, "; ")
}

// waitJournal waits until the journal, read through the admin API (the
// running engine holds the file), has an entry matching ok.
func (h *harness) waitJournal(what string, ok func(ledger.Entry) bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, e := range h.entries() {
			if ok(e) {
				return
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s: no such journal entry\n%s", what, tail(h.logs.String(), 40))
		}
		time.Sleep(50 * time.Millisecond) // polling the journal for a condition
	}
}

// entries reads the journal through the admin API.
func (h *harness) entries() []ledger.Entry {
	h.t.Helper()
	code, body := h.admin("GET", "/admin/journal", adminToken)
	if code != 200 {
		h.t.Fatalf("/admin/journal = %d %s", code, body)
	}
	var es []ledger.Entry
	if err := json.Unmarshal([]byte(body), &es); err != nil {
		h.t.Fatal(err)
	}
	return es
}

func hasPosting(e ledger.Entry, prefix string) bool {
	for _, p := range e.Postings {
		if strings.HasPrefix(p.Account.String(), prefix) {
			return true
		}
	}
	return false
}

// approvePayee approves the first payee address registered at the venue,
// as Hercle's compliance would, unless the venue approved it already;
// the venue's webhook tells the engine.
func approvePayee(t *testing.T, v *sim.Venue) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ps, err := v.Payees(sim.CursorQuery{Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps.Items {
			as, err := v.PayeeAddresses(p.ID, sim.CursorQuery{Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as.Items {
				if a.Status == sim.PayeeAddressStatusApproved {
					return // the venue approved it (sim.payee_approval = "auto")
				}
				if _, err := v.SetPayeeAddressStatus(a.ID, sim.PayeeAddressStatusApproved, "ok"); err == nil {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no payee address registered by treasury")
		}
		time.Sleep(50 * time.Millisecond) // polling the simulator for a condition
	}
}

// GET /admin/journal?limit=N answers the last N entries (matching its
// filter), oldest first: read from the newest back, not the whole journal.
func TestJournalEndpointAnswersTheLast(t *testing.T) {
	cfg := paperConfig(t.TempDir())
	cfg.Strategies = []strategy.Spec{{Kind: "threshold", Name: "s", Params: always("buy", "BTCEUR", "0.001", "otc")}}
	h := start(t, cfg, daemon.Options{})
	h.waitMetric("engine_intents_total", map[string]string{"strategy": "s", "outcome": "filled"}, 3)
	code, body := h.admin("GET", "/admin/journal?limit=1000", adminToken)
	var all, last []ledger.Entry
	if code != 200 || json.Unmarshal([]byte(body), &all) != nil {
		t.Fatalf("/admin/journal = %d %s", code, body)
	}
	code, body = h.admin("GET", "/admin/journal?limit=2&kind=trade", adminToken)
	if code != 200 || json.Unmarshal([]byte(body), &last) != nil {
		t.Fatalf("/admin/journal?limit=2&kind=trade = %d %s", code, body)
	}
	var trades []ledger.Entry
	for _, e := range all {
		if e.Kind == ledger.KindTrade && e.Seq <= last[len(last)-1].Seq {
			trades = append(trades, e)
		}
	}
	if len(last) != 2 || len(trades) < 2 || last[0].Seq != trades[len(trades)-2].Seq || last[1].Seq != trades[len(trades)-1].Seq {
		t.Fatalf("the last two trades = %v, want the last two of %v, oldest first", seqs(last), seqs(trades))
	}
}

func seqs(es []ledger.Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}
