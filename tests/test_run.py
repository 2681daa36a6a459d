"""`digitize run` end to end: the samples, bad input in a batch, workers, resume."""
from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from digitize.cli import main
from digitize.synth import free_page

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str):
    return CliRunner().invoke(main, ["run", *args, "-q"])


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def encrypted_pdf() -> bytes:
    """A minimal PDF with a standard security handler whose empty user password is wrong."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
               b"<< /Filter /Standard /V 1 /R 2 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32 + b"> /P -4 >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, b"ab" * 16, b"ab" * 16, xref)
    return out


def test_samples_are_read_as_expected(tmp_path, model_path):
    out = tmp_path / "results.csv"
    result = run_cli(str(ROOT / "samples"), "-o", str(out), "--model", str(model_path), "-j", "1")
    assert result.exit_code == 0, result.output
    expected = rows_of(ROOT / "samples" / "expected.csv")
    got = rows_of(out)
    key = lambda r: (Path(r["file"]).name, r["page"], r["field"], r["number"])  # noqa: E731
    found = {key(r): r for r in got}
    assert sorted(found) == sorted(map(key, expected))  # every number, no more, in its field
    for name in {key(e)[0] for e in expected}:  # and each page in reading order
        assert [key(r) for r in got if key(r)[0] == name] == [key(e) for e in expected if key(e)[0] == name]
    for truth in expected:  # boxes are where the generator wrote the numbers
        read = found[key(truth)]
        tx, ty, tw, th = (int(truth[k]) for k in ("x", "y", "width", "height"))
        rx, ry, rw, rh = (int(read[k]) for k in ("x", "y", "width", "height"))
        overlap_w = min(tx + tw, rx + rw) - max(tx, rx)
        overlap_h = min(ty + th, ry + rh) - max(ty, ry)
        assert overlap_w > 0.5 * tw and overlap_h > 0.5 * th, (truth, read)


def read_sample_turned(tmp_path: Path, model_path: Path, quarters: int):
    """The sample free-form page as a scanner fed it turned this many quarters counter-clockwise,
    with no tag to say so: the upright image, the sample's truth rows and the rows read."""
    image = cv2.imread(str(ROOT / "samples" / "freeform.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(tmp_path / "turned.png"), np.rot90(image, quarters))
    out = tmp_path / "results.csv"
    result = run_cli(str(tmp_path / "turned.png"), "-o", str(out), "--model", str(model_path), "-j", "1")
    assert result.exit_code == 0, result.output
    expected = [r for r in rows_of(ROOT / "samples" / "expected.csv") if r["file"] == "freeform.png"]
    return image, expected, rows_of(out)


def test_a_page_fed_upside_down_reads_as_if_upright(tmp_path, model_path):
    image, expected, got = read_sample_turned(tmp_path, model_path, 2)
    assert sorted(r["number"] for r in got) == sorted(r["number"] for r in expected)
    height, width = image.shape
    for row in got:  # boxes are in the page as read: turned, they stay on the page
        assert 0 <= int(row["x"]) < width and 0 <= int(row["y"]) < height


@pytest.mark.parametrize("quarters", [1, 3])
def test_a_page_fed_sideways_reads_as_if_upright_with_boxes_on_the_page_as_read(quarters, tmp_path, model_path):
    image, expected, got = read_sample_turned(tmp_path, model_path, quarters)
    assert [r["number"] for r in got] == [r["number"] for r in expected]  # in the upright reading order
    height, width = image.shape
    for truth, read in zip(expected, got):
        x, y, w, h = (int(truth[k]) for k in ("x", "y", "width", "height"))
        # The upright box, turned as the page was: a quarter counter-clockwise moves (x, y) to
        # (y, width - x - w); three quarters to (height - y - h, x).
        turned = (y, width - x - w, h, w) if quarters == 1 else (height - y - h, x, h, w)
        rx, ry, rw, rh = (int(read[k]) for k in ("x", "y", "width", "height"))
        assert min(rx + rw, turned[0] + turned[2]) - max(rx, turned[0]) > 0.5 * turned[2], (turned, read)
        assert min(ry + rh, turned[1] + turned[3]) - max(ry, turned[1]) > 0.5 * turned[3], (turned, read)


@pytest.fixture()
def mixed_batch(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    page = free_page(np.random.default_rng(3), lines=2, per_line=2)
    cv2.imwrite(str(folder / "a_good.png"), page.image)
    (folder / "b_zero.png").write_bytes(b"")
    (folder / "c_text.png").write_text("not an image")
    (folder / "d_fake.pdf").write_bytes(b"%PDF-1.7 garbage")
    (folder / "e_locked.pdf").write_bytes(encrypted_pdf())
    jpeg = cv2.imencode(".jpg", page.image)[1].tobytes()
    (folder / "f_cut.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    cv2.imwrite(str(folder / "g_blank.png"), np.full((1100, 850), 255, np.uint8))
    cv2.imwrite(str(folder / "h_tiny.png"), np.zeros((1, 1), np.uint8))
    return folder


def test_bad_files_never_stop_the_batch(mixed_batch, tmp_path, model_path):
    out = tmp_path / "out.csv"
    result = run_cli(str(mixed_batch), "-o", str(out), "--model", str(model_path), "-j", "1")
    assert result.exit_code == 1
    rows = rows_of(out)
    by_file = {}
    for row in rows:
        by_file.setdefault(Path(row["file"]).name, []).append(row)
    assert sorted(by_file) == sorted(p.name for p in mixed_batch.iterdir())
    status = {name: {r["status"] for r in rs} for name, rs in by_file.items()}
    assert status["a_good.png"] <= {"ok", "review"} and len(by_file["a_good.png"]) >= 3
    for bad in ("b_zero.png", "c_text.png", "d_fake.pdf", "e_locked.pdf", "f_cut.jpg"):
        assert status[bad] == {"error"} and by_file[bad][0]["error"], bad
    assert "encrypted" in by_file["e_locked.pdf"][0]["error"]
    assert status["g_blank.png"] == {"empty"}


def test_workers_give_the_same_csv(mixed_batch, tmp_path, model_path):
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    run_cli(str(mixed_batch), "-o", str(one), "--model", str(model_path), "-j", "1")
    run_cli(str(mixed_batch), "-o", str(two), "--model", str(model_path), "-j", "2")
    assert one.read_text() == two.read_text()


def test_dash_writes_the_csv_to_standard_output_and_cannot_be_resumed(mixed_batch, tmp_path, model_path):
    out = tmp_path / "out.csv"
    run_cli(str(mixed_batch), "-o", str(out), "--model", str(model_path), "-j", "1")
    piped = run_cli(str(mixed_batch), "-o", "-", "--model", str(model_path), "-j", "1")
    assert piped.exit_code == 1 and piped.stdout == out.read_text()
    assert not (Path.cwd() / "-").exists()
    resumed = run_cli(str(mixed_batch), "-o", "-", "--model", str(model_path), "--resume")
    assert resumed.exit_code == 2 and "--resume" in resumed.output


def test_resume_skips_done_files_and_matches_a_full_run(mixed_batch, tmp_path, model_path):
    full = tmp_path / "full.csv"
    run_cli(str(mixed_batch), "-o", str(full), "--model", str(model_path), "-j", "1")
    lines = full.read_text().splitlines(keepends=True)
    partial = tmp_path / "partial.csv"
    partial.write_text("".join(lines[:3]) + lines[3][:10])  # interrupted in the middle of a row
    result = run_cli(str(mixed_batch), "-o", str(partial), "--model", str(model_path), "-j", "1", "--resume")
    assert result.exit_code == 1
    assert partial.read_text() == full.read_text()


def test_overlay_and_crops_are_written(tmp_path, model_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ROOT / "samples" / "form.png", folder / "form.png")
    result = run_cli(str(folder), "-o", str(tmp_path / "o.csv"), "--model", str(model_path), "-j", "1",
                     "--overlay", str(tmp_path / "ov"), "--crops", str(tmp_path / "cr"))
    assert result.exit_code == 0, result.output
    overlay = cv2.imread(str(next((tmp_path / "ov").iterdir())))
    assert overlay is not None and overlay.shape[:2] == cv2.imread(str(folder / "form.png")).shape[:2]
    crops = list((tmp_path / "cr").iterdir())
    digits = sum(len(r["number"]) for r in rows_of(tmp_path / "o.csv"))
    assert len(crops) == digits and all(cv2.imread(str(c), 0).shape == (28, 28) for c in crops)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL])
def test_killed_run_resumes_to_the_same_csv(tmp_path, model_path, signal_number):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(11)
    for index in range(24):  # enough pages that the signal lands well before the run's end
        cv2.imwrite(str(folder / f"p{index:02d}.png"), free_page(rng, lines=3, per_line=3).image)
    command = [sys.executable, "-m", "digitize", "run", str(folder), "--model", str(model_path), "-j", "1", "-q"]
    full, partial = tmp_path / "full.csv", tmp_path / "partial.csv"
    subprocess.run(command + ["-o", str(full)], check=True)
    process = subprocess.Popen(command + ["-o", str(partial)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not partial.exists() or len(partial.read_text().splitlines()) < 2):
        time.sleep(0.05)
    process.send_signal(signal_number)
    code = process.wait(timeout=60)
    assert code == (130 if signal_number == signal.SIGINT else -signal.SIGKILL)
    assert len(partial.read_text().splitlines()) < len(full.read_text().splitlines()), "killed too late to test"
    subprocess.run(command + ["-o", str(partial), "--resume"], check=True)
    assert partial.read_text() == full.read_text()


def test_only_a_page_whose_writing_lies_on_its_side_is_segmented_turned_too():
    from digitize.reader import segment_page

    image = cv2.imread(str(ROOT / "samples" / "freeform.png"), cv2.IMREAD_GRAYSCALE)
    assert segment_page("upright.png", 1, image).other_ways == []
    turned = segment_page("sideways.png", 1, np.ascontiguousarray(np.rot90(image)))
    assert [alternative.quarter_turns for alternative in turned.other_ways] == [1, 3]


@pytest.mark.parametrize("quarters", [1, 3])
def test_a_sideways_page_is_read_fully_only_the_way_its_whole_blobs_read_surest(quarters, classifier):
    """Its blobs on their side are mostly doubted: cutting them, and reading the wrong turn
    fully, doubled the time such a page took."""
    from digitize.reader import classify, segment_page

    image = cv2.imread(str(ROOT / "samples" / "freeform.png"), cv2.IMREAD_GRAYSCALE)
    page = segment_page("sideways.png", 1, np.ascontiguousarray(np.rot90(image, quarters)))
    wholes = len(page.crops)
    classify([page], classifier.probabilities)
    assert [turned.quarter_turns for turned in page.other_ways] == [4 - quarters]
    assert len(page.crops) == wholes  # no cuts made of the page as it was fed


def test_an_amount_scanned_at_high_resolution_is_read_as_one_field(classifier):
    """An image wider than 1000 px but under 600 px high is a strip (an amount, a zip code at
    300-600 dpi), not a page: read as a page, its security print and strokes came apart into
    a string of '1's."""
    from digitize.reader import classify, decide, segment_page
    from digitize.synth import hershey_glyph, write_number

    strip = np.full((300, 1400), 235, np.uint8)
    for x in range(-300, 1400, 9):  # a cheque's security print: fine diagonal lines
        cv2.line(strip, (x, 300), (x + 300, 0), 200, 1)
    write_number(strip, "3507", 150, 240, 170, np.random.default_rng(3), hershey_glyph)
    segments = segment_page("amount.png", 1, strip)
    reads = decide(segments, classify([segments], classifier.probabilities)[0])
    assert [(read.field, read.number) for read in reads] == [("image", "3507")]


@pytest.mark.parametrize("lead_in", [False, True])
def test_small_zeros_in_one_stroke_after_a_tall_digit_are_read(lead_in, classifier):
    """A cheque's '1.000': the zeros a third of the '1''s height, low on its line and joined by
    the pen, were dropped as a dash or an underline ('1'), or cut with their strokes into '8's."""
    from digitize.reader import classify, decide, segment_page

    amount = np.full((110, 320), 255, np.uint8)
    cv2.line(amount, (30, 95), (52, 15), 0, 5)
    cv2.circle(amount, (62, 92), 3, 0, -1)  # the thousands' full stop
    for k in range(3):
        cx = 95 + 38 * k
        cv2.ellipse(amount, (cx, 80), (14, 12), 0, 0, 360, 0, 4)
        if k < 2:
            cv2.line(amount, (cx + 11, 87), (cx + 26, 82), 0, 4)  # on into the next zero
    if lead_in:
        cv2.line(amount, (72, 96), (84, 84), 0, 4)  # up from the full stop into the first
    cv2.line(amount, (190, 80), (230, 78), 0, 4)  # the closing dash
    segments = segment_page("amount.png", 1, amount)
    reads = decide(segments, classify([segments], classifier.probabilities)[0])
    assert [read.number for read in reads] == ["1000"]


def _stretched_to_fill(mnist_path, index: int, size: int = 16) -> np.ndarray:
    """An MNIST training digit stretched to fill a square and made black and white, dark on
    light: as Semeion's 16x16 and optdigits' 32x32 digits are stored."""
    from digitize.data import load_mnist
    from digitize.normalize import ink_only

    ink = cv2.resize(ink_only(load_mnist(mnist_path).x_train[index]), (size, size), interpolation=cv2.INTER_AREA)
    return np.where(ink > 100, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("index", [54683, 54946, 55173])  # '1's of the MNIST training set
def test_a_one_stretched_to_fill_its_square_is_read_as_a_one(index, mnist_path, classifier):
    """Stretched to fill 16x16, a '1' is a slab the model read as '4', '44' or '08'. Such an
    image is read at 0.6 of its width too, which reads surer; its box is still given in the
    image as it was."""
    from digitize.reader import classify, read_upright, segment_page

    segments = segment_page("semeion.png", 1, _stretched_to_fill(mnist_path, index))
    reads = read_upright(segments, classify([segments], classifier.probabilities)[0], classifier.probabilities)
    assert [(read.number, read.box[0] + read.box[2]) for read in reads] == [("1", 16)]


def test_only_a_small_square_image_filled_by_its_ink_is_taken_for_a_stretched_digit(mnist_path):
    from digitize.data import load_mnist
    from digitize.reader import _stretched_to_fill as stretched

    narrow_one = np.full((16, 16), 255, np.uint8)
    cv2.line(narrow_one, (8, 0), (7, 15), 0, 2)  # scaled to the image's height, its shape kept
    as_mnist_stores_it = load_mnist(mnist_path).x_train[54683]  # 28x28, the ink within 20x20
    assert stretched(_stretched_to_fill(mnist_path, 54683)) and stretched(255 - _stretched_to_fill(mnist_path, 54683))
    assert stretched(_stretched_to_fill(mnist_path, 54683, 32))
    assert not stretched(narrow_one) and not stretched(as_mnist_stores_it)
    assert not stretched(cv2.resize(_stretched_to_fill(mnist_path, 54683), (64, 64)))  # larger: a tight crop


def _scanned_on_black(page):
    """A scanner's black backing showing down the page's right side and along its top."""
    image = page.image.copy()
    image[:, -int(0.07 * image.shape[1]) :] = 20
    image[: int(0.02 * image.shape[0]), :] = 20
    return image


@pytest.mark.parametrize("kind, dpi", [("form", 90), ("table", 90), ("table on black", 110), ("ruled", 110)])
def test_a_page_scanned_at_low_resolution_is_read_as_a_page(kind, dpi):
    """Under 1000 px on its longer side, a page scanned at low resolution was one field: its
    boxes and numbers made one number. Its handwriting, many blobs small beside the image,
    says page, whatever a field's clean-up leaves of a table's grid or a notebook's lines."""
    from digitize.reader import segment_page
    from digitize.synth import form_page, free_page, on_ruled_paper, table_page

    rng = np.random.default_rng(4)
    page = {"form": lambda: form_page(rng, dpi=dpi), "table": lambda: table_page(rng, dpi=dpi),
            "table on black": lambda: table_page(rng, dpi=dpi),
            "ruled": lambda: on_ruled_paper(free_page(rng, dpi=dpi))}[kind]()
    image = _scanned_on_black(page) if kind.endswith("on black") else page.image
    assert 500 <= min(image.shape) < 1200
    numbers = segment_page("page.png", 1, image).numbers
    assert "image" not in {n.field for n in numbers} and len(numbers) >= 0.9 * len(page.truth)


@pytest.mark.parametrize("width, height, x, baseline, digit_height", [(1280, 720, 250, 500, 260),
                                                                   (2600, 1950, 500, 1300, 450)])
def test_one_number_photographed_large_is_read_as_one_field(width, height, x, baseline, digit_height, classifier):
    """A webcam's 1280x720 photo of one number written with a marker was a page (over 1000 px),
    whose big strokes were taken for rules and fell apart; so was a phone's photo (past 1200 px
    on its short side, where images are pages). Its handwriting, a few blobs large beside the
    image, says field."""
    from digitize.reader import classify, decide, segment_page
    from digitize.synth import hershey_glyph, write_number

    photo = np.full((height, width), 190, np.uint8)
    photo[:, :] += np.linspace(0, 50, width, dtype=np.uint8)  # light falling off across
    write_number(photo, "4096", x, baseline, digit_height, np.random.default_rng(2), hershey_glyph)
    segments = segment_page("photo.jpg", 1, photo)
    reads = decide(segments, classify([segments], classifier.probabilities)[0])
    assert [(read.field, read.number) for read in reads] == [("image", "4096")]
    left, top, _, box_height = reads[0].box  # in the photo as read
    assert abs(left - x) <= 0.1 * digit_height and abs(top + box_height - baseline) <= 0.1 * digit_height


@pytest.mark.parametrize("sheet", ["blank", "noise"])
def test_a_sheet_with_nothing_written_is_no_page_of_writing(sheet):
    """Between field and page by its size, a blank sheet or one of scan noise stays a field
    with no number: the noise's specks are no handwriting (read as a page, 300 '8's and '1's),
    and a blank sheet is not read again inverted (all ink)."""
    from digitize.reader import segment_page

    rng = np.random.default_rng(5)
    image = (np.full((1100, 850), 255, np.uint8) if sheet == "blank"
             else np.clip(rng.normal(200, 15, (600, 800)), 0, 255).astype(np.uint8))
    assert segment_page("sheet.png", 1, image).numbers == []
