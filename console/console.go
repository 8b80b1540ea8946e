package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/otcdesk/engine/internal/clock"
)

// SessionTTL is how long a login lasts.
const SessionTTL = 12 * time.Hour

// deskWait bounds how long a page waits for the Desk; an action waits
// longer, as the admin API does for an order or a sweep.
const (
	deskWait = 10 * time.Second
	actWait  = 28 * time.Second
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Console.
type Options struct {
	Desk   Desk
	Tokens Tokens
	// Clock times sessions; the zero value is the system clock.
	Clock clock.Clock
	// Secure marks the cookie Secure: set it when the listener is TLS.
	Secure bool
	// Logger receives logins, logouts and refused requests; nil discards.
	Logger *slog.Logger
}

// Console serves the web console under /console/. Build it with New.
type Console struct {
	o        Options
	pages    map[string]*template.Template
	sessions sessions
	mux      *http.ServeMux
}

// New returns a console over o.Desk, or an error naming what is missing.
func New(o Options) (*Console, error) {
	if o.Desk == nil || o.Tokens == nil {
		return nil, errors.New("console: Options.Desk and Options.Tokens are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{o: o, pages: map[string]*template.Template{}}
	for _, name := range []string{"login", "overview", "treasury", "confirm", "refused"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("console: static files: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /console/login", c.loginPage)
	mux.HandleFunc("POST /console/login", c.login)
	mux.HandleFunc("POST /console/logout", c.withSession(c.logout))
	mux.HandleFunc("GET /console/{$}", c.withSession(c.overview))
	mux.HandleFunc("GET /console/treasury", c.withSession(c.treasury))
	mux.HandleFunc("GET /console/confirm", c.withSession(c.confirm))
	mux.HandleFunc("POST /console/act", c.withSession(c.act))
	c.mux = mux
	return c, nil
}

// ServeHTTP serves the console, with headers that keep its pages out of
// caches and frames and allow no script or outside resource.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// page is what every template receives.
type page struct {
	Title string
	// CSRF is the session's token, for the forms; empty when logged out.
	CSRF  string
	Flash string
	Error string
	Data  any
}

// render writes the named page with code.
func (c *Console) render(w http.ResponseWriter, code int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := c.pages[name].Execute(w, p); err != nil {
		c.o.Logger.Error("console page", "page", name, "err", err)
	}
}

// refuse answers a request the console will not serve, changing nothing.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, code int, why string) {
	c.o.Logger.Warn("console request refused", "path", r.URL.Path, "code", code, "why", why)
	c.render(w, code, "refused", page{Title: http.StatusText(code), Error: why})
}

// withSession serves h to a logged-in browser; others go to the login
// form. A POST must also come from this origin and carry the session's
// CSRF token, or it is refused (403) before h runs.
func (c *Console) withSession(h func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		x, ok := c.sessions.get(r, c.o.Clock.Now())
		if !ok {
			if r.Method != http.MethodGet {
				c.refuse(w, r, http.StatusForbidden, "not logged in, or the session ended: log in again")
				return
			}
			http.Redirect(w, r, "/console/login", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, 4096)
			if !sameOrigin(r) {
				c.refuse(w, r, http.StatusForbidden, "cross-origin request refused")
				return
			}
			if !validCSRF(r, x) {
				c.refuse(w, r, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
				return
			}
		}
		h(w, r, x)
	}
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.sessions.get(r, c.o.Clock.Now()); ok {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	c.render(w, http.StatusOK, "login", page{Title: "Log in"})
}

// login checks the token typed in (throttled with the admin API's wrong
// tokens) and opens a session.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if !sameOrigin(r) {
		c.refuse(w, r, http.StatusForbidden, "cross-origin request refused")
		return
	}
	if code, why := c.o.Tokens.CheckToken(r, r.PostFormValue("token")); code != 0 {
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		c.render(w, code, "login", page{Title: "Log in", Error: why})
		return
	}
	now := c.o.Clock.Now()
	x := c.sessions.open(now, now.Add(SessionTTL))
	http.SetCookie(w, cookie(x.id, x.expires, c.o.Secure))
	c.o.Logger.Info("console login", "client", r.RemoteAddr)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, x session) {
	c.sessions.close(x.id)
	http.SetCookie(w, cookie("", time.Unix(0, 0), c.o.Secure))
	c.o.Logger.Info("console logout", "client", r.RemoteAddr)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, x session) {
	ctx, cancel := context.WithTimeout(r.Context(), deskWait)
	defer cancel()
	ov := c.o.Desk.Overview(ctx)
	c.render(w, http.StatusOK, "overview", page{Title: "Overview", CSRF: x.csrf, Flash: c.sessions.takeFlash(x.id),
		Data: overviewPage{Overview: ov, Chart: pnlChart(ov.Portfolio)}})
}

// overviewPage is the overview with its chart.
type overviewPage struct {
	Overview
	Chart chart
}

func (c *Console) treasury(w http.ResponseWriter, r *http.Request, x session) {
	ctx, cancel := context.WithTimeout(r.Context(), deskWait)
	defer cancel()
	plan, err := c.o.Desk.Plan(ctx)
	p := page{Title: "Treasury", CSRF: x.csrf, Flash: c.sessions.takeFlash(x.id), Data: plan}
	if err != nil {
		p.Error = "the plan is incomplete: " + err.Error()
	}
	c.render(w, http.StatusOK, "treasury", p)
}
