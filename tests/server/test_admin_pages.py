"""The admin pages over real HTTP (a real `shapan serve`), as a browser without JavaScript sees
them: first start, login, sessions, CSRF, both languages, escaping, exports."""

from __future__ import annotations

import csv
import io
import re

from sandbox.exam import load_exam
from sandbox.server.client import ExamClient
from tests.server.live_server import Admin, request

SECRET = "a long admin secret"
XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil","x")'


def test_first_start_login_sessions_and_csrf(serve, db_url):
    server = serve(db_url)
    admin = Admin(server.url)
    # no secret yet: every admin page leads to the first-start page
    assert admin.get("/admin").headers["location"] == "/admin/setup"
    assert admin.get("/admin/login").headers["location"] == "/admin/setup"
    # a form without the CSRF token (or with another one) is refused and sets nothing
    assert (
        admin.post("/admin/setup", {"secret": SECRET, "secret2": SECRET, "csrf": "x"}).status == 403
    )
    short = admin.setup("short")
    assert short.status == 400 and "at least 8 characters" in short.text
    answer = admin.setup(SECRET)
    assert answer.status == 303 and answer.headers["location"] == "/admin/exams"
    cookie = next(c for c in answer.cookies if c.startswith("shapan_admin="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert admin.get("/admin/exams").status == 200
    # the secret is set once: the setup page now sends to login, a second setting is impossible
    assert Admin(server.url).get("/admin/setup").headers["location"] == "/admin/login"
    # every admin route needs the session
    stranger = Admin(server.url)
    for path in ("/admin/exams", "/admin/exams/1", "/admin/exams/1/results.csv",
                 "/admin/exams/1/results.json", "/admin/exams/1/report", "/admin/attempts/1"):  # fmt: skip
        got = stranger.get(path)
        assert got.status == 303 and got.headers["location"] == "/admin/login", path
    assert stranger.get("/admin/exams/1/progress.json").status == 401
    # a POST without a session publishes nothing
    published = stranger.post("/admin/exams", {"shipped": "cs-cert-en"}, csrf_from="/admin/login")
    assert published.status == 303 and published.headers["location"] == "/admin/login"
    assert "cs-cert" not in admin.get("/admin/exams").text.split("<select")[0]
    # CSRF on a logged-in form: a forged POST (token missing or wrong) changes nothing
    assert admin.post("/admin/exams", {"shipped": "cs-cert-en", "csrf": "forged" * 8}).status == 403
    foreign = admin.post("/admin/exams", {"shipped": "cs-cert-en"})
    assert foreign.status == 303  # the real form works
    # wrong secrets: refused, then throttled
    other = Admin(server.url)
    assert other.login("wrong secret!").status == 401
    for _ in range(5):
        other.login("wrong secret!")
    assert other.login(SECRET).status == 429
    # logout ends the session on the server: the old cookie no longer opens a page
    assert admin.post("/admin/logout", {}, csrf_from="/admin/exams").status == 303
    assert admin.get("/admin/exams").headers["location"] == "/admin/login"


def test_pages_in_both_languages_escape_names_and_export_safely(serve, db_url):
    server = serve(db_url, clock_speed=50, secret=SECRET)
    admin = Admin(server.url, lang="zh-CN,zh;q=0.9,en;q=0.5")
    assert admin.login(SECRET).status == 303
    exams = admin.get("/admin/exams")
    assert exams.status == 200 and '<html lang="zh-CN">' in exams.text and "发布考试" in exams.text
    csp = exams.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    pk = admin.publish("cs-cert-zh")
    cards = admin.issue(pk, [XSS, FORMULA, "张三"])
    assert [c[0] for c in cards] == [XSS, FORMULA, "张三"]
    codes = {name: code for name, code, _ in cards}
    assert all(re.fullmatch(r"[A-Z0-9-]{12,20}", c) for c in codes.values())
    page = admin.get(f"/admin/exams/{pk}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and XSS not in page.text
    assert "客服" in page.text and "实时进度" in page.text
    # the switch: English from now on (cookie), whatever the browser says
    switch = admin.get(f"/admin/lang/en?next=/admin/exams/{pk}")
    assert switch.status == 303 and switch.headers["location"] == f"/admin/exams/{pk}"
    page = admin.get(f"/admin/exams/{pk}")
    assert '<html lang="en">' in page.text and "Live progress" in page.text
    assert admin.get("/admin/lang/en?next=//evil.example").headers["location"] == "/admin"
    # live progress: a heartbeat shows who is where and that the desk is connected
    desk = ExamClient(server.url, codes["张三"])
    opened = desk.open()
    desk.heartbeat("trainee-001")
    rows = {r["candidate"]: r for r in admin.progress(pk)}
    assert rows["张三"]["status"] == "active" and rows["张三"]["connected"] is True
    assert (
        rows["张三"]["contact"] == "customer 1 of 5" and rows["张三"]["connection"] == "connected"
    )
    assert rows[XSS]["status"] == "not_started" and rows[XSS]["connection"] == "—"
    card_form = next(form for name, _, form in cards if name == "张三")
    assert load_exam("cs-cert-zh").forms[opened["attempt"]["form_index"]].id == card_form
    # results: two candidates finish; exports neutralise formulas and keep names intact
    for name in (XSS, FORMULA):
        client = ExamClient(server.url, codes[name])
        client.open()
        client.finish()
    text = admin.get(f"/admin/exams/{pk}/results.csv")
    assert text.headers["content-type"].startswith("text/csv")
    rows_csv = list(csv.reader(io.StringIO(text.body.decode("utf-8-sig"))))
    assert rows_csv[0][0] == "Candidate"
    names = [r[0] for r in rows_csv[1:]]
    assert names == [XSS, "'" + FORMULA]
    doc = admin.get(f"/admin/exams/{pk}/results.json").json()
    assert [r["attempt"]["candidate"] for r in doc["results"]] == [XSS, FORMULA]
    assert all("signature" in r for r in doc["results"]) and "PUBLIC KEY" in doc["public_key"]
    # the result page of one attempt: escaped name, verdict, no raw script
    page = admin.get(f"/admin/exams/{pk}")
    links = re.findall(r'href="/admin/attempts/(\d+)"', page.text)
    assert links
    result = admin.get(f"/admin/attempts/{links[0]}")
    assert result.status == 200 and XSS not in result.text
    assert "<script" not in result.text.lower()
    assert "&lt;script&gt;" in result.text
    # the report page renders (with the statistics when the module is there)
    report = admin.get(f"/admin/exams/{pk}/report")
    assert report.status == 200 and "Exam report" in report.text
    # unknown exam and attempt: a page saying so, not a traceback
    missing = admin.get("/admin/exams/999")
    assert missing.status == 404 and "no such exam" in missing.text
    assert admin.get("/admin/attempts/999").status == 404
    # the code sheet prints: print CSS hides the page's chrome
    css = request(server.url + "/static/admin.css").text
    assert "@media print" in css and ".no-print" in css


def test_secret_from_file_and_publish_errors(serve, sqlite_url, tmp_path):
    server = serve(sqlite_url, secret=SECRET)
    admin = Admin(server.url)
    assert admin.get("/admin/setup").headers["location"] == "/admin/login"
    assert admin.login(SECRET).status == 303
    missing = admin.post("/admin/exams", {"shipped": "", "path": str(tmp_path / "none.yaml")})
    assert missing.status == 400 and "cannot" in missing.text
    nothing = admin.post("/admin/exams", {"shipped": "", "path": ""})
    assert nothing.status == 400 and "choose a shipped exam" in nothing.text
    pk = admin.publish("cs-cert-en")
    empty = admin.post(f"/admin/exams/{pk}/codes", {"candidates": "  \n "},
                       csrf_from=f"/admin/exams/{pk}")  # fmt: skip
    assert empty.status == 400 and "at least one candidate" in empty.text
    closed = admin.post(f"/admin/exams/{pk}/close", {}, csrf_from=f"/admin/exams/{pk}")
    assert closed.status == 303
    page = admin.get(f"/admin/exams/{pk}")
    assert "This exam is closed" in page.text and 'name="candidates"' not in page.text
