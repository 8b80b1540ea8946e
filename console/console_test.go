package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/otcdesk/engine/internal/clock"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/portfolio"
	"github.com/otcdesk/engine/treasury"
)

// staticDesk serves a fixed overview and accepts the token "right"; the
// daemon's tests drive the console against the real engine.
type staticDesk struct{}

func (*staticDesk) Overview(context.Context) Overview { return Overview{State: "trading"} }
func (*staticDesk) Plan(context.Context) ([]treasury.Result, error) {
	return nil, nil
}
func (*staticDesk) Act(context.Context, Action) Outcome { return Outcome{Code: http.StatusOK} }
func (*staticDesk) CheckToken(_ *http.Request, token string) (int, string) {
	if token == "right" {
		return 0, ""
	}
	return http.StatusUnauthorized, "wrong"
}

// TestSessionEndsOnTheClock: a session lasts SessionTTL on the clock
// handed in, then the console asks for the login again.
func TestSessionEndsOnTheClock(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	desk := &staticDesk{}
	c, err := New(Options{Desk: desk, Tokens: desk, Clock: clk.Clock()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(url.Values{"token": {"right"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c.ServeHTTP(rec, req)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("login = %d with cookies %v, want 303 and a session", rec.Code, cookies)
	}
	get := func() int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/console/", nil)
		req.AddCookie(cookies[0])
		c.ServeHTTP(rec, req)
		return rec.Code
	}
	clk.Advance(SessionTTL - time.Second)
	if code := get(); code != http.StatusOK {
		t.Fatalf("overview a second before the session ends = %d, want 200", code)
	}
	clk.Advance(time.Second)
	if code := get(); code != http.StatusSeeOther {
		t.Errorf("overview when the session ends = %d, want 303 to the login", code)
	}
}

// TestChartScalesDays: a bar per day, gains above the zero line and
// losses below it, the running total's line through every day.
func TestChartScalesDays(t *testing.T) {
	day := func(d, realised, fees string) portfolio.DayPnL {
		return portfolio.DayPnL{Day: d, Amounts: portfolio.Amounts{Realised: decimal.RequireFromString(realised), Fees: decimal.RequireFromString(fees)}}
	}
	p := &pnl.Portfolio{Report: portfolio.Report{Reference: "EUR", ByDay: []portfolio.DayPnL{
		day("2026-12-05", "100", "10"), day("2026-12-06", "-50", "0"), day("2026-12-07", "0", "5"),
	}}}
	c := pnlChart(p)
	if len(c.Bars) != 3 || c.Max != "90.00" || c.Min != "-50.00" || strings.Count(c.Line, ",") != 3 {
		t.Fatalf("pnlChart = %+v, want 3 bars from -50.00 to 90.00 and a 3-point line", c)
	}
	if b := c.Bars[0]; b.Loss || b.Y+b.H != c.ZeroY {
		t.Errorf("gain bar %+v does not stand on the zero line %v", b, c.ZeroY)
	}
	if b := c.Bars[1]; !b.Loss || b.Y != c.ZeroY || !strings.Contains(b.Title, "-50.00 EUR") {
		t.Errorf("loss bar %+v does not hang from the zero line %v", b, c.ZeroY)
	}
	if empty := pnlChart(nil); empty.Days != 0 {
		t.Errorf("pnlChart(nil) = %+v, want no chart", empty)
	}
}
