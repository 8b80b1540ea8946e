package ledger

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/otcdesk/engine/internal/tomlval"
)

// Settings is the [ledger] section.
type Settings struct {
	// Path of the database file, created 0600.
	Path string `toml:"path"`
	// LockTimeout bounds the wait for a file held by another process.
	LockTimeout tomlval.Duration `toml:"lock_timeout"`
	// BackupDir, when set, receives a verified backup of the running
	// ledger every BackupEvery (ledger-<UTC time>.db), the newest
	// BackupKeep kept. Empty: no scheduled backups.
	BackupDir   string           `toml:"backup_dir"`
	BackupEvery tomlval.Duration `toml:"backup_every"`
	BackupKeep  int              `toml:"backup_keep"`
}

// DefaultSettings is the section a file leaves out.
func DefaultSettings() Settings {
	return Settings{Path: "data/ledger.db", LockTimeout: tomlval.Dur(time.Second),
		BackupEvery: tomlval.Dur(time.Hour), BackupKeep: 48}
}

// Problems lists what is wrong with the section, keys relative to it. It
// reads nothing from the disk: CheckPath does.
func (s Settings) Problems() []tomlval.Problem {
	var ps tomlval.Problems
	if s.Path == "" {
		ps.Add("path", "must name the ledger file")
	}
	ps.DurationIn("lock_timeout", s.LockTimeout, time.Millisecond, time.Hour)
	if s.BackupDir != "" {
		ps.DurationIn("backup_every", s.BackupEvery, time.Second, 30*24*time.Hour)
		if s.BackupKeep < 1 || s.BackupKeep > 100000 {
			ps.Add("backup_keep", "must be between 1 and 100000 backups")
		}
		if filepath.Clean(s.BackupDir) == filepath.Dir(filepath.Clean(s.Path)) {
			ps.Add("backup_dir", "must not be the ledger's own directory: a backup belongs on another disk, or at least in its own directory")
		}
	}
	return ps
}

// CheckPath reports why path cannot hold a ledger, without creating
// anything: an existing path must be a regular file (not a directory, a
// device or a pipe), and a missing one needs its nearest existing parent
// to be a directory.
func CheckPath(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is a %s, not a ledger file", path, kind(fi.Mode()))
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s cannot be created: %s is a %s, not a directory", path, dir, kind(fi.Mode()))
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return err
		case filepath.Dir(dir) == dir:
			return nil
		}
	}
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "special file"
}
