// Package webhookd owns the network endpoint that receives Hercle's
// webhooks: the listener (plain HTTP, or HTTPS with the configured
// certificate), the one route to hercle's WebhookHandler with the public
// keys loaded from the configured PEM files, and its graceful shutdown.
//
// Everything about a webhook itself (method, content type, timestamp,
// signature, body limit, envelope, 400/405/413/415/503 answers) is the
// handler's; durability is the inbox's (the ledger's, through
// inbound.WebhookInbox); applying events is inbound.Processor's. This
// package puts the handler on the network and bounds what the network
// may cost.
//
// # Hostile traffic
//
// The endpoint is open to the internet, so what anyone can make it spend
// is bounded, on every route (the Heropayments callbacks mounted with
// Handle included):
//
//   - connections: at most webhook.max_connections open at once; more
//     wait in the kernel's accept queue. The server's header, read, write
//     and idle timeouts bound how long one may be held, and an answer of
//     400 or more closes its connection, so a sender of refused requests
//     connects again (and queues) for each;
//   - memory: a request reserves its body size (the body limit when it
//     has none) out of webhook.max_inflight_bytes before a byte of it is
//     read; one that finds no room within webhook.inflight_wait gets 503
//     with Retry-After. Bodies of up to 64 KiB, every legitimate webhook,
//     never queue behind larger ones;
//   - the log: refused requests (by the handler, as not found, as busy, or
//     in the TLS handshake) are counted in
//     engine_webhookd_refused_total{reason} and logged in aggregate
//     (package internal/refusals): one summary every
//     webhook.refusal_log_every with the counts by reason and path, and
//     the first few of each interval in detail. Accepted webhooks keep
//     their line each.
//
// # Invariants
//
//   - Nothing is acknowledged that is not durable: the handler answers 200
//     only after the inbox stored the event, and a shutdown lets requests
//     in flight finish their store before the process goes (up to the
//     shutdown deadline; a request cut off then gets no 200, so Hercle
//     sends it again).
//   - Bad configuration changes nothing: Start reads and checks every file
//     (public keys, certificate, private key) before it listens, and
//     names the file and the setting at fault.
//   - A renewed certificate is picked up without a restart: each TLS
//     handshake checks whether the certificate or key file changed and
//     loads the new pair; a pair that does not load is logged once and the
//     previous certificate stays in use.
//
// # Concurrency
//
// A Server is safe for concurrent use. Start starts one goroutine that
// serves until Close, Shutdown or the end of Start's context, one that
// waits for that context, and one that writes the summaries of refusals
// (the last one as the server stops); all end with the server.
//
// # What it must never do
//
// Acknowledge an event itself, log a body, signature or key material,
// log a line per refused request, read a body it has not reserved,
// accept a private key where a public key belongs, or keep serving with
// a configuration it could not fully load.
package webhookd
