package ha

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/otcdesk/engine/ledger"
)

// The replicated books in etcd, under the prefix:
//
//	log/id         the log's identity, made with the log
//	log/genesis    the fingerprint of the books the log starts from
//	log/head       the last entry, 16 hex digits
//	log/e/<index>  entry <index> (16 hex digits): one write transaction
//	applied/<node> the last entry <node> applied, on its lease
const (
	maxEntry = 1 << 20 // etcd refuses requests over 1.5 MiB
	page     = 64      // entries read per request
)

// ErrEntryTooLarge: one write transaction's records are too large for an
// etcd request. The ledger then commits its queued writes one by one.
var ErrEntryTooLarge = errors.New("ha: write transaction too large for one log entry")

func hex16(i uint64) string { return fmt.Sprintf("%016x", i) }

func (n *Node) path(k string) string     { return n.s.Prefix + k }
func (n *Node) entryKey(i uint64) string { return n.s.Prefix + "log/e/" + hex16(i) }

// join makes the node's books follow the log, creating the log from them
// if there is none, and applies the log to its head.
func (n *Node) join(ctx context.Context) error {
	id, genesis, err := n.readLog(ctx)
	if err != nil {
		return err
	}
	if id == "" {
		if id, genesis, err = n.createLog(ctx); err != nil {
			return err
		}
	}
	st, err := n.store.Replica(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.Log == id:
	case st.Log != "":
		return fmt.Errorf("%w: the books follow log %s, etcd holds log %s under %s: seed this node from a backup of the leader", ErrBooks, st.Log, id, n.s.Prefix)
	default:
		fp, err := n.store.Fingerprint(ctx)
		if err != nil {
			return err
		}
		if fp != genesis {
			return fmt.Errorf("%w: the books are not those log %s started from: seed this node from a backup of the leader (engine ledger backup, then restore)", ErrBooks, id)
		}
		if err := n.store.JoinLog(ctx, id, 0); err != nil {
			return err
		}
	}
	n.logID = id
	head, err := n.catchUp(ctx)
	if err != nil {
		return err
	}
	n.log.Info("the books follow the replicated log", "log", id, "entry", head)
	return nil
}

func (n *Node) readLog(ctx context.Context) (id, genesis string, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.s.DialTimeout.Duration)
	defer cancel()
	resp, err := n.client.Txn(ctx).Then(clientv3.OpGet(n.path("log/id")), clientv3.OpGet(n.path("log/genesis"))).Commit()
	if err != nil {
		return "", "", fmt.Errorf("ha: etcd %v: read the log: %w", n.s.Endpoints, err)
	}
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		id = string(kvs[0].Value)
	}
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		genesis = string(kvs[0].Value)
	}
	return id, genesis, nil
}

// createLog makes the log, starting from this node's books, unless
// another node made it first; it returns the log there is.
func (n *Node) createLog(ctx context.Context) (id, genesis string, err error) {
	fp, err := n.store.Fingerprint(ctx)
	if err != nil {
		return "", "", err
	}
	b := make([]byte, 16)
	rand.Read(b)
	id = hex.EncodeToString(b)
	tctx, cancel := context.WithTimeout(ctx, n.s.DialTimeout.Duration)
	defer cancel()
	resp, err := n.client.Txn(tctx).If(clientv3.Compare(clientv3.CreateRevision(n.path("log/id")), "=", 0)).
		Then(clientv3.OpPut(n.path("log/id"), id), clientv3.OpPut(n.path("log/genesis"), fp), clientv3.OpPut(n.path("log/head"), hex16(0))).
		Commit()
	if err != nil {
		return "", "", fmt.Errorf("ha: create the log: %w", err)
	}
	if !resp.Succeeded {
		return n.readLog(ctx)
	}
	n.log.Warn("created the replicated log from this node's books", "log", id)
	return id, fp, nil
}

// readHead returns the log's head and the etcd revision it was read at.
func (n *Node) readHead(ctx context.Context) (uint64, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, n.s.DialTimeout.Duration)
	defer cancel()
	resp, err := n.client.Get(ctx, n.path("log/head"))
	if err != nil {
		return 0, 0, fmt.Errorf("ha: read the log's head: %w", err)
	}
	if len(resp.Kvs) == 0 {
		return 0, resp.Header.Revision, fmt.Errorf("%w: no log head under %s", ErrBooks, n.s.Prefix)
	}
	head, err := strconv.ParseUint(string(resp.Kvs[0].Value), 16, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: log head %q", ErrBooks, resp.Kvs[0].Value)
	}
	return head, resp.Header.Revision, nil
}

// catchUp applies the log to the head it reads now (a linearizable read:
// every entry acknowledged before it is there).
func (n *Node) catchUp(ctx context.Context) (uint64, error) {
	head, _, err := n.readHead(ctx)
	if err != nil {
		return 0, err
	}
	return head, n.applyTo(ctx, head)
}

// applyTo applies the log's entries after the books' index up to head.
func (n *Node) applyTo(ctx context.Context, head uint64) error {
	st, err := n.store.Replica(ctx)
	if err != nil {
		return err
	}
	if st.Index > head {
		return fmt.Errorf("%w: the books are at entry %d, past the log's head %d (etcd lost data?)", ErrBooks, st.Index, head)
	}
	for i := st.Index + 1; i <= head; {
		to := min(i+page-1, head)
		rctx, cancel := context.WithTimeout(ctx, n.s.DialTimeout.Duration)
		resp, err := n.client.Get(rctx, n.entryKey(i), clientv3.WithRange(n.entryKey(to+1)))
		cancel()
		if err != nil {
			return fmt.Errorf("ha: read log entries %d-%d: %w", i, to, err)
		}
		for _, kv := range resp.Kvs {
			idx, err := strconv.ParseUint(strings.TrimPrefix(string(kv.Key), n.s.Prefix+"log/e/"), 16, 64)
			if err != nil || idx != i {
				return fmt.Errorf("%w: log entry %d is no longer kept (found %q): seed this node from a backup of the leader", ErrBooks, i, kv.Key)
			}
			if err := n.store.Apply(ctx, idx, kv.Value); err != nil {
				return fmt.Errorf("ha: apply log entry %d: %w", idx, err)
			}
			i++
		}
		if i <= to {
			return fmt.Errorf("%w: log entry %d is no longer kept: seed this node from a backup of the leader", ErrBooks, i)
		}
		n.setIndex(to)
	}
	return nil
}

func (n *Node) setIndex(i uint64) {
	n.mu.Lock()
	n.index = i
	n.mu.Unlock()
	n.m.index.Set(float64(i))
}

// follow applies the log as the leader appends to it, until ctx ends or
// the books cannot follow (an error).
func (n *Node) follow(ctx context.Context) error {
	for ctx.Err() == nil {
		head, rev, err := n.readHead(ctx)
		if err == nil {
			err = n.applyTo(ctx, head)
		}
		if errors.Is(err, ErrBooks) || errors.Is(err, ledger.ErrReplicaOrder) {
			return err
		}
		if err != nil {
			n.log.Warn("follow the leader's books", "err", err)
		} else {
			n.report(ctx, head)
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		w := n.client.Watch(wctx, n.path("log/head"), clientv3.WithRev(rev+1))
		n.watchHead(ctx, w)
		cancel()
	}
	return nil
}

// watchHead applies the log at each move of its head until the watch
// fails (the caller reads the head again) or ctx ends.
func (n *Node) watchHead(ctx context.Context, w clientv3.WatchChan) {
	for resp := range w {
		if resp.Err() != nil || len(resp.Events) == 0 {
			return
		}
		last := resp.Events[len(resp.Events)-1].Kv
		head, err := strconv.ParseUint(string(last.Value), 16, 64)
		if err != nil {
			return
		}
		if err := n.applyTo(ctx, head); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("follow the leader's books", "err", err)
			}
			return
		}
		n.report(ctx, head)
	}
}

// report records, at most once a second, the entry the node applied, on
// its lease: the leader keeps the log from there on.
func (n *Node) report(ctx context.Context, index uint64) {
	n.mu.Lock()
	due := n.clock.Since(n.applied) >= time.Second
	if due {
		n.applied = n.clock.Now()
	}
	n.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if _, err := n.client.Put(ctx, n.path("applied/"+n.name), hex16(index), clientv3.WithLease(n.session.Lease())); err != nil {
		n.log.Debug("report the applied entry", "err", err)
	}
}

// Append makes delta entry index of the log, if this node leads: one etcd
// transaction that succeeds only while the node's election key has the
// create revision it won with and the log's head is index-1. A refusal
// deposes the node, and so does an outcome it cannot learn (the entry may
// be in the log: the node must not write again before it restarts and
// catches up). It implements ledger.Replicator.
func (n *Node) Append(index uint64, delta []byte) error {
	n.mu.Lock()
	role, key, rev := n.role, n.key, n.rev
	n.mu.Unlock()
	if role != RoleLeader {
		n.m.fenced.WithLabelValues("write").Inc()
		return ErrNotLeader
	}
	if err := n.Check(); err != nil {
		n.m.fenced.WithLabelValues("write").Inc()
		return err
	}
	if len(delta) > maxEntry {
		return fmt.Errorf("%w: %d bytes", ErrEntryTooLarge, len(delta))
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.timeout)
	defer cancel()
	resp, err := n.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", rev), clientv3.Compare(clientv3.Value(n.path("log/head")), "=", hex16(index-1))).
		Then(clientv3.OpPut(n.entryKey(index), string(delta)), clientv3.OpPut(n.path("log/head"), hex16(index))).
		Commit()
	if err != nil {
		n.depose(fmt.Errorf("append log entry %d: outcome unknown: %w", index, err))
		return fmt.Errorf("%w: append log entry %d: %w", ErrDeposed, index, err)
	}
	if !resp.Succeeded {
		n.m.fenced.WithLabelValues("write").Inc()
		n.depose(fmt.Errorf("append log entry %d refused: the election key or the log's head moved", index))
		return fmt.Errorf("%w: append log entry %d refused", ErrNotLeader, index)
	}
	n.setIndex(index)
	return nil
}

// trim deletes the log's entries every running node has applied, keeping
// the last LogRetain, under the same leadership condition as Append.
func (n *Node) trim(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	resp, err := n.client.Get(ctx, n.path("applied/"), clientv3.WithPrefix())
	if err != nil {
		return err
	}
	n.mu.Lock()
	low, key, rev := n.index, n.key, n.rev
	n.mu.Unlock()
	for _, kv := range resp.Kvs {
		if i, err := strconv.ParseUint(string(kv.Value), 16, 64); err == nil {
			low = min(low, i)
		}
	}
	if low <= uint64(n.s.LogRetain) {
		return nil
	}
	below := low - uint64(n.s.LogRetain)
	_, err = n.client.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", rev)).
		Then(clientv3.OpDelete(n.entryKey(0), clientv3.WithRange(n.entryKey(below+1)))).Commit()
	return err
}
