package notify

import (
	"context"
	"encoding/json"
	"strings"
)

// slack posts to a Slack incoming webhook, whose URL is the credential.
type slack struct {
	poster
	url string
}

func (s *slack) send(ctx context.Context, m message) error {
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{slackText(m.Event)})
	if err != nil {
		return &deliveryError{Sink: s.sink, Err: err}
	}
	return s.post(ctx, s.url, body, nil, nil)
}

// slackText renders ev in Slack's mrkdwn: the title in bold, and &, < and
// > escaped as Slack asks, so event text cannot make a link or a mention.
func slackText(ev Event) string {
	bold := func(s string) string { return "*" + s + "*" }
	return lines(ev, bold, slackEscape.Replace)
}

var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
