"""The photo pipeline on a 12 MP JPEG, beside a naive Pillow baseline in the same run.

Both make the same three files with the same encoder settings (thumb.webp, display.webp,
display.jpg) and both hash the upload; they differ in how they get there:

- hirfa: ``api.services.media.ingest``: JPEG ``draft()`` (libjpeg decodes at 1/2 scale),
  upright, colour-managed, metadata dropped, the thumbnail made from the display image;
- baseline: full decode, ``exif_transpose``, then each variant resized from the full
  image (what one writes without thinking about a 12 MP decode).

Time is the median over the repetitions. Peak memory is measured once per pipeline in a
fresh child process (Pillow's pixel buffers are C allocations tracemalloc cannot see): the rise
of the child's peak RSS over its RSS when it started.
"""

from __future__ import annotations

import cProfile
import io
import json
import multiprocessing
import os
import platform
import pstats
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from api.services import media

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "photos.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "photos_profile.txt"
SIZE = (4000, 3000)  # 12 MP, a common phone camera
REPEATS, QUICK_REPEATS = 7, 2


def make_photo(path: Path, seed: int = 12) -> None:
    """A 12 MP JPEG that compresses like a photo (~3.5 MB): noise, gradients, shapes."""
    rnd = random.Random(seed)
    noise = Image.merge("RGB", [Image.effect_noise(SIZE, 64) for _ in range(3)])
    gradient = Image.linear_gradient("L").resize(SIZE)
    tint = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize(SIZE),
                               Image.new("L", SIZE, 120)))  # fmt: skip
    im = Image.blend(noise, tint, 0.5)
    draw = ImageDraw.Draw(im)
    for _ in range(60):
        x, y, r = rnd.randrange(SIZE[0]), rnd.randrange(SIZE[1]), rnd.randrange(50, 600)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), outline=colour, width=rnd.randrange(5, 40))
    im = im.filter(ImageFilter.GaussianBlur(0.8))
    exif = Image.Exif()
    exif[0x0112] = 6  # portrait, as a phone held upright writes it
    im.save(path, "JPEG", quality=90, exif=exif)


def hirfa(src: Path, out: Path) -> dict[str, int]:
    info = media.ingest(src, media.file_sha256(src), out, 40_000_000)
    return {name: v["bytes"] for name, v in info.variants.items()}


def baseline(src: Path, out: Path) -> dict[str, int]:
    media.file_sha256(src)
    with Image.open(src) as im:
        im.load()  # the whole 12 MP
        upright = ImageOps.exif_transpose(im).convert("RGB")
    sizes = {}
    for name, longest, fmt, options in (
        ("thumb.webp", media.THUMB_SIZE, "WEBP", {"quality": media.THUMB_QUALITIES[0]}),
        ("display.webp", media.DISPLAY_SIZE, "WEBP", {"quality": media.DISPLAY_WEBP_QUALITY}),
        ("display.jpg", media.DISPLAY_SIZE, "JPEG",
         {"quality": media.DISPLAY_JPEG_QUALITY, "optimize": True, "progressive": True}),
    ):  # fmt: skip
        small = upright.copy()
        small.thumbnail((longest, longest), Image.Resampling.LANCZOS, reducing_gap=None)
        buf = io.BytesIO()
        small.save(buf, fmt, **options)
        (out / name).write_bytes(buf.getvalue())
        sizes[name] = buf.tell()
    return sizes


PIPELINES: dict[str, Callable[[Path, Path], dict[str, int]]] = {
    "hirfa": hirfa,
    "baseline": baseline,
}


def _once(fn: Callable, src: Path) -> tuple[float, dict[str, int]]:
    out = Path(tempfile.mkdtemp(prefix="hirfa-bench-"))
    try:
        start = time.perf_counter()
        sizes = fn(src, out)
        return time.perf_counter() - start, sizes
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _peak_child(name: str, src: str, queue: multiprocessing.Queue) -> None:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM (the peak RSS) to the RSS now: imports do not count
    before = _status_kib("VmRSS")
    _once(PIPELINES[name], Path(src))
    queue.put(_status_kib("VmHWM") - before)


def peak_memory_mib(name: str, src: Path) -> float:
    # A fresh interpreter: a forked one would reuse pages the parent's runs left behind.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_peak_child, args=(name, str(src), queue))
    child.start()
    rise = queue.get(timeout=300)
    child.join()
    return rise / 1024


def measure(repeats: int, src: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, fn in PIPELINES.items():
        _once(fn, src)  # warm-up: imports, codec tables, page cache
        times, sizes = [], {}
        for _ in range(repeats):
            elapsed, sizes = _once(fn, src)
            times.append(elapsed)
        results[name] = {
            "median_s": statistics.median(times),
            "peak_rss_rise_mib": peak_memory_mib(name, src),
            "bytes": sizes,
        }
    results["speedup"] = results["baseline"]["median_s"] / results["hirfa"]["median_s"]
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'pipeline':<10} {'median ms':>10} {'peak MiB':>9}  bytes per variant"]
    for name in PIPELINES:
        row = results[name]
        sizes = ", ".join(f"{k} {v:,}" for k, v in row["bytes"].items())
        lines.append(
            f"{name:<10} {row['median_s'] * 1000:>10.0f} {row['peak_rss_rise_mib']:>9.0f}  {sizes}"
        )
    lines.append(f"speedup (baseline time / hirfa time): {results['speedup']:.1f}x (aim >= 3)")
    return "\n".join(lines)


def run(quick: bool = False) -> dict[str, Any]:
    repeats = QUICK_REPEATS if quick else REPEATS
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photo-12mp.jpg"
        make_photo(src)
        print(
            f"photos: {SIZE[0]}x{SIZE[1]} JPEG of {src.stat().st_size:,} bytes into thumb + "
            f"display (WebP, JPEG), median of {repeats}",
            flush=True,
        )
        results = measure(repeats, src)
    report = {
        "benchmark": "photos",
        "quick": quick,
        "repeats": repeats,
        "results": results,
        "environment": {
            "python": platform.python_version(),
            "pillow": version("pillow"),
            "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
            "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    }
    print(table(results))
    print(json.dumps(report, separators=(",", ":")))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    return report


def profile(quick: bool = False) -> str:
    """cProfile of Hirfa's pipeline on the 12 MP photo (a few runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photo-12mp.jpg"
        make_photo(src)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(QUICK_REPEATS if quick else REPEATS):
            _once(hirfa, src)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()
