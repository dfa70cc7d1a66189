"""Page tables render their cells as the template always did: row header, right-aligned numbers, links, escaping."""

from __future__ import annotations

from django.template.loader import render_to_string

from teams.tables import Column, Table, cell


def _table() -> Table:
    table = Table("t", "标题", [Column("名称"), Column("件数", True), Column("备注")])
    table.rows.append([cell("<b>甲</b>", "/x?a=1&b=2"), cell(3, "/c?n=3"), cell(None)])
    table.rows.append([cell("乙"), cell(0), cell("a & b", text="“a” & b")])
    table.footer = [cell("合计"), cell(3), cell("")]
    return table


def test_body_rows_are_escaped_linked_and_aligned():
    html = _table().body_html
    assert html == (
        '<tr><th scope="row"><a href="/x?a=1&amp;b=2">&lt;b&gt;甲&lt;/b&gt;</a></th>'
        '<td class="num"><a href="/c?n=3">3</a></td><td>—</td></tr>\n    '
        '<tr><th scope="row">乙</th><td class="num">0</td><td>“a” &amp; b</td></tr>\n    '
    )


def test_footer_row_and_the_included_template():
    table = _table()
    assert table.footer_html == '<tr><th scope="row">合计</th><td class="num">3</td><td></td></tr>'
    page = render_to_string("teams/_table.html", {"table": table, "no_export": True})
    assert '<tbody>\n    <tr><th scope="row"><a href="/x?a=1&amp;b=2">' in page
    assert '<tfoot><tr><th scope="row">合计</th>' in page
    assert "<b>" not in page
