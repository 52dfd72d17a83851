#!/usr/bin/env python3
"""The architecture check (docs/architecture.md): the arrows between targets that the design
allows, enforced on every Swift import.

Reads Package.swift (each target's name, directory and direct dependencies) and the `import`
lines of every Swift file in each target's directory, and prints one line per violation:

- the CLI (`wtool`) imports anything but WTool, ArgumentParser and system modules;
- Runtime imports file or format code (FileSupport, SWMFormat, KerasFormat, ONNXFormat, HDF5,
  CHDF5, NPY, ImageIO);
- FileSupport imports model code (ModelIR, or any other module of ours but the system shim
  CSystemShim);
- a C target of ours (C_TARGETS) is imported by anything but the runtime and tests (C_OWNED: by
  anything but its owner), or depends on
  a target;
- a target imports a module of ours, or a package product, that it does not declare directly
  in Package.swift, or declares one that none of its files imports.

Exit status 0 when there is none, 1 otherwise (2 when Package.swift cannot be read).
Standard library only:  python3 scripts/check_architecture.py [REPO]
"""

import os
import re
import sys

# Modules of the platform: always allowed, never declared.
SYSTEM_MODULES = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Glibc", "Musl",
    "Darwin", "Dispatch", "Synchronization", "XCTest", "Testing", "os", "_Concurrency", "Swift",
    "CoreFoundation", "RegexBuilder", "Observation",
}
# Modules the package products of our dependencies provide (product name -> module names).
PRODUCT_MODULES = {
    "ArgumentParser": {"ArgumentParser"},
    "SwiftProtobuf": {"SwiftProtobuf"},
    "ZIPFoundation": {"ZIPFoundation"},
}
CLI_TARGET = "wtool"
CLI_ALLOWED = {"WTool", "ArgumentParser"}
# The C shim FileSupport may use: system interfaces only, no model code (docs/architecture.md).
FILESUPPORT_ALLOWED = {"CSystemShim"}
RUNTIME_FORBIDDEN = {"FileSupport", "SWMFormat", "KerasFormat", "ONNXFormat", "HDF5", "CHDF5", "NPY", "ImageIO"}

# C targets of ours, with why each exists. Each is a leaf (no dependency of ours) that only the
# runtime (and its own tests) may import: the kernels are the runtime's, and oneDNN is reached
# through it alone.
C_TARGETS = {
    "CKernels": "hot loops no library covers (Winograd tile transforms, epilogues) with AVX-512/AVX2/portable "
                "paths picked at run time; tests compare every path with the portable one",
    "CDNNL": "oneDNN's convolutions through a library opened on first use (dlopen), so that commands that never "
             "convolve do not load it",
}
C_IMPORTERS = {"Runtime", "CKernelsTests", "RuntimeTests"}
# C targets that belong to one other target instead of the runtime.
C_OWNED = {
    "CHDF5Loader": ("libhdf5 opened on first use (dlopen), so that only HDF5 work maps it", {"HDF5"}),
}

TARGET_KINDS = ("target", "executableTarget", "testTarget", "systemLibrary")
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)"
)


def balanced(text, start):
    """The text between the bracket at `start` and its partner (strings and comments skipped)."""
    pairs = {"(": ")", "[": "]"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            i = text.index('"', i + 1) + 1
            continue
        if text.startswith("//", i):
            i = text.index("\n", i)
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c in ")]":
            if c != stack.pop():
                raise ValueError(f"unbalanced '{c}' at offset {i}")
            if not stack:
                return text[start + 1:i]
        i += 1
    raise ValueError("unbalanced brackets")


def parse_package(path):
    """[(name, kind, directory, declared dependencies)] from Package.swift."""
    text = open(path, encoding="utf-8").read()
    targets = []
    for match in re.finditer(r"\.(%s)\(" % "|".join(TARGET_KINDS), text):
        body = balanced(text, match.end() - 1)
        name = re.search(r'name:\s*"([^"]+)"', body)
        if not name:
            continue
        kind = match.group(1)
        deps = set()
        declared = re.search(r"dependencies:\s*\[", body)
        if declared:
            items = balanced(body, declared.end() - 1)
            for product in re.finditer(r'\.product\(\s*name:\s*"([^"]+)"', items):
                deps |= PRODUCT_MODULES.get(product.group(1), {product.group(1)})
            for target in re.finditer(r'\.(?:target|byName)\(\s*name:\s*"([^"]+)"', items):
                deps.add(target.group(1))
            plain = re.sub(r"\.\w+\([^)]*\)", "", items)
            deps |= set(re.findall(r'"([^"]+)"', plain))
        custom = re.search(r'path:\s*"([^"]+)"', body)
        default = os.path.join("Tests" if kind == "testTarget" else "Sources", name.group(1))
        targets.append((name.group(1), kind, custom.group(1) if custom else default, deps))
    return targets


def imports(path):
    """[(line number, module)] for the import declarations of a Swift file, outside comments and
    multi-line string literals (test files embed Python that says `import numpy`)."""
    found = []
    in_string = False
    in_comment = False
    for number, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        stripped = line.strip()
        if in_comment:
            if "*/" in stripped:
                in_comment = False
            continue
        if in_string:
            if stripped.count('"""') % 2 == 1:
                in_string = False
            continue
        if stripped.startswith("/*") and "*/" not in stripped:
            in_comment = True
            continue
        if stripped.count('"""') % 2 == 1:
            in_string = True
            continue
        match = IMPORT.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def check(repo):
    try:
        targets = parse_package(os.path.join(repo, "Package.swift"))
    except (OSError, ValueError) as error:
        print(f"Package.swift: cannot read the targets ({error})")
        return 2
    ours = {name for name, _, _, _ in targets}
    products = set().union(*PRODUCT_MODULES.values())
    violations = []
    for name, kind, directory, deps in targets:
        root = os.path.join(repo, directory)
        if (name in C_TARGETS or name in C_OWNED) and deps:
            violations.append(f"Package.swift: {name} is a C leaf and declares {sorted(deps)}")
        if kind == "systemLibrary" or not os.path.isdir(root):
            continue
        imported = set()
        for folder, _, files in sorted(os.walk(root)):
            for file in sorted(f for f in files if f.endswith(".swift")):
                path = os.path.join(folder, file)
                where = os.path.relpath(path, repo)
                for line, module in imports(path):
                    imported.add(module)
                    place = f"{where}:{line}: {name} imports {module}"
                    if module in SYSTEM_MODULES:
                        continue
                    if name == CLI_TARGET and module not in CLI_ALLOWED:
                        violations.append(f"{place}: the CLI may import only WTool, ArgumentParser and system modules")
                    elif name == "Runtime" and module in RUNTIME_FORBIDDEN:
                        violations.append(f"{place}: the runtime knows no file or format (its kernel store comes through ExecutorOptions)")
                    elif module in C_OWNED and name not in C_OWNED[module][1]:
                        violations.append(f"{place}: {module} ({C_OWNED[module][0]}) is {'/'.join(sorted(C_OWNED[module][1]))}'s alone")
                    elif module in C_TARGETS and name not in C_IMPORTERS:
                        violations.append(f"{place}: {module} ({C_TARGETS[module]}) is the runtime's alone")
                    elif name == "FileSupport" and module in ours and module not in FILESUPPORT_ALLOWED:
                        violations.append(f"{place}: FileSupport is the I/O leaf and imports no model code")
                    elif (module in ours or module in products) and module not in deps and module != name:
                        violations.append(f"{place}, which Package.swift does not declare for it")
                    elif module not in ours and module not in products:
                        violations.append(f"{place}: not a module of this package, its dependencies or the system")
        for unused in sorted(deps - imported):
            violations.append(f"Package.swift: {name} declares {unused}, which none of its files imports")
    for violation in violations:
        print(violation)
    if violations:
        print(f"architecture check: {len(violations)} violation(s) (the allowed arrows: docs/architecture.md)", file=sys.stderr)
        return 1
    print(f"architecture check: {len(targets)} targets, every import allowed and declared")
    return 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
