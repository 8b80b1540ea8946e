package execution

import (
	"errors"
	"fmt"
	"testing"

	"github.com/otcdesk/engine/hercle"
	"github.com/otcdesk/engine/heropayments"
)

// A send error is a rejection only when the venue or the client says for
// certain that nothing happened; anything else, even an error nobody
// classified, is unknown and looked up: a timeout is never a rejection.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want sendResult
	}{
		{nil, sentOK},
		{errors.New("connection reset"), sentUnknown},
		{&hercle.UnknownOutcomeError{Op: "POST /api/v1/withdrawals", Err: errors.New("timeout")}, sentUnknown},
		{fmt.Errorf("send: %w", hercle.ErrNotSent), sentRejected},
		{&hercle.APIError{Status: 400, Code: "invalid_amount", Err: hercle.ErrBadRequest}, sentRejected},
		{&hercle.APIError{Status: 503, Err: hercle.ErrServer}, sentUnknown},
		{&heropayments.APIError{Status: 422}, sentRejected},
		{&heropayments.APIError{Status: 500}, sentUnknown},
		{fmt.Errorf("limit: %w", heropayments.ErrLimitExceeded), sentRejected},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
