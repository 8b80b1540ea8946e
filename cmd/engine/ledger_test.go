package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.etcd.io/bbolt"

	"github.com/otcdesk/engine/ledger"
)

// fixtureLedger writes a small ledger: an opening balance, a trade, a
// withdrawal in transit and three intents.
func fixtureLedger(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := ledger.Open(path, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	d := decimal.RequireFromString
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	hercle := ledger.VenueAvailable(ledger.Hercle)
	entries := []ledger.Entry{
		{Key: "opening", Kind: ledger.KindOpening, Time: at, Postings: []ledger.Posting{
			{Account: hercle, Asset: "BTC", Amount: d("2")},
			{Account: ledger.OpeningBalance(), Asset: "BTC", Amount: d("-2")}}},
		{Key: "hercle:trade:1", Kind: ledger.KindTrade, Time: at.Add(time.Hour), ClientID: "O1", Postings: []ledger.Posting{
			{Account: hercle, Asset: "BTC", Amount: d("-0.5")},
			{Account: ledger.Counterparty(ledger.Hercle), Asset: "BTC", Amount: d("0.5")},
			{Account: hercle, Asset: "USDT", Amount: d("30000.25")},
			{Account: ledger.Counterparty(ledger.Hercle), Asset: "USDT", Amount: d("-30000.25")}}},
		{Key: "W1:sent", Kind: ledger.KindWithdrawal, Time: at.Add(48 * time.Hour), ClientID: "W1", Memo: "sweep, \"cold\"", Postings: []ledger.Posting{
			{Account: hercle, Asset: "BTC", Amount: d("-1")},
			{Account: ledger.Transit(ledger.TransitWithdrawal, "W1"), Asset: "BTC", Amount: d("1")}}},
	}
	for _, e := range entries {
		if _, _, err := s.Post(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"O1", "W1", "P1"} {
		kind := ledger.IntentOrder
		if id == "W1" {
			kind = ledger.IntentWithdrawal
		}
		if _, _, err := s.CreateIntent(ctx, ledger.Intent{ClientID: id, Kind: kind, Venue: ledger.Hercle}); err != nil {
			t.Fatal(err)
		}
	}
	s.Transition(ctx, "O1", ledger.StateSubmitted, ledger.Detail{})
	if _, err := s.Transition(ctx, "O1", ledger.StateSucceeded, ledger.Detail{VenueRef: "ord-9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, "W1", ledger.StateSubmitted, ledger.Detail{}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLedgerCommands(t *testing.T) {
	db := fixtureLedger(t)
	cfg := writeFile(t, "mode = \"paper\"\n[ledger]\npath = \""+db+"\"\n")
	tests := []struct {
		name     string
		args     []string
		want     []string
		dontWant []string
	}{
		{"balances", []string{"balances", "-db", db}, []string{"ACCOUNT", "venue:hercle:available  BTC    0.5", "USDT   30000.25", "transit:withdrawal:W1"}, nil},
		{"balances via config", []string{"balances", "-config", cfg, "-account", "transit"}, []string{"transit:withdrawal:W1"}, []string{"venue:hercle"}},
		{"balances by asset", []string{"balances", "-db", db, "-asset", "usdt"}, []string{"30000.25"}, []string{"BTC"}},
		{"journal", []string{"journal", "-db", db}, []string{"SEQ", "hercle:trade:1", "counterparty:hercle", "W1:sent"}, nil},
		{"journal by kind", []string{"journal", "-db", db, "-kind", "trade"}, []string{"hercle:trade:1"}, []string{"W1:sent", "opening"}},
		{"journal by account", []string{"journal", "-db", db, "-account", "transit"}, []string{"W1:sent"}, []string{"hercle:trade:1"}},
		{"journal by time", []string{"journal", "-db", db, "-since", "2025-03-04T10:30:00Z", "-until", "2025-03-05"}, []string{"hercle:trade:1"}, []string{"W1:sent", "opening"}},
		{"journal by asset", []string{"journal", "-db", db, "-asset", "USDT"}, []string{"hercle:trade:1"}, []string{"W1:sent"}},
		{"intents", []string{"intents", "-db", db}, []string{"CLIENT-ID", "O1", "ord-9", "P1", "W1"}, nil},
		{"intents unfinished", []string{"intents", "-db", db, "-state", "unfinished"}, []string{"P1", "W1"}, []string{"O1"}},
		{"intents by state", []string{"intents", "-db", db, "-state", "submitted"}, []string{"W1"}, []string{"O1", "P1"}},
		{"verify", []string{"verify", "-db", db}, []string{"OK"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runEngine(t, nil, append([]string{"ledger"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q, filtered out:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestLedgerJSONAndExport(t *testing.T) {
	db := fixtureLedger(t)
	code, stdout, stderr := runEngine(t, nil, "ledger", "balances", "-db", db, "-json")
	var bal []struct{ Account, Asset, Amount string }
	if code != exitOK || json.Unmarshal([]byte(stdout), &bal) != nil || len(bal) != 6 {
		t.Fatalf("balances -json = %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runEngine(t, nil, "ledger", "intents", "-db", db, "-json", "-state", "succeeded")
	var ins []struct {
		ClientID string `json:"client_id"`
		History  []any  `json:"history"`
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &ins) != nil || len(ins) != 1 || ins[0].ClientID != "O1" || len(ins[0].History) != 3 {
		t.Fatalf("intents -json = %d %q", code, stdout)
	}

	code, stdout, _ = runEngine(t, nil, "ledger", "export", "-db", db, "-format", "json")
	var entries []struct {
		Key      string
		Postings []struct{ Account, Asset, Amount string }
	}
	if code != exitOK || json.Unmarshal([]byte(stdout), &entries) != nil || len(entries) != 3 ||
		entries[1].Postings[2].Amount != "30000.25" {
		t.Fatalf("export -format json = %d %q", code, stdout)
	}

	out := filepath.Join(t.TempDir(), "journal.csv")
	code, _, stderr = runEngine(t, nil, "ledger", "export", "-db", db, "-o", out)
	if code != exitOK {
		t.Fatalf("export csv = %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 1+2+4+2 || rows[0][9] != "amount" || rows[3][7] != "venue:hercle:available" || rows[3][9] != "-0.5" {
		t.Fatalf("export csv rows = %q, %v", rows, err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode = %v, want 0600", fi.Mode().Perm())
	}
	if code, _, _ := runEngine(t, nil, "ledger", "export", "-db", db, "-o", out); code != exitFailure {
		t.Errorf("export over an existing file = %d, want %d", code, exitFailure)
	}
}

func TestLedgerErrors(t *testing.T) {
	db := fixtureLedger(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", nil, exitUsage, "Usage: engine ledger"},
		{"unknown subcommand", []string{"frob"}, exitUsage, "unknown subcommand"},
		{"bad flag", []string{"balances", "-bogus"}, exitUsage, "flag provided but not defined"},
		{"stray argument", []string{"balances", "-db", db, "extra"}, exitUsage, "unexpected argument"},
		{"bad time", []string{"journal", "-db", db, "-since", "yesterday"}, exitUsage, "neither RFC 3339"},
		{"bad kind", []string{"journal", "-db", db, "-kind", "gift"}, exitUsage, "want one of"},
		{"bad state", []string{"intents", "-db", db, "-state", "done"}, exitUsage, "-state"},
		{"bad format", []string{"export", "-db", db, "-format", "xml"}, exitUsage, "want csv or json"},
		{"csv and json at once", []string{"export", "-db", db, "-format", "csv", "-json"}, exitUsage, "-json"},
		{"window ends before it starts", []string{"journal", "-db", db, "-since", "2025-03-05", "-until", "2025-03-04"}, exitUsage, "-until"},
		{"empty window", []string{"export", "-db", db, "-since", "2025-03-05", "-until", "2025-03-05"}, exitUsage, "-until"},
		{"bad asset", []string{"balances", "-db", db, "-asset", "US DT"}, exitUsage, "-asset"},
		{"bad asset in journal", []string{"journal", "-db", db, "-asset", "btc,eth"}, exitUsage, "-asset"},
		{"unknown account class", []string{"journal", "-db", db, "-account", "vneue:hercle"}, exitUsage, "-account"},
		{"unknown account class in balances", []string{"balances", "-db", db, "-account", "hercle"}, exitUsage, "-account"},
		{"missing file", []string{"balances", "-db", filepath.Join(t.TempDir(), "none.db")}, exitFailure, "no ledger file"},
		{"missing config", []string{"balances", "-config", filepath.Join(t.TempDir(), "none.toml")}, exitUsage, "-db"},
		{"not a ledger", []string{"balances", "-db", writeFile(t, "mode = \"paper\"\n")}, exitFailure, "not a ledger file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runEngine(t, nil, append([]string{"ledger"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
	_, _, usage := runEngine(t, nil, "ledger")
	synopsis, _, _ := strings.Cut(usage, "\n")
	for _, sub := range []string{"balances", "journal", "intents", "export", "verify"} {
		if code, _, stderr := runEngine(t, nil, "ledger", sub, "-h"); code != exitOK || !strings.Contains(stderr, "Example:") {
			t.Errorf("ledger %s -h = %d, %q; want 0 and an example", sub, code, stderr)
		}
		if !strings.Contains(synopsis, sub) {
			t.Errorf("usage synopsis %q does not name the subcommand %s", synopsis, sub)
		}
	}
}

// TestLedgerInUse: while the engine holds the file, the command says so
// within the lock timeout and exits 1.
func TestLedgerInUse(t *testing.T) {
	db := fixtureLedger(t)
	s, err := ledger.Open(db, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := writeFile(t, "mode = \"paper\"\n[ledger]\npath = \""+db+"\"\nlock_timeout = \"50ms\"\n")
	code, _, stderr := runEngine(t, nil, "ledger", "balances", "-config", cfg)
	if code != exitFailure || !strings.Contains(stderr, "in use by a running engine") {
		t.Errorf("ledger balances on a held file = %d, %q; want 1 and 'in use'", code, stderr)
	}
}

// TestLedgerVerifyDetectsTampering: a balance changed behind the ledger's
// back makes verify fail with exit 1 and name the account.
func TestLedgerVerifyDetectsTampering(t *testing.T) {
	db := fixtureLedger(t)
	bdb, err := bbolt.Open(db, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("balances")).Put([]byte("fees:hercle\x00USDT"), []byte("1"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runEngine(t, nil, "ledger", "verify", "-db", db)
	if code != exitFailure || !strings.Contains(stderr, "fees:hercle USDT") {
		t.Errorf("ledger verify on a tampered file = %d, %q; want 1 naming fees:hercle USDT", code, stderr)
	}
}
