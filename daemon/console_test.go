package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/otcdesk/engine/daemon"
	"github.com/otcdesk/engine/ledger"
)

// browser is an HTTP client with cookies that does not follow redirects,
// so a test sees each answer of the console.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send makes a request to the console and returns the status, the
// redirect target and the body.
func (b *browser) send(method, path string, form url.Values, header map[string]string) (int, string, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrf reads the session's CSRF token from a console page.
func (b *browser) csrf() string {
	b.t.Helper()
	code, _, body := b.send(http.MethodGet, "/console/", nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		b.t.Fatalf("GET /console/ = %d without a CSRF token:\n%s", code, body)
	}
	return m[1]
}

// auditOf lists the audit records of action from the admin API.
func (h *harness) auditOf(action string) []ledger.AuditRecord {
	h.t.Helper()
	code, body := h.admin(http.MethodGet, "/admin/audit?action="+action, adminToken)
	var recs []ledger.AuditRecord
	if code != http.StatusOK || json.Unmarshal([]byte(body), &recs) != nil {
		h.t.Fatalf("GET /admin/audit = %d %s", code, body)
	}
	return recs
}

// state is the admin API's trading state.
func (h *harness) state() string {
	h.t.Helper()
	code, body := h.admin(http.MethodGet, "/admin/status", adminToken)
	var st daemon.Status
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		h.t.Fatalf("GET /admin/status = %d %s", code, body)
	}
	return st.State
}

// TestConsoleSessionsAndCSRF: the console needs a login; its session
// cookie is HttpOnly, SameSite=Strict and scoped to /console; an action
// without the session's CSRF token, with a wrong one, from another origin,
// or after logout is refused (403) and changes nothing; a GET (the
// confirmation page) changes nothing; a confirmed pause pauses trading and
// is audited as the admin API's, by the token's name via the console.
func TestConsoleSessionsAndCSRF(t *testing.T) {
	h := start(t, paperConfig(t.TempDir()), daemon.Options{})
	b := newBrowser(t, h.info.AdminURL)
	if code, loc, _ := b.send(http.MethodGet, "/console/", nil, nil); code != http.StatusSeeOther || loc != "/console/login" {
		t.Fatalf("GET /console/ logged out = %d to %q, want 303 to the login form", code, loc)
	}
	if code, _, _ := b.send(http.MethodPost, "/console/act", url.Values{"verb": {"pause"}}, nil); code != http.StatusForbidden {
		t.Fatalf("POST /console/act logged out = %d, want 403", code)
	}
	code, loc, _ := b.send(http.MethodPost, "/console/login", url.Values{"token": {adminToken}}, nil)
	if code != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("login with the token = %d to %q, want 303 to /console/", code, loc)
	}
	u, _ := url.Parse(h.info.AdminURL + "/console/")
	if cs := b.c.Jar.Cookies(u); len(cs) != 1 || len(cs[0].Value) != 64 {
		t.Fatalf("session cookies = %v, want one 32-byte id", cs)
	}
	checkCookie(t, h.info.AdminURL)
	token := b.csrf()
	refused := []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no CSRF token", url.Values{"verb": {"pause"}}, nil},
		{"wrong CSRF token", url.Values{"verb": {"pause"}, "csrf": {strings.Repeat("0", 64)}}, nil},
		{"another origin", url.Values{"verb": {"pause"}, "csrf": {token}}, map[string]string{"Origin": "http://evil.example"}},
		{"a cross-site fetch", url.Values{"verb": {"pause"}, "csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	}
	for _, c := range refused {
		if code, _, _ := b.send(http.MethodPost, "/console/act", c.form, c.header); code != http.StatusForbidden {
			t.Errorf("pause with %s = %d, want 403", c.name, code)
		}
	}
	if code, _, body := b.send(http.MethodGet, "/console/confirm?verb=pause", nil, nil); code != http.StatusOK || !strings.Contains(body, `id="confirm"`) {
		t.Errorf("GET confirm = %d, want the confirmation page:\n%s", code, body)
	}
	if st, recs := h.state(), h.auditOf("pause"); st != "trading" || len(recs) != 0 {
		t.Fatalf("after refused pauses and a confirmation page: state %q, %d pause audit records; want trading, none", st, len(recs))
	}
	form := url.Values{"verb": {"pause"}, "csrf": {token}, "reason": {"console test"}}
	if code, loc, _ := b.send(http.MethodPost, "/console/act", form, map[string]string{"Origin": h.info.AdminURL}); code != http.StatusSeeOther || loc != "/console/" {
		t.Fatalf("confirmed pause = %d to %q, want 303 to the overview", code, loc)
	}
	if st := h.state(); st != "paused" {
		t.Errorf("state after the console's pause = %q, want paused", st)
	}
	recs := h.auditOf("pause")
	if len(recs) != 1 || recs[0].Who != "admin via console" || recs[0].Result != "ok" || !strings.Contains(recs[0].Detail, "console test") {
		t.Errorf("pause audit records = %+v, want one by %q, ok, with the reason", recs, "admin via console")
	}
	if code, _, body := b.send(http.MethodGet, "/console/", nil, nil); code != http.StatusOK || !strings.Contains(body, `id="state" class="state paused"`) {
		t.Errorf("overview after pause = %d, does not show paused", code)
	}
	if code, _, _ := b.send(http.MethodPost, "/console/logout", url.Values{"csrf": {token}}, nil); code != http.StatusSeeOther {
		t.Fatalf("logout = %d, want 303", code)
	}
	resume := url.Values{"verb": {"resume"}, "csrf": {token}}
	if code, _, _ := b.send(http.MethodPost, "/console/act", resume, nil); code != http.StatusForbidden || h.state() != "paused" {
		t.Errorf("resume after logout = %d, state %q; want 403, still paused", code, h.state())
	}
}

// checkCookie logs in again to read the Set-Cookie attributes the jar
// hides.
func checkCookie(t *testing.T, base string) {
	t.Helper()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(base+"/console/login", url.Values{"token": {adminToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		c = x
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/console" || c.Secure || c.Expires.IsZero() {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/console, an expiry, not Secure over plain HTTP", c)
	}
}

// TestConsoleLoginThrottled: a wrong token at the login form is refused,
// and after five the client is refused even the right one, at the form
// and at the admin API alike: the form is no faster way to guess.
func TestConsoleLoginThrottled(t *testing.T) {
	h := start(t, paperConfig(t.TempDir()), daemon.Options{})
	b := newBrowser(t, h.info.AdminURL)
	for i := range 5 {
		code, _, body := b.send(http.MethodPost, "/console/login", url.Values{"token": {"wrong-" + adminToken}}, nil)
		if code != http.StatusUnauthorized || strings.Contains(body, adminToken) {
			t.Fatalf("wrong token %d = %d, want 401 without the token in the page", i+1, code)
		}
	}
	if code, _, _ := b.send(http.MethodPost, "/console/login", url.Values{"token": {adminToken}}, nil); code != http.StatusTooManyRequests {
		t.Errorf("right token after five wrong ones = %d, want 429", code)
	}
	if code, _ := h.admin(http.MethodGet, "/admin/status", adminToken); code != http.StatusTooManyRequests {
		t.Errorf("admin API after five wrong console tokens = %d, want 429 (one throttle)", code)
	}
	if code, loc, _ := b.send(http.MethodGet, "/console/", nil, nil); code != http.StatusSeeOther || loc != "/console/login" {
		t.Errorf("overview after refused logins = %d to %q, want the login form", code, loc)
	}
}
