package pgtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// debianRoot holds one directory per installed server version, each with a
// bin directory.
const debianRoot = "/usr/lib/postgresql"

// serverUser runs the binaries when the tests run as root.
const serverUser = "postgres"

// findBinDir returns the directory holding initdb and postgres: the highest
// version under /usr/lib/postgresql, else the directory of initdb on PATH.
func findBinDir() (string, error) {
	if dir := highestVersionBin(debianRoot); dir != "" {
		return dir, nil
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("pgtest: PostgreSQL server binaries (initdb, postgres) not found under " +
			debianRoot + "/*/bin or on PATH; run scripts/deps.sh as root to install Debian's postgresql package")
	}
	dir := filepath.Dir(initdb)
	if _, err := os.Stat(filepath.Join(dir, "postgres")); err != nil {
		return "", fmt.Errorf("pgtest: %s has initdb but no postgres binary; run scripts/deps.sh as root: %w", dir, err)
	}
	return dir, nil
}

// highestVersionBin returns root/<version>/bin for the highest version that
// has both initdb and postgres, or "".
func highestVersionBin(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return ""
	}
	best, bestVersion := "", []int(nil)
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		bin := filepath.Join(root, e.Name(), "bin")
		if !isFile(filepath.Join(bin, "initdb")) || !isFile(filepath.Join(bin, "postgres")) {
			continue
		}
		if bestVersion == nil || versionLess(bestVersion, v) {
			best, bestVersion = bin, v
		}
	}
	return best
}

// parseVersion parses "15" or "9.6".
func parseVersion(s string) ([]int, bool) {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// serverCredential returns the credential the binaries run with: the
// postgres user's when running as root, nil (the current user) otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root needs the %q system user to run the server as (Debian's postgresql package creates it; run scripts/deps.sh): %w", serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: uid of %s: %w", serverUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: gid of %s: %w", serverUser, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// mkdirFor creates dir owned by cred's user (or the current user).
func mkdirFor(dir string, cred *syscall.Credential) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	if cred == nil {
		return nil
	}
	return os.Chown(dir, int(cred.Uid), int(cred.Gid))
}
