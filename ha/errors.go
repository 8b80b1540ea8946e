package ha

import "errors"

var (
	// ErrNotLeader: this node does not lead; the write or request was
	// refused and nothing was done.
	ErrNotLeader = errors.New("ha: not the leader")
	// ErrDeposed: this node led and lost leadership (lease lost, etcd out
	// of reach, an append refused or of unknown outcome). It sends and
	// writes nothing more; restart it to serve as standby.
	ErrDeposed = errors.New("ha: leadership lost")
	// ErrBooks: this node's books cannot be proved to be the log's (they
	// follow another log, or the entries they need are no longer kept).
	// Seed it from a backup of the leader (engine ledger backup, restore).
	ErrBooks = errors.New("ha: the books cannot be proved current")
)
