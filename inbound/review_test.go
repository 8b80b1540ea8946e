package inbound_test

import (
	"testing"
	"time"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/sim"
)

// The venue acknowledged withdrawal W5 as w-5; a second withdrawal under
// the same Client-Id (the request applied twice) fails. Its FAILURE names
// another movement: it must not reverse W5, whose money did leave (w-5
// succeeds).
func TestFailureOfAnotherMovementUnderTheClientID(t *testing.T) {
	ctx := deadline(t, 30*time.Second)
	e := newEnv(t, envOptions{})
	sendingIntent(t, e.store, "W5", ledger.IntentWithdrawal, ledger.TransitWithdrawal, "BTC", "0.5")
	if _, err := e.store.Acknowledge(ctx, "W5", "w-5"); err != nil {
		t.Fatal(err)
	}
	s := e.sender(ctx, 7301, sim.WebhookFaults{}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "w-5-again", "ClientId": "W5", "Asset": "BTC", "Status": "FAILURE"})
	e.deliver(ctx, s)
	if in, err := e.store.Intent(ctx, "W5"); err != nil || in.State != ledger.StateSubmitted {
		t.Fatalf("intent after another movement's FAILURE = %+v, %v; want still submitted", in, err)
	}
	if got := balance(t, e.store, ledger.Transit(ledger.TransitWithdrawal, "W5"), "BTC"); !got.Equal(d("0.5")) {
		t.Fatalf("transit after another movement's FAILURE = %s, want 0.5 still in flight", got)
	}

	s2 := e.sender(ctx, 7302, sim.WebhookFaults{}, sim.WebhookFormat{}, clock.Clock{})
	e.send(ctx, s2, webhook.EventWithdrawalStatusUpdated, map[string]any{"Id": "w-5", "ClientId": "W5", "Asset": "BTC",
		"Network": "BTC", "Destination": "bc1qdest", "Status": "SUCCESS"})
	e.deliver(ctx, s2)
	if in, err := e.store.Intent(ctx, "W5"); err != nil || in.State != ledger.StateSucceeded {
		t.Fatalf("intent after its own SUCCESS = %+v, %v; want succeeded", in, err)
	}
	if _, err := e.store.Entry(ctx, ledger.SettledKey("W5")); err != nil {
		t.Fatalf("settled entry: %v", err)
	}
	mustVerify(t, e.store)
}
