"""签约服务联系卡: the right people, doctors, phones and policy lines on the right pages; the
card size and sheet positions; the QR code decodes back to the record id (and finds the
resident when scanned into search); long names shrink or wrap inside the card; the font is
embedded; a character the font lacks is reported before printing, never printed blank."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from factories import Practice, make_doctor, make_household, make_village, open_clinic, sign
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic_app.clinic import Clinic
from clinic_app.printing import MissingGlyphs, contact_cards_pdf, fonts, missing_glyphs
from clinic_app.printing import contact_card as cc
from clinic_app.printing.content import ContactCard, contact_cards

XINBIN_LINES = (
    "免费签约服务，由健康扶贫专项基金按每人每年8元补助。",
    "高血压、糖尿病、结核病、重性精神病门诊用药免费，每人每年1000元以内。",
    "CT和MRI检查、床位、手术和血常规等40项临床检验减收20%。",
)
LONG_NAME = "阿卜杜热合曼·买买提明·艾力"
LONG_VILLAGE = "红庙子乡四道沟满族朝鲜族联合行政村"
LONG_CLINIC = "新宾满族自治县红庙子乡中心卫生院第二分院（四道沟村卫生室）"


@dataclass
class Register:
    clinic: Clinic
    li: Practice  # 李建国
    zhao: Practice  # 赵春梅
    wang: str  # signed with 李建国, chronic package
    wife: str  # signed with 赵春梅
    son: str  # not signed: no card
    long: str  # a long name in a long village, signed with 李建国
    village_id: str


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Register]:
    clinic = open_clinic(tmp_path_factory.mktemp("cards") / "clinic.db")
    clinic.set_profile("xinbin")
    clinic.set_setting("clinic_name", LONG_CLINIC)
    village = make_village(clinic, "四道沟村", "红庙子乡")
    li = make_doctor(clinic, "李建国", "13912345678", "四道沟村家庭医生团队", "0413-5551234")
    zhao = make_doctor(clinic, "赵春梅", "13800001111", "卫生院全科团队", "0413-5559999")
    home = make_household(clinic, village.village_id, "2104220010001", head="王德胜",
                          members=(("李秀兰", "配偶", "女"), ("王小明", "之子", "男")))
    clinic.add_condition(home.head_id, "hypertension")
    sign(clinic, home.head_id, li, "chronic")
    sign(clinic, home.member_ids[0], zhao)
    far = make_village(clinic, LONG_VILLAGE, "红庙子乡二")
    other = make_household(clinic, far.village_id, "2104220020001", head=LONG_NAME)
    sign(clinic, other.head_id, li)
    yield Register(clinic, li, zhao, home.head_id, home.member_ids[0], home.member_ids[1],
                   other.head_id, village.village_id)
    clinic.close()


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def compact(text: str) -> str:
    """Extracted text without line breaks and spaces (a wrapped line reads as one)."""
    return "".join(text.split())


def test_single_cards_front_has_person_doctor_phones_back_has_policy(
        register: Register) -> None:
    clinic = register.clinic
    out = contact_cards_pdf(clinic, resident_ids=[register.wang, register.wife, register.son],
                            layout="single")
    assert [i.subject_id for i in out.items] == [register.wang, register.wife]
    assert [(s.subject_id, s.code) for s in out.skipped] == [(register.son, "unsigned")]
    texts = page_texts(out.pdf)
    assert out.pages == len(texts) == 4  # front and back of each card
    front, back = compact(texts[0]), compact(texts[1])
    assert out.items[0].pages == (1, 2)
    for expected in ("王德胜", "四道沟村", "李建国", "13912345678", "0413-5551234",
                     "慢病随访4次/年", LONG_CLINIC, "家庭医生签约服务联系卡"):
        assert expected in front, expected
    assert "赵春梅" not in front and "李秀兰" not in front
    for line in XINBIN_LINES:
        assert compact(line) in back
    wife_front = compact(texts[2])
    assert "李秀兰" in wife_front and "赵春梅" in wife_front and "13800001111" in wife_front
    assert "13912345678" not in wife_front


def test_single_card_pages_are_wallet_card_size(register: Register) -> None:
    out = contact_cards_pdf(register.clinic, resident_ids=[register.wang], layout="single")
    for page in PdfReader(io.BytesIO(out.pdf)).pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert width == pytest.approx(85.6 * mm, abs=0.01)  # ISO/IEC 7810 ID-1
        assert height == pytest.approx(54 * mm, abs=0.01)


def test_sheet_of_ten_on_a4_backs_mirrored_for_long_edge_duplex(register: Register) -> None:
    clinic = register.clinic
    ids = [register.wang, register.wife, register.long] * 4  # 12 cards: two sheets
    out = contact_cards_pdf(clinic, resident_ids=ids, layout="duplex")
    reader = PdfReader(io.BytesIO(out.pdf))
    assert len(reader.pages) == out.pages == 4  # front, back, front, back
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(A4[0], abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(A4[1], abs=0.01)
    fronts = [p for p in out.placements if p.side == "front"]
    backs = [p for p in out.placements if p.side == "back"]
    assert [p.page for p in fronts] == [1] * 10 + [3] * 2
    card_w, card_h = 85.6 * mm, 54 * mm
    for index, place in enumerate(fronts[:10]):
        col, row = index % 2, index // 2
        assert place.x == pytest.approx((A4[0] - 2 * card_w) / 2 + col * card_w)
        assert place.y == pytest.approx(A4[1] - (A4[1] - 5 * card_h) / 2 - (row + 1) * card_h)
    xs = sorted({round(p.x, 3) for p in fronts})
    ys = sorted({round(p.y, 3) for p in fronts[:10]})
    assert xs[1] - xs[0] == pytest.approx(card_w, abs=0.01)  # edge to edge: one cut serves two
    assert all(b - a == pytest.approx(card_h, abs=0.01) for a, b in itertools.pairwise(ys))
    assert xs[0] >= 10 * mm and ys[0] >= 10 * mm  # room for crop marks, inside printable area
    for front, back in zip(fronts, backs, strict=True):
        assert back.subject_id == front.subject_id and back.page == front.page + 1
        assert back.y == front.y
        assert back.x + card_w + front.x == pytest.approx(A4[0], abs=0.01)  # mirrored
    texts = page_texts(out.pdf)
    assert "王德胜" in texts[0] and "李秀兰" in texts[2] and "王德胜" not in texts[2]
    assert compact(XINBIN_LINES[0]) in compact(texts[1])


def test_foldover_puts_each_back_beside_its_front(register: Register) -> None:
    out = contact_cards_pdf(register.clinic, resident_ids=[register.wang, register.wife],
                            layout="foldover")
    assert out.pages == 1
    by_subject: dict[str, dict[str, cc.Placement]] = {}
    for place in out.placements:
        by_subject.setdefault(place.subject_id, {})[place.side] = place
    for sides in by_subject.values():
        assert sides["back"].x == pytest.approx(sides["front"].x + 85.6 * mm)
        assert sides["back"].y == sides["front"].y


def test_qr_codes_decode_to_the_record_id_on_the_right_card(register: Register) -> None:
    clinic = register.clinic
    ids = [register.wang, register.wife, register.long]
    out = contact_cards_pdf(clinic, resident_ids=ids, layout="duplex")
    dpi = 150
    page = pypdfium2.PdfDocument(out.pdf)[0]
    image = page.render(scale=dpi / 72).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 3
    for place in (p for p in out.placements if p.side == "front"):
        # The card's rectangle in image pixels (PDF y grows upward, image y downward).
        left, right = place.x * dpi / 72, (place.x + 85.6 * mm) * dpi / 72
        top = (A4[1] - place.y - 54 * mm) * dpi / 72
        bottom = (A4[1] - place.y) * dpi / 72
        inside = [r.text for r in found
                  if left < r.position.top_left.x < right and top < r.position.top_left.y < bottom]
        assert inside == [place.subject_id.upper()]
    # A USB scanner types the payload into the search box: it finds exactly that resident.
    hits = clinic.search(found[0].text)
    assert len(hits) == 1 and hits[0]["id"].upper() == found[0].text


def test_search_accepts_the_record_id_in_any_case_or_with_dashes(register: Register) -> None:
    clinic = register.clinic
    rid = register.wife
    dashed = f"{rid[:8]}-{rid[8:12]}-{rid[12:16]}-{rid[16:20]}-{rid[20:]}"
    for text in (rid, rid.upper(), dashed.upper(), f" {dashed} "):
        assert [h["id"] for h in clinic.search(text)] == [rid], text
    assert clinic.search("0" * 32) == []  # looks like an id, is nobody's: no crash, no hit


def test_long_names_shrink_then_wrap_and_never_leave_the_card(register: Register) -> None:
    clinic = register.clinic
    card = dict(vars(contact_cards(clinic, [register.long])[0][0]))
    cases = [ContactCard(**card)]
    # Longer than anything real: a 30-character name (the register's limit) must wrap.
    thirty = "阿卜杜热合曼买买提明艾力江" * 2 + "阿卜杜热"
    cases.append(ContactCard(**{**card, "name": thirty,
                                "doctor": "欧阳买买提明·艾力江·阿卜杜热合曼",
                                "village": LONG_VILLAGE * 2}))
    for case in cases:
        front = cc.layout_front(case)
        lines = [*front.shared, *front.own]
        for line in lines:
            width = stringWidth(line.text, line.font, line.size)
            assert line.x >= cc.SAFE - 0.01
            assert line.x + width <= cc.CARD_W - cc.SAFE + 0.01, line.text
            assert line.y >= cc.SAFE - 0.5 * mm - 0.01, line.text
            assert line.y + line.size <= cc.CARD_H, line.text
            assert line.size >= 4.4  # still readable
        # No two lines overlap (boxes from descender to ascender, 0.12 and 0.88 of the size).
        boxes = [_box(line) for line in lines]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                assert apart, (a, b)
        # The QR code's area is free of text.
        qr_left = cc.CARD_W - cc.SAFE - cc.QR_SIZE
        qr_bottom = front.qr_top - cc.QR_SIZE
        for line in lines[len(front.shared):]:
            if qr_bottom - line.size < line.y < front.qr_top:
                assert line.x + stringWidth(line.text, line.font, line.size) <= qr_left + 0.01
    out = contact_cards_pdf(clinic, resident_ids=[register.long], layout="single")
    front_text = compact(page_texts(out.pdf)[0])
    for expected in (LONG_NAME, LONG_VILLAGE, LONG_CLINIC):  # every character printed
        assert expected in front_text


def _box(line: cc.Line) -> tuple[float, float, float, float, str]:
    width = stringWidth(line.text, line.font, line.size)
    return (line.x, line.y - 0.12 * line.size, line.x + width, line.y + 0.88 * line.size,
            line.text)


def _fonts(pdf: bytes) -> list[dict]:
    """Every font dictionary the pages and their form XObjects use."""
    out = []

    def walk(resources: dict) -> None:
        for font in (resources.get("/Font") or {}).values():
            out.append(font.get_object())
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page["/Resources"])
    return out


def test_the_bundled_font_is_embedded_as_a_subset(register: Register) -> None:
    out = contact_cards_pdf(register.clinic, resident_ids=[register.wang])
    used = _fonts(out.pdf)
    assert used
    for font in used:
        assert font["/Subtype"] == "/TrueType"
        assert "NotoSansSC" in font["/BaseFont"]
        assert font["/BaseFont"][7] == "+"  # ABCDEF+Name: a subset
        assert "/FontFile2" in font["/FontDescriptor"]


def test_missing_glyph_reported_before_printing_never_blank(tmp_path: Path) -> None:
    clinic = open_clinic(tmp_path / "c.db")
    village = make_village(clinic)
    doctor = make_doctor(clinic)
    rare = make_household(clinic, village.village_id, "001", head="王𠀀明")  # U+20000
    common = make_household(clinic, village.village_id, "002", head="欧阳䶮")  # in the font
    for family in (rare, common):
        sign(clinic, family.head_id, doctor)
    problems = missing_glyphs(["欧阳䶮", ("王𠀀明", "某人的联系卡")])
    assert [(p.text, p.chars) for p in problems] == [("王𠀀明", ("𠀀",))]
    with pytest.raises(MissingGlyphs) as caught:
        contact_cards_pdf(clinic, village_id=village.village_id)
    message = str(caught.value)
    assert "王𠀀明" in message and "U+20000" in message and "空白" in message
    assert caught.value.problems[0].subject_id == rare.head_id
    marked = contact_cards_pdf(clinic, village_id=village.village_id, missing="mark",
                               layout="single")
    texts = [compact(t) for t in page_texts(marked.pdf)]
    assert "王□明" in texts[0] and "欧阳䶮" in texts[2]
    assert [p.text for p in marked.marked] == ["王𠀀明"]
    skipped = contact_cards_pdf(clinic, village_id=village.village_id, missing="skip")
    assert [i.subject_id for i in skipped.items] == [common.head_id]
    assert [(s.subject_id, s.code) for s in skipped.skipped] == [(rare.head_id, "glyphs")]
    assert fonts.mark_missing("王𠀀明") == "王□明"
    clinic.close()


def test_card_content_comes_from_the_profile(tmp_path: Path) -> None:
    """The back prints the clinic's profile lines: 固阳's, not 新宾's."""
    clinic = open_clinic(tmp_path / "g.db")
    clinic.set_profile("guyang")
    village = make_village(clinic)
    family = make_household(clinic, village.village_id, "001")
    sign(clinic, family.head_id, make_doctor(clinic))
    out = contact_cards_pdf(clinic, village_id=village.village_id, layout="single")
    back = compact(page_texts(out.pdf)[1])
    assert compact("慢性病、特殊病用药政府补足95%，个人只承担5%。") in back
    assert compact(XINBIN_LINES[0]) not in back
    assert "固阳县" in back  # 政策依据
    clinic.close()
