// Package notify owns the engine's direct notifications, for desks that run
// without Alertmanager: it turns events (fills, sweeps, reconciliation
// breaks, kill switch and breaker changes, the daily summary, generic
// alerts) into short messages and delivers them to Slack, Telegram or a
// signed webhook of the desk's own, in the background.
//
// The daemon builds one Notifier with New from the [notify] section, runs
// it in its run group with Run, and hands Notify to the components that
// report: the trading loop among them, which must never wait on a chat
// service.
//
// # Delivery
//
// Notify never blocks. Each sink has a bounded queue (queue_size) and one
// goroutine that sends from it:
//
//   - A full queue drops the event; drops are counted by sink and reason
//     in engine_notify_dropped_total, and each sink writes at most one log
//     line per drop_log_every saying how many it dropped and why.
//   - An event whose Key a sink queued within dedup_window is not queued
//     again (engine_notify_deduplicated_total).
//   - Each sink sends at most rate_per_minute messages, with bursts of
//     burst. Events over the rate are not lost: they are summed up in one
//     "Rate limit: N more events not sent one by one" message (class
//     alerts) listing, per class, how many and the latest title, sent as
//     soon as the rate allows (engine_notify_coalesced_total).
//   - A failed send (no answer, 5xx, 408, 429) is retried with jittered
//     exponential backoff (250ms doubling to 10s), or after the Retry-After
//     the receiver asked for (header, or Telegram's retry_after). An event
//     not delivered within give_up_after of being queued is dropped as
//     gave_up. Any other 4xx is final (rejected). Redirects are not
//     followed.
//   - Delivery is at least once: a retry after a lost answer may repeat a
//     message. Webhook receivers deduplicate by the event id.
//   - On shutdown (Run's context ends, or Close) new events are dropped as
//     closed, and each sink keeps sending what it holds for drain_grace,
//     ending with the rate-limit summary if one is pending.
//
// # Configuration
//
// Secrets are never in the file: a sink names the environment variable
// each secret is read from, and NAME_FILE may name a file holding it
// instead (a trailing newline is trimmed). A Slack incoming-webhook URL and
// a Telegram bot token are credentials: whoever has one can post as the
// engine. New refuses to start when a named variable is unset, naming the
// variable, never printing a value. Zero or missing keys take the
// defaults shown.
//
//	[notify]
//	dedup_window = "10m"     # same Key within this window: sent once
//	give_up_after = "10m"    # from queueing; then dropped as gave_up
//	drain_grace = "5s"       # shutdown keeps sending this long
//	request_timeout = "10s"  # one HTTP attempt
//	drop_log_every = "1m"    # at most one drop line per sink per interval
//	queue_size = 256         # per sink
//
//	# Slack: create an incoming webhook for the channel, then
//	#   export SLACK_WEBHOOK_URL=https://hooks.slack.com/services/...
//	[[notify.sinks]]
//	name = "desk-slack"
//	type = "slack"
//	classes = ["fills", "sweeps", "breaks", "kills", "daily", "alerts"]
//	url_env = "SLACK_WEBHOOK_URL"
//	rate_per_minute = 20     # Slack allows about one message a second
//	burst = 5
//
//	# Telegram: create a bot with @BotFather, add it to the chat, then
//	#   export TELEGRAM_BOT_TOKEN=123456:ABC...
//	[[notify.sinks]]
//	name = "desk-telegram"
//	type = "telegram"
//	classes = ["breaks", "kills", "daily"]
//	chat_id = -1001234567890 # or "@channel_name"
//	token_env = "TELEGRAM_BOT_TOKEN"
//	# base_url = "https://api.telegram.org"
//
//	# A receiver of your own: url (or url_env when the URL is itself a
//	# secret) and a shared signing secret,
//	#   export NOTIFY_WEBHOOK_SECRET=$(openssl rand -hex 32)
//	[[notify.sinks]]
//	name = "ops-webhook"
//	type = "webhook"
//	classes = ["fills", "sweeps", "breaks", "kills", "daily", "alerts"]
//	url = "https://ops.example.com/hooks/engine"
//	secret_env = "NOTIFY_WEBHOOK_SECRET"
//	rate_per_minute = 600
//	burst = 50
//
// Classes: fills, sweeps, breaks, kills, daily, alerts. Validate names
// each bad key by its path, for example notify.sinks[1].type.
//
// # Webhook messages and their signature
//
// A webhook sink POSTs a JSON body (WebhookBody):
//
//	{"id":"17c9...-ops-webhook-42","class":"fills","key":"fill:c-123",
//	 "severity":"info","time":"2024-05-01T10:00:00Z",
//	 "title":"BUY 0.05 BTC @ 60,100 EUR (rebalance core, OTC)",
//	 "fields":[{"name":"notional","value":"3,005 EUR"},{"name":"client_id","value":"c-123"}]}
//
// with two headers, in the manner of Stripe and Standard Webhooks:
//
//	Engine-Event-Id: 17c9...-ops-webhook-42
//	Engine-Signature: t=1714557600,v1=5257a869e7ec...
//
// t is the Unix time of the attempt in seconds; v1 is the lower-case hex
// HMAC-SHA256, keyed with the shared secret's bytes, of the string t, a
// period, and the raw request body: HMAC(secret, "1714557600." + body).
// To verify, a receiver:
//
//  1. reads the raw body before parsing it;
//  2. splits the header on "," into key=value pairs, taking t and every v1;
//  3. rejects the request when t is more than 5 minutes from its own clock
//     (a replay);
//  4. computes the HMAC over t + "." + body and compares it with each v1
//     in constant time (hmac.Equal in Go, crypto.timingSafeEqual in Node,
//     hmac.compare_digest in Python), accepting on a match;
//  5. answers 2xx quickly, and treats a repeated id as a duplicate.
//
// A retry is signed again with a new t and carries the same id. The
// receiver should accept more than one v1, so the secret can be rotated.
// TestWebhookSignatureVerifies holds a complete Go verifier.
//
// # Metrics
//
// engine_notify_events_total{class}, engine_notify_sent_total{sink},
// engine_notify_dropped_total{sink,reason} (queue_full, closed, gave_up,
// rejected, shutdown), engine_notify_deduplicated_total{sink},
// engine_notify_coalesced_total{sink,class},
// engine_notify_retries_total{sink} and the histogram
// engine_notify_send_seconds{sink} of single attempts.
//
// # Concurrency
//
// A Notifier is safe for concurrent use. Notify holds a mutex only to
// check deduplication and put the event on the queues. Run owns every
// goroutine the package starts and returns after they have stopped.
//
// # What it must never do
//
// Block or slow the caller of Notify; put a secret (a Slack URL, a bot
// token, a signing secret) in a message, a log line, a metric or an error;
// retry without bound or forget an event without counting it; follow a
// redirect; compute anything it reports (PnL, balances and counts come in
// the events). Of the engine it imports only market, scheduler, internal
// packages and strategy's configuration value types, so any component can
// report through it without a cycle.
package notify
