"""Page clean-up: even out the lighting, binarize, drop background print, deskew and drop specks.

The output is an ink mask (255 = ink) in the page's own pixel grid, plus the skew angle, so
that boxes found later can be reported in the coordinates of the image as read.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Ink must be at least this much darker than the paper around it (0-255 scale).
MIN_CONTRAST = 40
#: Faint ink extending sure strokes must reach this share of the sure level ...
FAINT_SHARE = 0.6
#: ... and be darker than all but the darkest 0.5% of the background away from the writing,
#: by FAINT_MARGIN levels.
BACKGROUND_QUANTILE = 0.995
FAINT_MARGIN = 8
#: Light writing on a dark ground: pixels darker than this are ground (see `_dark_ground`) ...
DARK_GROUND = 100
#: ... and under GROUND_OF_BRIGHTEST of the image's brightest (its BRIGHTEST quantile), never
#: under GROUND_LEAST (a black image is all ground): a dim photo's gray paper under dark writing
#: is no dark ground. It was inverted and its paper read as ink (field images of 1-5 validation
#: digits at 0.4 of their light: 1 -> 98 of 100) ...
GROUND_OF_BRIGHTEST = 0.5
BRIGHTEST = 0.99
GROUND_LEAST = 8
#: ... and at least this share of each side of the image is ground.
DARK_SIDE_SHARE = 0.2
#: A dark region is a scan margin only if it covers this share of a side of the image.
MARGIN_SIDE_SHARE = 0.8
#: Links thinner than this share of the image's shorter side are cut off a margin.
MARGIN_LINK = 20
#: A sure-ink mask covering more of the paper than this is background pattern, not writing.
DENSE_SHARE = 0.3
#: Faint ink only bridges gaps this many pixels from sure ink: a blurred halo must not reach
#: a rule and make a digit's stroke part of it.
FAINT_REACH = 5
#: A background print of thin lines (a cheque's security pattern) as dark as the writing: the
#: strokes that survive an opening this many pixels wide are the writing ...
PATTERN_PEN = 3
#: ... when they hold this share of the sure ink (a fine pen's writing does not survive it) ...
PATTERN_PEN_SHARE = 0.3
#: ... and the ink more than PATTERN_PEN pixels from them is this share of the sure ink ...
PATTERN_SHARE = 0.2
#: ... found all over the image: in this share of the cells clear of writing. The image must
#: hold this many cells: a digit image of 28x28 has no room to show a pattern.
PATTERN_COVER = 0.5
PATTERN_CELLS = 16
PATTERN_CELL = 8


@dataclass
class CleanPage:
    ink: np.ndarray  # binary uint8 mask, 255 = ink
    sure: np.ndarray  # the ink without faint extensions: halos must not lengthen strokes into rules
    angle: float  # degrees the page was rotated by to deskew it (0 when straight)
    # 3x3 homography from the image given to these masks: a photo's sheet flattened, then deskewed
    transform: np.ndarray | None
    darkness: np.ndarray  # how much darker than its paper each pixel is (0 paper, 255 black), deskewed


#: The paper's brightness is estimated on a grid about this many cells across the short side.
PAPER_GRID = 200


def normalize_lighting(gray: np.ndarray) -> np.ndarray:
    """Divide by an estimate of the paper's brightness: removes shadows, gradients, tinted paper."""
    h, w = gray.shape
    factor = max(1, min(h, w) // PAPER_GRID)
    sw, sh = max(1, w // factor), max(1, h // factor)
    # Whole blocks (the fast path of INTER_AREA); the few rows and columns left over are paper too.
    small = cv2.resize(gray[: sh * factor, : sw * factor], (sw, sh), interpolation=cv2.INTER_AREA)
    size = max(7, (min(small.shape) // 8) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)  # ink is thinner than the kernel
    paper = cv2.GaussianBlur(paper, (0, 0), size / 3)
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    return paper_ratio(gray, paper)


def paper_ratio(gray: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """gray * 255 // paper, clipped to 255, in OpenCV's SIMD loops (4x faster than a table).

    The ratio's fraction is k / paper <= 254/255, so rounding ratio - 0.498 gives exactly its
    integer part (|x| rounds the same: only gray = 0 goes below zero)."""
    ratio = cv2.divide(gray.astype(np.float32), cv2.max(paper, 1).astype(np.float32), scale=255.0)
    return cv2.convertScaleAbs(cv2.subtract(ratio, 0.498))


def binarize(normalized: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two masks for hysteresis: `sure` ink (Otsu on darkness, never below MIN_CONTRAST, so a
    blank page stays blank) and `faint` ink, which counts only where it touches sure ink.
    `paper` (scanner margins excluded) is where the share of ink is judged.

    A thin pencil loop or the light top of a '9' is often fainter than the rest of the digit;
    a single threshold breaks it off. The faint level stays above the darkest texture of the
    background away from the writing (a cheque's security pattern), so patterns never join.
    """
    darkness = 255 - normalized
    otsu, _ = cv2.threshold(darkness, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Otsu on a mostly blank page splits paper noise; on faint pencil it can sit too high.
    level = max(MIN_CONTRAST, min(otsu, 110))
    sure = cv2.threshold(darkness, level, 255, cv2.THRESH_BINARY)[1]
    on_paper = cv2.bitwise_and(sure, paper)
    if cv2.countNonZero(on_paper) > DENSE_SHARE * cv2.countNonZero(paper):
        # No writing covers that much: a dark background pattern fell on the ink's side of the
        # split. Split again among the dark pixels, between the pattern and the ink.
        dark = darkness[on_paper > 0].reshape(-1, 1)
        level = max(level, cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0])
        sure = cv2.threshold(darkness, level, 255, cv2.THRESH_BINARY)[1]
    near = cv2.dilate(sure, np.ones((2 * FAINT_REACH + 1, 2 * FAINT_REACH + 1), np.uint8))
    background = cv2.bitwise_not(near)
    texture = _quantile(darkness, BACKGROUND_QUANTILE, background) + FAINT_MARGIN
    faint_level = min(level, max(MIN_CONTRAST / 2, FAINT_SHARE * level, texture))
    faint = cv2.threshold(darkness, faint_level, 255, cv2.THRESH_BINARY)[1]
    return sure, cv2.bitwise_and(faint, near)


def without_line_pattern(sure: np.ndarray, faint: np.ndarray, paper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sure and faint ink less a pattern of thin lines printed all over the background.

    Some cheques' security print is as dark as a light pen: it falls on the ink's side of every
    threshold and joins the digits into one net. Its lines are thinner than the writing, so an
    opening keeps the writing; the ink far from what it keeps is the pattern. Rules and grids
    are left alone: they cover a few rows and columns, not every cell of the image."""
    on_paper = cv2.bitwise_and(sure, paper)
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (PATTERN_PEN, PATTERN_PEN))
    writing = cv2.morphologyEx(on_paper, cv2.MORPH_OPEN, pen)
    near = cv2.dilate(writing, np.ones((2 * PATTERN_PEN + 1, 2 * PATTERN_PEN + 1), np.uint8))
    pattern = cv2.bitwise_and(on_paper, cv2.bitwise_not(near))
    total = cv2.countNonZero(on_paper)
    if (cv2.countNonZero(writing) < PATTERN_PEN_SHARE * total or cv2.countNonZero(pattern) < PATTERN_SHARE * total
            or _cell_share(pattern, near) < PATTERN_COVER):
        return sure, faint
    keep = cv2.dilate(writing, np.ones((PATTERN_PEN, PATTERN_PEN), np.uint8))
    return cv2.bitwise_and(sure, keep), cv2.bitwise_and(faint, keep)


def _cell_share(pattern: np.ndarray, writing: np.ndarray) -> float:
    """Share of the PATTERN_CELL-wide cells clear of writing that hold pattern (0 if too few)."""
    rows, cols = pattern.shape[0] // PATTERN_CELL, pattern.shape[1] // PATTERN_CELL
    if rows * cols < PATTERN_CELLS:
        return 0.0

    def cells(mask: np.ndarray) -> np.ndarray:
        return mask[: rows * PATTERN_CELL, : cols * PATTERN_CELL].reshape(rows, PATTERN_CELL, cols, PATTERN_CELL).max(axis=(1, 3)) > 0

    clear = ~cells(writing)
    return float((cells(pattern) & clear).sum() / max(1, clear.sum()))


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components: (count, labels, stats), stats rows [x, y, w, h, area] per label
    as in cv2.connectedComponentsWithStats, which spends ~16 ms per page on the stats alone.
    Here the labelling is OpenCV's (~2 ms), the boxes come from each component's outer contour
    and the areas from a bincount over the ink: ~6 ms, same numbers (row 0, the background,
    is left zero: no caller reads it)."""
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    stats = np.zeros((count, 5), np.int32)
    stats[:, 4] = np.bincount(labels[mask > 0], minlength=count)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0] if hierarchy is not None else []):
        if parent < 0:  # an outer boundary: exactly one per component
            x, y = contour[0, 0]
            stats[labels[y, x], :4] = cv2.boundingRect(contour)
    return count, labels, stats


def components_mask(labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """255 where a pixel's component is kept: one lookup per pixel, no wide temporaries."""
    return np.where(keep, 255, 0).astype(np.uint8).take(labels)


def components_touching(labels: np.ndarray, count: int, mask: np.ndarray) -> np.ndarray:
    """Per label, whether the component has a pixel where `mask` is set."""
    return np.bincount(labels[mask > 0], minlength=count) > 0


def _quantile(gray: np.ndarray, share: float, mask: np.ndarray | None = None) -> float:
    """A quantile of a uint8 image (optionally only where mask is set) from its histogram:
    much cheaper than sorting a page of pixels."""
    counts = np.cumsum(cv2.calcHist([gray], [0], mask, [256], [0, 256]).ravel())
    if counts[-1] == 0:
        return 255.0
    return float(np.searchsorted(counts, share * counts[-1]))


def strokes(sure: np.ndarray, faint: np.ndarray, min_area: int) -> np.ndarray:
    """Faint ink connected to sure ink, in blobs of at least min_area pixels (no dust, no
    scanner noise): one labelling pass does both."""
    count, labels, stats = components(faint)
    keep = components_touching(labels, count, sure) & (stats[:, cv2.CC_STAT_AREA] >= min_area)
    keep[0] = False
    return components_mask(labels, keep)


#: A page photographed lying on a darker surface (a desk, a scanner's lid) is a light region
#: covering SHEET_LEAST to SHEET_MOST of a page-sized image, filling SHEET_SOLIDITY of its
#: convex hull (a sheet is a quadrilateral, in perspective), whose edge is a step: just
#: inside it the image is at least SHEET_STEP gray levels lighter than along most of the band
#: just outside (its median). A shadow across a page is a slope, not a step; nor is the light
#: half of a page lit unevenly, though the band round it dips into the black corners of a
#: turned scan (a whole column of a form was cut off as desk).
SHEET_LEAST = 0.3
SHEET_MOST = 0.9
SHEET_SOLIDITY = 0.95
SHEET_STEP = 50
#: The sheet's outline is found on the image made about this many pixels on its short side.
SHEET_PIXELS = 200
#: A sheet's outline fits four corners within this share of its length: a page's corners, not a
#: curled or torn edge.
SHEET_CORNER_FIT = 0.02


def _sheet_mask(gray: np.ndarray, outline: tuple[np.ndarray, tuple[int, int]]) -> np.ndarray:
    """The photographed sheet (`outline`, from `_sheet_outline`) less a fringe along its edge:
    the surface around it, textured or as dark as ink, is no paper and no writing."""
    hull, reduced_size = outline
    h, w = gray.shape
    sheet = np.zeros(reduced_size[::-1], np.uint8)
    cv2.fillPoly(sheet, [hull], 255)
    sheet = cv2.resize(sheet, (w, h), interpolation=cv2.INTER_NEAREST)
    fringe = max(3, min(h, w) // 100)
    return cv2.erode(sheet, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * fringe + 1, 2 * fringe + 1)))


def _flattened_sheet(gray: np.ndarray, outline: tuple[np.ndarray, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray] | None:
    """The photographed sheet (`outline`, from `_sheet_outline`) warped flat into an upright
    rectangle of its own size, and the 3x3 homography that took it there; None unless it has
    four clear corners. Ruled boxes and combs photographed in perspective are boxes again."""
    hull, (reduced_width, reduced_height) = outline
    corners = cv2.approxPolyDP(hull, SHEET_CORNER_FIT * cv2.arcLength(hull, True), True)
    if len(corners) != 4:
        return None
    h, w = gray.shape
    corners = (corners.reshape(4, 2) + 0.5) * np.float32([w / reduced_width, h / reduced_height])
    by_sum, by_difference = corners.sum(1), np.diff(corners, axis=1).ravel()
    top_left, bottom_right = corners[by_sum.argmin()], corners[by_sum.argmax()]
    top_right, bottom_left = corners[by_difference.argmin()], corners[by_difference.argmax()]
    quad = np.float32([top_left, top_right, bottom_right, bottom_left])
    width = int(round((np.linalg.norm(quad[1] - quad[0]) + np.linalg.norm(quad[2] - quad[3])) / 2))
    height = int(round((np.linalg.norm(quad[3] - quad[0]) + np.linalg.norm(quad[2] - quad[1])) / 2))
    if min(width, height) < PAGE_SHORT_SIDE // 2:
        return None
    cut = max(2, min(width, height) // 100)  # the sheet's edge goes, and the desk along it
    target = np.float32([[-cut, -cut], [width + cut, -cut], [width + cut, height + cut], [-cut, height + cut]])
    matrix = cv2.getPerspectiveTransform(quad, target)
    flat = cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    return flat, matrix


def _sheet_outline(gray: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The convex hull of a sheet photographed on a darker surface, in the pixels of the image
    made small to find it, and that image's (width, height); None where the image is no such photo."""
    h, w = gray.shape
    if min(h, w) < PAGE_SHORT_SIDE:
        return None
    small = max(1, min(h, w) // SHEET_PIXELS)  # whole blocks: INTER_AREA's fast path
    reduced = cv2.resize(gray[: h // small * small, : w // small * small], (w // small, h // small),
                         interpolation=cv2.INTER_AREA)
    light = cv2.threshold(reduced, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1]
    contours, _ = cv2.findContours(light, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(outline)
    area, hull_area = cv2.contourArea(outline), cv2.contourArea(hull)
    if not (SHEET_LEAST * light.size <= hull_area <= SHEET_MOST * light.size) or area < SHEET_SOLIDITY * hull_area:
        return None
    sheet = np.zeros_like(reduced)
    cv2.fillPoly(sheet, [hull], 255)
    ring = cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5))
    inside = cv2.subtract(sheet, cv2.erode(sheet, ring)) > 0
    outside = cv2.subtract(cv2.dilate(sheet, ring), sheet) > 0
    if not outside.any() or reduced[inside].mean() - np.median(reduced[outside]) < SHEET_STEP:
        return None
    return hull, (reduced.shape[1], reduced.shape[0])


def dark_margins(gray: np.ndarray) -> np.ndarray:
    """Scanner background and page edges: big dark regions touching the border, plus a fringe.

    Found on the raw gray image, because lighting normalization turns a wide black margin
    into "paper" and leaves only its ragged edge as false ink.
    """
    h, w = gray.shape
    level = 0.45 * _quantile(gray, 0.9)  # of the paper: in a cell that is mostly margin, the median is margin
    if not (np.concatenate(_sides(gray)) < level).any():
        return np.zeros_like(gray)  # nothing dark reaches the border: no margin
    dark = cv2.threshold(gray, np.ceil(level) - 1, 255, cv2.THRESH_BINARY_INV)[1]  # gray < level
    margin = _solid_dark_along_a_side(dark)
    # Print or a rule touching the margin (a register's footer line) joins it into one sparse
    # region that is no margin as a whole. An opening cuts such thin links off the solid part.
    size = max(3, min(h, w) // MARGIN_LINK) | 1
    margin = cv2.max(margin, _solid_dark_along_a_side(cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))))
    if not cv2.countNonZero(margin):
        return margin
    if not _stepped(gray, margin):
        return np.zeros_like(gray)  # the dark end of a shadow, fading into the paper
    grow = max(3, min(h, w) // 30)
    return cv2.dilate(margin, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * grow + 1, 2 * grow + 1)))


#: A scan margin ends in a step: the paper just beside it is at least MARGIN_STEP times as
#: light. A shadow fades into the paper: its dark end, taken for a margin, was erased with the
#: digits in it (field images of 1-5 validation digits, light falling to a third across: 2 ->
#: 98 of 100; to a quarter, as well; `bench/pages.py --scan shadow`, MNIST test pages free /
#: form / table: 47.6 / 36.4 / 54.6% -> 96.3 / 97.3 / 97.8%).
MARGIN_STEP = 1.6


def _stepped(gray: np.ndarray, margin: np.ndarray) -> bool:
    """Whether the paper just beside the dark region is clearly lighter than the region."""
    reach = max(3, min(gray.shape) // 40)
    beside = cv2.subtract(cv2.dilate(margin, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)), margin)
    if not cv2.countNonZero(beside):
        return True
    return cv2.mean(gray, mask=beside)[0] >= MARGIN_STEP * cv2.mean(gray, mask=margin)[0]


def _solid_dark_along_a_side(dark: np.ndarray) -> np.ndarray:
    """The big, solid dark regions that cover most of a side of the image, and the wedges of a
    scanner's black background where a turned page does not reach its edges."""
    h, w = dark.shape
    count, labels, stats = components(dark)
    _, _, bw, bh, area = (stats[:, i] for i in range(5))
    # Along a side: a digit cut out tightly touches the sides too, but covers little of them.
    along = np.zeros(count, bool)
    reach = np.zeros(count, bool)
    for side in _sides(labels):
        touched = np.bincount(side, minlength=count)
        along |= touched >= MARGIN_SIDE_SHARE * side.size
        reach |= touched >= WEDGE_SIDE_SHARE * side.size
    solid = area > 0.6 * bw * bh
    big = (area > 0.01 * h * w) & ((bh > 0.3 * h) | (bw > 0.3 * w))
    drop = along & solid & big
    if min(h, w) >= PAGE_SHORT_SIDE:
        for label in np.flatnonzero(reach & ~drop):
            drop[label] = label > 0 and _wedge(labels, stats[label], label)
    drop[0] = False
    return components_mask(labels, drop)


#: A scanner's black background shows past a turned page's edges in wedges: each runs along at
#: least WEDGE_SIDE_SHARE of a side and fills WEDGE_SOLIDITY of its convex hull (a triangle).
#: Looked for on pages only: in a cell cut out, a rule along a side is as solid.
WEDGE_SIDE_SHARE = 0.25
WEDGE_SOLIDITY = 0.9


def _wedge(labels: np.ndarray, stat: np.ndarray, label: int) -> bool:
    x, y, w, h, _ = (int(v) for v in stat)
    return solidity(labels[y : y + h, x : x + w] == label) >= WEDGE_SOLIDITY


def solidity(mask: np.ndarray) -> float:
    """The mask's pixels over the area of its convex hull: about 1 for a disc or a triangle,
    less for a stroke that bends back on itself."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = cv2.contourArea(cv2.convexHull(np.concatenate(contours))) if contours else 0.0
    return float(np.count_nonzero(mask)) / hull if hull > 0 else 0.0


def estimate_skew(ink: np.ndarray, max_angle: float = 15.0) -> float:
    """Angle (degrees) that makes text lines and rules horizontal: sharpest row projection wins."""
    h, w = ink.shape
    factor = max(1, round(max(h, w) / 800))  # about 800 pixels, in whole blocks (INTER_AREA's fast path)
    sw, sh = max(1, w // factor), max(1, h // factor)
    small = cv2.resize(ink[: sh * factor, : sw * factor], (sw, sh), interpolation=cv2.INTER_AREA)
    if cv2.countNonZero(small) < 50:
        return 0.0
    coarse = cv2.resize(small, (max(1, small.shape[1] // 2), max(1, small.shape[0] // 2)), interpolation=cv2.INTER_AREA)

    def sharpness(image: np.ndarray, angle: float) -> float:
        matrix = cv2.getRotationMatrix2D((image.shape[1] / 2, image.shape[0] / 2), angle, 1.0)
        rotated = cv2.warpAffine(image, matrix, image.shape[::-1], flags=cv2.INTER_NEAREST)
        rows = cv2.reduce(rotated, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.float64)
        return float(np.square(np.diff(rows)).sum())

    # Coarse steps at half resolution find the basin; quarter-degree steps at full size refine it.
    best = max(np.arange(-max_angle, max_angle + 0.1, 1.5), key=lambda a: sharpness(coarse, a))
    best = max(np.arange(best - 0.75, best + 0.8, 0.25), key=lambda a: sharpness(small, a))
    return float(best) if abs(best) >= 0.5 else 0.0


def _dark_ground(gray: np.ndarray) -> bool:
    """Light writing on a dark ground (chalk on a board, white-on-black digit images as in MNIST
    itself): half the image's border is dark, and a fifth of every side (a digit cut out tightly
    crosses the sides but hardly ever hides one); and the image is mostly dark, or light strokes
    cross every side, or every side is mostly dark (a bold digit cut tightly can be more stroke
    than ground). A scan's black margin darkens one or two sides: it covers a whole side and
    leaves most of another one paper. An image mostly light is paper when it is a page (a
    scan's black wedges where the page lay turned darken every side), a cell cut out with
    its box's rules, dark all round in a thin frame, or paper but for a little (ALL_BUT_LIGHT)."""
    ground = min(DARK_GROUND, max(GROUND_LEAST, GROUND_OF_BRIGHTEST * _quantile(gray, BRIGHTEST)))
    dark = [side < ground for side in _sides(gray)]
    shares = [float(side.mean()) for side in dark]
    if np.concatenate(dark).mean() < 0.5:
        return False
    darker = gray < MOSTLY_LIGHT_DARK * _quantile(gray, PAPER_QUANTILE)
    dark_share, middle = float(darker.mean()), _quantile(gray, 0.5)
    if dark_share <= MOSTLY_LIGHT and (min(gray.shape) >= PAGE_SHORT_SIDE or _in_a_ruled_frame(darker)
                                       or (dark_share <= ALL_BUT_LIGHT and middle >= ground)):
        return False
    light = [i for i, share in enumerate(shares) if share < DARK_SIDE_SHARE]
    if light:
        # One side may be all stroke (the bar of a white '7' cut tightly) if a quarter of the
        # way in the image is ground again; a scan margin's other side is paper all the way.
        return len(light) == 1 and middle < ground and float(
            (_sides(gray, depth=0.25)[light[0]] < ground).mean()) >= 0.5
    if middle < ground or max(shares) < 0.97 or min(shares) >= 0.5:
        return True
    # A side all dark is a scan margin's when a quarter of the way in the image is still all
    # margin or already all paper; beside a bold white digit, that line crosses its strokes.
    inside = [float((line < ground).mean()) for line in _sides(gray, depth=0.25)]
    return all(0.2 <= inside[i] <= 0.9 for i, share in enumerate(shares) if share >= 0.97)


#: An image at most MOSTLY_LIGHT dark, dark meaning under MOSTLY_LIGHT_DARK of its paper's
#: gray (a rule about as dark as DARK_GROUND is only half dark by that level, in noise), is
#: mostly light. A light digit cut out tightly can be too: a bold '1' is mostly stroke. Not so
#: a page, an image at least PAGE_SHORT_SIDE pixels on its short side.
MOSTLY_LIGHT = 0.33
#: An image at most ALL_BUT_LIGHT dark whose middle gray level is paper is paper, framed or not:
#: a box cut out turned, its rules along the edges and then in, one out of the image, and a
#: scan margin down a side, was read inverted (its caption and digits lost). None of 12,000 light
#: MNIST validation digits cut tightly (as they are and three times as large) is judged
#: otherwise; `bench/cells.py --captioned`, validation digits: 95.0% -> 96.3% (seeds 5, 6 as
#: before).
ALL_BUT_LIGHT = 0.15
MOSTLY_LIGHT_DARK = 0.6
PAGE_SHORT_SIDE = 600
#: A cell cut out along the outside of its rules is framed by them. Along the middle of each
#: side (FRAME_MIDDLE of it: the corners are all rule), most lines in (FRAME_ALONG of them)
#: cross dark within FRAME_EDGE pixels of the edge (a slightly turned rule runs out of the
#: image or a little in), and on the lines in, paper starts within FRAME_REACH of the image
#: (past a rule, or a scan margin and a rule), in the median.
FRAME_MIDDLE = 0.7
FRAME_ALONG = 0.5
FRAME_EDGE = 3
FRAME_REACH = 0.3


def _in_a_ruled_frame(dark: np.ndarray) -> bool:
    """Every side is a dark band with paper past it: a box's rules around a cell cut out whole.
    A dark ground stays dark far in from its edge wherever no stroke crosses it, and a light
    '1' cut out tightly is stroke right at its top and foot."""
    for inward in (dark, dark[::-1], dark.T, dark.T[::-1]):
        length = inward.shape[1]
        middle = inward[:, int((1 - FRAME_MIDDLE) / 2 * length) : int((1 + FRAME_MIDDLE) / 2 * length) + 1]
        paper = ~middle
        reach = np.where(paper.any(0), paper.argmax(0), len(middle))
        if middle[:FRAME_EDGE].any(0).mean() < FRAME_ALONG or np.median(reach) > FRAME_REACH * len(middle):
            return False
    return True


#: The paper's level is this quantile of the image's gray levels (of their inverse on a dark
#: ground): a bold digit cut out tightly can be more than half ink, and never nine tenths.
PAPER_QUANTILE = 0.9


def with_paper_border(gray: np.ndarray, width: int) -> np.ndarray:
    """The image inside a border of its own paper, `width` pixels wide: a digit cut out tightly,
    its strokes along the image's sides, then reads as writing on paper, not as a margin, a
    rule or a box's frame."""
    dark = _dark_ground(gray)
    level = _quantile(cv2.bitwise_not(gray) if dark else gray, PAPER_QUANTILE)
    paper = 255 - level if dark else level
    return cv2.copyMakeBorder(gray, width, width, width, width, cv2.BORDER_CONSTANT, value=int(round(paper)))


def _binary(normalized: np.ndarray, paper: np.ndarray, min_area: int) -> tuple[np.ndarray, np.ndarray]:
    """The ink and its sure part, on the paper only, without specks."""
    sure, faint = without_line_pattern(*binarize(normalized, paper), paper)
    ink = strokes(cv2.bitwise_and(sure, paper), cv2.bitwise_and(faint, paper), min_area)
    return ink, cv2.bitwise_and(sure, ink)


def _sides(gray: np.ndarray, depth: float = 0.0) -> tuple[np.ndarray, ...]:
    """The image's rows and columns this share of the way in from each side (0: its outermost
    ones): top, bottom, left, right."""
    row, column = int(depth * (gray.shape[0] - 1)), int(depth * (gray.shape[1] - 1))
    return gray[row], gray[-1 - row], gray[:, column], gray[:, -1 - column]


#: A page skewed by at least this many degrees is turned on its gray levels and binarized
#: again: turning the binary masks frays strokes (6-13 of 987 numbers lost at 5-10 degrees).
#: Below it the masks are turned: a page is read the same, without binarizing it twice.
GRAY_DESKEW = 3.0


def clean_page(gray: np.ndarray, deskew: bool = True) -> CleanPage:
    """Lighting, binarization, margins, specks, and on a page (`deskew`) a photographed sheet
    flattened and the skew undone: the ink mask every later stage reads."""
    outline = _sheet_outline(gray)
    transform = None
    flat = _flattened_sheet(gray, outline) if deskew and outline is not None else None
    if flat is not None:
        (gray, transform), outline = flat, None  # the flattened sheet is all the image
    if outline is None and _dark_ground(gray):
        gray = cv2.bitwise_not(gray)
    paper = cv2.bitwise_not(dark_margins(gray))
    if outline is not None:
        paper = cv2.bitwise_and(paper, _sheet_mask(gray, outline))
    normalized = normalize_lighting(gray)
    min_area = max(4, (min(gray.shape) // 400) ** 2 * 4)
    ink, sure = _binary(normalized, paper, min_area)
    angle = estimate_skew(ink) if deskew else 0.0
    if angle != 0.0:
        h, w = ink.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        normalized = cv2.warpAffine(normalized, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
        if abs(angle) >= GRAY_DESKEW:
            paper = cv2.warpAffine(paper, matrix, (w, h), flags=cv2.INTER_NEAREST)
            ink, sure = _binary(normalized, paper, min_area)
        else:  # one warp for both masks (sure ink is part of the ink): 255 sure, 128 faint only, 0 paper
            both = cv2.warpAffine(cv2.max(cv2.bitwise_and(ink, 128), sure), matrix, (w, h), flags=cv2.INTER_NEAREST)
            ink = cv2.threshold(both, 0, 255, cv2.THRESH_BINARY)[1]
            sure = cv2.threshold(both, 128, 255, cv2.THRESH_BINARY)[1]
        rotation = np.vstack([matrix, [0.0, 0.0, 1.0]])
        transform = rotation if transform is None else rotation @ transform
    return CleanPage(ink, sure, angle, transform, cv2.bitwise_not(normalized))
