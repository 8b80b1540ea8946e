package merchant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/otcdesk/engine/heropayments"
	"github.com/otcdesk/engine/ledger"
)

// Origins of an inbox event (Meta[MetaOrigin]).
const (
	// OriginCallback: a callback Heropayments sent, verified and stored
	// as received.
	OriginCallback = "callback"
	// OriginPoll: a synthetic event made from a PaymentStatus answer,
	// because no callback had brought that status; its id starts with
	// "poll/".
	OriginPoll = "status_poll"
	// OriginTracked: a deposit recorded by CreateDeposit before it was
	// requested, so that it is polled even if no callback ever comes; its
	// id starts with "track/".
	OriginTracked = "tracked"
)

// Meta keys stored with each inbox event.
const (
	MetaOrigin      = "origin"       // OriginCallback, OriginPoll or OriginTracked
	MetaFlow        = "flow"         // "v2" or "custody"
	MetaSignature   = "signature"    // x-api-sign of a callback, so it can be verified again
	MetaContentType = "content_type" // Content-Type of a callback, as sent
	MetaReceivedAt  = "received_at"  // the handler's or poller's clock, RFC 3339
)

// EventStore is the part of the ledger the Inbox writes to. *ledger.Store
// implements it.
type EventStore interface {
	PutEvent(ctx context.Context, ev ledger.Event) (ledger.Event, bool, error)
}

// Inbox is the ledger's inbox seen as a heropayments.CallbackInbox. Store
// returns only once the callback is durable in the ledger, so the
// handler's 200 never acknowledges a callback a crash could lose. It is
// safe for concurrent use.
type Inbox struct {
	store  EventStore
	notify func()
	log    *slog.Logger
}

// NewInbox returns the adapter. notify, if not nil, is called after each
// newly stored callback (typically Processor.Notify); it must not block.
// log receives a warning when a callback id comes back with a different
// body; nil discards.
func NewInbox(store EventStore, notify func(), log *slog.Logger) *Inbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Inbox{store: store, notify: notify, log: log}
}

// Store implements heropayments.CallbackInbox: it writes cb to the ledger
// inbox under source ledger.SourceHeropaymentsCallback and id cb.ID (a
// digest of it when longer than the ledger allows). A callback already
// stored reports duplicate true and keeps the first body; any error makes
// the handler answer 500, so Heropayments sends it again.
func (in *Inbox) Store(ctx context.Context, cb heropayments.Callback) (bool, error) {
	meta := map[string]string{
		MetaOrigin:     OriginCallback,
		MetaFlow:       string(cb.Flow),
		MetaReceivedAt: cb.ReceivedAt.UTC().Format(time.RFC3339Nano),
	}
	if v := cb.Header.Get(heropayments.SignHeader); v != "" && len(v) <= 256 {
		meta[MetaSignature] = v
	}
	if v := cb.Header.Get("Content-Type"); v != "" && len(v) <= 256 {
		meta[MetaContentType] = v
	}
	id := eventID(cb.ID)
	stored, dup, err := in.store.PutEvent(ctx, ledger.Event{
		Source: ledger.SourceHeropaymentsCallback,
		ID:     id,
		Type:   eventType(cb.Payment.Type),
		Body:   cb.Body,
		Meta:   meta,
	})
	if err != nil {
		return false, fmt.Errorf("store heropayments callback %s: %w", id, err)
	}
	if dup {
		if !bytes.Equal(stored.Body, cb.Body) {
			in.log.Warn("merchant: callback id delivered again with a different body; the first body is kept",
				"event_id", id, "deliveries", stored.Deliveries)
		}
		return true, nil
	}
	if in.notify != nil {
		in.notify()
	}
	return false, nil
}

// maxEventID bounds the ids this package stores; longer ones are replaced
// by a digest (the ledger refuses ids over 256 bytes).
const maxEventID = 200

// eventID returns id, or "sha256/<hex digest>" when id is too long or not
// printable ASCII. A callback's id is its payment key and status, each
// path-escaped and joined by "/" (three segments); the synthetic ids
// below have four, and the digest two, so none can collide with another
// kind.
func eventID(id string) string {
	if len(id) <= maxEventID && !strings.ContainsFunc(id, func(r rune) bool { return r < ' ' || r > '~' }) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256/" + hex.EncodeToString(sum[:])
}

// pollEventID is the id of the synthetic event a status poll stores.
func pollEventID(k heropayments.PaymentKey, s heropayments.Status) string {
	return eventID("poll/" + k.String() + "/" + escapePart(string(s)))
}

// trackEventID is the id of the event CreateDeposit stores.
func trackEventID(k heropayments.PaymentKey) string {
	return eventID("track/" + k.String() + "/deposit")
}

// eventType bounds the Type stored (it is only for listing).
func eventType(k heropayments.Kind) string {
	switch k {
	case heropayments.KindDeposit, heropayments.KindWithdrawal:
		return string(k)
	}
	return "other"
}

// wirePayment is the body of a synthetic event: a payment in the shape a
// callback has, with amounts written from their decimal text (never
// through float64, and without the JavaScript exactness check that
// heropayments.Amount applies to what is sent to Heropayments).
type wirePayment struct {
	ID              string      `json:"id,omitempty"`
	ExternalOrderID string      `json:"externalOrderId"`
	Sequence        string      `json:"sequence"`
	Type            string      `json:"type,omitempty"`
	Status          string      `json:"status"`
	CustomerID      string      `json:"customerId,omitempty"`
	Currency        string      `json:"currency,omitempty"`
	Network         string      `json:"network,omitempty"`
	Amount          json.Number `json:"amount,omitempty"`
	PaidAmount      json.Number `json:"paidAmount,omitempty"`
	MerchantAmount  json.Number `json:"merchantAmount,omitempty"`
	PayAddress      string      `json:"payAddress,omitempty"`
	Address         string      `json:"address,omitempty"`
	TxHash          string      `json:"txHash,omitempty"`
	CreatedAt       string      `json:"createdAt,omitempty"`
	UpdatedAt       string      `json:"updatedAt,omitempty"`
	ExpiresAt       string      `json:"expiresAt,omitempty"`
}

func number(a heropayments.Amount) json.Number {
	if a.IsZero() {
		return ""
	}
	return json.Number(a.String())
}

// encodePayment writes p as a synthetic event body.
func encodePayment(p heropayments.Payment) ([]byte, error) {
	return json.Marshal(wirePayment{
		ID: p.ID, ExternalOrderID: p.ExternalOrderID, Sequence: p.Key().Sequence, Type: string(p.Type),
		Status: string(p.Status), CustomerID: p.CustomerID, Currency: p.Currency, Network: p.Network,
		Amount: number(p.Amount), PaidAmount: number(p.PaidAmount), MerchantAmount: number(p.MerchantAmount),
		PayAddress: p.PayAddress, Address: p.Address, TxHash: p.TxHash,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, ExpiresAt: p.ExpiresAt,
	})
}

// tracked is the body of an OriginTracked event.
type tracked struct {
	ExternalOrderID string `json:"externalOrderId"`
	Sequence        string `json:"sequence"`
	Type            string `json:"type"`
	CustomerID      string `json:"customerId,omitempty"`
	Currency        string `json:"currency,omitempty"`
}
