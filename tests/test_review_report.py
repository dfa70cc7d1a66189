"""The review report (评查意见书): printable page and DOCX carry facts, problems by dimension, grade, objection."""

import io

import pytest
from django.http import Http404
from django.test import RequestFactory

from cases import review_workflow as wf
from cases.review_report import grade_basis, render_review_docx
from cases.views_reviews import review_report, review_report_docx
from tests.reviews_kit import D, at, closed_case, make_review_office


@pytest.fixture
def review(db):
    ro = make_review_office()
    case = closed_case(ro.prosecutors[0], D(2025, 5, 20), case_no="检刑受[2025]0042号", title="某某盗窃案")
    review = wf.create_review(
        case,
        ro.reviewer,
        findings=[("DO-F01", 2, "错别字两处"), ("PR-F01", 1, "告知迟延")],
        reviewed_on=D(2025, 6, 10),
        method="调阅卷宗，听取承办人意见",
        now=at(D(2025, 6, 10)),
    )
    wf.submit(review, ro.reviewer, now=at(D(2025, 6, 10)))
    wf.object_to(review, case.prosecutor.user, "告知已当场完成", now=at(D(2025, 6, 11)))
    review = wf.resolve(
        review, ro.lead, "amended", "删除告知项", findings=[("DO-F01", 2, "错别字两处")], now=at(D(2025, 6, 12))
    )
    review.ro = ro
    return review


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_printable_page_has_every_part(review):
    html = review_report(request_for(review.ro.lead), review.pk).content.decode()
    for text in (
        "检刑受〔2025〕0042号",
        "某某盗窃案",
        "调阅卷宗",
        "文书制作和使用",
        "错别字两处",
        "98.00",
        "瑕疵",
        "告知已当场完成",
        "删除告知项",
        "变更评查结论",
    ):
        assert text in html, text
    assert "办案程序" not in html  # amended away: no problem left in that dimension


def test_docx_has_the_same_content(review):
    from docx import Document

    data = render_review_docx(review)
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "案件质量评查意见书" in text and "评定等级：瑕疵" in text and "告知已当场完成" in text
    assert "检刑受〔2025〕0042号" in cells and "DO-F01" in cells and "错别字两处" in cells


def test_docx_download_and_access(review):
    response = review_report_docx(request_for(review.case.prosecutor.user), review.pk)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and response.content[:2] == b"PK"
    with pytest.raises(Http404):
        review_report(request_for(review.ro.outsider), review.pk)


def test_grade_basis_names_the_rule(review):
    assert "瑕疵问题" in grade_basis(review)
    wf_review = wf.create_review(
        closed_case(review.ro.prosecutors[1], D(2025, 5, 1)),
        review.ro.reviewer,
        findings=[("LA-E01", 1, "")],
        reviewed_on=D(2025, 6, 1),
        now=at(D(2025, 6, 1)),
    )
    assert "错误性问题" in grade_basis(wf_review) and "不合格" in grade_basis(wf_review)
