"""From an ink mask to digit candidates and numbers.

Connected components are filtered (specks, dots, commas, dashes), broken strokes are joined,
and components are grouped into numbers: one per field, or by line and gap on free-form
pages. A component too wide to be one digit gets split hypotheses (2-4 pieces cut at the
thinnest ink columns, never through a loop, upright and along the writing's slant); the
classifier later keeps the hypothesis it is most sure of.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from .cleanup import components
from .normalize import stroke_width


@dataclass
class Blob:
    """A connected piece of ink (or several joined); box in deskewed page pixels."""

    x: int
    y: int
    w: int
    h: int
    mask: np.ndarray  # binary crop, shape (h, w)
    shade: np.ndarray | None = None  # the darkness of its box's pixels, where the reader knows it

    @functools.cached_property
    def area(self) -> int:
        """Ink pixels: how much writing the blob holds."""
        return int(np.count_nonzero(self.mask))

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def bounding_box(blobs: list[Blob]) -> tuple[int, int, int, int]:
    """x, y, w, h of the smallest box around all the blobs."""
    x0 = min(b.x for b in blobs)
    y0 = min(b.y for b in blobs)
    x1 = max(b.x + b.w for b in blobs)
    y1 = max(b.y + b.h for b in blobs)
    return x0, y0, x1 - x0, y1 - y0


@dataclass
class NumberCandidate:
    """The blobs of one number in reading order, and the field it was found in."""

    field: str
    blobs: list[Blob]
    height: float  # the digit height here: how wide a blob must be to be cut
    #: In a comb, the width of a cell: a blob no wider is one digit and is never cut.
    cell_width: float = 0.0
    #: Per blob, the readings considered so far: the whole blob, then any ways to cut it.
    splits: list[list[list[Blob]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.splits = self.splits or [[[blob]] for blob in self.blobs]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return bounding_box(self.blobs)


#: Writing that crosses a box's rule is the box's when at least this share of its ink is inside.
INSIDE_SHARE = 0.5


#: ... or when this share is, and it stands on the line of the writing inside: the '7' of '753'
#: written across a box's top, mostly above it.
CROSSING_SHARE = 0.15


def _join_the_line(keep: np.ndarray, crossing: np.ndarray, stats: np.ndarray) -> None:
    """Keep the crossing components whose rows are at least half on the line of the kept ones."""
    if not crossing.any() or not keep.any():
        return
    top, bottom = float(np.median(stats[keep, 1])), float(np.median(stats[keep, 1] + stats[keep, 3]))
    for label in np.flatnonzero(crossing):
        y, h = stats[label, 1], stats[label, 3]
        keep[label] = min(y + h, bottom) - max(y, top) >= 0.5 * h


def blobs_in(ink: np.ndarray, region: tuple[int, int, int, int] | None = None, spill: int = 0) -> list[Blob]:
    """Connected components (8-connected) of the ink, optionally inside a region. With `spill`,
    a component reaching out of the region is whole, if most of it is inside (a digit written
    across a box's rule), or a good part of it and it stands on the line of the writing inside
    (a '7' mostly above a box's top, beside digits written as high); others are not the
    region's. A component is looked at up to twice `spill` out of the region, and one that
    reaches further only if most of it is inside."""
    ox, oy = 0, 0
    inside = None
    if region is not None:
        rx, ry, rw, rh = region
        reach = 2 * spill
        ox, oy = max(0, rx - reach), max(0, ry - reach)
        ink = ink[oy : min(ink.shape[0], ry + rh + reach), ox : min(ink.shape[1], rx + rw + reach)]
        if spill:
            inside = (slice(ry - oy, ry - oy + rh), slice(rx - ox, rx - ox + rw))
    count, labels, stats = components(ink)
    keep = np.ones(count, bool)
    if inside is not None:
        in_region = np.bincount(labels[inside].ravel(), minlength=count)
        keep = in_region >= INSIDE_SHARE * stats[:, 4]
        keep[0] = False
        x, y, w, h = (stats[:, i] for i in range(4))
        whole = (x > 0) & (y > 0) & (x + w < ink.shape[1]) & (y + h < ink.shape[0])  # not cut where we stop looking
        _join_the_line(keep, (in_region >= CROSSING_SHARE * stats[:, 4]) & ~keep & whole, stats)
    blobs = []
    for label in np.flatnonzero(keep[1:]) + 1:
        x, y, w, h, _ = stats[label]
        mask = (labels[y : y + h, x : x + w] == label).view(np.uint8) * np.uint8(255)
        blobs.append(Blob(int(x + ox), int(y + oy), int(w), int(h), mask))
    return blobs


#: A long blob is a rule only when thinner than this share of the field's other side.
SLIVER_ACROSS = 0.4


def is_sliver(blob: Blob, span: float, across: float) -> bool:
    """A rule, fold or page edge: very long and thin, or thin and most of the field tall/wide.

    `across` is the field's other side: a rule is thin beside it, while a row of touching
    cursive zeros, as long, fills most of a cheque's height. A scan's black margin is thick
    but runs the whole field."""
    long, short = max(blob.h, blob.w), min(blob.h, blob.w)
    ratio = long / max(1, short)
    return ratio > 10 or (ratio > 4 and long > 0.6 * span and (short < SLIVER_ACROSS * across or long > 0.9 * span))


#: A blob with less than this share of the ink of the largest one is a speck.
SPECK_SHARE = 0.2


def typical_height(blobs: list[Blob], region: tuple[int, int, int, int] | None = None) -> float:
    """The height of a digit here: area-weighted median height, so specks barely count.

    In a field (`region`), writing near its centre counts more: a line of small printed text along a
    register cell's foot must not make the number written in the middle a scribble."""
    tallest_upright = max((b.h for b in blobs if upright(b)), default=0)
    # Dashes and underlines say nothing.
    standing = [b for b in blobs if upright(b) or _touching_run(b, tallest_upright)]
    blobs = standing or blobs
    if not blobs:
        return 0.0
    areas = np.array([b.area for b in blobs], float)
    # Specks say nothing either: weighted by closeness below, a dot in the middle of a cheque
    # would outweigh the digits written towards its ends.
    inked = areas >= SPECK_SHARE * areas.max()
    blobs, areas = [b for b, keep in zip(blobs, inked) if keep], areas[inked]
    if region is not None:
        areas *= _closeness(blobs, region) ** 2
    heights = np.array([b.h for b in blobs], float)
    big = areas >= 0.3 * areas.max()  # printed small text and specks must not outvote digits
    areas, heights = areas[big], heights[big]
    order = np.argsort(heights)
    cumulative = np.cumsum(areas[order])
    return float(heights[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


#: A wide blob is a run of touching digits, not a dash or an underline, when its pen crosses a
#: column this many times on average (loops and bows; a line crosses once) ...
RUN_CROSSINGS = 1.5


def _touching_run(blob: Blob, tallest_upright: int) -> bool:
    """... and it is taller than every upright blob beside it: cursive "200" written in one
    stroke is then the writing, and the full stop after it only a mark."""
    if blob.h <= tallest_upright:
        return False
    return _pen_crossings(blob) >= RUN_CROSSINGS


def upright(blob: Blob) -> bool:
    """Shaped like a digit or a few, not like a dash or an underline."""
    return blob.w <= 2.5 * blob.h


def runs_per_column(ink: np.ndarray) -> np.ndarray:
    """How many separate runs of ink each column holds (of `ink.T`: each row)."""
    return (np.diff(ink.astype(np.int8), axis=0) == 1).sum(axis=0) + ink[0]


def _pen_crossings(blob: Blob) -> float:
    """How many times the pen crosses a column of the blob, on average over its inked columns."""
    crossings = runs_per_column(blob.mask > 0)
    return float(crossings[crossings > 0].mean())


#: A marker '1' may be this much of the field's height: on a cheque the digits fill it.
ONE_SPAN = 0.95
#: ... and up to this many times as tall as the digits beside it: cheque writers make 1s tall.
ONE_TALL = 1.6
#: ... and its foot within this share of their height of their feet.
ONE_FOOT = 0.3


def _marker_ones(slivers: list[Blob], others: list[Blob], span: float) -> list[Blob]:
    """Slivers that are '1's written with a broad pen: upright, standing on the line the digits
    beside them stand on and about as tall, or taller only upwards (a rule remnant is longer,
    or off their line)."""
    if len(others) < 2:
        return []
    height = float(np.median([b.h for b in others]))
    top = float(np.median([b.y for b in others]))
    bottom = float(np.median([b.y + b.h for b in others]))
    return [s for s in slivers
            if s.w < s.h <= ONE_SPAN * span and 0.8 * height <= s.h <= ONE_TALL * height
            and s.y < top + 0.2 * height and abs(s.y + s.h - bottom) < ONE_FOOT * height]


#: A '1' that runs the image's height is at most this many times taller than wide, or runs
#: at least this share of it (its faint end lost) and takes this share of its width.
ONE_ASPECT = 10
TIGHT_ONE_HEIGHT = 0.9
TIGHT_ONE_WIDTH = 0.3


def _lone_one(slivers: list[Blob], rest: list[Blob], span: float, region: tuple[int, int, int, int]) -> bool:
    """A field whose only writing is one upright, thin stroke holds a '1' when the stroke
    stands clear of the field's edges (a rule remnant runs into them or lies along a side), or
    when it is the whole image (a digit cut out tightly). Specks beside it do not count."""
    if len(slivers) != 1:
        return False
    one = slivers[0]
    if one.w >= one.h or _beside_writing(one, rest):
        return False
    x0, y0, w, h = region
    if one.w >= 0.5 * w:
        return True
    clear_ends = one.y > y0 + 1 and one.y + one.h < y0 + h - 1
    inside = one.x > x0 + 0.15 * w and one.x + one.w < x0 + 0.85 * w
    # Cut off by both ends: a digit scaled to the image (postal digits), not a rule thirty
    # times longer than it is wide; or a '1' cut out tightly, a good part of the image's width
    # and clear of its sides (a rule kept at a cell's side is a sliver of the cell's width).
    standing_clear = clear_ends and one.h <= ONE_SPAN * span
    scaled_to_image = one.h >= h - 2 and one.h <= ONE_ASPECT * one.w
    cut_out_tightly = (one.h >= TIGHT_ONE_HEIGHT * h and one.w >= TIGHT_ONE_WIDTH * w
                       and one.x > x0 + 1 and one.x + one.w < x0 + w - 1)
    return inside and (standing_clear or scaled_to_image) or cut_out_tightly


def broken_rule(blobs: list[Blob], span: float, widest: float | None = None) -> list[Blob]:
    """Pieces of a vertical rule or page edge that the scan broke up: blobs at most `widest`
    across (default: a 40th of the span) in one column over a third of the span: three or more
    dashes, two further apart than either is long, or one continuing a long rule. One piece
    can pass for a '1'; a '1' broken in its middle has a short gap."""
    narrow = [b for b in blobs if b.w <= (max(3, span / 40) if widest is None else widest)]
    pieces: list[Blob] = []
    for blob in narrow:
        column = sorted((b for b in narrow if abs(b.cx - blob.cx) <= 2), key=lambda b: b.y)
        extent = column[-1].y + column[-1].h - column[0].y
        widest_gap = max((b.y - (a.y + a.h) for a, b in zip(column, column[1:])), default=0)
        longest = max(b.h for b in column)
        if len(column) >= 2 and extent > 0.3 * span and (len(column) >= 3 or widest_gap > longest or longest > 0.5 * span):
            pieces += [b for b in column if not any(b is p for p in pieces)]
    return pieces


#: A blob across the field from one of its edges to another whose ink fills less than this
#: share of its box is ruling joined into a frame, not writing.
FRAME_INK = 0.12


#: ... and one from the top to the bottom that covers this share of a side is a scan margin.
MARGIN_ALONG = 0.25
#: One along three of the field's sides, under this share of its box ink, around writing at
#: least ENCLOSED_HEIGHT of its height, is a box's frame.
FRAME_AROUND_INK = 0.35
ENCLOSED_HEIGHT = 0.2


def _edges_touched(blob: Blob, region: tuple[int, int, int, int]) -> tuple[bool, bool, bool, bool]:
    """Whether the blob reaches the field's top, bottom, left and right edge."""
    x0, y0, w, h = region
    return (blob.y <= y0 + 1, blob.y + blob.h >= y0 + h - 1,
            blob.x <= x0 + 1, blob.x + blob.w >= x0 + w - 1)


def _frame(blob: Blob, blobs: list[Blob], region: tuple[int, int, int, int]) -> bool:
    """Ruling or scan margin joined into one blob, beside other writing: a cell's side that the
    scan left slanted or broken (so no straight run found it) joined to the printed line at
    the cell's foot or the rule at its top, an L or a corner with little ink in its box; or a
    margin from the field's top to its bottom along one side. A digit cut out tightly touches
    the edges too, but at points, fills more of its box, and is the field's only writing: it
    touches all four sides, and has at most specks of its own ink beside it."""
    _, _, w, h = region
    edges = top, bottom, left, right = _edges_touched(blob, region)
    if len(blobs) == 1 or (top and bottom and left and right and not _beside_writing(blob, blobs)):
        return False
    across = blob.h >= 0.5 * h or blob.w >= 0.5 * w
    corner = top + bottom + left + right >= 2 and across and blob.area < FRAME_INK * blob.w * blob.h
    along = (left and np.count_nonzero(blob.mask[:, 0]) >= MARGIN_ALONG * blob.h
             or right and np.count_nonzero(blob.mask[:, -1]) >= MARGIN_ALONG * blob.h)
    margin = top and bottom and along and blob.w >= 0.3 * w
    # A box's rules around the digits written in it, thick beside a small cell: no digit
    # holds another in its box and runs straight along two of its sides.
    frame = _shaped_like_a_frame(blob, edges) and _holds_writing(blob, blobs) and _ruled_corner(blob.mask > 0)
    return corner or margin or frame


def _shaped_like_a_frame(blob: Blob, edges: tuple[bool, bool, bool, bool]) -> bool:
    """Along three of the field's edges (`edges`: see `_edges_touched`), with under
    FRAME_AROUND_INK of its box inked: a small cell's frame of thick rules, or what is left of it."""
    return sum(edges) >= 3 and blob.area < FRAME_AROUND_INK * blob.w * blob.h


def _holds_writing(blob: Blob, blobs: list[Blob]) -> bool:
    """Whether another blob, at least ENCLOSED_HEIGHT of this one's height, lies in its box."""
    return any(other is not blob and other.h >= ENCLOSED_HEIGHT * blob.h and _in_box(other, blob) for other in blobs)


def _in_box(inner: Blob, outer: Blob) -> bool:
    return (outer.x <= inner.x and inner.x + inner.w <= outer.x + outer.w
            and outer.y <= inner.y and inner.y + inner.h <= outer.y + outer.h)


def drop_rule_slivers(blobs: list[Blob], region: tuple[int, int, int, int]) -> list[Blob]:
    """Leftovers of ruling lines, folds and scan edges; small crumbs on the field's border."""
    _, _, w, h = region
    span = max(w, h) if h < w / 4 else h
    biggest = max(blobs, key=lambda b: b.area, default=None)
    tallest = max((b.h for b in blobs), default=0)
    # A rule runs along the field: a level blob is measured against the field's width.
    long_thin = [b for b in blobs if is_sliver(b, max(span, w) if b.w > b.h else span, min(w, h))]
    dashes = broken_rule(blobs, h)
    slivers = long_thin + dashes
    sized = [b for b in blobs if b.h > 0.3 * tallest and not any(b is s for s in slivers)]
    # A piece of a dashed rule can be as tall as a digit: only a whole stroke is a marker '1'.
    ones = [b for b in _marker_ones(long_thin, sized, span) if not any(b is d for d in dashes)]
    # What is left of the cell's rules at its edges does not keep a '1' from standing alone.
    candidates = [s for s in slivers if not _rule_end(s, region)]
    rest = [b for b in blobs if not any(b is s for s in slivers) and not _rule_end(b, region)]
    if _lone_one(candidates, rest, span, region):
        ones = candidates
    kept = []
    for blob in blobs:
        on_border = any(_edges_touched(blob, region))
        crumb = biggest is not None and blob.area < 0.25 * biggest.area and blob.h < 0.5 * biggest.h
        rule = any(blob is s for s in slivers) and not any(blob is one for one in ones)
        if rule or (on_border and crumb) or _frame(blob, blobs, region):
            continue
        kept.append(blob)
    return kept


#: A blob filling under DRAWN_ROUND_INK of its box, whose box holds writing at least RING_HOLDS
#: of its height with ink of the blob on three or four sides of that writing's centre (a cell's
#: edge may cut the circle), is a ring drawn round it (a circle round a score, a box drawn by
#: hand), not a digit: read as one, a circled '56' was '506', a circled '19' '0'. Its inside is
#: kept: the digit it touches. Field images of one to three validation digits, circled: 4 -> 84
#: of 100 (a lone digit touching its circle is one blob with it, and still read as '0' or '8');
#: free pages with a third of their numbers circled: 162 -> 252 of 260.
DRAWN_ROUND_INK = 0.25
RING_HOLDS = 0.25
#: The ring is the ink within this many of its stroke widths of its convex hull's outline.
RING_DEPTH = 2.0


def without_rings(blobs: list[Blob]) -> list[Blob]:
    """Rings drawn round writing replaced by what they hold of a digit they touch."""
    if not blobs:
        return blobs
    x, y, w, h = np.array([(b.x, b.y, b.w, b.h) for b in blobs]).T  # looked up at once: a bubble
    rings = set()                                                   # sheet holds 1,000 thin rings
    for i, ring in enumerate(blobs):
        if ring.area >= DRAWN_ROUND_INK * ring.w * ring.h:
            continue
        held = ((h >= RING_HOLDS * ring.h) & (x >= ring.x) & (x + w <= ring.x + ring.w)
                & (y >= ring.y) & (y + h <= ring.y + ring.h))
        held[i] = False
        if any(_surrounds(ring, blobs[j]) for j in np.flatnonzero(held)):
            rings.add(i)
    if not rings:
        return blobs
    return [piece for i, b in enumerate(blobs) for piece in (_inside_the_ring(b) if i in rings else [b])]


#: On a page, PRINTED_RINGS or more thin closed rings (filling under PRINTED_RING_INK of their
#: box) of one size (within PRINTED_RING_SIZE, and a pixel) are an answer sheet's printed
#: bubbles, not zeros: a 10x6 grid of empty bubbles was read as ten '000000' at ok. Handwritten
#: zeros are seldom so thin, never so alike: 30 pages of validation digits (free, tables,
#: forms) hold at most two such rings in their free writing.
PRINTED_RINGS = 6
PRINTED_RING_INK = 0.35
PRINTED_RING_SIZE = 0.04


def without_printed_rings(blobs: list[Blob]) -> list[Blob]:
    """The blobs less an answer sheet's printed bubbles (see PRINTED_RINGS)."""
    rings = [b for b in blobs if b.area < PRINTED_RING_INK * b.w * b.h and has_loop(b)]
    if len(rings) < PRINTED_RINGS:
        return blobs
    sizes = np.array([(b.w, b.h) for b in rings], float)
    alike = [(np.abs(sizes - size) <= PRINTED_RING_SIZE * size + 1).all(axis=1) for size in sizes]
    printed = {id(rings[i]) for i, same in enumerate(alike) if same.sum() >= PRINTED_RINGS}
    return [b for b in blobs if id(b) not in printed]


def _surrounds(ring: Blob, other: Blob) -> bool:
    """Whether the ring's ink lies on three or four sides of the other blob's centre."""
    mask = ring.mask > 0
    cx, cy = int(other.cx) - ring.x, int(other.cy) - ring.y
    sides = (mask[cy, :cx], mask[cy, cx + 1 :], mask[:cy, cx], mask[cy + 1 :, cx])
    return sum(bool(side.any()) for side in sides) >= 3


def _inside_the_ring(ring: Blob) -> list[Blob]:
    """What of a ring's blob lies inside the ring: the writing it touches."""
    mask = (ring.mask > 0).astype(np.uint8)
    hull = np.zeros_like(mask)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(mask)), 1)
    depth = 2 * int(np.ceil(RING_DEPTH * stroke_width(ring.mask))) + 1
    inner = cv2.erode(hull, np.ones((depth, depth), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return [Blob(ring.x + b.x, ring.y + b.y, b.w, b.h, b.mask) for b in blobs_in(mask * inner * 255)]


def _beside_writing(blob: Blob, blobs: list[Blob]) -> bool:
    """Whether other blobs than specks lie in the field with this one (a digit cut out tightly
    can leave a speck of its own beside it)."""
    return any(b is not blob and (b.area >= 0.1 * blob.area or b.h >= 0.25 * blob.h) for b in blobs)


def _closeness(blobs: list[Blob], region: tuple[int, int, int, int]) -> np.ndarray:
    """1 at the centre of a field, falling to 0 at its corners: where a writer puts a number."""
    x0, y0, w, h = region
    centres = np.array([[b.cx, b.cy] for b in blobs])
    return 1.0 - np.hypot(*(centres - np.array([x0 + w / 2, y0 + h / 2])).T) / (np.hypot(w / 2, h / 2) + 1.0)


#: A blob at least this share of the digits' height may say how their line slants.
LINE_HEIGHT = 0.6


def main_line(blobs: list[Blob], height: float, region: tuple[int, int, int, int]) -> list[Blob]:
    """The blobs on the number's line: stray marks off that line are not part of the number.

    The line is anchored on big blobs near the field's centre, where a writer puts a number;
    it slants only as four or more big blobs say (any three make some line).
    """
    if len(blobs) < 2:
        return blobs
    areas = np.array([b.area if upright(b) else 0 for b in blobs], float)
    centres = np.array([[b.cx, b.cy] for b in blobs])
    # Only big blobs of the digits' height say how the line slants: a box's caption in its
    # corner, smaller and higher, drew it off the digits.
    big = (areas >= 0.4 * areas.max()) & (np.array([b.h for b in blobs]) >= LINE_HEIGHT * height)
    direction = np.array([1.0, 0.0])
    if big.sum() >= 4:
        picked = centres[big] - centres[big].mean(0)
        _, _, vt = np.linalg.svd(picked, full_matrices=False)
        if abs(vt[0][0]) >= 0.5:  # within 60° of horizontal
            direction = vt[0] if vt[0][0] > 0 else -vt[0]
    anchor = centres[int(np.argmax(areas * _closeness(blobs, region) ** 2))]
    normal = np.array([-direction[1], direction[0]])
    distance = np.abs((centres - anchor) @ normal)
    return [b for b, d in zip(blobs, distance) if d < 0.8 * max(height, 1.0)]


#: A flag is lower than this share of a digit ...
FLAG_HEIGHT = 0.4
#: ... sits with its middle in this top share of the digit it belongs to ...
FLAG_TOP = 0.2
#: ... and starts at most this many digit heights right of that digit's body. It may be as long
#: as this many digit heights: a quick flag often reaches well past the digit.
FLAG_REACH = 0.2
FLAG_LENGTH = 1.3
#: A bar left apart from its digit by a faint join comes within this many digit heights of its ink.
CAP_GAP = 0.2
#: Such a bar is at least this many times as wide as high, and lies over the digit with at
#: least this share of its columns (a dash before the number only touches its first columns).
CAP_FLAT = 1.2
CAP_SHARED = 0.4
#: ... and is written with the digit's pen: its strokes at least this share as wide as the
#: digit's (a box's printed caption over the digit is finer).
CAP_STROKE = 0.65


def attach_flags(blobs: list[Blob], height: float) -> list[Blob]:
    """Join a digit and the bar at its top before the bar is taken for a dash: a '5''s flag
    written as a second stroke, a short single stroke starting over its right half and
    reaching out past it (in the register cells about a quarter of the 5s are written so), and
    a '7''s or '5''s bar that a faint join left apart, lying on the top of a digit without a
    loop, its ink all but touching the digit's, written with its pen (read without it, a '7' is
    a '1', a '5' a '3' or '6'; a speck over an '0' and a caption's letters stay apart)."""
    bodies = [b for b in blobs if b.h >= 0.6 * height]
    flags_of: dict[int, list[Blob]] = {}  # id of a digit → its flags
    for mark in filter(lambda m: _flag_shaped(m, height), blobs):
        tops = [b for b in bodies if mark.cy <= b.y + FLAG_TOP * b.h]
        owners = [b for b in tops if b.x + 0.3 * b.w <= mark.x <= b.x + b.w + FLAG_REACH * height
                  and mark.x + mark.w >= b.x + b.w + 0.1 * height and b.y - 0.3 * height <= mark.y]
        if owners:
            owner = min(owners, key=lambda b: mark.x - (b.x + b.w))
            flags_of.setdefault(id(owner), []).append(mark)
            continue
        if mark.w < CAP_FLAT * mark.h:  # an open '4''s arm stands upright
            continue
        pen = stroke_width(mark.mask)
        caps = [b for b in tops if _lying_on(mark, b, CAP_GAP * height) and not has_loop(b)
                and pen >= CAP_STROKE * stroke_width(b.mask)]
        if len(caps) == 1:
            flags_of.setdefault(id(caps[0]), []).append(mark)
    return _with_parts(blobs, flags_of)


def _lying_on(mark: Blob, body: Blob, gap: float) -> bool:
    """Whether the mark lies over the body (CAP_SHARED) and its ink comes within `gap` pixels of the body's."""
    shared = min(mark.x + mark.w, body.x + body.w) - max(mark.x, body.x)
    if shared < CAP_SHARED * mark.w or mark.y + mark.h + gap < body.y:
        return False
    reach = max(1, round(gap))
    x0, y0 = min(mark.x, body.x) - reach, min(mark.y, body.y) - reach
    frame = np.zeros((max(mark.y + mark.h, body.y + body.h) - y0 + reach,
                      max(mark.x + mark.w, body.x + body.w) - x0 + reach), np.uint8)
    frame[mark.y - y0 : mark.y - y0 + mark.h, mark.x - x0 : mark.x - x0 + mark.w] = mark.mask
    grown = cv2.dilate(frame, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1)))
    near = grown[body.y - y0 : body.y - y0 + body.h, body.x - x0 : body.x - x0 + body.w]
    return bool(np.any((near > 0) & (body.mask > 0)))


def _side_gap(a: Blob, b: Blob) -> int:
    """Columns between two blobs side by side (negative where they overlap)."""
    return max(b.x - a.x - a.w, a.x - b.x - b.w)


def _with_parts(blobs: list[Blob], parts_of: dict[int, list[Blob]]) -> list[Blob]:
    """Each blob joined with the parts found to belong to it (by its id); the parts gone."""
    parts = {id(part) for found in parts_of.values() for part in found}
    return [functools.reduce(join, parts_of.get(id(b), []), b) for b in blobs if id(b) not in parts]


def _flag_shaped(mark: Blob, height: float) -> bool:
    """Small, not tall, and one stroke (a cheque's '=' is two)."""
    if not (max(2.0, 0.1 * height) <= mark.h < FLAG_HEIGHT * height
            and 0.2 * height <= mark.w <= FLAG_LENGTH * height and mark.w >= 0.8 * mark.h):
        return False
    return _pen_crossings(mark) <= 1.2


def drop_marks(blobs: list[Blob], height: float) -> list[Blob]:
    """Remove dots, commas, dashes and specks: marks that are no digit at this text size."""
    kept = []
    for blob in blobs:
        if blob.h < 0.4 * height and blob.w < 0.6 * height:
            continue  # dot, comma, speck
        if ((blob.h < 0.35 * height and blob.w >= blob.h * 1.5) or (blob.h < 0.5 * height and blob.w >= 2.5 * blob.h)) \
                and not ring_pieces(blob):
            continue  # dash, underline; small zeros in one stroke are none ('1.000')
        if blob.h > 3.0 * height or blob.w > 8 * height:
            continue  # scribble, stroke across the page
        kept.append(blob)
    return kept


def drop_punctuation(blobs: list[Blob], height: float) -> list[Blob]:
    """Commas, full stops and dashes next to digits, judged against the line the digits form.

    A mark sitting in the lower half of the line and shorter than a digit is a comma or full
    stop; a flat mark no taller than half a digit is a dash (cheque amounts end with one); a
    wide one starting below the line's middle underlines the number, however it swoops; a thin
    stroke ending above the middle is a tick, no '1' (a '1' stands on the line); a
    straight stroke at either end reaching far below the digits' feet is what is left of the
    column rule beside a register cell (a '1' stands on the line; a tall one rises above it).
    Small zeros written in one stroke low on the line ('1.000' after a tall '1') are no
    full stop or underline.
    """
    tall = [b for b in blobs if b.h >= 0.7 * height]
    if not tall:
        return blobs
    # The digits set the line; a swoosh as high as a digit under them does not.
    tall = [b for b in tall if b.w < 1.5 * b.h or _pen_crossings(b) >= RUN_CROSSINGS] or tall
    top = float(np.median([b.y for b in tall]))
    bottom = float(np.median([b.y + b.h for b in tall]))
    middle = top + 0.5 * (bottom - top)
    kept = []
    for blob in blobs:
        low = blob.y > middle and (blob.h < 0.6 * height or blob.w <= STROKE_WIDTH * blob.h)
        dash = blob.w >= 1.6 * blob.h and blob.h < 0.55 * height and not has_loop(blob)
        under = blob.y > middle and blob.w >= 1.5 * blob.h  # an underline's swoosh
        high = blob.y + blob.h < middle and blob.w <= STROKE_WIDTH * blob.h  # a tick above the line
        if not (low or dash or under or high) or ((low or under) and ring_pieces(blob)):
            kept.append(blob)
    remnants = _rule_remnants(kept, height)
    return [b for b in kept if not any(b is r for r in remnants)]


#: A stroke ending a number whose foot is this many digit heights below the other digits'
#: feet is a rule's remnant ...
RULE_DESCENT = 0.5
#: ... when it is no wider than this share of its height.
STROKE_WIDTH = 0.4


def _rule_remnants(blobs: list[Blob], height: float) -> list[Blob]:
    """The strokes at either end of the number that reach that far below the others' feet."""
    if len(blobs) < 2:
        return []
    remnants = []
    for end in (min(blobs, key=lambda b: b.x), max(blobs, key=lambda b: b.x + b.w)):
        feet = float(np.median([b.y + b.h for b in blobs if b is not end]))
        if end.w <= STROKE_WIDTH * end.h and end.y + end.h > feet + RULE_DESCENT * height:
            remnants.append(end)
    return remnants


def join(a: Blob, b: Blob) -> Blob:
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    x1, y1 = max(a.x + a.w, b.x + b.w), max(a.y + a.h, b.y + b.h)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    for blob in (a, b):
        region = mask[blob.y - y0 : blob.y - y0 + blob.h, blob.x - x0 : blob.x - x0 + blob.w]
        np.maximum(region, blob.mask, out=region)
    return Blob(x0, y0, x1 - x0, y1 - y0, mask)


def join_broken(blobs: list[Blob], height: float,
                belong: Callable[[Blob, Blob, float], bool] | None = None) -> list[Blob]:
    """Join pieces stacked in one column (a '5' and its detached bar, a broken '4') that
    `belong` together (by default `_belong_together`)."""
    belong = belong or _belong_together
    blobs = sorted(blobs, key=lambda b: b.x)
    i = 0
    while i < len(blobs):
        j = i + 1
        while j < len(blobs) and blobs[j].x < blobs[i].x + blobs[i].w:  # sorted by x: only overlaps
            a, b = blobs[i], blobs[j]
            if belong(a, b, height):
                blobs[i] = join(a, b)
                del blobs[j]
                j = i + 1  # the grown blob may now reach further pieces
            else:
                j += 1
        i += 1
    return blobs


#: Two pieces, each lower than this share of a digit, that together make a digit's height ...
FRAGMENT_HEIGHT = 0.7


def _halves_of_one_digit(a: Blob, b: Blob, height: float) -> bool:
    """... are one digit broken across (a faint stroke of a '6' or '3' lost in the scan) when
    stacked in one column and neither is flat (an underline under a digit stays apart)."""
    if not all(p.h < FRAGMENT_HEIGHT * height and p.w <= 2 * p.h for p in (a, b)):
        return False
    overlap, tall, gap = _stacking(a, b)
    return overlap > 0.5 * min(a.w, b.w) and gap <= 0.15 * height and 0.7 * height <= tall <= 1.25 * height


def _stacking(a: Blob, b: Blob) -> tuple[int, int, int]:
    """How two pieces sit: columns they share, rows the two span together, and the rows
    between them (negative where they overlap)."""
    overlap = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    top, bottom = min(a.y, b.y), max(a.y + a.h, b.y + b.h)
    gap = max(a.y, b.y) - min(a.y + a.h, b.y + b.h)
    return overlap, bottom - top, gap


def digit_pieces(blobs: list[Blob], height: float) -> list[Blob]:
    """Marks dropped and broken digits joined. A 5's flag and the halves of a digit broken across
    are joined first, so that neither is taken for a mark on its own; the arm of an open '4'
    last, once specks beside a digit (a caption's letters) are gone."""
    whole = join_broken(attach_flags(blobs, height), height, _halves_of_one_digit)
    return attach_arms(join_broken(drop_marks(whole, height), height), height)


#: An arm is lower than this share of a digit ...
ARM_HEIGHT = 0.6
#: ... ends at most this many digit heights left of the digit it belongs to ...
ARM_GAP = 0.1
#: ... and hangs from that digit's top, ending above this share of its height.
ARM_FOOT = 0.7


def attach_arms(blobs: list[Blob], height: float) -> list[Blob]:
    """Join a short upright stroke hanging from the top of the digit just right of it to that
    digit: the arm of an open '4' written apart from its stem, a lead-in tick. On its own it
    reads as a sure '1' or '6'. A flat stroke is a dash or the flag of the digit before."""
    bodies = [b for b in blobs if b.h >= 0.6 * height]
    arms_of: dict[int, list[Blob]] = {}  # id of a digit → its arms
    for piece in blobs:
        if not (piece.h < ARM_HEIGHT * height and piece.w < 0.8 * height and piece.h >= 0.7 * piece.w):
            continue
        beside = [b for b in bodies if b is not piece and b.y < piece.y + piece.h and piece.y < b.y + b.h]
        if not beside:
            continue
        body = min(beside, key=lambda b: _side_gap(piece, b))
        if (_side_gap(piece, body) <= ARM_GAP * height and body.cx > piece.cx and abs(piece.y - body.y) <= 0.25 * body.h
                and piece.y + piece.h <= body.y + ARM_FOOT * body.h):
            arms_of.setdefault(id(body), []).append(piece)
    return _with_parts(blobs, arms_of)


#: Two pieces whose rows overlap over this share of the shorter one's height lie side by side.
SIDE_BY_SIDE = 0.7
#: A detached piece this share of a digit tall or more is no bar or hook.
HOOK_HEIGHT = 0.9


def _belong_together(a: Blob, b: Blob, height: float) -> bool:
    overlap, tall, gap = _stacking(a, b)
    if tall > 1.35 * height or gap > 0.3 * height:
        return False
    if overlap > 0.5 * min(a.w, b.w):  # stacked in one column ...
        # ... unless side by side: a slanted '1' leaning over the next digit, a small '0' ('10')
        # or another '1' ('11')
        shorter, taller = sorted((a, b), key=lambda blob: blob.h)
        if -gap <= SIDE_BY_SIDE * shorter.h:
            return True
        leaning_one = taller.w <= taller.h and not has_loop(taller)
        return not (leaning_one and (shorter.h >= FRAGMENT_HEIGHT * height or has_loop(shorter)))
    # A detached bar or hook: a small piece reaching into the other's column range. A piece
    # nearly a digit tall is a digit of its own: a thin '1' leaning over the digit after it.
    piece = min(a, b, key=lambda blob: blob.area)
    small = piece.area < 0.35 * max(a.area, b.area) and piece.h < HOOK_HEIGHT * height
    return bool(small and overlap > 0.15 * min(a.w, b.w))


def reading_order(blobs: list[Blob]) -> list[Blob]:
    """Order along the writing direction, which may be slanted (a photo taken at an angle)."""
    if len(blobs) < 3:
        return sorted(blobs, key=lambda b: b.cx)
    centres = np.array([[b.cx, b.cy] for b in blobs])
    centred = centres - centres.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    direction = vt[0] if vt[0][0] >= 0 else -vt[0]
    if abs(direction[1]) > 0.87 * np.linalg.norm(direction):  # > 60°: a column, not a row
        direction = np.array([1.0, 0.0])
    return [blobs[i] for i in np.argsort(centred @ direction)]


def lines_of(blobs: list[Blob]) -> list[list[Blob]]:
    """Group blobs into text lines by vertical overlap, top to bottom."""
    lines: list[list[Blob]] = []
    spans: list[list[float]] = []
    for blob in sorted(blobs, key=lambda b: b.cy):
        for line, span in zip(lines, spans):
            overlap = min(span[1], blob.y + blob.h) - max(span[0], blob.y)
            if overlap > 0.5 * min(blob.h, span[1] - span[0]):
                line.append(blob)
                span[0], span[1] = min(span[0], blob.y), max(span[1], blob.y + blob.h)
                break
        else:
            lines.append([blob])
            spans.append([float(blob.y), float(blob.y + blob.h)])
    return [sorted(line, key=lambda b: b.x) for line in lines]


#: On free-form pages, a gap wider than this many digit heights starts a new number.
NUMBER_GAP = 0.9


def split_by_gaps(line: list[Blob], max_gap: float) -> list[list[Blob]]:
    """Cut a line into groups wherever the gap between neighbours is wider than max_gap."""
    numbers = [[line[0]]]
    for blob in line[1:]:
        right = max(b.x + b.w for b in numbers[-1])
        if blob.x - right > max_gap:
            numbers.append([blob])
        else:
            numbers[-1].append(blob)
    return numbers


def cut(blob: Blob, columns: list[int], shifts: np.ndarray | None = None) -> list[Blob]:
    """Cut a blob at the given columns; each piece is trimmed to its own ink. With `shifts`
    (see `_row_shifts`) the columns are those of the sheared blob: the cuts slant with the writing."""
    pieces = []
    h, w = blob.mask.shape
    shifts = np.zeros(h, int) if shifts is None else shifts
    along = np.arange(w)[None, :] + shifts[:, None]  # each pixel's column once sheared
    edges = [0, *columns, w + int(shifts.max())]
    for left, right in zip(edges, edges[1:]):
        piece = _part_of(blob, (along >= left) & (along < right))
        if piece is None:
            return []
        pieces.append(piece)
    return pieces


def _part_of(blob: Blob, where: np.ndarray) -> Blob | None:
    """The blob's ink where `where` holds (a boolean mask of its box), trimmed to that ink
    (None where there is none)."""
    part = np.where(where, blob.mask, 0).astype(blob.mask.dtype)
    ys, xs = np.nonzero(part)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return Blob(blob.x + int(x0), blob.y + int(y0), int(x1 - x0), int(y1 - y0), part[y0:y1, x0:x1].copy())


#: Slants tried for writing that leans (x shift per row, either way) ...
SLANTS = np.arange(-0.6, 0.61, 0.1)
#: ... and how much sharper than upright the columns of a slanted view must be to count.
SLANT_GAIN = 1.1


def _row_shifts(height: int, slant: float) -> np.ndarray:
    """Whole-pixel shift of each row that stands writing of this slant upright (none negative)."""
    shifts = np.round(slant * (np.arange(height) - (height - 1) / 2)).astype(int)
    return shifts - shifts.min()


def _sheared(ink: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    h, w = ink.shape
    out = np.zeros((h, w + int(shifts.max())), bool)
    out[np.repeat(np.arange(h), w), (shifts[:, None] + np.arange(w)).ravel()] = ink.ravel()
    return out


def _slant(ink: np.ndarray) -> float:
    """The slant that makes the strokes most upright: the sharpest column profile wins."""
    def sharpness(slant: float) -> float:
        columns = _sheared(ink, _row_shifts(ink.shape[0], slant)).sum(axis=0, dtype=np.float64)
        return float(np.square(np.diff(columns)).sum())

    best = max(SLANTS, key=sharpness)
    return float(best) if sharpness(best) > SLANT_GAIN * sharpness(0.0) else 0.0


#: A hole in the ink at least this share of the blob's height across (squared: its area) is
#: a digit's loop, the inside of an '0', '6', '8' or '9'; where two digits touch twice, the
#: hole they close between them is smaller.
LOOP_SIZE = 0.25


#: A blob is offered cuts beside its loops only when at least this many times as wide as tall.
LOOP_SIDE_WIDTH = 1.0
#: A cut piece narrower than this share of the blob's height is a sliver, no digit.
NARROWEST_PIECE = 0.15


def _beside_loops(cost: np.ndarray, loops: np.ndarray, margin: int) -> list[int]:
    """The cheapest column on each side of each loop, at least `margin` from the blob's sides: a
    '1' touching an '0' ('10', '100') meets it far from the pair's middle, which the loop fills."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loops.astype(np.int8), [0]])))
    picks = []
    for start, end in zip(edges[::2], edges[1::2]):
        for lo, hi in ((margin, start), (end, len(cost) - margin)):
            if hi > lo:
                picks.append(lo + int(np.argmin(cost[lo:hi])))
    return picks


def _holes(ink: np.ndarray, size: float) -> np.ndarray:
    """Stats rows [x, y, w, h, area] of the holes in the ink of at least size squared pixels, in
    the ink's columns and rows plus one (the paper around it is padded by a pixel)."""
    return _labelled_holes(ink, size)[1][:, :5]


def _labelled_holes(ink: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """The padded paper's labels and `_holes`' stats rows, the label of each in a last column."""
    paper = np.pad(~ink, 1, constant_values=True).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    holes = np.arange(count) != labels[0, 0]
    holes[0] = False
    holes &= stats[:, cv2.CC_STAT_AREA] >= size * size
    return labels, np.column_stack([stats, np.arange(count)])[holes]


def has_loop(blob: Blob) -> bool:
    """Whether the blob closes a digit's loop: a small, flat '0' is no dash."""
    return len(_holes(blob.mask > 0, LOOP_SIZE * blob.h)) > 0


def holes(blob: Blob) -> int:
    """Every hole in the blob's ink, however small: a digit closes two loops at most, and may
    keep a pinhole or two; noise that joins up into one blob is full of them."""
    return len(_holes(blob.mask > 0, 1))


def _loop_columns(ink: np.ndarray, size: float) -> np.ndarray:
    """Per column, whether it crosses the inside of a loop: a cut there halves a digit
    (touching cursive zeros cut through a loop read as '2's and '7's)."""
    inside = np.zeros(ink.shape[1], bool)
    for x, _, w, _, _ in _holes(ink, size):
        inside[max(0, x) : x + w - 2] = True  # padded x - 1 is the hole's first column; its edges stay cuttable
    return inside


#: A blob narrower than this share of its height (or of the typical digit's) is, by default, one
#: digit, never cut.
CUT_WIDTH = 0.95
#: The most digits one blob is cut into: a cheque's '70000' or '10000' is written in one stroke.
MOST_PIECES = 6
#: Pieces whose first is under this share of the blob's height take off the lead-in stroke of a
#: European '1' (up from its lower left), not a digit: the stroke alone reads as a sure '4' or
#: '5' ('1' read '41'). Digits joined in one blob stand about as tall as each other. On the
#: development scans every such cut was wrong (12 register cells, 10 cheques).
LEAD_IN_PIECE = 0.6


#: A blob under this many pixels tall is read whole: cut in two, its pieces are specks the model
#: reads as anything (a register's 9x8 px '0' was read as '13').
SMALLEST_CUT = 12


#: An underline runs along the foot of the digits it touches: rows in this bottom share of
#: the blob ...
UNDERLINE_BAND = 0.4
#: ... with one run of ink across this share of its width (a '2''s foot spans one digit) ...
UNDERLINE_SPAN = 0.7
#: ... in a band this share of its height thick at most, with at most this share of the ink
#: beneath it.
UNDERLINE_THICK = 0.2
UNDERLINE_BELOW = 0.01
#: The ends of the line, this share of its length each, may droop.
UNDERLINE_ENDS = 0.2
#: Slopes of the line tried, in rows per column (level first).
UNDERLINE_SLOPES = (0.0, 0.1, -0.1, 0.2, -0.2, 0.3, -0.3)


def without_underline(blob: Blob) -> list[Blob]:
    """The digits of a blob that an underline joins, apart ([] when it has none): register cells
    underline their number, and the line touches the feet of its digits. The line may slope
    (a quick swoosh). Pieces of it left beside the digits are dropped; the classifier judges
    this reading against the others."""
    for slope in UNDERLINE_SLOPES:
        shifts = np.round(slope * np.arange(blob.w)).astype(int)
        shifts -= shifts.min()
        sheared = _sheared((blob.mask > 0).T, shifts).T  # each column moved down by its shift
        line = _underline(sheared, blob.w)
        if line is None:
            continue
        (first, last), (start, end) = line
        sheared[max(0, first - 1) : last + 2, start:end] = False
        unsheared = sheared[np.arange(blob.h)[:, None] + shifts, np.arange(blob.w)]
        kept = np.where(unsheared, blob.mask, 0).astype(blob.mask.dtype)
        pieces = [piece for piece in blobs_in(kept) if piece.h >= 0.4 * blob.h]
        if len(pieces) == 1 or slope:
            # Under one digit, a line that does not reach past both its sides is its foot (a
            # '2''s), and so is a sloping one under several: a quick '2''s foot rises into the
            # next digit.
            above = np.flatnonzero(sheared[: max(0, first - 1)].any(axis=0))
            if not above.size or start >= above[0] or end - 1 <= above[-1]:
                return []
        return [Blob(blob.x + p.x, blob.y + p.y, p.w, p.h, p.mask) for p in sorted(pieces, key=lambda p: p.x)]
    return []


def _underline(ink: np.ndarray, width: int) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Rows and columns of a level underline along the foot of the ink, if it has one."""
    rows_with_ink = np.flatnonzero(ink.any(axis=1))
    if not rows_with_ink.size:
        return None
    top_row, bottom_row = rows_with_ink[0], rows_with_ink[-1] + 1
    height = bottom_row - top_row
    top = bottom_row - int(UNDERLINE_BAND * height)
    bridged = cv2.morphologyEx(ink[top:bottom_row].astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 3), np.uint8))
    runs = [_longest_run(row) for row in bridged]
    rows = [top + i for i, (length, _, _) in enumerate(runs) if length >= UNDERLINE_SPAN * width]
    if not rows or rows[-1] - rows[0] + 1 > UNDERLINE_THICK * height:
        return None
    start = min(runs[r - top][1] for r in rows)
    end = max(runs[r - top][2] for r in rows)
    # Beneath the line's middle, at most a speck: a '4''s bar has its stem going on below
    # it, where an underline's swoosh only droops at its ends.
    middle = slice(start + int(UNDERLINE_ENDS * (end - start)), end - int(UNDERLINE_ENDS * (end - start)))
    if ink[rows[-1] + 2 :, middle].sum() > UNDERLINE_BELOW * ink.sum():
        return None
    return (rows[0], rows[-1]), (start, end)


def _longest_run(row: np.ndarray) -> tuple[int, int, int]:
    """Length, first and last-plus-one column of the longest run of ink in a row."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(np.int8), [0]])))
    if not edges.size:
        return 0, 0, 0
    lengths = edges[1::2] - edges[::2]
    longest = int(np.argmax(lengths))
    return int(lengths[longest]), int(edges[2 * longest]), int(edges[2 * longest + 1])


#: A blob at least this many times as wide as tall may be a chain of zeros written joined
#: ('1.000', '15.000'): its loops, each at least RING_HOLE of its height tall, stand side by
#: side, sharing at most RING_OVERLAP pen widths of columns (zeros that lean and touch share a
#: slanting wall; an '8''s loops stand one over the other), and what lies outside their rings
#: (RING_WALLS pen widths round each loop: the loop's own wall, not the strokes leaving it)
#: are joining strokes, each under RING_LEFTOVER of its height: a '6' or '9''s stem or a '1' is
#: taller. Zeros overlapping one another make crescents and lenses, not rings, and are left to
#: the cuts.
RING_CHAIN_WIDTH = 1.2
RING_HOLE = 0.4
RING_OVERLAP = 1.0
RING_WALLS = 1.0
RING_LEFTOVER = 0.5


def ring_pieces(blob: Blob) -> list[Blob]:
    """A chain of zeros joined by their strokes, each zero its loop's ring without them ([]
    when the blob is no such chain). Cut upright, a cursive zero keeps the stroke into the
    next and reads as an '8', '6' or '2'."""
    ink = blob.mask > 0
    if blob.w < RING_CHAIN_WIDTH * blob.h:
        return []
    labels, found = _labelled_holes(ink, LOOP_SIZE * blob.h)
    found = found[np.argsort(found[:, 0])]
    pen = stroke_width(blob.mask)
    gaps = found[1:, 0] - (found[:-1, 0] + found[:-1, 2])
    if (not 2 <= len(found) <= MOST_PIECES or (found[:, 3] < RING_HOLE * blob.h).any()
            or (gaps < -RING_OVERLAP * pen).any()):
        return []  # noise joined into one blob is full of holes
    walls = 2 * int(np.ceil(RING_WALLS * pen)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (walls, walls))
    rings = [cv2.dilate((labels[1:-1, 1:-1] == label).astype(np.uint8), kernel).astype(bool) & ink
             for label in found[:, -1]]
    leftover = ink & ~np.logical_or.reduce(rings)
    if any(piece.h >= RING_LEFTOVER * blob.h for piece in blobs_in(leftover.astype(np.uint8) * 255)):
        return []
    return [piece for ring in rings if (piece := _part_of(blob, ring)) is not None]


def split_hypotheses(blob: Blob, height: float, narrowest: float = CUT_WIDTH) -> list[list[Blob]]:
    """Ways to read a blob: whole, without an underline joining its digits, and if it is wide
    for one digit, cut into 2..MOST_PIECES digits, with upright cuts and, for writing that
    leans, with cuts along its slant too: upright cuts through a leaning pair take a piece of
    one digit with the other (the classifier picks)."""
    hypotheses = [[blob]]
    if blob.h < SMALLEST_CUT:
        return hypotheses
    apart = without_underline(blob)
    if apart and not _lead_in_off(apart, blob):
        hypotheses.append(apart)
    rings = ring_pieces(blob)
    if rings:
        hypotheses.append(rings)
    if blob.w < narrowest * max(blob.h, 0.6 * height):
        return hypotheses
    ink = blob.mask > 0
    unshifted = np.zeros(blob.h, int)
    hypotheses += _cuts(blob, ink, unshifted, height)
    slant = _slant(ink)
    if slant:
        shifts = _row_shifts(blob.h, slant)
        hypotheses += _cuts(blob, _sheared(ink, shifts), shifts, height)
    return hypotheses


def _cuts(blob: Blob, ink: np.ndarray, shifts: np.ndarray, height: float) -> list[list[Blob]]:
    """Cuts into 2..MOST_PIECES pieces at the cheapest columns of `ink` (the blob, sheared by
    `shifts`) near equal spacing."""
    hypotheses = []
    width = ink.shape[1]
    profile = ink.sum(axis=0).astype(float)
    inked = np.flatnonzero(profile)
    ink_start, ink_width = int(inked[0]), int(inked[-1] - inked[0] + 1)
    runs = np.maximum(1, runs_per_column(ink))
    # Touching digits meet in one stroke; the middle of an '0' or '8' crosses two or more.
    cost = np.convolve(profile * runs, np.ones(3) / 3, mode="same")
    loops = _loop_columns(ink, LOOP_SIZE * blob.h)
    most = min(MOST_PIECES, max(2, int(round(blob.w / (0.45 * max(blob.h, height))))))
    for parts in range(2, most + 1):
        # Three or more pieces are spaced over the ink: sheared, a blob's image is wider than its
        # ink by its slant, and cuts spaced over the image fall short of its first digit and past
        # its last (a cheque's '6006' was read '366'). A pair's cut keeps to the image's middle,
        # with its next-best places: spaced about the ink, register cells read 13 fewer ('21' read '24').
        first, span = (ink_start, ink_width) if parts > 2 else (0, width)
        window = 0.35 * span / parts
        options: list[list[int]] = [[]]
        for k in range(1, parts):
            centre = first + span * k / parts
            lo, hi = int(max(first + 1, centre - window)), int(min(first + span - 1, centre + window))
            if hi <= lo:
                options = []
                break
            penalty = (cost[lo:hi] + 0.25 * cost.max() * np.abs(np.arange(lo, hi) - centre) / window
                       + 2 * cost.max() * loops[lo:hi])
            best = np.argsort(penalty)
            picks = [lo + int(best[0])]
            if parts == 2:  # offer the next-best, well-separated cuts too
                picks += [lo + int(b) for b in best[1:] if min(abs(lo + int(b) - p) for p in picks) > 0.1 * width][:2]
                if blob.w >= LOOP_SIDE_WIDTH * blob.h:  # as wide as a pair: a lone '0' or '9' is narrower
                    margin = int(np.ceil(NARROWEST_PIECE * blob.h))
                    picks += [p for p in _beside_loops(cost, loops, margin) if p not in picks]
            options = [o + [p] for o in options for p in picks]
        for columns in options:
            if columns == sorted(set(columns)) and not loops[columns].any():
                pieces = cut(blob, columns, shifts)
                # Touching digits are of a height: a flag, hook, tail or lead-in cut off is not a digit.
                if (len(pieces) == parts and not _lead_in_off(pieces, blob)
                        and all(p.h >= 0.4 * blob.h and p.w >= NARROWEST_PIECE * blob.h for p in pieces)):
                    hypotheses.append(pieces)
    return hypotheses


def _lead_in_off(pieces: list[Blob], blob: Blob) -> bool:
    """Whether the first of several pieces of `blob` is a lead-in stroke (LEAD_IN_PIECE)."""
    return len(pieces) > 1 and pieces[0].h < LEAD_IN_PIECE * blob.h


#: A field holding only blobs under SPECK_SIDE pixels high, or of under SPECK_AREA pixels of
#: ink, is empty: the specks of its paper, or a dash of a rule, would be read as its number.
#: The smallest digits read are 8 pixels high, a '1' that small 16 pixels of ink.
SPECK_SIDE = 5
SPECK_AREA = 12


def _speck(blob: Blob) -> bool:
    return blob.h < SPECK_SIDE or blob.area < SPECK_AREA


#: What a cut leaves of a grid in a cut-out cell: pieces of its rules and margins, all along
#: the image's sides. A cell holding nothing else is empty; alone, a rule's end reads as a sure
#: '1' and a corner as a '7'. Such a piece is thin (at most RULE_END_THIN as wide as long, and
#: RULE_END_ACROSS of the image across) and upright along the image's left or right side, or
#: within RULE_END_STRIP of the image's width from it and running out of its top or bottom (a
#: '1' written near the side stands clear of the edges); or at most RULE_END_ACROSS of the
#: image's height and touching its top or bottom; or it runs from top to bottom along one
#: side, at most MARGIN_STRIP of the width (a margin); or it runs out of the image's top or
#: bottom within RULE_END_STRIP of a side (a turned cell's frame breaks into corners a few
#: pixels in from the sides), fills under FRAME_INK of its box, and is a corner itself: straight
#: runs over CORNER_RUN of its width and of its height, each within 1/CORNER_BAND of its box's
#: sides (the rules run on past the rules across them); or it reaches three of the image's
#: edges, fills under FRAME_AROUND_INK of its box and runs straight along three of its sides: a
#: small cell's frame. A piece in a corner of the image, within RULE_END_STRIP of its shorter
#: side (plus a pixel) from a side and from its top or bottom, at most CORNER_PIECE of the
#: image each way and CORNER_INK of its area, that runs straight along two sides of its box (or
#: is one straight stroke) is what the cut left where two rules meet, however much of its box it
#: fills: thick rules blurred by the scan fill a small corner's box well past FRAME_INK (empty
#: cells read '7' or '1'). (In the narrow image of a '1' cut out tightly, every piece is by a
#: side; a broken stroke's piece is far more of it.)
RULE_END_THIN = 0.3
RULE_END_ACROSS = 0.1
RULE_END_STRIP = 0.06
MARGIN_STRIP = 0.3
CORNER_RUN = 0.9
CORNER_BAND = 6
CORNER_PIECE = 0.5
CORNER_INK = 0.03


def _rule_end(blob: Blob, region: tuple[int, int, int, int]) -> bool:
    """Whether the blob is what a cut left of the grid's rules at the field's edges."""
    _, _, w, h = region
    edges = top, bottom, left, right = _edges_touched(blob, region)
    if _thin_by_a_side(blob, region) and any(edges):
        return True
    if blob.h <= RULE_END_ACROSS * h and (top or bottom):
        return True
    if top and bottom and (left or right) and blob.w <= MARGIN_STRIP * w:
        return True
    if _shaped_like_a_frame(blob, edges) and sum(_ruled_sides(blob.mask > 0)) >= 3:
        return True  # the box's frame, its rules thick beside a small cell
    return _rule_corner(blob, region) or _in_a_corner(blob, region)


def _in_a_corner(blob: Blob, region: tuple[int, int, int, int]) -> bool:
    """A small piece of ruling in one of the image's corners (see RULE_END_STRIP)."""
    _, y0, w, h = region
    reach = RULE_END_STRIP * min(w, h) + 1
    by_top_or_bottom = blob.y <= y0 + reach or blob.y + blob.h >= y0 + h - reach
    small = blob.w <= CORNER_PIECE * w and blob.h <= CORNER_PIECE * h and blob.area <= CORNER_INK * w * h
    return by_top_or_bottom and small and _by_a_side(blob, region, reach) and _ruled_corner(blob.mask > 0)


def _thin_by_a_side(blob: Blob, region: tuple[int, int, int, int]) -> bool:
    """Thin and upright, within RULE_END_STRIP of the image's left or right side."""
    w = region[2]
    return (blob.w <= RULE_END_THIN * blob.h and blob.w <= RULE_END_ACROSS * w
            and _by_a_side(blob, region, RULE_END_STRIP * w))


def _rule_corner(blob: Blob, region: tuple[int, int, int, int]) -> bool:
    """Two rules meeting where the image's top or bottom meets a side: sparse ink in an L."""
    top, bottom, _, _ = _edges_touched(blob, region)
    sparse = blob.area < FRAME_INK * blob.w * blob.h
    by_a_side = _by_a_side(blob, region, RULE_END_STRIP * region[2])
    return (top or bottom) and by_a_side and sparse and _ruled_corner(blob.mask > 0)


#: A piece at an end of the number that runs from the image's top to its bottom along its side,
#: at least SIDE_RULE_TALL times as tall as the digits beside it, is what is left of the cell's
#: side rule (with the stubs of the rules across): read, it adds a '1' ('61' read '161'). A
#: cheque's digit cut at the image's side is about as tall as the others. Within RULE_END_STRIP
#: of the side but off it, such a piece must also fill under SIDE_RULE_INK of its box: a
#: cheque's '9' with a long tail runs the height too, and is denser than a rule with stubs.
#: So are a thin stub by a side that runs out of the image and well past the digits' line (the
#: end of a turned cell's side rule) and the corner where two of its rules meet.
SIDE_RULE_TALL = 1.7
SIDE_RULE_INK = 0.3
#: ... and so is a piece within RULE_END_STRIP of the side at most this share of its height
#: wide: a rule's hairline, straighter than a pen's '1'.
SIDE_RULE_HAIRLINE = 0.08
#: ... and so is a piece the image's left or right side cuts that is at most this share of its
#: height wide, however short: the stub of a rule the cut ran along. A cheque's '1' cut by the
#: side leans, and is wider.
SIDE_RULE_STUB = 0.15


def _without_side_rule_remnants(blobs: list[Blob], region: tuple[int, int, int, int]) -> list[Blob]:
    """The number's blobs less what is left of the cell's side rules at its two ends."""
    if len(blobs) < 2:
        return blobs
    ordered = sorted(blobs, key=lambda b: b.x)
    digits = float(np.median([b.h for b in ordered[1:-1]] or [min(ordered[0].h, ordered[-1].h)]))

    def side_rule(blob: Blob) -> bool:
        edges = top, bottom, left, right = _edges_touched(blob, region)
        near = _by_a_side(blob, region, RULE_END_STRIP * region[2])
        if blob.w <= SIDE_RULE_HAIRLINE * blob.h:
            return near
        if (left or right) and blob.w <= SIDE_RULE_STUB * blob.h:
            return True
        if _rule_corner(blob, region) or (any(edges) and _thin_by_a_side(blob, region) and _off_the_line(blob, ordered)):
            return True
        sparse = left or right or (near and blob.area < SIDE_RULE_INK * blob.w * blob.h)
        return top and bottom and sparse and blob.h >= SIDE_RULE_TALL * digits

    ends = {id(b) for b in (ordered[0], ordered[-1]) if side_rule(b)}
    return [b for b in blobs if id(b) not in ends] or blobs


def _off_the_line(blob: Blob, blobs: list[Blob]) -> bool:
    """Reaching over ONE_FOOT of a digit's height above or below the line the other blobs stand
    on: a rule's stub passes the digits, a '1' stands on their line."""
    others = [b for b in blobs if b is not blob]
    height = float(np.median([b.h for b in others]))
    heads, feet = float(np.median([b.y for b in others])), float(np.median([b.y + b.h for b in others]))
    return blob.y < heads - ONE_FOOT * height or blob.y + blob.h > feet + ONE_FOOT * height


def _by_a_side(blob: Blob, region: tuple[int, int, int, int], reach: float) -> bool:
    """Whether the blob comes within `reach` pixels of the field's left or right side."""
    x0, _, w, _ = region
    return blob.x <= x0 + reach or blob.x + blob.w >= x0 + w - reach


def _ruled_sides(ink: np.ndarray) -> tuple[bool, bool, bool, bool]:
    """Whether the ink runs straight along its box's top, bottom, left and right side."""
    h, w = ink.shape
    band_h, band_w = max(2, h // CORNER_BAND), max(2, w // CORNER_BAND)
    top, bottom = (ink[rows].any(0).mean() >= CORNER_RUN for rows in (slice(0, band_h), slice(h - band_h, h)))
    left, right = (ink[:, cols].any(1).mean() >= CORNER_RUN for cols in (slice(0, band_w), slice(w - band_w, w)))
    return top, bottom, left, right


def _ruled_corner(ink: np.ndarray) -> bool:
    """Whether the ink runs straight along one of its box's top and bottom, and one of its
    sides: an L of two rules (a digit's bar spans its width, but no stroke runs down a side)."""
    top, bottom, left, right = _ruled_sides(ink)
    return (top or bottom) and (left or right)


#: In a field, a gap wider than this many digit heights separates the number from stray writing.
FIELD_GAP = 0.9


#: Writing set apart by such a gap is a neighbour's only if it is cut by the image's side
#: or smaller than this share of a digit: a cheque's thousands group after a dot is a whole,
#: full-size number part, even when the amount is cropped close to it.
STRAY_HEIGHT = 0.75
#: Straight strokes alone within this many pixels of the side are the cell's rule (a cut-out
#: register cell keeps a sliver of it), not a '1'.
STRAY_MARGIN = 5


def _at_side(group: list[Blob], region: tuple[int, int, int, int]) -> bool:
    """Cut by the image's side, as a neighbour's writing is. A group at least as wide as its
    digits are tall is a part of the number itself that the crop ran close to (the '40' of a
    cheque's '40.000' starting at the edge): a stray is a digit or less."""
    left, right = min(b.x for b in group), max(b.x + b.w for b in group)
    if right - left >= max(b.h for b in group):
        return False
    x0, _, w, _ = region
    strokes = all(b.w <= STROKE_WIDTH * b.h for b in group)
    margin = STRAY_MARGIN if strokes else 1
    return any(b.x <= x0 + margin or b.x + b.w >= x0 + w - margin for b in group)


def _one_per_cell(blobs: list[Blob], left: int, cell_width: float) -> list[Blob]:
    """A comb's blobs joined per cell (from `left`, `cell_width` wide): a cell holds one digit. A
    small '5' written in two strokes left two pieces under the digits' height, each dropped as a
    mark, and the comb's number one digit short."""
    cells: dict[int, list[Blob]] = {}
    for blob in blobs:
        if _speck(blob):
            continue  # what the comb's rules left, gathered with the cell's digit, widened its crop
        cells.setdefault(int((blob.cx - left) // cell_width), []).append(blob)
    return [functools.reduce(join, pieces) for pieces in cells.values()]


#: A form prints a caption in the top-left corner of its boxes ("Date", "Amount"): print in a
#: box's top CAPTION_HIGH and left CAPTION_WIDE, no taller than CAPTION_PRINT of the box, clear
#: of the corner's edges. A digit written under it can touch it and take its letters into its
#: crop ('10' read '70', '98' read '798'; the first digit of 5% of the numbers on forms
#: photographed on a desk). Where a caption stands alone, it is known; where it touches a digit,
#: it stands where the form's other boxes have theirs (their median, from CAPTION_BOXES boxes at
#: least). Its strokes are the ink there that a 3x3 opening erases (CAPTION_MARGIN pixels round
#: it too): print is thinner than handwriting, which stays.
CAPTION_HIGH = 0.45
CAPTION_WIDE = 0.4
CAPTION_PRINT = 0.25
CAPTION_BOXES = 2
CAPTION_MARGIN = 2
_PRINT_STROKE = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))


def _caption_in(ink: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """The box's caption where it stands alone (x0, y0, x1, y1 from the box's top-left corner),
    or the part of it that does."""
    x, y, w, h = box
    corner_w, corner_h = int(CAPTION_WIDE * w), int(CAPTION_HIGH * h)
    print_ = [b for b in blobs_in(ink, (x, y, corner_w, corner_h))
              if b.h <= CAPTION_PRINT * h and b.x + b.w < x + corner_w - 1 and b.y + b.h < y + corner_h - 1]
    if not print_:
        return None
    px, py, pw, ph = bounding_box(print_)
    return px - x, py - y, px - x + pw + ph, py - y + ph  # and a letter on: the one a digit may touch


def without_captions(ink: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The ink with the boxes' printed captions taken out (a copy; the ink itself where the form
    prints none)."""
    found = [_caption_in(ink, box) for box in boxes]
    known = [place for place in found if place is not None]
    if len(known) < CAPTION_BOXES:
        return ink
    usual = tuple(int(v) for v in np.median(np.array(known), axis=0))
    out = ink.copy()
    for (x, y, _, _), place in zip(boxes, found):
        dx0, dy0, dx1, dy1 = place or usual
        top, left = max(0, y + dy0 - CAPTION_MARGIN), max(0, x + dx0 - CAPTION_MARGIN)
        area = out[top : y + dy1 + CAPTION_MARGIN, left : x + dx1 + CAPTION_MARGIN]
        handwriting = cv2.dilate(cv2.morphologyEx(area, cv2.MORPH_OPEN, _PRINT_STROKE), _PRINT_STROKE)
        np.minimum(area, handwriting, out=area)
    return out


def numbers_in_field(ink: np.ndarray, region: tuple[int, int, int, int], field_id: str,
                     cut_out: bool = False, cell_width: float = 0.0) -> list[NumberCandidate]:
    """All ink of a field is one number; `cut_out` when the image is a field cut from a page,
    `cell_width` when the field is a comb of one-digit cells that wide."""
    blobs = without_rings(drop_rule_slivers(blobs_in(ink, region, spill=0 if cut_out else region[3] // 2), region))
    height = typical_height(blobs, region)
    blobs = digit_pieces(blobs, height)
    if cell_width:
        blobs = _one_per_cell(blobs, region[0], cell_width)
    if not blobs:
        return []
    height = typical_height(blobs)
    blobs = drop_punctuation(main_line(blobs, height, region), height)
    if not blobs:
        return []
    if cut_out:
        # A cut-out cell holds one number: writing from a neighbouring cell that strays in is
        # set apart by a wide gap, holds less ink than the number, and is cut by the side.
        groups = split_by_gaps(sorted(blobs, key=lambda b: b.x), FIELD_GAP * height)
        main = max(groups, key=lambda group: sum(b.area for b in group))
        blobs = [b for group in groups if group is main or (not _at_side(group, region)
                 and max(b.h for b in group) >= STRAY_HEIGHT * height) for b in group]
        blobs = _without_side_rule_remnants(blobs, region)
    if all(_speck(b) or (cut_out and _rule_end(b, region)) for b in blobs):
        return []  # specks of paper, what a cut left of the grid: an empty cell
    ordered = reading_order(blobs)
    return [NumberCandidate(field_id, ordered, height, cell_width)]


#: A stroke across this share of a page's height (or width), at most PAGE_LINE_WIDTH of that
#: length across, is a line (a notebook's margin, a fold, a scanner's streak) too faint to be
#: taken for a rule: never writing. Left in, it would outweigh every digit of the page.
PAGE_LINE = 0.3
PAGE_LINE_WIDTH = 0.1
#: Broken into dashes, such a line's pieces are at most this share of the page's height across.
PAGE_LINE_PIECE = 1 / 300


def _page_lines(blobs: list[Blob], page: tuple[int, ...]) -> list[Blob]:
    whole = [b for b in blobs if (b.h >= PAGE_LINE * page[0] and b.w <= PAGE_LINE_WIDTH * b.h)
             or (b.w >= PAGE_LINE * page[1] and b.h <= PAGE_LINE_WIDTH * b.w)]
    return whole + broken_rule(blobs, page[0], widest=max(3.0, PAGE_LINE_PIECE * page[0]))


def numbers_in_free_text(ink: np.ndarray, min_height: float = 0.0, prefix: str = "line") -> list[NumberCandidate]:
    """Free-form ink: lines by vertical overlap, numbers by horizontal gaps.

    `min_height` drops writing much smaller than the handwriting in the page's fields: printed
    labels and captions of a form.
    """
    blobs = [b for b in blobs_in(ink) if b.h >= min_height]
    lines = _page_lines(blobs, ink.shape)
    blobs = without_printed_rings(without_rings([b for b in blobs if not any(b is line for line in lines)]))
    if not blobs:
        return []
    height = typical_height(blobs)
    blobs = digit_pieces(blobs, height)
    numbers = []
    for index, line in enumerate(lines_of(blobs), start=1):
        line_height = typical_height(line)
        line = drop_punctuation(line, line_height)
        if not line:
            continue
        for group in split_by_gaps(line, NUMBER_GAP * line_height):
            numbers.append(NumberCandidate(f"{prefix}{index}", group, line_height))
    return numbers
