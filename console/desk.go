package console

import (
	"context"
	"net/http"
	"time"

	"github.com/otcdesk/engine/ledger"
	"github.com/otcdesk/engine/pnl"
	"github.com/otcdesk/engine/reconcile"
	"github.com/otcdesk/engine/risk"
	"github.com/otcdesk/engine/treasury"
)

// Desk is the engine as the console sees it. Implementations must be safe
// for concurrent use.
type Desk interface {
	// Overview gathers the overview page. A section that cannot be read
	// is left empty and says why in Problems; Overview itself never fails.
	Overview(ctx context.Context) Overview
	// Plan returns what every treasury policy would do now, sending and
	// recording nothing.
	Plan(ctx context.Context) ([]treasury.Result, error)
	// Act performs an operator action as the admin API performs it,
	// recorded in the ledger's audit trail, and says how it ended.
	Act(ctx context.Context, a Action) Outcome
}

// Tokens checks the admin token typed into the login form.
type Tokens interface {
	// CheckToken returns 0 when token is the admin token of a client r
	// comes from; otherwise the HTTP status (401 wrong, 429 throttled) and
	// why. Wrong tokens must be throttled per client as the admin API's
	// are, so that the form is no faster a way to guess.
	CheckToken(r *http.Request, token string) (int, string)
}

// Verbs are the actions a console offers, each the admin API verb of the
// same name.
const (
	Pause           = "pause"
	Resume          = "resume"
	Kill            = "kill"
	StrategyEnable  = "strategy.enable"
	StrategyDisable = "strategy.disable"
	TreasuryRun     = "treasury.run"
)

// Action is an operator action: its verb, what it acts on (a strategy or a
// policy name) and, for pause and kill, the reason.
type Action struct {
	Verb   string
	Target string
	Reason string
}

// Outcome is how an action ended: the admin API's status code and what it
// said.
type Outcome struct {
	Code    int
	Message string
}

// OK reports whether the action was done.
func (o Outcome) OK() bool { return o.Code >= 200 && o.Code < 300 }

// Overview is what the overview page shows.
type Overview struct {
	At   time.Time
	Mode string
	// State is the admin API's: starting, trading, paused, killed or
	// breaker (or an HA role); Reason says why trading is stopped.
	State       string
	Reason      string
	Maintenance bool
	Hub         string
	Portfolio   *pnl.Portfolio
	// Intents are the unfinished intents.
	Intents []ledger.Intent
	// Activity are the newest fills and movements, newest first.
	Activity   []ledger.Entry
	Feeds      []Feed
	Reconcile  *reconcile.Report // the last run's; nil before the first
	Risk       Risk
	Strategies []Strategy
	Policies   []string // treasury policies, sorted
	Problems   []string
}

// Feed is one subscribed pair's last price.
type Feed struct {
	Pair      string
	Buy, Sell string
	Age       string // since the last tick; empty before the first
	Stale     bool
}

// Risk is the limits risk checks against and what the day used of them.
type Risk struct {
	Limits      risk.Limits
	Usage       *risk.Usage // nil when the counters could not be read
	OpenIntents int
}

// Strategy is one strategy and whether it runs.
type Strategy struct {
	Name    string
	Kind    string
	Enabled bool
	Open    int
}
