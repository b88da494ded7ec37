package xlaplugin

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <stddef.h>

// The first fields of PJRT_Api (pjrt_c_api.h); stable across PJRT versions.
typedef struct {
	size_t struct_size;
	void* extension_start;
	int major_version;
	int minor_version;
} pjrt_api_version;

typedef struct {
	size_t struct_size;
	void* extension_start;
	pjrt_api_version version;
} pjrt_api_head;

typedef const pjrt_api_head* (*get_pjrt_api_fn)(void);

static const pjrt_api_head* call_get_pjrt_api(void* fn) {
	return ((get_pjrt_api_fn)fn)();
}
*/
import "C"

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"
)

// The PJRT C API versions ganbook's go-xla (v0.4.1, built against 0.104) is
// known to work with: major 0 (a different major is incompatible by PJRT's
// rules), minor from 0.81 (xla-cpu-pjrt 0.0.1, tested in gan/xlatest) on;
// PJRT negotiates newer minors through struct sizes.
const (
	APIMajor    = 0
	MinAPIMinor = 81
)

// Info is what Check learns from a plugin.
type Info struct {
	Path         string
	Major, Minor int // PJRT C API version
}

func (i Info) String() string { return fmt.Sprintf("PJRT C API v%d.%d", i.Major, i.Minor) }

// Error is a plugin that cannot be used: Error() is one line naming the file.
type Error struct {
	Path   string
	Reason string
}

func (e *Error) Error() string { return "XLA PJRT plugin " + e.Path + ": " + e.Reason }

// elfMachines maps Go's GOARCH to the ELF machine a plugin must be built for.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "386": elf.EM_386, "ppc64le": elf.EM_PPC64,
	"s390x": elf.EM_S390, "riscv64": elf.EM_RISCV,
}

// Check vets the plugin file at path: an ELF shared library for this
// machine's architecture that exports GetPjrtApi with a compatible PJRT C API
// version. It loads the library (it stays loaded, as go-xla loads it next)
// but runs nothing in it beyond GetPjrtApi.
func Check(path string) (Info, error) {
	info := Info{Path: path}
	bad := func(format string, args ...any) (Info, error) {
		return info, &Error{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	st, err := os.Stat(path)
	if err != nil {
		return bad("%v", errors.Unwrap(err))
	}
	if st.IsDir() {
		return bad("is a directory")
	}
	f, err := elf.Open(path)
	if err != nil {
		return bad("not a shared library, corrupt or truncated (%v)", err)
	}
	machine, class, typ := f.Machine, f.Class, f.Type
	f.Close()
	if want, ok := elfMachines[runtime.GOARCH]; ok && machine != want {
		return bad("built for %s, this machine is %s (%s)", machineName(machine), machineName(want), runtime.GOARCH)
	}
	if class != elf.ELFCLASS64 {
		return bad("a %v library, this machine needs ELFCLASS64", class)
	}
	if typ != elf.ET_DYN {
		return bad("not a shared library (ELF type %v)", typ)
	}

	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	handle := C.dlopen(cPath, C.RTLD_LAZY|C.RTLD_LOCAL)
	if handle == nil {
		return bad("cannot be loaded: %s", C.GoString(C.dlerror()))
	}
	cSym := C.CString("GetPjrtApi")
	defer C.free(unsafe.Pointer(cSym))
	sym := C.dlsym(handle, cSym)
	if sym == nil {
		C.dlclose(handle)
		return bad("not a PJRT plugin (no GetPjrtApi symbol)")
	}
	api := C.call_get_pjrt_api(sym)
	if api == nil {
		C.dlclose(handle)
		return bad("GetPjrtApi returned no API table")
	}
	info.Major, info.Minor = int(api.version.major_version), int(api.version.minor_version)
	if info.Major != APIMajor || info.Minor < MinAPIMinor {
		C.dlclose(handle)
		return bad("%v, incompatible: ganbook's go-xla needs v%d.%d or a later v%d.x", info, APIMajor, MinAPIMinor, APIMajor)
	}
	return info, nil
}

func machineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "aarch64"
	}
	return m.String()
}
