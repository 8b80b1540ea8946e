// Package hub owns the engine's client of the Hercle SignalR hub
// (ExecutionLiveServer): negotiation and the WebSocket connection, keeping
// it up with capped, jittered backoff, re-sending the active price
// subscriptions after every reconnect, decoding what the hub pushes (price
// updates and execution events, in arrival order) and reporting the
// connection's state and metrics.
//
// The product uses the hub for prices and for the events and state it
// pushes, and for nothing else: the only commands the client sends are
// SubscribePairPriceChannel and UnsubscribePairPriceChannel. Orders, RFQs,
// withdrawals and every other money-moving request go through the REST
// client in package hercle and the one send protocol in package execution.
//
// # Concurrency
//
// A *Client is safe for concurrent use. Run owns the connection and must be
// called once; OnPrice and OnEvent run on the connection's read goroutine,
// in the venue's order, and must not block; OnState runs on Run's goroutine.
//
// # What it must never do
//
// Send a money-moving command (the hub's PlaceOtcOrder, withdrawals,
// transfers and the like carry exactly-once rules this package does not
// implement); print, log or return the API key or a URL carrying it;
// reorder the price feed; panic or grow without bound on hostile input
// (decoding errors are counted and sampled into the log); import any
// package of the engine other than hercle (the shared vocabulary), market
// and internal.
package hub
