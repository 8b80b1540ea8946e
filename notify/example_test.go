package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/notify"
)

// A Slack sink, with a local server standing in for Slack's incoming
// webhook. The daemon passes os.Getenv; here the "environment" is a map.
func Example() {
	received := make(chan string, 1)
	slack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct{ Text string }
		json.NewDecoder(r.Body).Decode(&msg)
		received <- msg.Text
	}))
	defer slack.Close()
	env := map[string]string{"SLACK_WEBHOOK_URL": slack.URL + "/services/T0/B0/secret"}

	cfg := notify.Config{Sinks: []notify.SinkConfig{{
		Name:    "desk-slack",
		Type:    notify.TypeSlack,
		Classes: []string{"fills", "kills"},
		URLEnv:  "SLACK_WEBHOOK_URL",
	}}}
	n, err := notify.New(cfg, notify.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	go n.Run(context.Background())
	defer n.Close()

	n.Notify(notify.FillEvent(notify.Fill{
		Side: "buy", Amount: decimal.RequireFromString("0.05"), Base: "BTC",
		Price: decimal.RequireFromString("60100"), Quote: "EUR",
		Strategy: "rebalance core", Path: "OTC", ClientID: "c-42",
	}))
	fmt.Println(<-received)
	// Output:
	// *BUY 0.05 BTC @ 60,100 EUR (rebalance core, OTC)*
	// notional: 3,005 EUR
	// client_id: c-42
}
