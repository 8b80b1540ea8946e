package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers. See the package documentation for how to verify them.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<raw body>" keyed with the shared secret>".
	SignatureHeader = "Engine-Signature"
	// EventIDHeader carries the message id, also in the body: the same on
	// every retry of one message.
	EventIDHeader = "Engine-Event-Id"
)

// webhook posts signed JSON to a receiver of the desk's own.
type webhook struct {
	poster
	url    string
	secret []byte
}

// WebhookBody is the JSON a webhook sink posts.
type WebhookBody struct {
	ID       string         `json:"id"`
	Class    Class          `json:"class"`
	Key      string         `json:"key,omitempty"`
	Severity string         `json:"severity"`
	Time     time.Time      `json:"time"`
	Title    string         `json:"title"`
	Text     string         `json:"text,omitempty"`
	Fields   []WebhookField `json:"fields"`
}

// WebhookField is one of WebhookBody's fields.
type WebhookField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (w *webhook) send(ctx context.Context, m message) error {
	ev := m.Event
	b := WebhookBody{ID: m.ID, Class: ev.Class, Key: ev.Key, Severity: ev.Severity.String(),
		Time: ev.Time.UTC(), Title: ev.Title, Text: ev.Text, Fields: []WebhookField{}}
	for _, f := range ev.Fields {
		b.Fields = append(b.Fields, WebhookField(f))
	}
	body, err := json.Marshal(b)
	if err != nil {
		return &deliveryError{Sink: w.sink, Err: err}
	}
	h := http.Header{}
	h.Set(SignatureHeader, sign(w.secret, w.clock.Now(), body))
	h.Set(EventIDHeader, m.ID)
	return w.post(ctx, w.url, body, h, nil)
}

// sign returns the signature header's value for body sent at t. It is
// computed on every attempt, so a retry carries a fresh timestamp.
func sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
