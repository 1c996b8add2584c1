"""Fuzz the file readers: mutated DOCX, PDF and HTML files through ``sandbox.extract``, as
``assistant index`` and the upload panel read them; prints what it counted.

    python bench/fuzz_readers.py                 # 3,000 files: 1,000 of each format
    python bench/fuzz_readers.py --per-format 200 --seed 3

Seeds: a DOCX with paragraphs and a table (python-docx), a PDF with a text layer on two pages
(pypdf), and the saved news page of ``tests/data/formats``. Each mutant is one of: bytes
flipped, cut short, a stretch repeated or dropped, random bytes inserted; for DOCX the XML
inside the zip is mutated the same way or nested deep, then zipped again; for PDF a stream
length or object number is changed; for HTML tags are nested thousands deep or left open.

Counted: files read, files refused with a reason (``Unreadable``), and exceptions that escaped
the reader (must be 0). Also the slowest file and the worker's peak memory (VmHWM) with the
file that raised it.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from assistant.ingest import sandbox
from assistant.ingest.formats import Limits, Unreadable

HTML = ROOT / "tests" / "data" / "formats" / "quang-nam-champasak.html"
TEXT = ("Năm 2024, tỉnh Ninh Thuận thu hút 9 dự án có vốn đầu tư nước ngoài, tổng vốn 120 triệu USD. "
        "Tỉnh đã tiếp nhận 2,4 triệu USD viện trợ phi chính phủ nước ngoài cho các dự án y tế.")


def seed_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = "Báo cáo công tác đối ngoại"
    for _ in range(5):
        doc.add_paragraph(TEXT)
    table = doc.add_table(rows=3, cols=2)
    for r, row in enumerate(table.rows):
        row.cells[0].text, row.cells[1].text = f"Chỉ tiêu {r}", f"{r * 7} đoàn"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def seed_pdf() -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for n in range(2):
        page = writer.add_blank_page(595, 842)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td (Trang {n + 1}: Ninh Thuan thu hut 9 du an FDI nam 2024.) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    kind = rng.choice(["flip", "cut", "repeat", "drop", "insert"])
    if kind == "flip":
        for _ in range(rng.randint(1, 40)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == "cut":
        b = b[: rng.randrange(1, len(b))]
    elif kind == "repeat":
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randint(1, 400))
        b[i:i] = b[i:j] * rng.randint(2, 2000)
    elif kind == "drop":
        i = rng.randrange(len(b))
        del b[i : i + rng.randint(1, 2000)]
    else:
        i = rng.randrange(len(b))
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    return bytes(b)


def mutate_docx(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        return mutate_bytes(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        parts = {i.filename: zin.read(i) for i in zin.infolist()}
    name = rng.choice(["word/document.xml"] * 4 + list(parts))
    xml = parts[name]
    if rng.random() < 0.25:
        depth = rng.choice([100, 300, 5000])
        xml = xml.replace(b"<w:body>", b"<w:body>" + b"<w:p>" * depth + b"</w:p>" * depth, 1)
    else:
        xml = mutate_bytes(xml, rng)
    parts[name] = xml
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, content in parts.items():
            z.writestr(n, content)
    return out.getvalue()


def mutate_pdf(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.3:
        import re

        numbers = [m.span() for m in re.finditer(rb"\d+", data)]
        if numbers:
            i, j = rng.choice(numbers)
            return data[:i] + str(rng.choice([0, -1, 10**9, 2**31, 99999])).encode() + data[j:]
    return mutate_bytes(data, rng)


def mutate_html(data: bytes, rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.15:
        depth = rng.choice([1000, 20000, 100000])
        tag = rng.choice([b"div", b"table", b"span", b"b"])
        return data.replace(b"<body", (b"<" + tag + b">") * depth + b"<body", 1)
    if r < 0.25:
        return data.replace(b"</", b"<", rng.randint(1, 500))
    return mutate_bytes(data, rng)


def hwm_mb() -> float:
    """The worker process's peak resident memory so far, in MB."""
    worker = sandbox._worker
    if worker is None or not worker.alive():
        return 0.0
    for line in Path(f"/proc/{worker.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-format", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--seconds", type=float, default=60.0, help="read_seconds for each file")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seeds = {".docx": (seed_docx(), mutate_docx), ".pdf": (seed_pdf(), mutate_pdf),
             ".html": (HTML.read_bytes(), mutate_html)}
    limits = Limits(seconds=args.seconds)
    counts: Counter[str] = Counter()
    escaped: list[str] = []
    slowest = (0.0, "")
    peak = (0.0, "")
    reasons: Counter[str] = Counter()
    started = time.perf_counter()
    for suffix, (seed, mutate) in seeds.items():
        sandbox.extract(Path(f"seed{suffix}"), seed, limits)  # the seed itself reads
        for n in range(args.per_format):
            data = mutate(seed, rng)
            name = f"mutant-{n}{suffix}"
            t0 = time.perf_counter()
            try:
                sandbox.extract(Path(name), data, limits)
                counts[f"{suffix} read"] += 1
            except Unreadable as exc:
                counts[f"{suffix} refused"] += 1
                reasons[str(exc).split("(")[0].strip()[:60]] += 1
            except Exception as exc:  # noqa: BLE001 - what the bench counts: nothing may get here
                escaped.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            took = time.perf_counter() - t0
            if took > slowest[0]:
                slowest = (took, f"{name} ({len(data) / 1e6:.2f} MB)")
            mem = hwm_mb()
            if mem > peak[0]:
                peak = (mem, f"{name} ({len(data) / 1e6:.2f} MB)")
    total = sum(counts.values()) + len(escaped)
    print(f"\n# bench/fuzz_readers.py — {time.strftime('%Y-%m-%d %H:%M')}, seed {args.seed}")
    print(f"files                      {total} in {time.perf_counter() - started:.0f} s")
    for key in sorted(counts):
        print(f"  {key:24} {counts[key]}")
    print(f"exceptions escaped         {len(escaped)}")
    for line in escaped[:20]:
        print(f"  {line}")
    print(f"slowest file               {slowest[0]:.2f} s: {slowest[1]}")
    print(f"worker peak RSS (VmHWM)    {peak[0]:.0f} MB, reached on {peak[1]}")
    print("most common refusals:")
    for reason, n in reasons.most_common(8):
        print(f"  {n:5}  {reason}")


if __name__ == "__main__":
    main()
