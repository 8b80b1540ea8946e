package sim

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The webhooks the simulated venue sends: a WebhookEmitter follows the
// venue's event subscription and posts, through a WebhookSender, the
// webhook Hercle's document names for each state change.
//
//	venue event                      webhook (data model)
//	DepositCredited                  Banking.Deposit.StatusUpdated (Transaction, SUCCESS)
//	WithdrawalChanged CREATED        Banking.Withdrawal.Created (Withdrawal)
//	WithdrawalChanged other          Banking.Withdrawal.StatusUpdated (Withdrawal)
//	TransferChanged CREATED          Banking.Payout.Created (Transfer)
//	TransferChanged other            Banking.Payout.StatusUpdated (Transfer)
//	DepositAddressCreated            VirtualAccount.Registered (InternalAddress)
//	BalanceChanged                   Balance.Updated (AccountBalance, with Sequence)
//	EndUserCreated                   EndUser.Created (IndividualEndUser or BusinessEndUser)
//	EndUserUpdated                   EndUser.Updated
//	EndUserStatusChanged             EndUser.StatusUpdated
//	PayeeCreated                     Payee.Created (Payee, Type 0 or 1)
//	PayeeAddressCreated, …Changed    Payee.StatusUpdated (PayeeAddress, Status 0 to 5)
//
// Orders, trades, RFQs, whitelist entries and invoices have no documented
// webhook. Statuses are the webhook document's words: the venue's final
// CONFIRMED (the money has left) is sent as SUCCESS and FAILURE as itself;
// CREATED and CONFIRMING as themselves. The document names FiatRepublic as
// the source of the banking events, so the real venue may send them for
// fiat movements only; the simulator sends them for every withdrawal.

// Webhook event types, as Hercle names them.
const (
	WebhookDepositStatusUpdated     = "Banking.Deposit.StatusUpdated"
	WebhookWithdrawalCreated        = "Banking.Withdrawal.Created"
	WebhookWithdrawalStatusUpdated  = "Banking.Withdrawal.StatusUpdated"
	WebhookPayoutCreated            = "Banking.Payout.Created"
	WebhookPayoutStatusUpdated      = "Banking.Payout.StatusUpdated"
	WebhookVirtualAccountRegistered = "VirtualAccount.Registered"
	WebhookBalanceUpdated           = "Balance.Updated"
	WebhookEndUserCreated           = "EndUser.Created"
	WebhookEndUserUpdated           = "EndUser.Updated"
	WebhookEndUserStatusUpdated     = "EndUser.StatusUpdated"
	WebhookPayeeCreated             = "Payee.Created"
	WebhookPayeeStatusUpdated       = "Payee.StatusUpdated"
)

// WebhookTypes returns the event types the emitter sends.
func WebhookTypes() []string {
	return []string{
		WebhookDepositStatusUpdated, WebhookWithdrawalCreated, WebhookWithdrawalStatusUpdated,
		WebhookPayoutCreated, WebhookPayoutStatusUpdated, WebhookVirtualAccountRegistered,
		WebhookBalanceUpdated, WebhookEndUserCreated, WebhookEndUserUpdated, WebhookEndUserStatusUpdated,
		WebhookPayeeCreated, WebhookPayeeStatusUpdated,
	}
}

// WebhookOptions configures the webhooks sent for the venue's state
// changes. The zero value sends none.
type WebhookOptions struct {
	// URL is the receiver, such as http://127.0.0.1:8780/webhooks/hercle.
	// Empty sends no webhooks.
	URL string
	// Signer signs every webhook; nil means a new 2048-bit key per start.
	Signer *WebhookSigner
	// PublicKeyFile, if set, is where the signer's public key is written
	// (PEM "PUBLIC KEY", mode 0644) before anything is sent, for the
	// receiver to trust.
	PublicKeyFile string
	// Format is the envelope: the zero value is the webhook document's
	// (version A: EventId/EventType/Timestamp/Data, Data a JSON string);
	// WebhookFormat{CamelCase: true, EmbeddedData: true} is the
	// documentation site's second version (eventId/…/data, data an
	// object). The data's keys follow the envelope's casing; map-valued
	// fields (AddressParams, DestinationParams, RoutingCodes) keep theirs.
	Format WebhookFormat
	// Types limits the event types sent (WebhookTypes); empty sends all.
	Types []string
	// Faults are injected per event, drawn from a source seeded with the
	// venue's Options.Seed.
	Faults WebhookFaults
	// Client posts the webhooks; nil means a client with a 10s timeout.
	// For an HTTPS receiver give one that trusts its certificate.
	Client *http.Client
	// MaxAttempts, MinBackoff and MaxBackoff bound the retries of an
	// event answered non-2xx or not at all (see WebhookSenderConfig).
	MaxAttempts            int
	MinBackoff, MaxBackoff time.Duration
	// QueueSize bounds the events waiting for delivery (zero means 1024);
	// beyond it they wait in the venue subscription, which never blocks
	// the venue.
	QueueSize int
	// Logger receives failed deliveries; nil discards (through
	// Options.Webhooks, nil means Options.Logger).
	Logger *slog.Logger
}

// WebhookEmitter sends the webhooks of one venue's state changes, signed,
// to one URL, in the order the changes happened (apart from injected
// reordering), retrying with backoff. Create it with NewWebhookEmitter,
// or through Options.Webhooks and Server.Webhooks. It is safe for
// concurrent use.
//
// Event ids are UUIDs drawn from a source seeded at random per emitter, so
// a restarted simulator never repeats an id a persistent receiver stored;
// faults, jitter and delivery ids follow the venue's seed.
type WebhookEmitter struct {
	v       *Venue
	sub     *Subscription
	sender  *WebhookSender
	signer  *WebhookSigner
	keyFile string
	camel   bool
	types   map[string]bool // nil: every type
	log     *slog.Logger
	ids     *mrand.Rand // event ids; only the run goroutine draws
	cancel  context.CancelFunc
	done    chan struct{} // closed when run returns

	closeOnce sync.Once

	mu       sync.Mutex    // guards seen and progress
	seen     uint64        // Seq of the last venue event handled
	progress chan struct{} // closed and replaced whenever seen moves
}

// NewWebhookEmitter subscribes to v's events from now on and starts
// sending their webhooks to o.URL until ctx ends or Close. It writes
// o.PublicKeyFile first, if set.
func NewWebhookEmitter(ctx context.Context, v *Venue, o WebhookOptions) (*WebhookEmitter, error) {
	if o.URL == "" {
		return nil, errors.New("sim: webhooks need a receiver URL")
	}
	var types map[string]bool
	if len(o.Types) > 0 {
		types = map[string]bool{}
		for _, t := range o.Types {
			if !slices.Contains(WebhookTypes(), t) {
				return nil, fmt.Errorf("sim: webhooks: unknown event type %q (want one of %v)", t, WebhookTypes())
			}
			types[t] = true
		}
	}
	signer := o.Signer
	if signer == nil {
		var err error
		if signer, err = GenerateWebhookSigner(); err != nil {
			return nil, err
		}
	}
	if o.PublicKeyFile != "" {
		if err := signer.WritePublicKeyPEM(o.PublicKeyFile); err != nil {
			return nil, err
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var seed [16]byte
	_, _ = crand.Read(seed[:]) // never fails (crypto/rand panics instead)
	ctx, cancel := context.WithCancel(ctx)
	sender, err := NewWebhookSender(ctx, WebhookSenderConfig{
		URL: o.URL, Signer: signer, Format: o.Format, Client: o.Client, QueueSize: o.QueueSize,
		MaxAttempts: o.MaxAttempts, MinBackoff: o.MinBackoff, MaxBackoff: o.MaxBackoff, Faults: o.Faults,
		Seed: v.opts.Seed ^ 0x3eb_400c, Logger: log,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	sub, seen := v.subscribeFrom()
	e := &WebhookEmitter{
		v: v, sub: sub, sender: sender, signer: signer, keyFile: o.PublicKeyFile,
		camel: o.Format.CamelCase, types: types, log: log, cancel: cancel, done: make(chan struct{}),
		ids:  mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		seen: seen, progress: make(chan struct{}),
	}
	go e.run(ctx)
	return e, nil
}

// startWebhooks is Start's hook: the emitter of o.Webhooks, or nil.
func startWebhooks(ctx context.Context, v *Venue, o Options) (*WebhookEmitter, error) {
	if o.Webhooks.URL == "" {
		return nil, nil
	}
	wo := o.Webhooks
	if wo.Logger == nil {
		wo.Logger = o.Logger
	}
	return NewWebhookEmitter(ctx, v, wo)
}

// Webhooks returns the emitter Start made from Options.Webhooks, or nil.
func (s *Server) Webhooks() *WebhookEmitter { return s.webhooks }

// Signer returns the key the webhooks are signed with.
func (e *WebhookEmitter) Signer() *WebhookSigner { return e.signer }

// PublicKeyFile returns where the public key was written, or "".
func (e *WebhookEmitter) PublicKeyFile() string { return e.keyFile }

// Stats returns the sender's counters.
func (e *WebhookEmitter) Stats() WebhookSenderStats { return e.sender.Stats() }

// Flush waits until the webhooks of every state change the venue made
// before the call have been delivered (acknowledged with 2xx) or given up.
// Changes due by the clock but not yet applied are not included: call
// Venue.Advance first. It returns ErrSenderClosed if the emitter stops.
func (e *WebhookEmitter) Flush(ctx context.Context) error {
	target := e.v.lastEventSeq()
	e.mu.Lock()
	for e.seen < target {
		ch := e.progress
		e.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-e.done:
			return ErrSenderClosed
		}
		e.mu.Lock()
	}
	e.mu.Unlock()
	return e.sender.Flush(ctx)
}

// Close stops sending at once: webhooks not yet acknowledged are dropped
// (call Flush first to deliver them). It returns when the emitter's
// goroutines have stopped. A nil emitter does nothing.
func (e *WebhookEmitter) Close() {
	if e == nil {
		return
	}
	e.closeOnce.Do(func() {
		e.cancel()
		<-e.done
		_ = e.sender.Close(context.Background()) // its context is cancelled: returns at once
	})
}

func (e *WebhookEmitter) run(ctx context.Context) {
	defer close(e.done)
	defer e.sub.Close() // the venue stops queueing for it
	for {
		ev, err := e.sub.Next(ctx)
		if err != nil {
			return
		}
		for _, w := range e.v.webhooksFor(ev) {
			if e.types != nil && !e.types[w.typ] {
				continue
			}
			data, err := encodeWebhookData(w.data, e.camel)
			if err != nil {
				e.log.Error("sim: webhook data not encoded; event not sent", "event_type", w.typ, "err", err)
				continue
			}
			if err := e.sender.SendEvent(ctx, uuid(e.ids), w.typ, ev.Header().Time, data); err != nil {
				if ctx.Err() != nil {
					return
				}
				e.log.Error("sim: webhook not queued", "event_type", w.typ, "err", err)
			}
		}
		e.mu.Lock()
		e.seen = ev.Header().Seq
		close(e.progress)
		e.progress = make(chan struct{})
		e.mu.Unlock()
	}
}

// subscribeFrom subscribes and returns the Seq of the last event before
// the subscription, atomically with it.
func (v *Venue) subscribeFrom() (*Subscription, uint64) {
	s := &Subscription{v: v, notify: make(chan struct{}, 1)}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.subs[s] = struct{}{}
	return s, v.eventSeq
}

func (v *Venue) lastEventSeq() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.eventSeq
}
