package notify

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/otcdesk/engine/internal/venuehttp"
)

// telegram calls the Bot API's sendMessage. The token is part of the
// request path, so the URL is a secret like Slack's.
type telegram struct {
	poster
	endpoint string // <base>/bot<token>/sendMessage
	chatID   any    // json.Number for a numeric id, else the string
}

func newTelegram(p poster, base, token string, chat ChatID) (*telegram, error) {
	base, err := venuehttp.ParseBaseURL(base)
	if err != nil {
		return nil, err
	}
	t := &telegram{poster: p, endpoint: base + "/bot" + token + "/sendMessage", chatID: string(chat)}
	if _, err := strconv.ParseInt(string(chat), 10, 64); err == nil {
		t.chatID = json.Number(chat)
	}
	return t, nil
}

func (t *telegram) send(ctx context.Context, m message) error {
	body, err := json.Marshal(telegramRequest{ChatID: t.chatID, Text: telegramText(m.Event), LinkPreview: linkPreview{IsDisabled: true}})
	if err != nil {
		return &deliveryError{Sink: t.sink, Err: err}
	}
	return t.post(ctx, t.endpoint, body, nil, telegramRetryAfter)
}

// telegramRequest is sendMessage's body.
type telegramRequest struct {
	ChatID      any         `json:"chat_id"`
	Text        string      `json:"text"`
	LinkPreview linkPreview `json:"link_preview_options"`
}

type linkPreview struct {
	IsDisabled bool `json:"is_disabled"`
}

// telegramText renders ev as plain text: no parse_mode is sent, so
// nothing in an event needs escaping.
func telegramText(ev Event) string {
	same := func(s string) string { return s }
	return lines(ev, same, same)
}

// telegramRetryAfter reads the wait a 429 answer asks for, which the Bot
// API puts in its body: {"ok":false,"parameters":{"retry_after":5}}.
func telegramRetryAfter(body []byte) (time.Duration, bool) {
	var r struct {
		Parameters struct {
			RetryAfter int64 `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(body, &r) != nil || r.Parameters.RetryAfter <= 0 {
		return 0, false
	}
	return time.Duration(min(r.Parameters.RetryAfter, int64(venuehttp.MaxRetryAfter/time.Second))) * time.Second, true
}
