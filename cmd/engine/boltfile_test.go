package main

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// bbolt's file layout (go.etcd.io/bbolt/internal/common), read by the
// tests to choose pages and records from the headers, not from offsets
// that would change with the engine. Every page starts with a 16-byte
// header: id uint64, flags uint16, count uint16, overflow uint32. A meta
// page (pages 0 and 1) then holds magic, version, page size, flags (4
// bytes each), the root bucket (root page id, sequence), the freelist
// page id, the high-water page id, the txid and a checksum (8 bytes
// each). A branch page holds count elements of pos uint32, ksize uint32,
// child page id uint64; a leaf page count elements of flags uint32 (0x01:
// a bucket), pos, ksize, vsize uint32, with pos counted from the element.
// A bucket's value starts with its root page id (0: inline) and
// sequence. Little-endian throughout.
const (
	boltBranch = 0x01
	boltLeaf   = 0x02
)

type boltMeta struct {
	root, freelist, pgid, txid uint64
}

func readBoltMeta(b []byte, pageSize, page int) boltMeta {
	m := b[page*pageSize+16:]
	return boltMeta{root: binary.LittleEndian.Uint64(m[16:]), freelist: binary.LittleEndian.Uint64(m[32:]),
		pgid: binary.LittleEndian.Uint64(m[40:]), txid: binary.LittleEndian.Uint64(m[48:])}
}

// boltFile is a sound bbolt file's layout, as its headers say.
type boltFile struct {
	b        []byte
	pageSize int
	meta     [2]boltMeta
	last     int // the meta page of the last transaction (higher txid)
}

func readBolt(b []byte) boltFile {
	f := boltFile{b: b, pageSize: int(binary.LittleEndian.Uint32(b[16+8:]))}
	f.meta = [2]boltMeta{readBoltMeta(b, f.pageSize, 0), readBoltMeta(b, f.pageSize, 1)}
	if f.meta[1].txid > f.meta[0].txid {
		f.last = 1
	}
	return f
}

// boltElem is one element of a leaf page: its key and the file offsets of
// its value.
type boltElem struct {
	key      []byte
	off, len int
}

// walk visits every branch and leaf page reachable from meta page m's
// root bucket, in key order: fn gets the bucket's name ("" for the root
// bucket), the page id and type, and a leaf's elements.
func (f boltFile) walk(t *testing.T, m int, fn func(bucket string, id int, typ int, elems []boltElem)) {
	t.Helper()
	meta := f.meta[m]
	seen := map[uint64]bool{}
	var visit func(id uint64, bucket string)
	visit = func(id uint64, bucket string) {
		if id < 2 || id >= meta.pgid || seen[id] {
			t.Fatalf("page %d of bucket %q: out of range or reached twice: the file is not sound", id, bucket)
		}
		seen[id] = true
		at := int(id) * f.pageSize
		p := f.b[at:]
		typ, count := int(binary.LittleEndian.Uint16(p[8:])), int(binary.LittleEndian.Uint16(p[10:]))
		switch typ {
		case boltBranch:
			fn(bucket, int(id), typ, nil)
			for i := range count {
				visit(binary.LittleEndian.Uint64(p[16+16*i+8:]), bucket)
			}
		case boltLeaf:
			elems := make([]boltElem, count)
			for i := range elems {
				e := 16 + 16*i
				pos := e + int(binary.LittleEndian.Uint32(p[e+4:]))
				ksize, vsize := int(binary.LittleEndian.Uint32(p[e+8:])), int(binary.LittleEndian.Uint32(p[e+12:]))
				elems[i] = boltElem{key: p[pos : pos+ksize], off: at + pos + ksize, len: vsize}
			}
			fn(bucket, int(id), typ, elems)
			if bucket != "" {
				return // the ledger's buckets hold no buckets
			}
			for i, el := range elems {
				if binary.LittleEndian.Uint32(p[16+16*i:])&0x01 == 0 {
					continue
				}
				if root := binary.LittleEndian.Uint64(f.b[el.off:]); root != 0 {
					visit(root, string(el.key))
				}
			}
		default:
			t.Fatalf("page %d of bucket %q: flags %#x, want a branch or a leaf", id, bucket, typ)
		}
	}
	visit(meta.root, "")
}

// journal returns the journal's records reachable from meta page m, by
// sequence number.
func (f boltFile) journal(t *testing.T, m int) map[uint64]boltElem {
	t.Helper()
	records := map[uint64]boltElem{}
	f.walk(t, m, func(bucket string, _ int, _ int, elems []boltElem) {
		if bucket == "journal" {
			for _, el := range elems {
				records[binary.BigEndian.Uint64(el.key)] = el
			}
		}
	})
	return records
}

// sameJournal reports whether a and b hold the same journal records.
func sameJournal(t *testing.T, a, b boltFile) bool {
	ja, jb := a.journal(t, a.last), b.journal(t, b.last)
	if len(ja) != len(jb) {
		return false
	}
	for seq, ra := range ja {
		rb, ok := jb[seq]
		if !ok || !bytes.Equal(a.b[ra.off:ra.off+ra.len], b.b[rb.off:rb.off+rb.len]) {
			return false
		}
	}
	return true
}

// countTrades counts the journal records of kind trade (byte 1 the
// version, a uvarint sequence, the key and the kind as strings).
func countTrades(t *testing.T, f boltFile) int {
	n := 0
	for _, rec := range f.journal(t, f.last) {
		v := f.b[rec.off : rec.off+rec.len]
		_, k := binary.Uvarint(v[1:])
		r := v[1+k:]
		klen, k := binary.Uvarint(r)
		r = r[k+int(klen):]
		kind, k := binary.Uvarint(r)
		if string(r[k:k+int(kind)]) == "trade" {
			n++
		}
	}
	return n
}
