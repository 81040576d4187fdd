//! Composing what a public route answers from the rollup and the store: a unit's public board
//! and a closed month's summary. Only public KPIs, counts of ratings and screened comments go
//! in; people, tasks, sources and who entered a value never do.

use super::wire::{
    PublicBoard, PublicComment, PublicKpi, PublicMonth, PublicMonthSatisfaction,
    PublicMonthSummary, PublicPeriodValue, PublicSatisfaction, PublicService, PublicServiceFigure,
    PublicUnit,
};
use super::{has_board, PublicConfig};
use crate::domain::time::{format_ts, Period};
use crate::domain::{Kpi, KpiStatus, Observation, Thresholds, Ts, Unit, UnitLevel};
use crate::i18n::Lang;
use crate::rollup::Rollup;
use crate::store::public::{BucketCount, RatingCount};
use crate::store::{Store, StoreError};
use chrono::{Datelike, TimeZone};
use std::collections::HashMap;

/// How many months back the board's trend and the list of summaries reach.
const TREND_MONTHS: u32 = 6;
const SUMMARY_MONTHS: u32 = 12;

/// The unit when it has a public board.
pub fn public_unit(rollup: &Rollup, id: &str) -> Option<(Unit, PublicUnit)> {
    let unit = rollup.unit(id).filter(|u| has_board(u.level))?;
    let parent_name = unit
        .parent
        .as_ref()
        .and_then(|p| rollup.unit(p))
        .map(|p| p.name);
    let wire = PublicUnit {
        id: unit.id.to_string(),
        name: unit.name.clone(),
        level: unit.level.as_str().to_string(),
        parent_name,
    };
    Some((unit, wire))
}

/// Every unit with a public board: under each parent (in the org tree's order) the wards and
/// communes, then the departments and agencies, each alphabetically, since a citizen scans the
/// list for a name.
pub fn public_units(rollup: &Rollup) -> Vec<PublicUnit> {
    let mut units: Vec<(usize, bool, String, PublicUnit)> = Vec::new();
    let mut parents: Vec<String> = Vec::new();
    for u in crate::rollup::order_units(rollup.units()) {
        let Some((unit, wire)) = public_unit(rollup, &u.id) else {
            continue;
        };
        let parent = wire.parent_name.clone().unwrap_or_default();
        let rank = parents
            .iter()
            .position(|p| *p == parent)
            .unwrap_or_else(|| {
                parents.push(parent);
                parents.len() - 1
            });
        let office = matches!(unit.level, UnitLevel::Department | UnitLevel::Agency);
        units.push((rank, office, crate::i18n::folded(&wire.name), wire));
    }
    units.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    units.into_iter().map(|(_, _, _, w)| w).collect()
}

/// The board of `id`; `None` when it has none (unknown, or a level without a public board).
pub async fn board(
    rollup: &Rollup,
    store: &dyn Store,
    config: &PublicConfig,
    id: &str,
    lang: Lang,
) -> Result<Option<PublicBoard>, StoreError> {
    let Some((unit, wire_unit)) = public_unit(rollup, id) else {
        return Ok(None);
    };
    let now = rollup.now();
    let history = store.observations_of(&[id.to_string()]).await?;
    let kpis: Vec<PublicKpi> = rollup
        .kpi_board(id)
        .map(|b| b.kpis)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|line| {
            let kpi = rollup.kpi(&line.code).filter(|k| k.public)?;
            Some(PublicKpi {
                trend: trend(&history, &kpi.code, TREND_MONTHS as usize),
                code: line.code,
                name: line.name,
                unit_of_measure: line.unit_of_measure,
                period: line.period,
                value: line.value,
                status: status_word(line.status).to_string(),
                thresholds: threshold_words(&kpi.thresholds, lang),
            })
        })
        .collect();
    let on_time = kpis
        .iter()
        .find(|k| config.is_on_time_kpi(&k.code) && k.value.is_some())
        .cloned();
    let services = services_of(config, unit.level);
    let this_month = month_of(now);
    let periods: Vec<Period> = (0..TREND_MONTHS)
        .rev()
        .map(|back| month_period(month_back(this_month, back)))
        .collect();
    let starts: Vec<Ts> = periods.iter().map(|p| p.start).collect();
    let buckets = store.public().rating_buckets(id, &starts).await?;
    let all = counts_in(&buckets, None);
    let months = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = Totals::of(&counts_in(&buckets, Some(i as i64)));
            PublicMonth {
                month: p.label().to_string(),
                count: t.count,
                average: t.average(),
            }
        })
        .collect();
    let totals = Totals::of(&all);
    let satisfaction = PublicSatisfaction {
        count: totals.count,
        average: totals.average(),
        satisfied_percent: totals.satisfied_percent(),
        stars: totals.stars,
        months,
        services: by_service(&all, &services, lang),
    };
    let comments = store
        .public()
        .shown_comments(id, 10)
        .await?
        .into_iter()
        .map(|c| PublicComment {
            service: c.service,
            score: c.score.clamp(1, 5) as u8,
            comment: c.comment,
            at: format_ts(c.at - c.at.rem_euclid(60_000)),
        })
        .collect();
    // Summaries are offered from the first month the store has figures of this unit.
    let first = history.iter().map(|o| o.at).min();
    let summaries = (1..=SUMMARY_MONTHS)
        .map(|back| month_period(month_back(this_month, back)))
        .filter(|p| first.is_some_and(|f| f < p.end))
        .map(|p| p.label().to_string())
        .collect();
    Ok(Some(PublicBoard {
        unit: wire_unit,
        as_of: format_ts(now),
        kpis,
        satisfaction,
        on_time,
        comments,
        services,
        months: summaries,
    }))
}

/// Whether `month` (`YYYY-MM`) has closed by the rollup's clock and lies within the months a
/// board offers; the summary of a month still running is not published.
pub fn closed_month(rollup: &Rollup, month: &str) -> Option<Period> {
    let p = Period::parse(month).ok()?;
    if p.kind != crate::domain::time::PeriodKind::Month {
        return None;
    }
    let now = rollup.now();
    let oldest = month_period(month_back(month_of(now), SUMMARY_MONTHS));
    (p.end <= now && p.start >= oldest.start).then_some(p)
}

/// The summary of a closed month of `id`.
pub async fn month_summary(
    rollup: &Rollup,
    store: &dyn Store,
    config: &PublicConfig,
    id: &str,
    month: &Period,
    lang: Lang,
) -> Result<Option<PublicMonthSummary>, StoreError> {
    let Some((unit, wire_unit)) = public_unit(rollup, id) else {
        return Ok(None);
    };
    let history = store.observations_of(&[id.to_string()]).await?;
    let mut kpis = Vec::new();
    for code in rollup.kpi_board(id).map(|b| b.kpis).unwrap_or_default() {
        let Some(kpi) = rollup.kpi(&code.code).filter(|k| k.public) else {
            continue;
        };
        kpis.push(kpi_in_month(&kpi, &history, month, lang));
    }
    let services = services_of(config, unit.level);
    let before = month_period(month_back(month_of(month.start), 1));
    // Bucket 0 the month before, 1 the month, 2 after it: both months in one read.
    let buckets = store
        .public()
        .rating_buckets(id, &[before.start, month.start, month.end])
        .await?;
    let counts = counts_in(&buckets, Some(1));
    let totals = Totals::of(&counts);
    let previous = Totals::of(&counts_in(&buckets, Some(0)));
    Ok(Some(PublicMonthSummary {
        unit: wire_unit,
        month: month.label().to_string(),
        generated_at: format_ts(rollup.now()),
        kpis,
        satisfaction: PublicMonthSatisfaction {
            count: totals.count,
            average: totals.average(),
            satisfied_percent: totals.satisfied_percent(),
            stars: totals.stars,
            services: by_service(&counts, &services, lang),
            previous_count: previous.count,
            previous_average: previous.average(),
        },
    }))
}

/// A KPI as it stood for `month`: a monthly KPI's value of that month, any other its newest
/// value recorded before the month ended.
fn kpi_in_month(kpi: &Kpi, history: &[Observation], month: &Period, lang: Lang) -> PublicKpi {
    let mut series = history.iter().filter(|o| o.kpi == kpi.code);
    let obs = if kpi.frequency == crate::domain::Frequency::Monthly {
        series.rfind(|o| o.period.label() == month.label())
    } else {
        series.rfind(|o| o.at < month.end)
    };
    PublicKpi {
        code: kpi.code.to_string(),
        name: kpi.name.clone(),
        unit_of_measure: kpi.unit_of_measure.clone(),
        period: obs.map(|o| o.period.label().to_string()),
        value: obs.map(|o| o.value),
        status: status_word(obs.map_or(KpiStatus::NoData, |o| kpi.thresholds.status(o.value)))
            .to_string(),
        thresholds: threshold_words(&kpi.thresholds, lang),
        trend: Vec::new(),
    }
}

/// The last `n` values of a series, oldest first (`history` is ordered by period).
fn trend(history: &[Observation], code: &str, n: usize) -> Vec<PublicPeriodValue> {
    let series: Vec<&Observation> = history.iter().filter(|o| *o.kpi == *code).collect();
    series[series.len().saturating_sub(n)..]
        .iter()
        .map(|o| PublicPeriodValue {
            period: o.period.label().to_string(),
            value: o.value,
        })
        .collect()
}

/// The services a unit of `level` offers, as the public routes name them.
fn services_of(config: &PublicConfig, level: crate::domain::UnitLevel) -> Vec<PublicService> {
    config
        .services_at(level)
        .map(|s| PublicService {
            code: s.code.clone(),
            name: s.name.clone(),
        })
        .collect()
}

/// The counts of one bucket (`None`: all of them) of a `rating_buckets` read.
fn counts_in(buckets: &[BucketCount], bucket: Option<i64>) -> Vec<RatingCount> {
    buckets
        .iter()
        .filter(|b| bucket.is_none_or(|i| b.bucket == i))
        .map(|b| RatingCount {
            service: b.service.clone(),
            score: b.score,
            n: b.n,
        })
        .collect()
}

/// Counts of ratings by stars.
#[derive(Default)]
struct Totals {
    count: i64,
    sum: i64,
    stars: [i64; 5],
}

impl Totals {
    fn of(counts: &[RatingCount]) -> Totals {
        let mut t = Totals::default();
        for c in counts.iter().filter(|c| (1..=5).contains(&c.score)) {
            t.count += c.n;
            t.sum += c.n * c.score;
            t.stars[(c.score - 1) as usize] += c.n;
        }
        t
    }
    fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| round1(self.sum as f64 / self.count as f64))
    }
    fn satisfied_percent(&self) -> Option<f64> {
        (self.count > 0)
            .then(|| round1((self.stars[3] + self.stars[4]) as f64 * 100.0 / self.count as f64))
    }
}

/// Figures per listed service (services never rated show 0), then "other services" for ratings
/// whose service is not on the list (from integrations, or a service taken off the list).
fn by_service(
    counts: &[RatingCount],
    services: &[PublicService],
    lang: Lang,
) -> Vec<PublicServiceFigure> {
    let mut by_name: HashMap<&str, Vec<RatingCount>> = HashMap::new();
    for c in counts {
        by_name
            .entry(c.service.as_str())
            .or_default()
            .push(c.clone());
    }
    let mut out: Vec<PublicServiceFigure> = services
        .iter()
        .map(|s| {
            let t = Totals::of(by_name.remove(s.name.as_str()).as_deref().unwrap_or(&[]));
            PublicServiceFigure {
                code: s.code.clone(),
                name: s.name.clone(),
                count: t.count,
                average: t.average(),
            }
        })
        .collect();
    let rest: Vec<RatingCount> = by_name.into_values().flatten().collect();
    let t = Totals::of(&rest);
    if t.count > 0 {
        out.push(PublicServiceFigure {
            code: "khac".into(),
            name: match lang {
                Lang::Vi => "Dịch vụ khác".into(),
                Lang::En => "Other services".into(),
            },
            count: t.count,
            average: t.average(),
        });
    }
    out
}

/// A status as the wire spells it.
fn status_word(s: KpiStatus) -> &'static str {
    match s {
        KpiStatus::Green => "green",
        KpiStatus::Yellow => "yellow",
        KpiStatus::Red => "red",
        KpiStatus::NoData => "no_data",
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A number as the language writes it: `93,5` in Vietnamese, `93.5` in English.
fn number(x: f64, lang: Lang) -> String {
    let s = format!("{}", (x * 100.0).round() / 100.0);
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// The thresholds in words, rules separated by "; " (the summary keeps each on its line).
pub fn threshold_words(t: &Thresholds, lang: Lang) -> String {
    let n = |x: f64| number(x, lang);
    match (*t, lang) {
        (Thresholds::HigherIsBetter { green, red }, Lang::Vi) => {
            format!("Đạt khi ≥ {}; chưa đạt khi < {}", n(green), n(red))
        }
        (Thresholds::HigherIsBetter { green, red }, Lang::En) => {
            format!("Met at ≥ {}; not met below {}", n(green), n(red))
        }
        (Thresholds::LowerIsBetter { green, red }, Lang::Vi) => {
            format!("Đạt khi ≤ {}; chưa đạt khi > {}", n(green), n(red))
        }
        (Thresholds::LowerIsBetter { green, red }, Lang::En) => {
            format!("Met at ≤ {}; not met above {}", n(green), n(red))
        }
        (
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            },
            Lang::Vi,
        ) => format!(
            "Đạt trong khoảng {}–{}; chưa đạt ngoài khoảng {}–{}",
            n(green_low),
            n(green_high),
            n(red_low),
            n(red_high)
        ),
        (
            Thresholds::InBand {
                green_low,
                green_high,
                red_low,
                red_high,
            },
            Lang::En,
        ) => format!(
            "Met within {}–{}; not met outside {}–{}",
            n(green_low),
            n(green_high),
            n(red_low),
            n(red_high)
        ),
    }
}

/// (year, month) of a time, in Vietnam.
fn month_of(ts: Ts) -> (i32, u32) {
    let d = crate::domain::time::vn()
        .timestamp_millis_opt(ts)
        .single()
        .map(|t| t.date_naive())
        .unwrap_or_default();
    (d.year(), d.month())
}

fn month_back((y, m): (i32, u32), back: u32) -> (i32, u32) {
    let i = y * 12 + m as i32 - 1 - back as i32;
    (i.div_euclid(12), i.rem_euclid(12) as u32 + 1)
}

fn month_period((y, m): (i32, u32)) -> Period {
    Period::parse(&format!("{y:04}-{m:02}")).expect("a month label parses")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_back_cross_years() {
        assert_eq!(month_back((2026, 2), 1), (2026, 1));
        assert_eq!(month_back((2026, 1), 1), (2025, 12));
        assert_eq!(month_back((2026, 3), 14), (2025, 1));
    }

    #[test]
    fn totals_count_stars_and_satisfied_share() {
        let c = |score, n| RatingCount {
            service: "s".into(),
            score,
            n,
        };
        let t = Totals::of(&[c(5, 3), c(4, 1), c(1, 1), c(9, 4)]);
        assert_eq!(t.count, 5);
        assert_eq!(t.stars, [1, 0, 0, 1, 3]);
        assert_eq!(t.average(), Some(4.0));
        assert_eq!(t.satisfied_percent(), Some(80.0));
    }

    #[test]
    fn thresholds_read_in_each_language() {
        let t = Thresholds::HigherIsBetter {
            green: 95.0,
            red: 85.5,
        };
        assert_eq!(
            threshold_words(&t, Lang::Vi),
            "Đạt khi ≥ 95; chưa đạt khi < 85,5"
        );
        assert_eq!(
            threshold_words(&t, Lang::En),
            "Met at ≥ 95; not met below 85.5"
        );
    }
}
