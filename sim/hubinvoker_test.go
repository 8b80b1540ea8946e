package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/philippseith/signalr"

	"github.com/otcdesk/engine/sim"
)

// hubInvoker is a test-only client of the simulated hub, built directly on
// philippseith/signalr: it negotiates, opens the WebSocket, sends commands
// in the separate-argument form and records every envelope the hub pushes.
// The simulator's tests use it, not the engine's hub client (package
// hercle/hub), so that they do not depend on the client they are there to
// test; the engine's client sends only the price subscriptions, while the
// simulator serves every documented command.
type hubInvoker struct {
	client signalr.Client
	cancel context.CancelFunc

	mu     sync.Mutex
	envs   []hubEnvelope // in the order the receiver got them
	notify chan struct{} // poked on every envelope
}

// hubEnvelope is one envelope the hub pushed, decoded just enough to route
// it: Data is the payload's JSON, unwrapped when the hub sent it as a
// string (DataWasString); WasString reports an envelope sent as a JSON
// string holding the object.
type hubEnvelope struct {
	Channel       string // the hub's target: executionEvents or subscriptions
	Subject       string
	ClientID      string
	Data          json.RawMessage
	DataWasString bool
	WasString     bool
}

// hubReceiver takes the hub's invocations; philippseith/signalr matches
// its methods to the targets without regard to case.
type hubReceiver struct{ h *hubInvoker }

// ExecutionEvents receives command replies, errors and pushes.
func (r hubReceiver) ExecutionEvents(arg json.RawMessage) { r.h.record("executionEvents", arg) }

// Subscriptions receives price updates.
func (r hubReceiver) Subscriptions(arg json.RawMessage) { r.h.record("subscriptions", arg) }

// quietLog drops the signalr library's logging.
type quietLog struct{}

func (quietLog) Log(...any) error { return nil }

// dialHub connects an invoker to the hub at base (the server's URL) with
// testKey, through hc (nil: a plain client). It is closed at the end of
// the test.
func dialHub(t *testing.T, base string, hc *http.Client) *hubInvoker {
	t.Helper()
	if hc == nil {
		hc = &http.Client{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+sim.HubPath+"/negotiate?negotiateVersion=1", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("negotiate: %v", err)
	}
	var neg struct {
		ConnectionToken string `json:"connectionToken"`
	}
	err = json.NewDecoder(resp.Body).Decode(&neg)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("negotiate: status %d, %v", resp.StatusCode, err)
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+sim.HubPath+"?id="+url.QueryEscape(neg.ConnectionToken),
		&websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Authorization": {"Bearer " + testKey}}})
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	h := &hubInvoker{cancel: ccancel, notify: make(chan struct{}, 1)}
	conn := signalr.NewNetConnection(cctx, websocket.NetConn(cctx, ws, websocket.MessageText))
	h.client, err = signalr.NewClient(cctx, signalr.WithConnection(conn), signalr.WithReceiver(hubReceiver{h}),
		signalr.Logger(quietLog{}, false))
	if err != nil {
		ccancel()
		t.Fatal(err)
	}
	h.client.Start()
	t.Cleanup(func() {
		ccancel()
		_ = ws.CloseNow()
	})
	if err := <-h.client.WaitForState(ctx, signalr.ClientConnected); err != nil {
		t.Fatalf("hub handshake: %v", err)
	}
	return h
}

func (h *hubInvoker) record(channel string, arg json.RawMessage) {
	env, err := parseHubEnvelope(arg)
	if err != nil {
		env = hubEnvelope{Subject: "malformed: " + err.Error()}
	}
	env.Channel = channel
	h.mu.Lock()
	h.envs = append(h.envs, env)
	h.mu.Unlock()
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// parseHubEnvelope reads {channel, topic, subject, type, clientId, data},
// as an object or a string holding one, data embedded or a string holding
// JSON (an error's data may be bare text, kept as a JSON string).
func parseHubEnvelope(arg json.RawMessage) (hubEnvelope, error) {
	arg = bytes.TrimSpace(arg)
	wasString := len(arg) > 0 && arg[0] == '"'
	if wasString {
		var s string
		if err := json.Unmarshal(arg, &s); err != nil {
			return hubEnvelope{}, err
		}
		arg = json.RawMessage(s)
	}
	var raw struct {
		Subject  string          `json:"subject"`
		ClientID *string         `json:"clientId"`
		Data     json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(arg, &raw); err != nil {
		return hubEnvelope{}, err
	}
	env := hubEnvelope{Subject: raw.Subject, Data: raw.Data, WasString: wasString}
	if raw.ClientID != nil {
		env.ClientID = *raw.ClientID
	}
	if len(raw.Data) > 0 && raw.Data[0] == '"' {
		var s string
		if err := json.Unmarshal(raw.Data, &s); err != nil {
			return hubEnvelope{}, err
		}
		env.DataWasString = true
		if json.Valid([]byte(s)) {
			env.Data = json.RawMessage(s)
		}
	}
	return env, nil
}

// invoke sends method with args as separate arguments and waits for the
// hub's completion (not for the reply envelope).
func (h *hubInvoker) invoke(ctx context.Context, method string, args ...any) error {
	select {
	case r := <-h.client.Invoke(method, args...):
		return r.Error
	case <-ctx.Done():
		return fmt.Errorf("%s: no completion: %w", method, ctx.Err())
	}
}

// call sends method with clientID as its first argument and returns the
// envelope that carries clientID back.
func (h *hubInvoker) call(t *testing.T, method, clientID string, args ...any) hubEnvelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.invoke(ctx, method, append([]any{clientID}, args...)...); err != nil {
		t.Fatalf("%s(%s): %v", method, clientID, err)
	}
	return h.reply(t, clientID)
}

// reply waits for the envelope carrying clientID.
func (h *hubInvoker) reply(t *testing.T, clientID string) hubEnvelope {
	t.Helper()
	var got hubEnvelope
	h.waitFor(t, 5*time.Second, "the reply for "+clientID, func(envs []hubEnvelope) bool {
		for _, e := range envs {
			if e.ClientID == clientID {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// waitFor waits until cond holds over the envelopes received, re-checking
// on every envelope.
func (h *hubInvoker) waitFor(t *testing.T, d time.Duration, what string, cond func([]hubEnvelope) bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		ok := cond(h.envs)
		h.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-h.notify:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// hubEnvelopes are the envelope forms the hub can send.
var hubEnvelopes = []sim.HubEnvelope{sim.EnvelopeString, sim.EnvelopeObject, sim.EnvelopeEmbedded}

// checkForm fails the test unless e arrived in form.
func checkForm(t *testing.T, e hubEnvelope, form sim.HubEnvelope) {
	t.Helper()
	if e.WasString != (form == sim.EnvelopeString) || e.DataWasString != (form != sim.EnvelopeEmbedded) {
		t.Errorf("%s for %q: envelope as a string %v, data as a string %v; want the %s form", e.Subject, e.ClientID,
			e.WasString, e.DataWasString, form)
	}
}

// decodeData decodes an envelope's data into v, failing the test if it
// does not fit.
func decodeData(t *testing.T, e hubEnvelope, v any) {
	t.Helper()
	if err := json.Unmarshal(e.Data, v); err != nil {
		t.Fatalf("%s for %s: data %s does not decode into %T: %v", e.Subject, e.ClientID, e.Data, v, err)
	}
}
