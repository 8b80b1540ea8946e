// Package ha owns high availability: two engines for one account, one
// leader and one standby, coordinated through etcd. It owns leadership
// (an election on a session lease), the fencing of money-moving requests
// and of every write to the books, and the replication of the books to
// the standby.
//
// # Leadership
//
// Each node holds an etcd session (a lease it keeps alive) and campaigns
// on <prefix>election with concurrency.Election: the candidate key with
// the lowest create revision leads, until its lease ends.
//
// # The books: a replicated log in etcd
//
// Every write transaction of the leader's ledger is appended to a log in
// etcd (<prefix>log/…) before it commits locally (ledger.Replicator): an
// etcd transaction that succeeds only if the node's election key still
// has the create revision it won with and the log's head is the entry
// before. A node that is not the leader, or a deposed one, cannot pass it:
// its write is rolled back and nothing it would have recorded (an intent,
// so nothing is sent) happens. The standby applies the log in order
// (ledger.Store.Apply) and so holds the leader's books up to the last
// acknowledged write; a new leader first applies the log to its head, and
// a node that cannot (a foreign ledger, entries no longer retained) does
// not take over.
//
// # Fencing of requests
//
// The leader measures its lease from its own renewals: the lease cannot
// end before the time a renewal was sent plus the TTL it granted. Fence
// refuses every request but GET and HEAD once that deadline, less a
// margin of TTL/5, has passed, or once leadership is lost: a request that
// passed it left while no other node could have won.
//
// # What it must never do
//
// Let a write or a money-moving request through on a node that cannot
// prove it leads; retry an append whose outcome is unknown (the node
// steps down instead and catches up from the log after a restart).
package ha
