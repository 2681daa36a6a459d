"""Form structure: ruled lines, boxes, comb fields; and taking the rules out of the ink.

A field is a region whose ink is one number (a box, a comb of one-digit cells, or the whole
image when the image is one field). Ink outside boxes is left to `segment` to group into lines.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .cleanup import components, components_mask, components_touching, solidity


@dataclass
class Field:
    """A region of the page read as one number; (x, y, w, h) in deskewed page pixels."""

    kind: str  # "box", "comb", "image" (the whole image is one field)
    x: int
    y: int
    w: int
    h: int
    cells: int = 1


#: A horizontal rule broken into dashes this many pixels apart (a worn or speckled print)
#: is still one rule.
RULE_GAP = 2


def rule_masks(ink: np.ndarray, min_horizontal: int, min_vertical: int,
               vertical_gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rules: straight ink runs at least this long in one direction,
    horizontal ones bridging gaps of RULE_GAP pixels, vertical ones of `vertical_gap`."""
    return _runs(ink, (min_horizontal, 1), RULE_GAP), _runs(ink, (1, min_vertical), vertical_gap)


def _runs(ink: np.ndarray, size: tuple[int, int], gap: int, sideways: int = 0) -> np.ndarray:
    """Ink runs at least `size` (width, height) long, across gaps of `gap` pixels along them and
    drifting up to `sideways` pixels across them. An image shorter than that has none: an
    opening takes the outside for ink, and would make a postal digit's stroke from edge to edge
    a rule."""
    if size[0] > ink.shape[1] or size[1] > ink.shape[0]:
        return np.zeros_like(ink)
    along, across = ((1, gap + 1), (2 * sideways + 1, 1)) if size[0] > 1 else ((gap + 1, 1), (1, 2 * sideways + 1))
    source = cv2.dilate(ink, np.ones(along, np.uint8)) if gap else ink
    source = cv2.dilate(source, np.ones(across, np.uint8)) if sideways else source
    opened = cv2.morphologyEx(source, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    return cv2.bitwise_and(opened, ink) if gap or sideways else opened


#: A long light rule on a page, binarized into dashes, is still one across gaps this long.
LIGHT_RULE_GAP = 6

#: A run "meets" a rule within this many pixels of it.
MEETING_REACH = 3


#: A short run meeting upright runs at both ends is a box's top, unless it is over this many
#: times as thick as the page's long rules: the bar of a bold '7' whose hook and stem go down.
BOLD_STROKE = 2.0


def box_tops(horizontal: np.ndarray, vertical: np.ndarray, ink: np.ndarray, long_enough: int) -> np.ndarray:
    """Horizontal runs that are rules: very long, meeting vertical runs at both ends (the top or
    foot of a box, a cell's edge between two column rules), or much longer than the writing
    they touch is tall (a short underline with a number on it).

    A '5' or '7' written large, or a bold '0', has a straight stroke as long as a short rule,
    part of a glyph about as tall as it is wide; a bold '7' with a hook meets upright runs at
    both ends of its bar, but its bar is far thicker than the page's rules.
    """
    count, labels, stats = components(horizontal)
    tops = horizontal.copy()
    height, width = horizontal.shape
    reach = MEETING_REACH
    ink_components = None
    long_rules = stats[1:, 3][stats[1:, 2] >= long_enough]
    thickest = BOLD_STROKE * float(np.median(long_rules)) if long_rules.size else float("inf")
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if w >= long_enough:
            continue
        rows = slice(max(0, y - reach), min(height, y + h + reach))
        ends = (slice(max(0, x - reach), x + reach + 1), slice(max(0, x + w - 1 - reach), min(width, x + w + reach)))
        if all(vertical[rows, end].any() for end in ends) and h <= thickest:
            continue
        own = labels[y : y + h, x : x + w] == label
        if ink_components is None:  # labelled once, only if some run needs it
            ink_components = components(ink)
        top, bottom = _ink_extent(ink_components, own, x, y)
        if w < RULE_OVER_WRITING * (bottom - top):
            tops[y : y + h, x : x + w][own] = 0
    return tops


def _ink_extent(ink_components: tuple[int, np.ndarray, np.ndarray], own: np.ndarray, x: int, y: int) -> tuple[int, int]:
    """Top and bottom row of the ink components under a run (`own`, its mask at x, y)."""
    _, ink_labels, ink_stats = ink_components
    h, w = own.shape
    under = np.unique(ink_labels[y : y + h, x : x + w][own])
    under = under[under > 0]
    if not under.size:
        return y, y + h
    return int(ink_stats[under, 1].min()), int((ink_stats[under, 1] + ink_stats[under, 3]).max())


#: A short vertical run standing on a rule is a comb's tooth if it is one of at least TEETH
#: runs of one height (within TOOTH_HEIGHT: printed ticks) standing on that rule in a row at
#: even spacing (gaps within TOOTH_SPACING of each other), at most TOOTH_GAP of their height
#: apart (a comb's cells are about a digit wide); '1's written on a ruled line are not, even
#: where three of them, in different numbers, happen to stand evenly spaced (notebook pages
#: lost their stems: '1358' read '358').
TEETH = 3
TOOTH_HEIGHT = 0.1
TOOTH_SPACING = 0.15
TOOTH_GAP = 4.0


def box_sides(vertical: np.ndarray, horizontal: np.ndarray, long_enough: int, lines: np.ndarray | None = None) -> np.ndarray:
    """Vertical runs that are rules: very long, or meeting a horizontal rule at an end (a box
    side, at a corner or a tee).

    A handwritten '1' or '4' can be as straight as a short rule, but it rarely touches one; and
    where a bold digit's stroke passes for a short horizontal rule, the strokes that cross it
    or meet it short of their ends (a '4's stem through its bar, a bold '0's side) are no box's
    sides. A run that only stands on a rule, which goes on both sides of it, is a '1' written
    down to a box's foot or an underline, unless it is one of a row of evenly spaced runs of its
    height on that rule (the teeth of a comb). `lines` are all the rules a run may stand on,
    when more than `horizontal`: a notebook's light line, whose sure ink is dashes, passes under
    a '1' where a dash ending at its foot would make it a box's corner ('2651' read '265').
    Each run is judged in its own box (runs are few, the page is large).
    """
    sides = np.zeros_like(vertical)
    if not vertical.any():
        return sides
    count, labels, stats = components(vertical)
    rule_labels = None  # labelled once, only if some run stands on a rule
    height, width = vertical.shape
    reach = MEETING_REACH
    standing: dict[int, tuple[int, int]] = {}  # run → (the rule it stands on, its height)
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        own = labels[y : y + h, x : x + w] == label
        if h < long_enough:
            x0, y0 = max(0, x - reach), max(0, y - reach)
            near = horizontal[y0 : min(height, y + h + reach), x0 : min(width, x + w + reach)]
            if not near.any():
                continue
            near = cv2.dilate(near, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
            meets = (near[y - y0 : y - y0 + h, x - x0 : x - x0 + w] > 0) & own
            at_top, at_foot = meets[: reach + 1].any(), meets[-reach - 1 :].any()
            if not (at_top or at_foot):
                continue
            if at_foot and not at_top:
                rule_labels = components(horizontal if lines is None else lines)[1] if rule_labels is None else rule_labels
                rule = _rule_under(rule_labels, x, y + h, w, reach)
                if rule:
                    standing[label] = (rule, h)
                    continue
        sides[y : y + h, x : x + w][own] = 255
    for label in _teeth(standing, stats):
        x, y, w, h, _ = stats[label]
        sides[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label] = 255
    return sides


def _teeth(standing: dict[int, tuple[int, int]], stats: np.ndarray) -> set[int]:
    """The runs standing on a rule that are a comb's teeth: in a row of TEETH or more of about
    one height, evenly spaced."""
    teeth: set[int] = set()
    for label, (rule, h) in standing.items():
        row = sorted((int(stats[other, 0]), other) for other, (on, tall) in standing.items()
                     if on == rule and abs(tall - h) <= TOOTH_HEIGHT * h)
        xs = [x for x, _ in row]
        at = xs.index(int(stats[label, 0]))
        for start in range(max(0, at - TEETH + 1), min(at, len(row) - TEETH) + 1):
            gaps = np.diff(xs[start : start + TEETH])
            even = gaps.min() > 0 and gaps.max() - gaps.min() <= TOOTH_SPACING * gaps.max()
            if even and gaps.max() <= TOOTH_GAP * h:
                teeth.add(label)
                break
    return teeth


def _rule_under(rule_labels: np.ndarray, x: int, foot: int, w: int, reach: int) -> int:
    """The label of the rule a run ending at row `foot` stands on when that rule goes on past
    it on both sides (a tee, not a box's corner); 0 if there is none."""
    rows = rule_labels[max(0, foot - reach) : foot + reach + 1]
    beyond = 2 * reach + 2
    left = rows[:, max(0, x - beyond) : max(0, x - reach)]
    right = rows[:, x + w + reach : x + w + beyond]
    shared = set(np.unique(left[left > 0])) & set(np.unique(right[right > 0]))
    return int(min(shared)) if shared else 0


def remove_rules(ink: np.ndarray, rules: np.ndarray, thickness: int) -> np.ndarray:
    """Erase the rules, then re-join strokes the erasing cut: a close across the rule's width
    mends a digit stroke that crossed it but cannot rebuild the rule itself."""
    if not rules.any():
        return ink
    span = thickness + 4
    # Only pixels next to the rules change, and they depend on ink within two closes of them.
    x, y, w, h = _around(rules, 2 * span + 2)
    window = ink[y : y + h, x : x + w]
    grown = cv2.dilate(rules[y : y + h, x : x + w], np.ones((3, 3), np.uint8))
    without = cv2.bitwise_and(window, cv2.bitwise_not(grown))
    mended = cv2.morphologyEx(without, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, span)))
    mended = cv2.morphologyEx(mended, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1)))
    # Only the pixels on the rules may be restored; everything else stays as it was.
    cleaned = ink.copy()
    cleaned[y : y + h, x : x + w] = cv2.bitwise_or(without, cv2.bitwise_and(mended, grown))
    return cleaned


#: Ink wholly within this many pixels of a rule, and lying along it, is a sliver of the rule.
SLIVER_REACH = 3


def _without_slivers(ink: np.ndarray, horizontal: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """Slivers of a rule left beside it when its ink was wider than the run found in it (a
    faint edge along a slightly slanted box side): on its own, one reads as a sure '1'. A
    digit crossing or touching the rule reaches beyond its margin; a dash of a worn rule
    across it does not lie along it and is left for segmentation to judge.

    Only the ink within the margins is labelled: a piece of it belongs to writing beyond them
    exactly when it touches ink outside them."""
    rules = cv2.bitwise_or(horizontal, vertical)
    if not rules.any():
        return ink
    x, y, w, h = _around(rules, SLIVER_REACH + 2)
    window = ink[y : y + h, x : x + w]
    reach = np.ones((2 * SLIVER_REACH + 1, 2 * SLIVER_REACH + 1), np.uint8)
    beside_upright = cv2.dilate(vertical[y : y + h, x : x + w], reach)
    beside_level = cv2.dilate(horizontal[y : y + h, x : x + w], reach)
    margin = cv2.bitwise_or(beside_upright, beside_level)
    pieces = cv2.bitwise_and(window, margin)
    count, labels, stats = components(pieces)
    beyond = cv2.dilate(cv2.bitwise_and(window, cv2.bitwise_not(margin)), np.ones((3, 3), np.uint8))

    def touching(mask: np.ndarray) -> np.ndarray:  # per piece, whether it has a pixel in the mask
        return components_touching(labels, count, cv2.bitwise_and(pieces, mask))
    upright = (stats[:, 3] > stats[:, 2]) & ~touching(cv2.bitwise_not(beside_upright))
    level = (stats[:, 2] > stats[:, 3]) & ~touching(cv2.bitwise_not(beside_level))
    sliver = (upright | level) & ~touching(beyond)
    sliver[0] = False
    if not sliver.any():
        return ink
    cleaned = ink.copy()
    cleaned[y : y + h, x : x + w][components_mask(labels, sliver) > 0] = 0
    return cleaned


def _around(mask: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    """The box of a mask's ink grown by a margin, inside the image: (x, y, w, h)."""
    x, y, w, h = cv2.boundingRect(mask)
    x0, y0 = max(0, x - margin), max(0, y - margin)
    return x0, y0, min(mask.shape[1], x + w + margin) - x0, min(mask.shape[0], y + h + margin) - y0


#: A hole of the rule grid covering this share of the page is no field: it is the inside of a
#: scanner's black border all round the page, or of a printed frame around the whole form.
PAGE_FRAME_SHARE = 0.5


def find_boxes(horizontal: np.ndarray, vertical: np.ndarray, min_side: int) -> list[tuple[int, int, int, int]]:
    """Closed rectangles formed by the rules: the holes of the rule grid that look like boxes."""
    grid = cv2.bitwise_or(horizontal, vertical)
    grid = cv2.dilate(grid, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(grid, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    if hierarchy is None:
        return boxes
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0]):
        if parent < 0:  # outer outlines of the grid, not holes
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if w < min_side or h < min_side:
            continue
        if cv2.contourArea(contour) < 0.8 * w * h:  # not rectangular
            continue
        if w * h >= PAGE_FRAME_SHARE * grid.size:
            continue
        boxes.append((x, y, w, h))
    return boxes


def group_combs(boxes: list[tuple[int, int, int, int]]) -> list[Field]:
    """Join runs of adjacent, equally tall, roughly square cells into one comb field."""
    fields: list[Field] = []
    rows = sorted(boxes, key=lambda b: (b[1], b[0]))
    used = [False] * len(rows)
    for i, (x, y, w, h) in enumerate(rows):
        if used[i]:
            continue
        used[i] = True
        run = [(x, y, w, h)]
        if w <= 1.6 * h:
            # Both ways: on a page deskewed to within a pixel, the cell found first may be any.
            for right in (True, False):
                while True:
                    end = run[-1] if right else run[0]
                    nxt = next((j for j, box in enumerate(rows)
                                if not used[j] and _next_cell(*((end, box) if right else (box, end)))), None)
                    if nxt is None:
                        break
                    used[nxt] = True
                    run.insert(len(run) if right else 0, rows[nxt])
        xs = [b[0] for b in run]
        ys = [b[1] for b in run]
        right = max(b[0] + b[2] for b in run)
        bottom = max(b[1] + b[3] for b in run)
        kind = "comb" if len(run) > 1 else "box"
        fields.append(Field(kind, min(xs), min(ys), right - min(xs), bottom - min(ys), len(run)))
    return fields


def _next_cell(left: tuple[int, int, int, int], right: tuple[int, int, int, int]) -> bool:
    """Whether `right` is the comb cell just right of `left`: as tall, level, roughly square."""
    lx, ly, lw, lh = left
    bx, by, bw, bh = right
    return (abs(by - ly) <= 0.2 * lh and abs(bh - lh) <= 0.2 * lh and 0 <= bx - (lx + lw) <= 0.3 * lh
            and max(lw / lh, bw / bh) <= 1.6)


@dataclass
class Layout:
    ink: np.ndarray  # the ink with rules removed
    fields: list[Field]


#: A cut-out cell's side rule may lean a pixel or two over its length (the cut and the scan
#: are seldom square to it): its run is found across this many pixels' sideways drift, if it
#: runs SIDE_RULE_HEIGHT of the image's height within SIDE_STRIP of its side.
SIDE_RULE_WOBBLE = 1
SIDE_RULE_HEIGHT = 0.9


def _leaning_side_rules(ink: np.ndarray, shortest: int) -> np.ndarray:
    """A cut-out cell's side rules that lean too much for a straight run of `shortest` pixels:
    left in, the first digit touching one is joined to it and dropped with it as a rule's end.
    Only along the sides and from top to bottom: a cheque's tall '1' leans as much."""
    leaning = _runs(ink, (1, shortest), 0, SIDE_RULE_WOBBLE)
    count, labels, stats = components(leaning)
    h, w = ink.shape
    centre = stats[:, 0] + stats[:, 2] / 2
    keep = (stats[:, 3] >= SIDE_RULE_HEIGHT * h) & ((centre < SIDE_STRIP * w) | (centre > (1 - SIDE_STRIP) * w))
    keep[0] = False
    return components_mask(labels, keep) if keep.any() else np.zeros_like(ink)


def analyze(ink: np.ndarray, whole_image_field: bool, rule_ink: np.ndarray | None = None, zoom: int = 1) -> Layout:
    """Find rules and boxes, remove the rules, and return the fields of the page.

    Rules are looked for in `rule_ink` when given (the sure ink, see `cleanup.binarize`): a
    faint halo can make a digit's bar just long enough to pass for a rule. `zoom` is how many
    times a tiny field was enlarged to be read: a rule is at least 25 pixels of the image.
    """
    h, w = ink.shape
    rule_ink = ink if rule_ink is None else rule_ink
    if whole_image_field:
        # In a cut-out field, only lines across most of it are rules (cell edges, the cheque line).
        shortest = 25 * zoom
        lengths = max(shortest, int(0.5 * w)), max(shortest, int(0.6 * h))
        horizontal, vertical = rule_masks(rule_ink, *lengths)
        vertical = cv2.bitwise_or(vertical, _leaning_side_rules(rule_ink, lengths[1]))
        horizontal = _without_bars(horizontal, ink)
        vertical = _without_tall_ones(vertical, ink, horizontal)
        ticks = _comb_ticks(rule_ink)
        if ticks is not None:
            vertical = cv2.bitwise_or(vertical, ticks[0])
            horizontal = cv2.bitwise_or(horizontal, ticks[1])
    else:
        horizontal, runs = rule_masks(rule_ink, max(40, min(h, w) // 30), max(30, min(h, w) // 40))
        long_enough = max(60, min(h, w) // 8)
        horizontal = box_tops(horizontal, runs, ink, long_enough)
        longest = long_enough + 2 * LIGHT_RULE_GAP
        light = rule_masks(ink, longest, longest, vertical_gap=LIGHT_RULE_GAP)
        vertical = box_sides(runs, horizontal, long_enough, cv2.bitwise_or(horizontal, light[0]))
        boxes = find_boxes(horizontal, vertical, min_side=max(12, min(h, w) // 100))
    rules = cv2.bitwise_or(horizontal, vertical)
    if whole_image_field and rule_ink is not ink:  # a cell is small; on a page it costs 15%
        rules = cv2.bitwise_or(rules, _faint_rules(ink, rule_ink, *lengths))
    elif not whole_image_field:
        # On a page, a run as long as a box's side in all the ink is a rule, however little of
        # it is sure ink (a notebook's light lines and margin, in dashes once binarized): no
        # digit on a page is that tall and straight. Bridging gaps must not make one so.
        for lines in light:
            rules = cv2.bitwise_or(rules, lines)
        rules = cv2.bitwise_or(rules, _printed_dividers(runs, vertical, boxes))
    thickness = _rule_thickness(rules)
    cleaned = _without_slivers(remove_rules(ink, rules, thickness), horizontal, vertical)
    if whole_image_field:
        return Layout(_within_side_rules(cleaned, vertical), [ticks[2] if ticks else Field("image", 0, 0, w, h)])
    return Layout(_without_blots(cleaned, boxes), group_combs(boxes))


#: On a page, a solid round blob, at least BLOT_THICK pixels from its edge somewhere (at ~150
#: dpi: a pen's stroke is 2-8), filling BLOT_FILL of its box and BLOT_SOLIDITY of its convex
#: hull, at most BLOT_ASPECT times as wide as tall or tall as wide, is a punch hole (black on a
#: scanner's black backing), not writing: it read as '0'.
#: A bold digit filled in by its ink is as thick, but bends (0.94-0.95 of its hull against
#: 1.02-1.05 for holes, whole or cut by the scan's margin). Only blobs at least BLOT_SIDE
#: pixels (at ~150 dpi) each way, in the page's margin (within BLOT_MARGIN of its width or
#: height from a side, where binders punch), are looked at: a hole is 35 pixels across, and a
#: narrow '8' written boldly enough fills its ellipse.
BLOT_THICK = 8
BLOT_FILL = 0.7
BLOT_SOLIDITY = 0.98
BLOT_ASPECT = 2.0
BLOT_SIDE = 12
BLOT_MARGIN = 0.12


def _without_blots(ink: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The page's ink less its punch holes (see BLOT_THICK), looked for in each margin strip;
    never inside a box: no form prints a box over a punch hole, and a bold digit written in a
    box by the margin fills in as solid (a comb's first '8' was lost)."""
    h, w = ink.shape
    across, down = int(BLOT_MARGIN * w), int(BLOT_MARGIN * h)
    if min(across, down) < BLOT_SIDE:
        return ink  # no margin strip wide enough to hold a hole (a tiny image read as a page)
    cleaned = ink
    # Each strip with the side it shares with the rest of the page.
    for strip, inner in ((np.s_[:, :across], "right"), (np.s_[:, w - across :], "left"),
                         (np.s_[:down, :], "bottom"), (np.s_[h - down :, :], "top")):
        holes = _punch_holes(ink[strip], inner)
        if holes is not None:
            cleaned = cleaned.copy() if cleaned is ink else cleaned
            cleaned[strip] = cv2.bitwise_and(cleaned[strip], cv2.bitwise_not(holes))
    if cleaned is not ink:
        for x, y, box_w, box_h in boxes:
            cleaned[y : y + box_h, x : x + box_w] = ink[y : y + box_h, x : x + box_w]
    return cleaned


def _punch_holes(ink: np.ndarray, inner: str) -> np.ndarray | None:
    """The punch holes in this margin strip (a mask), or None. A blob reaching the strip's
    `inner` side runs on into the page: a bold digit's stroke, cut there, can look as solid."""
    count, labels, stats = components(ink)
    x, y, w, h, area = stats.T
    shaped = (area >= BLOT_FILL * w * h) & (np.minimum(w, h) >= BLOT_SIDE) & (np.maximum(w, h) <= BLOT_ASPECT * np.minimum(w, h))
    strip_h, strip_w = ink.shape
    shaped &= {"right": x + w < strip_w, "left": x > 0, "bottom": y + h < strip_h, "top": y > 0}[inner]
    shaped[0] = False
    holes = np.zeros(count, bool)
    for label in np.flatnonzero(shaped):  # most pages have none
        left, top, bw, bh, _ = (int(v) for v in stats[label])
        own = (labels[top : top + bh, left : left + bw] == label).astype(np.uint8)
        thick = cv2.distanceTransform(np.pad(own, 1), cv2.DIST_L2, 3).max() >= BLOT_THICK
        holes[label] = thick and solidity(own) >= BLOT_SOLIDITY
    return components_mask(labels, holes) if holes.any() else None


#: A cut-out cell's side rule lies within this share of the image's width from its side.
SIDE_STRIP = 0.12


def _within_side_rules(ink: np.ndarray, vertical: np.ndarray) -> np.ndarray:
    """A cell cut from a table often takes a strip of its neighbour beyond its side rule, and
    the neighbour's writing there (the foot of a '9', a whole digit's edge) would join the
    number. Whatever lies beyond a rule close to a side is outside the cell."""
    columns = np.flatnonzero(cv2.reduce(vertical, 0, cv2.REDUCE_MAX).ravel())
    strip = int(SIDE_STRIP * ink.shape[1])
    left, right = columns[columns < strip], columns[columns >= ink.shape[1] - strip]
    if not left.size and not right.size:
        return ink
    inside = ink.copy()
    if left.size:
        inside[:, : left.max() + 1] = 0
    if right.size:
        inside[:, right.min():] = 0
    return inside


#: A run standing on a box's foot that rises less than this share of the box's height is a
#: printed divider (euros | cents, day | month), not a '1' written in the box.
WRITTEN_SHARE = 0.45


def _printed_dividers(runs: np.ndarray, sides: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The vertical runs, of those that are no box side, that stand on a box's foot inside it
    and are short for that box."""
    dividers = np.zeros_like(runs)
    if not boxes or not runs.any():  # most pages: no box, nothing to label
        return dividers
    count, labels, stats = components(cv2.bitwise_and(runs, cv2.bitwise_not(sides)))
    reach = 2 * MEETING_REACH
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        # boxes are their rules' holes: a run standing on the foot reaches into its rule
        if any(bx <= x and x + w <= bx + bw and abs(y + h - (by + bh)) <= reach and by + bh - y < WRITTEN_SHARE * bh
               for bx, by, bw, bh in boxes):
            dividers[y : y + h, x : x + w][labels[y : y + h, x : x + w] == label] = 255
    return dividers


def _faint_rules(ink: np.ndarray, sure: np.ndarray, min_horizontal: int, min_vertical: int) -> np.ndarray:
    """Worn ruling: runs in the ink that are mostly not sure ink, such as a rule whose dark
    dashes are each too short to be one, joined by fainter ink. Left in, it is joined to the
    writing it touches and read as part of the digits; a digit's bar, lengthened by a halo,
    is sure ink along most of its length."""
    faint = np.zeros_like(ink)
    for runs in rule_masks(ink, min_horizontal, min_vertical):
        count, labels = cv2.connectedComponents(runs, connectivity=8)
        if count <= 1:
            continue
        area = np.bincount(labels[runs > 0], minlength=count)
        on_sure = np.bincount(labels[cv2.bitwise_and(runs, sure) > 0], minlength=count)
        keep = on_sure < FAINT_RULE_SURE * area
        keep[0] = False
        if keep.any():  # rarely: most pages have none, and the lookup costs a pass over the page
            faint = cv2.bitwise_or(faint, components_mask(labels, keep))
    return faint


#: A run of ink is a faint rule when less than this share of it is sure ink.
FAINT_RULE_SURE = 0.5


#: In a cut-out field, a horizontal run is a rule only when it is this many times longer than
#: the writing it belongs to is tall.
RULE_OVER_WRITING = 1.5
#: ... and that writing is at least this share of the image tall (a digit cut out tightly).
GLYPH_HEIGHT = 0.6
#: ... and the run is a pen stroke at least this share of the image thick (a rule is a hairline
#: beside the cell it bounds).
BAR_THICKNESS = 0.07


def _without_bars(horizontal: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """Horizontal runs that are a digit's bar, not rules: in a digit cut out tightly the bar of
    a '7', '5' or '4' spans the image. A rule, with or without digits touching it, is a hairline
    or much longer than they are tall; a bar is a pen stroke, part of a glyph about as tall as
    it is wide."""
    count, labels, stats = components(horizontal)
    if count <= 1:
        return horizontal
    ink_components = components(ink)
    kept = horizontal.copy()
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        own = labels[y : y + h, x : x + w] == label
        top, bottom = _ink_extent(ink_components, own, x, y)
        across = _thickness_along(ink, x, y + h // 2, w)
        thickness = float(np.median(across))
        if thickness < BAR_THICKNESS * ink.shape[0]:
            continue  # a hairline: a rule
        fine = _alone(across, thickness)
        if fine is not None:
            # A grid line of squared paper along a digit's bar, a hairline beyond the digit: a
            # rule, but only where it runs alone; the bar stays whole.
            kept[y : y + h, x : x + w][own & ~fine] = 0
        elif w < RULE_OVER_WRITING * (bottom - top) and bottom - top >= GLYPH_HEIGHT * ink.shape[0]:
            kept[y : y + h, x : x + w][own] = 0
    return kept


#: A run is a hairline where the ink across it is under HAIRLINE of its median thickness; at
#: both its ends and along at least HAIRLINE_SHARE of its length, it is a rule with a stroke
#: lying along the rest.
HAIRLINE = 0.3
HAIRLINE_SHARE = 0.3


def _alone(across: np.ndarray, thickness: float) -> np.ndarray | None:
    """Where a run thick along most of its length is a hairline (a grid line of squared paper
    with a digit's stroke along it, running on past the digit both ways), or None if it is not
    one: a digit's bar cut out tightly tapers at one end or in places."""
    fine = across <= HAIRLINE * thickness
    return fine if fine[0] and fine[-1] and np.mean(fine) >= HAIRLINE_SHARE else None


def _thickness_along(ink: np.ndarray, x: int, row: int, width: int) -> np.ndarray:
    """Per column of a horizontal run through this row, the unbroken ink above and below (pass
    the transposed ink for a vertical run). Its median is the run's thickness: an opening keeps
    only the rows of a slanted bar that run its whole length, and the median ignores digits
    standing on a rule."""
    column = ink[:, x : x + width] > 0
    up = np.cumprod(column[row::-1], axis=0).sum(axis=0)
    down = np.cumprod(column[row:], axis=0).sum(axis=0)
    return np.maximum(up + down - 1, 0)


def _pen_width(ink: np.ndarray) -> float:
    """The width of the strokes that make most of the ink (twice the distance to paper that
    the deepest tenth of it reaches)."""
    if not ink.any():
        return 0.0
    distance = cv2.distanceTransform((ink > 0).astype(np.uint8), cv2.DIST_L2, 3)
    return 2 * float(np.percentile(distance[distance > 0], 90))


def _without_runs(ink: np.ndarray, runs: np.ndarray, across: tuple[int, int]) -> np.ndarray:
    """The ink with these runs taken out, grown across: a run found by opening is the straight
    core of a rule, and the rest of its width would still join what touches it."""
    grown = cv2.dilate(runs, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    return cv2.bitwise_and(ink, cv2.bitwise_not(grown))


#: In a cut-out field, a vertical run is a '1' when writing at least this share of its height
#: is beside it, on its line.
ONE_HEIGHT = 0.6
#: ... or when the writing it belongs to is at least this share of the image wide.
GLYPH_WIDTH = 0.7
#: Where at least this share of the run lies above or below that writing, its thickness is
#: judged there: a grid line of squared paper through a digit is a hairline outside it.
CLEAR_SHARE = 0.25
#: A pen-thick run is a '1' alone in its field when the writing it is part of holds all but
#: this share of the field's ink (specks) and it stands clear of the field's sides by this
#: share of the width (a cell's side lies along one).
LONE_LEFTOVER = 0.1
SIDE_SHARE = 0.15


def _without_tall_ones(vertical: np.ndarray, ink: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """Vertical runs that are '1's, not rules: on a cheque the digits fill the field's height, so
    a straight '1' is as long as a rule. A rule runs past the writing beside it (a register
    cell's side beside digits a fifth of its length); a '1' is as tall as its neighbours. In a
    digit cut out tightly, the stroke is part of writing as wide as the image, or is all the
    writing there is. A grid line through a digit is a hairline where it passes the digit by."""
    count, labels, stats = components(vertical)
    if count <= 1:
        return vertical
    writing = cv2.bitwise_and(ink, cv2.bitwise_not(vertical))
    _, _, others = components(writing)
    others = others[1:]
    pen = _pen_width(writing)
    _, ink_labels, ink_stats = components(_without_runs(ink, horizontal, (1, 7)))
    wide = ink_stats[:, 2] >= GLYPH_WIDTH * ink.shape[1]
    wide[0] = False
    # The fringe a slanting rule at a side leaves beside its straight run is no writing beside
    # a run (a '1' leaning in a digit image leaves one too).
    fringe = np.zeros(len(others), bool)
    for x, _, w, _, _ in stats[1:]:
        if SIDE_SHARE * ink.shape[1] < x + w / 2 < (1 - SIDE_SHARE) * ink.shape[1]:
            continue
        reach = max(SLIVER_REACH, w)
        fringe |= (others[:, 0] >= x - reach) & (others[:, 0] + others[:, 2] <= x + w + reach)
    kept = vertical.copy()
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if _from_rule_to_rule(horizontal, x, y, w, h):
            continue  # a comb's divider or a box's side, joining the rules above and below it
        own = labels[y : y + h, x : x + w] == label
        overlap = np.minimum(others[:, 1] + others[:, 3], y + h) - np.maximum(others[:, 1], y)
        near = (others[:, 3] >= ONE_HEIGHT * h) & (overlap >= 0.5 * others[:, 3]) & ~fringe
        along = across = _thickness_along(ink.T, y, x + w // 2, h)  # per row of the run
        if near.any():
            top, bottom = others[near, 1].min(), (others[near, 1] + others[near, 3]).max()
            rows = np.arange(y, y + h)
            clear = (rows < top) | (rows >= bottom)
            if clear.sum() >= CLEAR_SHARE * h:
                across = across[clear]
        thickness = float(np.median(across))
        beside = near.any() and thickness >= 0.5 * pen  # a hairline beside the writing is ruling
        stroke = thickness >= BAR_THICKNESS * ink.shape[0]
        glyphs = np.unique(ink_labels[y : y + h, x : x + w][own])
        glyphs = glyphs[glyphs > 0]
        # Part of the field's only writing, a pen stroke clear of its sides and thick along most
        # of its length (a grid line through a digit is a hairline beyond it): a '1' cut out tightly.
        clear_of_sides = SIDE_SHARE * ink.shape[1] < x + w / 2 < (1 - SIDE_SHARE) * ink.shape[1]
        lone = (np.percentile(along, 25) >= BAR_THICKNESS * ink.shape[0]
                and ink_stats[glyphs, 4].sum() >= (1 - LONE_LEFTOVER) * ink_stats[1:, 4].sum() and clear_of_sides)
        if beside or lone or (stroke and wide[glyphs].any()):
            kept[y : y + h, x : x + w][own] = 0
        elif clear_of_sides and (fine := _alone(along, float(np.median(along)))) is not None:
            kept[y : y + h, x : x + w][own & ~fine[:, None]] = 0  # a '1' along a grid line stays
    return kept


def _from_rule_to_rule(horizontal: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    """Whether a vertical run meets a horizontal rule at both ends (within MEETING_REACH): it
    joins a rule above to one below, and no '1' is written from rule to rule."""
    reach = MEETING_REACH
    columns = slice(max(0, x - reach), x + w + reach)
    above = horizontal[max(0, y - reach) : y + reach + 1, columns]
    below = horizontal[max(0, y + h - 1 - reach) : y + h + reach, columns]
    return bool(above.any() and below.any())


#: In a field image, TICKS_LEAST or more upright runs at least TICK_SHORTEST of its height, of
#: one height (the height most of them share: digits' strokes vary), their tops free (an '0''s
#: side curves on into its loop), their feet on an inked line, spaced evenly (within
#: TICK_SPREAD) at least TICK_GAP_LEAST times their height apart, are a comb's ticks: rules, and
#: the comb is read a digit a cell. Read as writing they were '1's: an empty comb gave '11111'
#: at `ok`. Handwritten '1's stand closer than they are tall; a cheque's security print is
#: finer than TICK_SHORTEST. A tick a digit touches is joined to its ink and is not found
#: alone: up to MOST_HIDDEN such ticks in a row between found ones, and any beyond the ends,
#: are looked for where the spacing puts them (HIDDEN_TICK_INKED), so a comb is found whole
#: when only four of its ticks stand free, and its base line is a rule however it slopes.
#: `bench/cells.py --combs ticks` on MNIST validation digits, seeds 2026 / 5 / 6: filled
#: combs read 45.6 / 54.8 / 60.2% -> 88.1 / 90.0 / 92.0% (the first cells, their ticks
#: touched, fell outside the comb found, and digits standing on the base line were dropped
#: with it).
TICKS_LEAST = 4
TICK_SHORTEST = 0.2
TICK_SPREAD = 0.1
TICK_GAP_LEAST = 1.2
#: A tick's top stands free: no ink beside it this many pixels above it.
TOP_CLEARANCE = 3
#: Ticks hidden by the digits against them, at most this many in a row between found ones.
MOST_HIDDEN = 2
#: More upright runs of one height than this are no comb's ticks (a 63-cell comb).
MOST_TICKS = 64
#: A hidden tick: upright ink over at least this share of a tick's height, on the base line.
HIDDEN_TICK_INKED = 0.8


@dataclass(frozen=True)
class _BaseLine:
    """The line a comb's ticks stand on (row = slope * column + offset) and their height."""

    slope: float
    offset: float
    height: float

    def at(self, columns: np.ndarray | float) -> np.ndarray | float:
        """The line's (unrounded) rows at these columns."""
        return self.slope * columns + self.offset

    def row(self, column: float) -> int:
        return int(round(self.at(column)))


def _comb_ticks(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, Field] | None:
    """A comb's ticks standing on its base line in a field image, its base line (both masks), and
    the comb they divide."""
    h, w = ink.shape
    shortest = max(6, int(TICK_SHORTEST * h))
    # Within a border of paper: an opening takes the outside for ink, and a base line along the
    # image's foot gave upright runs shorter than `shortest`, joining the ticks into one blob.
    runs = _runs(np.pad(ink, shortest), (1, shortest), 0)[shortest:-shortest, shortest:-shortest]
    count, labels, stats = components(runs)
    x, y, ws, hs = (stats[1:, i].astype(float) for i in range(4))
    thin = np.flatnonzero((ws <= 0.5 * hs) & _free_tops(ink, stats[1:]))
    if len(thin) < TICKS_LEAST:
        return None
    together = np.abs(hs[thin, None] - hs[None, thin]) <= TICK_SPREAD * hs[thin, None]
    height = float(np.median(hs[thin][together[int(np.argmax(together.sum(1)))]]))
    alike = thin[np.abs(hs[thin] - height) <= TICK_SPREAD * height]
    if not TICKS_LEAST <= len(alike) <= MOST_TICKS:
        return None  # too many for a comb: hatching (the base line's fit weighs every pair)
    centres, feet = x[alike] + ws[alike] / 2, y[alike] + hs[alike]
    if np.ptp(centres) < TICK_GAP_LEAST * height:
        return None  # stacked: the dashes of an upright rule
    reach = max(3.0, TICK_SPREAD * height)
    base = _BaseLine(*_feet_line(centres, feet, reach), height)
    on_line = alike[np.abs(feet - base.at(centres)) <= reach]
    if len(on_line) < TICKS_LEAST:
        return None
    order = on_line[np.argsort(x[on_line])]
    centres = x[order] + ws[order] / 2
    gap = _tick_spacing(np.diff(centres), TICK_GAP_LEAST * height)
    if gap is None or not _a_base_line(ink, centres[0], centres[-1], base):
        return None  # not evenly spaced, or upright strokes with no line under them ('1111')
    hidden = _hidden_ticks(ink, centres, gap, base)
    if hidden is None:
        return None
    mask = components_mask(labels, np.isin(np.arange(count), order + 1))
    for k in order:  # with its blurred tip, which the run stops short of: left, it was a speck
        tip = np.s_[max(0, int(y[k]) - TOP_CLEARANCE) : int(y[k]), int(x[k]) : int(x[k] + ws[k])]
        mask[tip] = ink[tip]
    tick_width = max(1, int(round(float(np.median(ws[order])))))
    for column in hidden:
        foot = base.row(column)
        rows = slice(max(0, foot - int(round(height)) - MEETING_REACH), foot + 1)
        columns = slice(max(0, column - tick_width), column + tick_width + 1)
        mask[rows, columns] = runs[rows, columns]
    left, right = int(min([centres[0], *hidden])), int(max([centres[-1], *hidden]))
    # The base line is a rule however it slopes (a field is not deskewed): a digit standing on
    # it was taken for part of a rule with it.
    line_rows = np.round(base.at(np.arange(w)))[None, :]
    rows = np.arange(h)[:, None]
    band = (rows >= line_rows - tick_width - 2) & (rows < line_rows + 2)
    band[:, : max(0, left - tick_width)] = band[:, right + tick_width + 1 :] = False
    line = np.where(band, ink, 0).astype(ink.dtype)
    foot = int(np.max(y[order] + hs[order]))
    return mask, line, Field("comb", left, 0, right - left, foot, len(order) - 1 + len(hidden))


def _free_tops(ink: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """Which upright runs (stats rows: x, y, width, height, area) end at the top in paper, as a
    tick does, beside their own blurred tip."""
    free = np.ones(len(stats), bool)
    for k, (x, y, w, _, _) in enumerate(stats):
        above = ink[max(0, y - TOP_CLEARANCE) : y]
        free[k] = not (above[:, max(0, x - MEETING_REACH) : max(0, x - 1)].any()
                       or above[:, x + w + 1 : x + w + MEETING_REACH].any())
    return free


def _feet_line(centres: np.ndarray, feet: np.ndarray, reach: float) -> tuple[float, float]:
    """The line (slope, offset) most of these feet stand on, within `reach` pixels: of the lines
    through two of them, the one most stand on, fitted to those. Digits' upright strokes as
    tall as the ticks stand higher and would pull a plain fit off the base line."""
    first, second = np.triu_indices(len(centres), 1)
    apart = centres[second] != centres[first]
    first, second = first[apart], second[apart]
    if first.size == 0:
        return 0.0, float(np.median(feet))
    slopes = (feet[second] - feet[first]) / (centres[second] - centres[first])
    offsets = feet[first] - slopes * centres[first]
    standing = np.abs(feet[None, :] - (slopes[:, None] * centres[None, :] + offsets[:, None])) <= reach
    best = standing[int(np.argmax(standing.sum(1)))]
    slope, offset = np.polyfit(centres[best], feet[best], 1)
    return float(slope), float(offset)


def _tick_spacing(gaps: np.ndarray, least: float) -> float | None:
    """The comb's spacing: the least gap, at least `least`, of which every gap between found
    ticks is one to MOST_HIDDEN + 1 times (within TICK_SPREAD); None if there is none."""
    for unit in np.sort(gaps):
        if unit < least:
            continue
        steps = np.round(gaps / unit)
        if steps.max() <= MOST_HIDDEN + 1 and np.all(np.abs(gaps - steps * unit) <= TICK_SPREAD * steps * unit):
            return float(np.sum(gaps) / np.sum(steps))
    return None


def _hidden_ticks(ink: np.ndarray, centres: np.ndarray, gap: float, base: _BaseLine) -> list[int] | None:
    """The columns of the ticks the found ones (at `centres`, `gap` apart or a few times that)
    leave out, joined to the digits against them: between them (None if one is not there),
    between every found pair where each pair has one more (every other tick hidden), and beyond
    the ends."""
    halves = [_tick_at(ink, (a + b) / 2, gap / 2, base) for a, b in zip(centres[:-1], centres[1:])]
    if all(column is not None and _no_taller(ink, column, base) for column in halves):
        gap /= 2
    hidden: list[int] = []
    for left, span in zip(centres[:-1], np.diff(centres)):
        steps = int(round(span / gap))
        between = [_tick_at(ink, left + k * span / steps, gap, base) for k in range(1, steps)]
        if None in between:
            return None
        hidden += [column for column in between if column is not None]
    return hidden + _ticks_beyond(ink, float(centres[0]), -gap, base) + _ticks_beyond(ink, float(centres[-1]), gap, base)


def _tick_at(ink: np.ndarray, guess: float, gap: float, base: _BaseLine) -> int | None:
    """The column of the tick standing on the base line near column `guess` (within TICK_SPREAD
    of the spacing `gap`), or None: upright ink over most of a tick's height there."""
    reach = max(MEETING_REACH, int(round(TICK_SPREAD * gap)))
    centre = int(round(guess))
    foot = base.row(centre)
    top = foot - int(round(HIDDEN_TICK_INKED * base.height))
    if centre < 0 or centre >= ink.shape[1] or top < 0 or foot - MEETING_REACH <= top:
        return None
    first = max(0, centre - reach)
    window = ink[top : foot - MEETING_REACH, first : centre + reach + 1] > 0
    window[:, 1:] |= window[:, :-1].copy()  # a thin tick on a turned scan steps a column aside
    upright = window.mean(0)
    best = int(np.argmax(upright))
    return first + best if upright[best] >= HIDDEN_TICK_INKED else None


def _no_taller(ink: np.ndarray, column: int, base: _BaseLine) -> bool:
    """Whether the upright ink at `column` ends about a tick's height over the base line: a '1'
    written on the line in the middle of each cell stands there too, taller."""
    top = base.row(column) - int(round(base.height))
    above = ink[max(0, top - int(round(0.5 * base.height))) : max(0, top - MEETING_REACH),
                max(0, column - 1) : column + 2] > 0
    return not above.size or float(above.any(1).mean()) < 0.5


def _ticks_beyond(ink: np.ndarray, start: float, step: float, base: _BaseLine) -> list[int]:
    """The comb's ticks beyond its end tick at column `start`, one `step` apart (signed: the
    way to go), as long as its base line runs on to each."""
    found: list[int] = []
    here = start
    while (column := _tick_at(ink, here + step, abs(step), base)) is not None and _a_base_line(
            ink, min(here, column), max(here, column), base):
        found.append(column)
        here = float(column)
    return found


#: Ticks stand on a line inked along at least this share of the way from the first to the last.
BASE_LINE_INKED = 0.8


def _a_base_line(ink: np.ndarray, left: float, right: float, base: _BaseLine) -> bool:
    """Whether ink runs along the line of the ticks' feet (within MEETING_REACH pixels of it)."""
    xs = np.arange(int(left), int(right) + 1)
    feet = np.round(base.at(xs)).astype(int)
    inked = np.zeros(len(xs), bool)
    for shift in range(-MEETING_REACH, MEETING_REACH + 1):
        rows = np.clip(feet + shift, 0, ink.shape[0] - 1)
        inked |= ink[rows, xs] > 0
    return bool(inked.mean() >= BASE_LINE_INKED)


def _rule_thickness(rules: np.ndarray) -> int:
    if not rules.any():
        return 1
    x, y, w, h = _around(rules, 1)  # a ring of paper keeps distances as on the whole page
    window = (rules[y : y + h, x : x + w] > 0).astype(np.uint8)
    if window.all():
        return 1  # rules fill the image (an image all ink): no paper to measure from
    distance = cv2.distanceTransform(window, cv2.DIST_L2, 3)
    return max(1, int(round(2 * float(np.percentile(distance[distance > 0], 90)))))
