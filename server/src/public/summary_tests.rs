//! The month summary's page, CSV and workbook, read back.
use super::super::wire::{PublicMonthSatisfaction, PublicServiceFigure, PublicUnit};
use super::*;

pub(crate) fn sample(unit_name: &str) -> PublicMonthSummary {
    let kpi = |code: &str,
               name: &str,
               uom: &str,
               period: Option<&str>,
               value: Option<f64>,
               status: &str| PublicKpi {
        code: code.into(),
        name: name.into(),
        unit_of_measure: uom.into(),
        period: period.map(Into::into),
        value,
        status: status.into(),
        thresholds: "Đạt khi ≥ 95; đỏ khi < 85".into(),
        trend: vec![],
    };
    let svc = |code: &str, name: &str, count, average| PublicServiceFigure {
        code: code.into(),
        name: name.into(),
        count,
        average,
    };
    PublicMonthSummary {
        unit: PublicUnit {
            id: "p-hoan-kiem".into(),
            name: unit_name.into(),
            level: "ward".into(),
            parent_name: Some("Thành phố Hà Nội".into()),
        },
        month: "2026-11".into(),
        generated_at: "2026-12-01T00:05:00+07:00".into(),
        kpis: vec![
            kpi(
                "TTHC",
                "Hồ sơ giải quyết đúng hạn",
                "%",
                Some("2026-11"),
                Some(96.5),
                "green",
            ),
            kpi(
                "TGCD",
                "Thời gian chờ trung bình",
                "phút",
                Some("2026-W48"),
                Some(1234.25),
                "yellow",
            ),
            kpi(
                "=CMD",
                "Phản ánh được xử lý",
                "%",
                Some("2026-Q4"),
                Some(80.0),
                "red",
            ),
            kpi("KS", "Khảo sát năm", "điểm", None, None, "no_data"),
        ],
        satisfaction: PublicMonthSatisfaction {
            count: 1234,
            average: Some(4.3),
            satisfied_percent: Some(93.2),
            stars: [10, 20, 54, 300, 850],
            services: vec![
                svc("khai-sinh", "Đăng ký khai sinh", 1200, Some(4.5)),
                svc("ket-hon", "Đăng ký kết hôn, \"trích lục\"", 34, Some(3.0)),
                svc("cu-tru", "Cư trú", 0, None),
            ],
            previous_count: 1100,
            previous_average: Some(4.1),
        },
    }
}

/// The words a reader sees: tags dropped, entities left (none of them is a word).
fn visible_words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn vietnamese_page_reads_in_vietnamese() {
    let page = html(&sample("Phường Hoàn Kiếm"), Lang::Vi);
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(
        page.contains("<title>Kết quả phục vụ người dân tháng 11/2026 · Phường Hoàn Kiếm</title>")
    );
    for want in [
        "Lập lúc 00:05 01/12/2026",
        "1.234",
        "4,3/5",
        "93,2%",
        "tăng 0,2 điểm so với tháng trước",
        "96,5%",
        "1.234,25 phút",
        "Tuần 48/2026",
        "Quý 4/2026",
        "11/2026",
        "Cần chú ý",
        "Chưa đạt",
        "Chưa có số liệu",
        "<span>Đạt khi ≥ 95</span>; <span>đỏ khi &lt; 85</span>",
        "68,9%",
    ] {
        assert!(page.contains(want), "missing {want}");
    }
    let english = [
        "satisfaction",
        "average",
        "kpi",
        "kpis",
        "status",
        "generated",
        "stars",
        "star",
        "service",
        "previous",
        "month",
        "points",
        "ratings",
        "value",
        "period",
        "met",
        "data",
        "none",
        "share",
        "results",
        "indicators",
    ];
    let words = visible_words(&page);
    for w in english {
        assert!(
            !words.iter().any(|x| x == w),
            "English word {w:?} on the Vietnamese page"
        );
    }
    assert!(!page.contains("<style") && !page.contains("style="));
    assert!(
        page.contains("<caption>")
            && page.contains("<th scope=\"col\"")
            && page.contains("<th scope=\"row\"")
    );

    let en = html(&sample("Hoan Kiem Ward"), Lang::En);
    for want in [
        "<html lang=\"en\">",
        "November 2026",
        "Generated 00:05, 1 December 2026",
        "4.3/5",
        "93.2%",
        "1,234.25 phút",
        "up 0.2 points on last month",
        "Week 48, 2026",
    ] {
        assert!(en.contains(want), "missing {want}");
    }
}

#[test]
fn hostile_names_are_escaped_and_comparisons_read_right() {
    let mut s = sample("<img src=x onerror=alert(1)> & \"Ward\"");
    let page = html(&s, Lang::Vi);
    assert!(!page.contains("<img"));
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Ward&quot;"));
    s.satisfaction.previous_average = Some(4.54);
    assert!(html(&s, Lang::Vi).contains("giảm 0,2 điểm so với tháng trước"));
    s.satisfaction.previous_average = Some(4.26);
    assert!(html(&s, Lang::Vi).contains("không đổi so với tháng trước"));
    assert_eq!(num(-0.01, 1, Lang::Vi), "0,0");
    assert_eq!(num(1234567.891, 2, Lang::Vi), "1.234.567,89");
    assert_eq!(value(100.0, Lang::En), "100");
    let utc = generated_words("2026-11-30T17:05:00Z", Lang::Vi);
    assert_eq!(utc, "Lập lúc 00:05 01/12/2026", "shown in Vietnam's time");
    assert_eq!(generated_words("soon", Lang::En), "Generated soon");
    assert_eq!(month_words("2026-13", Lang::Vi), "2026-13");
}

#[test]
fn csv_parses_back() {
    let bytes = csv(&sample("Phường Hoàn Kiếm"), Lang::Vi);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().unwrap().get(2), Some("Mục"));
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let find = |code: &str| {
        rows.iter()
            .find(|r| r[3] == code)
            .unwrap_or_else(|| panic!("row {code}"))
    };
    assert_eq!(rows.len(), 3 + 5 + 2 + 3 + 4);
    assert_eq!(find("count")[5], "1234");
    assert_eq!(find("average")[6], "4.3");
    assert_eq!(find("satisfied_percent")[6..8], ["93.2", "%"]);
    assert_eq!(find("stars_5")[5], "850");
    assert_eq!(
        find("ket-hon")[2..7],
        [
            "Dịch vụ",
            "ket-hon",
            "Đăng ký kết hôn, \"trích lục\"",
            "34",
            "3"
        ]
    );
    assert_eq!(find("cu-tru")[6], "");
    assert_eq!(
        find("TGCD")[6..10],
        ["1234.25", "phút", "2026-W48", "Cần chú ý"]
    );
    assert_eq!(find("'=CMD")[4], "Phản ánh được xử lý");
    assert_eq!(find("TTHC")[0..2], ["p-hoan-kiem", "2026-11"]);
    let en = csv(&sample("X"), Lang::En);
    assert!(std::str::from_utf8(&en)
        .unwrap()
        .contains("Unit,Month,Section,Code,Name,Count,Value"));
}

#[test]
fn workbook_holds_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let bytes = xlsx(&sample("Phường Hoàn Kiếm"), Lang::Vi).unwrap();
    assert!(bytes.starts_with(b"PK"));
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(wb.sheet_names(), ["Hài lòng", "Chỉ tiêu"]);
    let sat = wb.worksheet_range("Hài lòng").unwrap();
    let row = |name: &str| {
        sat.rows()
            .find(|r| r[0] == Data::String(name.into()))
            .unwrap_or_else(|| panic!("{name}"))
            .to_vec()
    };
    assert_eq!(
        sat.get_value((0, 0)),
        Some(&Data::String(
            "Kết quả phục vụ người dân tháng 11/2026 · Phường Hoàn Kiếm".into()
        ))
    );
    assert_eq!(row("Lượt đánh giá")[1], Data::Float(1234.0));
    assert_eq!(
        row("Đăng ký khai sinh")[1..],
        [
            Data::Float(1200.0),
            Data::Float(4.5),
            Data::String("khai-sinh".into())
        ]
    );
    assert_eq!(
        row("Đăng ký kết hôn, \"trích lục\"")[1..3],
        [Data::Float(34.0), Data::Float(3.0)]
    );
    assert_eq!(row("Cư trú")[1..3], [Data::Float(0.0), Data::Empty]);
    let kpis = wb.worksheet_range("Chỉ tiêu").unwrap();
    let tg = kpis
        .rows()
        .find(|r| r[0] == Data::String("Thời gian chờ trung bình".into()))
        .unwrap();
    assert_eq!(
        tg[1..5],
        [
            Data::Float(1234.25),
            Data::String("phút".into()),
            Data::String("2026-W48".into()),
            Data::String("Cần chú ý".into())
        ]
    );
    let en = xlsx(&sample("X"), Lang::En).unwrap();
    assert_eq!(
        Xlsx::new(std::io::Cursor::new(en)).unwrap().sheet_names(),
        ["PublicSatisfaction", "KPIs"]
    );
}
