package tests

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const distVersion = "0.0.0-disttest"

// TestDistReproducible builds the release twice, the second time from a
// copy of the sources in another directory, and wants the same bytes; then
// checks what an archive holds. It takes about 30 s, so it runs only with
// SIGMA_DIST_TEST=1 (make test-dist, which make test runs when the arm64
// cross compiler is installed).
func TestDistReproducible(t *testing.T) {
	if os.Getenv("SIGMA_DIST_TEST") == "" {
		t.Skip("set SIGMA_DIST_TEST=1 (make test-dist) to build the release archives")
	}
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "dist1"), filepath.Join(tmp, "dist2")
	makeDist(t, "..", first)
	src := filepath.Join(tmp, "src")
	copySources(t, "..", src)
	makeDist(t, src, second)

	names := []string{"SHA256SUMS"}
	for _, arch := range []string{"amd64", "arm64"} {
		names = append(names, fmt.Sprintf("fluent-bit-sigma-%s-linux-%s.tar.gz", distVersion, arch))
	}
	for _, name := range names {
		a, errA := os.ReadFile(filepath.Join(first, name))
		b, errB := os.ReadFile(filepath.Join(second, name))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v, %v", name, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same sources", name)
		}
	}
	sums, _ := os.ReadFile(filepath.Join(first, "SHA256SUMS"))
	for _, name := range names[1:] {
		data, _ := os.ReadFile(filepath.Join(first, name))
		sum := sha256.Sum256(data)
		if !strings.Contains(string(sums), hex.EncodeToString(sum[:])+"  "+name+"\n") {
			t.Errorf("SHA256SUMS has no right line for %s:\n%s", name, sums)
		}
	}
	checkArchive(t, filepath.Join(first, names[1]), elf.EM_X86_64)
	checkArchive(t, filepath.Join(first, names[2]), elf.EM_AARCH64)
}

func makeDist(t *testing.T, dir, dist string) {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", "-C", dir, "dist", "DIST="+dist, "VERSION="+distVersion, "SOURCE_DATE_EPOCH=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist in %s: %v\n%s", dir, err, out)
	}
}

// copySources copies the files git tracks or would track (the working
// tree's content, changes included) from the repository to dst.
func copySources(t *testing.T, repo, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", repo, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(repo, name))
		if os.IsNotExist(err) { // deleted in the working tree
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(filepath.Join(repo, name))
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// checkArchive: the files a release promises, under one directory, owned
// by root, the library built for machine and reporting distVersion.
func checkArchive(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	files := readArchive(t, path)
	top := "fluent-bit-sigma-" + distVersion + "/"
	var got []string
	for name := range files {
		got = append(got, strings.TrimPrefix(name, top))
	}
	slices.Sort(got)
	for _, want := range []string{"CHANGELOG.md", "LICENSE", "LICENSE.DRL.md", "NOTICE", "README.md", "THIRD_PARTY_LICENSES",
		"conf/fluent-bit.conf", "conf/aggregator.yaml", "conf/samples/sysmon-image-load.jsonl", "flb-filter_sigma.so", "sigma-check"} {
		if _, ok := files[top+want]; !ok {
			t.Errorf("%s lacks %s; it holds %v", filepath.Base(path), want, got)
		}
	}
	for _, name := range []string{"flb-filter_sigma.so", "sigma-check"} {
		f, err := elf.NewFile(bytes.NewReader(files[top+name]))
		if err != nil {
			t.Errorf("%s: %s: %v", filepath.Base(path), name, err)
			continue
		}
		if f.Machine != machine {
			t.Errorf("%s: %s is built for %s, want %s", filepath.Base(path), name, f.Machine, machine)
		}
	}
	if !bytes.Contains(files[top+"flb-filter_sigma.so"], []byte("(fluent-bit-sigma "+distVersion+")")) {
		t.Errorf("%s: the library's description does not carry version %s", filepath.Base(path), distVersion)
	}
}

// readArchive returns the regular files of a .tar.gz by name, failing on
// an entry not owned by root or with a time other than the fixed one.
func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 1700000000 {
			t.Errorf("%s: %s has owner %d:%d, time %s", filepath.Base(path), h.Name, h.Uid, h.Gid, h.ModTime)
		}
		if h.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = data
		}
	}
}
