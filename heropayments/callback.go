package heropayments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/promreg"
)

// DefaultMaxCallbackBody bounds a callback body; a payment is well under
// 4 KiB.
const DefaultMaxCallbackBody = 64 << 10

// Callback is one verified status notification, as stored in the inbox.
type Callback struct {
	// ID is the inbox's deduplication key: the payment's key and its
	// status, path-escaped and joined by "/". One payment legitimately
	// sends one callback per status; a repeat of the same status is a
	// duplicate.
	ID string
	// Key identifies the payment: externalOrderId and sequence (empty
	// sequence normalised to "original").
	Key     PaymentKey
	Flow    Flow
	Payment Payment
	// Outcome is Classify(Flow, Payment.Type, Payment.Status).
	Outcome Outcome
	// Body is the raw body as received; Header a copy of the headers.
	Body       []byte
	Header     http.Header
	ReceivedAt time.Time
}

// CallbackInbox stores verified callbacks durably.
//
// Store must return only once cb is durable (the handler answers 2xx only
// after it returns nil) and must be idempotent on cb.ID: storing an ID
// already stored changes nothing and reports duplicate true. An error makes
// the handler answer 500, so Heropayments sends the callback again.
type CallbackInbox interface {
	Store(ctx context.Context, cb Callback) (duplicate bool, err error)
}

// CallbackRefusals receives the requests a CallbackHandler refuses, in
// place of a log line each: on an endpoint open to the internet, a flood
// of forged callbacks must cost a counter, not a line of disk per request.
// Package merchant's aggregating log implements it.
//
// Refused must be safe for concurrent use and return quickly; it must not
// read r's body or keep r. reason is one of the result labels of
// engine_heropayments_callbacks_total; err, when not nil, carries no body,
// signature or secret.
type CallbackRefusals interface {
	Refused(r *http.Request, reason string, err error)
}

// HandlerConfig configures a CallbackHandler.
type HandlerConfig struct {
	// Secret is the API secret that signs callbacks; required.
	Secret string
	// Flow is the integration whose callbacks this handler receives (mount
	// one handler per flow, each at its own callbackUrl).
	Flow Flow
	// Inbox stores verified callbacks; required.
	Inbox CallbackInbox
	// MaxBody bounds a body; zero means DefaultMaxCallbackBody.
	MaxBody int64
	// Clock stamps ReceivedAt; the zero value is the system clock.
	Clock clock.Clock
	// Logger receives store failures (Error); nil discards. Refused
	// requests go to Refusals, and reach Logger only at Debug level.
	Logger *slog.Logger
	// Refusals receives every refused request (see CallbackRefusals);
	// nil means they are only counted and logged at Debug.
	Refusals CallbackRefusals
	// Metrics receives engine_heropayments_callbacks_total; nil: none.
	Metrics prometheus.Registerer
}

// CallbackHandler is the http.Handler for Heropayments callbacks. It
// answers:
//
//   - 405 (with Allow: POST) to any method but POST;
//   - 413 to a body larger than MaxBody;
//   - 400 to a body that is not JSON (it cannot be verified);
//   - 401 to a missing or wrong x-api-sign, where the signature is
//     HMAC-SHA512(secret, JSON.stringify(body)) compared in constant time;
//   - 400 to a signed body without externalOrderId or status;
//   - 500 when the inbox fails, so the callback is sent again;
//   - 200 once the inbox has stored the callback, or already had it.
//
// Nothing is stored on any refusal. It is safe for concurrent use.
type CallbackHandler struct {
	secret   string
	flow     Flow
	inbox    CallbackInbox
	maxBody  int64
	clock    clock.Clock
	log      *slog.Logger
	refusals CallbackRefusals       // nil: Debug lines
	counter  *prometheus.CounterVec // result; nil: none
}

// NewCallbackHandler validates cfg.
func NewCallbackHandler(cfg HandlerConfig) (*CallbackHandler, error) {
	var errs []error
	if cfg.Secret == "" {
		errs = append(errs, fmt.Errorf("%w: callback handler needs the API secret", ErrConfig))
	}
	if cfg.Flow != FlowV2 && cfg.Flow != FlowCustody {
		errs = append(errs, fmt.Errorf("%w: callback handler flow %q is neither %q nor %q", ErrConfig, cfg.Flow, FlowV2, FlowCustody))
	}
	if cfg.Inbox == nil {
		errs = append(errs, fmt.Errorf("%w: callback handler needs an inbox", ErrConfig))
	}
	if cfg.MaxBody < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxBody is negative", ErrConfig))
	}
	h := &CallbackHandler{secret: cfg.Secret, flow: cfg.Flow, inbox: cfg.Inbox,
		maxBody: cmp.Or(cfg.MaxBody, DefaultMaxCallbackBody), clock: cfg.Clock, log: cfg.Logger, refusals: cfg.Refusals}
	if cfg.Metrics != nil {
		c, err := promreg.Register(cfg.Metrics, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "engine_heropayments_callbacks_total",
			Help: "Heropayments callbacks by result (stored, duplicate, bad_method, too_large, bad_body, bad_json, bad_signature, bad_payload, store_error).",
		}, []string{"result"}))
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: metrics: %v", ErrConfig, err))
		}
		h.counter = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *CallbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "bad_method", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "too_large", nil)
			return
		}
		h.refuse(w, r, http.StatusBadRequest, "bad_body", err)
		return
	}
	cb, status, result, err := h.verify(body, r.Header)
	if err != nil {
		h.refuse(w, r, status, result, err)
		return
	}
	dup, err := h.inbox.Store(r.Context(), cb)
	if err != nil {
		h.log.ErrorContext(r.Context(), "heropayments: callback not stored", "id", cb.ID, "err", err)
		h.count("store_error")
		http.Error(w, "not stored, send again", http.StatusInternalServerError)
		return
	}
	if dup {
		h.count("duplicate")
	} else {
		h.count("stored")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// verify checks the signature and decodes the callback; on failure it
// returns the HTTP status and metric label to answer with.
func (h *CallbackHandler) verify(body []byte, hdr http.Header) (cb Callback, status int, result string, err error) {
	norm, err := Normalize(body)
	if err != nil {
		return cb, http.StatusBadRequest, "bad_json", err
	}
	if err := verify(h.secret, norm, hdr.Get(SignHeader)); err != nil {
		return cb, http.StatusUnauthorized, "bad_signature", err
	}
	cb, err = ParseCallback(h.flow, body)
	if err != nil {
		return cb, http.StatusBadRequest, "bad_payload", err
	}
	cb.Header = hdr.Clone()
	cb.ReceivedAt = h.clock.Now()
	return cb, 0, "", nil
}

// ParseCallback decodes a callback body (already verified) of flow. It
// needs externalOrderId and status; unknown fields are ignored. Errors
// wrap ErrMalformedResponse and never quote the body.
//
// It reads the body's normal form, the text the signature covers, not the
// raw bytes: they can differ where the signature cannot tell (a number too
// large for a double is null in the normal form), and only what was
// signed may be read.
func ParseCallback(flow Flow, body []byte) (Callback, error) {
	norm, err := Normalize(body)
	if err != nil {
		return Callback{}, fmt.Errorf("heropayments: callback: %w: %w", ErrMalformedResponse, err)
	}
	var p Payment
	if err := decodeJSON(norm, &p); err != nil {
		return Callback{}, fmt.Errorf("heropayments: callback: %w", err)
	}
	if p.ExternalOrderID == "" || p.Status == "" {
		return Callback{}, fmt.Errorf("heropayments: callback: %w: externalOrderId and status are required", ErrMalformedResponse)
	}
	key := p.Key()
	return Callback{
		ID:      key.String() + "/" + url.PathEscape(string(p.Status)),
		Key:     key,
		Flow:    flow,
		Payment: p,
		Outcome: Classify(flow, p.Type, p.Status),
		Body:    append([]byte(nil), body...),
	}, nil
}

func (h *CallbackHandler) refuse(w http.ResponseWriter, r *http.Request, status int, result string, err error) {
	h.count(result)
	if h.refusals != nil {
		h.refusals.Refused(r, result, err)
	} else {
		h.log.DebugContext(r.Context(), "heropayments: callback refused", "status", status, "result", result, "remote", r.RemoteAddr, "err", err)
	}
	http.Error(w, http.StatusText(status), status)
}

func (h *CallbackHandler) count(result string) {
	if h.counter != nil {
		h.counter.WithLabelValues(result).Inc()
	}
}
