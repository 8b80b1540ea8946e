package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// sender delivers one message to one receiver. send returns nil once the
// receiver answered 2xx, or a *deliveryError, which never contains a
// secret. It may be called again with the same message after an error:
// receivers see at-least-once delivery.
type sender interface {
	send(ctx context.Context, m message) error
}

// message is an event on its way to one sink.
type message struct {
	// ID is unique per sink and message, and the same on every attempt,
	// so a receiver can drop a retried duplicate.
	ID    string
	Event Event
}

// maxText bounds a chat message, under Telegram's 4096 characters.
const maxText = 4000

// lines renders ev as chat text: the title (through title), the text,
// then one "name: value" line per field, each through esc.
func lines(ev Event, title, esc func(string) string) string {
	var b strings.Builder
	switch ev.Severity {
	case SeverityCritical:
		b.WriteString("🚨 ")
	case SeverityWarning:
		b.WriteString("⚠️ ")
	}
	b.WriteString(title(esc(ev.Title)))
	if ev.Text != "" {
		b.WriteString("\n" + esc(ev.Text))
	}
	for _, f := range ev.Fields {
		b.WriteString("\n" + esc(f.Name) + ": " + esc(f.Value))
	}
	s := b.String()
	if r := []rune(s); len(r) > maxText {
		s = string(r[:maxText-1]) + "…"
	}
	return s
}

// poster sends JSON bodies over HTTP for a sink.
type poster struct {
	sink   string
	client *http.Client
	clock  clock.Clock // reads Retry-After dates
}

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 4 << 10

// post sends body to target with the headers. A non-2xx answer becomes a
// *deliveryError with its status and any Retry-After, which the header
// gives or, when retryAfter is set, the body's parsed form. The transport's
// error is unwrapped from *url.Error so the URL is never in the result.
func (p poster) post(ctx context.Context, target string, body []byte, h http.Header,
	retryAfter func(body []byte) (time.Duration, bool)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &deliveryError{Sink: p.sink, Err: errors.New("cannot build the request (the URL is not shown)")}
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &deliveryError{Sink: p.sink, Err: scrubURL(err, target)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	de := &deliveryError{Sink: p.sink, Status: resp.StatusCode}
	if d, ok := venuehttp.RetryAfter(resp.Header, p.clock.Now()); ok {
		de.RetryAfter = d
	} else if retryAfter != nil && resp.StatusCode == http.StatusTooManyRequests {
		de.RetryAfter, _ = retryAfter(answer)
	}
	return de
}

// scrubURL returns err, or a replacement naming no URL when err's text
// still contains target or its path (a wrapped error may quote it).
func scrubURL(err error, target string) error {
	msg := err.Error()
	u, perr := url.Parse(target)
	leaks := strings.Contains(msg, target) || (perr == nil && len(u.Path) > 1 && strings.Contains(msg, u.Path))
	if !leaks {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("request failed: %w", context.DeadlineExceeded)
	}
	return errors.New("request failed (the error quoted the URL, which is not shown)")
}

// noRedirect keeps a client from following redirects: a signed body or a
// secret URL's request must reach the configured receiver or no one.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
