package sim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/philippseith/signalr"
	"github.com/shopspring/decimal"
)

// HubPath is where the simulated SignalR hub is mounted.
const HubPath = "/ExecutionLiveServer/v1"

// Hub channels (client-method names) the simulated hub invokes.
const (
	hubExecutionEvents = "executionEvents"
	hubSubscriptions   = "subscriptions"
)

// HubOptions configures the simulated hub.
type HubOptions struct {
	// APIKey is the access token the hub accepts, as Authorization: Bearer
	// or the access_token query parameter. Required.
	APIKey string
	// Envelope is the form of the message argument: the zero value,
	// EnvelopeString, is the guide's (a JSON string, its data a JSON
	// string), which a client written as the guide's JavaScript reads.
	Envelope HubEnvelope
	// PriceInterval is the time between price updates of one subscription.
	// Default 250 ms.
	PriceInterval time.Duration
	// DropEvery drops every connection at this interval, without a close
	// message, as a network fault would (0: never). DropConnections does
	// it on demand.
	DropEvery time.Duration
	// Maintenance reports whether the venue is in a maintenance window at
	// a time of the venue's clock. While it is, the hub refuses negotiate
	// and WebSocket requests with 503 and drops every connection it has
	// (checked every PriceInterval): the guide's "temporary
	// disconnections" of the window. Nil means never.
	Maintenance func(time.Time) bool
	// ArrayOnly lists methods that refuse separate arguments with a binding
	// error, as a strongly typed hub expecting one array would; they accept
	// only invoke('M', [args]).
	ArrayOnly []string
	// Logger receives connection and command logs. Nil discards.
	Logger *slog.Logger
}

// Hub is the simulated Hercle SignalR hub, serving the venue's state to
// hub clients: every documented command, price streams per subscription,
// and execution.order.executed and account.balances.snapshot pushes when
// trades happen through any interface. It is safe for concurrent use.
type Hub struct {
	v    *Venue
	opts HubOptions
	log  *slog.Logger
	srv  signalr.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	conns     map[string]*hubServerConn    // connection id → connection
	tokens    map[string]string            // negotiate token → connection id, until the WebSocket arrives
	subs      map[string]map[hubSub]string // connection id → subscription → ClientId
	forms     map[string]*[2]int           // method → [separate, array] invocations
	drops     int
	answered  map[string]OrderStatus // order id → status already sent as a command reply
	arrayOnly map[string]bool
	refuse    int // subscriptions still to refuse (RefuseSubscriptions)
}

// RefuseSubscriptions makes the hub fail the next n price subscriptions
// with a completion error (the invocation itself fails, as when a hub
// method throws), as a venue briefly unable to serve a pair would.
func (h *Hub) RefuseSubscriptions(n int) {
	h.mu.Lock()
	h.refuse = n
	h.mu.Unlock()
}

type hubSub struct {
	pair string
	size string // decimal text as sent
}

// MountHub registers the hub's negotiate and WebSocket endpoints on mux and
// starts its goroutines (price streams, venue event pushes, scheduled
// drops and the maintenance window), which stop when ctx ends or Close is
// called.
func MountHub(ctx context.Context, mux *http.ServeMux, v *Venue, opts HubOptions) (*Hub, error) {
	if opts.APIKey == "" {
		return nil, errors.New("sim: hub needs an API key")
	}
	if opts.PriceInterval <= 0 {
		opts.PriceInterval = 250 * time.Millisecond
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{
		v: v, opts: opts, log: log,
		conns: map[string]*hubServerConn{}, tokens: map[string]string{},
		subs: map[string]map[hubSub]string{}, forms: map[string]*[2]int{},
		answered: map[string]OrderStatus{}, arrayOnly: map[string]bool{},
	}
	for _, m := range opts.ArrayOnly {
		h.arrayOnly[strings.ToLower(m)] = true
	}
	h.ctx, h.cancel = context.WithCancel(ctx)
	srv, err := signalr.NewServer(h.ctx,
		signalr.HubFactory(func() signalr.HubInterface { return &simHub{h: h} }),
		signalr.Logger(hubLog{log}, false),
		signalr.KeepAliveInterval(5*time.Second),
		signalr.TimeoutInterval(30*time.Second),
	)
	if err != nil {
		h.cancel()
		return nil, fmt.Errorf("sim: hub server: %w", err)
	}
	h.srv = srv
	mux.HandleFunc(HubPath+"/negotiate", h.negotiate)
	mux.HandleFunc(HubPath, h.websocket)
	events := v.Subscribe()
	h.wg.Add(3)
	go h.streamPrices()
	go h.forwardEvents(events)
	go h.injectFaults()
	return h, nil
}

// Close drops every connection and stops the hub's goroutines.
func (h *Hub) Close() {
	h.cancel()
	h.DropConnections()
	h.wg.Wait()
}

// Connections returns the number of open connections.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// ArgumentForms returns, per method, how many invocations arrived with
// separate arguments and how many as one array.
func (h *Hub) ArgumentForms() map[string][2]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][2]int, len(h.forms))
	for m, f := range h.forms {
		out[m] = *f
	}
	return out
}

// Subscriptions returns each connection's active subscriptions as
// "PAIR@size", sorted.
func (h *Hub) Subscriptions() map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]string{}
	for id, subs := range h.subs {
		for s := range subs {
			out[id] = append(out[id], s.pair+"@"+s.size)
		}
		sort.Strings(out[id])
	}
	return out
}

// authorized accepts the key as Authorization: Bearer or access_token.
func (h *Hub) authorized(r *http.Request) bool {
	key := r.URL.Query().Get("access_token")
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		key = strings.TrimPrefix(a, "Bearer ")
	}
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(h.opts.APIKey)) == 1
}

func newHubID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (h *Hub) negotiate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "negotiate is POST", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if h.inMaintenance() {
		maintenanceError(w)
		return
	}
	id, token := newHubID(), newHubID()
	version := 0
	if r.URL.Query().Get("negotiateVersion") == "1" {
		version = 1
	}
	key := id
	if version == 1 {
		key = token
	}
	h.mu.Lock()
	h.tokens[key] = id
	h.mu.Unlock()
	resp := map[string]any{
		"connectionId":     id,
		"negotiateVersion": version,
		"availableTransports": []map[string]any{
			{"transport": "WebSockets", "transferFormats": []string{"Text"}},
		},
	}
	if version == 1 {
		resp["connectionToken"] = token
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (h *Hub) websocket(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if h.inMaintenance() {
		maintenanceError(w)
		return
	}
	token := r.URL.Query().Get("id")
	h.mu.Lock()
	id, ok := h.tokens[token]
	delete(h.tokens, token)
	h.mu.Unlock()
	if token == "" {
		id, ok = newHubID(), true // skipNegotiation
	}
	if !ok {
		http.Error(w, "unknown connection id", http.StatusNotFound)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ws.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(h.ctx)
	c := &hubServerConn{
		ConnectionBase: *signalr.NewConnectionBase(ctx, id),
		ws:             ws, cancel: cancel, h: h,
	}
	h.mu.Lock()
	h.conns[id] = c
	h.mu.Unlock()
	h.log.Debug("hub connection", "id", id)
	_ = h.srv.Serve(c)
	c.close()
	h.mu.Lock()
	delete(h.conns, id)
	delete(h.subs, id)
	h.mu.Unlock()
}

// hubServerConn is a signalr.Connection over a WebSocket that rewrites each
// incoming invocation's arguments to the separate form before the signalr
// server binds them, so every method accepts both invoke('M', a, b) and
// invoke('M', [a, b]); it counts which arrived.
type hubServerConn struct {
	signalr.ConnectionBase
	ws     *websocket.Conn
	cancel context.CancelFunc
	h      *Hub

	pending []byte // read goroutine only

	wmu  sync.Mutex // serialises writes
	once sync.Once
}

func (c *hubServerConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		_, msg, err := c.ws.Read(c.Context())
		if err != nil {
			c.close()
			return 0, err
		}
		c.pending = c.h.normalize(msg, c.pending[:0])
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *hubServerConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.Write(c.Context(), websocket.MessageText, p); err != nil {
		c.close()
		return 0, err
	}
	return len(p), nil
}

func (c *hubServerConn) close() {
	c.once.Do(func() {
		c.cancel()
		_ = c.ws.CloseNow()
	})
}

// normalize rewrites the invocation frames in msg (frames end in 0x1E).
func (h *Hub) normalize(msg, out []byte) []byte {
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, 0x1e)
		if i < 0 {
			return append(out, msg...)
		}
		out = append(out, h.normalizeFrame(msg[:i])...)
		out = append(out, 0x1e)
		msg = msg[i+1:]
	}
	return out
}

func (h *Hub) normalizeFrame(frame []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(frame, &m) != nil {
		return frame
	}
	var typ int
	var target string
	var args []json.RawMessage
	if json.Unmarshal(m["type"], &typ) != nil || (typ != 1 && typ != 4) ||
		json.Unmarshal(m["target"], &target) != nil || json.Unmarshal(m["arguments"], &args) != nil {
		return frame
	}
	form := 0
	if len(args) == 1 && len(bytes.TrimSpace(args[0])) > 0 && bytes.TrimSpace(args[0])[0] == '[' {
		var inner []json.RawMessage
		if json.Unmarshal(args[0], &inner) == nil {
			args, form = inner, 1
		}
	}
	h.mu.Lock()
	f := h.forms[target]
	if f == nil {
		f = new([2]int)
		h.forms[target] = f
	}
	f[form]++
	refuse := form == 0 && h.arrayOnly[strings.ToLower(target)]
	h.mu.Unlock()
	if refuse {
		// One argument more than the method takes: the signalr server
		// answers "parameter mismatch", a binding error, and runs nothing.
		args = append(args, json.RawMessage("null"))
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return frame
	}
	m["arguments"] = raw
	out, err := json.Marshal(m)
	if err != nil {
		return frame
	}
	return out
}

// hubLog turns the signalr library's key-value logs into debug records.
type hubLog struct{ l *slog.Logger }

func (a hubLog) Log(kv ...any) error {
	a.l.Debug("signalr", kv...)
	return nil
}

// send invokes channel on one connection with an envelope in the
// configured form.
func (h *Hub) send(connID, channel, subject, clientID string, data any) {
	env, err := h.envelope(channel, subject, clientID, data)
	if err != nil {
		h.log.Error("hub envelope", "subject", subject, "err", err)
		return
	}
	var arg any = env
	if h.opts.Envelope == EnvelopeString {
		arg = string(env) // the JSON protocol sends it as a JSON string
	}
	h.srv.HubClients().Client(connID).Send(channel, arg)
}

// envelope is {channel, topic, subject, type, clientId, data} as an
// object, data a JSON string unless the form embeds it.
func (h *Hub) envelope(channel, subject, clientID string, data any) (json.RawMessage, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	if h.opts.Envelope != EnvelopeEmbedded {
		if payload, err = json.Marshal(string(payload)); err != nil {
			return nil, err
		}
	}
	topic := subject
	if i := strings.IndexByte(subject, '.'); i > 0 {
		topic = subject[:i]
	}
	return json.Marshal(struct {
		Channel  string          `json:"channel"`
		Topic    string          `json:"topic"`
		Subject  string          `json:"subject"`
		Type     string          `json:"type"`
		ClientID string          `json:"clientId"`
		Data     json.RawMessage `json:"data"`
	}{channel, topic, subject, "message", clientID, payload})
}

// streamPrices sends each subscription a fresh quote every PriceInterval.
func (h *Hub) streamPrices() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.PriceInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		type target struct {
			conn, clientID string
			sub            hubSub
		}
		h.mu.Lock()
		var targets []target
		for conn, subs := range h.subs {
			for s, cid := range subs {
				targets = append(targets, target{conn, cid, s})
			}
		}
		h.mu.Unlock()
		for _, tg := range targets {
			size, err := decimal.NewFromString(tg.sub.size)
			if err != nil {
				continue
			}
			q, err := h.v.Quote(tg.sub.pair, size)
			if err != nil {
				continue
			}
			h.send(tg.conn, hubSubscriptions, "execution.feeds.priceUpdate", tg.clientID, hubPrice(q))
		}
	}
}

// forwardEvents pushes order and balance changes, whichever interface
// caused them, to every connection.
func (h *Hub) forwardEvents(s *Subscription) {
	defer h.wg.Done()
	defer s.Close()
	for {
		e, err := s.Next(h.ctx)
		if err != nil {
			return
		}
		switch e := e.(type) {
		case OrderChanged:
			h.mu.Lock()
			st, answered := h.answered[e.Order.ID]
			if answered && st == e.Order.Status {
				delete(h.answered, e.Order.ID) // the command reply already said so
				h.mu.Unlock()
				continue
			}
			h.mu.Unlock()
			h.broadcast(hubExecutionEvents, "execution.order.executed", e.Order.ClientID, hubOrderExecution(e.Order))
		case BalanceChanged:
			h.broadcast(hubExecutionEvents, "account.balances.snapshot", "", hubBalances(e.Balances))
		}
	}
}

func (h *Hub) broadcast(channel, subject, clientID string, data any) {
	h.mu.Lock()
	ids := make([]string, 0, len(h.conns))
	for id := range h.conns {
		ids = append(ids, id)
	}
	h.mu.Unlock()
	for _, id := range ids {
		h.send(id, channel, subject, clientID, data)
	}
}
