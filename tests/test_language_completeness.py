"""Every main page speaks one language: no Chinese left in English, no English UI label in Chinese.

Each page is rendered for a user who may see it, in English (the language cookie and Accept-Language,
as the language switcher sets them) and in Chinese. Its visible text (text nodes outside script and
style, plus the attributes people read or hear: title, aria-label, placeholder, alt, option-group
labels, button values) is taken with the stdlib HTML parser; the data is struck out first — every
text value stored in the database (names, case numbers and titles, notes, codes, unit and team names,
review items, charges), since data is shown as entered. English fails on any CJK character left;
Chinese fails on a text node made only of English words that are not data or known units (CSV, API…).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client

from cases import review_workflow as wf
from cases.models import EventType, GradeScale, OutcomeChoice
from cases.review_assignment import draw_sample
from importjobs.models import ImportJob
from tests.reviews_kit import D, at, closed_case, final_review, make_review_office

# Chinese characters and full-width punctuation (（）；：、，): English brackets and joins through caseqa.wording.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# Not words to translate: units, formats, product and standard names, abbreviations of the trade.
KEEP = {
    "CSV",
    "XLSX",
    "XLS",
    "API",
    "DOCX",
    "JSON",
    "PDF",
    "ID",
    "caseqa",
    "OpenAPI",
    "Swagger",
    "YYYY",
    "MM",
    "DD",
    "UTF",
    "GBK",
    "GB",
    "KB",
    "MB",
    "HTTP",
    "URL",
    "CSP",
    "English",
    "Excel",
    "Word",
    "ReDoc",
    "Asia",
    "Shanghai",
}
LANGUAGE_NAMES = ["简体中文", "English"]  # the switcher names each language in itself
READ_ATTRS = {"title", "aria-label", "placeholder", "alt"}
APPS = ("cases", "teams", "importjobs", "auth")
# Labels the pages translate themselves: not data (the English side is checked through them).
TRANSLATED_FIELDS = {
    (GradeScale, "label_excellent"),
    (GradeScale, "label_qualified"),
    (GradeScale, "label_flawed"),
    (GradeScale, "label_unqualified"),
}


class VisibleText(HTMLParser):
    """Text nodes a reader sees or hears, skipping script and style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        attrs = dict(attrs)
        for name in READ_ATTRS:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "optgroup" and attrs.get("label"):
            self.texts.append(attrs["label"])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def data_strings() -> list[str]:
    """Every text value stored in the database, longest first (so a name inside a longer one goes last)."""
    found: set[str] = set(LANGUAGE_NAMES)
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical") or model in (EventType, OutcomeChoice):
                continue
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField) and not f.choices
                if (model, f.attname) not in TRANSLATED_FIELDS
            ]
            for row in model.objects.values_list(*fields) if fields else ():
                found.update(str(v).strip() for v in row if v and str(v).strip())
    # The catalogue's Chinese label is data only where the office gave no English one.
    for model in (EventType, OutcomeChoice):
        found.update(model.objects.filter(label_en="").values_list("label_zh", flat=True))
    return sorted((s for s in found if len(s) > 1 or CJK.search(s)), key=len, reverse=True)


def strip_data(text: str, data: list[str]) -> str:
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return text


@pytest.fixture
def site(db):
    """An office with a closed case in each review state, a drawn month, an import and the people to see them."""
    ro = make_review_office()
    p1, p2, _p3 = ro.prosecutors
    key = closed_case(p1, D(2025, 6, 20), [("non_prosecution", D(2025, 6, 20))], case_no="检刑受[2025]0101号")
    cases = [closed_case(p1 if n % 2 else p2, D(2025, 6, 2 + n), case_no=f"检刑受[2025]02{n:02d}号") for n in range(5)]
    final = final_review(cases[0], ro.reviewer, [("DO-F01", 2, "文书用语不规范")], on=D(2025, 7, 2))
    submitted = wf.create_review(cases[1], ro.reviewer, findings=[("EV-E01", 1, "证据未核实")], now=at(D(2025, 7, 3)))
    submitted = wf.submit(submitted, ro.reviewer)
    objected = wf.create_review(cases[2], ro.reviewer2, now=at(D(2025, 7, 3)))
    wf.submit(objected, ro.reviewer2)
    objected = wf.object_to(objected, cases[2].prosecutor.user, "证据已补正")
    draft = wf.create_review(key, ro.reviewer, review_type="key", method="阅卷", now=at(D(2025, 7, 4)))
    User = get_user_model()
    admin = User.objects.create_superuser("admin", "admin@example.org", "x", first_name="管理员")
    draw_sample(ro.lead, ro.office.unit, D(2025, 6, 1), 40, "7")
    job = ImportJob.objects.create(user=admin, file_name="案件.csv", path="/nonexistent", status=ImportJob.Status.DONE)
    return {
        "ro": ro,
        "admin": admin,
        "case": cases[0],
        "final": final,
        "submitted": submitted,
        "objected": objected,
        "draft": draft,
        "job": job,
    }


def pages(site) -> list[tuple[str, object]]:
    """(url, user) for every main page; `None` is a visitor who is not signed in."""
    ro, admin = site["ro"], site["admin"]
    unit, team, p1 = ro.office.unit, ro.office.team, ro.prosecutors[0]
    dept = ro.office.departments[0]
    final, submitted, objected, draft = site["final"], site["submitted"], site["objected"], site["draft"]
    return [
        ("/accounts/login/", None),
        ("/", admin),
        ("/work/", admin),
        ("/glossary/", admin),
        (f"/units/{unit.code}/", admin),
        (f"/departments/{dept.code}/", admin),
        (f"/teams/{team.team_code}/", admin),
        (f"/teams/{team.team_code}/report/2025-06/", admin),
        (f"/prosecutors/{p1.staff_code}/", admin),
        ("/cases/", admin),
        (f"/cases/{site['case'].pk}/", admin),
        ("/cases/new/", admin),
        ("/imports/upload/", admin),
        (f"/imports/jobs/{site['job'].pk}/", admin),
        ("/notices/", admin),
        ("/reviews/", admin),
        ("/reviews/", ro.reviewer),
        ("/reviews/new/", ro.reviewer),
        (f"/reviews/{draft.pk}/", ro.reviewer),
        (f"/reviews/{draft.pk}/edit/", ro.reviewer),
        (f"/reviews/{submitted.pk}/", submitted.case.prosecutor.user),
        (f"/reviews/{objected.pk}/", ro.lead),
        (f"/reviews/{final.pk}/", admin),
        (f"/reviews/{final.pk}/report/", admin),
        ("/reviews/mine/", ro.reviewer),
        (f"/reviews/sampling/?month=2025-06&unit={unit.code}", ro.lead),
        (f"/reviews/sampling/?month=2025-07&unit={unit.code}", ro.lead),  # not drawn yet: the draw form
    ]


def render(url: str, user, language: str) -> str:
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    response = client.get(url, follow=True)
    assert response.status_code == 200, (url, language, response.status_code)
    return response.content.decode()


def test_english_pages_have_no_chinese_outside_data(site):
    data = data_strings()
    problems = []
    for url, user in pages(site):
        for text in visible_texts(render(url, user, "en")):
            left = strip_data(text, data) if CJK.search(text) else text
            if CJK.search(left):
                problems.append(f"{url}: {text!r}")
    assert not problems, "Chinese left on English pages (translate it in locale/en):\n" + "\n".join(
        sorted(set(problems))
    )


def english_only(text: str, data: list[str]) -> bool:
    """A text node of English words (no Chinese) once data, known units and numbers are struck out."""
    left = strip_data(text, data)
    if CJK.search(left):
        return False
    words = [w for w in WORD.findall(left) if w not in KEEP and len(w) > 1]
    return bool(words)


def test_chinese_pages_have_no_untranslated_english_labels(site):
    data = data_strings()
    problems = []
    for url, user in pages(site):
        for text in visible_texts(render(url, user, "zh-hans")):
            if english_only(text, data):
                problems.append(f"{url}: {text!r}")
    assert not problems, "English UI text on Chinese pages (write it in Chinese through gettext):\n" + "\n".join(
        sorted(set(problems))
    )


def test_the_checks_catch_what_they_should():
    """The parser skips scripts and styles, reads labels people hear, and the heuristics tell data apart."""
    html = (
        '<p>提交</p><script>var a = "中文";</script><style>p{content:"x"}</style>'
        '<button aria-label="关闭">x</button><input type="submit" value="Save">'
    )
    assert visible_texts(html) == ["提交", "关闭", "x", "Save"]
    assert english_only("Save draft", []) and not english_only("CSV", []) and not english_only("导出 CSV", [])
    assert not english_only("reviewer-a", ["reviewer-a"]) and not english_only("2025-06", [])
    assert CJK.search(strip_data("Case 检刑受[2025]1号 of 张三", ["检刑受[2025]1号"]))
    assert not CJK.search(strip_data("Case 检刑受[2025]1号 of 张三", ["检刑受[2025]1号", "张三"]))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_refused_event_is_explained_in_the_readers_language(site, language):
    """The sequence rules' refusals (shown on the case page) are worded through gettext too."""
    client = Client(headers={"accept-language": language})
    client.cookies["django_language"] = language
    client.force_login(site["admin"])
    body = {"event": "judgment", "date": "2025-06-01", "persons": "1"}
    response = client.post(f"/cases/{site['case'].pk}/events/new/", body)
    html = response.content.decode()
    assert response.status_code == 400
    data = data_strings()
    if language == "en":
        assert "has no indictment before it" in html
        left = [t for t in visible_texts(html) if CJK.search(strip_data(t, data))]
        assert not left, left
    else:
        assert "之前没有提起公诉" in html
        assert not [t for t in visible_texts(html) if english_only(t, data)]
