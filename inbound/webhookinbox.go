package inbound

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/otcdesk/engine/hercle/webhook"
	"github.com/otcdesk/engine/ledger"
)

// Meta keys the WebhookInbox stores with each event.
const (
	MetaDeliveryID  = "delivery_id"  // X-Webhook-Id of the delivery that was stored first
	MetaKeyID       = "key_id"       // fingerprint of the key that verified the signature
	MetaTimestamp   = "timestamp"    // X-Webhook-Timestamp, as sent
	MetaSignature   = "signature"    // X-Webhook-Signature, so the body can be verified again
	MetaContentType = "content_type" // Content-Type, as sent
	MetaReceivedAt  = "received_at"  // the handler's clock when verified, RFC 3339
)

// EventStore is the part of the ledger the WebhookInbox writes to.
// *ledger.Store implements it.
type EventStore interface {
	PutEvent(ctx context.Context, ev ledger.Event) (ledger.Event, bool, error)
}

// WebhookInbox is the ledger's inbox seen as a webhook.Inbox. Store
// returns only once the event is durable in the ledger, so the handler's
// 200 never acknowledges an event that a crash could lose.
type WebhookInbox struct {
	store  EventStore
	notify func()
	log    *slog.Logger
}

// NewWebhookInbox returns the adapter. notify, if not nil, is called after
// each newly stored event (typically Processor.Notify); it must not block.
// log receives a warning when a sender reuses an event id with a different
// body; nil discards.
func NewWebhookInbox(store EventStore, notify func(), log *slog.Logger) *WebhookInbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookInbox{store: store, notify: notify, log: log}
}

// Store implements webhook.Inbox. A duplicate EventId returns
// duplicate true and keeps the first body (the ledger counts the delivery);
// any error makes the handler answer 503 so that Hercle retries.
func (in *WebhookInbox) Store(ctx context.Context, w webhook.Received) (bool, error) {
	meta := map[string]string{
		MetaKeyID:      w.KeyID,
		MetaReceivedAt: w.ReceivedAt.UTC().Format(time.RFC3339Nano),
	}
	for k, h := range map[string]string{
		MetaDeliveryID:  webhook.HeaderID,
		MetaTimestamp:   webhook.HeaderTimestamp,
		MetaSignature:   webhook.HeaderSignature,
		MetaContentType: "Content-Type",
	} {
		if v := w.Header.Get(h); v != "" {
			meta[k] = v
		}
	}
	stored, dup, err := in.store.PutEvent(ctx, ledger.Event{
		Source: ledger.SourceHercleWebhook,
		ID:     w.EventID,
		Type:   string(w.EventType),
		Body:   w.Body,
		Meta:   meta,
	})
	if err != nil {
		return false, fmt.Errorf("store webhook %s: %w", strconv.Quote(w.EventID), err)
	}
	if dup {
		if !bytes.Equal(stored.Body, w.Body) {
			in.log.Warn("webhook event id reused with a different body; the first body is kept",
				"event_id", w.EventID, "delivery_id", w.DeliveryID, "deliveries", stored.Deliveries)
		}
		return true, nil
	}
	if in.notify != nil {
		in.notify()
	}
	return false, nil
}
