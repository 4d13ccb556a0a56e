"""imgshare.h as a single-header library (issue 19): it compiles after any other headers and under any
feature macro, exports exactly its documented API (or nothing, or only that from a shared library), takes
its allocator, assert and xxHash from the including file, and says which version and protocol it is."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.c.conftest import CLIENT, run_c
from tests.ipc_cleanup import objects_of

HEADER = CLIENT / "imgshare.h"
STRICT = ["-pedantic", "-Wall", "-Wextra", "-Werror"]

# Every system header an including program might have read first, under whatever feature macros it set.
AFTER_OTHER_HEADERS = """\
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>
#define IMGSHARE_IMPLEMENTATION
#include "imgshare.h"
int main(void)
{
    imgshare_receiver *receiver;
    imgshare_info info;
    if (imgshare_receiver_open(&receiver, "clib header test: nothing here") != IMGSHARE_OK)
        return 1;
    imgshare_receiver_set_lock_timeout(receiver, 0.01);
    imgshare_status status = imgshare_receive_info(receiver, &info); /* uses semtimedop, clocks, /proc */
    imgshare_receiver_close(receiver);
    return status == IMGSHARE_NOT_SHARED ? 0 : 1;
}
"""


def compile_c(tmp_path: Path, source: str, *flags: str, name: str = "program", link: bool = True) -> Path:
    """Compile source (C unless flags say -x c++) with the header's folder on the include path."""
    (tmp_path / f"{name}.c").write_text(source)
    output = tmp_path / (name if link else f"{name}.o")
    compiler = "c++" if "c++" in flags else "cc"
    command = [compiler, *flags, *STRICT, f"-I{CLIENT}", str(tmp_path / f"{name}.c"), "-o", str(output)]
    if not link:
        command.insert(1, "-c")
    elif "-DXXH_INLINE_ALL" not in flags:
        command.append("-lxxhash")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stderr[-4000:]}"
    return output


@pytest.mark.parametrize("flags", [
    ["-std=c11"],
    ["-std=c17", "-D_GNU_SOURCE"],
    ["-std=c11", "-D_POSIX_C_SOURCE=200809L"],
    ["-std=c11", "-D_XOPEN_SOURCE=700"],
    ["-std=gnu11"],
    ["-x", "c++", "-std=c++11"],
    ["-x", "c++", "-std=c++17"],
], ids=lambda flags: " ".join(flags))
def test_the_implementation_compiles_after_other_headers_under_any_feature_macro(tmp_path, flags):
    """No include-order rule: the implementation file may include system headers first, with or without
    _GNU_SOURCE (the header used to stop with #error unless it came first)."""
    program = compile_c(tmp_path, AFTER_OTHER_HEADERS, *flags)
    assert run_c(program).returncode == 0


def public_functions() -> set[str]:
    """The functions the header declares for users (before its implementation section)."""
    declarations = HEADER.read_text().split("#ifdef IMGSHARE_IMPLEMENTATION", 1)[0]
    return set(re.findall(r"^IMGSHARE_API [^(]*?\b(imgshare_\w+)\(", declarations, flags=re.MULTILINE))


def defined_symbols(binary: Path, dynamic: bool = False) -> set[str]:
    listing = subprocess.run(["nm", "--defined-only", "-D" if dynamic else "-g", str(binary)], capture_output=True,
                             text=True, check=True).stdout
    return {line.split()[-1] for line in listing.splitlines() if line.split()[-1].startswith(("imgshare", "XXH"))}


def test_the_implementation_exports_exactly_the_documented_api(tmp_path):
    api = public_functions()
    assert {"imgshare_share", "imgshare_borrow_new", "imgshare_read_image", "imgshare_key_numbers"} <= api
    assert not {"imgshare_sha1", "imgshare_crc32"} & api  # test helpers are not the API
    implementation = "#define IMGSHARE_IMPLEMENTATION\n#include \"imgshare.h\"\n"
    assert defined_symbols(compile_c(tmp_path, implementation, "-std=c11", link=False)) == api


def test_imgshare_static_exports_nothing_and_two_copies_link_together(tmp_path):
    static = "#define IMGSHARE_STATIC\n#define IMGSHARE_IMPLEMENTATION\n#include \"imgshare.h\"\n"
    one = compile_c(tmp_path, static + "const char *one(void) { return imgshare_mode_name(IMGSHARE_MODE_L); }\n",
                    "-std=c11", name="one", link=False)
    two = compile_c(tmp_path, static + "const char *two(void) { return imgshare_mode_name(IMGSHARE_MODE_F); }\n",
                    "-std=c11", name="two", link=False)
    assert defined_symbols(one) == set() and defined_symbols(two) == set()
    main = compile_c(tmp_path, "#include <string.h>\nconst char *one(void);\nconst char *two(void);\n"
                     "int main(void) { return strcmp(one(), \"L\") || strcmp(two(), \"F\"); }\n",
                     "-std=c11", name="main", link=False)
    linked = subprocess.run(["cc", str(one), str(two), str(main), "-o", str(tmp_path / "both"), "-lxxhash"],
                            capture_output=True, text=True, timeout=120)
    assert linked.returncode == 0, linked.stderr
    assert run_c(tmp_path / "both").returncode == 0


def test_imgshare_shared_exports_the_api_from_a_library_built_with_hidden_visibility(tmp_path):
    (tmp_path / "library.c").write_text("#define IMGSHARE_SHARED\n#define IMGSHARE_IMPLEMENTATION\n"
                                        "#include \"imgshare.h\"\n")
    library = tmp_path / "libimgshare.so"
    built = subprocess.run(["cc", "-std=c11", *STRICT, "-shared", "-fPIC", "-fvisibility=hidden", f"-I{CLIENT}",
                            str(tmp_path / "library.c"), "-o", str(library), "-lxxhash"],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    assert defined_symbols(library, dynamic=True) == public_functions()


def test_allocator_assert_and_inlined_xxhash_options_are_used(c_build, key):
    """tests/options.c: IMGSHARE_MALLOC/IMGSHARE_FREE/IMGSHARE_ASSERT count their uses, XXH_INLINE_ALL
    links with no -lxxhash, IMGSHARE_STATIC; a round trip through a real share, also under the sanitizers."""
    for sanitized in (False, True):
        result = run_c(c_build.program("options", sanitized), key)
        assert result.returncode == 0, result.stderr
        word, allocations, asserts = result.stdout.split()
        assert word == "ok" and int(allocations) >= 2 and int(asserts) >= 1  # a sender and a receiver
        assert objects_of(key) == []
    linked = subprocess.run(["ldd", c_build.program("options")], capture_output=True, text=True, check=True)
    assert "xxhash" not in linked.stdout


def test_the_header_names_its_version_protocol_and_licence(tmp_path):
    program = compile_c(tmp_path, '#include <stdio.h>\n#include "imgshare.h"\nint main(void) {\n'
                        'printf("%d %d %d %s %d\\n", IMGSHARE_VERSION_MAJOR, IMGSHARE_VERSION_MINOR, '
                        'IMGSHARE_VERSION_PATCH, IMGSHARE_VERSION, IMGSHARE_PROTOCOL_VERSION);\nreturn 0; }\n',
                        "-std=c11", link=False)
    linked = subprocess.run(["cc", str(program), "-o", str(tmp_path / "version")], capture_output=True, text=True)
    assert linked.returncode == 0, linked.stderr  # the declarations alone need no library
    major, minor, patch, text, protocol = run_c(tmp_path / "version").stdout.split()
    assert text == f"{major}.{minor}.{patch}"
    assert f"v{text}" in HEADER.read_text().splitlines()[0]  # the documentation block names the same version
    from tests.conftest import ROOT

    assert f"version {protocol}" in (ROOT / "docs" / "protocol.md").read_text().lower()
    top = HEADER.read_text()[:3000]
    assert "MIT" in top and "Permission is hereby granted" in top and "IMGSHARE_IMPLEMENTATION" in top
