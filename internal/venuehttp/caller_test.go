package venuehttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

var errNotSent = errors.New("test: not sent")

// fixedClock never moves; waits on it return at once unless a test's
// Sleep says otherwise.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time                                 { return c.t }
func (c fixedClock) Since(t time.Time) time.Duration                { return c.t.Sub(t) }
func (fixedClock) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// counts records what a Caller counted.
type counts struct {
	mu       sync.Mutex
	attempts int
	outcomes []string
	retries  []string
}

func (m *counts) Attempt(time.Duration) { m.mu.Lock(); m.attempts++; m.mu.Unlock() }
func (m *counts) Call(o string)         { m.mu.Lock(); m.outcomes = append(m.outcomes, o); m.mu.Unlock() }
func (m *counts) Retry(r string)        { m.mu.Lock(); m.retries = append(m.retries, r); m.mu.Unlock() }

// apiError is what the test calls make of a non-2xx answer.
type apiError struct{ Response }

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d", e.Status) }

// unknown is what they make of an error of unknown outcome.
type unknown struct{ err error }

func (e *unknown) Error() string { return "unknown: " + e.err.Error() }

// serve answers with statuses in turn (the last one for ever) and counts
// the requests.
func serve(t *testing.T, statuses ...int) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		status := statuses[min(n, len(statuses)-1)]
		n++
		mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprint(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newCaller(retries int) *Caller {
	return &Caller{
		Name: "test", NotSent: errNotSent, HTTP: HTTPClient(nil),
		Limiter: rate.NewLimiter(rate.Inf, 1), Timeout: 5 * time.Second, MaxRetries: retries, MaxBody: 1 << 10,
		Clock: fixedClock{time.Unix(1_700_000_000, 0)},
	}
}

func testCall(url string, write bool, m Metrics) Call {
	return Call{
		Op: "GET /x", Method: http.MethodGet, URL: url, Header: http.Header{"Accept": {"application/json"}}, Write: write,
		Decode:   func(Response) error { return nil },
		APIError: func(r Response) error { return &apiError{r} },
		Unknown:  func(err error) error { return &unknown{err} },
		Metrics:  m,
	}
}

// A read answered 503 is repeated and succeeds; a write answered 503 is
// not repeated, and its error is of unknown outcome.
func TestCallerRetriesReadsNotWrites(t *testing.T) {
	for _, tc := range []struct {
		write    bool
		requests int
		outcome  string
	}{
		{false, 2, OutcomeOK},
		{true, 1, OutcomeUnknown},
	} {
		t.Run(fmt.Sprint("write=", tc.write), func(t *testing.T) {
			srv, n := serve(t, 503, 200)
			var m counts
			err := newCaller(3).Do(context.Background(), testCall(srv.URL, tc.write, &m))
			var u *unknown
			switch {
			case tc.write && !errors.As(err, &u):
				t.Errorf("Do = %v, want an error of unknown outcome", err)
			case !tc.write && err != nil:
				t.Errorf("Do = %v, want nil after a retry", err)
			}
			if *n != tc.requests || m.attempts != tc.requests || len(m.outcomes) != 1 || m.outcomes[0] != tc.outcome {
				t.Errorf("%d requests, %d attempts counted, outcomes %v; want %d, %d, [%s]", *n, m.attempts, m.outcomes, tc.requests, tc.requests, tc.outcome)
			}
		})
	}
}

// When waiting for the limiter fails after an attempt, the call returns
// that attempt's error with KeepLastError, and a NotSent error without.
func TestCallerKeepLastError(t *testing.T) {
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprint("keep=", keep), func(t *testing.T) {
			srv, _ := serve(t, http.StatusTooManyRequests)
			c := newCaller(3)
			c.Limiter = rate.NewLimiter(1, 1) // the second attempt must wait a second
			c.KeepLastError = keep
			sleeps := 0
			c.Sleep = func(context.Context, time.Duration) error {
				sleeps++
				if sleeps == 2 { // the backoff passes; the limiter's wait fails
					return context.DeadlineExceeded
				}
				return nil
			}
			var m counts
			err := c.Do(context.Background(), testCall(srv.URL, false, &m))
			var ae *apiError
			if keep {
				if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests || m.outcomes[0] != OutcomeRejected {
					t.Errorf("Do = %v, outcome %v; want the 429 of the attempt, rejected", err, m.outcomes)
				}
				return
			}
			if !errors.Is(err, errNotSent) || errors.As(err, &ae) || m.outcomes[0] != OutcomeNotSent {
				t.Errorf("Do = %v, outcome %v; want a NotSent error, not_sent", err, m.outcomes)
			}
		})
	}
}

// A request that never left is NotSent (and repeatable); HideURL keeps
// its query out of the error.
func TestCallerNotSentAndHideURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/x?id=secret-id"
	srv.Close() // nothing listens: the dial fails
	for _, hide := range []bool{false, true} {
		c := newCaller(0)
		c.HideURL = hide
		err := c.Do(context.Background(), testCall(url, true, nil))
		if !errors.Is(err, errNotSent) {
			t.Fatalf("Do to a closed port = %v, want it to wrap NotSent", err)
		}
		if got := strings.Contains(err.Error(), "secret-id"); got == hide {
			t.Errorf("HideURL %v: error %q shows the query: %v", hide, err, got)
		}
	}
}

// A body over MaxBody is refused: APIError sees TooLarge and only its start.
func TestCallerTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, strings.Repeat("x", 4<<10))
	}))
	defer srv.Close()
	var got Response
	call := testCall(srv.URL, false, nil)
	call.APIError = func(r Response) error { got = r; return &apiError{r} }
	if err := newCaller(0).Do(context.Background(), call); err == nil {
		t.Fatal("Do = nil for a 502")
	}
	if !got.TooLarge || len(got.Body) != headOfTooLarge || got.Status != http.StatusBadGateway {
		t.Errorf("APIError saw status %d, TooLarge %v, %d bytes; want 502, true, %d", got.Status, got.TooLarge, len(got.Body), headOfTooLarge)
	}
}
