package risk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KillFile is where the kill switch survives restarts: a file that holds
// the reason while the switch is on. Start-up reads it before anything
// trades. The zero value is unusable; Path must name a file in a
// directory the engine can write.
type KillFile struct {
	Path string
}

// Read reports whether the kill switch is on, and why.
func (k KillFile) Read() (reason string, on bool, err error) {
	b, err := os.ReadFile(k.Path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("kill switch file: %w", err)
	}
	reason = strings.TrimSpace(string(b))
	if reason == "" {
		reason = "kill switch"
	}
	return reason, true, nil
}

// Write records the kill switch and its reason, replacing the file
// atomically. The file and its directory entry are synced: a kill switch
// that a power cut could undo is no kill switch.
func (k KillFile) Write(reason string) error {
	tmp := k.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(reason + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, k.Path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(k.Path))
}

// CheckWritable proves a kill switch could be recorded: it creates and
// removes a file beside Path. A directory where it cannot be written is a
// kill switch that would not survive a restart.
func (k KillFile) CheckWritable() error {
	f, err := os.CreateTemp(filepath.Dir(k.Path), ".killcheck-*")
	if err != nil {
		return err
	}
	name := f.Name()
	err = errors.Join(f.Close(), os.Remove(name))
	return err
}

// Remove turns the recorded kill switch off.
func (k KillFile) Remove() error {
	if err := os.Remove(k.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove kill switch file: %w", err)
	}
	return syncDir(filepath.Dir(k.Path))
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// PauseFor returns a pauser that stops trading for source (reconciliation,
// say) with reasons that start with prefix, and lifts only its own stop:
// an operator's pause or kill switch is never overwritten, so Resume
// cannot lift it.
func (e *Engine) PauseFor(prefix string) *Pauser { return &Pauser{e: e, prefix: prefix} }

// Pauser stops and resumes trading on behalf of one source; see PauseFor.
type Pauser struct {
	e      *Engine
	prefix string
}

// Pause stops trading unless it is already stopped for another reason.
func (p *Pauser) Pause(reason string) {
	if killed, why := p.e.Killed(); killed && !strings.HasPrefix(why, p.prefix) {
		return
	}
	p.e.Kill(p.prefix + reason)
}

// Resume lifts the stop if it is this source's own.
func (p *Pauser) Resume() {
	if killed, why := p.e.Killed(); killed && strings.HasPrefix(why, p.prefix) {
		p.e.Resume()
	}
}
