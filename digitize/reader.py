"""Read one page: clean-up → layout → segmentation → MNIST crops → (classifier) → numbers.

`segment_page` is everything before the classifier. It is a pure function of the page, so it
runs in worker processes that never import TensorFlow; it returns every blob as a crop.
`classify` runs the model on them and cuts only the blobs the model doubts are one digit into
candidate pieces; `decide` picks, for each blob, the reading the model is most sure of.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, TypeVar

import cv2
import numpy as np

from .augment import second_looks
from .cleanup import CleanPage, clean_page, components, components_mask, with_paper_border
from .layout import Field, Layout, analyze
from .model import DIGITS, REJECT
from .normalize import shaded_ink, stroke_width, to_mnist
from .segment import (CUT_WIDTH, Blob, NumberCandidate, blobs_in, bounding_box, has_loop, holes, numbers_in_field,
                      numbers_in_free_text, runs_per_column, split_hypotheses, typical_height, upright,
                      without_captions)

Mode = Literal["auto", "page", "field"]
#: In auto mode, an image whose longer side is at most this many pixels is one field ...
FIELD_MAX_SIDE = 1000
#: ... and so is a wider one under this many pixels high: a strip (a cheque's amount, a zip
#: code or a digit string scanned at 300-600 dpi), never a page (letter or A4 at 150 dpi is
#: 1240 pixels across). Read as a page, its background and strokes came apart into dozens of
#: '1's.
FIELD_MAX_HEIGHT = 600
#: Between these two lengths of its short side (and no strip), an image may be either: a page
#: scanned at 70-140 dpi or downsized (its boxes and lines then made one number of the whole
#: page), or a field photographed large (a webcam's 1280x720 photo of one number, read as a
#: page, fell apart). Read as a field first, it is a page when it holds at least PAGE_BLOBS
#: blobs of handwriting whose typical height is under PAGE_WRITING of its short side. Pages
#: of eight kinds at 90-110 dpi: 72 blobs or more, 2-3.5%; webcam numbers at twice their size
#: 17-56%; register cells at four times theirs 4-30%, none both. Not handwriting: a table's
#: grid, or the crosses a field's clean-up leaves of it (ink under GRID_FILL of its box),
#: lines (thinner than LINE_THICKNESS of their length, or not `segment.upright`: wider than
#: tall with the digits on them), what reaches the image's edge (a notebook's lines, a
#: scanner's black border) and specks under DIGIT_LEAST pixels high (a sheet of noise is no
#: page of writing).
PAGE_CHECK_SHORT = (500, 1200)
PAGE_BLOBS = 20
PAGE_WRITING = 0.05
#: An image larger than that (a phone's photo of one number, 4000x3000) is a page unless its
#: page clean-up holds fewer than PAGE_BLOBS blobs of handwriting and their typical height is
#: at least FIELD_WRITING of its short side: then it is one field. Webcam numbers at three and
#: four times their size: 3-6 blobs, 18-42%; the sample pages and generated pages at 300 dpi:
#: 59-241 blobs, 2.4-3.4%. Only a page of under FIELD_MARKS marks of any kind is looked at so:
#: the photos hold 3-6, pages 59 and more, and listing a page's blobs costs 6% of its reading.
FIELD_WRITING = 0.1
FIELD_MARKS = 3 * PAGE_BLOBS
GRID_FILL = 0.1
LINE_THICKNESS = 0.05
DIGIT_LEAST = 8
#: A field image under this many pixels high (a postal digit of 16x16, a zip code 20 pixels
#: high) is enlarged to at least ...
SHORT_FIELD = 32
#: ... this many pixels high before it is read. (A tall narrow digit cut out tightly is not:
#: enlarged, '1's, '4's and '7's 64 pixels high read worse.)
SHORT_FIELD_READ_AS = 64
#: A square field image at most STRETCHED_SIDE pixels across whose ink spans STRETCHED_SPAN of
#: it both ways may be a dataset's digit stretched to fill its box (Semeion's 16x16, optdigits'
#: 32x32) rather than kept to its shape (USPS, MNIST): a '1' so stretched is a slab the model
#: takes for a '4' or an '8', or cuts in two. It is read STRETCHED_SQUEEZE as wide too, and the
#: surer read kept (SQUEEZED_GAIN). 1,500 MNIST validation digits stretched to 16x16 (gray,
#: binary) and 32x32 (binary): 92.9 / 94.7 / 95.4% -> 95.1 / 97.1 / 97.5%; kept to their shape
#: in 16x16 (gray) and 32x32 (binary), of which a quarter are that wide: 99.2 / 98.6 -> 99.3 /
#: 98.7% (always squeezed, stretched digits gained a little more and these lost).
STRETCHED_SIDE = 32
STRETCHED_SQUARE = 1.15
STRETCHED_SPAN = 0.85
STRETCHED_SQUEEZE = 0.6
#: Writing under this share of the median height of the handwriting in a page's fields is print
#: (labels, captions): on its own in a box or outside the fields it is no number.
SMALL_PRINT = 0.5
#: A page of at least SIDEWAYS_BLOBS blobs whose median width over height passes SIDEWAYS_ASPECT
#: has its handwriting on its side (fed a quarter turned, with no tag to say so): it is read
#: turned a quarter each way too. Generated pages of five kinds: upright 0.70-0.86, turned
#: 1.08-1.38.
SIDEWAYS_BLOBS = 6
SIDEWAYS_ASPECT = 1.0
#: Pages are read at about 150 dpi: plenty for a 28x28 digit, and 4x less work than 300 dpi.
WORKING_SHORT_SIDE = 1300
#: A piece whose "not a digit" probability passes this is dropped rather than forced into a digit.
REJECT_LEVEL = 0.6
#: A piece at either end of a number lower than this share of its tallest digit is a mark ...
END_MARK = 0.5
#: ... unless the model is at least this sure of it, and it is no '1' (one stroke, as the mark).
END_MARK_SURE = 0.99
#: Cutting a blob multiplies its score by this: a split must be clearly better than the whole ...
SPLIT_PENALTY = 0.85
#: ... and each piece past the second by this, unless the pieces close loops of their own
#: (`_cut_penalty`): pieces of one digit often look like sure digits (a sliver of a '3' as a
#: '5': '39' read '539'), but three zeros written in one stroke must not lose to a two-piece
#: cut that is less sure.
EXTRA_PIECE_PENALTY = 0.8
#: A blob is only cut when the model's belief that it is one digit is below this
#: (or its belief that the blob is no digit at all is above DOUBT_REJECT: two digits touching
#: keep some of that belief even when read as a fairly sure '4'; in the register cells 75% of
#: touching pairs are above 0.01 and 2% of lone digits).
SPLIT_BELOW = 0.75
DOUBT_REJECT = 0.02
#: The whole blob's score loses this many times its "not a digit" probability, so a doubted
#: pair read as one digit does not outscore its cut into two. Higher weights gain a few more
#: pairs but start cutting lone digits cut out tightly (bench/digits.py) in two.
WHOLE_REJECT_WEIGHT = 3
#: A blob the model believes is no single digit at least this much ...
NOT_ONE_DIGIT = 0.5
#: ... is offered cuts down to this width over height (two digits written close can be as
#: narrow as they are tall); other blobs from segment.CUT_WIDTH.
NOT_ONE_CUT_WIDTH = 0.75
#: A blob this many times wider than tall is cut unless the model is at least WIDE_SURE sure.
WIDE = 1.2
WIDE_SURE = 0.995
#: A blob among at least this many others in its number ...
NEIGHBOURS_TO_COMPARE = 3
#: ... and narrower than this many times their median width is one digit, never cut: two
#: digits touching are about twice as wide as one.
PAIR_WIDTH = 1.3
#: Up to this many times their median width, a blob is one digit unless the model has some
#: belief that it is no single digit: a wide '4' or '5' read unsurely as itself cuts into two
#: sure '1's or a '6' and a '5', while two digits touching keep some "not a digit" belief.
WIDE_DIGIT_WIDTH = 1.8
PAIR_REJECT = 0.2
#: A blob the model is this sure is no digit would be dropped whole. Two digits written close
#: and touching can be as narrow as one wide digit ('1' and '9'): such a blob is offered cuts
#: whatever its width, down to LOST_PAIR_CUT_WIDTH over height.
LOST_PAIR_REJECT = 0.9
LOST_PAIR_CUT_WIDTH = 0.6
#: A number with fewer neighbours is judged against the page's handwriting (its median width
#: over height) when the page holds at least this many blobs.
PAGE_SAMPLE = 12


#: A crop the model is less sure of than this is read again in a few shapes and the answers
#: averaged (test-time augmentation, for the few hard crops only).
SECOND_LOOK_BELOW = 0.6
#: Two shapes the model misreads with some belief in the right digit are doubted: the digit it
#: read keeps this share of its probability.
SHAPE_DOUBT = 0.03
#: The gray level from which a 28x28 crop's pixel counts as ink when its shape is judged.
CROP_INK = 100
#: An '8' has two loops. A crop read as '8' with some belief in '9' (LOOP_NINE_LEAST) whose one
#: loop (a hole of at least LOOP_AREA pixels) lies above row LOOP_UPPER_ROW, over a single stem
#: no wider than STEM_WIDTH strokes in STEM_ROWS percent of its rows, is far more often a '9'
#: with a thick or curled tail (cheques) than an '8', which the model reads with near certainty.
#: A tail that curls back left (a hooked '9') is wider, up to CURLED_WIDTH strokes, but hollow:
#: its ink fills less than HOLLOW_TAIL of its convex hull, where the blot that an '8's small
#: lower loop makes when it closes up fills most of it. Where '9' is the runner-up the crop is
#: read '9' however sure the model is of the '8' (cheques: 10 numbers more, none lost); another
#: runner-up (a looped '2') only doubts it.
LOOP_NINE_LEAST = 0.005
LOOP_AREA = 4
LOOP_UPPER_ROW = 13
STEM_WIDTH = 1.6
STEM_ROWS = 75
CURLED_WIDTH = 2.6
HOLLOW_TAIL = 0.7
#: A '2' ends in a base stroke that runs right. A crop read as '2' with '3' as the runner-up (at
#: least BOWL_THREE_LEAST) whose bottom tenth ends more than BOWL_MARGIN pixels left of the right
#: edge of its rows from 55% to 80% of its height ends in a bowl: a flat-topped '3' (old registers).
BOWL_THREE_LEAST = 0.005
BOWL_MARGIN = 3
#: A '7' starts with a bar whose left end is its top's left end. A crop read as '7' with some
#: belief in '1' (FLAG_ONE_LEAST) whose top part (FLAG_TOP of its height) reaches furthest left
#: lower than FLAG_DROP of its height starts with a stroke falling to the left: the flag of a
#: European '1' (cheques), not a bar; unless a bar crosses its middle (`_has_a_bar`): a crossed
#: '7' written leaning, its top bar rising to the right (MNIST pages: 5 of 8 such doubts).
FLAG_ONE_LEAST = 0.05
FLAG_TOP = 0.35
FLAG_DROP = 0.3
#: A '4' has a bar: some row between BAR_TOP and BAR_BOTTOM of its height holds one unbroken run
#: of ink at least BAR_SHARE of its width. A crop read as '4' with some belief in '1'
#: (LEAD_IN_ONE_LEAST) and no such row is a European '1' whose long lead-in stroke falls from
#: its top to the left, apart from the stem (old registers).
LEAD_IN_ONE_LEAST = 0.01
BAR_TOP = 0.3
BAR_BOTTOM = 0.85
BAR_SHARE = 0.5
#: Above its bar a '4' has its arm beside its stem: two strokes. A crop read as '4' with '7' as the
#: runner-up (at least CROSSED_SEVEN_LEAST) whose bar (its widest row between BAR_TOP and
#: BAR_BOTTOM) lies at CROSSBAR_LOW of its height or lower, with one stroke in most rows from
#: ARM_FROM of its height down to it, is a European crossed '7' whose own top bar is short
#: ('ƒ'-like, cheques). A 'Y'-shaped '4' has its widest row where its arms meet, higher up; a
#: closed '4' has a loop (bold, its two strokes above the bar can run together).
CROSSED_SEVEN_LEAST = 0.02
CROSSBAR_LOW = 0.4
ARM_FROM = 0.15
#: A '9' stands on the foot of its stem. A crop read as '9' with '2' as the runner-up (at least
#: LOOPED_TWO_LEAST) whose bottom FOOT_ROWS of its height span FOOT_SPAN of its width or more is a
#: '2' whose top curls into a loop, standing on its base (cheques).
LOOPED_TWO_LEAST = 0.01
FOOT_ROWS = 0.15
FOOT_SPAN = 0.5


@dataclass
class Segments:
    """Everything one page yields before classification (small, picklable)."""

    file: str
    page: int
    size: tuple[int, int]  # (width, height) of the page as read
    numbers: list[NumberCandidate]
    crops: np.ndarray  # (N, 28, 28) uint8: every blob whole; `classify` adds the pieces it cuts
    index: list[list[list[list[int]]]]  # number → blob → hypothesis → crop indices
    inverse: np.ndarray | None  # 3x3 homography from deskewed (and flattened) back to working pixels
    angle: float = 0.0
    scale: float = 1  # working pixels → pixels of the page as read
    seconds: dict[str, float] = field(default_factory=dict)  # time per stage, for benchmarks
    quarter_turns: int = 0  # the page was read turned this many quarters counter-clockwise
    squeeze: float = 1.0  # read this many times as wide as it is (a digit stretched to fill it)
    # The page read the other ways it may be meant: turned a quarter each way, or squeezed.
    other_ways: list["Segments"] = field(default_factory=list)


@dataclass
class NumberRead:
    field: str
    number: str
    confidence: float
    box: tuple[int, int, int, int]  # x, y, w, h in the page as read
    digit_confidences: list[float] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)


def working_scale(size: tuple[int, int], mode: Mode = "auto") -> int:
    """How many times smaller than read a page is worked on: 1 for a field, ~150 dpi for pages."""
    if _is_field(size, mode):
        return 1
    return max(1, int(round(min(size) / WORKING_SHORT_SIDE)))


def _is_field(size: tuple[int, int], mode: Mode) -> bool:
    """Whether an image of `size` (width, height) is read as one field, as far as its size says
    (see `_either_page_or_field`)."""
    return mode == "field" or (mode == "auto" and (max(size) <= FIELD_MAX_SIDE or _strip(size)))


def _strip(size: tuple[int, int]) -> bool:
    """Wider than tall and too low for a page (see FIELD_MAX_HEIGHT)."""
    width, height = size
    return height < FIELD_MAX_HEIGHT and width >= height


def _either_page_or_field(size: tuple[int, int], mode: Mode) -> bool:
    """Whether only the image's writing can tell a page from a field (see PAGE_CHECK_SHORT)."""
    return mode == "auto" and not _strip(size) and PAGE_CHECK_SHORT[0] <= min(size) < PAGE_CHECK_SHORT[1]


def segment_page(file: str, page: int, gray: np.ndarray, mode: Mode = "auto",
                 size: tuple[int, int] | None = None, quarter_turns: int = 0, squeeze: float = 1.0) -> Segments:
    """Clean, find fields and digits, and normalize every blob into a 28x28 crop.

    `size` is the (width, height) of the page as read when `gray` was decoded smaller. A page
    whose handwriting lies on its side is also segmented turned a quarter each way, and a digit
    that may be stretched to fill its image squeezed (`Segments.other_ways`); `quarter_turns`
    and `squeeze` say how this `gray` is read.
    """
    size = size or (gray.shape[1], gray.shape[0])
    whole = _is_field(size, mode)
    scale = working_scale(size, mode)
    wanted = size[0] // scale, size[1] // scale
    if abs(gray.shape[1] - wanted[0]) > 1 or abs(gray.shape[0] - wanted[1]) > 1:
        gray = cv2.resize(gray, wanted, interpolation=cv2.INTER_AREA)
    stretched = whole and squeeze == 1.0 and _stretched_to_fill(gray)
    as_decoded = gray
    zoom = 1
    if whole and gray.shape[0] < SHORT_FIELD:
        # Clean-up's kernels are a few pixels wide and would take such strokes for paper, and
        # touching digits a few pixels high leave no room to cut. Read it larger, as a scanner
        # at a higher dpi would give it.
        zoom = max(1, min(math.ceil(SHORT_FIELD_READ_AS / gray.shape[0]), 4 * FIELD_MAX_SIDE // max(gray.shape)))
        gray = cv2.resize(gray, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        scale = 1 / zoom
    if squeeze != 1.0:
        gray = cv2.resize(gray, (max(1, round(gray.shape[1] * squeeze)), gray.shape[0]), interpolation=cv2.INTER_AREA)
    h, w = gray.shape
    started = time.perf_counter()
    either = zoom == 1 and _either_page_or_field(size, mode)
    whole = whole or either
    clean = clean_page(gray, deskew=not whole)  # a field's number is ordered along its own slant
    if (not whole and mode == "auto" and _few_marks(clean.ink)
            and _a_field_s_writing(_handwriting(clean.ink), min(h, w))):
        whole = True  # one number photographed large: read it as a field after all
        clean = clean_page(gray, deskew=False)
    cleaned = time.perf_counter()
    layout = analyze(clean.ink, whole_image_field=whole, rule_ink=clean.sure, zoom=zoom)
    if either and _a_page_s_writing(_handwriting(layout.ink), min(h, w)):
        whole = False  # a page's small handwriting: read it as a page after all
        clean = clean_page(gray)
        layout = analyze(clean.ink, whole_image_field=False, rule_ink=clean.sure)
    numbers: list[NumberCandidate] = []
    if whole:
        numbers = _numbers_in_a_field_image(gray, clean, layout, zoom)
    else:
        free = layout.ink.copy()
        counters = {"box": 0, "comb": 0}
        fields = sorted(layout.fields, key=lambda f: (f.y // max(f.h, 1), f.x))
        regions = [_inside(fld) for fld in fields]
        boxed = without_captions(layout.ink, [r for fld, r in zip(fields, regions) if fld.kind == "box"])
        for fld, region in zip(fields, regions):
            counters[fld.kind] += 1
            cell_width = fld.w / fld.cells if fld.kind == "comb" else 0.0
            found = numbers_in_field(boxed if fld.kind == "box" else layout.ink, region,
                                     f"{fld.kind}{counters[fld.kind]}", cell_width=cell_width)
            free[fld.y : fld.y + fld.h, fld.x : fld.x + fld.w] = 0
            _erase(free, [b for number in found for b in number.blobs])  # writing across its rules too
            numbers += found
        heights = [b.h for n in numbers for b in n.blobs]
        least = SMALL_PRINT * float(np.median(heights)) if heights else 0.0
        # A box holding only print, far smaller than the page's handwriting, is an empty box
        # with its caption ("Date", "No."), not a number.
        numbers = [n for n in numbers if max(b.h for b in n.blobs) >= least]
        numbers += numbers_in_free_text(free, least)
        numbers = in_reading_order(numbers)
    for number in numbers:
        tallest = max(blob.h for blob in number.blobs)
        for blob in number.blobs:
            if blob.h >= SHADED_HEIGHT * tallest:
                blob.shade = clean.darkness[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w]
    crops = [_crop(blob) for number in numbers for blob in number.blobs]
    index: list[list[list[list[int]]]] = []
    first = 0
    for number in numbers:  # one hypothesis per blob so far: the blob whole
        index.append([[[first + b]] for b in range(len(number.blobs))])
        first += len(number.blobs)
    stacked = np.stack(crops) if crops else np.zeros((0, 28, 28), np.uint8)
    inverse = np.linalg.inv(clean.transform) if clean.transform is not None else None
    if squeeze != 1.0:  # boxes go back to the image as it was, before it was squeezed
        inverse = np.diag([1 / squeeze, 1.0, 1.0]) @ (inverse if inverse is not None else np.eye(3))
    seconds = {"cleanup": cleaned - started, "segmentation": time.perf_counter() - cleaned}
    segments = Segments(file, page, size, numbers, stacked, index, inverse, clean.angle, scale, seconds,
                        quarter_turns, squeeze)
    if stretched:
        segments.other_ways.append(segment_page(file, page, as_decoded, mode, size, quarter_turns, STRETCHED_SQUEEZE))
    if not whole and quarter_turns == 0 and _on_its_side(numbers):
        for turns in (1, 3):
            turned = segment_page(file, page, np.ascontiguousarray(np.rot90(gray, turns)), mode,
                                  (size[1], size[0]), turns)
            segments.other_ways.append(turned)
            for stage, spent in turned.seconds.items():
                segments.seconds[stage] += spent
    return segments


#: A blob under this share of its number's tallest is judged in black and white: the model knows
#: a dot or a comma as a crisp mark, and a gray one blown up to 20 px is a soft blob it takes
#: for a digit ('14.000' read '146000').
SHADED_HEIGHT = 0.5


def _numbers_in_a_field_image(gray: np.ndarray, clean: CleanPage, layout: Layout, zoom: int) -> list[NumberCandidate]:
    """A field image's number: of a comb, a digit a cell; else its writing less a box's printed
    caption, read again inside a border of paper (and inverted) if that finds nothing."""
    h, w = layout.ink.shape
    # A comb of ticks standing on its base line, or one ruled all round.
    comb = (layout, layout.fields[0]) if layout.fields[0].kind == "comb" else _comb_filling(clean)
    if comb is not None:
        comb_layout, fld = comb
        return numbers_in_field(comb_layout.ink, _inside(fld), "image", cell_width=fld.w / fld.cells)
    numbers = numbers_in_field(layout.ink, (0, 0, w, h), "image", cut_out=True)
    if numbers and _a_caption(numbers[0], h, w):
        # A box's printed caption: read what is left, the number written under it if any.
        rest = layout.ink.copy()
        _erase(rest, numbers[0].blobs)
        numbers = [n for n in numbers_in_field(rest, (0, 0, w, h), "image", cut_out=True) if not _a_caption(n, h, w)]
    if not numbers:
        numbers = _numbers_within_a_border(gray, zoom)
    if not numbers and _two_toned(gray):
        # A white '1' cut out tightly is mostly stroke: taken for paper, its dark corners
        # were the ink, and nothing was read. Inverted, it is a bold dark '1' all ink.
        numbers = _numbers_within_a_border(cv2.bitwise_not(gray), zoom)
    return numbers


def _stretched_to_fill(gray: np.ndarray) -> bool:
    """A small square image whose ink, told from the paper around its edges, spans it both ways
    (see STRETCHED_SIDE)."""
    height, width = gray.shape
    if max(height, width) > STRETCHED_SIDE or max(height, width) > STRETCHED_SQUARE * min(height, width):
        return False
    edges = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).astype(np.int16)
    contrast = np.abs(gray.astype(np.int16) - np.median(edges))
    rows, columns = np.nonzero(contrast > contrast.max() / 2)
    return bool(rows.size and np.ptp(rows) + 1 >= STRETCHED_SPAN * height
                and np.ptp(columns) + 1 >= STRETCHED_SPAN * width)


#: In a field image, writing that starts within CAPTION_LEFT of its width from the left, under
#: CAPTION_HEIGHT of its height, and ends in its upper CAPTION_BAND is the printed caption of
#: a box cut out of a form ("Date", "Score"; small print blurs into one blob or a few): an
#: empty box read '5000' or '2100008'. It is set aside and what is left read: the number
#: written under it, if any. `bench/cells.py --captioned`: empty boxes giving a number 77.7 /
#: 81.4% -> 0.8 / 1.4% (seeds 2026, 5), filled ones read the same; register cells, whose
#: small numbers high in the cell stand away from its left, read the same.
CAPTION_HEIGHT = 0.25
CAPTION_BAND = 0.35
CAPTION_LEFT = 0.15


def _a_caption(number: NumberCandidate, height: int, width: int) -> bool:
    blobs = number.blobs
    return (min(b.x for b in blobs) <= CAPTION_LEFT * width and max(b.h for b in blobs) < CAPTION_HEIGHT * height
            and max(b.y + b.h for b in blobs) <= CAPTION_BAND * height)


def _erase(ink: np.ndarray, blobs: list[Blob]) -> None:
    """Clear these blobs' own pixels from the ink."""
    for blob in blobs:
        ink[blob.y : blob.y + blob.h, blob.x : blob.x + blob.w][blob.mask > 0] = 0


#: A field image at least COMB_ASPECT times as wide as tall in which a page's layout finds one
#: field, a comb at least COMB_SPAN of its width, is a comb field cut out of a form: read one
#: digit a cell as on a page. Read as one field, its dividers were '1's beside digits as tall
#: and digits touching them were lost. `bench/cells.py --combs ruled`: 65.1% -> 77.7%, empty
#: combs giving a number 12.2% -> 1.3%; the other field images find no such comb.
COMB_ASPECT = 2.0
COMB_SPAN = 0.85


def _comb_filling(clean: CleanPage) -> tuple[Layout, Field] | None:
    """The page layout of a field image that is a comb, and the comb (see COMB_SPAN). Its rules
    are looked for in the sure ink first, as on a page, then in all of it: a hairline or worn
    rule binarizes into dashes, which split the comb into a box and a shorter comb, or into none."""
    h, w = clean.ink.shape
    if w < COMB_ASPECT * h:
        return None
    for rule_ink in (clean.sure, clean.ink):
        as_a_page = analyze(clean.ink, whole_image_field=False, rule_ink=rule_ink)
        fields = as_a_page.fields
        if len(fields) == 1 and fields[0].kind == "comb" and fields[0].w >= COMB_SPAN * w:
            return Layout(_with_strokes_taken_for_rules(clean.ink, as_a_page.ink, fields[0]), fields), fields[0]
    return None


#: In a comb cut out as one image, an upright stroke the page's layout erased as a rule is
#: writing, unless it stands within DIVIDER_REACH of a cell's width (at least 4 px) of where
#: the comb's spacing puts a divider: at the size of a page the comb's '1's (60 px and more)
#: are as tall as a page's long rules. `bench/cells.py --combs ruled` on MNIST validation
#: digits, seeds 2026 / 5 / 6: 72.6 / 77.2 / 78.3% -> 77.4 / 79.9 / 83.2%.
DIVIDER_REACH = 0.08
#: An erased stroke that may be such writing: at least this share of the comb's height, and at
#: most half as wide as tall.
ERASED_STROKE = 0.3
#: Level runs this long in what the page's layout erased are the comb's top and bottom rules.
LEVEL_RUN = 25


def _with_strokes_taken_for_rules(ink: np.ndarray, kept: np.ndarray, comb: Field) -> np.ndarray:
    """`kept` (the ink a page's layout left of `ink`) with the upright strokes it erased back,
    where no divider of `comb` stands (see DIVIDER_REACH)."""
    erased = cv2.bitwise_and(ink, cv2.bitwise_not(kept))
    # Apart from the comb's top and bottom rules, which a stroke written against them joins.
    level = cv2.morphologyEx(erased, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (LEVEL_RUN, 1)))
    upright = cv2.bitwise_and(erased, cv2.bitwise_not(cv2.dilate(level, np.ones((3, 3), np.uint8))))
    count, labels, stats = components(upright)
    cell = comb.w / comb.cells
    x, w, h = stats[:, 0], stats[:, 2], stats[:, 3]
    from_divider = np.abs((x + w / 2 - comb.x + cell / 2) % cell - cell / 2)
    writing = (h >= ERASED_STROKE * comb.h) & (w <= 0.5 * h) & (from_divider > max(4.0, DIVIDER_REACH * cell))
    writing[0] = False
    return cv2.bitwise_or(kept, components_mask(labels, writing)) if writing.any() else kept


def _two_toned(gray: np.ndarray) -> bool:
    """Dark and light both: not a blank sheet, which inverted would be all ink."""
    dark, light = np.percentile(gray, (5, 95))
    return dark < 0.5 * light


def _a_page_s_writing(blobs: list[Blob], short_side: int) -> bool:
    """Many blobs of handwriting, small beside the image (see PAGE_CHECK_SHORT)."""
    return len(blobs) >= PAGE_BLOBS and typical_height(blobs) < PAGE_WRITING * short_side


def _few_marks(ink: np.ndarray) -> bool:
    """Under FIELD_MARKS connected marks (counted without listing them: ~0.6 ms a page)."""
    return cv2.connectedComponents(ink, connectivity=8)[0] - 1 < FIELD_MARKS


def _a_field_s_writing(blobs: list[Blob], short_side: int) -> bool:
    """A few blobs of handwriting, large beside the image (see FIELD_WRITING)."""
    return 0 < len(blobs) < PAGE_BLOBS and typical_height(blobs) >= FIELD_WRITING * short_side


def _handwriting(ink: np.ndarray) -> list[Blob]:
    """The blobs of handwriting, less what a field's clean-up leaves of a page's ruling and
    edges (see PAGE_CHECK_SHORT)."""
    height, width = ink.shape
    return [b for b in blobs_in(ink) if b.h >= DIGIT_LEAST and b.area >= GRID_FILL * b.w * b.h
            and min(b.w, b.h) >= LINE_THICKNESS * max(b.w, b.h) and upright(b)
            and 0 < b.x and b.x + b.w < width and 0 < b.y and b.y + b.h < height]


def _inside(fld: Field) -> tuple[int, int, int, int]:
    """A field's region within its rules."""
    inset = max(2, min(fld.w, fld.h) // 20)
    return fld.x + inset, fld.y + inset, max(1, fld.w - 2 * inset), max(1, fld.h - 2 * inset)


def _crop(blob: Blob) -> np.ndarray:
    """A blob's 28x28 crop, in its ink's own shades where they are known."""
    if blob.shade is None:
        return to_mnist(blob.mask)
    return to_mnist(shaded_ink(blob.mask, blob.shade))


#: A field image that holds no number is read again inside a border of its paper this share of
#: its height wide: a digit cut out tightly is taken for a rule, a margin or a frame.
PAPER_BORDER = 0.25
#: The new read is kept only if it is one such digit: one blob at least TIGHT_TALL of the image's
#: height and TIGHT_WIDE of its width, in an image at most TIGHT_ASPECT wide over tall, its ink
#: filling at least TIGHT_FILL of its box, with at most TIGHT_HOLES holes. An empty box's rules
#: and a scan margin read as digits inside a border too: they fill little of their box or run
#: along one side; noise is holes all over.
TIGHT_TALL = 0.9
TIGHT_WIDE = 0.5
TIGHT_ASPECT = 1.2
TIGHT_FILL = 0.1
TIGHT_HOLES = 4


def _numbers_within_a_border(gray: np.ndarray, zoom: int) -> list[NumberCandidate]:
    """The one digit of a field image cut out tightly, found inside a border of its own paper
    (blobs in the field's pixels), or none: a bold '1' all ink from top to bottom leaves no
    paper to tell ink by, and is a rule; a '5' touching three sides is as sparse as a corner."""
    height, width = gray.shape
    if width > TIGHT_ASPECT * height:
        return []
    border = max(2, round(PAPER_BORDER * height))
    bordered = with_paper_border(gray, border)
    clean = clean_page(bordered, deskew=False)
    layout = analyze(clean.ink, whole_image_field=True, rule_ink=clean.sure, zoom=zoom)
    numbers = numbers_in_field(layout.ink, (0, 0, bordered.shape[1], bordered.shape[0]), "image", cut_out=True)
    if len(numbers) != 1 or len(numbers[0].blobs) != 1:
        return []
    digit = _within(numbers[0].blobs[0], border, gray.shape)
    if (digit.h < TIGHT_TALL * height or digit.w < TIGHT_WIDE * width
            or digit.area < TIGHT_FILL * digit.w * digit.h or holes(digit) > TIGHT_HOLES):
        return []
    return [NumberCandidate("image", [digit], numbers[0].height)]


def _within(blob: Blob, border: int, shape: tuple[int, ...]) -> Blob:
    """The blob moved from the bordered image to the field's pixels, clipped to the field."""
    left, top = max(border, blob.x), max(border, blob.y)
    right, bottom = min(border + shape[1], blob.x + blob.w), min(border + shape[0], blob.y + blob.h)
    mask = blob.mask[top - blob.y : bottom - blob.y, left - blob.x : right - blob.x]
    return Blob(left - border, top - border, right - left, bottom - top, mask)


def _on_its_side(numbers: list[NumberCandidate]) -> bool:
    """Handwriting wider than tall, by the median of enough digits: digits turned a quarter."""
    blobs = [blob for number in numbers for blob in number.blobs]
    return len(blobs) >= SIDEWAYS_BLOBS and float(np.median([b.w / b.h for b in blobs])) > SIDEWAYS_ASPECT


def in_reading_order(numbers: list[NumberCandidate]) -> list[NumberCandidate]:
    """Top to bottom by rows (a number whose middle lies within a row's height joins it), then
    left to right: numbers of different sizes on one line stay in one row."""
    rows: list[tuple[list[float], list[NumberCandidate]]] = []
    for number in sorted(numbers, key=lambda n: n.box[1] + n.box[3] / 2):
        x, y, w, h = number.box
        middle = y + h / 2
        if rows and rows[-1][0][0] <= middle <= rows[-1][0][1]:
            span, members = rows[-1]
            span[0], span[1] = min(span[0], y), max(span[1], y + h)
            members.append(number)
        else:
            rows.append(([float(y), float(y + h)], [number]))
    return [n for _, members in rows for n in sorted(members, key=lambda n: n.box[0])]


def _page_box(blobs: list[Blob], segments: Segments) -> tuple[int, int, int, int]:
    """Bounding box of blobs in the page as read (undoing the deskew and the working scale).
    Plain floats: four corners are too few for NumPy to pay off, and this runs per number."""
    x0, y0, w, h = bounding_box(blobs)
    corners = [(x0, y0), (x0 + w, y0), (x0, y0 + h), (x0 + w, y0 + h)]
    if segments.inverse is not None:
        (a, b, c), (d, e, f), (g, k, m) = segments.inverse.tolist()
        corners = [((a * x + b * y + c) / (g * x + k * y + m), (d * x + e * y + f) / (g * x + k * y + m))
                   for x, y in corners]
    xs = [x * segments.scale for x, _ in corners]
    ys = [y * segments.scale for _, y in corners]
    left, top = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
    right = min(math.ceil(max(xs)), segments.size[0])
    bottom = min(math.ceil(max(ys)), segments.size[1])
    box = left, top, right - left, bottom - top
    width, height = segments.size
    for _ in range(segments.quarter_turns % 4):  # back a quarter clockwise, to the page as read
        x, y, w, h = box
        box, (width, height) = (height - y - h, x, h, w), (height, width)
    return box


def _digits_and_reject(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ten digit probabilities and "not a digit" (zero for a model without that class)."""
    has_reject = probabilities.shape[1] > REJECT
    reject = probabilities[:, REJECT] if has_reject else np.zeros(len(probabilities), np.float32)
    return probabilities[:, :DIGITS], reject


def _doubts_one_digit(quality: np.ndarray, reject: np.ndarray, wide: np.ndarray) -> np.ndarray:
    """Whole-blob crops where the model doubts the blob is a single digit. A blob clearly wider
    than tall is doubted unless the model is all but certain: two digits touching make one,
    and a pair normalized into one 28x28 crop can look like a fairly sure '4' or '8'."""
    return (quality < SPLIT_BELOW) | (reject > DOUBT_REJECT) | (wide & (quality < WIDE_SURE))


def _wide(blobs: list[Blob]) -> np.ndarray:
    return np.array([blob.w >= WIDE * blob.h for blob in blobs], bool)


def classify(pages: list[Segments], model_predict: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Per page, the probabilities of the crops `decide` will look at, in two batched calls
    for all the pages together: every blob's whole crop, then the cut pieces of the blobs whose
    whole the model doubts. Only those blobs are ever cut (here, in the main process): most
    blobs on a page are one sure digit. Several pages per call: a call costs ~1.5 ms on top of
    its crops, and the doubted blobs of one page are too few to fill a batch."""
    def predict(crops: np.ndarray) -> np.ndarray:
        return _shape_checked(crops, model_predict(crops))

    wholes = [[hyps[0][0] for per_blob in page.index for hyps in per_blob] for page in pages]
    first = predict(_stacked([page.crops[ids] for page, ids in zip(pages, wholes)]))
    probabilities, pieces, start = [], [], 0
    for page, ids in zip(pages, wholes):
        page_first = first[start : start + len(ids)]
        start += len(ids)
        if page.other_ways and _keep_surest_way(page, ids, page_first, predict):
            pieces.append([])  # read another way: cutting its blobs as they are is wasted work
        else:
            digits, reject = _digits_and_reject(page_first)
            places = [(n, b) for n, per_blob in enumerate(page.index) for b in range(len(per_blob))]
            wide = _wide([page.numbers[n].blobs[b] for n, b in places])
            doubted = _doubts_one_digit(digits.max(1), reject, wide)
            doubts = [(place, float(whole_reject)) for place, doubt, whole_reject in zip(places, doubted, reject) if doubt]
            pieces.append(_add_cuts(page, doubts, _typical_aspect(page) if doubts else None))
        probabilities.append(np.zeros((len(page.crops), first.shape[1]), np.float32))
        probabilities[-1][ids] = page_first
    if any(pieces):
        second = predict(_stacked([page.crops[ids] for page, ids in zip(pages, pieces)]))
        start = 0
        for page_probabilities, ids in zip(probabilities, pieces):
            page_probabilities[ids] = second[start : start + len(ids)]
            start += len(ids)
    _look_again(pages, probabilities, predict)
    return probabilities


def _keep_surest_way(page: Segments, ids: list[int], wholes: np.ndarray,
                     predict: Callable[[np.ndarray], np.ndarray]) -> bool:
    """Of a page that may be meant another way (on its side, a digit stretched), keep in
    `page.other_ways` only the way that reads clearly surer than the page as it is, judged on
    whole blobs (`wholes`: the probabilities of its crops `ids`): each way the page is fully
    read, with cuts and second looks, costs a second or so, and its blobs on their side are
    most of them doubted. Whether one was kept."""
    as_is = np.zeros((len(page.crops), wholes.shape[1]), np.float32)
    as_is[ids] = wholes
    others = ((way, _mean_confidence(decide(way, predict(way.crops)))) for way in page.other_ways)
    best = _clearly_surer(_mean_confidence(decide(page, as_is)), others, page.other_ways)
    page.other_ways = [best] if best is not None else []
    return best is not None


def _look_again(pages: list[Segments], probabilities: list[np.ndarray],
                predict: Callable[[np.ndarray], np.ndarray]) -> None:
    """Average each hard crop's probabilities with those of its second looks, in one call."""
    hard = [np.flatnonzero((p.sum(1) > 0) & (p[:, :DIGITS].max(1) < SECOND_LOOK_BELOW)) for p in probabilities]
    looks = [np.stack(second_looks(page.crops[i])) for page, ids in zip(pages, hard) for i in ids]
    if not looks:
        return
    answers = predict(np.concatenate(looks)).reshape(len(looks), len(looks[0]), -1)  # crop → look → class
    start = 0
    for page_probabilities, ids in zip(probabilities, hard):
        seen = answers[start : start + len(ids)]
        page_probabilities[ids] = (page_probabilities[ids] + seen.sum(1)) / (1 + seen.shape[1])
        start += len(ids)


def _shape_checked(crops: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """The model's answers, with each '8' shaped like a '9', each '2' shaped like a '3', each '7'
    shaped like a flagged '1' (and not crossed), each '4' without a bar or shaped like a crossed
    '7' and each '9' standing on a base like a '2' doubted. A doubted '8' whose runner-up is '9'
    is read '9': its probability goes to the '9' (the model can be so sure of the '8' that the
    '9' stays below even the doubted '8'); otherwise the runner-up decides."""
    read = probabilities.argmax(1)
    runner_up = np.argsort(probabilities, 1)[:, -2]
    eights = np.flatnonzero((read == 8) & (probabilities[:, 9] >= LOOP_NINE_LEAST))
    twos = np.flatnonzero((read == 2) & (runner_up == 3) & (probabilities[:, 3] >= BOWL_THREE_LEAST))
    sevens = np.flatnonzero((read == 7) & (probabilities[:, 1] >= FLAG_ONE_LEAST))
    fours = np.flatnonzero((read == 4) & (probabilities[:, 1] >= LEAD_IN_ONE_LEAST))
    crossed = np.flatnonzero((read == 4) & (runner_up == 7) & (probabilities[:, 7] >= CROSSED_SEVEN_LEAST))
    nines = np.flatnonzero((read == 9) & (runner_up == 2) & (probabilities[:, 2] >= LOOPED_TWO_LEAST))
    doubted = ([i for i in eights if _one_loop_on_a_stem(crops[i])]
               + [i for i in twos if _ends_in_a_bowl(crops[i])]
               + [i for i in sevens if _falls_left_from_the_top(crops[i]) and not _has_a_bar(crops[i])]
               + [i for i in fours if not _has_a_bar(crops[i])]
               + [i for i in crossed if _one_stroke_over_a_low_bar(crops[i])]
               + [i for i in nines if _on_a_base(crops[i])])
    for i in doubted:
        kept = probabilities[i, read[i]] * SHAPE_DOUBT
        if read[i] == 8 and runner_up[i] == 9:
            probabilities[i, 9] += probabilities[i, 8] - kept
        probabilities[i, read[i]] = kept
        probabilities[i] /= probabilities[i].sum()
    return probabilities


def _extent(ink: np.ndarray) -> tuple[int, int]:
    """The first inked row of binary ink and how many rows it spans (of `ink.T`: columns)."""
    rows = np.flatnonzero(ink.any(1))
    return int(rows[0]), int(rows[-1] - rows[0] + 1)


def _ends_in_a_bowl(crop: np.ndarray) -> bool:
    """The bottom curls back left under a part that reaches further right: a '3', not a '2'."""
    ink = crop > CROP_INK
    top, height = _extent(ink)

    def right_edge(start: float, end: float) -> int:
        columns = np.flatnonzero(ink[top + int(start * height) : top + int(end * height) + 1].any(0))
        return int(columns[-1]) if columns.size else -1

    return right_edge(0.9, 1.0) < right_edge(0.55, 0.8) - BOWL_MARGIN


def _falls_left_from_the_top(crop: np.ndarray) -> bool:
    """The top part's leftmost ink lies well below the top: a flag falling to the left."""
    rows, columns = np.nonzero(crop > CROP_INK)
    if rows.size == 0:
        return False
    top, height = int(rows.min()), int(rows.max() - rows.min() + 1)
    upper = rows <= top + FLAG_TOP * height
    leftmost = columns[upper] <= columns[upper].min() + 1
    return float(rows[upper][leftmost].mean()) - top > FLAG_DROP * height


def _widest_middle_row(ink: np.ndarray, top: int, height: int) -> tuple[int, float]:
    """The row between BAR_TOP and BAR_BOTTOM of the ink's height (its rows from `top`) holding
    its longest unbroken run (the first such row, counted from the ink's top), and that run as a
    share of its width."""
    first = int(BAR_TOP * height)
    middle = ink[top + first : top + int(BAR_BOTTOM * height)].astype(np.int8)
    edges = np.diff(np.pad(middle, ((0, 0), (1, 1))), axis=1)
    starts, ends = np.nonzero(edges == 1), np.nonzero(edges == -1)
    if starts[0].size == 0:
        return first, 0.0
    lengths = ends[1] - starts[1]
    widest = int(np.argmax(lengths))
    return first + int(starts[0][widest]), float(lengths[widest]) / _extent(ink.T)[1]


def _has_a_bar(crop: np.ndarray) -> bool:
    """Some row of its middle holds one run of ink across at least BAR_SHARE of its width."""
    ink = crop > CROP_INK
    return bool(ink.any()) and _widest_middle_row(ink, *_extent(ink))[1] >= BAR_SHARE


def _one_stroke_over_a_low_bar(crop: np.ndarray) -> bool:
    """No loop, its bar at CROSSBAR_LOW of its height or lower, and one stroke in most rows
    above it."""
    ink = crop > CROP_INK
    if not ink.any() or _loops(ink.astype(np.uint8)):
        return False
    top, height = _extent(ink)
    bar, _ = _widest_middle_row(ink, top, height)
    above = ink[top + int(ARM_FROM * height) : top + bar - 1]
    if bar < CROSSBAR_LOW * height or len(above) == 0:
        return False
    return bool(np.median(runs_per_column(above.T)) <= 1)


def _on_a_base(crop: np.ndarray) -> bool:
    """Its bottom FOOT_ROWS span FOOT_SPAN of its width or more."""
    rows, columns = np.nonzero(crop > CROP_INK)
    if rows.size == 0:
        return False
    bottom = rows.max() - max(1, round(FOOT_ROWS * (rows.max() - rows.min() + 1)))
    foot = columns[rows > bottom]
    return bool(foot.max() - foot.min() + 1 >= FOOT_SPAN * (columns.max() - columns.min() + 1))


def _one_loop_on_a_stem(crop: np.ndarray) -> bool:
    """One loop, in the upper half, above a single stem about a stroke wide or a tail curling
    back: not the two legs of an open '8', nor the blot its lower loop makes when written small
    and closed up."""
    ink = (crop > CROP_INK).astype(np.uint8)
    loops = _loops(ink)
    if len(loops) != 1:
        return False
    _, top, _, height = cv2.boundingRect(loops[0])
    below = ink[top + height + 1 :]
    below = below[below.any(1)]
    if top + height / 2 >= LOOP_UPPER_ROW or len(below) == 0:
        return False
    stem_width = np.percentile(below.sum(1), STEM_ROWS) / stroke_width(crop)
    return bool(np.median(runs_per_column(below.T)) <= 1
                and (stem_width <= STEM_WIDTH or (stem_width <= CURLED_WIDTH and _hollow(below))))


def _loops(ink: np.ndarray) -> list[np.ndarray]:
    """The outlines of the holes of at least LOOP_AREA pixels in binary ink (uint8)."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    return [contour for contour, (*_, parent) in zip(contours, hierarchy[0])
            if parent >= 0 and cv2.contourArea(contour) >= LOOP_AREA]


def _hollow(ink: np.ndarray) -> bool:
    """The ink fills less than HOLLOW_TAIL of its convex hull: a stroke that curls, not a blot.
    The hull is counted in pixels: `cleanup.solidity` measures it by its outline's area, which for
    strokes two pixels wide in a 28x28 crop is smaller than their ink (ratios over 1)."""
    hull = np.zeros_like(ink)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(ink)), 1)
    return bool(ink.sum() < HOLLOW_TAIL * hull.sum())


def _stacked(crops: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(crops) if crops else np.zeros((0, 28, 28), np.uint8)


def _typical_aspect(segments: Segments) -> float | None:
    """Median width over height of the page's blobs, where it has enough of them to tell."""
    blobs = [blob for number in segments.numbers for blob in number.blobs]
    return float(np.median([blob.w / blob.h for blob in blobs])) if len(blobs) >= PAGE_SAMPLE else None


def _add_cuts(segments: Segments, places: list[tuple[tuple[int, int], float]], page_aspect: float | None) -> list[int]:
    """Add the ways to cut these blobs (number, blob; its "not a digit" probability) as
    hypotheses; return the new crop ids."""
    crops: list[np.ndarray] = []
    start = len(segments.crops)
    for (n, b), reject in places:
        number, hypotheses = segments.numbers[n], segments.index[n][b]
        lost = reject > LOST_PAIR_REJECT
        if (len(hypotheses) > 1 or number.blobs[b].w <= number.cell_width
                or (not lost and _as_narrow_as_one(number.blobs, b, reject, page_aspect))):
            continue  # already cut, alone in a comb's cell, or no wider than the digits beside it
        narrowest = LOST_PAIR_CUT_WIDTH if lost else NOT_ONE_CUT_WIDTH if reject > NOT_ONE_DIGIT else CUT_WIDTH
        for pieces in split_hypotheses(number.blobs[b], number.height, narrowest)[1:]:
            hypotheses.append(list(range(start + len(crops), start + len(crops) + len(pieces))))
            number.splits[b].append(pieces)
            crops.extend(_crop(_shaded_like(piece, number.blobs[b])) for piece in pieces)
    if crops:
        segments.crops = np.concatenate([segments.crops, np.stack(crops)])
    return list(range(start, start + len(crops)))


def _shaded_like(piece: Blob, whole: Blob) -> Blob:
    """A piece cut from `whole`, given its share of the whole's shades."""
    if whole.shade is not None:
        top, left = piece.y - whole.y, piece.x - whole.x
        piece.shade = whole.shade[top : top + piece.h, left : left + piece.w]
    return piece


def _as_narrow_as_one(blobs: list[Blob], index: int, reject: float, page_aspect: float | None) -> bool:
    """No wider than one digit of this writing: of the number's other digits, or in a short
    number, of the page's (a wide '5' alone in "55" is as easily cut into "65"). In a short
    number, one other digit already tells a wide digit the model believes in ("15" read "165")."""
    widest_one = WIDE_DIGIT_WIDTH if reject < PAIR_REJECT else PAIR_WIDTH
    blob = blobs[index]
    others = [other.w for i, other in enumerate(blobs) if i != index]
    if len(others) >= NEIGHBOURS_TO_COMPARE:
        return blob.w < widest_one * float(np.median(others))
    if others and reject < PAIR_REJECT and blob.w < WIDE_DIGIT_WIDTH * float(np.median(others)):
        return True
    return page_aspect is not None and blob.w < widest_one * page_aspect * blob.h


def _cut_penalty(pieces: list[Blob]) -> float:
    """What reading a blob as these pieces costs. A piece past the second that closes a loop of
    its own is a whole zero of a run, no sliver of a digit: three or four zeros in one stroke
    lost to a far less sure cut into two ('11000' read '1100')."""
    if len(pieces) == 1:
        return 1.0
    loops = sum(has_loop(piece) for piece in pieces) if len(pieces) > 2 else 0
    return SPLIT_PENALTY * EXTRA_PIECE_PENALTY ** (len(pieces) - max(2, loops))


#: A page of at least TURN_NUMBERS numbers read with a mean number confidence under TURN_BELOW
#: is read again turned half a turn (fed upside down), and the turn is kept when it reads at
#: least TURN_GAIN surer, and at least TURNED_SURE (a messy page is not turned on a whim). On 40
#: validation-digit pages (free, forms, tables, squared, lined) upright read 0.10 or more surer
#: than turned, every one ('0', '1', '8', '6'/'9' read either way up), and at least 0.92.
TURN_NUMBERS = 3
TURN_BELOW = 0.95
TURN_GAIN = 0.05
TURNED_SURE = 0.8
#: A digit that may be stretched to fill its image (see STRETCHED_SIDE) is read squeezed when
#: that reads surer at all: it is as likely meant one way as the other.
SQUEEZED_GAIN = 0.01
SQUEEZED_SURE = 0.5


def read_upright(segments: Segments, probabilities: np.ndarray,
                 model_predict: Callable[[np.ndarray], np.ndarray]) -> list[NumberRead]:
    """`decide`, and for a page that reads badly, the same page turned half a turn, or a quarter
    if its handwriting lies on its side, if that reads clearly better: a sheet fed upside down
    or sideways carries no tag that says so."""
    reads = decide(segments, probabilities)
    sure = _mean_confidence(reads)
    ways = list(segments.other_ways)
    if not ways and len(reads) >= TURN_NUMBERS and sure < TURN_BELOW:
        ways.append(turned_half(segments))
    other_reads = (decide(way, classify([way], model_predict)[0]) for way in ways)
    best = _clearly_surer(sure, ((other, _mean_confidence(other)) for other in other_reads), ways)
    return reads if best is None else best


T = TypeVar("T")


def _clearly_surer(sure: float, others: Iterable[tuple[T, float]], ways: list[Segments]) -> T | None:
    """Of other readings (each with its mean confidence) of the page read these other `ways`,
    the surest, if it reads at least TURNED_SURE and TURN_GAIN surer than `sure` (for a
    squeezed digit SQUEEZED_SURE and SQUEEZED_GAIN); None if none does."""
    floor, gain = (SQUEEZED_SURE, SQUEEZED_GAIN) if any(way.squeeze != 1.0 for way in ways) else (TURNED_SURE, TURN_GAIN)
    best, best_sure = None, max(floor, sure + gain)
    for other, other_sure in others:
        if other_sure >= best_sure:
            best, best_sure = other, other_sure
    return best


def _mean_confidence(reads: list[NumberRead]) -> float:
    return float(np.mean([read.confidence for read in reads])) if reads else 0.0


def turned_half(segments: Segments) -> Segments:
    """The page's segments as if it had been fed upside down and turned back: every blob
    turned half a turn in place, numbers and their blobs in reverse order, whole crops only
    (`classify` makes the cuts anew). Boxes stay in the page as read."""
    numbers, crops, index = [], [], []
    for number, per_blob in zip(reversed(segments.numbers), reversed(segments.index)):
        blobs = [Blob(b.x, b.y, b.w, b.h, np.ascontiguousarray(b.mask[::-1, ::-1]),
                      None if b.shade is None else np.ascontiguousarray(b.shade[::-1, ::-1]))
                 for b in reversed(number.blobs)]
        numbers.append(NumberCandidate(number.field, blobs, number.height, number.cell_width))
        index.append([[[len(crops) + i]] for i in range(len(blobs))])
        crops += [np.rot90(segments.crops[hypotheses[0][0]], 2) for hypotheses in reversed(per_blob)]
    stacked = np.stack(crops) if crops else segments.crops[:0]
    return Segments(segments.file, segments.page, segments.size, numbers, stacked, index, segments.inverse,
                    segments.angle, segments.scale, segments.seconds, segments.quarter_turns, segments.squeeze)


def decide(segments: Segments, probabilities: np.ndarray) -> list[NumberRead]:
    """Pick each blob's most convincing reading, drop non-digits, and build the numbers."""
    digit_probs, reject = _digits_and_reject(probabilities)
    best_digit = digit_probs.argmax(1)
    quality = digit_probs.max(1)
    reads = []
    for number, per_blob in zip(segments.numbers, segments.index):
        digits, confidences, crops, kept_blobs = [], [], [], []
        tallest = max(b.h for b in number.blobs)
        wholes = [hypotheses[0][0] for hypotheses in per_blob]
        doubted = _doubts_one_digit(quality[wholes], reject[wholes], _wide(number.blobs))
        for b, (blob_hypotheses, hypotheses, doubt) in enumerate(zip(number.splits, per_blob, doubted)):
            choice = 0
            # Pieces of one digit often look like confident digits ('1's): cut a blob only when
            # the model doubts that it is one digit.
            if len(hypotheses) > 1 and doubt:
                # Geometric mean of the pieces' certainty; each extra cut must earn its keep.
                scores = [float(np.exp(np.log(np.maximum(quality[ids], 1e-9)).mean())) * _cut_penalty(pieces)
                          for ids, pieces in zip(hypotheses, blob_hypotheses)]
                scores[0] *= max(0.0, 1.0 - WHOLE_REJECT_WEIGHT * float(reject[hypotheses[0][0]]))
                choice = int(np.argmax(scores))
            pieces = blob_hypotheses[choice]
            for k, (piece, crop_id) in enumerate(zip(pieces, hypotheses[choice])):
                # A mark, not a digit; a digit-sized piece needs the model to be very sure.
                if reject[crop_id] > (REJECT_LEVEL if piece.h < 0.75 * tallest else 0.97):
                    continue
                # A mark under half a digit high that ends a number (a cheque's closing stroke,
                # a flourish) is no digit unless the model is all but certain, and then not a
                # '1': a closing stroke is read as a sure '1'. Cut off the end of a blob, such a
                # piece is a mark only when read '1': small zeros ending an amount are often
                # cut apart unsure of themselves ('145000').
                ends = ((b == 0 and k == 0) or (b == len(number.blobs) - 1 and k == len(pieces) - 1)) \
                    and (len(number.blobs) > 1 or len(pieces) > 1)
                mark = best_digit[crop_id] == 1 or (len(pieces) == 1 and quality[crop_id] < END_MARK_SURE)
                if ends and piece.h < END_MARK * tallest and mark:
                    continue
                digits.append(str(best_digit[crop_id]))
                confidences.append(float(quality[crop_id]))
                crops.append(segments.crops[crop_id])
                kept_blobs.append(piece)
        if not digits:
            continue
        reads.append(NumberRead(
            field=number.field,
            number="".join(digits),
            confidence=float(np.prod(confidences)),
            box=_page_box(kept_blobs, segments),
            digit_confidences=confidences,
            crops=crops,
        ))
    return reads
