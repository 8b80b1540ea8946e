package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/internal/clock"
)

// Inbox is where the Handler puts each verified webhook
// before acknowledging it. It is declared here, by its user; the ledger's
// durable inbox implements it.
//
// Store must return nil only once w is durable: the handler answers 200 on
// nil and Hercle will not send the event again. It reports duplicate=true
// when an event with w.EventID is already stored (the first copy is kept;
// the handler still answers 200). Any error makes the handler answer 503
// so that Hercle retries. Store must honour ctx, must be safe for
// concurrent use, and may keep w (the handler does not reuse it).
type Inbox interface {
	Store(ctx context.Context, w Received) (duplicate bool, err error)
}

// Received is a verified webhook as received: everything needed to
// process it later and to verify its signature again.
type Received struct {
	EventID    string    // envelope EventId: the idempotency key
	EventType  EventType // envelope EventType; may be unknown to this package
	DeliveryID string    // X-Webhook-Id (may be empty); for support requests
	KeyID      string    // fingerprint of the key that verified it
	ReceivedAt time.Time // the handler's clock when the request was verified
	// Header holds the request's X-Webhook-Signature, X-Webhook-Timestamp,
	// X-Webhook-Id and Content-Type, and nothing else.
	Header http.Header
	// Body is the raw body exactly as received and signed.
	Body []byte
}

// Refusals receives the requests a Handler refuses, in
// place of a log line each: on an endpoint open to the internet, a flood
// of forged requests must cost a counter, not a line of disk per request.
// It is declared here, by its user; package webhookd's aggregating log
// implements it.
//
// Refused must be safe for concurrent use and return quickly; it must not
// read r's body or keep r. reason is one of the outcome labels of
// engine_hercle_webhooks_total; err, when not nil, carries no body,
// signature or key.
type Refusals interface {
	Refused(r *http.Request, reason string, err error)
}

// Defaults of Config.
const (
	DefaultMaxBody      = 1 << 20
	DefaultStoreTimeout = 10 * time.Second
)

// Config configures a Handler.
type Config struct {
	// Keys are the accepted public keys (several during a rotation).
	// At least one is required.
	Keys []Key
	// Tolerance bounds the distance between X-Webhook-Timestamp and Clock;
	// zero means DefaultTolerance.
	Tolerance time.Duration
	// MaxBody is the largest body accepted, in bytes; zero means
	// DefaultMaxBody.
	MaxBody int64
	// StoreTimeout bounds each Inbox.Store call; zero means
	// DefaultStoreTimeout.
	StoreTimeout time.Duration
	// Inbox receives every verified webhook. Required.
	Inbox Inbox
	// Clock is the handler's clock; the zero value is the system clock.
	Clock clock.Clock
	// Logger receives one line per stored webhook (Debug) and per store
	// failure (Error, or Info when the request's context ended first: the
	// sender hung up or the engine is stopping); nil discards. Refused requests go to Refusals, and
	// reach Logger only at Debug level. Bodies, signatures and keys are
	// never logged.
	Logger *slog.Logger
	// Refusals receives every refused request (see Refusals); nil
	// means they are only counted in the metrics and logged at Debug.
	Refusals Refusals
	// Metrics receives the handler's collectors; nil registers none.
	Metrics prometheus.Registerer
}

// Handler is the http.Handler that receives Hercle webhooks. For
// each request, in order:
//
//   - a method other than POST gets 405 with Allow: POST;
//   - a Content-Type other than application/json (a charset parameter is
//     allowed only as utf-8) gets 415: the body's meaning is unknown;
//   - a missing, malformed or stale X-Webhook-Timestamp gets 400, before
//     the body is read; a missing X-Webhook-Signature gets 400;
//   - a body over MaxBody gets 413;
//   - a signature that no key verifies gets 400;
//   - a verified body that is not a webhook envelope gets 400 (it can
//     never become valid, so a retry would not help);
//   - otherwise the webhook goes to Inbox.Store: 200 once stored (or
//     already stored), 503 if the store failed, so Hercle retries.
//
// Every answer is a small JSON object ({"success": true} or {"error":
// "..."}, as the document's samples answer). Nothing is stored for a
// refused request, and the handler never applies an event: the data of a
// known event type is not decoded here (DecodeEvent does it when
// the inbox is processed), so an event whose data surprises the models is
// still kept rather than refused and lost.
//
// A Handler is safe for concurrent use.
type Handler struct {
	verifier     Verifier
	inbox        Inbox
	maxBody      int64
	storeTimeout time.Duration
	clock        clock.Clock
	log          *slog.Logger
	refusals     Refusals // nil: Debug lines
	metrics      *webhookMetrics
}

// NewHandler checks cfg and builds a handler. Errors wrap ErrConfig.
func NewHandler(cfg Config) (*Handler, error) {
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: webhook handler needs at least one public key", hercle.ErrConfig)
	}
	for _, k := range cfg.Keys {
		if k.Key == nil || k.ID == "" {
			return nil, fmt.Errorf("%w: webhook key not made by NewKey or ParseKeys", hercle.ErrConfig)
		}
	}
	if cfg.Inbox == nil {
		return nil, fmt.Errorf("%w: webhook handler needs an inbox", hercle.ErrConfig)
	}
	if cfg.Tolerance < 0 || cfg.MaxBody < 0 || cfg.StoreTimeout < 0 {
		return nil, fmt.Errorf("%w: negative webhook tolerance, body limit or store timeout", hercle.ErrConfig)
	}
	h := &Handler{
		inbox:        cfg.Inbox,
		maxBody:      cfg.MaxBody,
		storeTimeout: cfg.StoreTimeout,
		clock:        cfg.Clock,
		log:          cfg.Logger,
		refusals:     cfg.Refusals,
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.storeTimeout == 0 {
		h.storeTimeout = DefaultStoreTimeout
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.verifier = Verifier{Keys: append([]Key(nil), cfg.Keys...), Tolerance: cfg.Tolerance, Clock: h.clock}
	var err error
	if h.metrics, err = newWebhookMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("%w: webhook metrics: %w", hercle.ErrConfig, err)
	}
	return h, nil
}

// Outcomes: the label values of engine_hercle_webhooks_total.
const (
	webhookStored         = "stored"
	webhookDuplicate      = "duplicate"
	webhookBadMethod      = "method_not_allowed"
	webhookBadContentType = "unsupported_media_type"
	webhookTooLarge       = "too_large"
	webhookBadTimestamp   = "bad_timestamp"
	webhookStaleTimestamp = "stale_timestamp"
	webhookBadSignature   = "bad_signature"
	webhookBadEnvelope    = "bad_envelope"
	webhookBodyReadFailed = "read_failed"
	webhookStoreFailed    = "store_failed"
	webhookMissingHeader  = "missing_header"
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.clock.Now()
	deliveryID := r.Header.Get(HeaderID)
	body, keyID, env, ref := h.verify(w, r)
	if ref != nil {
		h.metrics.done(ref.outcome, h.clock.Since(start))
		if h.refusals != nil {
			h.refusals.Refused(r, ref.outcome, ref.err)
		} else {
			h.log.Debug("webhook refused", "outcome", ref.outcome, "status", ref.status, "delivery_id", safeLogValue(deliveryID),
				"remote", r.RemoteAddr, "err", ref.err)
		}
		writeWebhookJSON(w, ref.status, `{"error":`+strconv.Quote(ref.msg)+`}`)
		return
	}

	rec := Received{
		EventID:    env.EventID,
		EventType:  env.EventType,
		DeliveryID: deliveryID,
		KeyID:      keyID,
		ReceivedAt: h.clock.Now(),
		Header:     make(http.Header, 4),
		Body:       body,
	}
	for _, k := range []string{HeaderSignature, HeaderTimestamp, HeaderID, "Content-Type"} {
		if v := r.Header.Values(k); len(v) > 0 {
			rec.Header[k] = append([]string(nil), v...)
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.storeTimeout)
	duplicate, err := h.inbox.Store(ctx, rec)
	cancel()
	if err != nil {
		h.metrics.done(webhookStoreFailed, h.clock.Since(start))
		level := slog.LevelError
		if r.Context().Err() != nil {
			// The sender hung up, or the engine is stopping: not a fault of
			// the store's, and the retry is at worst a duplicate.
			level = slog.LevelInfo
		}
		h.log.Log(context.Background(), level, "webhook not stored; answering 503 so that it is retried", "event_id", env.EventID,
			"event_type", safeLogValue(string(env.EventType)), "delivery_id", safeLogValue(deliveryID), "err", err)
		writeWebhookJSON(w, http.StatusServiceUnavailable, `{"error":"Not stored; retry later"}`)
		return
	}
	outcome := webhookStored
	if duplicate {
		outcome = webhookDuplicate
	}
	h.metrics.done(outcome, h.clock.Since(start))
	h.log.Debug("webhook stored", "event_id", env.EventID, "event_type", safeLogValue(string(env.EventType)),
		"delivery_id", safeLogValue(deliveryID), "key_id", keyID, "duplicate", duplicate)
	writeWebhookJSON(w, http.StatusOK, `{"success":true}`)
}

// refusal is why a request is refused: the status and message answered,
// the outcome label counted, and the error behind it (nil when the status
// says it all).
type refusal struct {
	status  int
	outcome string
	msg     string
	err     error
}

// verify checks r in the order Handler documents and returns its raw
// body, the ID of the key that verified it and its envelope, or why it is
// refused. It reads the body only once the headers passed.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) ([]byte, string, Envelope, *refusal) {
	refuse := func(status int, outcome, msg string, err error) ([]byte, string, Envelope, *refusal) {
		return nil, "", Envelope{}, &refusal{status: status, outcome: outcome, msg: msg, err: err}
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return refuse(http.StatusMethodNotAllowed, webhookBadMethod, "Method not allowed; use POST", nil)
	}
	if !isWebhookJSON(r.Header.Get("Content-Type")) {
		return refuse(http.StatusUnsupportedMediaType, webhookBadContentType, "Content-Type must be application/json", nil)
	}
	ts, sig := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature)
	if err := h.verifier.CheckTimestamp(ts); err != nil {
		outcome := webhookBadTimestamp
		switch {
		case errors.Is(err, ErrMissingTimestamp):
			outcome = webhookMissingHeader
		case errors.Is(err, ErrStaleTimestamp):
			outcome = webhookStaleTimestamp
		}
		return refuse(http.StatusBadRequest, outcome, "Timestamp too old or invalid", err)
	}
	if sig == "" {
		return refuse(http.StatusBadRequest, webhookMissingHeader, "Invalid signature", ErrMissingSignature)
	}
	if r.ContentLength > h.maxBody {
		return refuse(http.StatusRequestEntityTooLarge, webhookTooLarge, "Body too large", nil)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return refuse(http.StatusRequestEntityTooLarge, webhookTooLarge, "Body too large", nil)
		}
		return refuse(http.StatusBadRequest, webhookBodyReadFailed, "Body could not be read", err)
	}
	keyID, err := h.verifier.VerifySignature(ts, sig, body)
	if err != nil {
		return refuse(http.StatusBadRequest, webhookBadSignature, "Invalid signature", err)
	}
	env, err := ParseEnvelope(body)
	if err != nil {
		return refuse(http.StatusBadRequest, webhookBadEnvelope, "Not a webhook envelope", err)
	}
	return body, keyID, env, nil
}

func writeWebhookJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// isWebhookJSON accepts application/json, optionally with charset=utf-8
// (the second documentation version sends "application/json;
// charset=utf-8"). Other parameters are ignored; another charset is
// refused, since the signature and the JSON are over UTF-8 text.
func isWebhookJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8")
}

// maxLogValue bounds header-derived values in log lines.
const maxLogValue = 128

// safeLogValue bounds a sender-supplied value for a log line.
func safeLogValue(s string) string {
	if len(s) > maxLogValue {
		s = s[:maxLogValue] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
