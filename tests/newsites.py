"""Two invented news sites on loopback, for the feed tests: an RSS feed, an Atom feed and a
sitemap; pages written like news sites (menus, teasers, share buttons, footers); a page on the
second site that republishes one of the first's; a page that times out, one that answers 500,
one that is an image; and a robots.txt that disallows one path. Every request is logged with
its headers, and the feeds answer conditional requests with 304."""

from __future__ import annotations

import email.utils
import hashlib
import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 4.0  # the page that times out (the tests give a page 1 s)

BODY_A1 = [
    ("Sáng ngày 12/3/2024, tại thành phố Tuy Hòa, Ủy ban nhân dân tỉnh Phú Yên đã tiếp đoàn công tác của "
    "tỉnh Gyeonggi (Hàn Quốc) do Phó Tỉnh trưởng Kim Min-soo dẫn đầu."),
    "Hai bên đã ký kết biên bản ghi nhớ hợp tác trong lĩnh vực nông nghiệp công nghệ cao và đào tạo nghề.",
    "Theo biên bản ghi nhớ, tỉnh Gyeonggi sẽ tiếp nhận 45 học viên của Phú Yên sang thực tập mỗi năm.",
    ("Phát biểu tại buổi tiếp, Chủ tịch Ủy ban nhân dân tỉnh Phú Yên cho biết tỉnh đang có nhiều lợi thế về đất "
    "đai, khí hậu và nguồn lao động trẻ, phù hợp để phát triển các mô hình nông nghiệp ứng dụng công nghệ cao."),
    ("Tỉnh mong muốn các doanh nghiệp của Gyeonggi tìm hiểu cơ hội đầu tư vào chế biến nông sản, sản xuất giống "
    "cây trồng và xây dựng trung tâm đào tạo nghề tại Khu kinh tế Nam Phú Yên."),
    ("Phó Tỉnh trưởng Kim Min-soo đánh giá cao sự chuẩn bị chu đáo của tỉnh Phú Yên và khẳng định Gyeonggi sẽ "
    "giới thiệu các doanh nghiệp có năng lực đến khảo sát trong năm nay."),
    ("Hai bên thống nhất giao các sở, ngành liên quan xây dựng kế hoạch cụ thể để triển khai biên bản ghi nhớ, "
    "định kỳ hằng năm đánh giá kết quả thực hiện."),
    "Trước đó, đoàn công tác đã đến thăm một số mô hình trồng rau trong nhà màng và cơ sở đào tạo nghề của tỉnh.",
]
BODY_A2 = [
    ("Trong quý I/2024, tỉnh Phú Yên thu hút 7 dự án đầu tư trực tiếp nước ngoài với tổng vốn đăng ký "
    "đạt 62 triệu USD, tăng 18% so với cùng kỳ năm trước."),
    "Các nhà đầu tư đến từ Nhật Bản, Hàn Quốc và Singapore tập trung vào chế biến thủy sản và năng lượng tái tạo.",
]
BODY_B1 = [
    "Ngày 20/4/2024, đoàn đại biểu tỉnh Khánh Hòa đã thăm và làm việc tại thành phố Vladivostok (Liên bang Nga).",
    "Hai địa phương thống nhất mở đường bay thẳng Nha Trang - Vladivostok với tần suất 4 chuyến mỗi tuần.",
]
BODY_B2 = [
    "Tỉnh Khánh Hòa hiện có 312 dự án đầu tư nước ngoài còn hiệu lực với tổng vốn gần 2,1 tỷ USD.",
    "Lãnh đạo tỉnh cho biết sẽ ưu tiên các dự án du lịch cao cấp và kinh tế biển.",
]
BODY_C2 = [
    "Tỉnh Bình Định và tỉnh Champasak (Lào) vừa tổ chức kỷ niệm 10 năm thiết lập quan hệ hợp tác hữu nghị.",
    "Nhân dịp này, tỉnh Bình Định trao tặng 20 suất học bổng cho sinh viên Lào đang học tập tại Quy Nhơn.",
]

BODY_D = [
    "Ngày 2/5/2024, Chủ tịch UBND tỉnh Ninh Thuận đã tiếp Đại sứ Israel tại Việt Nam.",
    "Hai bên trao đổi về hợp tác nông nghiệp tiết kiệm nước và năng lượng mặt trời.",
]

MENU = ("<nav class='menu'><ul><li><a href='/'>Trang chủ</a></li><li><a href='/thoi-su'>Thời sự</a></li>"
        "<li><a href='/kinh-te'>Kinh tế</a></li><li><a href='/doi-ngoai'>Đối ngoại</a></li></ul></nav>")
TEASERS = ("<aside class='related'><h3>Tin liên quan</h3><ul>"
           "<li><a href='/tin/khac-1.html'>Giá xăng dầu giảm nhẹ từ chiều nay</a></li>"
           "<li><a href='/tin/khac-2.html'>Thời tiết miền Trung có mưa rào</a></li></ul></aside>")


def page(site: str, title: str, iso: str, body: list[str], url: str, *, lead: str = "") -> str:
    """A news page: menu, title, date, share buttons, lead, body, teasers, footer."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>{html.escape(title)} | {site}</title>
<meta property="og:title" content="{html.escape(title)}">
<meta property="og:site_name" content="{site}">
<meta property="og:url" content="{url}">
<link rel="canonical" href="{url}">
<meta property="article:published_time" content="{iso}">
</head><body><header><div class="logo">{site}</div>{MENU}</header>
<main><article><h1>{html.escape(title)}</h1><div class="meta">Đăng lúc {iso[:10]} · Chia sẻ Facebook · Zalo</div>
<p class="sapo"><strong>{html.escape(lead or body[0][:80])}</strong></p>
<div class="content">{paras}</div></article>{TEASERS}</main>
<footer><p>© {site}. Giấy phép số 123/GP-BTTTT. Địa chỉ: 12 Lê Lợi. Điện thoại: 0257 3 123 456.</p></footer>
</body></html>"""


class Sites:
    """Site A (RSS, Atom, robots.txt) and site B (sitemap), each on its own loopback port."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, dict]] = []  # (site, path, headers) of every request
        self.answered: list[tuple[str, str, int]] = []  # (site, path, status) of every response
        self._lock = threading.Lock()
        self.a = self._serve("a")
        self.b = self._serve("b")
        self.a_url = f"http://127.0.0.1:{self.a.server_address[1]}"
        self.b_url = f"http://127.0.0.1:{self.b.server_address[1]}"
        self.stamp = email.utils.formatdate(time.time() - 3600, usegmt=True)
        self.robots_a = "User-agent: *\nDisallow: /noi-bo/\n"
        self.robots_b: str | int = 404  # site B has none; an int answers robots.txt with that status
        self.later: list[str] = []  # paths of site B's own pages added to its second sitemap after a fetch

    def _serve(self, site: str) -> ThreadingHTTPServer:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with sites._lock:
                    sites.log.append((site, self.path, dict(self.headers)))
                sites.answer(site, self)

            def send_response(self, code, message=None) -> None:
                with sites._lock:
                    sites.answered.append((site, self.path, code))
                super().send_response(code, message)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def close(self) -> None:
        for s in (self.a, self.b):
            s.shutdown()
            s.server_close()

    def requested(self, site: str | None = None) -> list[str]:
        return [p for s, p, _ in self.log if site in (None, s)]

    # --- content ---
    def rss(self) -> str:
        a = self.a_url
        items = [("Phú Yên ký biên bản ghi nhớ với tỉnh Gyeonggi", "/tin/phu-yen-gyeonggi.html", "Tue, 12 Mar 2024 09:00:00 +0700"),
                 ("Phú Yên thu hút 7 dự án FDI trong quý I", "/tin/phu-yen-fdi-quy-1.html", "Mon, 01 Apr 2024 08:00:00 +0700"),
                 ("Bài nội bộ", "/noi-bo/ban-tin-mat.html", "Mon, 01 Apr 2024 08:00:00 +0700"),
                 ("Bài tải chậm", "/tin/tai-cham.html", "Mon, 01 Apr 2024 08:00:00 +0700"),
                 ("Bài lỗi máy chủ", "/tin/loi-may-chu.html", "Mon, 01 Apr 2024 08:00:00 +0700"),
                 ("Ảnh", "/tin/anh-su-kien.png", "Mon, 01 Apr 2024 08:00:00 +0700")]
        entries = "".join(f"<item><title>{t}</title><link>{a}{p}</link><pubDate>{d}</pubDate>"
                          f"<description>Tin {t}</description></item>" for t, p, d in items)
        return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Phú Yên</title>'
                f"<link>{a}/</link><description>Tin đối ngoại</description>{entries}</channel></rss>")

    def atom(self) -> str:
        a = self.a_url
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f'<title>Khánh Hòa</title><link rel="self" href="{a}/atom.xml"/><id>{a}/</id>'
                f"<updated>2024-04-21T00:00:00Z</updated>"
                f'<entry><title>Khánh Hòa làm việc với Vladivostok</title><link rel="alternate" href="{a}/thoi-su/khanh-hoa-vladivostok.html"/>'
                f"<id>kh-1</id><updated>2024-04-20T10:00:00Z</updated></entry>"
                f'<entry><title>Khánh Hòa có 312 dự án FDI</title><link href="/thoi-su/khanh-hoa-fdi.html"/>'
                f"<id>kh-2</id><updated>2024-04-21T10:00:00Z</updated></entry></feed>")

    def sitemap(self) -> str:
        b = self.b_url
        urls = "".join(f"<url><loc>{b}{p}</loc><lastmod>2024-04-22</lastmod></url>"
                       for p in ("/bai/phu-yen-gyeonggi-dang-lai.html", "/bai/binh-dinh-champasak.html"))
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    def sitemap_index(self) -> str:
        b = self.b_url
        return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{b}/sitemap.xml</loc></sitemap><sitemap><loc>{b}/sitemap-moi.xml</loc></sitemap>"
                "</sitemapindex>")

    def sitemap_later(self) -> str:
        urls = "".join(f"<url><loc>{self.b_url}{p}</loc></url>" for p in self.later)
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    def pages(self, site: str) -> dict[str, str]:
        if site == "a":
            a = self.a_url
            return {
                "/tin/phu-yen-gyeonggi.html": page("Báo Phú Yên", "Phú Yên ký biên bản ghi nhớ với tỉnh Gyeonggi",
                                                   "2024-03-12T09:00:00+07:00", BODY_A1, f"{a}/tin/phu-yen-gyeonggi.html"),
                "/tin/phu-yen-fdi-quy-1.html": page("Báo Phú Yên", "Phú Yên thu hút 7 dự án FDI trong quý I",
                                                    "2024-04-01T08:00:00+07:00", BODY_A2, f"{a}/tin/phu-yen-fdi-quy-1.html"),
                "/thoi-su/khanh-hoa-vladivostok.html": page("Báo Phú Yên", "Khánh Hòa làm việc với Vladivostok",
                                                            "2024-04-20T10:00:00+07:00", BODY_B1,
                                                            f"{a}/thoi-su/khanh-hoa-vladivostok.html"),
                "/thoi-su/khanh-hoa-fdi.html": page("Báo Phú Yên", "Khánh Hòa có 312 dự án FDI còn hiệu lực",
                                                    "2024-04-21T10:00:00+07:00", BODY_B2, f"{a}/thoi-su/khanh-hoa-fdi.html"),
                "/noi-bo/ban-tin-mat.html": page("Báo Phú Yên", "Bài nội bộ", "2024-04-01T08:00:00+07:00",
                                                 ["Bài này không được lấy."], f"{a}/noi-bo/ban-tin-mat.html"),
            }
        b = self.b_url
        return {  # site B: another outlet republishing A's first story, and one story of its own
            "/bai/phu-yen-gyeonggi-dang-lai.html": page("Thời báo Duyên hải", "Phú Yên ký biên bản ghi nhớ với tỉnh Gyeonggi",
                                                        "2024-03-13T07:30:00+07:00", BODY_A1,
                                                        f"{b}/bai/phu-yen-gyeonggi-dang-lai.html"),
            "/bai/binh-dinh-champasak.html": page("Thời báo Duyên hải", "Bình Định kỷ niệm 10 năm hợp tác với Champasak",
                                                  "2024-04-22T07:30:00+07:00", BODY_C2,
                                                  f"{b}/bai/binh-dinh-champasak.html"),
            "/bai/ninh-thuan-tiep-dai-su.html": page("Thời báo Duyên hải", "Ninh Thuận tiếp Đại sứ Israel",
                                                     "2024-05-02T07:30:00+07:00", BODY_D,
                                                     f"{b}/bai/ninh-thuan-tiep-dai-su.html"),
        }

    def answer(self, site: str, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        if site == "a" and path == "/robots.txt":
            return self._send(h, 200, "text/plain", self.robots_a)
        if site == "b" and path == "/robots.txt":
            if isinstance(self.robots_b, int):
                return self._send(h, self.robots_b, "text/plain", "")
            return self._send(h, 200, "text/plain", self.robots_b)
        feeds = {("a", "/rss.xml"): ("application/rss+xml", self.rss),
                 ("a", "/atom.xml"): ("application/atom+xml", self.atom),
                 ("b", "/sitemap.xml"): ("application/xml", self.sitemap),
                 ("b", "/sitemap-index.xml"): ("application/xml", self.sitemap_index),
                 ("b", "/sitemap-moi.xml"): ("application/xml", self.sitemap_later)}
        if (site, path) in feeds:
            kind, make = feeds[(site, path)]
            body = make()
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
            match = h.headers.get("If-None-Match")  # it takes precedence over If-Modified-Since (RFC 9110)
            if match == etag or (match is None and h.headers.get("If-Modified-Since") == self.stamp):
                return self._send(h, 304, kind, "", {"ETag": etag, "Last-Modified": self.stamp})
            return self._send(h, 200, kind, body, {"ETag": etag, "Last-Modified": self.stamp})
        if path == "/tin/tai-cham.html":
            time.sleep(SLOW_SECONDS)
            return self._send(h, 200, "text/html; charset=utf-8", "<html><body>muộn</body></html>")
        if path == "/tin/chuyen-huong.html":  # a redirect into the path robots.txt disallows
            return self._send(h, 302, "text/html", "", {"Location": "/noi-bo/ban-tin-mat.html"})
        if path == "/tin/nho-giot.html":  # headers trickled a byte at a time: a read never times out
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 200:
                    h.wfile.write(bytes([byte]))
                    h.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if path == "/trang-chu.html":  # a web page given as a feed
            return self._send(h, 200, "text/html; charset=utf-8", MENU)
        if path == "/tin/loi-may-chu.html":
            return self._send(h, 500, "text/html", "<h1>500 Internal Server Error</h1>")
        if path == "/tin/anh-su-kien.png":
            h.send_response(200)
            h.send_header("Content-Type", "image/png")
            data = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return None
        body = self.pages(site).get(path)
        if body is None:
            return self._send(h, 404, "text/html", "<h1>404</h1>")
        return self._send(h, 200, "text/html; charset=utf-8", body)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, kind: str, body: str, headers: dict | None = None) -> None:
        data = body.encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", kind)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if status != 304:
            try:
                h.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (the slow page)
                pass
