package ledger

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// stalledStore opens a store whose writer blocks after its first commit
// until release is closed, so that later writes stay queued.
func stalledStore(t *testing.T) (s *Store, path string, release chan struct{}) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "ledger.db")
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s, err := Open(path, Options{Clock: fixedClock(), OnCommit: func(time.Duration, int) {
		once.Do(func() { close(blocked); <-release })
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
		s.Close()
	})
	go s.Post(context.Background(), trade("first", "1", "1"))
	<-blocked
	return s, path, release
}

// queued waits until n writes are queued behind the stalled writer.
func queued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.qmu.Lock()
		l := len(s.queue)
		s.qmu.Unlock()
		if l >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", l, n)
		}
		runtime.Gosched()
	}
}

// TestAbandonedWriteCommitsWhatWasPassed: a Post or PutEvent whose context
// ends while it is queued returns, and may still commit; it must then
// commit the entry or event as it was when passed, even if the caller
// goes on to reuse its Refs or Meta map (under -race: no data race).
func TestAbandonedWriteCommitsWhatWasPassed(t *testing.T) {
	s, path, release := stalledStore(t)
	e := Entry{Key: SentKey("W1"), Kind: KindWithdrawal, ClientID: "W1",
		Refs: map[string]string{RefTo: "external:address:BTC:bc1qgood"},
		Postings: []Posting{
			{VenueAvailable(Hercle), "BTC", d("-1")},
			{Transit(TransitWithdrawal, "W1"), "BTC", d("1")},
		}}
	ev := Event{Source: SourceHercleWebhook, ID: "e1", Type: "t", Body: []byte(`{}`), Meta: map[string]string{"timestamp": "1"}}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { _, _, err := s.Post(ctx, e); errs <- err }()
	go func() { _, _, err := s.PutEvent(ctx, ev); errs <- err }()
	queued(t, s, 2)
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("abandoned write = %v, want context.Canceled", err)
		}
	}
	// The caller reuses its maps for the next movement.
	e.Refs[RefTo] = "external:address:BTC:bc1qother"
	ev.Meta["timestamp"] = "2"
	close(release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	got, err := ro.Entry(context.Background(), SentKey("W1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Refs[RefTo] != "external:address:BTC:bc1qgood" {
		t.Errorf("stored ref to = %q, want the destination passed to Post", got.Refs[RefTo])
	}
	gev, err := ro.GetEvent(context.Background(), ev.Source, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gev.Meta["timestamp"] != "1" {
		t.Errorf("stored meta timestamp = %q, want the one passed to PutEvent", gev.Meta["timestamp"])
	}
}

// TestAbandonedTransitionMayCommit pins the documented contract: a
// Transition whose context ends while queued may still commit, and
// re-issuing it then is refused, so the caller reads the intent.
func TestAbandonedTransitionMayCommit(t *testing.T) {
	s, _, release := stalledStore(t)
	bg := context.Background()
	created := make(chan error, 1)
	go func() {
		_, _, err := s.CreateIntent(bg, Intent{ClientID: "O1", Kind: IntentOrder, Venue: Hercle})
		created <- err
	}()
	queued(t, s, 1)
	ctx, cancel := context.WithCancel(bg)
	errs := make(chan error, 1)
	go func() { _, err := s.Transition(ctx, "O1", StateSubmitted, Detail{}); errs <- err }()
	queued(t, s, 2)
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned Transition = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(bg, "O1", StateSubmitted, Detail{}); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("re-issued Transition = %v, want ErrIllegalTransition", err)
	}
	if in, err := s.Intent(bg, "O1"); err != nil || in.State != StateSubmitted || len(in.History) != 2 {
		t.Errorf("Intent = %+v, %v; want submitted once", in, err)
	}
}

// TestCloseWhileWritesQueued: Close with writes queued behind a busy
// writer neither deadlocks nor loses one. Every Post that returned nil is
// in the file afterwards; every Post refused with ErrClosed is not.
func TestCloseWhileWritesQueued(t *testing.T) {
	s, path, release := stalledStore(t)
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, _, errs[i] = s.Post(context.Background(), trade(fmt.Sprintf("q%d", i), "1", "1")) })
	}
	queued(t, s, n/2)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close must wait for the queued writes, so it cannot finish while the
	// writer is held.
	for {
		s.qmu.Lock()
		c := s.closed
		s.qmu.Unlock()
		if c {
			break
		}
		runtime.Gosched()
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with writes still queued", err)
	default:
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	stored := 0
	for i, perr := range errs {
		_, gerr := ro.Entry(context.Background(), fmt.Sprintf("q%d", i))
		switch {
		case perr == nil && gerr != nil:
			t.Errorf("q%d: Post returned nil but the entry is not in the file: %v", i, gerr)
		case errors.Is(perr, ErrClosed) && !errors.Is(gerr, ErrNotFound):
			t.Errorf("q%d: Post returned ErrClosed but the entry is in the file", i)
		case perr != nil && !errors.Is(perr, ErrClosed):
			t.Errorf("q%d: Post = %v", i, perr)
		}
		if perr == nil {
			stored++
		}
	}
	if stored < n/2 {
		t.Errorf("%d of the %d queued writes stored", stored, n/2)
	}
	mustVerify(t, ro)
}

// TestGroupCommitIsolatesAFailingWrite: a write that fails after it has
// written part of its records (here a Post meeting a corrupt balance)
// shares a transaction with others; it must fail alone and leave nothing,
// and the others must commit.
func TestGroupCommitIsolatesAFailingWrite(t *testing.T) {
	s, _, release := stalledStore(t)
	// A corrupt stored balance for fees:hercle USDT.
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBalances).Put(balanceKey(Fees(Hercle), "USDT"), []byte("1e5"))
	}); err != nil {
		t.Fatal(err)
	}
	fee := Entry{Key: "fee1", Kind: KindFee, Postings: []Posting{
		{VenueAvailable(Hercle), "USDT", d("-1")}, {Fees(Hercle), "USDT", d("1")}}}
	type result struct {
		key string
		err error
	}
	results := make(chan result, 3)
	for _, e := range []Entry{trade("a", "1", "1"), fee, trade("c", "1", "1")} {
		go func() { _, _, err := s.Post(context.Background(), e); results <- result{e.Key, err} }()
	}
	queued(t, s, 3)
	close(release)
	for range 3 {
		r := <-results
		switch r.key {
		case "fee1":
			if !errors.Is(r.err, ErrCorrupt) {
				t.Errorf("Post(fee1) = %v, want ErrCorrupt", r.err)
			}
		default:
			if r.err != nil {
				t.Errorf("Post(%s) = %v, want it committed", r.key, r.err)
			}
		}
	}
	ctx := context.Background()
	for key, want := range map[string]error{"a": nil, "c": nil, "fee1": ErrNotFound} {
		if _, err := s.Entry(ctx, key); !errors.Is(err, want) {
			t.Errorf("Entry(%s) = %v, want %v", key, err, want)
		}
	}
	if seq, _ := s.LastSeq(ctx); seq != 3 {
		t.Errorf("LastSeq = %d, want 3 (first, a, c)", seq)
	}
}

// TestOnCommitSeesEveryCommit: OnCommit (metrics) is told of every write
// transaction, including those of a batch re-run write by write after one
// of its writes failed, so it agrees with Stats.
func TestOnCommitSeesEveryCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	commits, writes := 0, 0
	s, err := Open(path, Options{Clock: fixedClock(), OnCommit: func(_ time.Duration, n int) {
		mu.Lock()
		commits, writes = commits+1, writes+n
		mu.Unlock()
		once.Do(func() { close(blocked); <-release })
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go s.Post(context.Background(), trade("first", "1", "1"))
	<-blocked
	if err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBalances).Put(balanceKey(Fees(Hercle), "USDT"), []byte("1e5"))
	}); err != nil {
		t.Fatal(err)
	}
	fee := Entry{Key: "fee1", Kind: KindFee, Postings: []Posting{
		{VenueAvailable(Hercle), "USDT", d("-1")}, {Fees(Hercle), "USDT", d("1")}}}
	done := make(chan struct{}, 3)
	for _, e := range []Entry{trade("a", "1", "1"), fee, trade("c", "1", "1")} {
		go func() { s.Post(context.Background(), e); done <- struct{}{} }()
	}
	queued(t, s, 3)
	close(release)
	for range 3 {
		<-done
	}
	st := s.Stats()
	mu.Lock()
	defer mu.Unlock()
	if uint64(commits) != st.Commits || uint64(writes) != st.Writes {
		t.Errorf("OnCommit saw %d commits of %d writes; Stats counts %d of %d", commits, writes, st.Commits, st.Writes)
	}
}
