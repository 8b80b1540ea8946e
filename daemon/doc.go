// Package daemon wires the engine's parts into the running process: the
// ledger, the Hercle REST and hub clients (or, in paper mode, the simulator
// started in-process on loopback and reached over the same protocols), the
// price feeds, the strategies, risk and execution around one event loop, and
// the HTTP listeners for metrics, health and administration.
//
// # Start-up
//
//  1. Open the ledger (exclusive lock; a second daemon on the same file
//     fails fast).
//  2. Connect REST; read the pairs.
//  3. Recover: every order and RFQ intent the ledger holds unfinished is
//     looked up at the venue by Client-Id. Nothing is re-sent, and trading
//     does not start while any outcome is still unknown.
//  4. Read balances (after recovery, so they include recovered fills);
//     post opening balances into a new ledger.
//  5. Start the hub client and subscribe the configured pairs; the hub
//     client re-subscribes after every reconnect.
//  6. Run the event loop until the context ends.
//
// # Shutdown
//
// On SIGINT or SIGTERM (the caller's context): the loop stops taking
// events, lets intents in flight finish (each ends recorded in the ledger:
// filled, failed or unknown for the next start's recovery), the hub client
// and listeners close, and the ledger is flushed and closed last.
package daemon
