package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests in this file judge the engine from the outside, as an
// operator would: each starts the real `engine` (this test binary,
// re-executed by TestMain) on a ledger damaged as a disk or an attacker
// would damage it, or in a place it cannot write, and reads only its exit
// code, its output and the files.

// assertNoCrash fails the test if out reads like a crash: an engine must
// turn whatever the file holds into an error.
func assertNoCrash(t *testing.T, what, out string) {
	t.Helper()
	for _, crash := range []string{"panic", "goroutine ", "runtime error"} {
		if strings.Contains(strings.ToLower(out), crash) {
			t.Errorf("%s: output has %q:\n%s", what, crash, out)
		}
	}
}

// fillingConfig is the shipped configuration (paperConfig) with three
// more strategies that buy a little on every price update: the shipped
// ones fill one order in their first ten seconds, and the page tests need
// buckets of more than one bbolt page.
func fillingConfig(t *testing.T) string {
	t.Helper()
	path := paperConfig(t)
	var extra strings.Builder
	for i, s := range []struct{ pair, size string }{{"BTCEUR", "0.001"}, {"ETHEUR", "0.01"}, {"BTCEUR", "0.002"}} {
		fmt.Fprintf(&extra, "\n[[strategy]]\nkind = \"threshold\"\nname = \"fill-%d\"\n[strategy.params]\npair = %q\nside = \"buy\"\norder = \"limit\"\n"+
			"price = \"100000000\"\nsize = %q\nrearm = true\ncooldown = \"20ms\"\npath = \"otc\"\n", i, s.pair, s.size)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, extra.String()...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// paperLedger runs the paper engine until it has filled fills orders,
// stops it with SIGINT and returns the ledger file it wrote.
func paperLedger(t *testing.T, fills int) []byte {
	t.Helper()
	cfg := fillingConfig(t)
	p := startEngineFor(t, time.Minute, nil, "run", "-config", cfg)
	if !p.waitOutput(func(out string) bool { return strings.Count(out, `msg="trade filled"`) >= fills }) {
		t.Fatalf("the paper engine exited before %d fills:\n%s", fills, p.out.String())
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, out := p.wait(t); code != exitOK || !strings.Contains(out, `msg="engine stopped"`) {
		t.Fatalf("paper engine after SIGINT: exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ledgerCopy writes b as the ledger of a new paper configuration and
// returns the configuration and the ledger's paths.
func ledgerCopy(t *testing.T, b []byte) (cfg, db string) {
	t.Helper()
	cfg = paperConfig(t)
	db = filepath.Join(filepath.Dir(cfg), "ledger.db")
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, db
}

// dirState lists a directory's entries with their size, mode and time of
// modification, to show that a command changed nothing there.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %v %s\n", e.Name(), fi.Size(), fi.Mode(), fi.ModTime().Format(time.RFC3339Nano))
	}
	return b.String()
}

// books is what the ledger commands print about one ledger file, with the
// file's path replaced by "LEDGER".
type books struct {
	code     map[string]int
	out      map[string]string
	exported []entryJSON
}

// ledgerCommands are every command of cmd/engine that reads an existing
// ledger and exits by itself (`engine run` aside; `treasury plan` reads it
// only when treasury policies are configured, and `reconcile` without
// -last needs a venue with a history).
func ledgerCommands(cfg, db string) map[string][]string {
	return map[string][]string{
		"ledger verify":   {"ledger", "verify", "-db", db},
		"ledger journal":  {"ledger", "journal", "-db", db},
		"ledger balances": {"ledger", "balances", "-db", db},
		"ledger intents":  {"ledger", "intents", "-db", db},
		"ledger export":   {"ledger", "export", "-db", db, "-format", "json"},
		"reconcile -last": {"reconcile", "-last", "-config", cfg},
	}
}

// readBooks runs every ledger command on db, all at once.
func readBooks(t *testing.T, cfg, db string) books {
	t.Helper()
	bk := books{code: map[string]int{}, out: map[string]string{}}
	procs := map[string]*engineProc{}
	for name, args := range ledgerCommands(cfg, db) {
		procs[name] = startEngine(t, nil, args...)
	}
	for name, p := range procs {
		code, out := p.wait(t)
		bk.code[name], bk.out[name] = code, strings.ReplaceAll(out, db, "LEDGER")
		if name == "ledger export" && code == exitOK {
			if err := json.Unmarshal([]byte(out), &bk.exported); err != nil {
				t.Fatalf("ledger export -format json: %v\n%s", err, out)
			}
		}
	}
	return bk
}

// TestFailClosedDamagedBooks makes a real ledger with the paper engine,
// then damages copies of it, as an attacker and as a disk would, and runs
// the engine's commands on them: none trades or crashes, each names what
// is damaged and says what to do.
func TestFailClosedDamagedBooks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the paper engine for a few seconds, then about 100 engine processes")
	}
	good := paperLedger(t, 20)
	f := readBolt(good)
	cfg, db := ledgerCopy(t, good)
	want := readBooks(t, cfg, db)
	for name, code := range want.code {
		if code != exitOK {
			t.Fatalf("%s on the good ledger: exit %d\n%s", name, code, want.out[name])
		}
	}
	t.Run("tampered posting", func(t *testing.T) {
		t.Parallel()
		testTamperedPosting(t, f, want.exported)
	})
	t.Run("garbled inbox record", func(t *testing.T) {
		t.Parallel()
		testGarbledRecord(t, f, want)
	})
	t.Run("damaged page", func(t *testing.T) {
		testDamagedPages(t, f, want)
	})
}

// testGarbledRecord zeroes the first 8 bytes of a stored webhook's record
// in the inbox, inside a page whose structure stays sound, so only
// decoding the record finds it: `engine run` reads every stored webhook at
// start-up and refuses the books (exit 3) naming the file and the event,
// and trades nothing: the journal is unchanged. `engine ledger verify`
// names the event; the commands that do not read the inbox print what
// they print on the good ledger.
func testGarbledRecord(t *testing.T, f boltFile, want books) {
	var ev boltElem
	f.walk(t, f.last, func(bucket string, _ int, _ int, elems []boltElem) {
		for _, el := range elems {
			if bucket == "inbox" && ev.key == nil && bytes.HasPrefix(el.key, []byte("hercle.webhook\x00")) {
				ev = el
			}
		}
	})
	if ev.key == nil {
		t.Fatal("the good ledger stored no webhook")
	}
	_, id, _ := bytes.Cut(ev.key, []byte{0})
	b := bytes.Clone(f.b)
	clear(b[ev.off : ev.off+8])
	cfg, db := ledgerCopy(t, b)

	code, out := engineExit(t, nil, "run", "-config", cfg)
	if code != exitBooks || !strings.Contains(out, db) || !strings.Contains(out, string(id)) || !strings.Contains(out, "restore the ledger from a backup") {
		t.Errorf("engine run with a garbled webhook record: exit %d, want %d naming %s, event %s and what to do:\n%s", code, exitBooks, db, id, out)
	}
	for _, traded := range []string{`msg="engine running"`, `msg="intent approved"`, `msg="trade filled"`} {
		if strings.Contains(out, traded) {
			t.Errorf("engine run with a garbled webhook record: output has %s:\n%s", traded, out)
		}
	}
	assertNoCrash(t, "engine run", out)
	// The start-up got past the check of the books (which verified, and
	// recorded so) to the webhooks: the journal is what it was.
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJournal(t, f, readBolt(after)) {
		t.Errorf("engine run changed the journal")
	}

	bk := readBooks(t, cfg, db)
	if v := bk.out["ledger verify"]; bk.code["ledger verify"] != exitFailure || !strings.Contains(v, string(id)) {
		t.Errorf("ledger verify: exit %d, want %d naming event %s:\n%s", bk.code["ledger verify"], exitFailure, id, v)
	}
	for _, name := range []string{"ledger journal", "ledger balances", "ledger intents", "ledger export", "reconcile -last"} {
		if bk.code[name] != exitOK || bk.out[name] != want.out[name] {
			t.Errorf("%s: exit %d, printing\n%s\nwant 0 and what it prints on the good ledger:\n%s", name, bk.code[name], bk.out[name], want.out[name])
		}
	}
}

// testTamperedPosting changes one digit of one posting of a trade, in
// place, in the file's bytes (same length, so bbolt reads the file as
// before): `engine run` refuses the books with exit 3 within 10 s, names
// the entry and says what to do, and trades nothing: the file is byte for
// byte as it was (no entry, no fill, not even a checkpoint was written).
// `engine ledger verify` and `journal` name the entry too.
func testTamperedPosting(t *testing.T, f boltFile, entries []entryJSON) {
	i := slices.IndexFunc(entries, func(e entryJSON) bool { return e.Kind == "trade" })
	if i < 0 {
		t.Fatal("the good ledger has no trade entry")
	}
	en := entries[i]
	p := en.Postings[0]
	// The record's bytes, found from the headers: the journal's leaf
	// element keyed by the entry's sequence number. The posting is
	// encoded as in ledger/codec.go: each string a uvarint length and its
	// bytes.
	rec, ok := f.journal(t, f.last)[en.Seq]
	if !ok {
		t.Fatalf("entry %d (%s) is not in the journal's pages", en.Seq, en.Key)
	}
	var enc []byte
	for _, s := range []string{p.Account, p.Asset, p.Amount} {
		enc = append(binary.AppendUvarint(enc, uint64(len(s))), s...)
	}
	at := bytes.Index(f.b[rec.off:rec.off+rec.len], enc)
	if at < 0 {
		t.Fatalf("entry %s: posting %s %s %s not found in its record", en.Key, p.Account, p.Asset, p.Amount)
	}
	digit := rec.off + at + len(enc) - 1 // the amount's last digit
	b := bytes.Clone(f.b)
	if b[digit] == '9' {
		b[digit] = '8'
	} else {
		b[digit]++
	}
	t.Logf("entry %d %s: posting %s %s %s changed to %s", en.Seq, en.Key, p.Account, p.Asset, p.Amount, b[digit-len(p.Amount)+1:digit+1])
	cfg, db := ledgerCopy(t, b)
	before := dirState(t, filepath.Dir(db))

	start := time.Now()
	code, out := engineExit(t, nil, "run", "-config", cfg)
	t.Logf("engine run: exit %d after %s", code, time.Since(start).Round(time.Millisecond))
	if code != exitBooks {
		t.Errorf("engine run on a tampered ledger: exit %d, want %d\n%s", code, exitBooks, out)
	}
	for _, w := range []string{en.Key, "restore the ledger from a backup", "engine ledger verify"} {
		if !strings.Contains(out, w) {
			t.Errorf("engine run on a tampered ledger: output lacks %q:\n%s", w, out)
		}
	}
	for _, traded := range []string{`msg="engine running"`, `msg="intent approved"`, `msg="trade filled"`} {
		if strings.Contains(out, traded) {
			t.Errorf("engine run on a tampered ledger: output has %s:\n%s", traded, out)
		}
	}
	assertNoCrash(t, "engine run", out)
	// No fill, no entry: the ledger is the file the attacker left.
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, b) {
		t.Errorf("engine run changed the tampered ledger (%d bytes, was %d)", len(after), len(b))
	}
	if trades := countTrades(t, readBolt(after)); trades != countTrades(t, f) {
		t.Errorf("trade entries after engine run: %d, before %d", trades, countTrades(t, f))
	}
	if got := dirState(t, filepath.Dir(db)); got != before {
		t.Errorf("engine run changed the ledger's directory:\n%s\nwas:\n%s", got, before)
	}

	for sub, advice := range map[string]string{"verify": "do not restart trading on it", "journal": "restore it from a backup"} {
		code, out := engineExit(t, nil, "ledger", sub, "-db", db)
		if code != exitFailure || !strings.Contains(out, en.Key) || !strings.Contains(out, db) || !strings.Contains(out, advice) {
			t.Errorf("engine ledger %s on a tampered ledger: exit %d, want %d naming %s and the file, and %q:\n%s", sub, code, exitFailure, en.Key, advice, out)
		}
		assertNoCrash(t, "engine ledger "+sub, out)
	}
}

// damageSeed seeds the bytes a damaged page is XORed with.
const damageSeed = 18

// testDamagedPages damages one page of the good ledger at a time, each
// byte XORed with a non-zero byte of a seeded stream (a sector of
// garbage), and runs `engine run` and every ledger command on it.
//
// A page in use by the books (the freelist, the bucket directory, a branch
// or leaf page of the journal, its key index, the intents, the inbox, the
// counters' operations) makes every command refuse the file: `run` exits
// 3, the others 1, each naming the file and saying to restore it; nothing
// crashes and nothing is written.
//
// A meta page is the one case where bbolt legitimately opens the file:
// it keeps two, written alternately, and reads the newer valid one (so
// that a meta page torn by a crash while it was written costs only the
// transaction that was not yet durable); the next commit rewrites the
// damaged one. `engine ledger verify`, which runs bbolt's page check,
// reports the damaged page (exit 1, naming the page); every other
// command reads the books of the valid meta page and exits 0, and `run`
// starts on them, their checks passing:
//
//   - the meta page of the transaction before the last: the books are
//     those of the good file, and each command prints exactly what it
//     prints on it;
//   - the last transaction's meta page: bbolt falls back to the
//     transaction before, whose pages it has not reused yet; the journal
//     is the good journal up to the entries that transaction held (read
//     from its meta page). In live mode the start-up reconciliation then
//     imports whatever fill that lost transaction recorded.
func testDamagedPages(t *testing.T, f boltFile, want books) {
	t.Logf("page size %d; meta txids %d, %d; damage seed %d", f.pageSize, f.meta[0].txid, f.meta[1].txid, damageSeed)
	pages := map[string][]int{}
	f.walk(t, f.last, func(bucket string, id int, typ int, _ []boltElem) {
		name := "bucket directory"
		if bucket != "" {
			name = bucket + map[int]string{boltBranch: " branch", boltLeaf: " leaf"}[typ]
		}
		pages[name] = append(pages[name], id)
	})
	pick := func(role string, last bool) int {
		ids := pages[role]
		if len(ids) == 0 {
			t.Fatalf("the good ledger has no %s page (its pages: %v): let the engine fill more orders", role, pages)
		}
		if last {
			return ids[len(ids)-1]
		}
		return ids[0]
	}
	cases := []struct {
		name string
		page int
	}{
		{"meta of the last transaction", f.last},
		{"meta of the transaction before", 1 - f.last},
		{"freelist", int(f.meta[f.last].freelist)},
		{"bucket directory", pick("bucket directory", false)},
		{"journal branch", pick("journal branch", false)},
		{"journal leaf, oldest entries", pick("journal leaf", false)},
		{"journal leaf, newest entries", pick("journal leaf", true)},
		{"keys leaf", pick("keys leaf", false)},
		{"intents branch", pick("intents branch", false)},
		{"intents leaf", pick("intents leaf", true)},
		{"inbox leaf", pick("inbox leaf", false)},
		{"counter_ops leaf", pick("counter_ops leaf", false)},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s (page %d)", tc.name, tc.page), func(t *testing.T) {
			t.Parallel()
			b := bytes.Clone(f.b)
			rng := rand.New(rand.NewPCG(damageSeed, uint64(tc.page)))
			for i := tc.page * f.pageSize; i < (tc.page+1)*f.pageSize; i++ {
				b[i] ^= byte(1 + rng.IntN(255))
			}
			cfg, db := ledgerCopy(t, b)
			switch tc.page {
			case f.last:
				// The transaction before: its entries, from its meta page.
				n := len(f.journal(t, 1-f.last))
				testMetaFallback(t, cfg, db, tc.page, n, func(bk books) {
					if !slices.EqualFunc(bk.exported, want.exported[:n], entriesEqual) {
						t.Errorf("ledger export = %d entries, want the good ledger's first %d", len(bk.exported), n)
					}
				})
			case 1 - f.last:
				testMetaFallback(t, cfg, db, tc.page, len(want.exported), func(bk books) {
					for name, out := range bk.out {
						if out != want.out[name] {
							t.Errorf("%s prints\n%s\nwant what it prints on the good ledger:\n%s", name, out, want.out[name])
						}
					}
				})
			default:
				testRefused(t, cfg, db, b)
			}
		})
	}
}

// testRefused runs every command on the damaged ledger db: each must
// refuse it.
func testRefused(t *testing.T, cfg, db string, b []byte) {
	dir := filepath.Dir(db)
	before := dirState(t, dir)
	cmds := ledgerCommands(cfg, db)
	cmds["run"] = []string{"run", "-config", cfg}
	for name, args := range cmds {
		code, out := engineExit(t, nil, args...)
		wantCode := exitFailure
		if name == "run" {
			wantCode = exitBooks
		}
		if code != wantCode || !strings.Contains(out, db) || !strings.Contains(out, "restore") {
			t.Errorf("%s: exit %d, want %d, naming %s and saying to restore it:\n%s", name, code, wantCode, db, out)
		}
		assertNoCrash(t, name, out)
		if strings.Contains(out, `msg="engine running"`) {
			t.Errorf("%s: the engine started:\n%s", name, out)
		}
	}
	if got := dirState(t, dir); got != before {
		t.Errorf("the commands changed the ledger's directory:\n%s\nwas:\n%s", got, before)
	}
	if after, err := os.ReadFile(db); err != nil || !bytes.Equal(after, b) {
		t.Errorf("the commands changed the damaged ledger (%v)", err)
	}
}

// testMetaFallback runs every command on a ledger whose damaged meta page
// (page) bbolt passes over: verify reports the page, the others exit 0,
// same checks their output against the good ledger's, and `run` starts on
// a journal of entries entries.
func testMetaFallback(t *testing.T, cfg, db string, page, entries int, same func(books)) {
	bk := readBooks(t, cfg, db)
	for name, code := range bk.code {
		if name != "ledger verify" && code != exitOK {
			t.Errorf("%s: exit %d, want 0\n%s", name, code, bk.out[name])
		}
		assertNoCrash(t, name, bk.out[name])
	}
	verify := bk.out["ledger verify"]
	if bk.code["ledger verify"] != exitFailure || !strings.Contains(verify, "LEDGER: ") ||
		!strings.Contains(verify, fmt.Sprintf("unreadable page: assertion failed: Page expected to be: %d,", page)) {
		t.Errorf("ledger verify: exit %d, want %d naming the file and its damaged meta page %d:\n%s", bk.code["ledger verify"], exitFailure, page, verify)
	}
	delete(bk.out, "ledger verify")
	same(bk)
	// Once the books are open and checked, the start-up goes on as on any
	// ledger (on the books of the transaction before the last, it may
	// first ask the venue about an order that transaction still had
	// open); SIGINT then stops it cleanly.
	checked := regexp.MustCompile(`msg="ledger open and checked" path=\S+ entries=(\d+)`)
	p := startEngine(t, nil, "run", "-config", cfg)
	code, out := p.interrupt(t, `msg="ledger open and checked"`)
	if code != exitOK {
		t.Errorf("run: exit %d, want 0 (started, then SIGINT)\n%s", code, out)
	}
	if m := checked.FindStringSubmatch(out); m == nil || m[1] != strconv.Itoa(entries) {
		t.Errorf("run did not open and check the ledger with %d entries:\n%s", entries, out)
	}
	assertNoCrash(t, "run", out)
}

func entriesEqual(a, b entryJSON) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// mountTmpfs mounts a tmpfs at dir with the given options (as daemon's
// tests do), skipping the test where mounting is not allowed.
func mountTmpfs(t *testing.T, dir string, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m,"+opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// TestFailClosedReadOnlyLedgerDir: `engine run` whose ledger directory
// cannot be written is refused at start-up (exit 1, within 10 s), naming
// the directory and saying it must be writable, whether the ledger is to
// be created there or exists already; nothing trades and nothing changes
// there. As root (who ignores permissions) the directory is a tmpfs
// mounted read-only; otherwise a directory of mode 0555.
func TestFailClosedReadOnlyLedgerDir(t *testing.T) {
	for _, existing := range []bool{false, true} {
		t.Run(map[bool]string{false: "new ledger", true: "existing ledger"}[existing], func(t *testing.T) {
			cfg := paperConfig(t)
			dir := filepath.Join(filepath.Dir(cfg), "ro")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "ledger.db")
			old := `path = "` + filepath.ToSlash(filepath.Join(filepath.Dir(cfg), "ledger.db")) + `"`
			if err := os.WriteFile(cfg, bytes.Replace(b, []byte(old), []byte(`path = "`+filepath.ToSlash(db)+`"`), 1), 0o600); err != nil {
				t.Fatal(err)
			}
			var ledgerBytes []byte
			if existing {
				if ledgerBytes, err = os.ReadFile(fixtureLedger(t)); err != nil {
					t.Fatal(err)
				}
			}
			if os.Geteuid() == 0 {
				mountTmpfs(t, dir, "rw")
				if existing {
					if err := os.WriteFile(db, ledgerBytes, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
					t.Fatalf("remount read-only: %v %s", err, out)
				}
			} else {
				if existing {
					if err := os.WriteFile(db, ledgerBytes, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(dir, 0o700) })
			}
			before := dirState(t, dir)
			code, out := engineExit(t, nil, "run", "-config", cfg)
			if code != exitFailure || !strings.Contains(out, dir) || !strings.Contains(out, "writable") {
				t.Errorf("engine run with a read-only ledger directory: exit %d, want %d naming %s and saying it must be writable:\n%s", code, exitFailure, dir, out)
			}
			if strings.Contains(out, `msg="engine running"`) {
				t.Errorf("the engine started:\n%s", out)
			}
			assertNoCrash(t, "engine run", out)
			if got := dirState(t, dir); got != before {
				t.Errorf("engine run changed the read-only directory:\n%s\nwas:\n%s", got, before)
			}
		})
	}
}

// TestFailClosedWeakAdminToken: an admin token too short to resist
// guessing, from the environment or a file, makes `engine run` refuse to
// start (exit 2, a configuration error) and say how to make a good one,
// before it creates the ledger. The shipped configuration serves the
// admin endpoints whenever a token is set.
func TestFailClosedWeakAdminToken(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(tokenFile, []byte("a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"ADMIN_TOKEN=a", "ADMIN_TOKEN_FILE=" + tokenFile} {
		t.Run(env, func(t *testing.T) {
			cfg := paperConfig(t)
			code, out := engineExit(t, []string{env}, "run", "-config", cfg)
			if code != exitUsage || !strings.Contains(out, "ADMIN_TOKEN is 1 bytes") || !strings.Contains(out, "openssl rand -hex 32") {
				t.Errorf("engine run with %s: exit %d, want %d saying the token is too short and how to make one:\n%s", env, code, exitUsage, out)
			}
			assertNoCrash(t, "engine run", out)
			if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "ledger.db")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("engine run refused at start-up, yet the ledger exists (%v)", err)
			}
		})
	}
}
