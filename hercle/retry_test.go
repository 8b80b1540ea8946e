package hercle

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otcdesk/engine/internal/metrictest"
	"github.com/otcdesk/engine/internal/venuehttp"
)

// counter counts requests and answers each with the next scripted reply.
type script struct {
	n       atomic.Int32
	replies []func(w http.ResponseWriter, r *http.Request)
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	if i >= len(s.replies) {
		i = len(s.replies) - 1
	}
	s.replies[i](w, r)
}

func status(code int, hdr ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		writeJSON(w, code, `{"code":"X","message":"m"}`)
	}
}

func ok(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) }
}

// hangUp reads the request, then closes the connection without answering:
// the request was sent, so the outcome is unknown.
func hangUp(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestGETRetries(t *testing.T) {
	s := &script{replies: []func(http.ResponseWriter, *http.Request){
		status(503), status(429, "Retry-After", "7"), hangUp, ok(`[]`),
	}}
	h := newHarness(t, s)
	if _, err := h.c.Pairs(context.Background()); err != nil {
		t.Fatalf("Pairs after 503, 429, reset: %v", err)
	}
	if n := s.n.Load(); n != 4 {
		t.Errorf("server saw %d requests, want 4", n)
	}
	// net/http itself replays a GET whose reused connection was closed
	// before any answer, so the reset may cost our retry loop nothing.
	sl := h.clock.Sleeps()
	if len(sl) < 2 || sl[1] != 7*time.Second {
		t.Fatalf("sleeps = %v, want the second = Retry-After 7s", sl)
	}
	if sl[0] < venuehttp.BackoffBase/2 || sl[0] > venuehttp.BackoffBase {
		t.Errorf("first backoff = %v, want within [%v, %v]", sl[0], venuehttp.BackoffBase/2, venuehttp.BackoffBase)
	}
	if len(sl) == 3 && (sl[2] < venuehttp.BackoffBase*2 || sl[2] > venuehttp.BackoffBase*4) {
		t.Errorf("third backoff = %v, want within [%v, %v]", sl[2], venuehttp.BackoffBase*2, venuehttp.BackoffBase*4)
	}
	if v := metrictest.Counter(t, h.reg, "engine_hercle_retries_total", "route", "pairs", "reason", "rate_limited"); v != 1 {
		t.Errorf("rate_limited retries = %v, want 1", v)
	}
	if v := metrictest.Counter(t, h.reg, "engine_hercle_requests_total", "route", "pairs", "outcome", "ok"); v != 1 {
		t.Errorf("ok calls = %v, want 1", v)
	}
}

func TestGETRetriesExhausted(t *testing.T) {
	s := &script{replies: []func(http.ResponseWriter, *http.Request){status(502)}}
	h := newHarness(t, s, func(c *Config) { c.MaxRetries = 2 })
	_, err := h.c.Pairs(context.Background())
	if !errors.Is(err, ErrServer) || s.n.Load() != 3 {
		t.Errorf("err = %v after %d requests, want ErrServer after 3", err, s.n.Load())
	}
}

func TestRetryAfterDate(t *testing.T) {
	clk := newFakeClock()
	when := clk.Now().Add(90 * time.Second).Format(http.TimeFormat)
	s := &script{replies: []func(http.ResponseWriter, *http.Request){status(429, "Retry-After", when), ok(`[]`)}}
	h := newHarness(t, s, func(c *Config) { c.Clock, c.Sleep = clk.Clock(), clk.Sleep })
	if _, err := h.c.Pairs(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sl := clk.Sleeps(); len(sl) != 1 || sl[0] != 90*time.Second {
		t.Errorf("sleeps = %v, want [1m30s]", sl)
	}
}

func TestMoneyPOSTRetryRules(t *testing.T) {
	cases := []struct {
		name     string
		replies  []func(http.ResponseWriter, *http.Request)
		requests int32
		unknown  bool
		sentinel error
	}{
		{"429 then ok is retried", []func(http.ResponseWriter, *http.Request){status(429, "Retry-After", "1"), func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, executionBody) }}, 2, false, nil},
		{"500 is unknown", []func(http.ResponseWriter, *http.Request){status(500)}, 1, true, ErrServer},
		{"503 is unknown", []func(http.ResponseWriter, *http.Request){status(503)}, 1, true, ErrServer},
		{"reset after send is unknown", []func(http.ResponseWriter, *http.Request){hangUp}, 1, true, nil},
		{"400 is a rejection", []func(http.ResponseWriter, *http.Request){status(400)}, 1, false, ErrBadRequest},
		{"2xx with bad body is unknown", []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, `{"tradeId":`) }}, 1, true, ErrMalformedResponse},
		{"2xx html is unknown", []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html>ok</html>")
		}}, 1, true, ErrContentType},
		{"302 is unknown", []func(http.ResponseWriter, *http.Request){status(302, "Location", "/elsewhere")}, 1, true, ErrStatus},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{replies: tc.replies}
			var seen []string
			var mu sync.Mutex
			h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("Client-Id"))
				mu.Unlock()
				s.ServeHTTP(w, r)
			}))
			_, id, err := h.c.PlaceOrder(context.Background(), order(), "")
			if n := s.n.Load(); n != tc.requests {
				t.Errorf("server saw %d requests, want %d", n, tc.requests)
			}
			for _, got := range seen {
				if got != id {
					t.Errorf("retry sent Client-Id %q, want %q", got, id)
				}
			}
			var uo *UnknownOutcomeError
			if gotUnknown := errors.As(err, &uo); gotUnknown != tc.unknown {
				t.Fatalf("err = %v, unknown outcome %v, want %v", err, gotUnknown, tc.unknown)
			}
			if tc.unknown {
				if uo.ClientID != id || !errors.Is(err, ErrOutcomeUnknown) || uo.Op != "POST /api/v1/orders" {
					t.Errorf("UnknownOutcomeError = %+v, want Client-Id %q", uo, id)
				}
				if v := metrictest.Counter(t, h.reg, "engine_hercle_unknown_outcomes_total", "route", "place_order"); v != 1 {
					t.Errorf("unknown outcomes metric = %v, want 1", v)
				}
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if tc.sentinel == nil && !tc.unknown && err != nil {
				t.Errorf("err = %v, want success", err)
			}
		})
	}
}

// flakyDialer fails the first n dials: the request provably never left.
type flakyDialer struct {
	fail  atomic.Int32
	inner net.Dialer
}

func (d *flakyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.fail.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
	}
	return d.inner.DialContext(ctx, network, addr)
}

func TestMoneyPOSTRetriedWhenNotSent(t *testing.T) {
	var hits atomic.Int32
	d := &flakyDialer{}
	d.fail.Store(2)
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		writeJSON(w, 201, executionBody)
	}), func(c *Config) {
		c.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	})
	if _, _, err := h.c.PlaceOrder(context.Background(), order(), ""); err != nil {
		t.Fatalf("PlaceOrder after two refused dials: %v", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server saw %d orders, want exactly 1", hits.Load())
	}
	if v := metrictest.Counter(t, h.reg, "engine_hercle_retries_total", "route", "place_order", "reason", "not_sent"); v != 2 {
		t.Errorf("not_sent retries = %v, want 2", v)
	}

	d.fail.Store(100)
	_, _, err := h.c.PlaceOrder(context.Background(), order(), "")
	if !errors.Is(err, ErrNotSent) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrNotSent and not an unknown outcome", err)
	}
}

// opaqueTransport reports no trace events and fails after "sending": with
// no evidence the request stayed local, it must count as possibly sent.
type opaqueTransport struct{ calls atomic.Int32 }

func (o *opaqueTransport) RoundTrip(*http.Request) (*http.Response, error) {
	o.calls.Add(1)
	return nil, errors.New("connection reset by peer")
}

func TestNoEvidenceMeansUnknown(t *testing.T) {
	tr := &opaqueTransport{}
	h := newHarness(t, http.NotFoundHandler(), func(c *Config) { c.HTTPClient = &http.Client{Transport: tr} })
	_, _, err := h.c.PlaceOrder(context.Background(), order(), "")
	if !errors.Is(err, ErrOutcomeUnknown) || tr.calls.Load() != 1 {
		t.Errorf("err = %v after %d attempts, want unknown outcome after 1", err, tr.calls.Load())
	}
}

func TestMoneyPOSTTimeoutIsUnknown(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, id, err := h.c.PlaceOrder(ctx, order(), "")
	var uo *UnknownOutcomeError
	if !errors.As(err, &uo) || uo.ClientID != id || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want unknown outcome wrapping context.Canceled with Client-Id %s", err, id)
	}
}

func TestCallDeadline(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }),
		func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = 0 })
	defer close(release)
	_, err := h.c.Pairs(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the call deadline", err)
	}
}
