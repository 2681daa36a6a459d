"""Decoding: every format and bit depth, and every kind of bad file as a clear PageError."""
from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from digitize.pages import Page, PageError, find_inputs, load_pages


def gray_page(value: int = 200) -> np.ndarray:
    image = np.full((60, 80), value, np.uint8)
    image[20:40, 30:34] = 0
    return image


def pages_of(path) -> list:
    return list(load_pages(str(path)))


def test_multi_page_tiff(tmp_path):
    path = tmp_path / "scan.tif"
    frames = [Image.fromarray(gray_page(v)) for v in (250, 200, 150)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    pages = pages_of(path)
    assert [p.page for p in pages] == [1, 2, 3] and all(isinstance(p, Page) for p in pages)
    assert [int(p.image[0, 0]) for p in pages] == [250, 200, 150]


def test_pdf_pages_render_at_300_dpi(tmp_path):
    path = tmp_path / "doc.pdf"
    frames = [Image.fromarray(gray_page(v)) for v in (255, 128)]
    frames[0].save(path, "PDF", resolution=100, save_all=True, append_images=frames[1:])
    pages = pages_of(path)
    assert [p.page for p in pages] == [1, 2]
    height, width = pages[0].image.shape  # 60x80 px at 100 dpi → 180x240 at 300 dpi
    assert abs(height - 180) <= 1 and abs(width - 240) <= 1
    assert pages[1].image.dtype == np.uint8 and abs(int(pages[1].image[5, 5]) - 128) < 8


@pytest.mark.parametrize("ink", [0, 255])
def test_a_digit_drawn_on_a_transparent_canvas_keeps_its_shape_whatever_its_colour(tmp_path, ink):
    """Black ink on a transparent canvas goes on white paper; white ink would vanish there and
    goes on black (the reader takes either polarity)."""
    rgba = np.zeros((60, 80, 4), np.uint8)
    rgba[..., :3] = ink
    rgba[20:40, 30:34, 3] = 255  # the stroke is opaque, the canvas transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "canvas.png")
    (page,) = pages_of(tmp_path / "canvas.png")
    assert abs(int(page.image[30, 31]) - int(page.image[5, 5])) == 255


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "I;16"])
def test_bit_depths_and_colour_modes(tmp_path, mode):
    base = Image.fromarray(gray_page())
    if mode == "I;16":
        image = Image.fromarray((gray_page().astype(np.uint16) * 257))
    elif mode == "RGBA":
        rgba = np.dstack([gray_page()] * 3 + [np.full((60, 80), 255, np.uint8)])
        rgba[0:5, 0:5, 3] = 0  # transparent corner becomes white paper
        image = Image.fromarray(rgba, "RGBA")
    else:
        image = base.convert(mode)
    path = tmp_path / f"img_{mode.replace(';', '')}.png"
    image.save(path)
    (page,) = pages_of(path)
    assert page.image.dtype == np.uint8 and page.image.shape == (60, 80)
    assert page.image[30, 31] < 20 and abs(int(page.image[50, 70]) - 200) <= 2
    if mode == "RGBA":
        assert page.image[0, 0] == 255


@pytest.mark.parametrize("name, content, reason", [
    ("empty.png", b"", "empty file"),
    ("notes.png", b"just some words", "not an image"),
    ("fake.pdf", b"%PDF-1.4\n this is not really a pdf", "PDF"),
])
def test_file_that_is_not_what_its_name_says(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    (error,) = pages_of(path)
    assert isinstance(error, PageError) and reason in error.message


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(gray_page()).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    (error,) = pages_of(path)
    assert isinstance(error, PageError) and "cannot decode" in error.message


def test_decompression_bomb_header(tmp_path):
    """A PNG that claims 30,000 x 30,000 pixels is refused before any pixel is decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
                     + chunk(b"IEND", b""))
    (error,) = pages_of(path)
    assert isinstance(error, PageError) and "decompression bomb" in error.message


def test_tiny_image_is_a_page(tmp_path):
    path = tmp_path / "dot.png"
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(path)
    (page,) = pages_of(path)
    assert isinstance(page, Page) and page.image.shape == (1, 1)


def test_find_inputs_walks_sorted_and_reports_problems(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.png").write_bytes(b"x")
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("skipped inside folders")
    os.symlink(tmp_path, tmp_path / "b" / "loop")
    found = list(find_inputs([str(tmp_path), str(tmp_path / "missing.png")]))
    names = [(os.path.relpath(f, tmp_path), problem) for f, problem in found]
    assert names[0] == ("a.jpg", None) and names[1] == (os.path.join("b", "2.png"), None)
    assert any("loop" in (problem or "") for _, problem in names)
    assert names[-1][1] == "no such file or folder"


@pytest.mark.parametrize("suffix", [".pgm", ".ppm", ".pbm", ".jp2", ".webp", ".gif"])
def test_a_folder_of_dataset_or_archive_images_is_read(tmp_path, suffix):
    """Digit datasets store Netpbm images, archives JPEG 2000: a folder of them was skipped
    whole (no row at all)."""
    mode = "1" if suffix == ".pbm" else "RGB" if suffix == ".ppm" else "L"
    Image.fromarray(gray_page(255)).convert(mode).save(tmp_path / f"digit{suffix}")
    [(found, problem)] = list(find_inputs([str(tmp_path)]))
    assert problem is None and found.endswith(suffix)
    (page,) = pages_of(found)
    assert page.image.shape == (60, 80) and page.image[30, 31] < 20 and page.image[5, 5] > 235


def test_pages_read_smaller_decode_smaller_but_boxes_stay_in_the_page_as_read(tmp_path):
    from digitize.reader import decide, segment_page, working_scale
    from digitize.synth import free_page

    page = free_page(np.random.default_rng(5), dpi=300, lines=3, per_line=2)
    height, width = page.image.shape
    shrink = lambda w, h: working_scale((w, h))  # noqa: E731
    assert shrink(width, height) == 2
    Image.fromarray(page.image).save(tmp_path / "page.jpg", quality=90)
    Image.fromarray(page.image).save(tmp_path / "page.png")
    jpeg, = load_pages(str(tmp_path / "page.jpg"), shrink=shrink)
    png, = load_pages(str(tmp_path / "page.png"), shrink=shrink)
    assert jpeg.image.shape == ((height + 1) // 2, (width + 1) // 2) and jpeg.shrunk == 2
    assert png.image.shape == (height, width) and png.shrunk == 1  # PNG has no cheap reduced decode
    assert jpeg.size == png.size == (width, height)
    for loaded in (jpeg, png):
        segments = segment_page(loaded.file, loaded.page, loaded.image, size=loaded.size)
        sure_ones = np.zeros((len(segments.crops), 11), np.float32)
        sure_ones[:, 1] = 1.0  # any classifier: boxes do not depend on the digits read
        boxes = [read.box for read in decide(segments, sure_ones)]
        assert len(boxes) == len(page.truth)
        for truth, (x, y, w, h) in zip(page.truth, boxes):
            tx, ty, tw, th = truth.box
            assert abs(x - tx) <= 6 and abs(y - ty) <= 6 and abs(w - tw) <= 12 and abs(h - th) <= 12


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_a_page_stands_as_its_orientation_tag_says(tmp_path, orientation, fmt):
    # Phones store a photo taken sideways as the sensor saw it, plus an EXIF Orientation tag;
    # scanners do the same in TIFF. Viewers (and Pillow's exif_transpose) turn it upright.
    from PIL import ImageOps

    stored = np.full((60, 90), 230, np.uint8)
    stored[5:20, 5:30] = 0  # a mark in one corner, so every turn and mirror differs
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"photo.{fmt.lower()}"
    Image.fromarray(stored).save(path, format=fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}))
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image).convert("L"))
    page, = pages_of(path)
    assert page.size == (upright.shape[1], upright.shape[0])
    assert page.image.shape == upright.shape and np.abs(page.image.astype(int) - upright).max() <= 2


def test_a_sideways_jpeg_read_smaller_keeps_its_upright_size(tmp_path):
    stored = np.full((1400, 2800), 230, np.uint8)  # a page photographed sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # turn 90 degrees clockwise to view
    Image.fromarray(stored).save(tmp_path / "page.jpg", exif=exif)
    page, = load_pages(str(tmp_path / "page.jpg"), shrink=lambda w, h: 2)
    assert page.size == (1400, 2800) and page.image.shape == (1400, 700) and page.shrunk == 2


@pytest.mark.parametrize("exif", [b"Exif\x00\x00garbage!!", b"\x00" * 7])
def test_a_broken_exif_block_does_not_cost_the_page(tmp_path, exif):
    path = tmp_path / "scan.png"
    Image.fromarray(gray_page()).save(path, exif=exif)
    page, = pages_of(path)
    assert isinstance(page, Page) and np.array_equal(page.image, gray_page())
