package daemon

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/internal/refusals"
)

// Failed admin attempts are throttled per client address: after
// maxFails wrong tokens within failWindow the client is refused for
// blockFor without the token being compared, and every refusal is
// counted and logged in aggregate (package refusals), never a line each.
const (
	maxFails   = 5
	failWindow = time.Minute
	blockFor   = time.Minute
	maxClients = 4096 // clients remembered at once; the oldest go first
)

// throttle remembers recent failed attempts by client address.
type throttle struct {
	mu sync.Mutex // guards m
	m  map[string]*attempts
}

type attempts struct {
	n            int
	first, until time.Time
}

// wait reports how long client must still wait, or zero.
func (t *throttle) wait(client string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if a, ok := t.m[client]; ok && now.Before(a.until) {
		return a.until.Sub(now)
	}
	return 0
}

// failed counts a wrong token from client.
func (t *throttle) failed(client string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*attempts{}
	}
	a, ok := t.m[client]
	if !ok || now.Sub(a.first) > failWindow {
		if !ok && len(t.m) >= maxClients {
			t.evict(now)
		}
		a = &attempts{first: now}
		t.m[client] = a
	}
	if a.n++; a.n >= maxFails {
		a.until = now.Add(blockFor)
	}
}

// evict drops the attempts no longer in force, or the oldest if none.
func (t *throttle) evict(now time.Time) {
	var oldest string
	for c, a := range t.m {
		if now.Sub(a.first) > failWindow && !now.Before(a.until) {
			delete(t.m, c)
			continue
		}
		if oldest == "" || a.first.Before(t.m[oldest].first) {
			oldest = c
		}
	}
	if len(t.m) >= maxClients {
		delete(t.m, oldest)
	}
}

// ok forgets client's failures after a right token.
func (t *throttle) ok(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, client)
}

// adminAuth checks the bearer token of admin requests.
type adminAuth struct {
	token    []byte
	throttle throttle
	refused  *refusals.Log
	clock    clock.Clock
}

// check returns 0 when r carries the token; otherwise the status to
// answer (401 wrong or missing, 429 throttled) and why.
func (a *adminAuth) check(r *http.Request) (int, string) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return a.checkToken(r, token, ok)
}

// checkToken is check for a token given some other way (the console's
// login form): the same comparison in constant time, and the same
// throttle per client, so neither way is a faster way to guess. given is
// false when no token came at all.
func (a *adminAuth) checkToken(r *http.Request, token string, given bool) (int, string) {
	client := clientOf(r)
	now := a.clock.Now()
	if d := a.throttle.wait(client, now); d > 0 {
		a.refused.Refused(r, "throttled", nil)
		return http.StatusTooManyRequests, fmt.Sprintf("too many wrong tokens from %s: try again in %s", client, d.Round(time.Second))
	}
	if !given || subtle.ConstantTimeCompare([]byte(token), a.token) != 1 {
		a.throttle.failed(client, now)
		a.refused.Refused(r, "wrong token", nil)
		return http.StatusUnauthorized, "missing or wrong bearer token"
	}
	a.throttle.ok(client)
	return 0, ""
}

// clientOf is the request's remote host.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
