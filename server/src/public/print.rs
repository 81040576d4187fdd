//! QR codes and the printable A5 card a ward puts on each service counter.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode, Version};

use crate::i18n::Lang;

/// The blank border the QR standard requires: without it phones miss codes printed close to
/// the card's frame or text.
const QUIET_ZONE: usize = 4;
/// A 200-byte link needs a version-10 symbol (57 modules) at level M, whose modules are still
/// over 1 mm on the card's 78 mm code; anything longer should be shortened, not squeezed.
pub const MAX_URL_BYTES: usize = 200;
/// Up to here level Q (25 % recovery, for scuffed or glare-struck laminate) costs little size;
/// past it level M keeps the modules large instead.
const MAX_Q_VERSION: i16 = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("no link to put in the QR code")]
    EmptyUrl,
    #[error(
        "the link {shown} is too long for a QR code a phone can read off a printed card \
         ({len} bytes, at most {max}); use a shorter link"
    )]
    UrlTooLong {
        shown: String,
        len: usize,
        max: usize,
    },
}

fn too_long(url: &str) -> PrintError {
    // The whole link would flood a log line; its start is enough to find which one it was.
    let mut shown: String = url.chars().take(80).collect();
    if shown.len() < url.len() {
        shown.push('…');
    }
    PrintError::UrlTooLong {
        shown,
        len: url.len(),
        max: MAX_URL_BYTES,
    }
}

fn encode(url: &str) -> Result<QrCode, PrintError> {
    if url.trim().is_empty() {
        return Err(PrintError::EmptyUrl);
    }
    if url.len() > MAX_URL_BYTES {
        return Err(too_long(url));
    }
    let small = |code: &QrCode| matches!(code.version(), Version::Normal(v) if v <= MAX_Q_VERSION);
    match QrCode::with_error_correction_level(url, EcLevel::Q) {
        Ok(code) if small(&code) => return Ok(code),
        _ => {}
    }
    QrCode::with_error_correction_level(url, EcLevel::M).map_err(|_| too_long(url))
}

/// The QR code for `url` as a standalone SVG: one path of horizontal runs (a few KB rather than
/// one rect per module), black on white with the quiet zone drawn in, so it prints crisply at
/// any size and reads the same in a dark-mode page.
///
/// qrcode's own SVG renderer is not used because it writes an XML prolog (invalid inside an
/// HTML page), fixed pixel sizes and no accessible name.
pub fn qr_svg(url: &str) -> Result<String, PrintError> {
    let code = encode(url)?;
    let n = code.width();
    let colors = code.to_colors();
    let mut d = String::new();
    for y in 0..n {
        let row = &colors[y * n..(y + 1) * n];
        let mut x = 0;
        while x < n {
            if row[x] == Color::Light {
                x += 1;
                continue;
            }
            let start = x;
            while x < n && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            let _ = write!(
                d,
                "M{} {}h{run}v1h-{run}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE
            );
        }
    }
    let side = n + 2 * QUIET_ZONE;
    // 8 px a module when the SVG is opened alone; the card's stylesheet sets the printed size.
    let px = side * 8;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"qr-code\" role=\"img\" \
         viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" \
         shape-rendering=\"crispEdges\"><title>{}</title>\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{d}\"/></svg>",
        escape(url)
    ))
}

/// The link as text that wraps only after "/", "?" or "&": a break at one of its hyphens would
/// read as a hyphenation, and someone typing it would leave the hyphen out.
fn breakable(url: &str) -> String {
    let mut out = String::from("<span>");
    let mut chars = url.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        out.push_str(&escape(c.encode_utf8(&mut [0; 4])));
        // Not inside "://", nor right after it: "https://" alone on a line reads as nothing.
        let after_scheme = previous == '/' && c == '/';
        previous = c;
        if matches!(c, '/' | '?' | '&') && !after_scheme && chars.peek().is_some_and(|n| *n != '/')
        {
            out.push_str("</span><wbr><span>");
        }
    }
    out + "</span>"
}

pub(super) use crate::i18n::escape_html as escape;

struct CardText {
    title: &'static str,
    how: &'static str,
    or_open: &'static str,
    receipt: &'static str,
}

fn card_text(lang: Lang) -> CardText {
    match lang {
        Lang::Vi => CardText {
            title: "Đánh giá sự hài lòng",
            how: "Quét mã QR bằng điện thoại để đánh giá 1–5 sao. \
                  Không cần đăng nhập, không thu thập thông tin cá nhân.",
            or_open: "Hoặc mở địa chỉ:",
            receipt: "Có mã biên nhận? Nhập mã để mỗi hồ sơ được đánh giá một lần.",
        },
        Lang::En => CardText {
            title: "Rate our service",
            how: "Scan the QR code with your phone to give 1–5 stars. \
                  No login, no personal data collected.",
            or_open: "Or open:",
            receipt: "Have a receipt code? Enter it so each dossier is rated only once.",
        },
    }
}

/// The A5 card for one service of one unit: a whole page to open and print. It carries no
/// inline style (the server's CSP allows only `/css/card.css`, which is [`CARD_CSS`]).
pub fn card_html(
    unit_name: &str,
    service_name: &str,
    url: &str,
    lang: Lang,
) -> Result<String, PrintError> {
    let svg = qr_svg(url)?;
    let t = card_text(lang);
    let code = match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    };
    let (unit, service, link) = (escape(unit_name), escape(service_name), breakable(url));
    // CSS cannot fit text to a box, so names too long for the big type get the smaller one.
    let long = |s: &str, limit: usize| {
        if s.chars().count() > limit {
            " long"
        } else {
            ""
        }
    };
    let (unit_class, service_class) = (long(unit_name, 32), long(service_name, 40));
    // Long names leave less room, so the code then drops to 72 mm (its modules still over 1 mm).
    let card_class = if (unit_class, service_class) == ("", "") {
        ""
    } else {
        " compact"
    };
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {service} · {unit}</title>\n\
         <link rel=\"stylesheet\" href=\"/css/card.css\">\n</head>\n<body>\n\
         <main class=\"sheet\">\n<article class=\"card{card_class}\">\n\
         <h1 class=\"title\">{title}</h1>\n\
         <p class=\"stars\" aria-hidden=\"true\">★★★★★</p>\n\
         <p class=\"unit{unit_class}\">{unit}</p>\n<p class=\"service{service_class}\">{service}</p>\n\
         <figure class=\"qr\">\n{svg}\n<figcaption><span class=\"or\">{or_open}</span> \
         <span class=\"url\">{link}</span></figcaption>\n</figure>\n\
         <p class=\"how\">{how}</p>\n<p class=\"receipt\">{receipt}</p>\n\
         </article>\n</main>\n</body>\n</html>\n",
        title = t.title,
        or_open = t.or_open,
        how = t.how,
        receipt = t.receipt,
    ))
}

/// The list a ward's staff open first: one link per service to its card, to print each.
pub fn card_index<'a>(
    unit_name: &str,
    unit_id: &str,
    services: impl Iterator<Item = &'a super::ServiceDef>,
    lang: Lang,
) -> String {
    let (code, title, hint) = match lang {
        Lang::Vi => (
            "vi",
            "Thẻ QR đánh giá dịch vụ",
            "Mở thẻ của từng dịch vụ rồi in trên khổ A5, đặt tại quầy tiếp nhận.",
        ),
        Lang::En => (
            "en",
            "Rating QR cards",
            "Open each service's card and print it on A5 for its counter.",
        ),
    };
    let unit = escape(unit_name);
    let items: String = services
        .map(|s| {
            format!(
                "<li><a href=\"/api/v1/units/{}/public-card?service={}&amp;lang={code}\">{}</a></li>\n",
                escape(unit_id),
                escape(&s.code),
                escape(&s.name)
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"{code}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · {unit}</title>\n<link rel=\"stylesheet\" href=\"/css/card.css\">\n\
         </head>\n<body>\n<main class=\"index\">\n<h1>{title}</h1>\n<p class=\"unit\">{unit}</p>\n\
         <p>{hint}</p>\n<ul class=\"services\">\n{items}</ul>\n</main>\n</body>\n</html>\n"
    )
}

/// `/css/card.css`. Sizes are in mm so the printed card matches A5 whatever the screen; all
/// ink is black or grey so a monochrome office printer loses nothing.
pub const CARD_CSS: &str = include_str!("../../../dashboard-web/css/card.css");

#[cfg(test)]
mod tests {
    use super::*;

    /// Paints the SVG's path back onto a bitmap (4 px a module) and lets rqrr read it, so the
    /// test checks what is drawn, not what the encoder was asked for.
    fn decode_svg(svg: &str) -> String {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("viewBox");
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let scale = 4;
        let w = side * scale;
        let mut px = vec![255u8; w * w];
        for run in d.split('M').filter(|r| !r.is_empty()) {
            // "x yhLENv1h-LENz"
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let len: usize = rest.split('v').next().unwrap().parse().unwrap();
            for yy in y * scale..(y + 1) * scale {
                for xx in x * scale..(x + len) * scale {
                    px[yy * w + xx] = 0;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, w, |x, y| px[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        grids[0].decode().expect("decodes").1
    }

    #[test]
    fn svg_carries_the_url_and_names_it() {
        let url =
            "https://dichvucong.hoankiem.hanoi.gov.vn/danh-gia/p-hoan-kiem?dv=khai-sinh&x=<1>";
        let svg = qr_svg(url).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title>https://dichvucong.hoankiem.hanoi.gov.vn/danh-gia/p-hoan-kiem?dv=khai-sinh&amp;x=&lt;1&gt;</title>"));
        assert!(!svg.contains("<?xml"), "no prolog inside an HTML page");
        assert_eq!(decode_svg(&svg), url);
    }

    #[test]
    fn every_length_up_to_the_limit_scans() {
        // Short (level Q), past the switch to level M, and the longest allowed.
        for len in [20, 90, 150, MAX_URL_BYTES] {
            let url = format!("https://p.vn/d?x={}", "a1-Z".repeat(60))[..len].to_string();
            let svg = qr_svg(&url).unwrap();
            assert_eq!(decode_svg(&svg), url, "length {len}");
        }
        let vi = "https://xã-phú-thượng.vn/đánh-giá?dịch_vụ=khai-sinh";
        assert_eq!(decode_svg(&qr_svg(vi).unwrap()), vi);
    }

    #[test]
    fn too_long_a_url_is_an_error_naming_it() {
        let url = format!("https://example.vn/{}", "x".repeat(300));
        let err = qr_svg(&url).unwrap_err();
        assert!(matches!(err, PrintError::UrlTooLong { len: 319, .. }));
        let msg = err.to_string();
        assert!(msg.contains("https://example.vn/xxx"), "{msg}");
        assert!(msg.contains("too long") && msg.contains("319"), "{msg}");
        assert!(msg.len() < 300, "the message quotes only the start");
        assert_eq!(qr_svg(" ").unwrap_err(), PrintError::EmptyUrl);
    }

    #[test]
    fn card_escapes_and_has_no_inline_style() {
        let html = card_html(
            "Phường \"Hoàn Kiếm\"",
            "<script>alert('x')</script> & khai sinh",
            "https://a.vn/r?u=1&s=2",
            Lang::Vi,
        )
        .unwrap();
        assert!(!html.contains("<script"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; khai sinh"));
        assert!(html.contains("Phường &quot;Hoàn Kiếm&quot;"));
        let link = "<span>https://a.vn/</span><wbr><span>r?</span><wbr><span>u=1&amp;</span><wbr><span>s=2</span>";
        assert!(html.contains(link), "{html}");
        assert!(!html.contains("<style") && !html.contains("style="));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/css/card.css\">"));
        assert!(html.contains("<html lang=\"vi\">") && html.contains("Đánh giá sự hài lòng"));
        assert!(html.contains("Quét mã QR bằng điện thoại để đánh giá 1–5 sao. Không cần đăng nhập, không thu thập thông tin cá nhân."));
        assert!(html.contains("Có mã biên nhận? Nhập mã để mỗi hồ sơ được đánh giá một lần."));
        assert_eq!(decode_svg(&html), "https://a.vn/r?u=1&s=2");

        let en = card_html("Ward", "Birth", "https://a.vn", Lang::En).unwrap();
        assert!(en.contains("<html lang=\"en\">") && en.contains("Rate our service"));
        assert!(card_html("a", "b", &"x".repeat(500), Lang::En).is_err());
    }

    #[test]
    fn stylesheet_prints_a5_with_a_large_code() {
        assert!(CARD_CSS.contains("@page { size: A5 portrait; margin: 12mm; }"));
        let qr = CARD_CSS.split(".qr svg {").nth(1).unwrap();
        let mm: f64 = qr
            .split("width: ")
            .nth(1)
            .unwrap()
            .split("mm")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(mm >= 60.0, "QR code {mm} mm wide");
    }
}
