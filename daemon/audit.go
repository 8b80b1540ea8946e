package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/otcdesk/engine/ledger"
)

// who names the admin token's holder in the audit trail and in reasons.
func (d *Daemon) who() string {
	if d.secrets.AdminName == "" {
		return "admin"
	}
	return d.secrets.AdminName
}

// auditNoter is an admin answer that says more of how its action ended
// than "ok" (a Client-Id, a status), for the audit trail.
type auditNoter interface{ auditNote() string }

// audited runs an admin action and records it in the ledger's audit
// trail: who, the verb, its target (the path's name or id), the request
// body and how it ended. A body over the limit is refused before the
// action. A record that cannot be written is logged; the action's answer
// stands (it already happened) and says so.
func (d *Daemon) audited(r *http.Request, action string, h func(*http.Request) (int, any)) (int, any) {
	body, err := io.ReadAll(r.Body)
	var code int
	var resp any
	if err != nil {
		code, resp = http.StatusRequestEntityTooLarge, errBody("body: at most 4096 bytes")
	} else {
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		code, resp = h(r)
	}
	who := d.who()
	if viaConsole(r.Context()) {
		who += " via console"
	}
	rec := ledger.AuditRecord{Time: d.o.Clock.Now(), Who: who, Action: action, Target: target(r), Detail: detail(body), Result: result(code, resp)}
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store == nil {
		d.log.Error("admin action not audited: the ledger is not open yet", "action", action, "who", rec.Who, "result", rec.Result)
		return code, resp
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	if _, err := store.PutAudit(ctx, rec); err != nil {
		d.log.Error("admin action not audited", "action", action, "who", rec.Who, "result", rec.Result, "err", err)
		if m, ok := resp.(map[string]string); ok {
			m["audit"] = "not recorded: " + err.Error()
		}
	}
	return code, resp
}

// target is what the request acts on: the path's name, policy or id.
func target(r *http.Request) string {
	for _, k := range []string{"name", "policy", "id"} {
		if v := r.PathValue(k); v != "" {
			return clipAudit(v, 256)
		}
	}
	return ""
}

// detail is the request body as compact JSON (or quoted, if it is not
// JSON), clipped.
func detail(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, body) == nil {
		return clipAudit(buf.String(), 2048)
	}
	return clipAudit(strconv.Quote(string(body)), 2048)
}

// result is "ok" (with the answer's note), or the refusal with its code.
func result(code int, resp any) string {
	if code < 300 {
		if n, ok := resp.(auditNoter); ok {
			return clipAudit("ok: "+n.auditNote(), 2048)
		}
		return "ok"
	}
	msg := http.StatusText(code)
	if m, ok := resp.(map[string]string); ok && m["error"] != "" {
		msg = m["error"]
	}
	return clipAudit(fmt.Sprintf("refused (%d): %s", code, msg), 2048)
}

// clipAudit cuts s to at most n bytes on a rune boundary.
func clipAudit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// auditList answers GET /admin/audit?limit=&action=: the newest records,
// oldest first (engine ledger audit reads them from a stopped engine's
// file).
func (d *Daemon) auditList(r *http.Request) (int, any) {
	d.mu.Lock()
	store := d.store
	d.mu.Unlock()
	if store == nil {
		return http.StatusServiceUnavailable, errBody("starting up")
	}
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			return http.StatusBadRequest, errBody("limit: want 1 to 10000")
		}
		limit = n
	}
	recs, err := store.Audit(r.Context(), ledger.AuditFilter{Limit: limit, Action: r.URL.Query().Get("action")})
	if err != nil {
		return http.StatusInternalServerError, errBody(err.Error())
	}
	if recs == nil {
		recs = []ledger.AuditRecord{}
	}
	return http.StatusOK, recs
}

// decodeBody decodes a JSON request body into v, strictly: unknown
// fields and trailing data are refused.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("body: a JSON object is required")
		}
		return fmt.Errorf("body: %w", err)
	}
	// Token, not More: More answers false before a stray '}' or ']'.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("body: one JSON object only, nothing after it")
	}
	return nil
}
