package hercle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOffsetWindowsAndPages(t *testing.T) {
	var mu sync.Mutex
	var reqs []string
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/user/trades/"), "/")
		mu.Lock()
		reqs = append(reqs, strings.Join(parts, " "))
		mu.Unlock()
		page, _ := strconv.Atoi(parts[2])
		size, _ := strconv.Atoi(parts[3])
		// Each window has size+1 trades: a full page 0, one trade on page 1.
		// Trade "edge" appears at the end of every window (shared boundary).
		var items []string
		if page == 0 {
			for i := 0; i < size-1; i++ {
				items = append(items, fmt.Sprintf(`{"id":"%s-%d","price":1}`, parts[0], i))
			}
			items = append(items, `{"id":"edge","price":1}`)
		} else {
			items = append(items, fmt.Sprintf(`{"id":"%s-last","price":1}`, parts[0]))
		}
		writeJSON(w, 200, "["+strings.Join(items, ",")+"]")
	}))
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(20 * 24 * time.Hour)
	var ids []string
	for tr, err := range h.c.Trades(context.Background(), PageQuery{From: from, To: to, PageSize: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	want := []string{
		"2025-01-01T00:00:00Z 2025-01-08T00:00:00Z 0 5", "2025-01-01T00:00:00Z 2025-01-08T00:00:00Z 1 5",
		"2025-01-08T00:00:00Z 2025-01-15T00:00:00Z 0 5", "2025-01-08T00:00:00Z 2025-01-15T00:00:00Z 1 5",
		"2025-01-15T00:00:00Z 2025-01-21T00:00:00Z 0 5", "2025-01-15T00:00:00Z 2025-01-21T00:00:00Z 1 5",
	}
	if strings.Join(reqs, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(reqs, "\n"), strings.Join(want, "\n"))
	}
	if len(ids) != 3*6-2 { // 3 windows × 6 records, minus "edge" repeated in two
		t.Errorf("got %d trades %v, want 16 with the repeated boundary trade once", len(ids), ids)
	}
}

func TestOffsetWindowLimits(t *testing.T) {
	var mu sync.Mutex
	spans := map[string]int{}
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		spans[strings.SplitN(r.URL.Path, "/", 5)[3]]++
		mu.Unlock()
		writeJSON(w, 200, `[]`)
	}))
	ctx := context.Background()
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q := PageQuery{From: from, To: from.Add(61 * 24 * time.Hour)}
	for _, err := range h.c.HistoricalTrades(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range h.c.Orders(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range h.c.WithdrawalsPaginated(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range h.c.Transactions(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// 61 days: three 30-day windows, or nine 7-day windows.
	if spans["user"] != 3+9 || spans["orders"] != 3 || spans["withdrawals"] != 3 {
		t.Errorf("requests per resource = %v, want user 12 (3 historical + 9 transactions), orders 3, withdrawals 3", spans)
	}
}

func TestPageQueryValidation(t *testing.T) {
	h := newHarness(t, http.NotFoundHandler())
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []PageQuery{
		{From: from, To: from.Add(time.Hour), PageSize: 4},
		{From: from, To: from.Add(time.Hour), PageSize: 51},
		{From: from, To: from},
		{To: from},
	} {
		for _, err := range h.c.Trades(context.Background(), q) {
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("Trades(%+v) err = %v, want ErrInvalidInput", q, err)
			}
		}
	}
}

func TestOffsetStallDetected(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"orderId":"a"},{"orderId":"b"},{"orderId":"c"},{"orderId":"d"},{"orderId":"e"}]`)
	}))
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var err error
	n := 0
	for _, e := range h.c.Orders(context.Background(), PageQuery{From: from, To: from.Add(time.Hour), PageSize: 5}) {
		if e != nil {
			err = e
			break
		}
		n++
	}
	if n != 5 || !errors.Is(err, ErrPagination) {
		t.Errorf("a server ignoring the page number gave %d orders and err %v, want 5 and ErrPagination", n, err)
	}
}

func TestCursorPaging(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query().Encode())
		mu.Unlock()
		switch r.URL.Query().Get("paginationToken") {
		case "":
			writeJSON(w, 200, `{"payload":[{"id":"t1","amount":1}],"paginationToken":{"Id":{"S":"id-001"}}}`)
		case `{"Id":{"S":"id-001"}}`:
			writeJSON(w, 200, `{"payload":[{"id":"t2","amount":2}],"paginationToken":"tok2"}`)
		default:
			writeJSON(w, 200, `{"payload":[{"id":"t3","amount":3}]}`)
		}
	}))
	from := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for tr, err := range h.c.Transfers(context.Background(), TransferQuery{StartDate: from, EndDate: from.Add(29 * 24 * time.Hour), PageSize: 10, TransferClientID: "c-1"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	if strings.Join(ids, ",") != "t1,t2,t3" {
		t.Errorf("ids = %v, want t1,t2,t3", ids)
	}
	if len(queries) != 3 || !strings.Contains(queries[0], "transferClientId=c-1") || !strings.Contains(queries[0], "startDate=2025-11-01T00%3A00%3A00Z") || !strings.Contains(queries[2], "paginationToken=tok2") {
		t.Errorf("queries = %v", queries)
	}
	for _, err := range h.c.Transfers(context.Background(), TransferQuery{PageSize: 10}) {
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("transfers without dates: err = %v, want ErrInvalidInput", err)
		}
	}
}

func TestCursorRepeatedToken(t *testing.T) {
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"payload":[{"id":"p"}],"paginationToken":"same"}`)
	}))
	var err error
	for _, e := range h.c.Payees(context.Background(), CursorQuery{}) {
		if e != nil {
			err = e
		}
	}
	if !errors.Is(err, ErrPagination) {
		t.Errorf("err = %v, want ErrPagination", err)
	}
}

func TestWindows(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ws := windows(from, from.Add(15*24*time.Hour), window7Days)
	if len(ws) != 3 || !ws[0].to.Equal(ws[1].from) || !ws[2].to.Equal(from.Add(15*24*time.Hour)) || ws[2].to.Sub(ws[2].from) != 24*time.Hour {
		t.Errorf("windows = %v", ws)
	}
}

// TestWholeSeconds: dates go out in whole seconds (the documented form),
// the range widened outward so its last fraction of a second is kept.
func TestWholeSeconds(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ from, to, wantFrom, wantTo string }{
		{"2025-01-01T00:00:00.7Z", "2025-01-02T00:00:00.2Z", "2025-01-01T00:00:00Z", "2025-01-02T00:00:01Z"},
		{"2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"},
	} {
		f, to := wholeSeconds(at(c.from), at(c.to))
		if pathTime(f) != c.wantFrom || pathTime(to) != c.wantTo {
			t.Errorf("wholeSeconds(%s, %s) sent as %s .. %s, want %s .. %s", c.from, c.to, pathTime(f), pathTime(to), c.wantFrom, c.wantTo)
		}
	}
	if f, to := wholeSeconds(time.Time{}, time.Time{}); !f.IsZero() || !to.IsZero() {
		t.Errorf("zero range widened to %s .. %s", f, to)
	}
}

// TestCursorObjectTokenSentBackVerbatim: a paginationToken the venue sends
// as a JSON object (a DynamoDB key, as the docs' example) goes back as the
// venue wrote it, compacted only: key order, integers beyond float64's
// precision and characters such as '&' unchanged. Re-marshalling through
// map[string]any sorted the keys, rounded 1764000000000123456 to
// 1764000000000123500 and escaped '&', so the venue got a token it never
// issued.
func TestCursorObjectTokenSentBackVerbatim(t *testing.T) {
	const token = `{"Id":{"S":"a&b"},"CreatedAt":{"N":1764000000000123456}}`
	var mu sync.Mutex
	var sent []string
	h := newHarness(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("paginationToken")
		mu.Lock()
		sent = append(sent, tok)
		mu.Unlock()
		if tok == "" {
			writeJSON(w, 200, `{"payload":[{"id":"p1"}],"paginationToken": {"Id": {"S": "a&b"},
				"CreatedAt": {"N": 1764000000000123456}}}`)
			return
		}
		writeJSON(w, 200, `{"payload":[{"id":"p2"}]}`)
	}))
	var ids []string
	for p, err := range h.c.Payees(context.Background(), CursorQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if len(sent) != 2 || sent[1] != token {
		t.Errorf("tokens sent = %q, want the second to be %s", sent, token)
	}
	if strings.Join(ids, ",") != "p1,p2" {
		t.Errorf("ids = %v, want p1,p2", ids)
	}
}
