"""Find input files and decode them into grayscale pages: PNG, JPEG, TIFF (all pages), BMP, PDF.

Nothing here raises for a bad file: each problem becomes a PageError that the batch writes as an
error row, so one bad scan never takes the run down.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

#: Largest page we decode, in pixels (A4 at 600 dpi is 35 Mpx); bigger is treated as a bomb.
MAX_PIXELS = 120_000_000
PDF_DPI = 300
#: Found in folders: the scan formats, and those digit datasets and archives store images in
#: (Netpbm for postal and exam digit sets, JPEG 2000 for archives' register scans, WebP, GIF).
SUFFIXES = {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".bmp", ".pdf",
            ".pbm", ".pgm", ".ppm", ".pnm", ".jp2", ".j2k", ".webp", ".gif"}


#: Given a page's (width, height) as read, the factor it will be worked at (1 = full size).
Shrink = Callable[[int, int], int]


@dataclass
class Page:
    file: str
    page: int
    image: np.ndarray  # grayscale uint8, dark ink on light paper
    size: tuple[int, int] = (0, 0)  # (width, height) of the page as read; image may be smaller

    def __post_init__(self) -> None:
        if self.size == (0, 0):
            self.size = (self.image.shape[1], self.image.shape[0])

    @property
    def shrunk(self) -> int:
        """How many times smaller than the page as read the image was decoded."""
        return max(1, round(self.size[0] / self.image.shape[1]))


@dataclass
class PageError:
    file: str
    page: int
    message: str


def find_inputs(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """(file, problem) pairs: files as given, folders searched recursively in sorted order.

    A named file is always returned (a wrong type becomes its error row); inside folders only
    files with a known suffix are taken. Unreadable folders and link loops are reported, not fatal.
    """
    for given in paths:
        if os.path.isdir(given):
            yield from _walk(given)
        elif os.path.exists(given):
            yield given, None
        else:
            yield given, "no such file or folder"


def _walk(folder: str) -> Iterator[tuple[str, str | None]]:
    seen: set[tuple[int, int]] = set()

    def visit(current: str) -> Iterator[tuple[str, str | None]]:
        try:
            info = os.stat(current)
            if (info.st_dev, info.st_ino) in seen:
                yield current, "folder link loop skipped"
                return
            seen.add((info.st_dev, info.st_ino))
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError as exc:
            yield current, f"cannot read folder: {exc.strerror or exc}"
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError as exc:
                yield entry.path, f"cannot read: {exc.strerror or exc}"
                continue
            if is_dir:
                yield from visit(entry.path)
            elif Path(entry.name).suffix.lower() in SUFFIXES:
                if not entry.is_file():  # e.g. a dangling link or a link loop
                    yield entry.path, "cannot read: broken link"
                else:
                    yield entry.path, None

    yield from visit(folder)


def load_pages(file: str, max_pixels: int = MAX_PIXELS, pdf_dpi: int = PDF_DPI,
               shrink: Shrink | None = None) -> Iterator[Page | PageError]:
    """Decode every page of a file, sniffing its type from its first bytes, not its name.

    With `shrink`, a page that will be read smaller is decoded smaller where that is cheap (a
    JPEG decodes at 1/2, 1/4 or 1/8 scale; a PDF renders at a lower dpi): a 300 dpi page read at
    150 dpi is never decoded at full size. Boxes are still reported in the page as read.
    """
    try:
        with open(file, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        yield PageError(file, 1, f"cannot open: {exc.strerror or exc}")
        return
    if not head:
        yield PageError(file, 1, "empty file (0 bytes)")
    elif head.startswith(b"%PDF"):
        yield from _pdf_pages(file, max_pixels, pdf_dpi, shrink)
    else:
        yield from _image_pages(file, max_pixels, shrink)


#: Composited on white, an image whose gray levels span less than this is blank: its shape is
#: in its transparency alone.
BLANK_SPAN = 16


def _to_gray(image) -> np.ndarray:
    """Any PIL mode (palette, RGBA, 16-bit, float) to 8-bit gray; transparency becomes white
    paper, or black where the ink is white (a digit drawn in white on a transparent canvas,
    which on white paper would vanish)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        low, high = image.convert("L").getextrema()
        if high - low < BLANK_SPAN:
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        if image.mode.startswith("I;16"):
            low, high = 0.0, 65535.0
        scaled = (array - low) / max(high - low, 1e-9) * 255
        return np.clip(scaled, 0, 255).astype(np.uint8)
    return np.asarray(image.convert("L"), dtype=np.uint8)


#: The EXIF / TIFF tag that says how a photo or scan must be turned to stand upright.
ORIENTATION_TAG = 0x0112


def _orientation(frame) -> int:
    """The frame's Orientation tag; 1 (as stored) when it has none or its EXIF block is broken:
    a garbled tag must not cost the page."""
    try:
        return int(frame.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # Pillow raises many kinds on a malformed EXIF block
        return 1


def _upright(gray: np.ndarray, orientation: int) -> np.ndarray:
    """The page turned (or mirrored) as its Orientation tag says, as image viewers show it:
    phones store a photo taken sideways as it left the sensor, plus this tag."""
    from PIL import Image

    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}.get(orientation)
    return gray if method is None else np.asarray(Image.fromarray(gray).transpose(method))


def _image_pages(file: str, max_pixels: int, shrink: Shrink | None) -> Iterator[Page | PageError]:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own limit below gives a clearer message
    try:
        with Image.open(file) as image:
            width, height = image.size
            if width * height > max_pixels:
                yield PageError(file, 1, f"image is {width}x{height} pixels, over the limit of "
                                         f"{max_pixels:,} (possible decompression bomb)")
                return
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                try:
                    if frame.size[0] * frame.size[1] > max_pixels:
                        yield PageError(file, number, f"page is {frame.size[0]}x{frame.size[1]} pixels, "
                                                      f"over the limit of {max_pixels:,}")
                        continue
                    size = frame.size
                    factor = shrink(*size) if shrink and image.format == "JPEG" else 1
                    if factor > 1:
                        frame.draft("L", (size[0] // factor, size[1] // factor))  # DCT scaling: cheap
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        gray = _to_gray(frame)
                        orientation = _orientation(frame)
                    if factor == 1:  # Pillow's TIFF reader reports some turned pages' size turned
                        size = (gray.shape[1], gray.shape[0])
                    if orientation in (5, 6, 7, 8):  # turned a quarter: width and height swap
                        size = (size[1], size[0])
                    yield Page(file, number, _upright(gray, orientation), size)
                except (OSError, ValueError, SyntaxError) as exc:
                    yield PageError(file, number, f"cannot decode page: {exc}")
    except UnidentifiedImageError:
        yield PageError(file, 1, "not an image or PDF this tool can read")
    except (OSError, ValueError, SyntaxError) as exc:
        yield PageError(file, 1, f"cannot decode image: {exc}")


def _pdf_pages(file: str, max_pixels: int, dpi: int, shrink: Shrink | None) -> Iterator[Page | PageError]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(file)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            yield PageError(file, 1, "PDF is encrypted (password protected)")
        else:
            yield PageError(file, 1, f"broken PDF: {message}")
        return
    try:
        if len(document) == 0:
            yield PageError(file, 1, "PDF has no pages")
        for index in range(len(document)):
            try:
                page = document[index]
                width_pt, height_pt = page.get_size()
                scale = dpi / 72
                if width_pt * scale * height_pt * scale > max_pixels:
                    yield PageError(file, index + 1, f"page would render to more than {max_pixels:,} pixels")
                    continue
                size = round(width_pt * scale), round(height_pt * scale)
                factor = shrink(*size) if shrink else 1
                bitmap = page.render(scale=scale / factor, grayscale=True)
                gray = np.array(bitmap.to_numpy(), copy=True)
                if gray.ndim == 3:
                    gray = gray[..., 0]
                yield Page(file, index + 1, gray.astype(np.uint8), size)
            except pdfium.PdfiumError as exc:
                yield PageError(file, index + 1, f"cannot render PDF page: {exc}")
    finally:
        document.close()
