package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sync"
	"time"
)

const (
	// cookieName names the session cookie.
	cookieName = "engine_console"
	// maxSessions bounds the sessions held at once; the oldest go first.
	maxSessions = 256
)

// session is one logged-in browser.
type session struct {
	id      string
	csrf    string
	expires time.Time
	flash   string // the last action's outcome, shown once
}

// sessions are the open sessions, in memory.
type sessions struct {
	mu sync.Mutex // guards m
	m  map[string]*session
}

// randomHex returns 32 random bytes, hex-encoded.
func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand's documented contract)
	return hex.EncodeToString(b)
}

// open starts a session ending at expires, dropping the expired ones (and
// the oldest when too many are open).
func (s *sessions) open(now, expires time.Time) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*session{}
	}
	var oldest *session
	for id, x := range s.m {
		if !now.Before(x.expires) {
			delete(s.m, id)
			continue
		}
		if oldest == nil || x.expires.Before(oldest.expires) {
			oldest = x
		}
	}
	if len(s.m) >= maxSessions {
		delete(s.m, oldest.id)
	}
	x := &session{id: randomHex(), csrf: randomHex(), expires: expires}
	s.m[x.id] = x
	return x
}

// get returns a copy of the live session of r's cookie, or false.
func (s *sessions) get(r *http.Request, now time.Time) (session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) != 64 {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[c.Value]
	if !ok {
		return session{}, false
	}
	if !now.Before(x.expires) {
		delete(s.m, x.id)
		return session{}, false
	}
	return *x, true
}

// takeFlash returns and clears the session's flash message.
func (s *sessions) takeFlash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return ""
	}
	f := x.flash
	x.flash = ""
	return f
}

// setFlash keeps msg for the session's next page.
func (s *sessions) setFlash(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.m[id]; ok {
		x.flash = msg
	}
}

// close ends a session.
func (s *sessions) close(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// validCSRF reports whether r's form carries the session's CSRF token.
func validCSRF(r *http.Request, x session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(x.csrf)) == 1
}

// sameOrigin reports whether a state-changing request may come from where
// it says it comes from: a browser's Sec-Fetch-Site must not be
// cross-site, and an Origin or Referer, when sent, must name this host.
// Without them the CSRF token alone decides.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	for _, h := range []string{"Origin", "Referer"} {
		v := r.Header.Get(h)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// cookie is the session cookie for id, ending at expires (a past time
// deletes it).
func cookie(id string, expires time.Time, secure bool) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: id, Path: "/console", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
	if id == "" {
		c.MaxAge = -1
	}
	return c
}
