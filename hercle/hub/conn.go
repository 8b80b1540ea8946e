package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/philippseith/signalr"
)

// Path is the hub's path under the API base URL.
const Path = "/ExecutionLiveServer/v1"

// ErrUnauthorized is returned when the hub refuses the API key (401 or
// 403 on negotiate). The client keeps retrying: a rotated key may be fixed
// outside the process, but every attempt is logged.
var ErrUnauthorized = errors.New("hercle: hub refused the API key")

// recordSeparator ends every SignalR JSON hub-protocol frame.
const recordSeparator = 0x1e

// dialHub negotiates and opens a WebSocket to the hub. The API key travels
// as the official client's accessTokenFactory sends it: Authorization:
// Bearer on negotiate, and on the WebSocket both the header and the
// access_token query parameter. Errors never carry the key or the URL's
// query.
func dialHub(ctx context.Context, hc *http.Client, base, key string, recv *hubReceiver) (*hubConn, error) {
	hubURL, err := url.Parse(strings.TrimRight(base, "/") + Path)
	if err != nil {
		return nil, fmt.Errorf("hercle: hub url: %w", err)
	}
	neg := *hubURL
	neg.Path += "/negotiate"
	neg.RawQuery = "negotiateVersion=1"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, neg.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("hercle: hub negotiate: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("hercle: hub negotiate: %w", redactURLError(err))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("hercle: hub negotiate: status %d: %w", resp.StatusCode, ErrUnauthorized)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("hercle: hub negotiate: status %d", resp.StatusCode)
	case err != nil:
		return nil, fmt.Errorf("hercle: hub negotiate: %w", err)
	}
	var nr struct {
		ConnectionID     string `json:"connectionId"`
		ConnectionToken  string `json:"connectionToken"`
		NegotiateVersion int    `json:"negotiateVersion"`
	}
	if err := json.Unmarshal(body, &nr); err != nil {
		return nil, fmt.Errorf("hercle: hub negotiate: response: %w", err)
	}
	id := nr.ConnectionID
	if nr.NegotiateVersion >= 1 && nr.ConnectionToken != "" {
		id = nr.ConnectionToken
	}
	ws := *hubURL
	switch ws.Scheme {
	case "https":
		ws.Scheme = "wss"
	default:
		ws.Scheme = "ws"
	}
	q := url.Values{}
	q.Set("id", id)
	q.Set("access_token", key)
	ws.RawQuery = q.Encode()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+key)
	c, _, err := websocket.Dial(ctx, ws.String(), &websocket.DialOptions{HTTPClient: hc, HTTPHeader: h})
	if err != nil {
		return nil, fmt.Errorf("hercle: hub websocket: %w", redactURLError(err))
	}
	c.SetReadLimit(1 << 22)
	cctx, cancel := context.WithCancel(context.Background())
	return &hubConn{
		ConnectionBase: *signalr.NewConnectionBase(cctx, nr.ConnectionID),
		ws:             c, cancel: cancel, recv: recv, done: make(chan struct{}),
	}, nil
}

// redactURLError drops the URL (which may hold access_token) from a
// *url.Error and from error text.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	if s := err.Error(); strings.Contains(s, "access_token=") {
		return errors.New(s[:strings.Index(s, "access_token=")] + "access_token=[redacted]")
	}
	return err
}

// hubConn is a signalr.Connection over a WebSocket that takes the hub's
// executionEvents and subscriptions invocations off the stream itself, in
// arrival order, on the read goroutine, and hands the rest (handshake,
// completions, pings, close) to the signalr client. philippseith/signalr
// dispatches each invocation on its own goroutine, which would reorder a
// price feed; reading them here keeps the venue's order and skips a
// reflection call per message.
type hubConn struct {
	signalr.ConnectionBase
	ws     *websocket.Conn
	cancel context.CancelFunc
	recv   *hubReceiver

	pending []byte // frames for the signalr client not yet read; read goroutine only

	closeOnce sync.Once
	done      chan struct{} // closed when the connection has failed or been closed
}

func (c *hubConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		_, msg, err := c.ws.Read(c.Context())
		if err != nil {
			c.close()
			return 0, err
		}
		c.pending = c.recv.filter(msg, c.pending[:0])
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *hubConn) Write(p []byte) (int, error) {
	if err := c.ws.Write(c.Context(), websocket.MessageText, p); err != nil {
		c.close()
		return 0, err
	}
	return len(p), nil
}

// close ends the connection; safe to call more than once.
func (c *hubConn) close() {
	c.closeOnce.Do(func() {
		c.cancel()
		_ = c.ws.CloseNow()
		close(c.done)
	})
}

// filter dispatches the hub's event invocations in msg and appends every
// other frame (with its separator) to keep.
func (r *hubReceiver) filter(msg, keep []byte) []byte {
	for len(msg) > 0 {
		i := bytes.IndexByte(msg, recordSeparator)
		if i < 0 {
			// A partial frame: pass it on; the signalr parser buffers it.
			return append(keep, msg...)
		}
		frame := msg[:i]
		if !r.frame(frame) {
			keep = append(keep, msg[:i+1]...)
		}
		msg = msg[i+1:]
	}
	return keep
}

// frame handles one SignalR frame if it is an invocation of executionEvents
// or subscriptions (type 1), reporting whether it did.
//
// Hubs write an event invocation as {"type":1,"target":"<channel>",
// "arguments":[<envelope>]} (ASP.NET Core and philippseith/signalr alike).
// For that layout the envelope is decoded in place, without first scanning
// the whole frame: its decoder checks that it is one complete JSON value,
// which proves the frame has exactly those three members. Anything else,
// including an envelope too malformed for that proof, takes frameScan, the
// general path, so the outcome is the same either way.
func (r *hubReceiver) frame(frame []byte) bool {
	channel, arg, ok := usualInvocation(frame)
	if !ok {
		return r.frameScan(frame)
	}
	r.mu.Lock()
	ev, p, isPrice, err := r.dec.decodeFast(arg)
	r.mu.Unlock()
	if errors.Is(err, ErrMalformed) {
		return r.frameScan(frame)
	}
	r.route(channel, ev, p, isPrice, err)
	return true
}

const (
	invocationHead = `{"type":1,"target":"`
	invocationArgs = `","arguments":[`
	invocationTail = `]}`
)

// usualInvocation splits a frame of the usual layout into its channel and
// the raw text between the argument list's brackets. It checks the layout
// only; the argument is unchecked.
func usualInvocation(frame []byte) (channel string, arg []byte, ok bool) {
	rest, ok := bytes.CutPrefix(frame, []byte(invocationHead))
	if !ok {
		return "", nil, false
	}
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return "", nil, false
	}
	if channel = hubChannel(rest[:q]); channel == "" {
		return "", nil, false
	}
	rest, ok = bytes.CutPrefix(rest[q:], []byte(invocationArgs))
	if !ok || !bytes.HasSuffix(rest, []byte(invocationTail)) {
		return "", nil, false
	}
	return channel, rest[:len(rest)-len(invocationTail)], true
}

// hubChannel returns the channel a raw (unquoted, unescaped) target names,
// or "" for any other target.
func hubChannel(t []byte) string {
	switch {
	case bytes.EqualFold(t, []byte(ChannelSubscriptions)):
		return ChannelSubscriptions
	case bytes.EqualFold(t, []byte(ChannelExecutionEvents)):
		return ChannelExecutionEvents
	}
	return ""
}

// frameScan is frame for any layout: it scans the whole frame first.
func (r *hubReceiver) frameScan(frame []byte) bool {
	var (
		typ     []byte
		target  []byte
		args    []byte
		invocID bool
	)
	err := scanObject(frame, func(key, value []byte) error {
		switch {
		case keyIs(key, "type"):
			typ = value
		case keyIs(key, "target"):
			target = value
		case keyIs(key, "arguments"):
			args = value
		case keyIs(key, "invocationId"):
			invocID = true
		}
		return nil
	})
	if err != nil || string(typ) != "1" || invocID || len(target) < 2 {
		return false
	}
	channel := hubChannel(target[1 : len(target)-1])
	if channel == "" {
		return false
	}
	arg, ok := firstElement(args)
	if !ok {
		r.malformed(channel, "arguments", errors.New("no argument"))
		return true
	}
	r.dispatch(channel, arg)
	return true
}

// firstElement returns the argument of a one-argument invocation: the
// array's content without its brackets. More than one argument leaves a
// comma inside, which the envelope decoder then rejects as malformed.
func firstElement(a []byte) ([]byte, bool) {
	a = bytes.TrimSpace(a)
	if len(a) < 2 || a[0] != '[' || a[len(a)-1] != ']' {
		return nil, false
	}
	a = bytes.TrimSpace(a[1 : len(a)-1])
	return a, len(a) > 0
}
