"""Segmentation on generated images with known truth."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitize.cleanup import clean_page, components, estimate_skew, paper_ratio
from digitize.layout import analyze
from digitize.segment import (Blob, blobs_in, drop_punctuation, is_sliver, numbers_in_field, numbers_in_free_text,
                              reading_order, ring_pieces, split_hypotheses, typical_height, without_underline)


def page_with(draw, size=(400, 600)) -> np.ndarray:
    image = np.full(size, 255, np.uint8)
    draw(image)
    return image


def cell_numbers(draw, size):
    """The numbers of a cut-out cell (height, width) drawn by `draw`, as `digitize` reads an image
    that is one field."""
    ink = clean_page(page_with(draw, size), deskew=False).ink
    return numbers_in_field(ink, (0, 0, size[1], size[0]), "image", cut_out=True)


def only_blob(draw, size) -> Blob:
    """The one blob of a cut-out cell (height, width) drawn by `draw`."""
    [blob] = blobs_in(clean_page(page_with(draw, size), deskew=False).ink)
    return blob


def write(image, text, x, y, scale=2.0, thickness=4):
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, thickness, cv2.LINE_AA)


@pytest.mark.parametrize("density", [0.02, 0.3, 0.6])
def test_components_match_opencv_stats(density):
    rng = np.random.default_rng(1)
    mask = np.where(rng.random((120, 160)) < density, 255, 0).astype(np.uint8)
    cv2.rectangle(mask, (20, 20), (140, 100), 255, 2)  # a ring with components inside its hole
    cv2.rectangle(mask, (40, 40), (120, 80), 0, -1)
    cv2.circle(mask, (80, 60), 10, 255, 2)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    ours = components(mask)
    assert ours[0] == count and (ours[1] == labels).all() and (ours[2][1:] == stats[1:]).all()


def test_paper_ratio_is_the_integer_ratio_for_every_pair_of_levels():
    gray, paper = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    expected = np.minimum(gray * 255 // np.maximum(paper, 1), 255)
    assert (paper_ratio(gray.astype(np.uint8), paper.astype(np.uint8)) == expected).all()


def test_free_text_groups_numbers_by_line_and_gap():
    def draw(image):
        write(image, "12", 40, 100)
        write(image, "345", 300, 100)
        write(image, "6", 40, 250)
    ink = clean_page(page_with(draw)).ink
    numbers = numbers_in_free_text(ink)
    assert [len(n.blobs) for n in numbers] == [2, 3, 1]
    assert [n.field for n in numbers] == ["line1", "line1", "line2"]


def test_dots_commas_and_dashes_are_dropped():
    def draw(image):
        write(image, "4", 40, 100)
        write(image, "2", 85, 100)
        cv2.circle(image, (135, 97), 4, 0, -1)  # a full stop
        cv2.line(image, (150, 80), (185, 80), 0, 4)  # a dash
    numbers = numbers_in_free_text(clean_page(page_with(draw)).ink)
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2


def test_a_long_comma_reaching_below_the_digits_is_dropped():
    """A cheque's '4677,70': the comma starts below the line's middle and is a thin stroke, but
    as long as two thirds of a digit."""
    def draw(image):
        write(image, "46", 20, 60, scale=1.2, thickness=3)
        cv2.line(image, (85, 52), (82, 68), 0, 3)
        write(image, "70", 95, 60, scale=1.2, thickness=3)
    numbers = cell_numbers(draw, (80, 170))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4
    assert all(b.x < 80 or b.x > 90 for b in numbers[0].blobs)


def test_a_swoosh_under_the_number_as_high_as_a_digit_does_not_set_the_line_it_is_judged_by():
    """A register cell's '82' written as one blob, and a sloping swoosh under it as high as a
    digit: with the swoosh counted among the digits, the line's middle sank to its top."""
    pair = Blob(79, 72, 26, 21, np.full((21, 26), 255, np.uint8))
    line = np.zeros((17, 41), np.uint8)
    cv2.line(line, (0, 16), (40, 0), 255, 2)
    assert drop_punctuation([pair, Blob(54, 90, 41, 17, line)], 21.0) == [pair]
    # A digit broken so that its tall piece is a flat stroke still sets the line.
    bar = Blob(23, 8, 42, 28, cv2.line(np.zeros((28, 42), np.uint8), (0, 27), (41, 0), 255, 2))
    bowl = Blob(8, 30, 27, 18, cv2.ellipse(np.zeros((18, 27), np.uint8), (13, 9), (12, 8), 0, 0, 360, 255, 2))
    assert drop_punctuation([bar, bowl], 28.0) == [bar]


def test_a_tick_above_the_line_is_no_one():
    def draw(image):
        cv2.line(image, (52, 72), (52, 88), 0, 2)
        write(image, "32", 85, 99, scale=0.8, thickness=2)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [8, 10]


def test_a_small_flat_zero_between_digits_is_no_dash():
    """'9014' with its '0' written half a digit high and twice as wide: a dash's shape, with a loop."""
    def draw(image):
        write(image, "9", 15, 60, scale=1.4, thickness=3)
        cv2.ellipse(image, (65, 47), (12, 5), 0, 0, 360, 0, 2)
        write(image, "14", 85, 60, scale=1.4, thickness=3)
    numbers = cell_numbers(draw, (80, 160))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs][:2] == [1, 5]


def test_a_leaning_one_over_the_next_digit_is_two_digits_but_a_six_s_broken_stem_joins_its_loop():
    """Register cells' '10' and '11': the '1' leans over the columns of the half-high '0' beside
    its foot, or of the next '1', as a broken '6''s stem stands over its loop."""
    def ten(image):
        cv2.line(image, (60, 78), (80, 48), 0, 3)
        cv2.ellipse(image, (82, 70), (7, 8), 0, 0, 360, 0, 3)

    def eleven(image):
        for x in (60, 68):
            cv2.line(image, (x, 78), (x + 16, 48), 0, 2)

    def six(image):
        cv2.line(image, (82, 40), (68, 62), 0, 3)
        cv2.ellipse(image, (76, 70), (9, 8), 0, 0, 360, 0, 3)
    assert [len(n.blobs) for n in cell_numbers(ten, (120, 140))] == [2]
    assert [len(n.blobs) for n in cell_numbers(eleven, (120, 140))] == [2]
    assert [len(n.blobs) for n in cell_numbers(six, (120, 140))] == [1]


def test_a_neighbour_s_writing_beyond_a_cut_out_cell_s_side_rule_is_not_its_number():
    """A register cell cut with a strip of the next column: the next cell's digit, written across
    the rule between them, would join the number as one more digit."""
    def draw(image):
        cv2.line(image, (120, 0), (120, 199), 0, 2)
        write(image, "7", 88, 110, scale=1.0, thickness=2)
        cv2.ellipse(image, (132, 100), (10, 12), 0, 90, 270, 0, 2)
    ink = analyze(clean_page(page_with(draw, (200, 135)), deskew=False).ink, whole_image_field=True).ink
    numbers = numbers_in_field(ink, (0, 0, 135, 200), "image", cut_out=True)
    assert len(numbers) == 1 and [(b.x // 10, b.w // 10) for b in numbers[0].blobs] == [(9, 1)]


def test_faint_stroke_stays_on_its_digit_but_faint_marks_alone_are_dropped():
    def draw(image):
        cv2.ellipse(image, (100, 100), (25, 40), 0, 278, 622, 0, 3)  # a '0' whose top is faint
        cv2.ellipse(image, (100, 100), (25, 40), 0, 262, 278, 170, 3)
        cv2.line(image, (200, 60), (200, 140), 170, 3)  # a faint stroke touching no dark ink
    ink = clean_page(page_with(draw), deskew=False).ink  # faint ink is a small share of the page
    blobs = blobs_in(ink)
    assert len(blobs) == 1  # the faint stroke alone is not ink
    assert ink[59:62, 100].any()  # the faint top closes the '0'


def test_faint_ink_does_not_pick_up_a_patterned_background():
    rng = np.random.default_rng(0)

    def draw(image):
        for y in range(0, 200, 12):  # a cheque's security pattern: faint wavy lines everywhere
            xs = np.arange(0, 300)
            points = np.stack([xs, y + 3 * np.sin(xs / 9 + y)], 1).astype(np.int32)
            cv2.polylines(image, [points], False, 185, 1)
        image[:] = np.minimum(image, 255 - rng.integers(0, 12, image.shape)).astype(np.uint8)
        write(image, "7", 120, 130, scale=2.5, thickness=5)
    ink = clean_page(page_with(draw, (200, 300)), deskew=False).ink
    blob = max(blobs_in(ink), key=lambda b: b.area)
    assert blob.w < 42 and blob.h < 60  # the '7' alone (37x51), no bits of pattern joined to it


def test_a_broken_page_edge_beside_a_number_is_not_a_one():
    def draw(image):
        for top in range(5, 195, 14):  # a scanned page edge, broken into dashes
            cv2.line(image, (20, top), (20, top + 10), 0, 2)
        write(image, "57", 32, 110, scale=1.0, thickness=2)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2


def test_a_cheque_amount_keeps_the_digits_after_a_thousands_gap():
    """"2 . 348": the gap after the '2' is wide, but the '2' is a whole digit inside the image."""
    def draw(image):
        write(image, "2", 20, 70, scale=1.6, thickness=3)
        cv2.circle(image, (75, 66), 3, 0, -1)
        write(image, "348", 100, 70, scale=1.6, thickness=3)
    numbers = cell_numbers(draw, (100, 240))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4


@pytest.mark.parametrize("width", [181, 195])
def test_a_cheque_amount_cropped_close_after_its_thousands_gap_keeps_that_group(width):
    """"234 . 5" with the image's side 3 px (or 17 px) after the '5': that group is whole."""
    def draw(image):
        write(image, "234", 20, 70, scale=1.6, thickness=3)
        cv2.circle(image, (126, 66), 3, 0, -1)
        write(image, "5", 150, 70, scale=1.6, thickness=3)
    numbers = cell_numbers(draw, (100, width))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4


def test_a_cheque_amount_cropped_through_its_first_digit_keeps_that_group():
    """"40 . 000" with the image's side through the '4': two digits are no neighbour's stray."""
    def draw(image):
        write(image, "40", -6, 70, scale=1.6, thickness=3)
        cv2.circle(image, (80, 66), 3, 0, -1)
        write(image, "000", 110, 70, scale=1.6, thickness=3)
    numbers = cell_numbers(draw, (100, 240))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 5


def test_a_straight_stroke_a_few_pixels_from_a_cell_s_side_is_still_its_rule():
    def draw(image):
        write(image, "57", 60, 110, scale=1.2, thickness=2)
        cv2.line(image, (136, 84), (136, 112), 0, 3)  # a sliver of the cell's rule, 3 px from the side
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2


@pytest.mark.parametrize("stray", ["at the side", "small"])
def test_writing_straying_into_a_cell_is_still_dropped(stray):
    def draw(image):
        write(image, "57", 60, 110, scale=1.2, thickness=2)
        if stray == "at the side":  # a neighbouring cell's digit, cut by the image edge
            write(image, "3", 128, 110, scale=1.2, thickness=2)
        else:  # a small mark far from the number
            cv2.line(image, (20, 100), (22, 88), 0, 2)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2


def test_two_dashes_of_a_faint_rule_are_not_a_marker_one():
    def draw(image):
        for top in (30, 95):  # what the scan left of a faint vertical rule: two dashes
            cv2.line(image, (20, top), (20, top + 22), 0, 2)
        write(image, "62", 50, 115, scale=1.0, thickness=2)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2


def test_touching_cursive_zeros_across_a_cheque_are_not_a_rule():
    def draw(image):
        write(image, "5", 20, 42, scale=1.1, thickness=2)
        for x in range(62, 190, 31):  # "0000" written in one stroke: long, and a digit high
            cv2.ellipse(image, (x, 30), (17, 14), 0, 0, 360, 0, 2)
    numbers = cell_numbers(draw, (50, 210))
    assert len(numbers) == 1
    assert [b.x // 10 for b in numbers[0].blobs] == [2, 4]  # the '5' and the zeros


def test_a_thick_black_scan_margin_down_a_cell_is_a_sliver():
    margin = Blob(0, 0, 54, 235, np.full((235, 54), 255, np.uint8))  # 0.4 of a 135 px wide cell
    assert is_sliver(margin, span=235, across=135)


def test_straight_ones_filling_a_cheque_field_are_digits_not_rules():
    def draw(image):
        for x in (20, 50, 80):  # "111" written straight, as tall as the field's other digits
            cv2.line(image, (x, 12), (x, 108), 0, 6)
        write(image, "063", 120, 108, scale=3.2, thickness=7)
    ink = clean_page(page_with(draw, (120, 320)), deskew=False).ink
    kept = analyze(ink, whole_image_field=True).ink
    assert all(kept[40:80, x - 2 : x + 3].any() for x in (20, 50, 80))


@pytest.mark.parametrize("top, foot, field", [(20, 94, 100), (8, 94, 100), (24, 108, 120)])
def test_a_one_written_taller_than_its_neighbours_on_their_line_is_a_digit(top, foot, field):
    """"1338" on a cheque: the '1' stands on the digits' line, rising well above them or
    nearly filling the field's height, or reaching a little below their feet."""
    def draw(image):
        cv2.line(image, (20, top), (20, foot), 0, 5)
        write(image, "338", 45, 94, scale=3.0, thickness=6)
    numbers = cell_numbers(draw, (field, 240))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4


@pytest.mark.parametrize("size, thickness, read", [((64, 40), 8, True), ((28, 28), 4, True), ((64, 40), 1, False)])
def test_a_straight_one_cut_out_tightly_is_a_digit_but_a_hairline_alone_is_a_rule(size, thickness, read):
    from digitize.reader import segment_page

    def draw(image):
        cv2.line(image, (size[1] // 2, 0), (size[1] // 2, size[0]), 0, thickness)
    numbers = segment_page("f", 1, page_with(draw, size), mode="field").numbers
    assert len(numbers) == (1 if read else 0)
    assert not read or numbers[0].blobs[0].h >= size[0] - 2


def test_a_short_vertical_rule_beside_small_digits_is_still_removed():
    def draw(image):
        cv2.line(image, (110, 30), (110, 250), 0, 2)  # a cell's side, broken off at both ends
        write(image, "57", 40, 150, scale=1.0, thickness=2)
    ink = clean_page(page_with(draw, (280, 140)), deskew=False).ink
    kept = analyze(ink, whole_image_field=True).ink
    assert not kept[40:240, 105:116].any() and kept[120:155, 35:90].any()


def test_a_grid_line_of_squared_paper_through_a_digit_is_removed_past_it():
    """A heavily inked digit on squared exam paper, a dark 1 px grid line through it: beside
    the writing most of its length and as thick as the ink there, but a hairline above and
    below it, so it is ruling, not a '1' to keep."""
    def draw(image):
        image[:] = 250
        image[6::36, :] = 120
        image[:, 10::36] = 120
        cv2.ellipse(image, (46, 50), (12, 32), 0, 0, 360, 0, -1)  # on the line x = 46
    ink = clean_page(page_with(draw, (100, 100)), deskew=False)
    kept = analyze(ink.ink, whole_image_field=True, rule_ink=ink.sure).ink
    assert not kept[:12, 44:49].any() and not kept[88:, 44:49].any()
    assert kept[30:70, 40:53].all()


def test_a_speck_in_the_middle_of_a_field_does_not_set_the_digit_height():
    def draw(image):
        write(image, "4", 4, 44, scale=1.4, thickness=4)  # a digit towards the field's end ...
        cv2.circle(image, (105, 28), 3, 0, -1)  # ... and a dot in its middle
    ink = clean_page(page_with(draw, (50, 210)), deskew=False).ink
    blobs = blobs_in(ink)
    four = max(blobs, key=lambda b: b.area)
    assert len(blobs) == 2 and typical_height(blobs, (0, 0, 210, 50)) == four.h


def test_a_page_turned_well_askew_is_deskewed_without_fraying_its_strokes():
    page = np.full((800, 1000), 235, np.uint8)
    for row in range(6):
        write(page, "4096 1738 5521", 60, 120 + row * 110, scale=2.0, thickness=3)

    def roughness(ink):  # outline per pixel of ink: a frayed, stair-stepped edge is longer
        contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        return sum(cv2.arcLength(c, True) for c in contours) / cv2.countNonZero(ink)
    turn = cv2.getRotationMatrix2D((500, 400), 8, 1.0)
    turned = clean_page(cv2.warpAffine(page, turn, (1000, 800), flags=cv2.INTER_LINEAR, borderValue=235))
    assert abs(turned.angle + 8) <= 0.5
    assert roughness(turned.ink) <= 1.01 * roughness(clean_page(page).ink)


@pytest.mark.parametrize("index", [40579, 13552])  # an '8' and a '2' of the MNIST training set
def test_a_grid_line_through_a_bold_digit_is_no_lone_one(index, mnist_path):
    """Written on dark squared paper, the digit split by a grid row into pieces each shorter than
    the grid line through it, and holding nearly all the ink: that line is pen-thick only where
    it crosses the digit, a hairline above and below, so it is no '1' cut out tightly."""
    from digitize.data import load_mnist
    from digitize.normalize import ink_only

    ink = ink_only(load_mnist(mnist_path).x_train[index])
    ink = cv2.resize(ink, (round(ink.shape[1] * 60 / ink.shape[0]), 60), interpolation=cv2.INTER_CUBIC)
    page = np.full((100, 100), 250.0, np.float32)
    page[6::36, :] = page[:, 10::36] = 120
    x = (100 - ink.shape[1]) // 2
    share = ink.astype(np.float32) / 255
    page[20:80, x : x + ink.shape[1]] = page[20:80, x : x + ink.shape[1]] * (1 - share) + 30 * share
    clean = clean_page(page.astype(np.uint8), deskew=False)
    kept = analyze(clean.ink, whole_image_field=True, rule_ink=clean.sure).ink
    assert not kept[:16, 45:48].any() and not kept[86:, 45:48].any()


def tight_mnist_digit(mnist_path, index: int) -> np.ndarray:
    """An MNIST training digit cut to its ink, 64 pixels high, dark on light: as exam and postal
    digit sets store them."""
    from digitize.data import load_mnist
    from digitize.normalize import ink_only

    ink = ink_only(load_mnist(mnist_path).x_train[index])
    return 255 - cv2.resize(ink, (round(ink.shape[1] * 64 / ink.shape[0]), 64), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("index", [57074, 25479])  # a '7' and a '4' of the MNIST training set
def test_a_bar_cut_out_tightly_is_no_grid_line_where_it_thins(index, mnist_path):
    """The bar of a digit cut to its ink runs the image's width and thins in places: a grid line
    along a bar is a hairline at both its ends, past the digit, and only that is erased."""
    from digitize.reader import segment_page

    image = tight_mnist_digit(mnist_path, index)
    segments = segment_page("tight.png", 1, image)
    (number,) = segments.numbers
    assert len(number.blobs) == 1 and number.blobs[0].w >= 0.85 * image.shape[1]


@pytest.mark.parametrize("index", [24888, 13090, 45036, 37726, 37568])  # '1's, '5's, a '2' (MNIST training set)
def test_a_digit_cut_out_tightly_that_looks_like_a_margin_or_a_frame_is_read(index, mnist_path):
    """A bold '1' cut to its ink leaves no paper to tell its ink by, and is all ink from top to
    bottom like a rule; a '5' touching three sides is sparse in its box like a frame's corner.
    Found nothing, the image is read again inside a border of its paper."""
    from digitize.reader import segment_page

    image = tight_mnist_digit(mnist_path, index)
    (number,) = segment_page("tight.png", 1, image).numbers
    (blob,) = number.blobs
    assert blob.h >= 60 and blob.w >= 0.6 * image.shape[1]
    assert blob.x >= 0 and blob.y >= 0 and blob.x + blob.w <= image.shape[1] and blob.y + blob.h <= 64
    assert blob.mask.shape == (blob.h, blob.w)


def _a_piece_of_rule_along_a_side(image):
    h, w = image.shape
    cv2.line(image, (1, h // 3), (1, h), 0, 2)


def _a_scan_margin_and_a_rule(image):
    h, w = image.shape
    image[:, : w // 6] = 20
    cv2.line(image, (0, 4), (w, 4), 0, 2)


def test_a_white_one_cut_out_tightly_is_read_though_it_is_mostly_stroke():
    """A bold white '1' on black, slanting, cut to its ink: four fifths of the image is stroke,
    so the image is taken for paper and its black corners for ink (read as nothing). Read
    again inverted, it is a dark '1' filling the image."""
    from digitize.reader import segment_page

    image = np.zeros((64, 13), np.uint8)
    cv2.line(image, (9, 0), (4, 63), 255, 8)
    image = cv2.GaussianBlur(image, (0, 0), 2.0)  # soft-edged, as an MNIST digit enlarged
    numbers = segment_page("one.png", 1, image, mode="field").numbers
    assert [[(b.h >= 50) for b in number.blobs] for number in numbers] == [[True]]


@pytest.mark.parametrize("draw", [_a_piece_of_rule_along_a_side, _a_scan_margin_and_a_rule])
@pytest.mark.parametrize("size", [(100, 100), (60, 60)])
def test_an_empty_cell_cut_out_stays_empty_inside_a_border(draw, size):
    """Inside a border of paper, a rule along the image's side and a scan margin no longer touch
    its sides, and would be read as a '1' or a bar: only a digit filling the image is kept from
    that second read."""
    from digitize.reader import segment_page

    assert segment_page("cell.png", 1, page_with(draw, size), mode="field").numbers == []


def _specks(image):
    for x, y in ((40, 30), (150, 70), (90, 12)):
        cv2.rectangle(image, (x, y), (x + 1, y + 1), 60, -1)


def _what_a_cut_leaves_of_the_rules(image):
    h, w = image.shape
    cv2.line(image, (w - 4, 0), (w - 4, h // 3), 40, 3)  # the right rule, broken off below
    cv2.line(image, (3, h - 20), (3, h), 40, 3)  # the left rule's lower end
    cv2.line(image, (80, 1), (110, 1), 40, 3)  # a piece of the rule above, along the top


def _a_corner_of_rules_running_out(image):
    h, w = image.shape
    cv2.line(image, (0, h - 12), (w, h - 12), 40, 2)  # the rule below, running out at both sides
    cv2.line(image, (w - 10, 0), (w - 10, h), 40, 2)  # the rule at the right, past the one below


def _a_rule_down_the_left_with_the_stubs_of_those_across(image):
    h, w = image.shape
    cv2.line(image, (2, 0), (6, h), 100, 4)  # slanting a little: no straight run finds it
    cv2.line(image, (0, 1), (22, 1), 100, 3)  # what is left of the rules above and below
    cv2.line(image, (0, h - 2), (22, h - 2), 100, 3)


@pytest.mark.parametrize("draw", [_specks, _what_a_cut_leaves_of_the_rules, _a_corner_of_rules_running_out,
                                  _a_rule_down_the_left_with_the_stubs_of_those_across])
def test_an_empty_cell_cut_out_of_a_grid_holds_no_number(draw):
    """What a cut leaves of a grid, or the paper's specks: alone in the image, each was read as
    the cell's number (a rule's end as a sure '1', a corner as a '7')."""
    assert cell_numbers(draw, (100, 240)) == []


def test_an_empty_cell_whose_frame_broke_into_two_corners_a_little_off_its_sides_holds_no_number():
    """A cell cut along the outside of its rules, slightly turned: its frame is two L-shaped
    corners, each a few pixels in from a side. They were read as '67'."""
    def draw(image):
        h, w = image.shape
        cv2.line(image, (5, 3), (5, h - 4), 90, 2)  # the left rule and the one above ...
        cv2.line(image, (5, 3), (165, 0), 90, 2)
        cv2.line(image, (w - 6, 10), (w - 5, h - 1), 90, 2)  # ... the right rule and the one below
        cv2.line(image, (215, h - 3), (w - 6, h - 1), 90, 2)
    assert cell_numbers(draw, (136, 354)) == []


def _a_thick_corner_in_the_image_s_corner(image):
    h, w = image.shape
    cv2.line(image, (w - 26, 2), (w, 2), 60, 4)  # thick rules, blurred by the scan: the L
    cv2.line(image, (w - 3, 0), (w - 3, 20), 60, 4)  # fills a third of its box
    image[:] = cv2.GaussianBlur(image, (0, 0), 1.0)


def _a_stub_of_a_side_rule_by_the_top(image):
    cv2.rectangle(image, (0, 6), (3, 17), 60, -1)  # a third as wide as long: no hairline


def _a_piece_of_rule_just_off_a_corner(image):
    h, w = image.shape
    cv2.line(image, (w - 9, 5), (w - 9, 40), 60, 4)  # a few pixels off the image's edges


@pytest.mark.parametrize("draw", [_a_thick_corner_in_the_image_s_corner, _a_stub_of_a_side_rule_by_the_top,
                                  _a_piece_of_rule_just_off_a_corner])
def test_what_the_cut_left_in_an_empty_cell_s_corner_is_no_number(draw):
    """Pieces of ruling in a corner of the image that the older checks missed, each read as a
    '7' or a '1' in an empty cell (bench/cells.py): a thick corner fills too much of its box to
    be sparse, a stub is too wide for a hairline, a piece off the edges touches none."""
    from digitize.reader import segment_page

    assert segment_page("cell.png", 1, page_with(draw, (110, 210)), mode="field").numbers == []


def _a_box_with_its_caption(caption: str, number: str = "", blur: float = 0.0):
    """A box cut out of a form at 150 dpi: its frame, a caption printed small in its top-left
    corner (blurred by the scan, its letters run into one blob), and a number handwritten (here
    drawn) under it."""
    def draw(image):
        h, w = image.shape
        cv2.rectangle(image, (3, 3), (w - 4, h - 4), 0, 2)
        cv2.putText(image, caption, (9, 17), cv2.FONT_HERSHEY_PLAIN, 0.9, 70, 1, cv2.LINE_AA)
        if blur:
            image[:] = cv2.GaussianBlur(image, (0, 0), blur)
        if number:
            write(image, number, 30, 64, scale=1.2, thickness=3)
    return draw


@pytest.mark.parametrize("caption, blur", [("Score", 0), ("Date of birth", 0), ("Total amount", 0), ("No.", 0),
                                           ("No.", 1.5)])
def test_an_empty_box_cut_out_with_its_caption_holds_no_number(caption, blur):
    """Its caption alone was read as the box's number ('Score' read '5000')."""
    from digitize.reader import segment_page

    box = page_with(_a_box_with_its_caption(caption, blur=blur), (80, 420))
    assert segment_page("box.png", 1, box).numbers == []


@pytest.mark.parametrize("caption, number", [("Date of birth", "1"), ("Score", "17"), ("Total", "305")])
def test_the_number_under_a_box_s_caption_is_read_without_it(caption, number):
    """A long caption has more blobs than a lone '1' under it, and was taken for the writing."""
    from digitize.reader import segment_page

    (found,) = segment_page("box.png", 1, page_with(_a_box_with_its_caption(caption, number), (80, 420))).numbers
    assert len(found.blobs) == len(number) and min(blob.h for blob in found.blobs) >= 20  # print: 11 px


def _a_comb_cut_out(digits: str, angle: float = 0.0, shade: int = 40, rule: int = 3, cells: int = 6,
                    height: int = 80, worn: int | None = None) -> np.ndarray:
    """A comb field of cells 60 px wide and `height` high cut out of a form, the digits written
    a cell each ('|': a straight '1' written tall, 64 px), scanned slightly turned, blurred and
    noisy; `worn`: the shade of a worn stretch of the first divider, 8 px long."""
    x0, y0, cell = 10, 10, 60
    image = np.full((height + 20, cells * cell + 20), 255, np.uint8)
    for k in range(cells + 1):
        cv2.line(image, (x0 + k * cell, y0), (x0 + k * cell, y0 + height), shade, rule)
    for y in (y0, y0 + height):
        cv2.line(image, (x0, y), (x0 + cells * cell, y), shade, rule)
    if worn is not None:
        cv2.line(image, (x0 + cell, y0 + 26), (x0 + cell, y0 + 34), worn, rule)
    for k, digit in enumerate(digits):
        if digit == "|":
            cv2.line(image, (x0 + k * cell + 28, y0 + 8), (x0 + k * cell + 31, y0 + 72), 0, 5)
        else:
            write(image, digit, x0 + k * cell + 8, y0 + height - 8, scale=2.1, thickness=5)
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    image = cv2.warpAffine(image, turn, (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    image = cv2.GaussianBlur(image, (0, 0), 1.0) + np.random.default_rng(0).normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def test_a_comb_cut_out_of_a_form_is_read_a_digit_a_cell():
    from digitize.reader import segment_page

    (number,) = segment_page("comb.png", 1, _a_comb_cut_out("31415", angle=1.0)).numbers
    assert 55 <= number.cell_width <= 65
    assert [round((blob.x + blob.w / 2 - 10) // 60) for blob in number.blobs] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("worn, angle", [(150, 0.0), (170, 1.0), (170, -1.0)])
def test_a_comb_cut_out_whose_divider_wears_thin_is_read_a_digit_a_cell(worn, angle):
    """Binarized, the worn stretch breaks the divider: the first two cells were one wide box
    beside a comb, so no comb at all, and the divider's stub was read as a '1'."""
    from digitize.reader import segment_page

    image = _a_comb_cut_out("763", angle, rule=3, cells=5, height=60, worn=worn)
    (number,) = segment_page("comb.png", 1, image).numbers
    assert 55 <= number.cell_width <= 65
    assert [round((blob.x + blob.w / 2 - 10) // 60) for blob in number.blobs] == [0, 1, 2]


@pytest.mark.parametrize("digits", ["3|5", "|", "7|"])
def test_a_tall_one_in_a_comb_cut_out_is_no_divider(digits):
    """Read at a page's size, a '1' as tall as a page's long rules was erased as one."""
    from digitize.reader import segment_page

    (number,) = segment_page("comb.png", 1, _a_comb_cut_out(digits, angle=1.0)).numbers
    assert [round((blob.x + blob.w / 2 - 10) // 60) for blob in number.blobs] == list(range(len(digits)))
    assert [blob.h >= 55 for blob in number.blobs] == [digit == "|" for digit in digits]


@pytest.mark.parametrize("angle, shade, rule", [(1.0, 40, 3), (1.0, 90, 2), (-1.2, 90, 2)])
def test_an_empty_comb_cut_out_slightly_turned_holds_no_number(angle, shade, rule):
    """Read as one field, what the turn left of its dividers was read as '1's."""
    from digitize.reader import segment_page

    assert segment_page("comb.png", 1, _a_comb_cut_out("", angle, shade, rule)).numbers == []


@pytest.mark.parametrize("second_digit_at", [170, 190])  # clear of the circle; touching it
def test_a_circle_drawn_round_a_number_is_no_digit(second_digit_at):
    """A teacher's circle round a score was read with it ('56' as '506'); touching a digit, it
    is one blob with it, and only what of that blob lies inside the circle is kept."""
    def circled(image):
        write(image, "5", 115, 135, scale=2.2, thickness=5)
        write(image, "4", second_digit_at, 135, scale=2.2, thickness=5)
        cv2.ellipse(image, (165, 108), (70, 55), 0, 0, 360, 40, 3, cv2.LINE_AA)
    (number,) = cell_numbers(circled, (220, 320))
    assert [blob.x for blob in number.blobs] == [118, second_digit_at + 1]
    assert all(30 <= blob.h <= 45 for blob in number.blobs)  # no ring: 115 pixels high


def test_an_answer_sheet_s_printed_bubbles_are_no_zeros():
    """A grid of empty bubbles was read as rows of '000000'; the handwritten number stays."""
    def sheet(image):
        write(image, "305", 60, 90)
        for row in range(4):
            for col in range(6):
                cv2.circle(image, (60 + 50 * col, 180 + 50 * row), 16, 80, 2, cv2.LINE_AA)
    numbers = numbers_in_free_text(clean_page(page_with(sheet, (420, 400)), deskew=False).ink)
    assert [len(number.blobs) for number in numbers] == [3]


def test_a_number_circled_on_a_page_is_read_without_its_circle():
    def page(image):
        write(image, "12", 100, 150)
        write(image, "37", 400, 150)
        cv2.ellipse(image, (432, 132), (60, 40), 0, 0, 360, 40, 3, cv2.LINE_AA)
    numbers = numbers_in_free_text(clean_page(page_with(page), deskew=False).ink)
    assert [[blob.h < 60 for blob in number.blobs] for number in numbers] == [[True, True], [True, True]]


def _ticks_on_a_line(digits: str, cells: int = 6):
    """A comb of 60 px cells marked by ticks 26 px high standing on its base line, cut out of a
    form, the digits written a cell each."""
    def draw(image):
        for k in range(cells + 1):
            cv2.line(image, (10 + 60 * k, 64), (10 + 60 * k, 90), 60, 2)
        cv2.line(image, (10, 90), (10 + 60 * cells, 90), 60, 2)
        for k, digit in enumerate(digits):
            write(image, digit, 22 + 60 * k, 82, scale=1.6, thickness=4)
    return draw


def test_an_empty_comb_of_ticks_cut_out_holds_no_number():
    """Its ticks were read as '1's: '1111111' at status ok."""
    from digitize.reader import segment_page

    assert segment_page("comb.png", 1, page_with(_ticks_on_a_line(""), (100, 380))).numbers == []


def test_a_comb_of_ticks_is_read_a_digit_a_cell():
    from digitize.reader import segment_page

    (number,) = segment_page("comb.png", 1, page_with(_ticks_on_a_line("305"), (100, 380))).numbers
    assert 55 <= number.cell_width <= 65 and [(blob.x - 10) // 60 for blob in number.blobs] == [0, 1, 2]


@pytest.mark.parametrize("digits, angle", [("4096", 1.5), ("40963", -1.5)])
def test_a_turned_comb_whose_digits_touch_its_ticks_is_read_a_digit_a_cell(digits, angle):
    """Each digit written against its cell's left tick and standing on the base line, the comb
    turned a little: the touched ticks were not found alone, the sloping base line was no rule,
    and the digits joined to it were dropped with it (no number at all)."""
    from digitize.reader import segment_page

    def comb(image):
        _ticks_on_a_line("", cells=7)(image)
        for k, digit in enumerate(digits):
            write(image, digit, 11 + 60 * k, 89, scale=1.7, thickness=4)
    image = page_with(comb, (100, 450))
    image = cv2.warpAffine(image, cv2.getRotationMatrix2D((225, 50), angle, 1.0), (450, 100), borderValue=255)
    (number,) = segment_page("comb.png", 1, image).numbers
    assert 57 <= number.cell_width <= 63
    assert [(blob.x - 10) // 60 for blob in number.blobs] == list(range(len(digits)))
    assert all(25 <= blob.h <= 40 for blob in number.blobs)  # whole digits, no piece of the line


def test_a_blurred_empty_comb_of_ticks_holds_no_number():
    """Erasing a blurred comb's rules leaves specks at the ticks' tips and feet; a cell's pieces
    are one digit, and a cell's specks were gathered into one as wide as the cell, and read."""
    from digitize.reader import segment_page

    image = np.full((91, 440), 190, np.uint8)
    for k in range(8):
        cv2.line(image, (12 + 58 * k, 78 + k), (12 + 58 * k, 52 + k), 40, 5, cv2.LINE_AA)
    cv2.line(image, (12, 78), (418, 85), 40, 5, cv2.LINE_AA)
    image = cv2.GaussianBlur(image, (0, 0), 2.0)
    image = np.clip(image + np.random.default_rng(0).normal(0, 5, image.shape), 0, 255).astype(np.uint8)
    assert segment_page("comb.png", 1, image).numbers == []


def test_an_empty_comb_of_ticks_cut_out_at_its_base_line_holds_no_number():
    """Its base line along the image's foot: an opening takes the outside for ink, the line gave
    upright runs that joined the ticks into one blob, no comb was found, and its ticks were read
    as seven digits."""
    from digitize.reader import segment_page

    image = np.full((46, 420), 200, np.uint8)
    for k in range(8):
        cv2.line(image, (12 + 57 * k, 43), (12 + 57 * k, 27), 40, 5)
    cv2.line(image, (12, 43), (411, 43), 40, 5)
    image = cv2.GaussianBlur(image, (0, 0), 1.2)
    image = np.clip(image + np.random.default_rng(0).normal(0, 5, image.shape), 0, 255).astype(np.uint8)
    assert segment_page("comb.png", 1, image).numbers == []


def test_ones_standing_on_a_comb_s_base_line_in_every_cell_are_no_hidden_ticks():
    """A '1' in the middle of each cell, standing on the line, stands where every other tick
    would if the comb were twice as fine; but it is taller than a tick. Taken for ticks, their
    feet were erased with the comb's rules."""
    from digitize.reader import segment_page

    def comb(image):
        _ticks_on_a_line("", cells=6)(image)
        for k in range(6):
            cv2.line(image, (40 + 60 * k, 40), (40 + 60 * k, 89), 0, 4)
    (number,) = segment_page("comb.png", 1, page_with(comb, (100, 390))).numbers
    assert number.cell_width == 60 and [blob.h >= 45 for blob in number.blobs] == [True] * 6


def test_zeros_with_a_straight_side_standing_on_a_line_are_no_comb():
    """A cheque's cursive zeros ('1.000'): their straight left sides are upright runs of one
    height, evenly spaced, on the amount's line, but each runs on into its loop at the top,
    where a tick ends in paper. Taken for ticks, a zero was lost."""
    from digitize.reader import segment_page

    def zeros(image):
        for k in range(5):
            cv2.line(image, (30 + 34 * k, 40), (30 + 34 * k, 22), 0, 2)
            cv2.ellipse(image, (30 + 34 * k, 31), (11, 9), 0, -90, 90, 0, 2, cv2.LINE_AA)
        cv2.line(image, (5, 41), (215, 41), 0, 1)
    (number,) = segment_page("zeros.png", 1, page_with(zeros, (52, 220))).numbers
    assert len(number.blobs) == 5 and number.cell_width == 0


def test_a_hatching_of_strokes_on_a_line_is_no_comb():
    """Too many to be a comb's ticks: fitting their base line weighs every pair of them, and
    four hundred strokes took half a gigabyte."""
    from digitize.layout import _comb_ticks

    def hatching(image):
        for k in range(80):
            cv2.line(image, (20 + 60 * k, 50), (20 + 60 * k, 90), 0, 2)
        cv2.line(image, (10, 90), (4810, 90), 0, 2)
    assert _comb_ticks(clean_page(page_with(hatching, (120, 4820)), deskew=False).sure) is None


def test_ones_written_evenly_on_a_line_are_no_comb():
    """Written '1's stand closer together than they are tall; ticks stand further apart."""
    from digitize.reader import segment_page

    def ones(image):
        for k in range(4):
            cv2.line(image, (40 + 50 * k, 30), (40 + 50 * k, 90), 0, 5)
        cv2.line(image, (20, 92), (220, 92), 0, 3)  # underlined
    (number,) = segment_page("ones.png", 1, page_with(ones, (120, 260))).numbers
    assert len(number.blobs) == 4 and number.cell_width == 0


def test_a_number_in_a_shadow_is_read_whole():
    """Light falling to a third across the image: its dark side is no scanner's margin (no step
    between it and the paper), and the '4' in it was erased with it."""
    from digitize.reader import segment_page

    image = np.full((120, 420), 235, np.uint8)
    write(image, "4096", 30, 90, scale=2.0, thickness=5)
    shaded = (image * np.linspace(0.3, 1.0, 420)[None, :]).astype(np.uint8)
    (number,) = segment_page("shadow.png", 1, shaded).numbers
    assert len(number.blobs) == 4 and number.blobs[0].x <= 40


def test_a_dim_photo_of_a_number_is_dark_writing_on_gray_paper():
    """Paper at 94 of 255 is darker than a dark ground's level (100): the image was inverted
    and its paper read as ink. Against its own brightest, it is paper."""
    from digitize.reader import segment_page

    image = np.full((160, 460), 235, np.uint8)
    write(image, "4096", 40, 115, scale=2.0, thickness=5)
    dim = (image * 0.4).astype(np.uint8)
    (number,) = segment_page("dim.jpg", 1, dim).numbers
    assert len(number.blobs) == 4 and max(blob.h for blob in number.blobs) < 60


@pytest.mark.parametrize("size", [(3, 3), (1, 5), (40, 2)])
def test_a_tiny_image_read_as_a_page_gives_no_number_and_no_error(size):
    """Its margin strips, an eighth of it, were empty arrays: an internal error with --layout page."""
    from digitize.reader import segment_page

    assert segment_page("tiny.png", 1, np.full(size, 255, np.uint8), mode="page").numbers == []


def test_an_image_all_ink_has_no_rules_to_measure_and_no_crash():
    """Rules filling the image left no paper to measure their thickness from: an internal error."""
    layout = analyze(np.full((60, 200), 255, np.uint8), whole_image_field=True)
    assert layout.ink.shape == (60, 200)


def test_a_seven_written_in_a_cell_s_corner_is_read():
    def draw(image):
        write(image, "7", 190, 24, scale=1.0, thickness=3)  # its bar by the top, by the side
    assert [len(number.blobs) for number in cell_numbers(draw, (110, 210))] == [1]


def test_a_dash_of_a_rule_alone_in_a_cell_is_no_number():
    """A blob 2-3 pixels high is no digit (the smallest read are 8): alone, it was read '2'."""
    def dash(image):
        cv2.line(image, (50, 30), (66, 30), 60, 2)
    assert cell_numbers(dash, (70, 130)) == []


@pytest.mark.parametrize("angle", [-1.2, 0.8])
def test_the_thick_frame_of_an_empty_small_cell_is_no_number(angle):
    """A small cell cut out along its rules, slightly turned: what layout leaves of its frame
    runs along three or four sides, straight, and was read as a number."""
    from digitize.reader import segment_page

    h, w = 56, 80
    cell = np.full((h, w), 255, np.uint8)
    cv2.rectangle(cell, (1, 1), (w - 2, h - 2), 60, 3)
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cell = cv2.warpAffine(cell, turn, (w, h), borderMode=cv2.BORDER_REPLICATE).astype(np.float32) * 0.8
    cell = cv2.GaussianBlur(cell, (0, 0), 0.8) + np.random.default_rng(0).normal(0, 4, cell.shape)
    cell = np.clip(cell, 0, 255).astype(np.uint8)
    assert segment_page("cell.png", 1, cell, mode="field").numbers == []


@pytest.mark.parametrize("draw", [_what_a_cut_leaves_of_the_rules, _a_corner_of_rules_running_out,
                                  _a_rule_down_the_left_with_the_stubs_of_those_across])
def test_a_digit_beside_what_a_cut_leaves_of_a_grid_is_read(draw):
    """Beside writing, the side rule running the image's height is no leading '1'."""
    def both(image):
        draw(image)
        write(image, "7", 100, 75)
    assert [len(number.blobs) for number in cell_numbers(both, (100, 240))] == [1]


def test_a_rule_s_hairline_along_the_image_s_side_is_no_leading_one():
    def draw(image):
        cv2.line(image, (0, 38), (0, 82), 0, 2)  # what the cut left of the side rule, by the digits
        write(image, "50", 14, 80, scale=2.0, thickness=5)
    assert [len(number.blobs) for number in cell_numbers(draw, (100, 170))] == [2]


def test_a_rule_s_hairline_a_little_off_the_image_s_side_is_no_trailing_one():
    def draw(image):
        write(image, "50", 14, 80, scale=2.0, thickness=5)
        cv2.line(image, (300, 38), (300, 82), 0, 2)  # the right rule, 9 px in from the side
    assert [len(number.blobs) for number in cell_numbers(draw, (100, 310))] == [2]


def test_a_side_rule_with_stubs_a_little_off_the_image_s_side_is_no_leading_one():
    def draw(image):
        h, w = image.shape
        cv2.line(image, (9, 0), (9, h), 90, 3)  # the left rule, from the top to the bottom
        cv2.line(image, (6, 2), (30, 2), 90, 3)  # and the stubs of the rules across it
        cv2.line(image, (6, h - 3), (30, h - 3), 90, 3)
        write(image, "61", 40, 85, scale=2.4, thickness=5)
    assert [len(number.blobs) for number in cell_numbers(draw, (110, 300))] == [2]


def _the_end_of_a_turned_side_rule(image):
    h, w = image.shape
    cv2.line(image, (8, 50), (9, h), 90, 3)  # by the left side, out of the bottom, past the digits' feet


def _the_corner_of_two_rules(image):
    cv2.line(image, (0, 8), (30, 0), 90, 1)  # the rule above, turned, running out of the top ...
    cv2.line(image, (1, 0), (1, 50), 90, 1)  # ... meets the side rule at the image's corner


@pytest.mark.parametrize("draw", [_the_end_of_a_turned_side_rule, _the_corner_of_two_rules])
def test_what_a_turned_cell_keeps_of_its_rules_at_a_side_is_no_leading_one(draw):
    """A cell cut out of a turned grid keeps only an end of its side rule, or a corner, beside
    the number: read, each added a '1' ('38' read '138')."""
    def both(image):
        draw(image)
        write(image, "38", 60, 85, scale=2.4, thickness=6)
    assert [len(number.blobs) for number in cell_numbers(both, (107, 321))] == [2]


def test_a_rule_s_stub_the_image_s_side_cuts_beside_the_digits_is_no_trailing_one():
    """A small cell keeps a short stub of its right rule, on the digits' line, cut by the
    image's side: read, it added a '1' ('27' read '271')."""
    def draw(image):
        h, w = image.shape
        write(image, "27", 50, 46, scale=1.2, thickness=3)
        cv2.line(image, (w - 1, 24), (w - 1, 43), 90, 3)
    assert [len(number.blobs) for number in cell_numbers(draw, (56, 116))] == [2]


def test_a_one_standing_on_the_line_by_a_cheque_s_edge_is_kept():
    """A '1' by the image's side that runs out of its bottom, on the line the digits after it
    stand on (a cheque cropped close), is a digit, not the end of a rule."""
    def draw(image):
        h, w = image.shape
        cv2.line(image, (5, 28), (5, h), 0, 5)
        write(image, "30", 20, h - 2, scale=1.4, thickness=4)
    assert [len(number.blobs) for number in cell_numbers(draw, (60, 200))] == [3]


def test_a_tall_first_digit_cut_by_a_cheque_s_edge_is_kept():
    """A cheque amount cropped close: its tall first '1' runs from the image's top to its bottom
    along its side, but is not twice as tall as the digits after it, as a side rule is."""
    def draw(image):
        cv2.line(image, (12, 0), (2, 59), 0, 6)  # leaning: no rule
        write(image, "503", 22, 52, scale=2.0, thickness=5)
    assert [len(number.blobs) for number in cell_numbers(draw, (60, 200))] == [4]


def test_a_one_written_near_a_wide_cell_s_side_is_no_rule_end():
    def draw(image):
        cv2.line(image, (26, 60), (26, 108), 0, 8)  # clear of the image's edges
    assert [len(number.blobs) for number in cell_numbers(draw, (150, 400))] == [1]


def test_a_lone_one_beside_what_is_left_of_the_rules_is_read():
    """Pieces of the rules at the image's edges do not keep a '1' from standing alone."""
    def draw(image):
        cv2.line(image, (37, 14), (37, 48), 0, 7)
        cv2.line(image, (111, 31), (111, 59), 0, 2)  # the right rule's lower end
        cv2.line(image, (28, 57), (82, 57), 0, 2)  # a piece of the rule below
    assert [[(b.w, b.h) for b in number.blobs] for number in cell_numbers(draw, (59, 113))] == [[(9, 43)]]


def test_the_thick_rules_around_a_small_cell_are_no_digit():
    """A small cell cut out with its box: the rules, thick beside it, join into a frame along
    three sides that fills much of its box. Read as one blob, the frame was the number ('471'
    read '5')."""
    def draw(image):
        for y in (1, 63):  # the cut ran along the rules above and below, which run on out
            cv2.line(image, (0, y), (86, y), 60, 5)
        cv2.line(image, (6, 0), (6, 65), 60, 5)
        cv2.line(image, (80, 0), (80, 65), 60, 5)
        write(image, "47", 18, 48, scale=0.9, thickness=3)
    numbers = cell_numbers(draw, (66, 87))
    assert [[b.h < 40 for b in number.blobs] for number in numbers] == [[True, True]]


def test_a_seven_of_straight_strokes_alone_in_a_cell_is_no_corner():
    def seven(image):  # bar and stem at right angles, clear of the image's sides
        cv2.line(image, (90, 20), (140, 20), 30, 5)
        cv2.line(image, (140, 20), (140, 80), 30, 5)
    assert [len(number.blobs) for number in cell_numbers(seven, (100, 240))] == [1]


def test_the_fringe_a_slanting_side_rule_leaves_is_no_writing_beside_the_rules():
    """A cell's side rules, slanting a little: the straight run found in each leaves a fringe
    beside it, as tall as the digits' line. Taken for writing, it made both rules '1's beside
    it, kept with the digits: '61' read '161', and a '7' touching the rule was lost with it."""
    from digitize.layout import _without_tall_ones

    ink = np.zeros((125, 412), np.uint8)
    vertical = np.zeros_like(ink)
    vertical[:, 5:11] = vertical[:, 407:412] = 255  # the straight runs of the side rules
    ink[:, 5:11] = ink[:, 407:412] = 255
    ink[6:83, 402:407] = 255  # the right rule's fringe, where it slants off its run
    cv2.ellipse(ink, (47, 85), (14, 24), 0, 0, 360, 255, 6)  # the digits, 65 pixels high
    cv2.line(ink, (84, 45), (84, 110), 255, 6)
    kept = _without_tall_ones(vertical, ink, np.zeros_like(ink))
    assert kept[:, 5:11].all() and kept[:, 407:412].all()


def test_a_dense_dark_background_pattern_is_split_from_the_ink():
    def draw(image):
        image[:] = 200
        for offset in range(-120, 300, 6):  # a security pattern: dense dark diagonal lines
            cv2.line(image, (offset, 0), (offset + 100, 100), 110, 2)
        write(image, "59", 60, 80, scale=2.2, thickness=6)
    ink = clean_page(page_with(draw, (100, 240)), deskew=False).ink
    assert (ink > 0).mean() < 0.2  # the digits only: they cover about a tenth of the field
    assert ink[30:80, 60:170].mean() > 20


def test_a_security_print_of_thin_lines_as_dark_as_the_writing_does_not_net_the_digits_together():
    def draw(image):
        image[:] = 235
        for offset in range(-100, 300, 6):  # 1 px lines all over the field: a sixth of its paper
            cv2.line(image, (offset, 0), (offset + 40, 90), 160, 1)
        write(image, "8401", 20, 70, scale=1.8, thickness=4)
        image[image == 0] = 90
    numbers = cell_numbers(draw, (90, 240))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4
    assert all(b.h < 45 and b.w < 40 for b in numbers[0].blobs)


def test_a_printed_rule_broken_into_dashes_across_a_field_is_still_removed():
    def draw(image):
        write(image, "4", 40, 75, scale=2.2, thickness=5)
        write(image, "7", 150, 75, scale=2.2, thickness=5)
        for x in range(0, 240, 32):  # a worn rule: dashes 2 px apart, across both digits
            cv2.line(image, (x, 40), (x + 29, 40), 0, 1)
    from digitize.reader import segment_page

    numbers = segment_page("f", 1, page_with(draw, (90, 240)), mode="field").numbers
    assert len(numbers) == 1 and [b.w < 45 for b in numbers[0].blobs] == [True, True]


def test_a_thin_one_as_tall_as_a_cheque_field_s_digits_is_kept():
    def draw(image):
        write(image, "2", 10, 100, scale=3.4, thickness=6)
        cv2.line(image, (105, 30), (105, 100), 0, 4)  # the "1": as tall as the digits, 0.65 of the field
        write(image, "85", 140, 100, scale=3.4, thickness=6)
    numbers = cell_numbers(draw, (110, 320))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs][:2] == [1, 10]


def test_light_digits_on_a_dark_ground_are_read_as_ink():
    def draw(image):
        image[:] = 35  # chalk on a board, or a white-on-black digit image
        cv2.putText(image, "4271", (20, 90), cv2.FONT_HERSHEY_SIMPLEX, 2.5, 230, 6, cv2.LINE_AA)
    numbers = cell_numbers(draw, (120, 300))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 4


def test_a_wide_black_scan_margin_does_not_invert_the_page():
    def draw(image):
        image[:, :130] = 10  # the margin: more than half of the image, on one side only
        write(image, "57", 150, 110, scale=1.2, thickness=3)
    numbers = cell_numbers(draw, (200, 240))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [15, 17]


def test_a_scan_margin_joined_to_a_printed_footer_line_is_still_a_margin():
    """A register cell: the black margin down its left side touches the dark print of a footer
    line across the cell's foot, which makes them one sparse dark region."""
    def draw(image):
        image[:, :50] = 8
        cv2.line(image, (50, 225), (134, 225), 60, 2)
        write(image, "52", 70, 110, scale=1.0, thickness=2)
    ink = clean_page(page_with(draw, (237, 135)), deskew=False).ink
    assert not ink[:, :45].any()
    numbers = numbers_in_field(ink, (0, 0, 135, 237), "image", cut_out=True)
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [7, 9]


def test_broken_five_is_joined():
    def draw(image):
        cv2.line(image, (60, 40), (100, 40), 0, 5)  # the detached bar
        cv2.line(image, (62, 48), (60, 75), 0, 5)
        cv2.ellipse(image, (75, 95), (22, 22), 0, 200, 500, 0, 5)
    ink = clean_page(page_with(draw, (200, 200))).ink
    numbers = numbers_in_field(ink, (0, 0, 200, 200), "image")
    assert len(numbers) == 1 and len(numbers[0].blobs) == 1


@pytest.mark.parametrize("flag_x, flag_y, length, joined", [
    (140, 56, 28, True),
    (140, 56, 64, True),  # a flag about as long as the digit is tall
    (160, 100, 28, False),
])
def test_a_five_s_flag_written_apart_at_its_top_right_is_joined_but_a_dash_at_mid_height_is_not(flag_x, flag_y, length, joined):
    def draw(image):
        write(image, "2", 30, 125, scale=2.5, thickness=5)
        cv2.line(image, (120, 62), (118, 90), 0, 5)  # a '5' written as a stem and belly ...
        cv2.ellipse(image, (132, 106), (18, 18), 0, 200, 500, 0, 5)
        cv2.line(image, (flag_x, flag_y + 4), (flag_x + length, flag_y - 2), 0, 5)  # ... then its flag, apart
    numbers = cell_numbers(draw, (180, 260))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2
    five = numbers[0].blobs[1]
    assert (five.x + five.w >= flag_x + length - 3) == joined and five.y < 60


@pytest.mark.parametrize("pen, gap, loop, joined", [
    (5, 4, False, True),  # a '7' whose bar a faint join left apart from its stem
    (5, 30, False, False),  # a dash well above the digit
    (2, 4, False, False),  # a printed caption's letter over a '1'
    (5, 4, True, False),  # a speck over an '0'
])
def test_a_bar_left_apart_on_a_digit_s_top_is_joined_to_it_but_not_a_caption_a_dash_or_a_speck_over_a_loop(pen, gap, loop, joined):
    def draw(image):
        write(image, "34", 40, 160, scale=2.5, thickness=5)
        if loop:
            cv2.ellipse(image, (168, 135), (18, 25), 0, 0, 360, 0, 5)
        else:
            cv2.line(image, (182, 102), (160, 160), 0, 5)  # a '7''s stem ...
        cv2.line(image, (142, 104 - gap), (178 - gap, 98 - gap), 0, pen)  # ... and its bar, apart
    [number] = numbers_in_free_text(clean_page(page_with(draw, (260, 400)), deskew=False).ink)
    last = number.blobs[-1]
    assert len(number.blobs) == 3 and (last.x <= 145) == joined


@pytest.mark.parametrize("stem_x, joined", [(132, True), (150, False)])
def test_the_arm_of_an_open_four_written_apart_just_before_its_stem_is_part_of_it(stem_x, joined):
    def draw(image):
        write(image, "7", 10, 112, scale=3.4, thickness=6)
        cv2.polylines(image, [np.array([[100, 40], [100, 72], [120, 72]], np.int32)], False, 0, 5)  # the arm ...
        cv2.line(image, (stem_x, 40), (stem_x, 110), 0, 8)  # ... and the stem, apart
    numbers = cell_numbers(draw, (150, 220))
    assert len(numbers) == 1
    assert len(numbers[0].blobs) == (2 if joined else 3)
    assert (numbers[0].blobs[-1].x < 100) == joined


def test_a_digit_broken_across_is_joined_before_its_small_half_is_taken_for_a_speck():
    def draw(image):
        write(image, "58", 20, 80, scale=2.0, thickness=5)
        cv2.circle(image, (140, 68), 11, 0, 5)  # the loop of a '6' ...
        cv2.line(image, (147, 39), (140, 46), 0, 5)  # ... and its top stroke: the ink between is lost
    numbers = cell_numbers(draw, (110, 200))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 3
    six = numbers[0].blobs[2]
    assert six.y < 40 and six.y + six.h > 75  # the stroke and the loop, one digit


def test_a_thin_one_leaning_over_the_next_digit_is_not_joined_to_it_as_a_hook():
    def draw(image):
        cv2.line(image, (68, 40), (44, 92), 0, 4)  # "167": the '1' leans over the '6' beside it
        write(image, "67", 56, 92, scale=2.6, thickness=7)
    numbers = cell_numbers(draw, (120, 220))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 3


def underlined_69(image):  # a register cell's '69', the line touching both feet
    write(image, "69", 20, 60, scale=1.5, thickness=3)
    cv2.line(image, (14, 62), (80, 62), 0, 3)


def swoosh_under_69(image):  # the line sloping
    write(image, "69", 22, 60, scale=1.5, thickness=3)
    cv2.line(image, (12, 66), (84, 54), 0, 3)


def underlined_5(image):  # one digit, the line reaching past both its sides
    write(image, "5", 30, 60, scale=1.5, thickness=3)
    cv2.line(image, (24, 62), (68, 62), 0, 3)


def low_barred_4(image):  # the bar low, the stem going on beneath it
    cv2.line(image, (30, 20), (18, 55), 0, 3)
    cv2.line(image, (16, 55), (50, 55), 0, 3)
    cv2.line(image, (42, 25), (42, 70), 0, 3)


def short_stemmed_4(image):  # the stem going on only a little beneath the bar
    cv2.line(image, (30, 20), (18, 55), 0, 3)
    cv2.line(image, (16, 55), (50, 55), 0, 3)
    cv2.line(image, (42, 25), (42, 61), 0, 3)


def two_with_its_foot(image):
    write(image, "2", 30, 62, scale=1.5, thickness=3)


def two_rising_into_a_3(image):  # a quick '2' whose foot rises into the '3'
    cv2.polylines(image, [np.array([(20, 30), (30, 22), (42, 28), (40, 42), (22, 62), (56, 54)])], False, 0, 3)
    write(image, "3", 54, 60, scale=1.5, thickness=3)


@pytest.mark.parametrize("draw, pieces", [
    (underlined_69, [2, 5]), (swoosh_under_69, [2, 5]), (underlined_5, [3]),
    (low_barred_4, []), (short_stemmed_4, []), (two_with_its_foot, []), (two_rising_into_a_3, []),
])
def test_an_underline_joining_digits_is_taken_out_but_no_digit_s_own_stroke(draw, pieces):
    blob = only_blob(draw, (90, 110))
    apart = without_underline(blob)
    assert [p.x // 10 for p in apart] == pieces
    assert all(p.h < 0.95 * blob.h for p in apart)  # the line's rows are gone


def test_digits_joined_by_their_underline_are_offered_apart_among_the_blob_s_readings():
    joined = only_blob(underlined_69, (90, 110))
    assert [2, 5] in [[p.x // 10 for p in pieces] for pieces in split_hypotheses(joined, joined.h)]


def test_touching_digits_get_a_two_piece_hypothesis():
    def draw(image):
        cv2.ellipse(image, (60, 60), (28, 40), 0, 0, 360, 0, 6)  # two zeros written touching
        cv2.ellipse(image, (113, 60), (28, 40), 0, 0, 360, 0, 6)
    ink = clean_page(page_with(draw, (120, 200))).ink
    blob = max(blobs_in(ink), key=lambda b: b.w)
    hypotheses = split_hypotheses(blob, blob.h)
    assert len(hypotheses[0]) == 1
    two = [h for h in hypotheses if len(h) == 2]
    assert two, "a wide blob must offer a split into two digits"
    # A cut between them (their rings, each with the wall they share, are offered too).
    assert any(left.x + left.w <= right.x + 2 and abs(left.w - right.w) < 0.35 * blob.w for left, right in two)


@pytest.mark.parametrize("zeros", [5, 6])
def test_a_cheque_s_run_of_zeros_in_one_stroke_can_be_cut_into_every_zero(zeros):
    # '70000' written in one stroke on a cheque: five or six digits in one blob.
    def draw(image):
        for i in range(zeros):
            cv2.ellipse(image, (40 + 50 * i, 60), (24, 36), 0, 0, 360, 0, 6)
    ink = clean_page(page_with(draw, (120, 80 + 50 * zeros))).ink
    blob = max(blobs_in(ink), key=lambda b: b.w)
    assert blob.w > 3 * blob.h
    cuts = [[p.x + p.w // 2 for p in pieces] for pieces in split_hypotheses(blob, blob.h) if len(pieces) == zeros]
    assert any(all(abs(x - (40 + 50 * i)) < 12 for i, x in enumerate(centres)) for centres in cuts)


@pytest.mark.parametrize("tilt, thin", [(-30, 9), (-20, 7)])
def test_slanted_touching_zeros_can_be_cut_into_one_zero_each(tilt, thin):
    # Four zeros leaning right, each touching the next (a cheque's '6006'): cut along the
    # slant, one hypothesis gives each piece one whole ring.
    ink = np.zeros((70, 200), np.uint8)
    for k in range(4):
        cv2.ellipse(ink, (30 + 20 * k, 35), (thin, 22), tilt, 0, 360, 255, 3)
    (blob,) = blobs_in(ink)
    fours = [[p.area for p in pieces] for pieces in split_hypotheses(blob, blob.h) if len(pieces) == 4]
    assert min(max(areas) / min(areas) for areas in fours) < 1.12


def test_crops_keep_the_ink_s_shades_whole_and_cut():
    """A light stroke (a hairline lead-in, a faint bar) is dimmer in its crop than a pressed one,
    as in MNIST's gray scans: in a blob's whole crop, and in the pieces it is cut into."""
    from digitize.reader import classify, segment_page

    def draw(image):
        for x in (60, 113):  # two zeros written touching, their tops light
            cv2.ellipse(image, (x, 60), (28, 40), 0, 180, 360, 130, 6)
            cv2.ellipse(image, (x, 60), (28, 40), 0, 0, 180, 0, 6)
    segments = segment_page("f", 1, page_with(draw, (120, 200)))
    seen = []

    def predict(crops):  # an unsure '8': the blob is cut
        seen.append(crops.copy())
        rows = np.zeros((len(crops), 11), np.float32)
        rows[:, 8] = rows[:, 0] = 0.5
        return rows
    classify([segments], predict)
    wholes, pieces = seen[0], seen[1]
    assert len(wholes) == 1 and len(pieces) >= 2
    for crop in [*wholes, *pieces]:
        top, foot = crop[:14][crop[:14] > 100], crop[14:][crop[14:] > 100]
        assert top.mean() < 0.75 * foot.mean()


def test_a_mark_under_half_the_digits_height_is_cropped_in_black_and_white():
    """A gray dot blown up to 20 px is a soft blob the model takes for a digit ('14.000' read
    '146000'); it knows such marks as crisp shapes."""
    from digitize.normalize import to_mnist
    from digitize.reader import segment_page

    def draw(image):
        cv2.line(image, (40, 30), (40, 60), 120, 6)  # a '1', its top written light
        cv2.line(image, (40, 60), (40, 90), 0, 6)
        cv2.ellipse(image, (66, 40), (8, 12), 0, 0, 360, 60, 4)  # a small mark
        cv2.ellipse(image, (110, 60), (22, 30), 0, 0, 360, 0, 6)
        image[:] = cv2.GaussianBlur(image, (3, 3), 0.8)  # scanned: soft edges
    segments = segment_page("f", 1, page_with(draw, (120, 200)))
    blobs = segments.numbers[0].blobs
    assert [blob.h < 0.5 * blobs[0].h for blob in blobs] == [False, True, False]
    assert (segments.crops[1] == to_mnist(blobs[1].mask)).all()
    assert not (segments.crops[0] == to_mnist(blobs[0].mask)).all()


def read_touching_zeros(eight_certainty: float, reject: float = 0.0, zero_certainty: float = 1.0) -> tuple[list[str], int]:
    """Two zeros written touching, read with a model that calls the whole blob an '8' this
    sure, "not a digit" with `reject` (the rest '0'), and every cut piece a '0' this sure (the
    rest '6'): the numbers and the model calls. Second looks are off: this stub answers by call."""
    from digitize.reader import classify, decide, segment_page

    def draw(image):
        cv2.ellipse(image, (60, 60), (28, 40), 0, 0, 360, 0, 6)
        cv2.ellipse(image, (113, 60), (28, 40), 0, 0, 360, 0, 6)
    segments = segment_page("f", 1, page_with(draw, (120, 200)))
    calls = []

    def predict(crops):
        calls.append(len(crops))
        rows = np.zeros((len(crops), 11), np.float32)
        if len(calls) == 1:  # the whole blob
            rows[:, 8], rows[:, 10], rows[:, 0] = eight_certainty, reject, 1.0 - eight_certainty - reject
        else:  # the pieces
            rows[:, 0], rows[:, 6] = zero_certainty, 1.0 - zero_certainty
        return rows
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)
        reads = decide(segments, classify([segments], predict)[0])
    return [read.number for read in reads], len(calls)


@pytest.mark.parametrize("whole_is_doubted", [True, False])
def test_only_blobs_the_model_doubts_are_cut(whole_is_doubted):
    numbers, calls = read_touching_zeros(0.5 if whole_is_doubted else 1.0)  # an unsure '8', or a sure one
    assert numbers == (["00"] if whole_is_doubted else ["8"])
    assert calls == (2 if whole_is_doubted else 1)  # a sure blob is never cut


@pytest.mark.parametrize("reject, expected", [(0.0, "8"), (0.1, "00")])
def test_a_pair_read_as_a_fairly_sure_digit_is_cut_when_the_model_also_says_not_a_digit(reject, expected):
    # The whole: an '8' at 0.85; its cut: two '0's at 0.9, which scores 0.9 * 0.85 for the cut.
    assert read_touching_zeros(0.85, reject=reject, zero_certainty=0.9)[0] == [expected]


@pytest.mark.parametrize("last, two_piece, expected", [
    ("zero", 0.6, "000"), ("zero", 0.85, "000"), ("stroke", 0.6, "000"), ("stroke", 0.85, "00")])
def test_three_zeros_in_one_stroke_beat_a_less_sure_cut_into_two_and_a_third_piece_without_a_loop_must_be_far_surer(
        last, two_piece, expected):
    """Whole: "not a digit". Every two-piece cut: '0' at 1.0 and `two_piece` (0.6: 0.77 x 0.85 =
    0.66 with the split penalty; 0.85: 0.78); every three-piece cut: three '0's at 0.999 (0.85
    with the split penalty when each piece closes a loop; 0.68 when the last is a stroke).
    Pieces of one digit often read as sure digits: a sliver of a '3' as a '5' ('39' read '539');
    a loop of its own is no sliver."""
    from digitize.reader import classify, decide, segment_page

    def draw(image):
        for centre in (50, 100):
            cv2.ellipse(image, (centre, 60), (26, 36), 0, 0, 360, 0, 5)
        if last == "zero":
            cv2.ellipse(image, (150, 60), (26, 36), 0, 0, 360, 0, 5)
        else:
            cv2.line(image, (150, 24), (126, 70), 0, 5)
            cv2.line(image, (150, 24), (150, 96), 0, 5)
    segments = segment_page("f", 1, page_with(draw, (120, 200)))

    def predict(crops):
        rows = np.zeros((len(crops), 11), np.float32)
        rows[:, 10] = 1.0
        return rows
    probabilities = classify([segments], predict)[0]
    hypotheses = segments.index[0][0]
    assert {len(ids) for ids in hypotheses} >= {1, 2, 3}
    for ids in hypotheses[1:]:
        certainties = {2: [1.0, two_piece], 3: [0.999] * 3}.get(len(ids), [0.5] * len(ids))
        probabilities[ids] = 0.0
        probabilities[ids, 0] = certainties
        probabilities[ids, 6] = 1.0 - np.array(certainties)
    assert [read.number for read in decide(segments, probabilities)] == [expected]


def unsure_ones_then_sure_sevens(reject: float = 0.0):
    """A stub model answering by call: every whole blob (the first call) an unsure '1' with
    this "not a digit" belief, every cut piece (later calls) a sure '7'."""
    calls = []

    def predict(crops):
        calls.append(len(crops))
        rows = np.zeros((len(crops), 11), np.float32)
        if len(calls) == 1:
            rows[:, 1], rows[:, 10], rows[:, 0] = 0.55, reject, 0.45 - reject
        else:
            rows[:, 7] = 1.0
        return rows
    return predict


@pytest.mark.parametrize("last, reject, cut", [
    ("alike", 0.0, False),
    ("touching pair", 0.0, True),  # 1.85 times as wide as the others
    ("wide", 0.0, False),  # 1.5 times as wide: a wide digit, unless ...
    ("wide", 0.3, True),  # ... the model has some belief that it is no single digit
])
def test_a_doubted_blob_no_wider_than_the_digits_beside_it_is_never_cut(last, reject, cut, monkeypatch):
    """Every whole read as an unsure '1' and every cut piece as a sure '7': only a blob clearly
    wider than its neighbours (two touching) is worth cutting. (Second looks are off: the stub
    answers by call.)"""
    from digitize.reader import classify, decide, segment_page

    monkeypatch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)

    def draw(image):
        for x in (40, 105, 170, 235):  # open 'C's as wide as tall: each could be cut
            cv2.ellipse(image, (x, 60), (28, 24), 0, 45, 315, 0, 5)
        if last == "wide":
            cv2.ellipse(image, (320, 60), (42, 24), 0, 45, 315, 0, 5)
        else:
            cv2.ellipse(image, (300, 60), (28, 24), 0, 45, 315, 0, 5)
        if last == "touching pair":  # a second 'C' touching the last one
            cv2.ellipse(image, (347, 60), (28, 24), 0, 45, 315, 0, 5)
    segments = segment_page("f", 1, page_with(draw, (120, 400)), mode="field")
    numbers = [read.number for read in decide(segments, classify([segments], unsure_ones_then_sure_sevens(reject))[0])]
    assert len(segments.numbers[0].blobs) == 5
    assert numbers == (["111177"] if cut else ["11111"])


@pytest.mark.parametrize("reject, cut", [(0.0, False), (0.3, True)])
def test_a_wide_digit_beside_one_other_is_one_digit_unless_the_model_doubts_it(reject, cut, monkeypatch):
    """A field of two 'C's, the second 1.6 times as wide as the first (which is too narrow to
    cut): one other digit is enough to tell a wide digit the model believes in from two
    touching. Every whole is an unsure '1', every cut piece a sure '7' (second looks off)."""
    from digitize.reader import classify, decide, segment_page

    monkeypatch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)

    def draw(image):
        cv2.ellipse(image, (40, 60), (20, 24), 0, 45, 315, 0, 5)
        cv2.ellipse(image, (115, 60), (36, 24), 0, 45, 315, 0, 5)
    segments = segment_page("f", 1, page_with(draw, (120, 200)), mode="field")
    numbers = [read.number for read in decide(segments, classify([segments], unsure_ones_then_sure_sevens(reject))[0])]
    assert len(segments.numbers[0].blobs) == 2
    assert numbers == (["177"] if cut else ["11"])


@pytest.mark.parametrize("other_numbers, cut", [(False, True), (True, False)])
def test_a_wide_digit_in_a_short_number_is_judged_against_the_page_s_writing(other_numbers, cut, monkeypatch):
    """A number of a '1' and a blob of two 'C's run together, 1.55 times as wide as tall: alone
    on the page it may be two digits touching; on a page of digits as wide as tall, it is one
    wide digit. Every whole is an unsure '1', every cut piece a sure '7' (second looks off)."""
    from digitize.reader import classify, decide, segment_page

    monkeypatch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)

    def draw(image):
        if other_numbers:  # two numbers of five digits each above it
            for start in (40, 440):
                for i in range(5):
                    cv2.ellipse(image, (start + 65 * i, 60), (28, 24), 0, 45, 315, 0, 5)
        cv2.line(image, (40, 176), (40, 224), 0, 5)
        cv2.ellipse(image, (100, 200), (28, 24), 0, 45, 315, 0, 5)
        cv2.ellipse(image, (130, 200), (28, 24), 0, 45, 315, 0, 5)
    segments = segment_page("f", 1, page_with(draw, (260, 800)), mode="page")
    numbers = [read.number for read in decide(segments, classify([segments], unsure_ones_then_sure_sevens())[0])]
    assert numbers[-1] == ("177" if cut else "11")
    assert len(numbers) == (3 if other_numbers else 1)


def test_digit_crossing_a_box_line_survives_rule_removal():
    def draw(image):
        cv2.rectangle(image, (50, 60), (550, 160), 0, 3)
        write(image, "7", 100, 175, scale=3.0, thickness=5)  # descends through the bottom rule
    ink = clean_page(page_with(draw), deskew=False).ink
    layout = analyze(ink, whole_image_field=False)
    assert len(layout.fields) == 1
    below = layout.ink[163:172, 90:170]  # the stroke just below the rule is kept
    across = layout.ink[158:163, 90:170]  # and mended where it crossed the rule
    assert below.any() and across.any()
    assert not layout.ink[158:163, 300:540].any()  # while the rule itself is gone


def test_a_box_side_wider_in_the_ink_than_its_sure_core_leaves_no_sliver():
    """A side whose faint edge makes it 4 px wide where its sure ink is 1 px: erasing the rule
    found in the sure ink leaves a 1 px sliver along it that would read as a '1'."""
    ink = np.zeros((400, 600), np.uint8)
    cv2.rectangle(ink, (100, 100), (500, 300), 255, 2)
    cv2.line(ink, (220, 180), (220, 230), 255, 6)  # a '1' in the box, shorter than its sides
    ink[100:300, 98:102] = 255  # the left side: 4 px of ink ...
    sure = ink.copy()
    sure[100:300, 98:102] = 0
    sure[100:300, 100] = 255  # ... only its middle sure
    layout = analyze(ink, whole_image_field=False, rule_ink=sure)
    assert len(layout.fields) == 1
    assert not layout.ink[:, 90:110].any()
    assert layout.ink[180:230, 217:224].all()


def test_empty_box_gives_no_number():
    def draw(image):
        cv2.rectangle(image, (50, 60), (550, 160), 0, 3)
    ink = clean_page(page_with(draw), deskew=False).ink
    layout = analyze(ink, whole_image_field=False)
    (box,) = layout.fields
    assert numbers_in_field(layout.ink, (box.x + 5, box.y + 5, box.w - 10, box.h - 10), "box1") == []


def draw_comb(image, cells, cell):
    """A comb of `cells` cells `cell` pixels wide, from (50, 100) to the foot at row 170."""
    for i in range(cells + 1):
        cv2.line(image, (50 + cell * i, 100), (50 + cell * i, 170), 0, 3)
    cv2.line(image, (50, 100), (50 + cell * cells, 100), 0, 3)
    cv2.line(image, (50, 170), (50 + cell * cells, 170), 0, 3)


def test_comb_cells_become_one_field():
    layout = analyze(clean_page(page_with(lambda image: draw_comb(image, 6, 60)), deskew=False).ink,
                     whole_image_field=False)
    assert [(f.kind, f.cells) for f in layout.fields] == [("comb", 6)]


@pytest.mark.parametrize("last", ["alike", "narrower than tall"])
def test_a_blob_as_narrow_as_a_digit_that_reads_as_no_digit_is_cut_not_dropped(last, monkeypatch):
    """Two digits touching can be as narrow as one wide digit ('1' and '9'). The model calls the
    last blob surely no digit: dropped whole, it would lose both, so it is offered cuts."""
    from digitize.reader import classify, decide, segment_page

    monkeypatch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)

    def draw(image):
        for x in (40, 105, 170, 235):  # open 'C's as wide as tall
            cv2.ellipse(image, (x, 60), (28, 24), 0, 45, 315, 0, 5)
        if last == "alike":
            cv2.ellipse(image, (300, 60), (28, 24), 0, 45, 315, 0, 5)
        else:  # a stroke touching a narrow 'C': 0.7 times as wide as tall
            cv2.line(image, (285, 36), (285, 84), 0, 5)
            cv2.ellipse(image, (302, 60), (14, 24), 0, 45, 315, 0, 5)
    segments = segment_page("f", 1, page_with(draw, (120, 400)), mode="field")
    blob = segments.numbers[0].blobs[-1]
    assert (blob.w >= blob.h) == (last == "alike")
    calls = []

    def predict(crops):  # wholes (the first call): four sure '1's, then surely no digit; pieces: '7'
        calls.append(len(crops))
        rows = np.zeros((len(crops), 11), np.float32)
        if len(calls) == 1:
            rows[:, 1] = 1.0
            rows[-1] = 0.0
            rows[-1, 10] = 1.0
        else:
            rows[:, 7] = 1.0
        return rows
    reads = decide(segments, classify([segments], predict)[0])
    assert len(segments.numbers[0].blobs) == 5
    assert [read.number for read in reads] == ["111177"]


def test_a_small_digit_written_in_two_strokes_in_a_comb_cell_is_one_digit():
    from digitize.reader import segment_page

    def draw(image):
        draw_comb(image, 4, 70)
        for i in (0, 1, 3):  # tall '1's
            cv2.line(image, (85 + 70 * i, 112), (83 + 70 * i, 158), 0, 4)
        # the third cell: a small '5' whose flag stands apart from its body, each under the digits' height
        cv2.line(image, (218, 126), (246, 116), 0, 5)
        cv2.ellipse(image, (214, 151), (10, 9), 0, -100, 160, 0, 4)
    (comb,) = segment_page("f", 1, page_with(draw, (300, 600)), mode="page").numbers
    assert comb.field == "comb1" and len(comb.blobs) == 4
    five = comb.blobs[2]
    assert five.x < 210 and five.x + five.w > 245  # body and flag, one blob


def test_a_digit_touching_its_box_s_printed_caption_leaves_the_caption_out():
    # Three boxes print a caption in their top-left corner; in the first, the '7' of "70" is
    # written up against it and touches its 'e'. Its letters must not join the '7' (read '9').
    from digitize.reader import segment_page

    def draw(image):
        for i, caption in enumerate(("Date", "Total", "Score")):
            x, y = 60, 60 + 130 * i
            cv2.rectangle(image, (x, y), (x + 500, y + 100), 0, 3)
            cv2.putText(image, caption, (x + 8, y + 22), cv2.FONT_HERSHEY_PLAIN, 1.2, 0, 1, cv2.LINE_AA)
            write(image, "70", x + 36 if i == 0 else x + 90, y + 64 if i == 0 else y + 85, scale=2.2, thickness=5)
    numbers = segment_page("form.png", 1, page_with(draw, (500, 700)), mode="page").numbers
    assert [n.field for n in numbers] == ["box1", "box2", "box3"]
    (seven, _), (other_seven, _) = numbers[0].blobs, numbers[1].blobs  # each box: a "7" and a "0"
    # As tall and wide as a '7' elsewhere, give or take the pixels where they touched: the
    # caption's letters (11 px) would make it taller, and wider to the left.
    assert abs(seven.h - other_seven.h) <= 3 and abs(seven.w - other_seven.w) <= 3


def test_a_digit_alone_in_a_comb_cell_is_never_cut():
    from digitize.reader import classify, decide, segment_page

    def draw(image):
        draw_comb(image, 4, 70)
        for i in range(4):  # a 'Z'-shaped '2' per cell, wider than tall: enough to be offered cuts
            x = 62 + 70 * i
            cv2.polylines(image, [np.array([[x, 114], [x + 46, 114], [x, 154], [x + 46, 154]], np.int32)], False, 0, 4)
    segments = segment_page("f", 1, page_with(draw, (300, 600)), mode="page")
    assert [n.field for n in segments.numbers] == ["comb1"] and len(segments.numbers[0].blobs) == 4
    calls = []

    def predict(crops):  # unsure of every crop: a free-standing blob this wide would be cut
        calls.append(len(crops))
        rows = np.zeros((len(crops), 11), np.float32)
        rows[:, 2], rows[:, 7] = 0.6, 0.4
        return rows
    reads = decide(segments, classify([segments], predict)[0])
    assert calls == [4] and [r.number for r in reads] == ["2222"]


@pytest.mark.parametrize("shape, expected", [("lead-in", "1"), ("two stems", "11")])
def test_a_one_s_lead_in_stroke_is_not_cut_off_as_a_digit_of_its_own(shape, expected, monkeypatch):
    """A European '1' starts with a long stroke up from the left (registers): wide enough to be
    cut, and its pieces read as sure digits ('41'). A cut whose first piece is well under the
    blob's height takes off a lead-in, not a digit; two stems joined at their feet still part."""
    from digitize.reader import classify, decide, segment_page

    monkeypatch.setattr("digitize.reader.SECOND_LOOK_BELOW", 0.0)

    def draw(image):
        if shape == "lead-in":
            cv2.polylines(image, [np.array([[70, 110], [170, 50], [170, 150]], np.int32)], False, 0, 6)
        else:  # joined by a short link at their feet
            cv2.polylines(image, [np.array([[65, 50], [65, 150], [175, 150], [175, 50]], np.int32)], False, 0, 6)
    segments = segment_page("f", 1, page_with(draw, (200, 240)), mode="field")
    (blob,) = segments.numbers[0].blobs
    assert blob.w >= blob.h
    calls = []

    def predict(crops):  # the whole: an unsure '1'; every piece: a sure '1'
        calls.append(len(crops))
        rows = np.zeros((len(crops), 11), np.float32)
        rows[:, 1], rows[:, 4] = (0.6, 0.4) if len(calls) == 1 else (0.95, 0.05)
        return rows
    reads = decide(segments, classify([segments], predict)[0])
    assert [read.number for read in reads] == [expected]


@pytest.mark.parametrize("angle", [-8.0, 6.0])
def test_skew_is_measured(angle):
    def draw(image):
        for row in range(6):
            write(image, "1234 5678 90", 30, 150 + row * 110, scale=1.6)
    image = page_with(draw, (900, 700))
    matrix = cv2.getRotationMatrix2D((350, 450), angle, 1.0)
    rotated = cv2.warpAffine(image, matrix, (700, 900), borderValue=255)
    ink = np.where(rotated < 128, 255, 0).astype(np.uint8)
    assert abs(estimate_skew(ink) + angle) <= 0.75


def test_reading_order_follows_a_slanted_line():
    blobs = [Blob(int(100 + 50 * i), int(300 - 35 * i), 20, 30, np.full((30, 20), 255, np.uint8)) for i in range(5)]
    shuffled = [blobs[i] for i in (3, 0, 4, 1, 2)]
    assert reading_order(shuffled) == blobs


def test_marker_one_is_kept_but_a_rule_is_not():
    """A broad-pen '1' is as thin as a rule remnant; its height and line tell them apart."""
    def draw(image):
        cv2.rectangle(image, (40, 60), (52, 200), 0, -1)  # '1': 13 x 141, level with the zeros
        for x in (110, 220):
            cv2.ellipse(image, (x, 130), (38, 68), 0, 0, 360, 0, 12)
        cv2.rectangle(image, (600, 5), (608, 295), 0, -1)  # a rule remnant, far taller than the digits
    ink = clean_page(page_with(draw, (300, 640))).ink
    numbers = numbers_in_field(ink, (0, 0, 640, 300), "image")
    blobs = [b for n in numbers for b in n.blobs]
    assert sorted(b.x // 10 for b in blobs) == [4, 6, 17]  # the '1' and both zeros, no rule


def test_a_lone_one_in_a_cell_is_a_digit_but_a_lone_rule_is_not():
    def one(image):
        cv2.line(image, (42, 14), (42, 68), 0, 4)  # a thin '1' alone in the middle of the cell
    def side(image):
        cv2.line(image, (8, 0), (8, 83), 0, 4)  # what a cell's side leaves: along it, end to end
    assert [len(n.blobs) for n in cell_numbers(one, (84, 84))] == [1]
    assert cell_numbers(side, (84, 84)) == []


def seven(image):
    """A '7' cut out tightly: its bar spans the image, its stem reaches the bottom corner."""
    h, w = image.shape
    cv2.line(image, (0, 4), (w - 1, 4), 0, 8)
    cv2.line(image, (w - 5, 4), (4, h - 1), 0, 6)


def test_the_bar_of_a_tightly_cut_seven_is_no_rule():
    ink = clean_page(page_with(seven, (64, 48)), deskew=False).ink
    kept = analyze(ink, whole_image_field=True).ink
    assert kept[2:7, 4:20].all()  # the bar's left end, far from the stem


def test_a_tightly_cut_one_is_read_whole():
    def draw(image):
        cv2.line(image, (7, 0), (7, 63), 0, 8)  # the image is the '1': no paper beside it
    numbers = cell_numbers(draw, (64, 15))
    assert len(numbers) == 1 and [b.h for b in numbers[0].blobs] == [64]


def like_a_scan(image: np.ndarray, blur: float = 0.0) -> np.ndarray:
    """The image blurred (a Gaussian of this sigma, if any) and with a scan's noise, the same
    noise every run."""
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    return np.clip(image + np.random.default_rng(0).normal(0, 6, image.shape), 0, 255).astype(np.uint8)


def scanned_cell_framed_by_its_rules(text: str) -> np.ndarray:
    """A cell cut out along the outside of its rules, which frame the image, on gray paper,
    blurred and noisy like a scan."""
    image = np.full((100, 200), 200, np.uint8)
    cv2.rectangle(image, (1, 1), (198, 98), 40, 3)
    write(image, text, 30, 75, scale=2.0, thickness=5)
    return like_a_scan(image, blur=1.0)


def test_a_cell_framed_by_its_rules_is_dark_writing_on_paper():
    """Every side of the image is dark, as on a dark ground. Taken for one, the paper inside the
    frame was read as the ink: '26' read as one blob, '900' read '5013'."""
    from digitize.reader import segment_page
    numbers = segment_page("cell.png", 1, scanned_cell_framed_by_its_rules("26"), mode="field").numbers
    assert [[b.h < 50 for b in number.blobs] for number in numbers] == [[True, True]]
    assert segment_page("cell.png", 1, scanned_cell_framed_by_its_rules(""), mode="field").numbers == []


def test_a_cell_framed_by_its_rules_beside_a_scan_margin_is_dark_writing_on_paper():
    """The scanner's black margin down one side is part of that side's dark band."""
    from digitize.reader import segment_page
    cell = scanned_cell_framed_by_its_rules("26")
    cell[:, :25] = 15
    numbers = segment_page("cell.png", 1, cell, mode="field").numbers
    assert [[b.h < 50 for b in number.blobs] for number in numbers] == [[True, True]]


@pytest.mark.parametrize("sides, foot", [(95, 102), (100, 100)])
def test_a_cell_framed_by_hairline_rules_of_middling_gray_is_dark_writing_on_paper(sides, foot):
    """Rules about as dark as a dark ground's threshold, with scan noise: every side is partly
    dark, none wholly, and the frame was only half found, its paper read as the ink."""
    from digitize.reader import segment_page

    cell = np.full((100, 260), 220, np.uint8)
    cell[0, :] = cell[:, 0] = cell[:, -1] = sides
    cell[-1, :] = foot
    write(cell, "26", 40, 75, scale=2.0, thickness=5)
    numbers = segment_page("cell.png", 1, like_a_scan(cell), mode="field").numbers
    assert [[b.h < 50 for b in number.blobs] for number in numbers] == [[True, True]]


def test_a_box_cut_out_turned_with_its_caption_is_dark_writing_on_paper():
    """Its rules run along the edges and then in, the right one out of the image, a scan margin
    darkens the left: no frame all round. The image is paper but for a tenth of it, and its
    middle is paper; it was taken for light writing on a dark ground and read inverted."""
    from digitize.reader import segment_page

    box = np.full((150, 280), 225, np.uint8)
    box[:, :6] = 20
    cv2.line(box, (8, 0), (8, 149), 40, 3)
    cv2.line(box, (0, 0), (279, 3), 40, 3)
    cv2.line(box, (0, 149), (279, 146), 40, 3)
    cv2.line(box, (278, 0), (279, 45), 40, 3)
    cv2.putText(box, "Date", (14, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 30, 2, cv2.LINE_AA)
    write(box, "26", 60, 120, scale=2.0, thickness=4)
    numbers = segment_page("box.png", 1, box, mode="field").numbers
    assert [[b.h >= 40 for b in number.blobs] for number in numbers] == [[True, True]]


def test_a_caption_blurred_into_one_blob_does_not_slant_the_number_s_line():
    """A box's printed caption in its top-left corner, its letters run together, is as big as a
    digit but half as tall: taken with three digits to say how their line slants, it drew the
    line up to itself and stayed on it (read as part of the number, and a digit fell off)."""
    from digitize.segment import main_line, typical_height

    ink = np.zeros((137, 165), np.uint8)
    cv2.putText(ink, "Sco", (11, 31), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    ink[:40] = cv2.dilate(ink[:40], np.ones((3, 3), np.uint8))
    for digit, x, y in (("8", 16, 115), ("7", 60, 112), ("6", 104, 110)):
        cv2.putText(ink, digit, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 255, 5, cv2.LINE_AA)
    blobs = blobs_in(np.where(ink > 100, 255, 0).astype(np.uint8), (0, 0, 165, 137))
    assert len(blobs) == 4  # the caption is one blob
    kept = main_line(blobs, typical_height(blobs, (0, 0, 165, 137)), (0, 0, 165, 137))
    assert sorted(b.h >= 40 for b in kept) == [True, True, True]


def test_a_white_one_cut_out_tightly_is_no_frame(mnist_path):
    """A light '1' cut to its ink is mostly stroke, dark only along its sides, like a cell in
    its frame; but its stroke runs out of its top and foot, where a frame's rules run."""
    from digitize.reader import segment_page

    one = 255 - tight_mnist_digit(mnist_path, 35386)  # a '1' of the validation split
    numbers = segment_page("one.png", 1, one).numbers
    assert [[b.h >= 60 for b in number.blobs] for number in numbers] == [[True]]


def test_a_first_digit_touching_a_leaning_side_rule_is_read():
    """The cut ran inside a thick side rule that leans two pixels over the cell's height: its
    straight run left a fringe that joined the '9' touching it, and the '9' went with the rule."""
    from digitize.reader import segment_page

    cell = np.full((72, 170), 200, np.uint8)
    cv2.line(cell, (1, 0), (3, 72), 45, 4)
    write(cell, "96", 4, 50, scale=1.4, thickness=3)
    numbers = segment_page("cell.png", 1, like_a_scan(cell, blur=1.0), mode="field").numbers
    assert [[b.h < 40 for b in number.blobs] for number in numbers] == [[True, True]]


def test_a_page_scanned_with_a_black_border_all_round_keeps_its_numbers_apart():
    """The border's inner edge is a rectangle of rules around the whole page: taken for a box,
    it made the page one field, and all its numbers one number."""
    from digitize.reader import segment_page
    from digitize.synth import free_page

    page = free_page(np.random.default_rng(3), lines=4, per_line=2)
    bordered = cv2.copyMakeBorder(page.image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=20)
    numbers = segment_page("page.png", 1, bordered).numbers
    assert len(numbers) == len(page.truth) and not any(n.field.startswith("box") for n in numbers)


@pytest.mark.parametrize("angle", [-3.0, 7.0])
def test_a_page_scanned_turned_with_black_wedges_at_its_edges_is_dark_writing_on_paper(angle):
    """The scanner's black background shows in wedges where the turned page does not reach: half
    of every side is dark, as on a dark ground, and the page was inverted (samples/freeform.png
    turned 3 degrees so gave 1 number of its 32)."""
    from digitize.reader import segment_page
    from digitize.synth import free_page

    page = free_page(np.random.default_rng(3), lines=4, per_line=2)
    h, w = page.image.shape
    turned = cv2.warpAffine(page.image, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderValue=0)
    assert len(segment_page("page.png", 1, turned).numbers) == len(page.truth)


def test_the_black_wedges_beside_a_turned_page_leave_no_slivers_read_as_ones():
    """Lighting normalization leaves only a wedge's ragged edge as ink: thin slivers along the
    page's sides, read as '1's. A wedge is a scan margin, though it covers under half a side."""
    from digitize.reader import segment_page
    from digitize.synth import free_page, photograph

    rng = np.random.default_rng(3)
    page = photograph(free_page(rng, dpi=300, lines=4, per_line=2), rng, angle=2.0, background=0)
    numbers = segment_page("page.png", 1, page.image).numbers
    assert len(numbers) == len(page.truth)


def test_punch_holes_in_a_page_s_margin_are_no_numbers():
    """Holes punched for a binder come out black on a scanner's black backing: solid discs many
    pen widths thick, with no hole of their own, read as '0's or joined to a number beside."""
    from digitize.reader import segment_page
    from digitize.synth import free_page

    page = free_page(np.random.default_rng(3), lines=4, per_line=2)
    h, w = page.image.shape
    for y in (h // 5, h // 2, 4 * h // 5):
        cv2.circle(page.image, (w // 25, y), 18, 0, -1)
    assert len(segment_page("page.png", 1, page.image).numbers) == len(page.truth)


@pytest.mark.parametrize("blot, where", [("waisted", 60), ("ellipse", 420)])
def test_a_digit_filled_in_by_its_ink_is_no_punch_hole(blot, where):
    """An '8' whose loops the ink filled, among finer writing: as thick as a punch hole and as
    solid in its box. It is read when it is waisted, even in the margin, or when it lies where
    binders do not punch, however much it looks like a hole cut by the scan's margin."""
    from digitize.reader import segment_page

    page = np.full((1300, 1000), 255, np.uint8)
    if blot == "waisted":
        cv2.circle(page, (where, 320), 15, 0, -1)
        cv2.circle(page, (where, 350), 17, 0, -1)
    else:
        cv2.ellipse(page, (where, 335), (12, 23), 0, 0, 360, 0, -1)
    for y in range(500, 1200, 100):
        write(page, "4512", 300, y, scale=1.5, thickness=3)  # the page's usual pen
    boxes = [(b.x, b.cy, b.h) for number in segment_page("page.png", 1, page).numbers for b in number.blobs]
    assert any(abs(x - where) < 30 and abs(cy - 335) < 10 and h >= 45 for x, cy, h in boxes)


def test_a_solid_digit_in_a_box_by_the_margin_is_no_punch_hole():
    """A bold '8' filled in by its ink, round as a hole, in a comb's first cell near the page's
    side: no form prints a box over a punch hole, so it is read (it was erased: '846756' read
    '46756')."""
    from digitize.reader import segment_page

    page = np.full((1300, 1000), 255, np.uint8)
    cv2.rectangle(page, (40, 300), (400, 380), 0, 2)
    for x in range(100, 400, 60):
        cv2.line(page, (x, 300), (x, 380), 0, 2)  # a comb of six cells
    cv2.ellipse(page, (70, 340), (16, 22), 0, 0, 360, 0, -1)  # the solid '8'
    for k, x in enumerate(range(130, 400, 60)):
        write(page, "4675"[k % 4], x - 12, 360, scale=1.5, thickness=3)
    for y in range(500, 1200, 100):
        write(page, "4512", 300, y, scale=1.5, thickness=3)  # the page's usual pen
    [comb] = [n for n in segment_page("form.png", 1, page).numbers if n.field == "comb1"]
    assert len(comb.blobs) == 6


@pytest.mark.parametrize("desk", [60, 130])
def test_a_page_photographed_on_a_desk_is_read_on_the_sheet_only(desk):
    """A dark desk around the sheet made the photo a dark ground (nothing read); a mid-gray
    desk's grain was read as digits. The sheet is a light quadrilateral with a step at its edge."""
    from digitize.reader import segment_page
    from digitize.synth import free_page, on_a_desk

    rng = np.random.default_rng(3)
    page = on_a_desk(free_page(rng, lines=4, per_line=2), rng, desk)
    assert len(segment_page("photo.jpg", 1, page.image).numbers) == len(page.truth)


@pytest.mark.parametrize("seed", [2, 36])
def test_a_form_lit_unevenly_and_turned_on_a_black_scanner_lid_keeps_all_its_boxes(seed):
    """Its lit half, next to the dim half and the black corners the turn leaves, looked like a
    sheet on a desk: the page was cropped to it and a whole column of boxes lost."""
    from digitize.reader import segment_page
    from digitize.synth import form_page, photograph

    rng = np.random.default_rng(seed)
    page = photograph(form_page(rng, dpi=300), rng, angle=float(rng.uniform(-7, 7)), background=0)
    segments = segment_page("scan.jpg", 1, page.image)
    assert sorted(number.field for number in segments.numbers) == sorted(truth.field for truth in page.truth)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_a_form_photographed_on_a_desk_is_read_flat_and_boxed_in_the_photo(seed, classifier):
    """In perspective, a form's boxes are no rectangles: their sides were read as '1's and their
    numbers as free writing. The sheet is warped flat first; boxes go back into the photo."""
    from digitize.reader import classify, decide, segment_page
    from digitize.synth import form_page, on_a_desk

    rng = np.random.default_rng(seed)
    page = on_a_desk(form_page(rng), rng)
    segments = segment_page("photo.jpg", 1, page.image)
    assert sorted(number.field for number in segments.numbers) == sorted(truth.field for truth in page.truth)
    reads = decide(segments, classify([segments], classifier.probabilities)[0])
    assert sorted(read.number for read in reads) == sorted(truth.number for truth in page.truth)
    for truth in page.truth:
        assert max(overlap(truth.box, read.box) for read in reads) > 0.7, truth


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two x, y, width, height boxes."""
    width = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    height = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return width * height / (a[2] * a[3] + b[2] * b[3] - width * height)


def test_a_white_digit_cut_tightly_from_a_dark_ground_is_inverted():
    def draw(image):
        image[:] = 0
        cv2.ellipse(image, (24, 32), (22, 30), 0, 0, 360, 255, 8)  # a white '0' cut tightly
    ink = clean_page(page_with(draw, (64, 48)), deskew=False).ink
    assert ink[32, 0:6].all() and not ink[32, 16:32].any()  # the ring is ink, its hole paper


def test_a_bold_white_digit_filling_its_image_is_inverted():
    canvas = np.zeros((120, 100), np.uint8)
    cv2.putText(canvas, "4", (10, 90), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 255, 9, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 100)
    digit = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]  # more stroke than ground
    assert np.median(digit) >= 100  # the median is no dark ground: the sides tell
    ink = clean_page(digit, deskew=False).ink
    assert ((ink > 0) == (digit > 128)).mean() > 0.9


def test_a_one_cut_out_tightly_is_read_though_its_faint_foot_is_lost():
    def draw(image):  # 18 px wide, the stroke a third of that; it ends 4 px above the foot
        cv2.line(image, (9, 0), (9, 56), 0, 6)
    numbers = cell_numbers(draw, (64, 18))
    assert [len(number.blobs) for number in numbers] == [1] and numbers[0].blobs[0].h >= 58


def test_a_digit_cut_out_tightly_is_no_frame_for_a_speck_beside_it():
    """A '5' touching all four sides, its stem down the left side: alone it is no scan margin,
    and a speck (a piece of its own ink) does not make it one."""
    def draw(image):
        cv2.polylines(image, [np.array([[44, 1], [1, 1], [1, 30], [30, 26], [43, 44], [30, 62], [8, 60]],
                                       np.int32)], False, 0, 3)
        cv2.circle(image, (36, 13), 2, 0, -1)
    numbers = cell_numbers(draw, (64, 46))
    assert [[(b.w, b.h) for b in number.blobs] for number in numbers] == [[(46, 64)]]


def test_a_grid_line_along_a_digit_s_bar_is_erased_beyond_it_and_the_bar_kept():
    """Squared exam paper: the grid line through a wide '5' runs along its bar, which covers most
    of the line. Beyond the digit the line is a hairline: a rule there, while the bar stays."""
    from digitize.reader import segment_page

    image = np.full((100, 100), 250, np.uint8)
    image[6::36, :] = 120  # grid lines 36 px apart
    image[:, 10::36] = 120
    cv2.polylines(image, [np.array([[80, 22], [24, 22], [20, 42], [78, 42], [84, 60], [70, 78], [22, 76]],
                                   np.int32)], False, 30, 8)  # the bar lies on the line at row 42
    segments = segment_page("exam.png", 1, image)
    assert [[(b.x // 4, b.w // 4) for b in number.blobs] for number in segments.numbers] == [[(4, 18)]]


def test_a_one_written_along_a_grid_line_of_squared_paper_is_kept():
    """The '1' and the grid line make one vertical run: a hairline above and below the digit, a
    rule there, and pen-thick along the '1', which stays."""
    from digitize.reader import segment_page

    image = np.full((100, 100), 250, np.uint8)
    image[6::36, :] = 120
    image[:, 10::36] = 120
    cv2.line(image, (47, 20), (45, 78), 30, 8)  # along the grid line at column 46
    segments = segment_page("exam.png", 1, image)
    assert [[(b.y // 4, b.h // 4) for b in number.blobs] for number in segments.numbers] == [[(4, 16)]]


def test_a_postal_one_spanning_its_image_is_read():
    from digitize.reader import segment_page

    def draw(image):
        cv2.line(image, (8, 0), (7, 15), 0, 2)  # 16x16, the digit scaled to the image's height
    segments = segment_page("postal.png", 1, page_with(draw, (16, 16)))
    assert len(segments.numbers) == 1 and [b.h * segments.scale for b in segments.numbers[0].blobs] == [16]



def test_a_zip_code_sixteen_pixels_high_is_read_enlarged():
    """Five thin digits 16 pixels high: read at that size, clean-up merges the '3' and the '0'. A
    field is enlarged by its shorter side, not only when it is one postal digit."""
    from digitize.reader import segment_page

    image = np.full((16, 80), 255, np.uint8)
    scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, 11, 1)
    cv2.putText(image, "30517", (2, 13), cv2.FONT_HERSHEY_SIMPLEX, scale, 0, 1, cv2.LINE_AA)
    segments = segment_page("zip.png", 1, image)
    assert [len(number.blobs) for number in segments.numbers] == [5]


def test_only_a_field_image_under_32_pixels_high_is_read_enlarged():
    """A line of digits is enlarged by its height; a '1' cut out tightly, tall and 13 pixels
    wide, is read as it is (enlarged, tall narrow digits read worse)."""
    from digitize.reader import segment_page

    one = np.full((64, 13), 255, np.uint8)
    cv2.line(one, (6, 2), (6, 61), 0, 5)
    line = np.full((20, 90), 255, np.uint8)
    cv2.putText(line, "2718", (2, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 0, 1, cv2.LINE_AA)
    assert segment_page("one.png", 1, one).scale == 1
    assert segment_page("zip.png", 1, line).scale == 1 / 4


def test_the_crossbar_of_a_four_on_a_box_s_paper_is_no_rule():
    def draw(image):
        cv2.line(image, (30, 8), (10, 34), 0, 5)
        cv2.line(image, (8, 34), (46, 34), 0, 5)  # the crossbar: most of the image wide
        cv2.line(image, (36, 8), (36, 48), 0, 5)  # the stem: a straight vertical run
    ink = clean_page(page_with(draw, (56, 56)), deskew=False).ink
    kept = analyze(ink, whole_image_field=True).ink
    assert kept[32:37, 12:30].any(axis=0).all()


def test_a_bold_postal_size_eight_is_ink_not_paper():
    from digitize.reader import classify, decide, segment_page

    image = np.full((16, 16), 255, np.uint8)
    cv2.ellipse(image, (8, 4), (4, 3), 0, 0, 360, 0, 3)
    cv2.ellipse(image, (8, 11), (5, 4), 0, 0, 360, 0, 3)
    image = cv2.GaussianBlur(image, (3, 3), 0)  # a 16x16 scan: the strokes fill the digit
    segments = segment_page("postal.png", 1, image)
    assert len(segments.numbers) == 1 and len(segments.numbers[0].blobs) == 1

    def sure_eight(crops):
        rows = np.zeros((len(crops), 11), np.float32)
        rows[:, 8] = 1.0
        return rows
    (read,) = decide(segments, classify([segments], sure_eight)[0])
    x, y, w, h = read.box  # in the image's own pixels, though it was read enlarged
    assert x >= 0 and y >= 0 and x + w <= 16 and y + h <= 16 and h >= 14


def test_comb_cells_a_pixel_out_of_level_stay_one_field():
    from digitize.layout import group_combs

    # A comb on a page deskewed to within a pixel: its cells' tops step up from left to right.
    cells = [(122 + 60 * i, 904 - i // 2, 58, 72) for i in range(6)]
    assert [(f.kind, f.cells, f.x) for f in group_combs(cells)] == [("comb", 6, 122)]


def test_a_worn_rule_joined_by_faint_ink_is_removed():
    def draw(image):
        write(image, "57", 100, 160, scale=2.0, thickness=5)
        for x in range(0, 300, 16):  # dark dashes too short to be a rule, joined by fainter ink
            cv2.line(image, (x, 200), (x + 5, 200), 60, 2)
            cv2.line(image, (x + 6, 200), (x + 15, 200), 170, 2)
    clean = clean_page(page_with(draw, (300, 300)), deskew=False)
    assert clean.ink[198:203, :290].any(axis=0).all()  # the rule is one run of ink ...
    kept = analyze(clean.ink, whole_image_field=True, rule_ink=clean.sure).ink
    assert not kept[198:203].any() and kept[120:160, 100:180].any()  # ... and goes, the digits stay


def test_a_digit_on_squared_paper_is_read_without_the_grid():
    from digitize.reader import segment_page

    def draw(image):
        image[6::36, :] = 120  # the grid: hairlines, but as dark as ink
        image[:, 10::36] = 120
        write(image, "2", 24, 88, scale=2.8, thickness=8)  # two squares tall: lines cross it
    segments = segment_page("exam.png", 1, page_with(draw, (100, 100)))
    (number,) = segments.numbers
    (blob,) = number.blobs
    assert 15 <= blob.x and blob.x + blob.w <= 85 and 15 <= blob.y and blob.y + blob.h <= 92


def test_a_cell_s_rule_beside_small_digits_is_no_lone_one():
    def draw(image):
        cv2.line(image, (54, 0), (55, 199), 0, 6)  # a scan's rule down the cell, end to end
        write(image, "26", 80, 80, scale=0.7, thickness=2)  # digits a tenth of its length
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [8, 9]


def test_a_mark_below_a_two_digit_number_does_not_tilt_its_line():
    def draw(image):
        write(image, "40", 66, 95, scale=0.8, thickness=2)
        write(image, "9", 104, 150, scale=1.1, thickness=2)  # the next row's writing, reaching in
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [6, 8]


def test_ruling_joined_into_a_frame_is_not_the_cell_s_number():
    def draw(image):
        cv2.line(image, (45, 0), (47, 199), 0, 5)  # a cell's side ...
        cv2.line(image, (47, 190), (139, 188), 0, 5)  # ... joined to the printed line below
        write(image, "57", 70, 100, scale=0.8, thickness=2)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and [b.x // 10 for b in numbers[0].blobs] == [7, 8]


def test_a_corner_of_ruling_and_a_speckled_margin_are_not_digits():
    def corner(image):
        cv2.line(image, (80, 3), (139, 2), 0, 3)  # the cell's top rule, met by its side
        cv2.line(image, (136, 2), (133, 120), 0, 3)
        write(image, "57", 60, 100, scale=0.8, thickness=2)

    def margin(image):
        rng = np.random.default_rng(3)
        band = image[:, :45]
        band[rng.random(band.shape) < 0.5] = 0  # a half-dark scan margin, speckled
        image[:, 43:47] = 0  # its edge
        cv2.line(image, (0, 2), (100, 2), 0, 3)  # and the cell's top rule running into it
        write(image, "57", 70, 100, scale=0.8, thickness=2)
    for draw in (corner, margin):
        numbers = cell_numbers(draw, (200, 140))
        assert len(numbers) == 1 and len(numbers[0].blobs) == 2, draw.__name__


def test_a_small_mark_ending_a_number_is_not_a_digit_unless_the_model_is_certain_and_no_one():
    """A closing stroke is one stroke, as a '1' is: read as a sure '1' it is still the stroke."""
    from digitize.reader import classify, decide, segment_page

    def draw(image):
        write(image, "57", 20, 90, scale=2.0, thickness=4)
        cv2.line(image, (120, 80), (130, 68), 0, 4)  # a closing stroke, a third of a digit high
    segments = segment_page("cheque.png", 1, page_with(draw, (120, 160)))
    assert [len(n.blobs) for n in segments.numbers] == [3]

    def reads(mark_certainty, digit=1):
        def predict(crops):
            rows = np.zeros((len(crops), 11), np.float32)
            rows[0, 5] = rows[1, 7] = 1.0
            rows[2:, digit] = mark_certainty  # the mark: a '1', as the model would guess
            rows[2:, 10] = 1.0 - mark_certainty
            return rows
        return [read.number for read in decide(segments, classify([segments], predict)[0])]
    assert reads(0.9) == ["57"]
    assert reads(0.999) == ["57"]
    assert reads(0.9, digit=0) == ["57"]
    assert reads(0.999, digit=0) == ["570"]  # a small '0' ends cheque amounts


def test_a_closing_stroke_cut_off_the_last_digit_is_not_a_digit_when_read_as_a_one():
    """A cheque's closing stroke written on from the last digit: the cut off piece, a third of a
    digit high, reads as a sure '1'; a small '0' cut off the end of a run of zeros stays."""
    from digitize.reader import Segments, decide
    from digitize.segment import NumberCandidate

    def blob(x, h):
        return Blob(x, 100 - h, 10, h, np.full((h, 10), 255, np.uint8))

    five, seven, piece_seven, stroke = blob(0, 30), blob(20, 30), blob(20, 30), blob(32, 10)
    number = NumberCandidate("line1", [five, seven], 30.0, splits=[[[five]], [[seven], [piece_seven, stroke]]])

    def reads(stroke_digit):
        probabilities = np.zeros((4, 11), np.float32)
        probabilities[0, 5] = 1.0  # the '5'
        probabilities[1, 7], probabilities[1, 10] = 0.5, 0.5  # the '7' and the stroke, doubted whole
        probabilities[2, 7] = 0.99  # the '7' cut apart
        probabilities[3, stroke_digit] = 0.99  # the piece cut off its end
        segments = Segments("cheque.png", 1, (200, 200), [number], np.zeros((4, 28, 28), np.uint8),
                            [[[[0]], [[1], [2, 3]]]], None)  # number → blob → reading → crops
        return [read.number for read in decide(segments, probabilities)]

    assert reads(1) == ["57"]
    assert reads(0) == ["570"]


def test_small_print_along_a_cell_s_foot_does_not_make_its_number_a_scribble():
    def draw(image):
        cv2.ellipse(image, (70, 72), (5, 6), 0, 0, 360, 0, 1)  # an '8' in a hairline pen, mid-cell
        cv2.ellipse(image, (70, 85), (6, 7), 0, 0, 360, 0, 1)
        for i, letter in enumerate("Trykt for"):  # the printer's line at the foot of the page
            cv2.putText(image, letter, (12 + 10 * i, 236), cv2.FONT_HERSHEY_PLAIN, 0.6, 0, 2)
    numbers = cell_numbers(draw, (244, 113))
    assert len(numbers) == 1 and [(b.x // 10, b.y // 10) for b in numbers[0].blobs] == [(6, 6)]


def test_a_swooping_underline_below_a_number_is_not_a_digit():
    def draw(image):
        write(image, "82", 62, 95, scale=0.9, thickness=2)
        swoosh = np.array([[54, 93], [66, 101], [82, 106], [96, 102], [106, 91]], np.int32)
        cv2.polylines(image, [swoosh], False, 0, 2)  # an underline's swoosh, touching nothing
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1 and len(numbers[0].blobs) == 2  # the '8' and the '2' only
    assert max(b.x + b.w for b in numbers[0].blobs) < 100


def test_a_white_seven_whose_bar_covers_the_top_side_is_inverted():
    digit = np.zeros((64, 48), np.uint8)
    cv2.polylines(digit, [np.array([[0, 3], [46, 3], [18, 63]], np.int32)], False, 255, 8)  # cut tightly
    assert (digit[0] > 128).mean() > 0.8  # the top side is nearly all stroke
    ink = clean_page(digit, deskew=False).ink
    assert ((ink > 0) == (digit > 128)).mean() > 0.9


def test_a_bold_white_digit_beside_an_all_dark_side_is_inverted_but_a_strip_between_margins_is_not():
    # A bold '3' drawn stroke by stroke (OpenCV's fonts change from release to release), cut
    # tightly through its flat top; the ground shows left of it.
    canvas = np.zeros((300, 260), np.uint8)
    cv2.ellipse(canvas, (110, 80), (42, 36), 0, -160, 90, 255, 30, cv2.LINE_AA)
    cv2.ellipse(canvas, (110, 150), (46, 38), 0, -90, 160, 255, 30, cv2.LINE_AA)
    cv2.line(canvas, (75, 44), (140, 44), 255, 30, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 100)
    digit = canvas[ys.min() + 4 : ys.max() + 1, xs.min() - 2 : xs.max() + 1]
    assert np.median(digit) >= 100 and (digit[:, 0] < 100).all()
    assert ((clean_page(digit, deskew=False).ink > 0) == (digit > 128)).mean() > 0.9
    strip = np.full((100, 100), 235, np.uint8)  # a cell scanned with black margins on both sides
    strip[:, :20] = strip[:, 80:] = 10
    write(strip, "57", 28, 70, scale=1.2, thickness=3)
    ink = clean_page(strip, deskew=False).ink
    assert ink[:, 30:75].any() and not ink[5:20, 30:75].any()  # the digits are ink, the paper is not


def test_a_bold_white_digit_clear_of_one_side_is_inverted():
    canvas = np.zeros((120, 100), np.uint8)
    cv2.putText(canvas, "0", (10, 90), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 255, 9, cv2.LINE_AA)
    ys, xs = np.nonzero(canvas > 100)
    digit = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 3]  # the ground shows right of it
    assert np.median(digit) >= 100 and (digit[:, -1] < 100).all()
    ink = clean_page(digit, deskew=False).ink
    assert ((ink > 0) == (digit > 128)).mean() > 0.9


@pytest.mark.parametrize("whole_certainty, expected", [(0.8, "00"), (0.999, "8")])
def test_a_blob_wider_than_tall_is_cut_unless_the_model_is_all_but_certain(whole_certainty, expected):
    # A fairly sure '8' is what a pair often looks like; the blob is 1.4 times wider than tall.
    assert read_touching_zeros(whole_certainty)[0] == [expected]


def test_a_cheque_amount_written_in_one_stroke_is_read_though_only_its_full_stop_stands_apart():
    def draw(image):
        for x in range(40, 140, 30):  # "0000" in one stroke: the only upright blob is the full stop
            cv2.ellipse(image, (x, 30), (17, 14), 0, 0, 360, 0, 2)
        cv2.circle(image, (165, 42), 2, 0, -1)
    numbers = cell_numbers(draw, (56, 190))
    assert len(numbers) == 1
    assert [(b.x // 10, b.w // 10) for b in numbers[0].blobs] == [(2, 12)]


def test_touching_zeros_are_cut_between_their_loops_never_through_one():
    mask = np.zeros((34, 110), np.uint8)
    for cx, rx in ((14, 11), (50, 24), (91, 15)):  # "000" in one stroke: narrow, wide, middling
        cv2.ellipse(mask, (cx, 17), (rx, 13), 0, 0, 360, 255, 3)
    assert cv2.connectedComponents(mask)[0] == 2
    hypotheses = split_hypotheses(Blob(0, 0, 110, 34, mask), 34.0)[1:]
    starts = [[p.x for p in pieces] for pieces in hypotheses]
    assert not any(30 <= x <= 70 for xs in starts for x in xs)  # the wide zero stays whole
    assert any(len(xs) == 3 and abs(xs[1] - 27) <= 3 and abs(xs[2] - 74) <= 3 for xs in starts)


def test_a_leaning_touching_pair_is_also_cut_along_its_slant():
    digits = [np.zeros((40, 90), np.uint8) for _ in range(2)]
    cv2.ellipse(digits[0], (30, 20), (9, 16), 0, 0, 360, 255, 3)
    cv2.ellipse(digits[1], (48, 20), (9, 16), 0, 0, 360, 255, 3)  # touching the first at its side
    lean = np.float32([[1, -0.5, 20], [0, 1, 0]])  # tops to the right, as handwriting leans
    first, second = (cv2.warpAffine(d, lean, (90, 40), flags=cv2.INTER_NEAREST) > 0 for d in digits)
    x, y, w, h = cv2.boundingRect((first | second).astype(np.uint8))  # a blob is cut to its ink
    first, second = first[y : y + h, x : x + w], second[y : y + h, x : x + w]
    mask = ((first | second) * 255).astype(np.uint8)
    assert cv2.connectedComponents(mask)[0] == 2
    own = [first & ~second, second & ~first]

    def purity(piece):  # of the piece's ink that is one digit's alone, the larger digit's share
        ink = np.zeros(mask.shape, bool)
        ink[piece.y : piece.y + piece.h, piece.x : piece.x + piece.w] = piece.mask > 0
        counts = [(ink & digit).sum() for digit in own]
        return max(counts) / sum(counts)

    pairs = [pieces for pieces in split_hypotheses(Blob(0, 0, w, h, mask), h) if len(pieces) == 2]
    assert any(min(purity(p) for p in pieces) > 0.9 for pieces in pairs)


def test_a_one_touching_a_zero_can_be_cut_beside_the_ring():
    """In '10' the ring fills the pair's middle, where a cut takes a piece of the '0' with the
    '1': the cut that frees the '1' whole lies beside the ring."""
    from digitize.segment import split_hypotheses

    mask = np.zeros((50, 64), np.uint8)
    cv2.line(mask, (4, 2), (4, 47), 255, 5)
    cv2.line(mask, (4, 25), (16, 25), 255, 3)  # where the '1' touches the ring
    cv2.ellipse(mask, (40, 25), (21, 22), 0, 0, 360, 255, 5)  # its left wall: columns 17-21
    assert cv2.connectedComponents(mask)[0] == 2
    pairs = [pieces for pieces in split_hypotheses(Blob(0, 0, 64, 50, mask), 50) if len(pieces) == 2]
    assert any(one.x + one.w <= 12 and zero.x <= 17 for one, zero in pairs)


def test_a_ring_narrower_than_tall_is_not_cut_beside_its_loop():
    """A lone '0' with a lead-in stroke down its left side is no '10': a pair is at least as wide
    as tall. Cut beside the ring, its stroke would read as a sure '1'."""
    from digitize.segment import split_hypotheses

    mask = np.zeros((54, 50), np.uint8)
    cv2.line(mask, (2, 4), (2, 50), 255, 3)
    cv2.line(mask, (2, 27), (8, 27), 255, 3)
    cv2.ellipse(mask, (28, 27), (20, 24), 0, 0, 360, 255, 4)  # the ring fills the middle
    assert cv2.connectedComponents(mask)[0] == 2
    assert len(split_hypotheses(Blob(0, 0, 50, 54, mask), 54, narrowest=0.6)) == 1


@pytest.mark.parametrize("top, foot, kept", [(81, 113, False), (76, 95, True)])
def test_a_stroke_reaching_far_below_a_number_is_a_rule_remnant_but_a_one_on_the_line_is_kept(top, foot, kept):
    def draw(image):
        write(image, "29", 62, 95, scale=0.9, thickness=2)  # the digits' feet are at row 95
        cv2.line(image, (112, top), (112, foot), 0, 3)
    numbers = cell_numbers(draw, (200, 140))
    assert len(numbers) == 1
    digits = [b for b in numbers[0].blobs if b.x + b.w < 100]  # the '2' and the '9' end left of x 100
    strokes = [b for b in numbers[0].blobs if b.x >= 108]  # the stroke at x 111-113
    assert len(digits) == 2 and len(strokes) == (1 if kept else 0) and len(numbers[0].blobs) == len(digits) + len(strokes)


@pytest.mark.parametrize("meeting_row, columns, side", [
    (20, (30, 75), True),   # a rule across its top: a box's side hanging from it
    (60, (50, 75), True),   # a rule starting at its foot: a box's corner
    (60, (30, 75), False),  # a rule going on both sides of its foot: a '1' standing on a box's foot
    (45, (30, 75), False),  # a rule across its middle: a bold digit's stroke through a '4's stem
])
def test_a_short_vertical_run_is_a_box_side_only_where_it_meets_a_rule_at_an_end(meeting_row, columns, side):
    # A run 40 rows long (20..59) and a short horizontal run meeting it.
    from digitize.layout import box_sides
    vertical = np.zeros((100, 100), np.uint8)
    horizontal = np.zeros_like(vertical)
    vertical[20:60, 50] = 255
    horizontal[meeting_row, columns[0] : columns[1]] = 255
    assert box_sides(vertical, horizontal, long_enough=80).any() == side


def test_runs_of_one_height_standing_on_one_rule_are_a_comb_s_teeth():
    from digitize.layout import box_sides
    vertical = np.zeros((100, 200), np.uint8)
    horizontal = np.zeros_like(vertical)
    horizontal[60, 10:190] = 255
    for x in (40, 80, 120, 160):  # ticks rising from the comb's foot
        vertical[35:60, x] = 255
    vertical[20:60, 100] = 255  # a '1' written down to the foot, taller than the ticks
    sides = box_sides(vertical, horizontal, long_enough=80)
    assert all(sides[40, x] for x in (40, 80, 120, 160)) and not sides[:, 100].any()


def test_ones_written_on_a_ruled_line_are_no_comb_however_many():
    from digitize.layout import box_sides
    vertical = np.zeros((100, 300), np.uint8)
    horizontal = np.zeros_like(vertical)
    horizontal[60, :] = 255  # a notebook's ruled line
    for x in (30, 75, 95, 160, 250):  # '1's of one height, where the numbers put them
        vertical[25:60, x] = 255
    assert not box_sides(vertical, horizontal, long_enough=80).any()


def test_a_one_standing_on_a_notebook_line_where_a_dash_of_it_ends_is_no_box_corner():
    """A notebook's light line is dashes in the sure ink: one ending at a '1''s foot made the '1'
    a box's corner, and it was erased ('2651' read '265'). The whole line, found in all the
    ink, goes on past the foot on both sides."""
    from digitize.layout import box_sides
    vertical = np.zeros((100, 200), np.uint8)
    dashes = np.zeros_like(vertical)
    vertical[20:60, 100] = 255  # the '1'
    dashes[60, 40:100] = 255  # a dash of the line, ending at its foot
    line = dashes.copy()
    line[60, :] = 255
    assert box_sides(vertical, dashes, long_enough=80).any()  # a corner, as far as the dashes go
    assert not box_sides(vertical, dashes, long_enough=80, lines=line).any()


@pytest.mark.parametrize("xs, tops", [
    ((30, 190, 350), (25, 25, 25)),  # evenly spaced, but 4.6 times their height apart
    ((30, 90, 150), (25, 29, 21)),  # evenly spaced and close, but of different heights
])
def test_ones_that_happen_to_stand_evenly_spaced_on_a_ruled_line_are_no_comb(xs, tops):
    """Stems of '1's in different numbers on a notebook's line, three of them at even gaps by
    chance, were taken for a comb's teeth and erased ('1358' read '358')."""
    from digitize.layout import box_sides
    vertical = np.zeros((100, 400), np.uint8)
    horizontal = np.zeros_like(vertical)
    horizontal[60, :] = 255
    for x, top in zip(xs, tops):
        vertical[top:60, x] = 255
    assert not box_sides(vertical, horizontal, long_enough=80).any()


@pytest.mark.parametrize("top, written", [(112, True), (130, False)])
def test_a_one_written_down_to_a_box_s_foot_is_read_but_a_printed_divider_is_not(top, written):
    # A box 80 px tall; a straight stroke from row `top` down to its foot: a '1' as tall as the
    # digits beside it, or a printed divider a third of the box high (euros | cents).
    def draw(image):
        cv2.rectangle(image, (40, 80), (360, 160), 0, 3)
        write(image, "4", 80, 158, scale=2.0, thickness=4)
        cv2.line(image, (160, top), (159, 158), 0, 4)
        write(image, "7", 200, 158, scale=2.0, thickness=4)
    from digitize.reader import segment_page
    segments = segment_page("f", 1, page_with(draw, (1000, 1000)), mode="page")
    blobs = [b for n in segments.numbers for b in n.blobs]
    assert len(blobs) == (3 if written else 2)
    assert any(b.w <= 10 and b.h >= 30 for b in blobs) == written


def test_the_long_straight_bar_of_a_large_seven_on_a_page_is_no_rule_but_a_short_underline_is():
    def draw(image):
        cv2.polylines(image, [np.array([[100, 100], [152, 100], [118, 175]], np.int32)], False, 0, 5)  # a '7', bar 52 px
        write(image, "35", 300, 150, scale=0.7, thickness=2)
        cv2.line(image, (296, 151), (348, 151), 0, 2)  # as short, under the '35' it touches
    ink = clean_page(page_with(draw, (400, 1200)), deskew=False).ink
    layout = analyze(ink, whole_image_field=False)
    assert layout.ink[98:103, 105:150].any()  # the bar stays
    assert not layout.ink[150:153, 296:348].any()  # the underline goes


def test_a_box_holding_only_its_printed_caption_gives_no_number():
    """Real forms print a caption inside each box; an empty box then holds only that print."""
    from digitize.reader import segment_page

    def draw(image):
        for i, (caption, number) in enumerate((("No.", "42"), ("Date", ""), ("Total", "907"))):
            x = 40 + 260 * i
            cv2.rectangle(image, (x, 100), (x + 220, 220), 0, 3)
            cv2.putText(image, caption, (x + 8, 120), cv2.FONT_HERSHEY_PLAIN, 1.0, 60, 1, cv2.LINE_AA)
            write(image, number, x + 40, 200, scale=2.2, thickness=5)
    segments = segment_page("f", 1, page_with(draw, (400, 840)), mode="page")
    assert [(n.field, len(n.blobs)) for n in segments.numbers] == [("box1", 2), ("box3", 3)]


def test_only_hard_crops_get_a_second_look_and_its_answers_are_averaged_in():
    from digitize.reader import classify, segment_page

    def draw(image):
        write(image, "3", 100, 200, scale=3.0, thickness=6)
        write(image, "7", 300, 200, scale=3.0, thickness=6)
    segments = segment_page("f", 1, page_with(draw), mode="page")
    assert len(segments.crops) == 2
    calls = []

    def predict(crops):
        calls.append(len(crops))
        answers = np.zeros((len(crops), 11), np.float32)
        answers[:, 3] = 1.0  # sure of everything ...
        if len(calls) == 1:
            answers[0, 3] = answers[0, 8] = 0.5  # ... except the first crop, the first time
        return answers

    (probabilities,) = classify([segments], predict)
    looks = calls[-1]
    assert calls[0] == 2 and looks == 6  # six looks at the one hard crop, none at the sure one
    assert probabilities[0, 3] == pytest.approx((0.5 + looks) / (1 + looks))
    assert probabilities[0, 8] == pytest.approx(0.5 / (1 + looks)) and probabilities[1, 3] == 1.0


@pytest.mark.parametrize("reject, cut", [(0.9, True), (0.1, False)])
def test_a_blob_as_narrow_as_tall_is_cut_only_when_the_model_says_it_is_no_single_digit(reject, cut):
    """Two digits written close ('11', '92') can be no wider than tall: cut them when the model
    believes the blob is no digit, never a single digit of that shape it merely doubts."""
    from digitize.reader import classify, segment_page

    def draw(image):  # two strokes joined near their feet, a little narrower than tall
        strokes = np.array([[150, 100], [155, 180], [178, 150], [190, 180], [214, 100]], np.int32)
        cv2.polylines(image, [strokes], False, 0, 6, cv2.LINE_AA)
    # One field: alone on a page, the pair would be deskewed by 14 degrees, its first stroke lost.
    segments = segment_page("f", 1, page_with(draw, (280, 350)), mode="field")
    (blob,) = segments.numbers[0].blobs
    assert 0.75 * blob.h < blob.w < 0.95 * blob.h
    calls = []

    def predict(crops):
        calls.append(len(crops))
        answers = np.zeros((len(crops), 11), np.float32)
        answers[:, 1] = 1.0
        if len(calls) == 1:
            answers[0, 1], answers[0, 10] = 1.0 - reject, reject
        return answers

    classify([segments], predict)
    assert (len(segments.index[0][0]) > 1) == cut


def test_a_blob_too_small_to_hold_two_digits_is_never_cut():
    from digitize.segment import SMALLEST_CUT, split_hypotheses

    def two_rings(scale):
        mask = np.zeros((14 * scale, 26 * scale), np.uint8)
        for x in (7, 17):  # touching
            cv2.ellipse(mask, (x * scale, 7 * scale), (5 * scale, 5 * scale), 0, 0, 360, 255, max(1, scale))
        (blob,) = blobs_in(mask)
        return blob

    small, large = two_rings(1), two_rings(3)
    assert small.h < SMALLEST_CUT <= large.h
    assert len(split_hypotheses(small, small.h)) == 1
    assert any(len(h) == 2 for h in split_hypotheses(large, large.h))


def _drawn(*strokes: list[tuple[int, int]]) -> np.ndarray:
    """A 28x28 crop of 2 px pen strokes through these points."""
    crop = np.zeros((28, 28), np.uint8)
    cv2.polylines(crop, [np.array(points, np.int32) for points in strokes], False, 255, 2)
    return crop


def _read_as(crop: np.ndarray, answer: dict[int, float]) -> int:
    """The digit `classify` settles on for a page whose every crop is `crop`, given a model that
    answers `answer` (class: probability) for any crop: the shape checks at work."""
    from digitize.reader import classify, segment_page

    segments = segment_page("f", 1, page_with(lambda image: write(image, "8", 100, 200, scale=3.0, thickness=6)),
                            mode="page")
    segments.crops = np.stack([crop] * len(segments.crops))

    def model(crops):
        answers = np.zeros((len(crops), 11), np.float32)
        for digit, probability in answer.items():
            answers[:, digit] = probability
        return answers

    (probabilities,) = classify([segments], model)
    assert probabilities[0].sum() == pytest.approx(1.0)
    return int(probabilities[0].argmax())


def _one_loop_figures() -> dict[str, np.ndarray]:
    """28x28 crops with one loop in the upper half: on a stem, on a stem whose tail curls back
    left (a cheque's hooked '9'), on two legs, on a blot."""
    figures = {}
    for name in ("stem", "hook", "legs", "blot"):
        crop = np.zeros((28, 28), np.uint8)
        cv2.circle(crop, (14, 9), 5, 255, 2)
        if name == "legs":
            cv2.line(crop, (11, 13), (8, 24), 255, 2)
            cv2.line(crop, (17, 13), (20, 24), 255, 2)
        elif name == "hook":
            cv2.line(crop, (18, 11), (17, 20), 255, 2)
            cv2.ellipse(crop, (13, 20), (4, 4), 0, 0, 150, 255, 2)
        else:
            cv2.line(crop, (18, 11), (17, 24), 255, 2)
        if name == "blot":
            cv2.circle(crop, (17, 21), 4, 255, -1)
        figures[name] = crop
    return figures


def test_an_eight_with_one_upper_loop_on_a_single_stem_reads_as_a_nine():
    figures = _one_loop_figures()
    eight_or_nine = {8: 0.9, 9: 0.1}
    for name in ("stem", "hook"):
        assert _read_as(figures[name], eight_or_nine) == 9, name
    for name in ("legs", "blot"):  # an open '8', and one whose small lower loop closed up
        assert _read_as(figures[name], eight_or_nine) == 8, name
    # Sure of the '8', the '9' its runner-up: the shape decides; another runner-up: doubted only.
    assert _read_as(figures["stem"], {8: 0.99, 9: 0.006, 0: 0.004}) == 9
    assert _read_as(figures["stem"], {8: 0.99, 0: 0.006, 9: 0.005}) == 8


def _flat_topped_three_and_two() -> dict[str, np.ndarray]:
    """An old-style '3' (a bar, a diagonal, a bowl curling back left) and a '2' with the same
    top whose base runs right."""
    three = _drawn([(8, 4), (20, 4), (12, 12)])
    cv2.ellipse(three, (13, 15), (9, 8), 0, -90, 150, 255, 2)  # the bowl, from its top round to lower left
    return {"three": three, "two": _drawn([(8, 4), (20, 4), (8, 23), (21, 23)])}


def test_a_two_ending_in_a_bowl_reads_as_a_three():
    shapes = _flat_topped_three_and_two()
    two_or_three = {2: 0.9, 3: 0.07, 7: 0.03}
    assert _read_as(shapes["three"], two_or_three) == 3
    assert _read_as(shapes["two"], two_or_three) == 2


def _flagged_one_and_sevens() -> dict[str, np.ndarray]:
    """A European '1' (a flag falling left from the top of an upright stem), a '7' (a level bar,
    then a stem slanting down to the left) and a crossed '7' written leaning, its bar rising to
    the right as a flag falls to the left, a bar across its stem."""
    return {"one": _drawn([(9, 13), (17, 4), (17, 24)]), "seven": _drawn([(8, 4), (20, 4), (11, 24)]),
            "crossed seven": _drawn([(5, 12), (21, 4), (12, 24)], [(8, 15), (22, 14)])}


def test_a_seven_whose_top_falls_to_the_left_reads_as_a_flagged_one_unless_crossed():
    shapes = _flagged_one_and_sevens()
    seven_or_one = {7: 0.88, 1: 0.1, 2: 0.02}
    assert _read_as(shapes["one"], seven_or_one) == 1
    assert _read_as(shapes["seven"], seven_or_one) == 7
    from digitize.reader import _falls_left_from_the_top

    assert _falls_left_from_the_top(shapes["crossed seven"])  # as a flag does: its bar tells them apart
    assert _read_as(shapes["crossed seven"], seven_or_one) == 7


def _lead_in_one_and_fours() -> dict[str, np.ndarray]:
    """A European '1' (a long lead-in falling from the top of a slanted stem to its lower left,
    apart from the stem), an open '4' and a closed '4' (each with a bar across)."""
    return {"one": _drawn([(6, 20), (19, 3), (13, 25)]), "open four": _drawn([(8, 4), (6, 16), (21, 16)], [(17, 6), (16, 25)]),
            "closed four": _drawn([(16, 3), (5, 17), (22, 17)], [(16, 3), (16, 25)])}


def test_a_four_without_a_bar_reads_as_a_one_with_its_lead_in():
    shapes = _lead_in_one_and_fours()
    four_or_one = {4: 0.8, 1: 0.2}
    assert _read_as(shapes["one"], four_or_one) == 1
    assert _read_as(shapes["open four"], four_or_one) == 4
    assert _read_as(shapes["closed four"], four_or_one) == 4
    assert _read_as(shapes["one"], {4: 0.995, 1: 0.005}) == 4  # hardly any belief in a "1": the model's answer


def test_a_four_with_one_stroke_over_a_low_bar_reads_as_a_crossed_seven():
    # A European '7': a short top bar, a slanting stem, a bar across it at mid-height. An open
    # '4' has its arm beside its stem over its bar; a 'Y'-shaped one is widest where its arms
    # meet; a closed one has a loop.
    crossed_seven = _drawn([(12, 4), (19, 4), (12, 25)], [(8, 15), (21, 15)])
    y_four = np.zeros((28, 28), np.uint8)  # bold arms that merge into one stroke, high up
    cv2.polylines(y_four, [np.array([(10, 3), (14, 12), (18, 3)], np.int32)], False, 255, 5)
    cv2.line(y_four, (14, 11), (14, 25), 255, 3)
    closed_four = np.zeros((28, 28), np.uint8)  # its diagonal and stem run together above its bar
    cv2.polylines(closed_four, [np.array([(17, 3), (8, 17), (23, 17)], np.int32)], False, 255, 3)
    cv2.line(closed_four, (17, 3), (17, 25), 255, 3)
    four_or_seven = {4: 0.85, 7: 0.15}
    assert _read_as(crossed_seven, four_or_seven) == 7
    assert _read_as(_lead_in_one_and_fours()["open four"], four_or_seven) == 4
    assert _read_as(y_four, four_or_seven) == 4
    assert _read_as(closed_four, four_or_seven) == 4
    assert _read_as(crossed_seven, {4: 0.85, 9: 0.1, 7: 0.05}) == 4  # '7' not the runner-up: the model's answer


def test_a_nine_standing_on_a_base_reads_as_a_looped_two():
    # A '2' whose top curls into a closed loop, then runs down left and along its base; a '9'
    # has the same loop over a stem.
    looped_two = _drawn([(18, 10), (7, 24), (22, 24)])
    nine = _drawn([(19, 9), (17, 25)])
    for figure in (looped_two, nine):
        cv2.circle(figure, (14, 8), 5, 255, 2)
    nine_or_two = {9: 0.85, 2: 0.15}
    assert _read_as(looped_two, nine_or_two) == 2
    assert _read_as(nine, nine_or_two) == 9
    assert _read_as(looped_two, {9: 0.85, 8: 0.1, 2: 0.05}) == 9  # '2' not the runner-up: the model's answer


def test_light_ruled_lines_and_a_margin_line_leave_a_page_s_numbers_alone():
    # Notebook paper: light lines the numbers sit on, in dashes once binarized, and a light
    # margin line down the whole page. Neither may join the writing nor swallow the page.
    from digitize.reader import segment_page
    from digitize.synth import free_page, on_ruled_paper, photograph

    rng = np.random.default_rng(2)
    page = on_ruled_paper(free_page(rng, dpi=300, lines=8, per_line=3))
    image = photograph(page, rng, angle=2.5).image  # uneven light, a slight turn, noise
    segments = segment_page("f", 1, image, mode="page")
    found = [(b.x, b.y, b.w, b.h) for number in segments.numbers for b in number.blobs]
    assert len(segments.numbers) == len(page.truth)
    assert max(h for *_, h in found) < max(item.box[3] for item in page.truth)  # no line came along (150 dpi)


def test_digits_written_across_a_box_s_rules_are_read_whole_and_only_once():
    # A '7' whose bar is above the box's top rule, an '0' reaching below its foot: both are the
    # box's (most of their ink is inside), whole, and no piece of them is left as free writing.
    def draw(image):
        cv2.rectangle(image, (100, 300), (500, 380), 0, 3)
        cv2.polylines(image, [np.array([[140, 285], [185, 285], [160, 372]], np.int32)], False, 0, 5)
        cv2.ellipse(image, (240, 350), (20, 42), 0, 0, 360, 0, 5)
    from digitize.reader import segment_page
    segments = segment_page("f", 1, page_with(draw, (1000, 1000)), mode="page")
    assert [n.field for n in segments.numbers] == ["box1"]
    seven, zero = segments.numbers[0].blobs
    assert seven.y < 290 and zero.y + zero.h > 388  # beyond the rules, not cut at them


def test_a_digit_mostly_above_a_box_s_top_is_the_box_s_when_it_stands_on_the_line_of_its_digits():
    # A box at rows 100-180 (rules removed): '753' written high across its top, the '7' mostly
    # above it but on the line of the '5' and '3'; a stroke as far in, reaching far above their
    # line, and one cut by the edge of the rows looked at, are not the box's.
    ink = np.zeros((300, 400), np.uint8)
    ink[70:125, 40:46] = 255  # the '7': 10 of its 55 rows inside
    ink[85:135, 70:76] = ink[85:135, 100:106] = 255  # the '5' and '3': 35 of 50 rows inside
    ink[50:110, 300:306] = 255  # a stroke, 10 of 60 rows inside
    ink[20:115, 350:356] = 255  # a stroke reaching past the 40 rows above the box looked at
    blobs = blobs_in(ink, (20, 100, 360, 80), spill=40)
    assert sorted(b.x for b in blobs) == [40, 70, 100]


def test_a_short_bold_run_meeting_upright_runs_at_both_ends_is_a_digit_s_bar_not_a_box_s_top():
    # A bold hooked '7' on a page whose rules are thin: its bar meets its hook and its stem.
    from digitize.layout import box_tops
    horizontal = np.zeros((200, 400), np.uint8)
    vertical = np.zeros_like(horizontal)
    horizontal[10:13, 20:380] = 255  # the page's rule
    vertical[50:90, 100:106] = vertical[50:125, 144:150] = 255
    for thickness, kept in ((8, False), (3, True)):
        runs = horizontal.copy()
        runs[50 : 50 + thickness, 100:150] = 255
        tops = box_tops(runs, vertical, cv2.bitwise_or(runs, vertical), long_enough=160)
        assert tops[52, 120] == (255 if kept else 0) and tops[11, 200] == 255, thickness


def _zeros_in_one_stroke(lead_in: bool) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A cheque's small '000' in one stroke: flat rings joined by the pen's strokes between them,
    the first with a lead-in crossing under it (a cursive 'e'-shaped zero); and each ring's box."""
    mask = np.zeros((40, 150), np.uint8)
    rings = []
    for k in range(3):
        cx = 22 + 44 * k
        cv2.ellipse(mask, (cx, 20), (16, 13), 0, 0, 360, 255, 4)
        rings.append((cx - 20, 3, 40, 34))
        if k < 2:
            cv2.line(mask, (cx + 13, 29), (cx + 30, 24), 255, 4)  # on into the next
    if lead_in:
        cv2.line(mask, (0, 38), (18, 30), 255, 4)
    return mask, rings


@pytest.mark.parametrize("lead_in", [False, True])
def test_zeros_written_in_one_stroke_are_offered_each_as_its_ring_without_the_strokes_between(lead_in):
    # Cut upright, each piece keeps the stroke into the next zero and reads '8', '6' or '2'.
    mask, rings = _zeros_in_one_stroke(lead_in)
    (blob,) = blobs_in(mask)
    threes = [pieces for pieces in split_hypotheses(blob, blob.h) if len(pieces) == 3]
    assert any(all(x <= p.x and p.x + p.w <= x + w and y <= p.y and p.y + p.h <= y + h
                   for p, (x, y, w, h) in zip(pieces, rings)) for pieces in threes)


@pytest.mark.parametrize("digit", ["6", "8", "1"])
def test_a_digit_joined_to_zeros_is_no_chain_of_zeros(digit):
    # '600', '800', '100' in one stroke: a '6''s stem, an '8''s stacked loops and a '1' are
    # digits, never strokes between zeros to drop.
    mask, _ = _zeros_in_one_stroke(False)
    mask[:, :40] = 0
    wide = np.zeros((70, 150), np.uint8)
    wide[30:] = mask
    if digit == "6":
        cv2.ellipse(wide, (22, 50), (16, 13), 0, 0, 360, 255, 4)  # its loop as big as the zeros' ...
        cv2.ellipse(wide, (40, 50), (30, 32), 0, 180, 250, 255, 4)  # ... and its stem curving up
    elif digit == "8":
        cv2.ellipse(wide, (22, 52), (14, 12), 0, 0, 360, 255, 4)
        cv2.ellipse(wide, (22, 26), (11, 11), 0, 0, 360, 255, 4)
    else:
        cv2.line(wide, (30, 2), (30, 68), 255, 4)
    cv2.line(wide, (34, 58), (52, 54), 255, 4)  # joined to the zeros
    (blob,) = blobs_in(wide)
    assert ring_pieces(blob) == []


def test_leaning_zeros_touching_at_a_slanting_wall_are_a_chain_of_rings():
    # Their loops share a few columns: the wall between two leaning zeros slants.
    mask = np.zeros((50, 100), np.uint8)
    for k in range(3):
        cv2.ellipse(mask, (28 + 20 * k, 25), (9, 20), 35, 0, 360, 255, 3)
    (blob,) = blobs_in(mask)
    assert [p.x + p.w // 2 for p in ring_pieces(blob)] == pytest.approx([28, 48, 68], abs=3)


@pytest.mark.parametrize("loops, chain", [(6, True), (7, False)])
def test_a_chain_of_zeros_is_at_most_as_long_as_a_blob_is_ever_cut(loops, chain):
    # '1000000' ends in six zeros; a blob with more loops side by side is noise or a border.
    mask = np.zeros((30, 30 * loops + 10), np.uint8)
    for k in range(loops):
        cv2.ellipse(mask, (20 + 30 * k, 15), (11, 11), 0, 0, 360, 255, 3)
        cv2.line(mask, (31 + 30 * k, 20), (39 + 30 * k, 20), 255, 3)
    blob = max(blobs_in(mask), key=lambda b: b.w)
    assert len(ring_pieces(blob)) == (loops if chain else 0)
