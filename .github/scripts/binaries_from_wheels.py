"""Plain binaries for the release, taken out of the wheels that carry them.

    python3 binaries_from_wheels.py WHEEL_DIR OUT_DIR

Each platform wheel holds the `pipelint` binary under `<name>.data/scripts/`; it goes into
`pipelint-<version>-<target>.tar.gz` (`.zip` on Windows), named by the Rust target it was
built for, so the binary on the release page is byte for byte the one on PyPI. Then
`SHA256SUMS` lists every file of OUT_DIR (binaries, and the wheels and sdist when they are
there too). Release (.github/workflows/release.yml) and CI (.ci/run, on the wheel it
builds) run the same script. Standard library only.
"""

import hashlib
import io
import re
import stat
import sys
import tarfile
import zipfile
from pathlib import Path

# The wheel's platform tag (its architecture part) -> the Rust target triple.
TARGETS = [
    (r"^manylinux.*_x86_64$", "x86_64-unknown-linux-gnu"),
    (r"^manylinux.*_aarch64$", "aarch64-unknown-linux-gnu"),
    (r"^musllinux.*_x86_64$", "x86_64-unknown-linux-musl"),
    (r"^musllinux.*_aarch64$", "aarch64-unknown-linux-musl"),
    (r"^linux_x86_64$", "x86_64-unknown-linux-gnu"),
    (r"^linux_aarch64$", "aarch64-unknown-linux-gnu"),
    (r"^macosx_.*_x86_64$", "x86_64-apple-darwin"),
    (r"^macosx_.*_arm64$", "aarch64-apple-darwin"),
    (r"^macosx_.*_universal2$", "universal2-apple-darwin"),
    (r"^win_amd64$", "x86_64-pc-windows-msvc"),
    (r"^win_arm64$", "aarch64-pc-windows-msvc"),
]


def target_of(platform_tag: str) -> str:
    # A wheel may carry several compatible tags (`manylinux_2_17_x86_64.manylinux2014_x86_64`).
    first = platform_tag.split(".")[0]
    for pattern, target in TARGETS:
        if re.match(pattern, first):
            return target
    raise SystemExit(f"no Rust target known for the wheel platform tag {platform_tag!r}")


def binary_of(wheel: zipfile.ZipFile) -> tuple[str, bytes]:
    found = [
        n
        for n in wheel.namelist()
        if re.fullmatch(r"[^/]+\.data/scripts/pipelint(\.exe)?", n)
    ]
    if len(found) != 1:
        raise SystemExit(f"{wheel.filename}: expected one pipelint binary, found {found}")
    return found[0].rsplit("/", 1)[1], wheel.read(found[0])


def main(wheel_dir: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(wheel_dir.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel in {wheel_dir}")
    made = set()
    for path in wheels:
        # name-version-python-abi-platform.whl
        _, version, _, _, platform_tag = path.stem.split("-")
        target = target_of(platform_tag)
        with zipfile.ZipFile(path) as wheel:
            name, binary = binary_of(wheel)
        stem = f"pipelint-{version}-{target}"
        if stem in made:
            raise SystemExit(f"two wheels for {target}")
        made.add(stem)
        if name.endswith(".exe"):
            archive = out_dir / f"{stem}.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(f"{stem}/{name}", binary)
        else:
            archive = out_dir / f"{stem}.tar.gz"
            with tarfile.open(archive, "w:gz") as t:
                info = tarfile.TarInfo(f"{stem}/{name}")
                info.size = len(binary)
                info.mode = stat.S_IFREG | 0o755
                t.addfile(info, io.BytesIO(binary))
        print(f"{archive.name}: {len(binary)} bytes from {path.name}")
    sums = []
    for f in sorted(out_dir.iterdir()):
        if f.is_file() and f.name != "SHA256SUMS":
            sums.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n")
    (out_dir / "SHA256SUMS").write_text("".join(sums))
    print(f"SHA256SUMS: {len(sums)} files")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
