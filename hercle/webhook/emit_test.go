package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/sim"
)

// emitFixture is a simulator sending webhooks to hercle's handler on
// loopback. The receiver trusts the key the simulator wrote to its PEM
// file: its listener is bound before the simulator starts (so the URL is
// known) and serves once the file is there, as a daemon in paper mode
// would do it.
type emitFixture struct {
	sim   *sim.Server
	venue *sim.Venue
	clock *clock.Manual
	in    *inbox
	code  atomic.Int32 // if not 0, the receiver answers this instead
}

func startEmitting(t *testing.T, wo sim.WebhookOptions) *emitFixture {
	t.Helper()
	f := &emitFixture{clock: newClock(), in: &inbox{}}
	var h http.Handler
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := f.code.Load(); c != 0 {
			w.WriteHeader(int(c))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	wo.URL = "http://" + ts.Listener.Addr().String() + "/webhooks/hercle"
	wo.PublicKeyFile = filepath.Join(t.TempDir(), "sim-webhook.pem")
	wo.MinBackoff, wo.MaxBackoff = time.Millisecond, 10*time.Millisecond
	srv, err := sim.Start(deadline(t), sim.Options{Seed: seed, Clock: f.clock.Clock(), AutoApproveWhitelist: true, Webhooks: wo})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	keys, err := webhook.LoadKeys(wo.PublicKeyFile)
	if err != nil {
		t.Fatalf("the simulator's public key file: %v", err)
	}
	if h, err = webhook.NewHandler(webhook.Config{Keys: keys, Inbox: f.in}); err != nil {
		t.Fatal(err)
	}
	ts.Start()
	f.sim, f.venue = srv, srv.Venue()
	return f
}

func (f *emitFixture) flush(t *testing.T) {
	t.Helper()
	if err := f.sim.Webhooks().Flush(deadline(t)); err != nil {
		t.Fatal(err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// driveEveryChange makes at least one venue state change of each kind
// that has a webhook, through the venue's own methods and test hooks.
func driveEveryChange(t *testing.T, f *emitFixture) {
	t.Helper()
	v := f.venue
	must[sim.Transaction](t)(v.Credit("BTC", d("0.5")))
	acct := must[sim.DepositAccount](t)(v.CreateDepositAccount(sim.DepositAccountRequest{Asset: "EUR", Network: "SEPA", FiatAccountID: "fac_main"}))
	must[sim.DepositAddress](t)(v.CreateDepositAddress("BTC", "BTC"))
	must[sim.PayIn](t)(v.SimulatePayIn(sim.PayInRequest{Amount: d("250.75"), ToAddress: acct.RefAccountID,
		From:     sim.Account{AccountHolderName: "Mario Rossi", IBAN: "IT60X0542811101000000123456", BIC: "BPMOIT22"},
		FromType: "PERSON", PaymentScheme: "SCT", Reference: "invoice 1"}))

	must[sim.WhitelistedAddress](t)(v.WhitelistAddress(sim.WhitelistRequest{Name: "cold", Asset: "BTC", Address: "bc1qcold", Network: "BTC"}))
	w := must[sim.Withdrawal](t)(v.Withdraw(sim.WithdrawalRequest{Asset: "BTC", Amount: d("0.1"), Address: "bc1qcold", Network: "BTC", ClientID: "wd-1"}))
	if err := v.CompleteWithdrawal(w.ID, true); err != nil {
		t.Fatal(err)
	}

	person := json.RawMessage(`{"firstName":"Mario","middleName":"","lastName":"Rossi","email":"mario@example.com","phone":"+393121212",
		"dob":"1990-01-01","birthCountry":"IT","nationality":["IT"],
		"address":{"line1":"Via Roma 1022","line2":"","city":"Milano","state":"MI","postalCode":"20100","country":"IT"},
		"identificationDocument":{"type":"PASSPORT","number":"AX1234567222"}}`)
	must[sim.EndUser](t)(v.RegisterEndUser(sim.Individual, map[string]json.RawMessage{"person": person}, "192.168.1.1", ""))
	business := json.RawMessage(`{"companyName":"Acme Corporation Ltd","tradingName":"Acme","type":"LIMITED","registrationNumber":"12345678",
		"registrationDate":"2020-01-01","registeredAddress":{"line1":"123 Business Street","city":"London","postalCode":"SW1A 1AA","country":"GB"},
		"tradingAddress":{"line1":"456 Trade Avenue","city":"London","postalCode":"EC1A 1BB","country":"GB"},"website":"https://acme.example","phone":"+442071234567"}`)
	persons := json.RawMessage(`[{"person":{"firstName":"John","lastName":"Smith","email":"john@acme.example"},"personTypes":["DIRECTOR","UBO"],"ownership":75.5}]`)
	biz := must[sim.EndUser](t)(v.RegisterEndUser(sim.Business, map[string]json.RawMessage{"business": business, "businessPersons": persons},
		"192.168.1.100", "OTHER_PRODUCTS_SERVICES"))
	must[sim.EndUser](t)(v.UpdateEndUser(biz.ID, sim.EndUserUpdate{IPAddress: "10.0.0.2"}))
	must[sim.EndUser](t)(v.SetEndUserStatus(biz.ID, sim.EndUserSuspended))

	p := must[sim.Payee](t)(v.RegisterPayee(sim.Payee{Type: sim.PayeeCompany, Company: "Acme", Name: "Acme", Country: "IT", City: "Milano"}))
	pa := must[sim.PayeeAddress](t)(v.RegisterPayeeAddress(sim.PayeeAddress{PayeeID: p.ID, Name: "Acme EUR", Asset: "EUR",
		Address: "IT60X0542811101000000999999", Network: "SEPA", Params: map[string]string{"bic": "AABCDEFX"}}))
	must[sim.PayeeAddress](t)(v.SetPayeeAddressStatus(pa.ID, sim.PayeeAddressStatusApproved, "verified"))

	must[sim.Transfer](t)(v.CreateTransfer(sim.TransferRequest{Asset: "EUR", Amount: d("100.25"), InternalAddressID: acct.ID,
		PayeeAddressID: pa.ID, Description: "payout", ClientID: "po-1"}))
	f.clock.Advance(sim.DefaultConfirmAfter)
	v.Advance()
	f.clock.Advance(sim.DefaultSettleAfter)
	v.Advance()
}

// decodeStrictly decodes an event's data into its hercle model refusing
// unknown keys, so a field the simulator sends that the document does not
// define (or misspells) fails the test.
func decodeStrictly(t *testing.T, typ webhook.EventType, data json.RawMessage) {
	t.Helper()
	var model any
	switch typ {
	case webhook.EventDepositStatusUpdated:
		model = new(webhook.Transaction)
	case webhook.EventWithdrawalCreated, webhook.EventWithdrawalStatusUpdated:
		model = new(webhook.Withdrawal)
	case webhook.EventPayoutCreated, webhook.EventPayoutStatusUpdated:
		model = new(webhook.Transfer)
	case webhook.EventVirtualAccountRegistered:
		model = new(webhook.InternalAddress)
	case webhook.EventBalanceUpdated:
		model = new(webhook.AccountBalance)
	case webhook.EventPayeeCreated:
		model = new(webhook.Payee)
	case webhook.EventPayeeStatusUpdated:
		model = new(webhook.PayeeAddress)
	default:
		model = new(webhook.IndividualEndUser)
		if bytes.Contains(bytes.ToLower(data), []byte(`"business":`)) {
			model = new(webhook.BusinessEndUser)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(model); err != nil {
		t.Errorf("%s data does not fit the document's model: %v\n%s", typ, err, data)
	}
}

// TestWebhookEmitterSendsEveryStateChange drives one state change of each
// kind and checks, for both envelope versions, that the receiver stored
// one verified webhook per change, of the right type, whose data fits the
// document's model exactly and says what happened.
func TestWebhookEmitterSendsEveryStateChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format sim.WebhookFormat
	}{
		{"version A", sim.WebhookFormat{}},
		{"version B", sim.WebhookFormat{CamelCase: true, EmbeddedData: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startEmitting(t, sim.WebhookOptions{Format: tc.format})
			driveEveryChange(t, f)
			f.flush(t)

			order, bodies := f.in.stored()
			byType := map[webhook.EventType][]*webhook.Event{}
			for _, id := range order {
				body := bodies[id]
				ev, err := webhook.DecodeEvent(body)
				if err != nil {
					t.Fatalf("event %s: %v", id, err)
				}
				if ev.DataWasString == tc.format.EmbeddedData {
					t.Errorf("%s: data as a string = %v, want %v", ev.EventType, ev.DataWasString, !tc.format.EmbeddedData)
				}
				if hasKey := bytes.Contains(body, []byte(`"EventId":`)); hasKey == tc.format.CamelCase {
					t.Errorf("%s: envelope casing wrong for %s: %s", ev.EventType, tc.name, body[:40])
				}
				if first := firstKey(t, ev.Data); (first[0] >= 'a') != tc.format.CamelCase {
					t.Errorf("%s: data key %q has the wrong casing for %s", ev.EventType, first, tc.name)
				}
				if !ev.Timestamp.Valid() {
					t.Errorf("%s: no event timestamp", ev.EventType)
				}
				decodeStrictly(t, ev.EventType, ev.Data)
				byType[ev.EventType] = append(byType[ev.EventType], ev)
			}
			for _, typ := range webhook.EventTypes() {
				if len(byType[typ]) == 0 {
					t.Errorf("no %s webhook", typ)
				}
			}
			checkPayloads(t, f, byType)
			if st := f.sim.Webhooks().Stats(); st.Delivered != int64(len(order)) || st.Failed != 0 || st.Refused != 0 {
				t.Errorf("sender stats %+v, want %d delivered at the first attempt", st, len(order))
			}
		})
	}
}

func firstKey(t *testing.T, data json.RawMessage) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("data is not an object: %s", data)
	}
	tok, err := dec.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.(string)
}

// checkPayloads checks that the data says what the venue did: movements
// and balances here, registrations in checkRegistrationPayloads.
func checkPayloads(t *testing.T, f *emitFixture, byType map[webhook.EventType][]*webhook.Event) {
	t.Helper()
	var withdrawal []string
	for _, typ := range []webhook.EventType{webhook.EventWithdrawalCreated, webhook.EventWithdrawalStatusUpdated} {
		for _, ev := range byType[typ] {
			w := ev.Payload.(*webhook.Withdrawal)
			if w.ClientID != "wd-1" || !w.Amount.Decimal.Equal(d("0.1")) || w.Asset != "BTC" || w.Destination != "bc1qcold" {
				t.Errorf("%s = %+v", typ, w)
			}
			withdrawal = append(withdrawal, string(w.Status))
		}
	}
	if want := []string{"CREATED", "CONFIRMING", "SUCCESS"}; !slices.Equal(withdrawal, want) {
		t.Errorf("withdrawal statuses %v, want %v", withdrawal, want)
	}
	var payout []string
	for _, typ := range []webhook.EventType{webhook.EventPayoutCreated, webhook.EventPayoutStatusUpdated} {
		for _, ev := range byType[typ] {
			p := ev.Payload.(*webhook.Transfer)
			if p.ClientID != "po-1" || p.Debtor == nil || p.Creditor == nil || !p.Debtor.Amount.Decimal.Equal(d("100.25")) ||
				p.Creditor.Network != "SEPA" || p.Creditor.AddressParams["bic"] != "AABCDEFX" || p.Debtor.Network != "SEPA" {
				t.Errorf("%s = %+v, debtor %+v, creditor %+v", typ, p, p.Debtor, p.Creditor)
			}
			payout = append(payout, string(p.Status))
		}
	}
	if want := []string{"CREATED", "CONFIRMING", "SUCCESS"}; !slices.Equal(payout, want) {
		t.Errorf("payout statuses %v, want %v", payout, want)
	}
	var payIn *webhook.Transaction
	for _, ev := range byType[webhook.EventDepositStatusUpdated] {
		if tx := ev.Payload.(*webhook.Transaction); tx.Asset == "EUR" {
			payIn = tx
		}
	}
	if payIn == nil || !payIn.Amount.Decimal.Equal(d("250.75")) || payIn.Status != "SUCCESS" || payIn.Debtor == nil ||
		payIn.Debtor.IBAN != "IT60X0542811101000000123456" || payIn.SourceRefID != "invoice 1" {
		t.Errorf("pay-in deposit = %+v", payIn)
	}
	var last int64
	for _, ev := range byType[webhook.EventBalanceUpdated] {
		b := ev.Payload.(*webhook.AccountBalance)
		if b.Sequence <= last || b.UserID != f.venue.UserID() || len(b.Assets) == 0 {
			t.Errorf("balance update sequence %d after %d (user %q, %d assets)", b.Sequence, last, b.UserID, len(b.Assets))
		}
		last = b.Sequence
	}
	if last != int64(f.venue.Balances().Sequence) {
		t.Errorf("last balance sequence sent %d, venue at %d", last, f.venue.Balances().Sequence)
	}
	checkRegistrationPayloads(t, byType)
}

// checkRegistrationPayloads checks the registrations' data: internal
// addresses, end users, payees and their addresses.
func checkRegistrationPayloads(t *testing.T, byType map[webhook.EventType][]*webhook.Event) {
	t.Helper()
	var crypto, virtual int
	for _, ev := range byType[webhook.EventVirtualAccountRegistered] {
		ia := ev.Payload.(*webhook.InternalAddress)
		switch {
		case ia.RefAccountType.IsCrypto() && ia.RefAccountType == webhook.RefAccountCryptoAsDoc:
			crypto++
		case ia.RefAccountType == webhook.RefAccountVirtual && ia.MasterFiatAccountID == "fac_main" && strings.HasPrefix(ia.RefAccountID, "vac_"):
			virtual++
		default:
			t.Errorf("internal address %+v", ia)
		}
	}
	if crypto != 1 || virtual != 1 {
		t.Errorf("%d crypto and %d virtual accounts registered, want 1 and 1", crypto, virtual)
	}
	var statuses []string
	for _, typ := range []webhook.EventType{webhook.EventEndUserCreated, webhook.EventEndUserUpdated, webhook.EventEndUserStatusUpdated} {
		for _, ev := range byType[typ] {
			u := ev.Payload.(*webhook.EndUser)
			switch {
			case u.Individual != nil:
				if u.Individual.Person.FirstName != "Mario" || u.Individual.Person.Address == nil || u.Individual.Person.Address.City != "Milano" {
					t.Errorf("individual end user %+v", u.Individual)
				}
			case u.Business != nil:
				b := u.Business
				if b.Business.CompanyName != "Acme Corporation Ltd" || len(b.BusinessPersons) != 1 ||
					b.BusinessPersons[0].BusinessEndUserID != b.ID || !b.BusinessPersons[0].Ownership.Decimal.Equal(d("75.5")) {
					t.Errorf("business end user %+v", b)
				}
				statuses = append(statuses, string(typ)+" "+string(b.RegistrationStatus)+" "+b.IPAddress)
			}
		}
	}
	want := []string{"EndUser.Created ACTIVE 192.168.1.100", "EndUser.Updated ACTIVE 10.0.0.2", "EndUser.StatusUpdated SUSPENDED 10.0.0.2"}
	if !slices.Equal(statuses, want) {
		t.Errorf("business end-user events %q, want %q", statuses, want)
	}
	var reviews []webhook.PayeeAddressStatus
	for _, ev := range byType[webhook.EventPayeeStatusUpdated] {
		reviews = append(reviews, ev.Payload.(*webhook.PayeeAddress).Status)
	}
	if want := []webhook.PayeeAddressStatus{webhook.PayeeAddressCreated, webhook.PayeeAddressApproved}; !slices.Equal(reviews, want) {
		t.Errorf("payee address statuses %v, want %v", reviews, want)
	}
	if p := byType[webhook.EventPayeeCreated][0].Payload.(*webhook.Payee); p.Type != webhook.PayeeBusiness || p.Company != "Acme" {
		t.Errorf("payee %+v", p)
	}
}

// TestWebhookEmitterTypesAndRetries: a type filter sends only those types;
// a receiver answering 503 is retried until it accepts; Flush waits for it.
func TestWebhookEmitterTypesAndRetries(t *testing.T) {
	f := startEmitting(t, sim.WebhookOptions{Types: []string{sim.WebhookDepositStatusUpdated}, MaxAttempts: 1000})
	f.code.Store(http.StatusServiceUnavailable)
	must[sim.Transaction](t)(f.venue.Credit("ETH", d("2")))
	// Retries are under way; let the receiver recover once some were refused.
	ctx := deadline(t)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for f.sim.Webhooks().Stats().Refused < 3 {
		select {
		case <-ctx.Done():
			t.Fatal("no retries")
		case <-tick.C:
		}
	}
	f.code.Store(0)
	f.flush(t)
	order, bodies := f.in.stored()
	if len(order) != 1 {
		t.Fatalf("stored %d webhooks, want only the deposit", len(order))
	}
	if ev, err := webhook.DecodeEvent(bodies[order[0]]); err != nil || ev.EventType != webhook.EventDepositStatusUpdated {
		t.Fatalf("stored %v, %v; want the deposit", ev, err)
	}
	if st := f.sim.Webhooks().Stats(); st.Delivered != 1 || st.Refused < 3 || st.Failed != 0 {
		t.Errorf("stats %+v, want one delivery after at least 3 refusals", st)
	}
}
