package xlaplugin

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// elfHeader is a 64-bit little-endian ELF header with no sections nor program
// headers: enough for debug/elf, not a loadable library.
func elfHeader(machine uint16, typ uint16) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	le := binary.LittleEndian
	for _, v := range []any{typ, machine, uint32(1), uint64(0), uint64(0), uint64(0), uint32(0),
		uint16(64), uint16(56), uint16(0), uint16(64), uint16(0), uint16(0)} {
		_ = binary.Write(&b, le, v)
	}
	return b.Bytes()
}

// fakePlugin compiles a shared library whose GetPjrtApi reports the given
// PJRT C API version (or that exports no GetPjrtApi when major < 0).
func fakePlugin(t *testing.T, dir string, major, minor int) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no C compiler (cc) to build fake plugins")
		}
		t.Skip("no C compiler (cc) to build fake plugins")
	}
	src := "int not_pjrt(void) { return 0; }\n"
	if major >= 0 {
		src = `#include <stddef.h>
typedef struct { size_t s; void* e; int major, minor; } V;
typedef struct { size_t s; void* e; V v; void* fns[8]; } A;
static A api = { sizeof(A), 0, { sizeof(V), 0, MAJOR, MINOR } };
const A* GetPjrtApi(void) { return &api; }
`
		src = strings.NewReplacer("MAJOR", strconv.Itoa(major), "MINOR", strconv.Itoa(minor)).Replace(src)
	}
	c := filepath.Join(dir, "fake.c")
	so := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", so, c).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	return so
}

func hostMachine() uint16 { return uint16(elfMachines[runtime.GOARCH]) }

func writeFile(t *testing.T, dir string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckRejectsBadPlugins(t *testing.T) {
	otherArch := uint16(elf.EM_AARCH64)
	if runtime.GOARCH == "arm64" {
		otherArch = uint16(elf.EM_X86_64)
	}
	tests := []struct {
		name string
		make func(t *testing.T, dir string) string
		want string // substring of the one-line error, after the file name
	}{
		{"missing", func(t *testing.T, dir string) string { return filepath.Join(dir, "pjrt_c_api_cpu_plugin.so") },
			"no such file or directory"},
		{"empty", func(t *testing.T, dir string) string { return writeFile(t, dir, nil) },
			"not a shared library, corrupt or truncated"},
		{"corrupt", func(t *testing.T, dir string) string {
			return writeFile(t, dir, []byte("<html>404 Not Found</html>\n"))
		}, "not a shared library, corrupt or truncated"},
		{"other architecture", func(t *testing.T, dir string) string {
			return writeFile(t, dir, elfHeader(otherArch, 3))
		}, "built for "},
		{"executable, not a library", func(t *testing.T, dir string) string {
			return writeFile(t, dir, elfHeader(hostMachine(), 2))
		}, "not a shared library (ELF type ET_EXEC)"},
		{"truncated library", func(t *testing.T, dir string) string {
			return writeFile(t, dir, elfHeader(hostMachine(), 3))
		}, "cannot be loaded: "},
		{"no GetPjrtApi", func(t *testing.T, dir string) string { return fakePlugin(t, dir, -1, 0) },
			"not a PJRT plugin (no GetPjrtApi symbol)"},
		{"PJRT major 1", func(t *testing.T, dir string) string { return fakePlugin(t, dir, 1, 0) },
			"PJRT C API v1.0, incompatible: ganbook's go-xla needs v0.81 or a later v0.x"},
		{"PJRT 0.50, too old", func(t *testing.T, dir string) string { return fakePlugin(t, dir, 0, 50) },
			"PJRT C API v0.50, incompatible"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.make(t, t.TempDir())
			_, err := Check(path)
			if err == nil {
				t.Fatalf("Check(%s) accepted it", tt.name)
			}
			msg := err.Error()
			t.Log(msg)
			prefix := "XLA PJRT plugin " + path + ": "
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line %q…%q", msg, prefix, tt.want)
			}
		})
	}
}

func TestCheckAcceptsCompatibleVersions(t *testing.T) {
	for _, v := range []struct{ major, minor int }{{0, 81}, {0, 104}, {0, 200}} {
		dir := t.TempDir()
		info, err := Check(fakePlugin(t, dir, v.major, v.minor))
		if err != nil {
			t.Errorf("v%d.%d: %v", v.major, v.minor, err)
			continue
		}
		if info.Major != v.major || info.Minor != v.minor {
			t.Errorf("v%d.%d read as %v", v.major, v.minor, info)
		}
	}
}

// The plugin scripts/deps/xla.sh installs: PJRT C API 0.81 per the
// pjrt_c_api.h shipped in the same wheel.
func TestCheckInstalledCPUPlugin(t *testing.T) {
	path := filepath.Join(CacheDir(), "pjrt_c_api_cpu_plugin.so")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no XLA CPU plugin (scripts/deps/xla.sh installs it): %v", err)
		}
		t.Skipf("no XLA CPU plugin at %s (run scripts/deps/xla.sh)", path)
	}
	info, err := Check(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Major != 0 || info.Minor != 81 {
		t.Errorf("installed plugin reports %v, the wheel's header says v0.81", info)
	}
	if got := WheelVersion(path); got != "xla-cpu-pjrt 0.0.1" {
		t.Errorf("WheelVersion = %q", got)
	}
}
