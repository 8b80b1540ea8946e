package notify

import "time"

// dedup remembers the keys queued within a window. It is not safe for
// concurrent use; Notifier.mu guards it.
type dedup struct {
	window time.Duration
	at     map[string]time.Time // key -> when it was last queued
	order  []stamp              // the same, in the order queued (times never decrease)
}

type stamp struct {
	key string
	at  time.Time
}

func newDedup(window time.Duration) *dedup {
	return &dedup{window: window, at: map[string]time.Time{}}
}

// seen reports whether key was queued less than the window before now.
// The empty key is never seen.
func (d *dedup) seen(key string, now time.Time) bool {
	d.expire(now)
	_, ok := d.at[key]
	return ok && key != ""
}

// add records that key was queued at now.
func (d *dedup) add(key string, now time.Time) {
	if key == "" {
		return
	}
	d.at[key] = now
	d.order = append(d.order, stamp{key, now})
}

// expire forgets keys queued a window or more before now, oldest first,
// so memory stays bounded by the keys of one window.
func (d *dedup) expire(now time.Time) {
	n := 0
	for _, s := range d.order {
		if now.Sub(s.at) < d.window {
			break
		}
		if d.at[s.key].Equal(s.at) {
			delete(d.at, s.key)
		}
		n++
	}
	if n > 0 {
		clear(d.order[:n])
		d.order = d.order[n:]
	}
}
