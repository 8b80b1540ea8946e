package hercle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// Page sizes the venue accepts on every paginated endpoint.
const (
	MinPageSize = 5
	MaxPageSize = 50
)

// Maximum date ranges of the offset endpoints, per their documentation
// pages (the collection for the non-historical transactions).
const (
	window7Days  = 7 * 24 * time.Hour
	window30Days = 30 * 24 * time.Hour
)

// maxPages bounds the pages read from one window or cursor chain, so a
// venue that ignores the page number cannot keep an iterator busy forever.
const maxPages = 10000

// PageQuery selects a date range of an offset-paginated listing. The range
// may be longer than the endpoint allows: the iterator splits it into
// consecutive windows of the endpoint's maximum and reads each page of each.
type PageQuery struct {
	From, To time.Time // required; From before To
	PageSize int       // 5 to 50; zero means 50
}

func (q PageQuery) check() (int, error) {
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return 0, fmt.Errorf("%w: date range needs From before To, got %s .. %s", ErrInvalidInput, q.From, q.To)
	}
	return pageSize(q.PageSize)
}

func pageSize(n int) (int, error) {
	if n == 0 {
		return MaxPageSize, nil
	}
	if n < MinPageSize || n > MaxPageSize {
		return 0, fmt.Errorf("%w: page size %d outside %d..%d", ErrInvalidInput, n, MinPageSize, MaxPageSize)
	}
	return n, nil
}

// span is one window of a split date range.
type span struct{ from, to time.Time }

// windows splits [from, to] into consecutive spans no longer than limit;
// each span starts where the previous ended. Records on a shared boundary
// may be returned by both windows; the iterators drop such repeats by id.
func windows(from, to time.Time, limit time.Duration) []span {
	var out []span
	for from.Before(to) {
		end := from.Add(limit)
		if end.After(to) {
			end = to
		}
		out = append(out, span{from, end})
		from = end
	}
	return out
}

// pathTime formats a date for a path segment or query: RFC 3339 in UTC,
// whole seconds, the form of every documented example. Callers widen a
// range with wholeSeconds first, so no record in it is cut off.
func pathTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// wholeSeconds widens [from, to] outward to whole seconds: from down, to
// up. Dates are sent in whole seconds, and cutting the fraction off the
// end would drop the records of its last fraction of a second (a listing
// ending at now would miss the newest). A listing may therefore return
// records up to a second outside the range asked for. Zero times stay zero.
func wholeSeconds(from, to time.Time) (time.Time, time.Time) {
	f, t := from.Truncate(time.Second), to.Truncate(time.Second)
	if t.Before(to) {
		t = t.Add(time.Second)
	}
	return f, t
}

// offsetPages iterates an offset-paginated listing whose path ends in
// {startDate}/{endDate}/{page}/{pageSize}, window by window and page by
// page. A page shorter than the page size ends its window. Records are
// yielded once: repeats (same non-empty id) are skipped, which covers
// shared window boundaries and rows shifting between pages. Iteration
// stops at the first error, which is yielded with a zero T.
func offsetPages[T any](ctx context.Context, c *Client, r route, limit time.Duration, q PageQuery, id func(T) string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		size, err := q.check()
		if err != nil {
			yield(zero, err)
			return
		}
		seen := make(map[string]struct{})
		from, to := wholeSeconds(q.From, q.To)
		for _, w := range windows(from, to, limit) {
			for page := 0; ; page++ {
				if page == maxPages {
					yield(zero, fmt.Errorf("%w: %s: more than %d pages in one window", ErrPagination, r.op(), maxPages))
					return
				}
				var items []T
				err := c.do(ctx, request{route: r, args: []string{pathTime(w.from), pathTime(w.to), strconv.Itoa(page), strconv.Itoa(size)}}, &items)
				if err != nil {
					yield(zero, err)
					return
				}
				fresh := 0
				for _, it := range items {
					if k := id(it); k != "" {
						if _, dup := seen[k]; dup {
							continue
						}
						seen[k] = struct{}{}
					}
					fresh++
					if !yield(it, nil) {
						return
					}
				}
				if len(items) < size {
					break
				}
				if fresh == 0 {
					yield(zero, fmt.Errorf("%w: %s: page %d repeated earlier records only", ErrPagination, r.op(), page))
					return
				}
			}
		}
	}
}

// CursorQuery selects a cursor-paginated (banking) listing.
type CursorQuery struct {
	// PageSize is 5 to 50; zero means 50.
	PageSize int
	// From and To optionally bound the creation date. Where the endpoint
	// allows at most 30 days, a longer range is split into windows.
	From, To time.Time
	// Token resumes from a paginationToken a previous listing returned.
	Token string
}

// Cursor is a paginationToken. The docs type it as a string; its example
// value is JSON text ({"Id":{"S":"id-001"}}), so a token the venue sends
// as a JSON object instead is kept as that text and sent back verbatim.
type Cursor string

// UnmarshalJSON accepts a string, null (no more pages) or any other JSON
// value, kept as its compact text: whitespace goes, but key order, number
// literals and escapes stay as the venue wrote them (a round trip through
// map[string]any would sort keys, round big integers and escape '&').
func (t *Cursor) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Cursor(s)
		return nil
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = ""
		return nil
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return err
	}
	*t = Cursor(compact.String())
	return nil
}

// CursorPage is one page of a cursor-paginated listing. The last page has
// no token (absent, null or empty).
type CursorPage[T any] struct {
	Payload         []T    `json:"payload"`
	PaginationToken Cursor `json:"paginationToken"`
}

// cursorSpec says how a cursor listing takes its date range.
type cursorSpec struct {
	fromKey, toKey string        // query names of the range ("from"/"to" or "startDate"/"endDate")
	limit          time.Duration // split longer ranges; 0 means pass the range as is
	required       bool          // the range is mandatory
}

// cursorPages iterates a cursor-paginated listing until the venue returns
// no token. A token equal to one already sent is an error (the venue would
// otherwise serve the same page forever).
func cursorPages[T any](ctx context.Context, c *Client, r route, args []string, base url.Values, spec cursorSpec, q CursorQuery) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		size, err := pageSize(q.PageSize)
		if err != nil {
			yield(zero, err)
			return
		}
		from, to := wholeSeconds(q.From, q.To)
		spans := []span{{from, to}}
		hasRange := !q.From.IsZero() && !q.To.IsZero()
		switch {
		case spec.required && !hasRange:
			yield(zero, fmt.Errorf("%w: %s needs both dates of its range", ErrInvalidInput, r.op()))
			return
		case hasRange && !q.From.Before(q.To):
			yield(zero, fmt.Errorf("%w: date range needs From before To, got %s .. %s", ErrInvalidInput, q.From, q.To))
			return
		case hasRange && spec.limit > 0:
			spans = windows(from, to, spec.limit)
		}
		token := q.Token
		for _, w := range spans {
			sent := make(map[Cursor]struct{})
			for page := 0; ; page++ {
				if page == maxPages {
					yield(zero, fmt.Errorf("%w: %s: more than %d pages", ErrPagination, r.op(), maxPages))
					return
				}
				query := url.Values{}
				for k, v := range base {
					query[k] = v
				}
				query.Set("pageSize", strconv.Itoa(size))
				if !w.from.IsZero() {
					query.Set(spec.fromKey, pathTime(w.from))
				}
				if !w.to.IsZero() {
					query.Set(spec.toKey, pathTime(w.to))
				}
				if token != "" {
					query.Set("paginationToken", token)
					sent[Cursor(token)] = struct{}{}
				}
				var p CursorPage[T]
				if err := c.do(ctx, request{route: r, args: args, query: query}, &p); err != nil {
					yield(zero, err)
					return
				}
				for _, it := range p.Payload {
					if !yield(it, nil) {
						return
					}
				}
				if p.PaginationToken == "" {
					break
				}
				if _, again := sent[p.PaginationToken]; again {
					yield(zero, fmt.Errorf("%w: %s: the venue returned a token already used", ErrPagination, r.op()))
					return
				}
				token = string(p.PaginationToken)
			}
			token = ""
		}
	}
}
