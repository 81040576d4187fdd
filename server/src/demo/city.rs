//! The demo city's catalog, built in memory before anything is written: the org tree (city,
//! departments and agencies, wards and communes, their divisions), the officials who staff it,
//! the KPIs, and the objectives and key results cascading from the city down. Keeps the indexes
//! the task and observation generators need (who leads which unit, who works where).

use super::kpis::{self, DemoKpi};
use super::names::{self, Dept};
use super::DemoSize;
use crate::domain::{time::Ts, Period, UnitLevel};
use crate::ingest::catalog::{KeyResultIn, ObjectiveIn, PersonIn, UnitIn};
use rand::seq::SliceRandom;
use rand::Rng;

pub const ROOT: &str = "hn";

/// One unit of the tree with what the generators need to know about it.
pub struct UnitNode {
    pub id: String,
    pub level: UnitLevel,
    pub parent: Option<usize>,
    /// The department, ward or commune the unit belongs to (itself for those, the root for the
    /// root): where its people's objectives, key results and colleagues are.
    pub top: usize,
    pub head: Option<usize>,
}

pub struct City {
    pub units: Vec<UnitIn>,
    pub nodes: Vec<UnitNode>,
    pub people: Vec<PersonIn>,
    /// Index into `nodes` of each person's unit.
    pub person_unit: Vec<usize>,
    /// How many tasks a person draws relative to others: leaders assign more than they carry.
    pub person_weight: Vec<u32>,
    /// People of each top unit (department, ward or commune, or the root), by node index.
    pub members: Vec<Vec<usize>>,
    pub kpis: Vec<DemoKpi>,
    pub objectives: Vec<ObjectiveIn>,
    pub key_results: Vec<KeyResultIn>,
    /// Key-result ids of each top unit's objectives, by node index.
    pub unit_krs: Vec<Vec<String>>,
    /// Node indexes of the wards and communes.
    pub wards: Vec<usize>,
}

impl City {
    /// The leader a person answers to: the head of their unit, or of the nearest unit above
    /// when they head it themselves.
    pub fn accountable(&self, person: usize) -> Option<usize> {
        let mut u = Some(self.person_unit[person]);
        while let Some(i) = u {
            match self.nodes[i].head {
                Some(h) if h != person => return Some(h),
                _ => u = self.nodes[i].parent,
            }
        }
        None
    }

    pub fn top_of_person(&self, person: usize) -> usize {
        self.nodes[self.person_unit[person]].top
    }
}

/// Builds the whole catalog for `size`; deterministic for a given generator state.
pub fn build(size: &DemoSize, now: Ts, rng: &mut impl Rng) -> City {
    let mut c = City {
        units: Vec::new(),
        nodes: Vec::new(),
        people: Vec::new(),
        person_unit: Vec::new(),
        person_weight: Vec::new(),
        members: Vec::new(),
        kpis: Vec::new(),
        objectives: Vec::new(),
        key_results: Vec::new(),
        unit_krs: Vec::new(),
        wards: Vec::new(),
    };
    let add = |c: &mut City,
               id: String,
               name: String,
               level: UnitLevel,
               parent: Option<usize>|
     -> usize {
        let idx = c.nodes.len();
        let top = match (level, parent) {
            (UnitLevel::Division, Some(p)) => c.nodes[p].top,
            _ => idx,
        };
        c.units.push(UnitIn {
            id: id.clone(),
            name,
            level,
            parent: parent.map(|p| c.nodes[p].id.clone()),
            leader: None,
            short_name: None,
        });
        c.nodes.push(UnitNode {
            id,
            level,
            parent,
            top,
            head: None,
        });
        idx
    };
    let root = add(
        &mut c,
        ROOT.to_string(),
        "Thành phố Hà Nội".to_string(),
        UnitLevel::City,
        None,
    );

    // Top units first (parents before children), then their divisions.
    let depts: Vec<&Dept> = names::DEPTS.iter().take(size.departments).collect();
    let mut dept_nodes = Vec::with_capacity(depts.len());
    for d in &depts {
        let level = if d.agency {
            UnitLevel::Agency
        } else {
            UnitLevel::Department
        };
        let n = add(
            &mut c,
            format!("{ROOT}.{}", d.code),
            d.name.to_string(),
            level,
            Some(root),
        );
        c.units[n].short_name = names::SHORT_NAMES
            .iter()
            .find(|(code, _)| *code == d.code)
            .map(|(_, short)| short.to_string());
        dept_nodes.push(n);
    }
    let communes = (size.wards * names::COMMUNES.len() + 63) / 126;
    let communes = communes.min(size.wards);
    let wards = size.wards - communes;
    for (i, name) in cycled(names::WARDS, wards) {
        let id = format!(
            "{ROOT}.p-{}{}",
            names::slug(name),
            suffix_id(i, names::WARDS.len())
        );
        let n = add(
            &mut c,
            id,
            format!("Phường {name}{}", suffix_name(i, names::WARDS.len())),
            UnitLevel::Ward,
            Some(root),
        );
        c.wards.push(n);
    }
    for (i, name) in cycled(names::COMMUNES, communes) {
        let id = format!(
            "{ROOT}.x-{}{}",
            names::slug(name),
            suffix_id(i, names::COMMUNES.len())
        );
        let n = add(
            &mut c,
            id,
            format!("Xã {name}{}", suffix_name(i, names::COMMUNES.len())),
            UnitLevel::Commune,
            Some(root),
        );
        c.wards.push(n);
    }
    let dpu = size.divisions_per_unit;
    let mut divisions: Vec<(usize, &'static str)> = Vec::new();
    for (d, &node) in depts.iter().zip(&dept_nodes) {
        let is_so = d.name.starts_with("Sở");
        let mut options: Vec<(&str, &str)> = vec![d.office];
        options.extend(d.own.iter().copied());
        for g in names::GENERIC_DIVISIONS {
            let taken = options.iter().any(|(code, _)| *code == g.0);
            if !taken && (is_so || g.0 != "ttr") {
                options.push(*g);
            }
        }
        let k = if dpu <= 2 {
            dpu
        } else {
            rng.gen_range(2..=dpu)
        }
        .min(options.len());
        for (code, name) in options.into_iter().take(k) {
            let id = format!("{}.{code}", c.nodes[node].id);
            let div = add(
                &mut c,
                id,
                name.to_string(),
                UnitLevel::Division,
                Some(node),
            );
            divisions.push((div, name));
        }
    }
    for &w in &c.wards.clone() {
        let commune = c.nodes[w].level == UnitLevel::Commune;
        let k = if dpu <= 3 {
            dpu
        } else {
            rng.gen_range(3..=dpu)
        }
        .min(names::WARD_DIVISIONS.len());
        for &(code, name) in names::WARD_DIVISIONS.iter().take(k) {
            let name = if commune && code == "kt" {
                names::COMMUNE_ECONOMY
            } else {
                name
            };
            let id = format!("{}.{code}", c.nodes[w].id);
            let div = add(&mut c, id, name.to_string(), UnitLevel::Division, Some(w));
            divisions.push((div, name));
        }
    }

    staff(
        &mut c,
        size.people,
        root,
        &depts,
        &dept_nodes,
        &divisions,
        rng,
    );
    let dept_codes: Vec<&str> = depts.iter().map(|d| d.code).collect();
    let ward_ids: Vec<String> = c.wards.iter().map(|&w| c.nodes[w].id.clone()).collect();
    c.kpis = kpis::catalog(&dept_codes, &ward_ids, size.kpis, rng);
    let tops: Vec<usize> = dept_nodes.iter().chain(c.wards.iter()).copied().collect();
    okrs(&mut c, root, &tops, now, rng);
    c
}

/// Names past the end of a list come round again with a number: "Phường Láng 2".
fn cycled(list: &'static [&'static str], n: usize) -> impl Iterator<Item = (usize, &'static str)> {
    (0..n).map(move |i| (i, list[i % list.len()]))
}
fn suffix_id(i: usize, len: usize) -> String {
    if i < len {
        String::new()
    } else {
        format!("{}", i / len + 1)
    }
}
fn suffix_name(i: usize, len: usize) -> String {
    if i < len {
        String::new()
    } else {
        format!(" {}", i / len + 1)
    }
}

/// Fills the units with people: heads first (so every unit has a leader when the budget
/// allows), then deputies, then the rank and file, most of them in divisions.
fn staff(
    c: &mut City,
    total: usize,
    root: usize,
    depts: &[&Dept],
    dept_nodes: &[usize],
    divisions: &[(usize, &'static str)],
    rng: &mut impl Rng,
) {
    let ward_titles = |c: &City, w: usize| {
        if c.nodes[w].level == UnitLevel::Commune {
            ("Chủ tịch UBND xã", "Phó Chủ tịch UBND xã")
        } else {
            ("Chủ tịch UBND phường", "Phó Chủ tịch UBND phường")
        }
    };
    // (unit, position, is head, task weight)
    let mut slots: Vec<(usize, &'static str, bool, u32)> = Vec::new();
    slots.push((root, "Chủ tịch UBND Thành phố", true, 1));
    for (d, &n) in depts.iter().zip(dept_nodes) {
        slots.push((n, d.head, true, 2));
    }
    for &w in &c.wards {
        slots.push((w, ward_titles(c, w).0, true, 2));
    }
    for &(div, name) in divisions {
        slots.push((div, names::division_titles(name).0, true, 4));
    }
    for _ in 0..4 {
        slots.push((root, "Phó Chủ tịch UBND Thành phố", false, 1));
    }
    for _ in 0..2 {
        for (d, &n) in depts.iter().zip(dept_nodes) {
            slots.push((n, d.deputy, false, 3));
        }
        for &w in &c.wards {
            slots.push((w, ward_titles(c, w).1, false, 3));
        }
    }
    for &(div, name) in divisions {
        slots.push((div, names::division_titles(name).1, false, 5));
    }
    slots.truncate(total);
    // The rank and file: department divisions are larger than a ward's.
    let mut places: Vec<(usize, u32)> = Vec::new();
    for &(div, _) in divisions {
        let parent = c.nodes[div].parent.unwrap_or(root);
        let w = if matches!(
            c.nodes[parent].level,
            UnitLevel::Department | UnitLevel::Agency
        ) {
            3
        } else {
            2
        };
        places.push((div, w * 9));
    }
    for &n in dept_nodes.iter().chain(&c.wards) {
        places.push((n, 2));
    }
    if places.is_empty() {
        places.push((root, 1));
    }
    let dist = rand::distributions::WeightedIndex::new(places.iter().map(|p| p.1))
        .expect("weights are positive");
    while slots.len() < total {
        let (unit, _) = places[rand::distributions::Distribution::sample(&dist, rng)];
        slots.push((unit, names::staff_position(rng), false, 8));
    }
    c.members = vec![Vec::new(); c.nodes.len()];
    for (i, (unit, position, head, weight)) in slots.into_iter().enumerate() {
        let id = person_id(i);
        if head {
            c.nodes[unit].head = Some(i);
        }
        c.people.push(PersonIn {
            id,
            name: names::person_name(rng),
            unit: c.nodes[unit].id.clone(),
            position: position.to_string(),
        });
        c.person_unit.push(unit);
        c.person_weight.push(weight);
        let top = c.nodes[unit].top;
        c.members[top].push(i);
    }
}

pub fn person_id(i: usize) -> String {
    format!("cb{:06}", i + 1)
}

/// A theme of the city's objectives: the city's own wording, how a unit words its aligned
/// objective, and the key results that measure it.
struct Theme {
    city: &'static str,
    unit: &'static [&'static str],
    krs: &'static [(&'static str, &'static str, f64, f64)],
}

const THEMES: &[Theme] = &[
    Theme {
        city: "Nâng cao chất lượng phục vụ người dân và doanh nghiệp",
        unit: &[
            "Nâng cao chất lượng giải quyết thủ tục hành chính",
            "Nâng cao sự hài lòng của người dân, doanh nghiệp",
        ],
        krs: &[
            ("Tỷ lệ hồ sơ TTHC giải quyết đúng hạn", "%", 88.0, 98.0),
            ("Tỷ lệ hồ sơ nộp trực tuyến toàn trình", "%", 45.0, 80.0),
            ("Tỷ lệ hài lòng của người dân", "%", 82.0, 95.0),
            ("Thời gian giải quyết hồ sơ trung bình", "ngày", 6.0, 3.5),
            (
                "Số thủ tục hành chính được cắt giảm, đơn giản hóa",
                "thủ tục",
                0.0,
                15.0,
            ),
            ("Số hồ sơ trễ hạn tồn đọng", "hồ sơ", 120.0, 20.0),
        ],
    },
    Theme {
        city: "Thúc đẩy tăng trưởng kinh tế, đẩy nhanh giải ngân vốn đầu tư công",
        unit: &[
            "Đẩy nhanh tiến độ giải ngân vốn đầu tư công",
            "Hoàn thành vượt dự toán thu ngân sách",
        ],
        krs: &[
            ("Tỷ lệ giải ngân vốn đầu tư công", "%", 20.0, 95.0),
            ("Tỷ lệ thu ngân sách so với dự toán", "%", 0.0, 105.0),
            ("Số dự án hoàn thành, đưa vào sử dụng", "dự án", 0.0, 8.0),
            (
                "Số doanh nghiệp, hộ kinh doanh thành lập mới",
                "đơn vị",
                0.0,
                350.0,
            ),
            (
                "Diện tích mặt bằng được bàn giao cho dự án",
                "ha",
                0.0,
                25.0,
            ),
        ],
    },
    Theme {
        city: "Đẩy mạnh chuyển đổi số, xây dựng chính quyền số",
        unit: &[
            "Đẩy mạnh chuyển đổi số trong chỉ đạo, điều hành",
            "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
        ],
        krs: &[
            ("Tỷ lệ văn bản điện tử được ký số", "%", 70.0, 100.0),
            ("Tỷ lệ hồ sơ, kết quả TTHC được số hóa", "%", 40.0, 90.0),
            (
                "Số cơ sở dữ liệu chuyên ngành được kết nối, chia sẻ",
                "cơ sở dữ liệu",
                0.0,
                6.0,
            ),
            ("Tỷ lệ cán bộ được bồi dưỡng kỹ năng số", "%", 30.0, 100.0),
            (
                "Tỷ lệ người dân sử dụng định danh điện tử mức 2",
                "%",
                55.0,
                85.0,
            ),
        ],
    },
    Theme {
        city: "Xây dựng đô thị văn minh, xanh, sạch, đẹp",
        unit: &[
            "Chỉnh trang đô thị, giữ gìn trật tự xây dựng",
            "Cải thiện môi trường sống trên địa bàn",
        ],
        krs: &[
            (
                "Số công trình vi phạm trật tự xây dựng",
                "công trình",
                25.0,
                5.0,
            ),
            ("Tỷ lệ hộ gia đình phân loại rác tại nguồn", "%", 20.0, 60.0),
            ("Số tuyến phố được chỉnh trang, lát hè", "tuyến", 0.0, 12.0),
            ("Số điểm tập kết rác tự phát được xóa bỏ", "điểm", 0.0, 20.0),
            ("Diện tích cây xanh được trồng mới", "m²", 0.0, 5000.0),
        ],
    },
    Theme {
        city: "Siết chặt kỷ luật, kỷ cương hành chính, phòng, chống tham nhũng",
        unit: &[
            "Siết chặt kỷ luật, kỷ cương trong thực thi công vụ",
            "Giải quyết dứt điểm đơn thư khiếu nại, tố cáo",
        ],
        krs: &[
            (
                "Tỷ lệ nhiệm vụ được giao hoàn thành đúng hạn",
                "%",
                80.0,
                98.0,
            ),
            ("Số đơn thư khiếu nại, tố cáo tồn đọng", "đơn", 30.0, 0.0),
            ("Số cuộc thanh tra, kiểm tra công vụ", "cuộc", 0.0, 12.0),
            (
                "Tỷ lệ cán bộ được đánh giá hoàn thành tốt nhiệm vụ trở lên",
                "%",
                75.0,
                90.0,
            ),
            (
                "Số kiến nghị thanh tra đã thực hiện",
                "kiến nghị",
                0.0,
                30.0,
            ),
        ],
    },
];

/// Labels of the year and the quarter containing `now`, in Vietnam's calendar.
pub fn okr_periods(now: Ts) -> (String, String) {
    (
        super::period_label(crate::domain::Frequency::Yearly, now, 0),
        super::period_label(crate::domain::Frequency::Quarterly, now, 0),
    )
}

/// Five city objectives for the year; each department, ward and commune aligns two or three of
/// its own to them, for the year or the current quarter, each with two to five key results.
fn okrs(c: &mut City, root: usize, tops: &[usize], now: Ts, rng: &mut impl Rng) {
    let (year, quarter) = okr_periods(now);
    let year_p = Period::parse(&year).expect("a year label parses");
    let quarter_p = Period::parse(&quarter).expect("a quarter label parses");
    c.unit_krs = vec![Vec::new(); c.nodes.len()];
    let mut city_objectives = Vec::with_capacity(THEMES.len());
    for (i, theme) in THEMES.iter().enumerate() {
        let id = format!("okr.{ROOT}.{}", i + 1);
        c.objectives.push(ObjectiveIn {
            id: id.clone(),
            unit: ROOT.to_string(),
            title: theme.city.to_string(),
            period: year.clone(),
            parent: None,
            owner: c.nodes[root].head.map(person_id),
            weight: None,
        });
        key_results(c, root, &id, theme, 10.0, year_p.elapsed(now), rng);
        city_objectives.push(id);
    }
    for &unit in tops {
        let n = rng.gen_range(2..=3);
        let mut themes: Vec<usize> = (0..THEMES.len()).collect();
        themes.shuffle(rng);
        for (k, &t) in themes.iter().take(n).enumerate() {
            let quarterly = k > 0 && rng.gen_bool(0.5);
            let (label, period) = if quarterly {
                (&quarter, &quarter_p)
            } else {
                (&year, &year_p)
            };
            let id = format!("okr.{}.{}", c.nodes[unit].id, k + 1);
            let theme = &THEMES[t];
            let title = theme.unit[rng.gen_range(0..theme.unit.len())];
            let title = if quarterly {
                format!("{title} quý {}", roman_quarter(&quarter))
            } else {
                title.to_string()
            };
            c.objectives.push(ObjectiveIn {
                id: id.clone(),
                unit: c.nodes[unit].id.clone(),
                title,
                period: label.clone(),
                parent: Some(city_objectives[t].clone()),
                owner: c.nodes[unit].head.map(person_id),
                // A unit's first objective carries its main contribution to the city's.
                weight: Some(if k == 0 { 2.0 } else { 1.0 }),
            });
            key_results(c, unit, &id, theme, 1.0, period.elapsed(now), rng);
        }
    }
}

fn key_results(
    c: &mut City,
    unit: usize,
    objective: &str,
    theme: &Theme,
    scale: f64,
    elapsed: f64,
    rng: &mut impl Rng,
) {
    let n = rng.gen_range(2..=crate::domain::MAX_KEY_RESULTS.min(theme.krs.len()));
    let mut picks: Vec<usize> = (0..theme.krs.len()).collect();
    picks.shuffle(rng);
    for (k, &p) in picks.iter().take(n).enumerate() {
        let (title, uom, start, target) = theme.krs[p];
        let percent = uom == "%";
        // Durations keep their scale and a decimal; counts grow with the unit's size.
        let days = uom == "ngày";
        let (start, target) = if percent {
            let s = if start > 0.0 {
                (start + rng.gen_range(-3.0..3.0_f64))
                    .clamp(0.0, 99.0)
                    .round()
            } else {
                start
            };
            (s, target)
        } else if days {
            let f = rng.gen_range(0.8..1.25);
            (kpis::round(start * f, 1), kpis::round(target * f, 1))
        } else {
            let f = scale * rng.gen_range(0.8..1.25);
            ((start * f).round(), (target * f).round())
        };
        let target = if target == start { start + 1.0 } else { target };
        // Most key results near the pace the elapsed period asks for, some well behind it.
        let pace = if rng.gen_bool(0.25) {
            rng.gen_range(0.35..0.75)
        } else {
            rng.gen_range(0.8..1.15)
        };
        let progress = (elapsed * pace).clamp(0.0, 1.0);
        let current = kpis::round(
            start + (target - start) * progress,
            if percent || days { 1 } else { 0 },
        );
        let id = format!("{objective}.kr{}", k + 1);
        c.key_results.push(KeyResultIn {
            id: id.clone(),
            objective: objective.to_string(),
            title: title.to_string(),
            start,
            target,
            current: Some(current),
            unit_of_measure: uom.to_string(),
            direction: None,
            weight: Some([1.0, 1.0, 1.5, 2.0][rng.gen_range(0..4)]),
            confidence: None,
        });
        c.unit_krs[unit].push(id);
    }
}

/// "2026-Q4" -> "IV": quarters are written in Roman numerals in Vietnamese documents.
pub fn roman_quarter(label: &str) -> &'static str {
    match label.rsplit('Q').next() {
        Some("1") => "I",
        Some("2") => "II",
        Some("3") => "III",
        _ => "IV",
    }
}
