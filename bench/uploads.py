"""Time to refuse hostile evidence uploads: `python -m bench.uploads [--quick]`.

Types each hostile file of tests/intake/hostile_files.py at several sizes with intake.filetypes
(the code the upload view and API run), beside a baseline measured in the same run: a genuine
file of the same format. Prints a table and writes bench/results/uploads.json. The reported
.doc (a FAT chain pointing at itself) took 11 s at 64 KB in the old hand-written reader, growing
linearly to about half an hour at 10 MB.
"""

import json
import statistics
import sys
import time
from pathlib import Path

from intake import filetypes
from tests.intake import hostile_files as files

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "bench" / "results" / "uploads.json"
KiB, MiB = 1024, 1024 * 1024


def cases(quick=False):
    """(name, size label, bytes, baseline name) for every hostile file, and the baselines."""
    sizes = [64 * KiB, MiB] if quick else [64 * KiB, MiB, 10 * MiB]
    chat = ("商家拒绝退货，聊天记录如下。2026-12-03 客服：不退。\n" * 200_000).encode()
    found = [("genuine .xls (xlwt)", "1 MB", files.genuine_xls(rows=20_000), None),
             ("genuine .docx", "small", files.office_zip("word/document.xml"), None),
             ("genuine chat log .txt", f"{len(chat) // MiB} MB", chat, None),
             ("text of 5 million '<'", "10 MB", b"a<" * (5 * MiB), "genuine chat log .txt")]
    for size in sizes:
        label = f"{size // KiB} KB" if size < MiB else f"{size // MiB} MB"
        found.append(("self-looping FAT .doc (the reported file)", label, files.looping_fat_ole(size),
                      "genuine .xls (xlwt)"))
    for size in sizes[:2] + ([6 * MiB] if not quick else []):
        label = f"{size // KiB} KB" if size < MiB else f"{size // MiB} MB"
        found.append(("self-looping directory .doc", label, files.looping_directory_ole(size),
                      "genuine .xls (xlwt)"))
    found += [
        ("zip bomb .docx (64 MB of zeros)", "", files.zip_bomb(64 * MiB), "genuine .docx"),
        ("part lying about its size (32 MB)", "", files.lying_zip(32 * MiB), "genuine .docx"),
        ("zip nested 60 deep", "", files.nested_zip(60), "genuine .docx"),
        (f"{filetypes.ZIP_MAX_ENTRIES + 1} parts", "", files.many_entries_zip(filetypes.ZIP_MAX_ENTRIES + 1),
         "genuine .docx"),
        ("7,000 parts (the most the directory budget parses)", "", files.many_entries_zip(7000),
         "genuine .docx"),
        ("60,000 parts", "", files.many_entries_zip(60_000), "genuine .docx"),
    ]
    return found


def timed(data, repeat):
    """(outcome, median seconds) of typing `data`."""
    times, outcome = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            outcome = filetypes.sniff(data).label
        except filetypes.Refused as refused:
            outcome = f"refused: {refused.code}"
        times.append(time.perf_counter() - started)
    return outcome, statistics.median(times)


def run(quick=False, repeat=5, log=print):
    rows, baselines = [], {}
    for name, size, data, baseline in cases(quick):
        outcome, seconds = timed(data, repeat)
        if baseline is None:
            baselines[name] = seconds
        rows.append({"file": name, "size": size, "bytes": len(data), "outcome": outcome,
                     "ms": round(seconds * 1000, 2), "baseline": baseline,
                     "baseline_ms": round(baselines[baseline] * 1000, 2) if baseline else None})
        log(f"{name:50} {size:>6} {len(data):>10,} B  {outcome:22} {seconds * 1000:8.2f} ms"
            + (f"   (baseline {baselines[baseline] * 1000:.2f} ms: {baseline})" if baseline else ""))
    return rows


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    rows = run(quick="--quick" in argv)
    if "--no-write" not in argv:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwritten: {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
